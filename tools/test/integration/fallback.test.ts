// The in-container rollback: a proxy killed again and again is replaced by direct mode on $PORT (alerted,
// /health degraded), or with PROXY_FALLBACK=exit ends the stack non-zero.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { runProbe } from '../../src/probe/index.ts';
import { type AlertReceiver, startAlertReceiver } from '../../testkit/alerts.ts';
import { type RawResponse, request, values } from '../../testkit/http.ts';
import { killRepeatedly } from '../../testkit/kill.ts';
import { isApiProgram, type Stack, stackPids, startStack, waitFor } from '../../testkit/stack.ts';

const ORIGIN = 'http://localhost:3001';
const LOOP_EXITS = 5; // deploy/edge_sidecar/supervision.py

/** kill -9 the stack's Caddy `times` times, each time once a new one runs; Date.now() at the last kill. */
const killProxyRepeatedly = (stack: Stack, times: number): Promise<number> =>
  killRepeatedly(async () => stackPids(stack.port, (argv) => argv[0]?.endsWith('caddy') === true)[0] ?? 0, times);

/** A GET from an allowed origin answered 200 with that origin's CORS, by whichever process holds $PORT. */
async function corsAnswer(stack: Stack): Promise<RawResponse | undefined> {
  try {
    const res = await request(`${stack.base}/fake/ok`, { headers: { Origin: ORIGIN }, timeoutMs: 2_000 });
    return res.status === 200 && values(res, 'access-control-allow-origin')[0] === ORIGIN ? res : undefined;
  } catch {
    return undefined;
  }
}

describe('PROXY_FALLBACK=direct (the default): a crash-looping proxy is replaced by direct mode', () => {
  let receiver: AlertReceiver;
  let stack: Stack;
  let restoredMs = 0;
  before(async () => {
    receiver = await startAlertReceiver();
    stack = await startStack({ env: { ALERT_WEBHOOK_URL: receiver.url } });
    // The proxy must have served once: a fallback replaces a proxy that broke, not one that never ran.
    await waitFor(async () => /"event": "serving", "program": "proxy"/.test(stack.logs()), 20_000);
    const lastKill = await killProxyRepeatedly(stack, LOOP_EXITS);
    await waitFor(
      async () => (await corsAnswer(stack)) !== undefined && /"event": "fallback-serving"/.test(stack.logs()),
      60_000,
    );
    restoredMs = Date.now() - lastKill;
  });
  after(async () => {
    await stack?.stop();
    await receiver?.close();
  });

  test('$PORT answers with CORS again, from uvicorn alone, within 30 s of the last kill', async (t) => {
    t.diagnostic(`last kill -9 of Caddy -> CORS response on $PORT: ${restoredMs} ms`);
    assert.ok(restoredMs < 30_000, `${restoredMs} ms`);
    const res = (await corsAnswer(stack))!;
    assert.deepEqual(values(res, 'via'), [], 'no proxy in the path');
    assert.deepEqual(values(res, 'access-control-allow-credentials'), ['true']);
    assert.deepEqual(
      stackPids(stack.port, (argv) => argv[0]?.endsWith('caddy') === true),
      [],
      'Caddy stopped',
    );
    // The loopback API is stopped once the direct program serves.
    await waitFor(async () => stackPids(stack.port, isApiProgram).length === 0, 30_000);
  });

  test('the same CORS semantics: the cors-probe battery passes against the fallback', async () => {
    const report = await runProbe({
      baseUrl: stack.base,
      origins: ['https://app.zebra.associates', ORIGIN],
      path: '/fake/ok',
      errorPath: '/fake/crash',
      method: 'PATCH',
      requestHeaders: ['Content-Type', 'Authorization'],
    });
    assert.ok(report.cases.length > 20, 'the battery ran');
    assert.ok(
      report.ok,
      report.cases
        .filter((c) => !c.ok)
        .map((c) => `${c.name}: ${c.reason ?? ''}`)
        .join('\n'),
    );
  });

  test('/health reports the degraded mode: 503, failing proxy, with CORS', async () => {
    const health = await request(`${stack.base}/health`, { headers: { Origin: ORIGIN } });
    assert.equal(health.status, 503, health.body);
    assert.deepEqual(JSON.parse(health.body), {
      status: 'degraded',
      mode: 'direct-fallback',
      checks: { proxy: 'down', api: 'ok' },
      failing: 'proxy',
    });
    assert.deepEqual(values(health, 'access-control-allow-origin'), [ORIGIN]);
    assert.equal((await request(`${stack.base}/health/live`)).status, 200);
  });

  test('the fallback is alerted and logged, naming the proxy', async () => {
    await waitFor(async () => receiver.alerts.some((a) => /falling back to direct mode/.test(a.reason)), 10_000);
    const alert = receiver.alerts.find((a) => /falling back/.test(a.reason))!;
    assert.equal(alert.program, 'proxy');
    assert.match(alert.reason, /^program 'proxy' crash-looped \(5 exits in \d+ s, the last killed by SIGKILL\)/);
    assert.match(stack.logs(), /"event": "fallback", "program": "proxy"/);
  });

  test('a stop still ends the stack cleanly (exit 0)', async () => {
    const result = await stack.stop();
    assert.equal(result.code, 0, stack.logs());
    assert.deepEqual(stackPids(stack.port), [], 'nothing of the stack is left');
  });
});

test('PROXY_FALLBACK=exit: a crash-looping proxy ends the stack with exit code 1, naming it last', async () => {
  const stack = await startStack({ env: { PROXY_FALLBACK: 'exit' } });
  try {
    await waitFor(async () => /"event": "serving", "program": "proxy"/.test(stack.logs()), 20_000);
    await killProxyRepeatedly(stack, LOOP_EXITS);
    await waitFor(async () => stack.child.exitCode !== null, 60_000); // it ends by itself
    const result = await stack.stop();
    const last = JSON.parse(result.stderr.trim().split('\n').at(-1)!) as { msg: string; exit_code: number; program: string };
    assert.equal(result.code, 1, stack.logs());
    assert.deepEqual({ program: last.program, exit_code: last.exit_code }, { program: 'proxy', exit_code: 1 });
    assert.match(last.msg, /^edge-sidecar: program 'proxy' crash-looped \(5 exits in \d+ s, the last killed by SIGKILL\)/);
    assert.doesNotMatch(stack.logs(), /"event": "fallback"/);
  } finally {
    await stack.stop();
  }
});
