// Starts the real stack (deploy/entrypoint.py, what `make serve` and the image run) for tests and benchmarks.
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { Standin } from '../src/auth0-standin/standin.ts';
import { request } from './http.ts';

export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const VENV_BIN = path.join(REPO, '.venv', 'bin');
export const FIXTURES = path.join(REPO, 'tools', 'test', 'fixtures');

/** A port that was free a moment ago (the OS picks it). */
export async function freePort(): Promise<number> {
  return (await freePorts(1))[0]!;
}

/**
 * `n` distinct ports that were free a moment ago: all held open together while the OS picks them, so two
 * calls in a row can never return the same port (a stack whose PORT equals its API_PORT is refused).
 */
export async function freePorts(n: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from(
      { length: n },
      () =>
        new Promise<net.Server>((resolve, reject) => {
          const srv = net.createServer();
          srv.once('error', reject);
          srv.listen(0, '127.0.0.1', () => resolve(srv));
        }),
    ),
  );
  const ports = servers.map((srv) => (srv.address() as net.AddressInfo).port);
  await Promise.all(servers.map((srv) => new Promise((resolve) => srv.close(resolve))));
  return ports;
}

export interface ExitResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Run the entrypoint to completion (bad-configuration cases); kill it if it outlives timeoutMs. */
export function runEntrypoint(env: Record<string, string>, timeoutMs = 15_000): Promise<ExitResult> {
  const child = spawnEntrypoint(env);
  const out = collect(child);
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  return new Promise((resolve) =>
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout: out.stdout(), stderr: out.stderr() });
    }),
  );
}

/**
 * util-linux's setpriv, which makes the entrypoint get SIGTERM when this process dies, however it dies
 * (a test runner killed or timed out): the entrypoint then stops its stack, and supervisord itself gets
 * SIGTERM if the entrypoint is killed (launch.py). So no stack outlives the tests that started it.
 */
const SETPRIV = ['/usr/bin/setpriv', '/bin/setpriv'].find((p) => existsSync(p));

function spawnEntrypoint(env: Record<string, string>): ChildProcess {
  const argv = [path.join(VENV_BIN, 'python'), path.join(REPO, 'deploy', 'entrypoint.py')];
  const [command, ...args] = SETPRIV ? [SETPRIV, '--pdeathsig', 'TERM', ...argv] : argv;
  return spawn(command!, args, {
    env: { PATH: `${VENV_BIN}:${process.env.PATH ?? ''}`, HOME: process.env.HOME ?? '/tmp', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

function collect(child: ChildProcess): { stdout: () => string; stderr: () => string } {
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr?.on('data', (c: Buffer) => (stderr += c.toString()));
  return { stdout: () => stdout, stderr: () => stderr };
}

export interface Stack {
  mode: 'sidecar' | 'direct';
  port: number;
  apiPort: number;
  base: string;
  child: ChildProcess;
  logs: () => string;
  /** SIGTERM the entrypoint and wait for it to exit. */
  stop: () => Promise<ExitResult>;
  /** PID of the uvicorn serving the app (in sidecar mode supervisord's api program, on its socket or API_PORT). */
  apiPid: () => number;
}

export interface StackOptions {
  mode?: 'sidecar' | 'direct';
  env?: Record<string, string>;
  /** Serve the fake app from tools/test/fixtures instead of the reference API. */
  fakeApp?: boolean;
  readyPath?: string;
  readyTimeoutMs?: number;
  /** Point the API's Auth0 settings (AUTH0_ISSUER, AUDIENCE, CLIENT_ID/SECRET, TENANT_CLAIM) at this stand-in. */
  auth?: Standin;
}

/** The stand-in's default audience; the reference API needs one to start. */
export const DEFAULT_AUDIENCE = 'https://api.zebra.associates';

/** AUTH0_* for an API that trusts `standin` (what `make run` and the tests pass). */
export function standinEnv(standin: Standin): Record<string, string> {
  return {
    AUTH0_ISSUER: standin.issuer,
    AUTH0_AUDIENCE: standin.audience,
    AUTH0_CLIENT_ID: standin.clientId,
    AUTH0_CLIENT_SECRET: standin.clientSecret,
    AUTH0_TENANT_CLAIM: standin.tenantClaim,
  };
}

/**
 * AUTH0_* the reference API needs to start, given the caller's options: the stand-in's when there is one;
 * for the reference API without one, an issuer on a closed loopback port (no token can validate: the point
 * of tests that only need the app up); nothing for the fake app.
 */
async function authEnv(opts: StackOptions): Promise<Record<string, string>> {
  if (opts.auth) return standinEnv(opts.auth);
  if (opts.fakeApp !== false) return {};
  return { AUTH0_ISSUER: `http://127.0.0.1:${await freePort()}/`, AUTH0_AUDIENCE: DEFAULT_AUDIENCE };
}

export async function startStack(opts: StackOptions = {}): Promise<Stack> {
  const mode = opts.mode ?? 'sidecar';
  const [port, apiPort] = (await freePorts(2)) as [number, number];
  const env: Record<string, string> = {
    PORT: String(port),
    API_PORT: String(apiPort),
    PROXY_MODE: mode,
    ...(opts.fakeApp !== false ? { APP_MODULE: 'fake_app:app', PYTHONPATH: FIXTURES } : {}),
    ...(await authEnv(opts)),
    ...opts.env,
  };
  const child = spawnEntrypoint(env);
  const out = collect(child);
  const exited = new Promise<ExitResult>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal, stdout: out.stdout(), stderr: out.stderr() })),
  );
  const base = `http://127.0.0.1:${port}`;
  const logs = () => `--- stdout\n${out.stdout()}\n--- stderr\n${out.stderr()}`;
  await waitFor(
    async () => (await request(base + (opts.readyPath ?? '/health/live'), { timeoutMs: 1000 })).status === 200,
    opts.readyTimeoutMs ?? 20_000,
    () => child.exitCode !== null,
  ).catch((err: Error) => {
    child.kill('SIGKILL');
    throw new Error(`${mode} stack did not become ready: ${err.message}\n${logs()}`);
  });
  return {
    mode,
    port,
    apiPort,
    base,
    child,
    logs,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      return exited;
    },
    apiPid: () => (mode === 'sidecar' ? findApiProgram(port) : findUvicorn(port)),
  };
}

