// Command-line options of `make bench` (pure parsing; nothing is started).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { CELLS, parseOptions, withAuth } from '../../src/bench/run.ts';

describe('parseOptions', () => {
  test('defaults: 7 rounds of 3 s, 1 s warm-up, report in docs/bench/latest.md', () => {
    assert.deepEqual(parseOptions([]), {
      rounds: 7,
      durationSec: 3,
      warmupSec: 1,
      tool: undefined,
      out: 'docs/bench/latest.md',
      maxMinutes: 7,
    });
  });
  test('every option', () => {
    const o = parseOptions(['--rounds', '3', '--duration', '2', '--warmup', '0', '--tool', 'autocannon', '--out', 'x/y.md', '--max-minutes', '5']);
    assert.deepEqual(o, { rounds: 3, durationSec: 2, warmupSec: 0, tool: 'autocannon', out: 'x/y.md', maxMinutes: 5 });
    assert.equal(parseOptions(['--no-write']).out, undefined);
  });
  const BAD: [string[], RegExp][] = [
    [['--rounds', '0'], /--rounds needs a whole number from 1 to 30/],
    [['--rounds', '31'], /--rounds/],
    [['--rounds', '2.5'], /--rounds/],
    [['--duration', '0.5'], /whole number/],
    [['--duration'], /got nothing/],
    [['--warmup', '11'], /--warmup/],
    [['--tool', 'ab'], /--tool is wrk or autocannon/],
    [['--out', '/abs/path.md'], /relative to the repo/],
    [['--fast'], /unknown option --fast/],
    [['--help'], /usage:/],
  ];
  for (const [argv, message] of BAD) test(argv.join(' '), () => assert.throws(() => parseOptions(argv), message));
});

test('the four cells: two endpoints at 1 and 64 connections; the items list needs the bearer token', () => {
  assert.deepEqual(
    CELLS.map((c) => `${c.path}@${c.connections}`),
    ['/health/live@1', '/health/live@64', '/api/v1/items@1', '/api/v1/items@64'],
  );
  for (const c of CELLS) assert.equal(c.auth === true, c.path === '/api/v1/items', c.id);
  const auth = { Authorization: 'Bearer t' };
  assert.deepEqual(withAuth(CELLS[2]!, auth).headers, auth);
  assert.deepEqual(withAuth(CELLS[0]!, auth).headers, {}, '/health/live goes without');
});
