// `make run`'s program: the Auth0 stand-in, the demo page and the sidecar come up together, a login works, and Ctrl-C stops all cleanly.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { CookieJar } from '../../src/auth0-standin/client.ts';
import { apiCall, loginThroughApi } from '../../testkit/auth.ts';
import { request, values } from '../../testkit/http.ts';
import { freePorts, REPO, VENV_BIN, waitFor } from '../../testkit/stack.ts';

const WAITING = /waiting for the stack to answer \/health \.\.\./;
/** A first start on a loaded machine is slow; run.ts itself waits longer than this. */
const START_MS = 120_000;

/** `tools/src/demo/run.ts` as `make run` starts it, on free ports; output is stdout and stderr interleaved. */
async function startRun(env: Record<string, string> = {}) {
  const [port, apiPort, pagePort, standinPort] = (await freePorts(4)) as [number, number, number, number];
  const dataDir = mkdtempSync(path.join(tmpdir(), 'edge-sidecar-run-'));
  const child = spawn(path.join(REPO, 'tools/node_modules/.bin/tsx'), [path.join(REPO, 'tools/src/demo/run.ts')], {
    env: {
      ...process.env,
      PATH: `${VENV_BIN}:${process.env.PATH ?? ''}`,
      PORT: String(port),
      // Not the default 8000: other stacks may run on this machine.
      API_PORT: String(apiPort),
      DEMO_PORT: String(pagePort),
      AUTH0_STANDIN_PORT: String(standinPort),
      DATABASE_URL: `sqlite:///${dataDir}/demo.db`,
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const run = {
    child,
    port,
    pagePort,
    standinPort,
    dataDir,
    output: '',
    /** What /health answered the instant the `==> open` line first appeared in the output. */
    healthWhenPrinted: undefined as Promise<number | string> | undefined,
    exited: new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code))),
  };
  const onData = (c: Buffer): void => {
    run.output += c.toString();
    if (run.healthWhenPrinted === undefined && run.output.includes('==> open ')) {
      run.healthWhenPrinted = request(`http://127.0.0.1:${port}/health`, { timeoutMs: 5_000 }).then(
        (res) => res.status,
        (err: Error) => err.message,
      );
    }
  };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);
  return run;
}

test('make run serves the page, the stand-in and the API; a login works; SIGINT stops everything with exit code 0', async () => {
  const run = await startRun();
  const { child, port, pagePort, standinPort, dataDir, exited } = run;
  const output = (): string => run.output;
  try {
    // The URLs come only once the stack answers /health: nothing to wait for here but the line itself.
    await waitFor(
      async () => output().includes('==> open '),
      START_MS,
      () => child.exitCode !== null,
    ).catch((err: Error) => {
      throw new Error(`no "==> open" line: ${err.message}\n${output()}`);
    });
    assert.equal(await run.healthWhenPrinted, 200, `/health answered 200 when the URLs were printed:\n${output()}`);
    const waiting = output().search(WAITING);
    const urls = output().indexOf('edge-sidecar demo');
    assert.ok(waiting >= 0, `one "waiting for the stack to answer /health ..." line:\n${output()}`);
    assert.equal(output().match(new RegExp(WAITING, 'g'))?.length, 1, 'the waiting line is printed once');
    assert.ok(urls > waiting, `the URLs come after the waiting line:\n${output()}`);
    const openLine = `==> open http://localhost:${pagePort}/?api=http://localhost:${port}`;
    assert.ok(output().split('\n').includes(openLine), `the last line of the URLs is "${openLine}":\n${output()}`);
    assert.ok(output().indexOf(openLine) > urls, 'the ==> open line ends the URL block');
    const page = await request(`http://127.0.0.1:${pagePort}/`);
    assert.equal(page.status, 200);
    assert.match(page.body, /credentials: 'include'/);
    assert.match(page.body, /data-auth="login"/, 'the page has a login button');
    assert.match(page.body, /api\/v1\/auth\/auth0-url/);
    const callbackPage = await request(`http://127.0.0.1:${pagePort}/callback?code=x&state=y`);
    assert.equal(callbackPage.status, 200, 'the page also answers on /callback, where the login returns');
    assert.equal(callbackPage.body, page.body);
    assert.match(output(), new RegExp(`demo page +http://localhost:${pagePort}/\\?api=http://localhost:${port}`));
    assert.match(output(), new RegExp(`Auth0 stand-in +http://127\\.0\\.0\\.1:${standinPort}/`));
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
    assert.equal(code, 0, output());
  }
});

test('make run gives up with one clear line and no URLs when the stack exits before /health answers', async () => {
  // An invalid variable: the entrypoint refuses it and exits 2 before anything serves.
  const run = await startRun({ CORS_MAX_AGE: 'soon' });
  const { child, dataDir, exited } = run;
  const killer = setTimeout(() => child.kill('SIGKILL'), START_MS);
  try {
    const code = await exited;
    const output = run.output;
    assert.equal(code, 2, `the stack's exit code is make run's:\n${output}`);
    assert.match(output, WAITING);
    assert.match(output, /edge-sidecar: invalid configuration: CORS_MAX_AGE/, output);
    const gaveUp = output.split('\n').filter((l) => l.startsWith('make run: the stack exited'));
    assert.deepEqual(
      gaveUp,
      ['make run: the stack exited with exit code 2 before it answered /health with 200; its last log lines above say why.'],
      output,
    );
    assert.doesNotMatch(output, /==> open|edge-sidecar demo/, 'no URLs are printed');
  } finally {
    clearTimeout(killer);
    rmSync(dataDir, { recursive: true, force: true });
  }
});
