// Self-healing through the real stack: a hung API (SIGSTOP) is detected, restarted, and alerted once.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type AlertReceiver, startAlertReceiver } from '../../testkit/alerts.ts';
import { request, values } from '../../testkit/http.ts';
import { type Stack, startStack, waitFor } from '../../testkit/stack.ts';

describe('watchdog', () => {
  let receiver: AlertReceiver;
  let stack: Stack;
  before(async () => {
    receiver = await startAlertReceiver();
    stack = await startStack({ env: { ALERT_WEBHOOK_URL: receiver.url } });
  });
  after(async () => {
    await stack?.stop();
    await receiver?.close();
  });

  test('SIGSTOP of the API: /health 503 within 1 s, restarted within 20 s, one alert', async () => {
    const hung = stack.apiPid();
    process.kill(hung, 'SIGSTOP');
    try {
      const started = Date.now();
      const health = await request(`${stack.base}/health`, { headers: { Origin: 'http://localhost:3001' } });
      assert.ok(Date.now() - started < 1000, `/health answered in ${Date.now() - started} ms`);
      assert.equal(health.status, 503);
      assert.match(health.body, /"failing":"api"/);
      assert.deepEqual(values(health, 'access-control-allow-origin'), ['http://localhost:3001'], 'CORS on the 503');

      await waitFor(
        async () => {
          let pid = 0;
          try {
            pid = stack.apiPid();
          } catch {
            return false; // between kill and restart
          }
          return pid !== hung && (await request(`${stack.base}/health`, { timeoutMs: 1000 })).status === 200;
        },
        20_000 - (Date.now() - started),
      );
      const { alerts } = receiver;
      await waitFor(async () => alerts.length > 0, 5_000);
      assert.equal(alerts.length, 1, JSON.stringify(alerts));
      assert.equal(alerts[0]!.program, 'api');
      assert.match(alerts[0]!.reason, /hung/);
      assert.match(alerts[0]!.text, /^edge-sidecar: api: hung/);
      assert.match(stack.logs(), /"event": "watchdog-restart", "program": "api"/);
    } finally {
      try {
        process.kill(hung, 'SIGCONT');
      } catch {
        // already gone: the watchdog killed it
      }
    }
  });
});
