// Correlated logs: one request through Caddy yields a Caddy access line and an API line, both JSON in the
// common shape (testkit/log-shape.ts), sharing the X-Request-ID; uvicorn's own lines are JSON too; no token
// or cookie ever reaches a log.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { startStandin } from '../../src/auth0-standin/standin.ts';
import { loginThroughApi } from '../../testkit/auth.ts';
import { request, values } from '../../testkit/http.ts';
import { type LogEntry as Entry, ISO_UTC, parseLogLine } from '../../testkit/log-shape.ts';
import { type Stack, startStack, waitFor } from '../../testkit/stack.ts';

/** Every stdout/stderr line that starts with `{`, parsed (a line that does not parse, or lacks the common
 * keys, fails the test). Only finished lines: each stream's last one may still be arriving. */
function jsonLines(stack: Stack): Entry[] {
  return stack
    .logs()
    .split('\n--- stderr\n')
    .flatMap((stream) => stream.split('\n').slice(0, -1))
    .filter((line) => line.startsWith('{'))
    .map((line) => parseLogLine(line, 'log'));
}

const dataDir = mkdtempSync(path.join(tmpdir(), 'edge-logs-'));
after(() => rmSync(dataDir, { recursive: true, force: true }));

test('a request through Caddy: Caddy and API lines share its request id', async () => {
  const standin = await startStandin({ port: 0 });
  const stack = await startStack({ fakeApp: false, auth: standin, env: { DATABASE_URL: `sqlite:///${dataDir}/x.db` } });
  try {
    const login = await loginThroughApi(stack.base, {
      origin: 'http://localhost:3001',
      redirectUri: 'http://localhost:3001/callback',
    });
    const id = `corr-${randomBytes(6).toString('hex')}`;
    const res = await request(`${stack.base}/api/v1/items`, {
      headers: { 'X-Request-ID': id, Authorization: `Bearer ${login.accessToken}` },
    });
    assert.equal(res.status, 200, res.body);
    assert.deepEqual(values(res, 'x-request-id'), [id]);

    const isCaddy = (e: Entry) => String(e.logger ?? '').startsWith('http.log.access') && e.request_id === id;
    const isApi = (e: Entry) => e.event === 'request' && e.request_id === id;
    let entries: Entry[] = [];
    const deadline = Date.now() + 5_000;
    while (Date.now() < deadline) {
      entries = jsonLines(stack);
      if (entries.some(isCaddy) && entries.some(isApi)) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    const caddy = entries.find(isCaddy);
    const api = entries.find(isApi);
    assert.ok(caddy, `no Caddy access line with ${id}:\n${stack.logs()}`);
    assert.ok(api, `no API request line with ${id}:\n${stack.logs()}`);
    assert.equal((caddy.request as Entry | undefined)?.uri, '/api/v1/items');
    assert.equal(caddy.status, 200);
    assert.deepEqual(
      { method: api.method, path: api.path, status: api.status, logger: api.logger },
      { method: 'GET', path: '/api/v1/items', status: 200, logger: 'edge_api.request' },
    );
    assert.equal(typeof api.duration_ms, 'number');
    assert.match(String(api.time), ISO_UTC);
    assert.match(String(caddy.time), ISO_UTC);
    assert.deepEqual([api.level, caddy.level], ['info', 'info']);

    // uvicorn's startup lines come through the same JSON formatter, not as plain "INFO: ..." text.
    const started = entries.find((e) => String(e.msg).startsWith('Started server process'));
    assert.ok(started, `no JSON "Started server process" line:\n${stack.logs()}`);
    assert.equal(started.logger, 'uvicorn.error');
    assert.doesNotMatch(stack.logs(), /^INFO: {2,}Started server process/m);

    // Secrets stay out of the logs: Caddy redacts Authorization and Cookie, the API logs neither.
    for (const secret of [login.accessToken, login.refreshCookie, standin.clientSecret]) {
      assert.ok(!stack.logs().includes(secret), 'a token, refresh cookie or client secret appears in the logs');
    }
  } finally {
    await stack.stop();
    await standin.stop();
  }
});

test("the watchdog's /health/proxy probes stay out of Caddy's access log; /health (the platform's) is logged", async () => {
  const stack = await startStack();
  try {
    const run = randomBytes(4).toString('hex');
    const accessLines = () => jsonLines(stack).filter((e) => String(e.logger ?? '').startsWith('http.log.access'));
    const uri = (e: Entry) => String((e.request as Entry | undefined)?.uri ?? '');
    // Interleaved, so the /health lines that must appear bracket the /health/proxy ones that must not.
    const healthIds: string[] = [];
    for (let i = 0; i < 3; i++) {
      const proxy = await request(`${stack.base}/health/proxy`, { headers: { 'X-Request-ID': `proxy-${run}-${i}` } });
      assert.equal(proxy.status, 200, proxy.body);
      const id = `health-${run}-${i}`;
      const health = await request(`${stack.base}/health`, { headers: { 'X-Request-ID': id } });
      assert.equal(health.status, 200, health.body);
      healthIds.push(id);
    }
    const last = await request(`${stack.base}/fake/ok`, { headers: { 'X-Request-ID': `last-${run}` } });
    assert.equal(last.status, 200);
    await waitFor(
      async () => [...healthIds, `last-${run}`].every((id) => accessLines().some((e) => e.request_id === id)),
      10_000,
    ).catch((err: Error) => assert.fail(`no access line for every /health request (${err.message}):\n${stack.logs()}`));
    const health = accessLines().filter((e) => healthIds.includes(String(e.request_id)));
    assert.deepEqual(
      health.map((e) => [uri(e), e.status]),
      healthIds.map(() => ['/health', 200]),
    );
    // The entrypoint's own /health/proxy probe has run once it logs "serving" (its loop polls, so on a
    // loaded machine that can come after the requests above): wait for it, then look for probe lines.
    await waitFor(async () => /"event": ?"serving"/.test(stack.logs()), 60_000).catch(() =>
      assert.fail(`the entrypoint never logged "serving":\n${stack.logs()}`),
    );
    // Neither ours nor the stack's own (the entrypoint's first probe, the watchdog's every 5 s).
    const proxyLines = accessLines().filter((e) => uri(e).startsWith('/health/proxy'));
    assert.deepEqual(proxyLines, [], 'no access line for /health/proxy');
  } finally {
    await stack.stop();
  }
});
