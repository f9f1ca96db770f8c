// `make run`: the local demo in the foreground — the sidecar on :PORT and the demo page on :3001; Ctrl-C stops all.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { REPO, VENV_BIN } from '../harness/stack.ts';
import { startDemoPage } from './server.ts';

const port = process.env.PORT ?? '8080';
const pagePort = Number(process.env.DEMO_PORT ?? 3001);

const page = await startDemoPage(pagePort).catch((err: Error) => {
  console.error(`make run: cannot serve the demo page on :${pagePort}: ${err.message}`);
  process.exit(2);
});
const stack = spawn(path.join(VENV_BIN, 'python'), [path.join(REPO, 'deploy', 'entrypoint.py')], {
  env: { ...process.env, PATH: `${VENV_BIN}:${process.env.PATH ?? ''}`, PORT: port },
  stdio: 'inherit',
});
console.log(`
  edge-sidecar demo
    API through Caddy   http://localhost:${port}   (health: /health, items: /api/v1/items)
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
  await page.close();
  process.exit(code ?? (signal ? 1 : 0));
});
