// Case table: the probe against the in-process fake sidecar, correct and with each seeded fault.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { CASES, type ProbeReport, runProbe } from '../../src/probe/index.ts';
import { ERROR_PATH, type FakeSidecar, type Fault, OK_PATH, POLICY, startFakeSidecar } from './fake-sidecar.ts';

interface Row {
  fault: Fault;
  /** Exactly the case names that must fail. */
  fails: string[];
  /** Origins that must appear among the failures (the attack that exposes the fault). */
  flagged?: string[];
  /** A fragment the first failure's reason must contain. */
  reason?: string;
}

const ALLOWED_RESPONSES = ['get-allowed', 'get-credentialed', 'error-allowed', 'options-not-preflight'];
const DENIED = ['preflight-denied-origin', 'get-denied-origin', 'error-denied-origin'];

const TABLE: Row[] = [
  { fault: 'none', fails: [] },
  { fault: 'duplicate-acao', fails: ALLOWED_RESPONSES, reason: '2 Access-Control-Allow-Origin lines' },
  {
    fault: 'reflect-any-origin',
    fails: DENIED,
    flagged: ['https://evil.test', 'null', 'https://app.zebra.associates.evil.test'],
  },
  { fault: 'wildcard-with-credentials', fails: ['preflight-allowed', ...ALLOWED_RESPONSES], reason: '* with credentials' },
  {
    fault: 'no-vary',
    fails: ['get-no-origin', 'preflight-allowed', ...ALLOWED_RESPONSES, 'get-denied-origin', 'error-denied-origin'],
    reason: 'Vary lacks Origin',
  },
  { fault: 'no-cors-on-error', fails: ['error-allowed', 'error-denied-origin'], reason: 'no Access-Control-Allow-Origin' },
  { fault: 'preflight-forwarded', fails: ['preflight-allowed'], reason: 'status 405, not 2xx (Allow: GET' },
  {
    fault: 'options-bypass-cors',
    fails: ['preflight-allowed', 'options-not-preflight', 'preflight-denied-origin'],
    reason: 'status 405',
  },
  { fault: 'grant-unlisted-method', fails: ['preflight-method-not-allowed'], reason: 'method PROPFIND granted' },
  { fault: 'grant-unlisted-header', fails: ['preflight-header-not-allowed'], reason: 'header X-Cors-Probe-Forbidden granted' },
  { fault: 'acac-capital-true', fails: ['preflight-allowed', ...ALLOWED_RESPONSES], reason: 'is "True", not exactly "true"' },
  {
    fault: 'suffix-attack',
    fails: DENIED,
    flagged: ['https://app.zebra.associates.evil.test', 'https://cors-probe.preview.zebra.associates.evil.test'],
    reason: 'suffix attack: CORS granted',
  },
  {
    fault: 'unescaped-dot',
    fails: DENIED,
    flagged: ['https://appxzebra.associates', 'https://cors-probe.previewxzebra.associates'],
    reason: 'unescaped dot',
  },
  {
    fault: 'wildcard-multi-label',
    fails: DENIED,
    flagged: ['https://evil.cors-probe.preview.zebra.associates'],
    reason: 'subdomain attack',
  },
  { fault: 'case-insensitive-origin', fails: DENIED, flagged: ['https://APP.ZEBRA.ASSOCIATES'], reason: 'upper-case host' },
  { fault: 'null-allowed', fails: DENIED, flagged: ['null'], reason: 'null origin' },
  { fault: 'options-as-preflight', fails: ['options-not-preflight'], reason: 'answered as a preflight' },
];

describe('cors-probe against the fake sidecar', () => {
  let server: FakeSidecar;
  before(async () => {
    server = await startFakeSidecar();
  });
  after(() => server.close());

  const probe = (): Promise<ProbeReport> =>
    runProbe({
      baseUrl: server.url,
      origins: [...POLICY.origins],
      deny: ['https://evil.test'],
      path: OK_PATH,
      errorPath: ERROR_PATH,
      requestHeaders: ['Content-Type', 'X-Tenant-ID'],
      timeoutMs: 5000,
    });

  for (const row of TABLE) {
    test(`fault ${row.fault} → ${row.fails.length ? row.fails.join(', ') : 'all pass'}`, async () => {
      server.fault = row.fault;
      const report = await probe();
      const failed = report.cases.filter((c) => !c.ok);
      assert.deepEqual([...new Set(failed.map((c) => c.name))].sort(), [...row.fails].sort());
      assert.equal(report.ok, row.fails.length === 0);
      for (const origin of row.flagged ?? []) {
        assert.ok(
          failed.some((c) => c.origin === origin),
          `expected a failure for ${origin}`,
        );
      }
      if (row.reason)
        assert.ok(
          failed[0]?.reason?.includes(row.reason),
          `reason ${JSON.stringify(failed[0]?.reason)} lacks ${JSON.stringify(row.reason)}`,
        );
      for (const c of failed) assert.ok(c.reason && !c.reason.includes('\n'), `${c.name}: one-line reason`);
    });
  }

  test('a correct server: every case runs, one result per (case, origin), statuses recorded', async () => {
    server.fault = 'none';
    const report = await probe();
    assert.equal(report.target, `${server.url}/`);
    assert.deepEqual([...new Set(report.cases.map((c) => c.name))].sort(), Object.keys(CASES).sort());
    const keys = report.cases.map((c) => `${c.name} ${c.origin ?? '-'}`);
    assert.equal(new Set(keys).size, keys.length, 'no duplicate (case, origin)');
    for (const name of ['preflight-allowed', 'get-allowed', 'error-allowed', 'options-not-preflight']) {
      const origins = report.cases.filter((c) => c.name === name).map((c) => c.origin);
      assert.deepEqual(origins, [
        'http://localhost:3001',
        'https://app.zebra.associates',
        'https://cors-probe.preview.zebra.associates',
      ]);
    }
    const status = (name: string): number | undefined => report.cases.find((c) => c.name === name)?.status;
    assert.deepEqual(
      [status('preflight-allowed'), status('get-allowed'), status('error-allowed'), status('options-not-preflight')],
      [204, 200, 500, 405],
    );
    assert.ok(
      report.cases.some((c) => c.name === 'get-denied-origin' && c.origin === 'https://evil.test'),
      '--deny origins are probed',
    );
  });

  test('without --error-path the error cases are not run', async () => {
    server.fault = 'none';
    const report = await runProbe({ baseUrl: server.url, origins: ['https://app.zebra.associates'], path: OK_PATH });
    assert.ok(report.ok);
    assert.ok(!report.cases.some((c) => c.name.startsWith('error-')));
  });

  test('an error path that answers 2xx fails error-allowed with a clear reason', async () => {
    server.fault = 'none';
    const report = await runProbe({
      baseUrl: server.url,
      origins: ['https://app.zebra.associates'],
      path: OK_PATH,
      errorPath: OK_PATH,
    });
    const c = report.cases.find((x) => x.name === 'error-allowed');
    assert.equal(c?.ok, false);
    assert.match(c?.reason ?? '', /status 200 is not an error/);
  });
});