/** Wait until a uvicorn other than `oldPid` serves the stack and /health/live answers 200 through it. */
export async function waitForNewApi(stack: Stack, oldPid: number, timeoutMs: number): Promise<void> {
  await waitFor(async () => {
    try {
      return stack.apiPid() !== oldPid && (await request(`${stack.base}/health/live`)).status === 200;
    } catch {
      return false;
    }
  }, timeoutMs);
}

/** Poll `check` until it is true; fail after timeoutMs or as soon as `gone` says the process died. */
export async function waitFor(
  check: () => Promise<boolean>,
  timeoutMs: number,
  gone: () => boolean = () => false,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = 'never checked';
  while (Date.now() < deadline) {
    if (gone()) throw new Error('process exited');
    try {
      if (await check()) return;
      last = 'check was false';
    } catch (err) {
      last = (err as Error).message;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out after ${timeoutMs} ms (${last})`);
}

/** Every process whose environment has PORT=`port`: a stack's entrypoint, supervisord and programs. */
export function stackPids(port: number, match: (argv: string[]) => boolean = () => true): number[] {
  const found: number[] = [];
  for (const entry of readdirSync('/proc').filter((e) => /^\d+$/.test(e))) {
    try {
      const argv = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
      const environ = readFileSync(`/proc/${entry}/environ`, 'utf8').split('\0');
      if (environ.includes(`PORT=${port}`) && match(argv)) found.push(Number(entry));
    } catch {
      // a process that ended while we looked
    }
  }
  return found;
}

/** PID of the `caddy run` serving the stack on `port`. */
export function caddyPid(port: number): number {
  const [pid] = stackPids(port, (argv) => argv[0]?.endsWith('caddy') === true);
  if (pid === undefined) throw new Error(`no caddy for port ${port}`);
  return pid;
}

/**
 * Whether a command line is a sidecar stack's api program: uvicorn (exec'd by edge_sidecar.api_socket with
 * API_TRANSPORT=unix, so the pid is the same), not the fallback's direct app and not a worker it spawned.
 */
export function isApiProgram(argv: readonly string[]): boolean {
  return argv.some((a) => a.endsWith('/uvicorn') || a === 'uvicorn') && !argv.includes('edge_sidecar.direct:create_app');
}

/** PID of the api program of the sidecar stack on `port` (whichever transport it listens on). */
export function findApiProgram(port: number): number {
  const [pid] = stackPids(port, isApiProgram);
  if (pid === undefined) throw new Error(`no api program for the stack on port ${port}`);
  return pid;
}

/** The uvicorn process listening on `port`, found through /proc (its command line names the port). */
export function findUvicorn(port: number): number {
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let argv: string[];
    try {
      argv = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
    } catch {
      continue;
    }
    const i = argv.indexOf('--port');
    if (argv.some((a) => a.endsWith('uvicorn')) && i >= 0 && argv[i + 1] === String(port)) return Number(entry);
  }
  throw new Error(`no uvicorn on port ${port}`);
}

/** A sidecar stack's private run directory (EDGE_RUN_DIR, found in supervisord's environment). */
export function runDir(stack: Stack): string {
  const children = readFileSync(`/proc/${stack.child.pid}/task/${stack.child.pid}/children`, 'utf8').trim().split(/\s+/);
  const environ = readFileSync(`/proc/${children[0]}/environ`, 'utf8').split('\0');
  return environ.find((e) => e.startsWith('EDGE_RUN_DIR='))!.slice('EDGE_RUN_DIR='.length);
}

/** supervisorctl against a sidecar stack's private socket. */
export async function supervisorctl(stack: Stack, ...args: string[]): Promise<string> {
  const { stdout } = await promisify(execFile)(path.join(VENV_BIN, 'supervisorctl'), [
    '-s',
    `unix://${runDir(stack)}/supervisor.sock`,
    ...args,
  ]);
  return stdout;
}
