// `make run`: the local demo in the foreground — the Auth0 stand-in, the sidecar on :PORT and the demo page on :3001; Ctrl-C stops all.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { request } from '../../testkit/http.ts';
import { REPO, standinEnv, VENV_BIN, waitFor } from '../../testkit/stack.ts';
import { parseServerArgs } from '../auth0-standin/config.ts';
import { startStandin } from '../auth0-standin/standin.ts';
import { banner, exitedBeforeReady, notReadyInTime, READY_TIMEOUT_MS, WAITING_LINE } from './banner.ts';
import { startDemoPage } from './server.ts';

const port = process.env.PORT ?? '8080';
const pagePort = Number(process.env.DEMO_PORT ?? 3001);

// The stand-in reads AUTH0_STANDIN_PORT (default 3002) and its other AUTH0_STANDIN_* / AUTH0_* settings.
const standin = await (async () => {
  try {
    return await startStandin(parseServerArgs([], process.env).options);
  } catch (err) {
    console.error(`make run: cannot start the Auth0 stand-in: ${(err as Error).message}`);
    process.exit(2);
  }
})();
const page = await startDemoPage(pagePort).catch(async (err: Error) => {
  console.error(`make run: cannot serve the demo page on :${pagePort}: ${err.message}`);
  await standin.stop();
  process.exit(2);
});
const stack = spawn(path.join(VENV_BIN, 'python'), [path.join(REPO, 'deploy', 'entrypoint.py')], {
  // The API's docs (/docs) are off in production (docs/security.md); the local demo turns them on.
  env: { API_DOCS: 'true', ...process.env, ...standinEnv(standin), PATH: `${VENV_BIN}:${process.env.PATH ?? ''}`, PORT: port },
  stdio: 'inherit',
});
let stopping = false;
let ready = false;
let failed = false;
const stop = () => {
  if (stopping) return;
  stopping = true;
  stack.kill('SIGTERM');
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
stack.on('exit', async (code, signal) => {
  if (!ready && !stopping) console.error(exitedBeforeReady(code, signal));
  await Promise.all([page.close(), standin.stop()]);
  process.exit(failed ? 1 : (code ?? (signal ? 1 : 0)));
});

// The URLs only once the stack answers /health (proxy, API and DB ready) through Caddy on $PORT.
console.log(WAITING_LINE);
let last = 'no answer yet';
const healthy = async () => {
  const res = await request(`http://127.0.0.1:${port}/health`, { timeoutMs: 2_000 }).catch((err: Error) => {
    last = err.message;
    throw err;
  });
  last = `HTTP ${res.status}`;
  return res.status === 200;
};
const gone = () => stack.exitCode !== null || stack.signalCode !== null;
await waitFor(healthy, READY_TIMEOUT_MS, gone).then(
  () => {
    ready = true;
    console.log(
      banner({
        port,
        issuer: standin.issuer,
        devUserEmail: standin.devUser.email,
        tenantId: standin.devUser.tenantId,
        pageUrl: page.url,
      }),
    );
  },
  () => {
    // An exit is reported by the exit handler; a timeout here.
    if (gone() || stopping) return;
    failed = true;
    console.error(notReadyInTime(READY_TIMEOUT_MS, last));
    stop();
  },
);
