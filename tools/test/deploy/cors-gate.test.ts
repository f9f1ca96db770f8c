// corsGate: the real cors-probe against local upstreams; passes correct CORS, fails each seeded fault, summarises.
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import { corsGate, GATE_DEFAULTS } from '../../src/deploy/cors-gate.ts';
import { ProbeUsageError } from '../../src/probe/index.ts';
import { type CorsUpstream, startCorsUpstream, UPSTREAM_FAULTS } from './cors-upstream.ts';

const PRODUCTION = { origins: ['https://app.zebra.associates'], deny: ['http://localhost:3001'] };
let upstream: CorsUpstream;
before(async () => {
  upstream = await startCorsUpstream();
});
after(() => upstream.close());

const EXPECT: Record<(typeof UPSTREAM_FAULTS)[number], RegExp | undefined> = {
  none: undefined,
  'reflect-any-origin': /^preflight-denied-origin https:\/\/app\.zebra\.associates\.evil\.test: suffix attack: CORS granted/,
  'no-acao': /^preflight-allowed https:\/\/app\.zebra\.associates: no Access-Control-Allow-Origin/,
};
for (const fault of UPSTREAM_FAULTS) {
  test(`production gate, upstream fault ${fault}: ${EXPECT[fault] ? 'fails' : 'passes'}`, async () => {
    upstream.fault = fault;
    const v = await corsGate(PRODUCTION)(upstream.url);
    if (!EXPECT[fault]) return assert.deepEqual(v, { ok: true, failures: [] });
    assert.equal(v.ok, false);
    assert.match(v.failures[0]!, EXPECT[fault]);
    // At most maxFailures lines, then one that counts the rest per case.
    assert.ok(v.failures.length <= GATE_DEFAULTS.maxFailures + 1);
    for (const f of v.failures) assert.ok(f.length <= 200, `short: ${f}`);
    if (v.failures.length > GATE_DEFAULTS.maxFailures)
      assert.match(v.failures.at(-1)!, /^and \d+ more \(([a-z-]+ x\d+(, )?)+; tools\/bin\/cors-probe shows all\)$/);
  });
}

test("the deny list is part of the gate: staging's policy served in production fails on http://localhost:3001", async () => {
  upstream.fault = 'none';
  // The upstream refuses the demo origin (production's policy); a gate that expects it allowed must fail...
  const staging = await corsGate({ origins: ['https://app.zebra.associates', 'http://localhost:3001'] })(upstream.url);
  assert.equal(staging.ok, false);
  assert.match(staging.failures.join('\n'), /http:\/\/localhost:3001/);
  // ...and one that only denies it passes.
  assert.equal((await corsGate(PRODUCTION)(upstream.url)).ok, true);
});

test('path, error path and request headers are what docs/deploy.md checks by hand', async () => {
  const paths: string[] = [];
  const spy = http.createServer((req, res) => {
    paths.push(`${req.method} ${req.url} ${req.headers['access-control-request-headers'] ?? ''}`.trim());
    res.writeHead(503).end();
  });
  await new Promise<void>((resolve) => spy.listen(0, '127.0.0.1', resolve));
  await corsGate(PRODUCTION)(`http://127.0.0.1:${(spy.address() as AddressInfo).port}`);
  spy.close();
  assert.ok(paths.includes('GET /health/live'));
  assert.ok(paths.includes('GET /api/v1/items/0'));
  assert.ok(paths.includes('OPTIONS /health/live x-tenant-id'));
});

test('unreachable: a failed gate with the reason, not an exception', async () => {
  const dead = http.createServer();
  await new Promise<void>((resolve) => dead.listen(0, '127.0.0.1', resolve));
  const port = (dead.address() as AddressInfo).port;
  await new Promise<void>((resolve) => dead.close(() => resolve()));
  const v = await corsGate(PRODUCTION)(`http://127.0.0.1:${port}`);
  assert.equal(v.ok, false);
  assert.match(v.failures[0]!, /cannot reach .*ECONNREFUSED/);
});

test('options that cannot work throw at once, before any deploy', () => {
  assert.throws(() => corsGate({ origins: ['https://app.zebra.associates/'] }), ProbeUsageError);
  assert.throws(() => corsGate({ origins: [] }), ProbeUsageError);
  assert.throws(() => corsGate({ origins: ['https://a.test'], deny: ['https://a.test'] }), /also an allowed origin/);
  assert.throws(() => corsGate({ origins: ['https://a.test'], path: 'health' }), /must start with "\/"/);
});
