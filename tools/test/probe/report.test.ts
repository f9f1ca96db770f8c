// Case tables for report formatting: plain lines, aligned table, colour rules, JSON.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { ProbeReport } from '../../src/probe/index.ts';
import { formatJson, formatPlain, formatTable, useColor } from '../../src/probe/report.ts';

const REPORT: ProbeReport = {
  ok: false,
  target: 'http://127.0.0.1:8080/',
  cases: [
    { name: 'get-no-origin', ok: true, status: 200 },
    { name: 'get-allowed', origin: 'https://app.zebra.associates', ok: false, status: 200, reason: 'no Vary: Origin' },
    { name: 'get-denied-origin', origin: 'https://a.test, https://evil.test', ok: true, status: 200 },
    { name: 'get-denied-origin', origin: 'x\r\ny', ok: true, skipped: true, reason: 'skipped: node refuses to send Origin' },
  ],
};

describe('formatPlain', () => {
  test('one line per case, quoted odd origins, summary last', () => {
    assert.equal(
      formatPlain(REPORT),
      [
        'PASS get-no-origin -',
        'FAIL get-allowed https://app.zebra.associates: no Vary: Origin',
        'PASS get-denied-origin "https://a.test, https://evil.test"',
        'SKIP get-denied-origin "x\\r\\ny": skipped: node refuses to send Origin',
        'FAIL: 2 passed, 1 failed, 1 skipped (http://127.0.0.1:8080/)',
        '',
      ].join('\n'),
    );
  });
});

describe('formatTable', () => {
  test('columns line up, no colour codes unless asked', () => {
    const lines = formatTable(REPORT, { color: false }).split('\n');
    assert.match(lines[0]!, /^CASE +ORIGIN +VERDICT +REASON$/);
    const verdictCol = lines[0]!.indexOf('VERDICT');
    for (const line of lines.slice(1, 5)) assert.match(line.slice(verdictCol), /^(PASS|FAIL|SKIP)/);
    assert.ok(!lines.join('').includes('\x1b['));
  });
  test('colour wraps the verdicts', () => {
    const out = formatTable(REPORT, { color: true });
    assert.ok(out.includes('\x1b[31mFAIL'));
    assert.ok(out.includes('\x1b[32mPASS'));
  });
});

describe('useColor', () => {
  const ROWS: [isTTY: boolean | undefined, env: Record<string, string>, expected: boolean][] = [
    [true, {}, true],
    [true, { NO_COLOR: '1' }, false],
    [true, { NO_COLOR: '' }, true],
    [false, {}, false],
    [undefined, {}, false],
  ];
  for (const [isTTY, env, expected] of ROWS) {
    test(`tty=${isTTY} env=${JSON.stringify(env)}`, () => assert.equal(useColor(isTTY, env), expected));
  }
});

test('formatJson round-trips the report', () => {
  assert.deepEqual(JSON.parse(formatJson(REPORT)), REPORT);
});
