// `make run`'s program: the Auth0 stand-in, the demo page and the sidecar come up together, a login works, and Ctrl-C stops all cleanly.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { CookieJar } from '../../src/auth0-standin/client.ts';
import { apiCall, loginThroughApi } from '../../src/harness/auth.ts';
import { request, values } from '../../src/harness/http.ts';
import { freePort, REPO, VENV_BIN, waitFor } from '../../src/harness/stack.ts';

test('make run serves the page, the stand-in and the API; a login works; SIGINT stops everything with exit code 0', async () => {
  const [port, pagePort, standinPort] = [await freePort(), await freePort(), await freePort()];
  const dataDir = mkdtempSync(path.join(tmpdir(), 'edge-sidecar-run-'));
  const child = spawn(path.join(REPO, 'tools/node_modules/.bin/tsx'), [path.join(REPO, 'tools/src/demo/run.ts')], {
    env: {
      ...process.env,
      PATH: `${VENV_BIN}:${process.env.PATH ?? ''}`,
      PORT: String(port),
      DEMO_PORT: String(pagePort),
      AUTH0_STANDIN_PORT: String(standinPort),
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
    assert.match(page.body, /data-auth="login"/, 'the page has a login button');
    assert.match(page.body, /api\/v1\/auth\/auth0-url/);
    const callbackPage = await request(`http://127.0.0.1:${pagePort}/callback?code=x&state=y`);
    assert.equal(callbackPage.status, 200, 'the page also answers on /callback, where the login returns');
    assert.equal(callbackPage.body, page.body);
    assert.match(output, new RegExp(`demo page +http://localhost:${pagePort}`));
    assert.match(output, new RegExp(`Auth0 stand-in +http://127\\.0\\.0\\.1:${standinPort}/`));
    // The page's origin is http://localhost:3001 only on the default port; log in and ask as the default policy allows.
    const origin = 'http://localhost:3001';
    const api = `http://127.0.0.1:${port}`;
    const anonymous = await request(`${api}/api/v1/items`, { headers: { Origin: origin } });
    assert.equal(anonymous.status, 401, anonymous.body);
    assert.deepEqual(values(anonymous, 'access-control-allow-origin'), [origin], 'the 401 carries CORS');
    const { accessToken } = await loginThroughApi(api, { origin, redirectUri: `${origin}/callback` });
    const items = await apiCall(api, '/api/v1/items', { origin, jar: new CookieJar() }, { token: accessToken });
    assert.equal(items.status, 200, items.body);
    assert.deepEqual(values(items, 'access-control-allow-origin'), [origin]);
  } finally {
    child.kill('SIGINT');
    const code = await exited;
    rmSync(dataDir, { recursive: true, force: true });
    assert.equal(code, 0, output);
  }
});
