// One uvicorn process per program, whatever WEB_CONCURRENCY says (uvicorn would read it as --workers): with a
// worker manager in between, supervisord never saw an app's exit 78 (the stack restarted it forever instead of
// stopping with 2) and a SIGKILLed API left workers holding its port (docs/bench/workers.md). A warning says so.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { request } from '../../testkit/http.ts';
import { freePorts, runEntrypoint, stackPids, startStack, waitForNewApi } from '../../testkit/stack.ts';

const MANY = { WEB_CONCURRENCY: '2' };
const spawned = (port: number) => stackPids(port, (argv) => argv.some((a) => a.includes('multiprocessing')));

for (const mode of ['sidecar', 'direct'] as const) {
  test(`${mode}: WEB_CONCURRENCY=2 starts one uvicorn, and a warning says it is not used`, async () => {
    const stack = await startStack({ mode, env: MANY });
    try {
      assert.equal((await request(`${stack.base}/health/live`)).status, 200);
      assert.deepEqual(spawned(stack.port), [], 'no worker processes');
      assert.match(stack.logs(), /"event": "web-concurrency-ignored"/);
      if (mode === 'sidecar') {
        // The watchdog's and a crash's SIGKILL end the whole API; the next one binds its port again.
        const old = stack.apiPid();
        process.kill(old, 'SIGKILL');
        await waitForNewApi(stack, old, 30_000);
      }
    } finally {
      await stack.stop();
    }
  });
}

test('WEB_CONCURRENCY=2: an app that refuses its configuration still stops the stack with exit code 2', async () => {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'edge-sidecar-one-process-'));
  try {
    const [port, apiPort] = await freePorts(2);
    const result = await runEntrypoint(
      {
        ...MANY,
        PORT: String(port),
        API_PORT: String(apiPort),
        AUTH0_ISSUER: 'http://127.0.0.1:9/',
        DATABASE_URL: `sqlite:///${dataDir}/x.db`,
      },
      60_000,
    );
    assert.equal(result.code, 2, result.stderr);
    assert.match(result.stderr, /refused its configuration \(exit status 78\)/);
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
});
