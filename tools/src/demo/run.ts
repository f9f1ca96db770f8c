// `make run`: the local demo in the foreground — the Auth0 stand-in, the sidecar on :PORT and the demo page on :3001; Ctrl-C stops all.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { parseServerArgs } from '../auth0-standin/config.ts';
import { startStandin } from '../auth0-standin/standin.ts';
import { REPO, standinEnv, VENV_BIN } from '../harness/stack.ts';
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
  env: { ...process.env, ...standinEnv(standin), PATH: `${VENV_BIN}:${process.env.PATH ?? ''}`, PORT: port },
  stdio: 'inherit',
});
console.log(`
  edge-sidecar demo
    API through Caddy   http://localhost:${port}   (health: /health, items: /api/v1/items, login: /api/v1/auth/*)
    Auth0 stand-in      ${standin.issuer}   (logs in ${standin.devUser.email}, tenant ${standin.devUser.tenantId}, without a form)
    demo page           ${page.url}/?api=http://localhost:${port}
  Ctrl-C stops everything.
`);
let stopping = false;
const stop = () => {
  if (stopping) return;
  stopping = true;
  stack.kill('SIGTERM');
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
stack.on('exit', async (code, signal) => {
  await Promise.all([page.close(), standin.stop()]);
  process.exit(code ?? (signal ? 1 : 0));
});
