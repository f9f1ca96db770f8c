// `make run`'s program: the demo page and the sidecar come up together, and Ctrl-C stops both cleanly.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { request, values } from '../../src/harness/http.ts';
import { freePort, REPO, VENV_BIN, waitFor } from '../../src/harness/stack.ts';

test('make run serves the page and the API, and SIGINT stops everything with exit code 0', async () => {
  const [port, pagePort] = [await freePort(), await freePort()];
  const dataDir = mkdtempSync(path.join(tmpdir(), 'edge-sidecar-run-'));
  const child = spawn(path.join(REPO, 'tools/node_modules/.bin/tsx'), [path.join(REPO, 'tools/src/demo/run.ts')], {
    env: {
      ...process.env,
      PATH: `${VENV_BIN}:${process.env.PATH ?? ''}`,
      PORT: String(port),
      DEMO_PORT: String(pagePort),
      DATABASE_URL: `sqlite:///${dataDir}/demo.db`,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr.on('data', (c: Buffer) => (output += c.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  try {
    await waitFor(async () => (await request(`http://127.0.0.1:${port}/health`)).status === 200, 30_000, () => child.exitCode !== null);
    const page = await request(`http://127.0.0.1:${pagePort}/`);
    assert.equal(page.status, 200);
    assert.match(page.body, /credentials: 'include'/);
    assert.match(output, new RegExp(`demo page +http://localhost:${pagePort}`));
    // The page's origin is http://localhost:3001 only on the default port; ask as the default policy allows.
    const items = await request(`http://127.0.0.1:${port}/api/v1/items`, {
      headers: { Origin: 'http://localhost:3001', 'X-Tenant-ID': 'demo' },
    });
    assert.equal(items.status, 200, items.body);
    assert.deepEqual(values(items, 'access-control-allow-origin'), ['http://localhost:3001']);
  } finally {
    child.kill('SIGINT');
    const code = await exited;
    rmSync(dataDir, { recursive: true, force: true });
    assert.equal(code, 0, output);
  }
});
