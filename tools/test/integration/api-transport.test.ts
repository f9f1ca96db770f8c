// API_TRANSPORT through the real stack: with unix the API listens only on a 0700 socket in the stack's private run
// directory, owned by the stack's user, unreachable by anyone else and not on API_PORT, and everything reaches it
// there (Caddy's /health and proxy, proxy headers from the edge, the watchdog, a restart); with tcp, on
// 127.0.0.1:API_PORT as before.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, lstatSync, readFileSync, readlinkSync, statSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { request, values } from '../../testkit/http.ts';
import { runDir, type Stack, stackPids, startStack, VENV_BIN, waitForNewApi } from '../../testkit/stack.ts';

const ORIGIN = 'http://localhost:3001';
// The edge is loopback here, so requests from this test carry the edge's X-Forwarded-* into the API.
const EDGE = { TRUSTED_PROXIES: '127.0.0.0/8' };
const FORWARDED = { 'X-Forwarded-For': '203.0.113.7', 'X-Forwarded-Proto': 'https' };

/** 'open' when something accepts a TCP connection on 127.0.0.1:port, else the error code. */
function tcpConnect(port: number): Promise<string> {
  return new Promise((resolve) => {
    const sock = net.connect({ host: '127.0.0.1', port, timeout: 2000 });
    sock.once('connect', () => {
      sock.destroy();
      resolve('open');
    });
    sock.once('timeout', () => {
      sock.destroy();
      resolve('timeout');
    });
    sock.once('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? err.message));
  });
}

/** Real uid of a process. */
function uidOf(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8')
    .split('\n')
    .find((l) => l.startsWith('Uid:'))!;
  return Number(line.split(/\s+/)[1]);
}

const parentOf = (pid: number): number => Number(readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ')[1]);

/** The path of the Unix socket a process holds as `fd` (from /proc/net/unix), or undefined. */
function unixSocketPathOf(pid: number, fd: number): string | undefined {
  const inode = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`))?.[1];
  const line = readFileSync('/proc/net/unix', 'utf8')
    .split('\n')
    .find((l) => l.trim().split(/\s+/)[6] === inode);
  return line?.trim().split(/\s+/)[7];
}

async function servesEndToEnd(stack: Stack): Promise<void> {
  const health = await request(`${stack.base}/health`, { headers: { Origin: ORIGIN } });
  assert.equal(health.status, 200, health.body);
  const live = await request(`${stack.base}/health/live`, { headers: { Origin: ORIGIN } });
  assert.equal(live.status, 200, live.body);
  assert.deepEqual(values(live, 'access-control-allow-origin'), [ORIGIN]);
  // The edge's X-Forwarded-For/-Proto are believed by the API: the client and scheme are the browser's.
  const echo = await request(`${stack.base}/fake/echo`, { headers: { Origin: ORIGIN, ...FORWARDED } });
  const seen = JSON.parse(echo.body) as { client: [string, number]; scheme: string };
  assert.deepEqual({ client: seen.client[0], scheme: seen.scheme }, { client: '203.0.113.7', scheme: 'https' }, echo.body);
}

describe('API_TRANSPORT=unix', () => {
  let stack: Stack;
  let socketPath: string;
  before(async () => {
    stack = await startStack({ env: { API_TRANSPORT: 'unix', ...EDGE } });
    socketPath = path.join(runDir(stack), 'api.sock');
  });
  after(async () => {
    await stack?.stop();
  });

  test("a 0700 socket in the stack's private run directory, owned by the stack's user; nothing on API_PORT", async () => {
    const sock = lstatSync(socketPath);
    assert.ok(sock.isSocket(), `${socketPath} is not a socket`);
    assert.equal((sock.mode & 0o777).toString(8), '700');
    assert.equal((statSync(runDir(stack)).mode & 0o777).toString(8), '700', 'the run directory is private too');
    const api = stack.apiPid();
    assert.equal(sock.uid, uidOf(api), 'owned by the user the API runs as');
    assert.equal(sock.uid, process.getuid!(), 'the user who started the stack');
    // supervisord's child is uvicorn itself (api_socket exec'd it), serving the socket as fd 3.
    const supervisord = stackPids(stack.port, (argv) => argv.some((a) => a.endsWith('/supervisord')))[0]!;
    assert.equal(parentOf(api), supervisord);
    assert.ok(readFileSync(`/proc/${api}/cmdline`, 'utf8').split('\0').includes('--fd'));
    assert.equal(unixSocketPathOf(api, 3), socketPath);
    assert.deepEqual(
      stackPids(stack.port, (argv) => argv.includes('edge_sidecar.api_socket')),
      [],
      'no launcher left',
    );
    assert.equal(await tcpConnect(stack.apiPort), 'ECONNREFUSED', `nothing listens on API_PORT ${stack.apiPort}`);
  });

  test('another user cannot connect to it', { skip: process.getuid?.() !== 0 && 'needs root to act as another user' }, () => {
    const script = `import socket; socket.socket(socket.AF_UNIX).connect(${JSON.stringify(socketPath)})`;
    const other = spawnSync(
      'setpriv',
      ['--reuid=65534', '--regid=65534', '--clear-groups', path.join(VENV_BIN, 'python'), '-c', script],
      { encoding: 'utf8' },
    );
    assert.notEqual(other.status, 0, 'nobody connected');
    assert.match(other.stderr, /PermissionError/);
  });

  test("Caddy's /health and proxy reach the API there, with the edge's proxy headers believed", async () => {
    await servesEndToEnd(stack);
  });

  test('kill -9 of the API: the restarted one binds a fresh 0700 socket and serves', async () => {
    const old = stack.apiPid();
    process.kill(old, 'SIGKILL');
    await waitForNewApi(stack, old, 30_000);
    assert.equal((lstatSync(socketPath).mode & 0o777).toString(8), '700');
    await servesEndToEnd(stack);
  });

  test('the watchdog probes the socket: a hung (SIGSTOPped) API is restarted', async () => {
    const hung = stack.apiPid();
    process.kill(hung, 'SIGSTOP');
    try {
      await waitForNewApi(stack, hung, 30_000);
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

test('API_TRANSPORT=unix: an API_PORT another program holds does not stop the start', async () => {
  const held = net.createServer().listen(0, '127.0.0.1');
  await new Promise((resolve) => held.once('listening', resolve));
  const stack = await startStack({ env: { API_TRANSPORT: 'unix', API_PORT: String((held.address() as net.AddressInfo).port) } });
  try {
    assert.equal((await request(`${stack.base}/health`)).status, 200);
  } finally {
    await stack.stop();
    held.close();
  }
});

describe('API_TRANSPORT=tcp', () => {
  let stack: Stack;
  before(async () => {
    stack = await startStack({ env: { API_TRANSPORT: 'tcp', ...EDGE } });
  });
  after(async () => {
    await stack?.stop();
  });

  test('uvicorn listens on 127.0.0.1:API_PORT and there is no socket', async () => {
    assert.equal(await tcpConnect(stack.apiPort), 'open');
    assert.ok(!existsSync(path.join(runDir(stack), 'api.sock')));
    const argv = readFileSync(`/proc/${stack.apiPid()}/cmdline`, 'utf8').split('\0');
    assert.deepEqual(argv.slice(argv.indexOf('--host'), argv.indexOf('--host') + 4), [
      '--host',
      '127.0.0.1',
      '--port',
      String(stack.apiPort),
    ]);
  });

  test("Caddy's /health and proxy reach the API there, with the edge's proxy headers believed", async () => {
    await servesEndToEnd(stack);
  });
});
