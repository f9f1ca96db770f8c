// What the proxy does when the API is slow, down or restarting, and how the stack stops (sidecar mode).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type RawResponse, request, values } from '../../testkit/http.ts';
import { type Stack, startStack, supervisorctl, waitFor } from '../../testkit/stack.ts';

const ORIGIN = 'http://localhost:3001';

/** How many /fake/slow requests the API has received since it started. */
async function slowStarted(stack: Stack): Promise<number> {
  const res = await request(`${stack.base}/fake/in-flight`, { timeoutMs: 1_000 });
  return (JSON.parse(res.body) as { slow_started: number }).slow_started;
}

function assertProxyError(res: RawResponse, status: number, what: string): void {
  assert.equal(res.status, status, what);
  assert.deepEqual(values(res, 'access-control-allow-origin'), [ORIGIN], `${what}: exactly one ACAO`);
  assert.deepEqual(values(res, 'access-control-allow-credentials'), ['true'], what);
  assert.match(values(res, 'content-type')[0] ?? '', /application\/json/, what);
  assert.equal(typeof (JSON.parse(res.body) as { detail?: unknown }).detail, 'string', `${what}: JSON detail`);
}

describe('failures through the sidecar', () => {
  let stack: Stack;
  before(async () => {
    stack = await startStack({ env: { UPSTREAM_TIMEOUT: '2' } });
  });
  after(async () => {
    await stack?.stop();
  });

  test('an API slower than UPSTREAM_TIMEOUT gets one 504 with CORS and a JSON body, never a replay', async () => {
    const before = await slowStarted(stack);
    const started = Date.now();
    const res = await request(`${stack.base}/fake/slow?seconds=8`, { headers: { Origin: ORIGIN } });
    const took = Date.now() - started;
    assertProxyError(res, 504, 'slow API');
    assert.ok(took >= 1900 && took < 6000, `answered after ${took} ms, UPSTREAM_TIMEOUT is 2 s`);
    // GETs are retried after a failed round trip, but only within lb_try_duration = min(10 s,
    // UPSTREAM_TIMEOUT): a timed-out GET has used it all, so the API saw exactly one attempt.
    assert.equal((await slowStarted(stack)) - before, 1, 'the slow GET reached the API once');
    const denied = await request(`${stack.base}/fake/slow?seconds=8`, { headers: { Origin: 'https://evil.test' } });
    assert.equal(denied.status, 504);
    assert.deepEqual(
      denied.headers.filter(([k]) => k.startsWith('access-control-')),
      [],
      'denied origin: no CORS',
    );
    assert.equal((await slowStarted(stack)) - before, 2, 'the second slow GET reached the API once');
  });

  test('with the API down, the proxy answers 502 with CORS and a JSON body', async () => {
    await supervisorctl(stack, 'stop', 'api');
    try {
      const res = await request(`${stack.base}/fake/ok`, { headers: { Origin: ORIGIN }, timeoutMs: 20_000 });
      assertProxyError(res, 502, 'API down');
      const health = await request(`${stack.base}/health`, { headers: { Origin: ORIGIN } });
      assert.equal(health.status, 503, '/health says the API is down');
      assert.match(health.body, /"failing":"api"/);
      const proxy = await request(`${stack.base}/health/proxy`);
      assert.equal(proxy.status, 200, 'the proxy itself is fine');
    } finally {
      await supervisorctl(stack, 'start', 'api');
    }
  });
});

// Its own stack with the default UPSTREAM_TIMEOUT (30 s), so Caddy's retry window is the full 10 s:
// with the 2 s timeout above the window is 2 s (it never outlasts the timeout, see the Caddyfile),
// and a restart that keeps the port closed longer than that fails requests by design.
describe('restarting the API', () => {
  // GETs only: a POST that Caddy sends on a pooled connection at the instant uvicorn closes it for
  // shutdown is not replayed (not idempotent). Seen once in ~2,000 POSTs; see the closing note.
  test('a restart of the API under steady GET requests fails none of them', async () => {
    const stack = await startStack();
    try {
      const before = stack.apiPid();
      let ok = 0;
      const failed: string[] = [];
      let stop = false;
      const deadline = Date.now() + 30_000;
      const worker = async () => {
        for (let i = 0; i < 5_000 && !stop && Date.now() < deadline; i++) {
          try {
            const res = await request(`${stack.base}/fake/ok`, { headers: { Origin: ORIGIN }, timeoutMs: 15_000 });
            if (res.status === 200) ok++;
            else failed.push(`${res.status} ${res.body}`);
          } catch (err) {
            failed.push((err as Error).message);
          }
        }
      };
      const workers = Array.from({ length: 4 }, worker);
      await waitFor(async () => ok >= 50, 10_000);
      const restartOutput = await supervisorctl(stack, 'restart', 'api');
      const okAtRestart = ok;
      await waitFor(async () => ok >= okAtRestart + 200, 20_000);
      stop = true;
      await Promise.all(workers);
      assert.notEqual(stack.apiPid(), before, `the API process was replaced (${restartOutput.trim()})`);
      assert.deepEqual(failed, [], `${failed.length} of ${ok + failed.length} requests failed`);
    } finally {
      await stack.stop();
    }
  });
});

describe('stopping', () => {
  test('SIGTERM lets an in-flight request finish, then both programs stop and the exit code is 0', async () => {
    const stack = await startStack();
    try {
      const slow = request(`${stack.base}/fake/slow?seconds=2`, { headers: { Origin: ORIGIN } });
      await waitFor(async () => (await request(`${stack.base}/fake/in-flight`)).body.includes('"in_flight": 1'), 5_000);
      const exited = stack.stop();
      const res = await slow;
      assert.equal(res.status, 200, 'the in-flight request completed');
      assert.deepEqual(values(res, 'access-control-allow-origin'), [ORIGIN]);
      const result = await exited;
      assert.equal(result.code, 0, stack.logs());
      // supervisord's own log reaches stderr as JSON lines (deploy/edge_sidecar/supervisor_log.py).
      const stopped = result.stderr
        .split('\n')
        .filter((line) => line.startsWith('{'))
        .map((line) => JSON.parse(line) as Record<string, unknown>)
        .filter((e) => e.logger === 'supervisord' && e.event === 'stopped')
        .map((e) => e.program);
      assert.ok(stopped.includes('proxy') && stopped.includes('api'), `stopped: ${stopped.join(', ')}\n${stack.logs()}`);
      assert.doesNotMatch(result.stdout, /stopped: /, 'no plain supervisord lines on stdout');
    } finally {
      await stack.stop();
    }
  });
});
