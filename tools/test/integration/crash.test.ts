// Crashes and an unreachable DB through the real stack: what fails, and how fast it comes back.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { request, values } from '../../testkit/http.ts';
import { caddyPid, freePort, type Stack, startStack, waitFor, waitForNewApi } from '../../testkit/stack.ts';

const ORIGIN = 'http://localhost:3001';

/**
 * Steady GETs of `path` from 4 workers while `act` runs; counts what succeeded and what failed.
 * GETs only: Caddy replays a GET whose upstream died mid-request, but never a POST (it may already
 * have had its effect), so a POST in flight at a crash can still fail; that is by design.
 */
async function underLoad(stack: Stack, path: string, act: () => Promise<void>): Promise<{ ok: number; failed: string[] }> {
  let ok = 0;
  let stop = false;
  const failed: string[] = [];
  const deadline = Date.now() + 45_000;
  const worker = async () => {
    for (let i = 0; i < 5_000 && !stop && Date.now() < deadline; i++) {
      try {
        const res = await request(`${stack.base}${path}`, { headers: { Origin: ORIGIN }, timeoutMs: 15_000 });
        if (res.status === 200) ok++;
        else failed.push(`${res.status} ${res.body}`);
      } catch (err) {
        failed.push((err as Error).message);
        // A refused connection fails in microseconds: pace the retries so the count means something.
        await new Promise((r) => setTimeout(r, 10));
      }
    }
  };
  const workers = Array.from({ length: 4 }, worker);
  await waitFor(async () => ok >= 20, 10_000);
  await act();
  const okAfter = ok;
  await waitFor(async () => ok >= okAfter + 100, 20_000);
  stop = true;
  await Promise.all(workers);
  return { ok, failed };
}

/** How many times supervisord has logged the API entering RUNNING (its JSON `success` event). */
function apiRunningCount(stack: Stack): number {
  return stack
    .logs()
    .split('\n')
    .filter((line) => line.startsWith('{') && line.includes('"success"'))
    .map((line) => JSON.parse(line) as { logger?: string; event?: string; program?: string })
    .filter((e) => e.logger === 'supervisord' && e.event === 'success' && e.program === 'api').length;
}

/** How many /fake/slow requests the API is serving right now. */
async function inFlight(stack: Stack): Promise<number> {
  const res = await request(`${stack.base}/fake/in-flight`, { timeoutMs: 1_000 });
  return (JSON.parse(res.body) as { in_flight: number }).in_flight;
}

describe('crashes under steady requests', () => {
  let stack: Stack;
  before(async () => {
    stack = await startStack();
  });
  after(async () => {
    await stack?.stop();
  });

  test('kill -9 of the API, 3 times: back within 5 s each time; no GET fails', async (t) => {
    const rounds: string[] = [];
    // Each request spends 100 ms inside the API, so a kill always lands on requests in flight; and the
    // API closes every connection after answering, so each of those is on a fresh connection, which
    // Go's transport never retries by itself (it does for reused ones): only Caddy's retry saves them.
    const { ok, failed } = await underLoad(stack, '/fake/slow?seconds=0.1&close=1', async () => {
      for (let round = 0; round < 3; round++) {
        // Kill an API that serves each time (three kills stay below the crash-loop rule's five exits).
        await waitFor(async () => apiRunningCount(stack) >= round + 1, 10_000);
        let serving = 0;
        await waitFor(async () => (serving = await inFlight(stack)) >= 2, 5_000);
        const old = stack.apiPid();
        const killed = Date.now();
        process.kill(old, 'SIGKILL');
        await waitForNewApi(stack, old, 5_000);
        rounds.push(`${serving} in flight, back in ${Date.now() - killed} ms`);
      }
    });
    t.diagnostic(
      `API kill -9 x3 (${rounds.join(', ')}); ${failed.length} of ${ok + failed.length} GETs failed (${failed.join(', ')})`,
    );
    // A GET sent to the killed process is replayed (Caddy's default lb_retry_match) once the new
    // one accepts connections, within the retry window (10 s): none may fail.
    assert.deepEqual(failed, [], `${failed.length} of ${ok + failed.length} GETs failed`);
  });

  test('kill -9 of Caddy: back within 5 s; requests in the gap fail (counted)', async (t) => {
    const old = caddyPid(stack.port);
    let backMs = 0;
    const { ok, failed } = await underLoad(stack, '/fake/ok', async () => {
      const killed = Date.now();
      process.kill(old, 'SIGKILL');
      await waitFor(async () => (await request(`${stack.base}/health/proxy`, { timeoutMs: 500 })).status === 200, 5_000);
      backMs = Date.now() - killed;
    });
    t.diagnostic(
      `Caddy kill -9: back in ${backMs} ms; ${failed.length} of ${ok + failed.length} requests failed (4 clients, 10 ms pause after a failure)`,
    );
    assert.notEqual(caddyPid(stack.port), old);
    assert.ok(backMs < 5_000);
  });
});

test('DB unreachable: /health 503 naming the DB with CORS, /health/live still 200', async () => {
  const closedPort = await freePort();
  const stack = await startStack({
    fakeApp: false,
    env: { DATABASE_URL: `postgresql://edge:secret@127.0.0.1:${closedPort}/edge` },
  });
  try {
    const health = await request(`${stack.base}/health`, { headers: { Origin: ORIGIN } });
    assert.equal(health.status, 503, health.body);
    assert.match(health.body, /"failing":\s*"db"/);
    assert.doesNotMatch(health.body, /secret|postgresql|127\.0\.0\.1/, 'no configuration or secrets in the body');
    assert.deepEqual(values(health, 'access-control-allow-origin'), [ORIGIN]);
    const live = await request(`${stack.base}/health/live`, { headers: { Origin: ORIGIN } });
    assert.equal(live.status, 200);
    assert.deepEqual(values(live, 'access-control-allow-origin'), [ORIGIN]);
  } finally {
    await stack.stop();
  }
});
