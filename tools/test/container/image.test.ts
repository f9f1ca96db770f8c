// The real image under a real Docker engine, run the way Railway runs it: random PORT, CORS_* set,
// one published port. Built once per run (deploy/image/build.sh; cached layers make it ~1 s).
import assert from 'node:assert/strict';
import { randomInt } from 'node:crypto';
import { chmodSync, copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, beforeEach, describe, test } from 'node:test';
import { type ProbeReport, runProbe } from '../../src/probe/index.ts';
import { judgeAllowedResponse } from '../../src/probe/judges.ts';
import {
  buildImage,
  type Container,
  containerProcesses,
  docker,
  dockerOk,
  dockerTop,
  ensureEngine,
  IMAGE,
  imageDefault,
  labelArgs,
  removeRunContainers,
  startContainer,
  uniqueName,
  waitHealthy,
} from '../../testkit/docker.ts';
import { request, values } from '../../testkit/http.ts';
import { killRepeatedly } from '../../testkit/kill.ts';
import { ALLOWED, POLICY_ENV } from '../../testkit/policy.ts';
import { FIXTURES, waitFor } from '../../testkit/stack.ts';
import { assertOneLineRefusal, REFUSED_BY_ENTRYPOINT } from '../attack/configuration-cases.ts';

const API_PORT = Number(imageDefault('API_PORT'));
/** Railway picks the port and passes it as PORT; anything but the API's port. */
const railwayPort = (): number => 20_000 + randomInt(40_000);
/** What a Railway service of this project sets (plus variables Railway itself adds). */
const RAILWAY_ENV = {
  ...POLICY_ENV,
  RAILWAY_ENVIRONMENT_NAME: 'production',
  RAILWAY_SERVICE_NAME: 'api',
  RAILWAY_DEPLOYMENT_DRAINING_SECONDS: '30',
  // The reference API needs Auth0 settings to start. A container cannot reach a stand-in on the host's
  // loopback, so the issuer is a closed port inside it: tokens cannot validate, requests without one get 401.
  AUTH0_ISSUER: 'http://127.0.0.1:9/',
  AUTH0_AUDIENCE: 'https://api.zebra.associates',
};

const failures = (r: ProbeReport): string =>
  r.cases
    .filter((c) => !c.ok)
    .map((c) => `${c.name} ${c.origin ?? ''}: ${c.reason ?? ''}`)
    .join('\n');

/** The cors-probe battery against the reference API through the published port. */
const ERROR_PATHS = [
  '/api/v1/items/999999', // 401 from the API: no bearer token on the probe's GET
  '/api/v1/no-such-route', // 404 from the API
];
async function probeBattery(c: Container, errorPath: string): Promise<void> {
  const report = await runProbe({
    baseUrl: c.base,
    origins: [...ALLOWED, 'https://*.preview.zebra.associates'],
    path: '/health/live',
    errorPath,
    method: 'PATCH',
    requestHeaders: ['Content-Type', 'X-Tenant-ID', 'Authorization'],
  });
  assert.ok(report.cases.length > 20, 'the battery ran');
  assert.ok(report.ok, `${failures(report)}\n${await c.logs()}`);
}

/** The API's own 401 (no bearer token) keeps the sidecar's (or the rollback's) CORS for an allowed origin. */
async function items401(c: Container): Promise<void> {
  const origin = ALLOWED[1]!;
  const res = await request(`${c.base}/api/v1/items`, { headers: { Origin: origin } });
  assert.equal(res.status, 401, res.body);
  assert.equal((JSON.parse(res.body) as { error?: string }).error, 'invalid_token', res.body);
  assert.deepEqual(judgeAllowedResponse(res, { origin, credentials: true }), [], 'CORS on the 401');
}

/** Connect and close: 'open', 'refused', or the error code. */
function tcpConnect(host: string, port: number, timeoutMs = 3000): Promise<string> {
  return new Promise((resolve) => {
    const sock = net.connect({ host, port });
    sock.setTimeout(timeoutMs, () => {
      sock.destroy();
      resolve('timeout');
    });
    sock.once('connect', () => {
      sock.destroy();
      resolve('open');
    });
    sock.once('error', (err: NodeJS.ErrnoException) => resolve(err.code === 'ECONNREFUSED' ? 'refused' : String(err.code)));
  });
}

before(
  async () => {
    await ensureEngine();
    await buildImage();
  },
  { timeout: 15 * 60_000 },
);

after(async () => {
  await removeRunContainers();
});

const RAILWAY_HEALTHCHECK =
  'a Railway healthcheck (Host: healthcheck.railway.app, GET /health) gets 200 within 15 s of docker run';

describe('sidecar mode, run as Railway runs it', { timeout: 120_000 }, () => {
  let c: Container;
  before(async () => {
    c = await startContainer({ what: 'sidecar', port: railwayPort(), env: RAILWAY_ENV });
  });
  // The healthcheck test times the start itself; the others only need it done (e.g. when run alone).
  beforeEach(async (t) => {
    if (t.name !== RAILWAY_HEALTHCHECK) await waitHealthy(c);
  });
  after(async () => {
    await c?.remove();
  });

  test(RAILWAY_HEALTHCHECK, async (t) => {
    const deadline = c.startedAt + 15_000;
    let last = 'no answer yet';
    let ok = false;
    while (!ok && Date.now() < deadline && !c.exited()) {
      try {
        const res = await request(`${c.base}/health`, {
          headers: { Host: 'healthcheck.railway.app' },
          timeoutMs: Math.max(100, Math.min(2000, deadline - Date.now())),
        });
        ok = res.status === 200;
        last = `${res.status} ${res.body.slice(0, 120)}`;
      } catch (err) {
        last = (err as Error).message;
      }
      if (!ok) await new Promise((r) => setTimeout(r, 200));
    }
    assert.ok(ok, `no 200 within 15 s of docker run (last: ${last})\n${await c.logs()}`);
    t.diagnostic(`healthy ${Date.now() - c.startedAt} ms after docker run`);
  });

  test('/health is 200 with a JSON body through the published port', async () => {
    const res = await request(`${c.base}/health`);
    assert.equal(res.status, 200, res.body);
    assert.match(values(res, 'content-type')[0] ?? '', /application\/json/);
    assert.equal((JSON.parse(res.body) as { status?: string }).status, 'ok', res.body);
  });

  for (const errorPath of ERROR_PATHS) {
    test(`the cors-probe battery passes, error path ${errorPath}`, async () => {
      await probeBattery(c, errorPath);
    });
  }

  test('/api/v1/items without a token: 401 JSON with CORS', async () => {
    await items401(c);
  });

  test('every process in the container runs as a non-root user', async () => {
    const top = await dockerTop(c); // the host's view
    assert.ok(top.length >= 4, `docker top: ${JSON.stringify(top)}`);
    for (const p of top) {
      assert.ok(
        [p.ruid, p.euid, p.suid, p.fsuid].every((u) => u !== 0),
        `root process: ${JSON.stringify(p)}`,
      );
    }
    const procs = await containerProcesses(c); // from inside: /proc, with roles
    const roles = new Set(procs.map((p) => p.role));
    for (const role of ['entrypoint', 'supervisord', 'uvicorn', 'caddy']) {
      assert.ok(roles.has(role), `no ${role} among ${JSON.stringify(procs.map((p) => p.argv))}`);
    }
    for (const p of procs) {
      assert.ok(
        [...p.uids, ...p.gids].every((id) => id !== 0),
        `${p.role}: uids ${p.uids} gids ${p.gids}`,
      );
    }
  });

  test(`$API_PORT (${API_PORT}) is refused on the container's address while $PORT answers there`, async () => {
    const ip = await c.ip();
    // The API does listen, on loopback inside the container: the refusal is the bind, not its absence.
    const inside = await c.exec([
      'python',
      '-c',
      `import socket; socket.create_connection(("127.0.0.1", ${API_PORT}), 2).close()`,
    ]);
    assert.equal(inside.code, 0, `API not listening on 127.0.0.1:${API_PORT} inside: ${inside.stderr}`);
    assert.equal(await tcpConnect(ip, API_PORT), 'refused', `${ip}:${API_PORT}`);
    const res = await request(`http://${ip}:${c.port}/health/live`, { timeoutMs: 3000 });
    assert.equal(res.status, 200, `${ip}:${c.port}`);
  });

  test("Docker's own HEALTHCHECK (for Docker and Render) reports healthy", async () => {
    await waitFor(
      async () => (await dockerOk(['inspect', '-f', '{{.State.Health.Status}}', c.id])) === 'healthy',
      40_000,
      c.exited,
    );
  });
});

// API_TRANSPORT=unix in the image: the socket belongs to the image's user (10001), as the run directory does.
const SOCKET_FACTS = `
import glob, json, os, socket, stat
[path] = glob.glob("/tmp/edge-sidecar-*/api.sock")
info = os.lstat(path)
try:
    socket.create_connection(("127.0.0.1", ${API_PORT}), 2).close()
    api_port = "open"
except OSError as err:
    api_port = type(err).__name__
print(json.dumps({"socket": stat.S_ISSOCK(info.st_mode), "mode": oct(stat.S_IMODE(info.st_mode)),
                  "dir_mode": oct(stat.S_IMODE(os.stat(os.path.dirname(path)).st_mode)),
                  "uid": info.st_uid, "me": os.getuid(), "api_port": api_port}))
`;
describe('API_TRANSPORT=unix, run as Railway runs it', { timeout: 120_000 }, () => {
  let c: Container;
  before(async () => {
    c = await startContainer({ what: 'unix', port: railwayPort(), env: { ...RAILWAY_ENV, API_TRANSPORT: 'unix' } });
    await waitHealthy(c);
  });
  after(async () => {
    await c?.remove();
  });

  test("the API listens only on a 0700 socket owned by the image's user, and serves through Caddy", async () => {
    const inside = await c.exec(['python', '-c', SOCKET_FACTS]);
    assert.equal(inside.code, 0, inside.stderr);
    assert.deepEqual(JSON.parse(inside.stdout), {
      socket: true,
      mode: '0o700',
      dir_mode: '0o700',
      uid: 10001,
      me: 10001,
      api_port: 'ConnectionRefusedError',
    });
    await items401(c);
  });
});

describe('PROXY_MODE=direct (the rollback), run as Railway runs it', { timeout: 120_000 }, () => {
  let c: Container;
  before(async () => {
    c = await startContainer({ what: 'direct', port: railwayPort(), env: { ...RAILWAY_ENV, PROXY_MODE: 'direct' } });
    await waitHealthy(c);
  });
  after(async () => {
    await c?.remove();
  });

  test('uvicorn alone serves $PORT: no Caddy, no supervisord', async () => {
    const roles = (await containerProcesses(c)).map((p) => p.role).sort();
    assert.deepEqual(roles, ['uvicorn']);
  });

  for (const errorPath of ERROR_PATHS) {
    test(`the same cors-probe battery passes, error path ${errorPath}`, async () => {
      await probeBattery(c, errorPath);
    });
  }

  test('/api/v1/items without a token: 401 JSON with CORS', async () => {
    await items401(c);
  });
});

describe('a bad variable stops docker run with one clear line on stderr', { timeout: 120_000 }, () => {
  const CASES: [name: string, value: string][] = [
    ['CORS_ALLOW_ORIGINS', 'https://x.example.com/'],
    ['CORS_ALLOW_ORIGINS', 'null'],
    ['CORS_ALLOW_ORIGINS', 'https://*.*.example.com'],
    ['CORS_MAX_AGE', 'ten'],
    ['PROXY_MODE', 'bogus'],
  ];
  for (const [name, value] of CASES) {
    test(`${name}=${value}`, async () => {
      const res = await docker(
        [
          'run',
          '--rm',
          '--name',
          uniqueName('badconf'),
          ...labelArgs(),
          '-e',
          `PORT=${railwayPort()}`,
          '-e',
          `${name}=${value}`,
          IMAGE,
        ],
        30_000,
      );
      assert.notEqual(res.code, 0, `docker run exited 0\n${res.stdout}${res.stderr}`);
      assert.equal(res.code, 2, res.stderr);
      const lines = res.stderr.split('\n').filter((l) => l.trim());
      assert.equal(lines.length, 1, `exactly one line on stderr:\n${res.stderr}`);
      assert.match(lines[0]!, new RegExp(`^edge-sidecar: invalid configuration: ${name}: `));
      assert.equal(res.stdout, '', 'nothing on stdout');
    });
  }
  // docs/security.md §6 (the attack suite's table, tools/test/attack/configuration-cases.ts), in both modes.
  for (const mode of ['sidecar', 'direct']) {
    for (const [name, value, says] of REFUSED_BY_ENTRYPOINT) {
      test(`class 6, ${mode}: ${name}=${value}`, async () => {
        const env = ['-e', `PORT=${railwayPort()}`, '-e', `PROXY_MODE=${mode}`, '-e', `${name}=${value}`];
        const res = await docker(['run', '--rm', '--name', uniqueName('badconf'), ...labelArgs(), ...env, IMAGE], 30_000);
        assertOneLineRefusal(res, name, says);
      });
    }
  }
});

/** The wrapper's last JSON line on stderr (the reason a container ended). */
function lastLine(stderr: string): { msg?: string; program?: string; exit_code?: number } {
  return JSON.parse(stderr.trim().split('\n').at(-1) ?? '{}') as { msg?: string; program?: string; exit_code?: number };
}

const ENDINGS: [name: string, env: Record<string, string>, code: number, program: string, msg: RegExp][] = [
  [
    'an app that cannot be imported: a crash loop, exit code 1',
    { APP_MODULE: 'nonexistent:app' },
    1,
    'api',
    /crash-looped \(5 exits in \d+ s.*Could not import module/,
  ],
  [
    'the reference API without AUTH0_AUDIENCE: refused configuration, exit code 2',
    { AUTH0_ISSUER: 'http://127.0.0.1:9/' },
    2,
    'api',
    /refused its configuration \(exit status 78\); last error: invalid auth configuration: AUTH0_AUDIENCE is required/,
  ],
];
describe('a program that cannot be kept running ends docker run, its reason last, within 60 s', {
  timeout: 200_000,
  concurrency: true,
}, () => {
  for (const [name, env, code, program, msg] of ENDINGS) {
    test(name, async (t) => {
      const started = Date.now();
      const envArgs = Object.entries({ PORT: String(railwayPort()), ...env }).flatMap(([k, v]) => ['-e', `${k}=${v}`]);
      const res = await docker(['run', '--rm', '--name', uniqueName('ends'), ...labelArgs(), ...envArgs, IMAGE], 90_000);
      t.diagnostic(`exit ${res.code} after ${Date.now() - started} ms`);
      assert.equal(res.code, code, `${res.stdout}${res.stderr}`);
      assert.ok(Date.now() - started < 60_000, `took ${Date.now() - started} ms`);
      const last = lastLine(res.stderr);
      assert.deepEqual({ program: last.program, exit_code: last.exit_code }, { program, exit_code: code });
      assert.match(last.msg ?? '', msg);
    });
  }
});

// An alert receiver inside the container's own network namespace (no traffic leaves it): POST bodies to a file.
const RECEIVER = `
import http.server
class H(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        with open("/tmp/alerts.jsonl", "ab") as f:
            f.write(body + b"\\n")
        self.send_response(200)
        self.end_headers()
    def log_message(self, *a):
        pass
http.server.HTTPServer(("127.0.0.1", 9099), H).serve_forever()
`;

/** kill -9 the container's Caddy `times` times (from the host, by its host pid), each time once a new one runs. */
const killCaddyRepeatedly = (c: Container, times: number): Promise<number> =>
  killRepeatedly(async () => (await dockerTop(c)).find((p) => p.command.startsWith('caddy run'))?.pid ?? 0, times, c.exited);

describe('the in-container fallback: Caddy killed again and again', { timeout: 240_000 }, () => {
  test('PROXY_FALLBACK=direct (the default): $PORT answers with CORS again, /health degraded, alert sent', async (t) => {
    const c = await startContainer({
      what: 'fallback',
      port: railwayPort(),
      env: { ...RAILWAY_ENV, ALERT_WEBHOOK_URL: 'http://127.0.0.1:9099/hook' },
    });
    try {
      await waitHealthy(c);
      await dockerOk(['exec', '-d', c.id, 'python', '-c', RECEIVER]);
      await waitFor(
        async () =>
          (await c.exec(['python', '-c', 'import socket; socket.create_connection(("127.0.0.1", 9099)).close()'])).code === 0,
        10_000,
      );
      const lastKill = await killCaddyRepeatedly(c, 5);
      await waitFor(
        async () => {
          const res = await request(`${c.base}/health/live`, { headers: { Origin: ALLOWED[1]! }, timeoutMs: 2000 }).catch(
            () => undefined,
          );
          return (
            res?.status === 200 && values(res, 'via').length === 0 && values(res, 'access-control-allow-origin')[0] === ALLOWED[1]
          );
        },
        60_000,
        c.exited,
      );
      const restoredMs = Date.now() - lastKill;
      t.diagnostic(`image: last kill -9 of Caddy -> CORS response on $PORT: ${restoredMs} ms`);
      assert.ok(restoredMs < 30_000, `${restoredMs} ms`);
      await items401(c); // the API's own 401 keeps CORS, now from the app-side middleware
      await probeBattery(c, '/api/v1/no-such-route');
      const health = await request(`${c.base}/health`, { headers: { Origin: ALLOWED[1]! } });
      assert.equal(health.status, 503, health.body);
      const body = JSON.parse(health.body) as { status: string; mode: string; failing: string; checks: Record<string, string> };
      assert.deepEqual(
        { status: body.status, mode: body.mode, failing: body.failing, proxy: body.checks.proxy },
        { status: 'degraded', mode: 'direct-fallback', failing: 'proxy', proxy: 'down' },
      );
      assert.deepEqual(values(health, 'access-control-allow-origin'), [ALLOWED[1]]);
      let alerts: { program: string; reason: string }[] = [];
      await waitFor(async () => {
        const out = await c.exec(['cat', '/tmp/alerts.jsonl']);
        alerts = out.stdout
          .split('\n')
          .filter(Boolean)
          .map((l) => JSON.parse(l) as { program: string; reason: string });
        return alerts.some((a) => /falling back to direct mode/.test(a.reason));
      }, 15_000);
      assert.equal(alerts.find((a) => /falling back/.test(a.reason))?.program, 'proxy');
      const roles = (await containerProcesses(c)).map((p) => p.role);
      assert.ok(!roles.includes('caddy'), `no Caddy left: ${roles.join(', ')}`);
      assert.ok(!c.exited(), 'the container keeps running');
    } finally {
      await c.remove();
    }
  });

  test('PROXY_FALLBACK=exit: the container ends with exit code 1, naming the proxy last', async (t) => {
    const c = await startContainer({
      what: 'fallback-exit',
      port: railwayPort(),
      env: { ...RAILWAY_ENV, PROXY_FALLBACK: 'exit' },
    });
    try {
      await waitHealthy(c);
      const lastKill = await killCaddyRepeatedly(c, 5);
      const code = await c.exitCode;
      t.diagnostic(`image, PROXY_FALLBACK=exit: exit ${code} ${Date.now() - lastKill} ms after the last kill`);
      assert.equal(code, 1, await c.logs());
      const last = lastLine((await docker(['logs', c.id])).stderr);
      assert.deepEqual({ program: last.program, exit_code: last.exit_code }, { program: 'proxy', exit_code: 1 });
      assert.match(last.msg ?? '', /crash-looped \(5 exits in \d+ s, the last killed by SIGKILL\)/);
    } finally {
      await c.remove();
    }
  });
});

describe('a drop-in ASGI app mounted at /ext (APP_MODULE, PYTHONPATH), and docker stop', { timeout: 120_000 }, () => {
  let c: Container;
  let ext: string;
  before(async () => {
    // A private copy, world-readable: the container runs as UID 10001, whatever the checkout's modes.
    ext = mkdtempSync(path.join(os.tmpdir(), 'edge-sidecar-ext-'));
    chmodSync(ext, 0o755);
    copyFileSync(path.join(FIXTURES, 'fake_app.py'), path.join(ext, 'fake_app.py'));
    chmodSync(path.join(ext, 'fake_app.py'), 0o644);
    c = await startContainer({
      what: 'dropin',
      port: railwayPort(),
      env: { ...RAILWAY_ENV, PYTHONPATH: '/ext', APP_MODULE: 'fake_app:app' },
      volumes: [`${ext}:/ext:ro`],
    });
    await waitHealthy(c, { path: '/fake/ok' });
  });
  after(async () => {
    await c?.remove();
    if (ext) rmSync(ext, { recursive: true, force: true });
  });

  test("the mounted app serves behind Caddy, with the sidecar's CORS and not its own", async () => {
    const uvicorn = (await containerProcesses(c)).find((p) => p.role === 'uvicorn');
    assert.ok(uvicorn?.argv.includes('fake_app:app'), JSON.stringify(uvicorn?.argv));
    const origin = ALLOWED[0]!;
    const res = await request(`${c.base}/fake/echo`, { headers: { Origin: origin } });
    assert.equal(res.status, 200, res.body);
    const seen = JSON.parse(res.body) as { headers: Record<string, string> };
    assert.ok(seen.headers['x-request-id'], 'Caddy added X-Request-ID on the way in');
    assert.deepEqual(values(res, 'access-control-allow-origin'), [origin], 'the app’s * is replaced by one ACAO');
    assert.deepEqual(values(res, 'access-control-allow-methods'), [], 'the app’s ACAM is stripped');
  });

  test('docker stop -t 30 lets an in-flight slow request finish, then the container exits 0 well within the grace', async (t) => {
    const origin = ALLOWED[0]!;
    const slow = request(`${c.base}/fake/slow?seconds=4`, { headers: { Origin: origin }, timeoutMs: 40_000 });
    slow.catch(() => undefined); // judged below; keep an early failure from going unhandled
    await waitFor(
      async () => {
        const res = await request(`${c.base}/fake/in-flight`, { timeoutMs: 1000 });
        return (JSON.parse(res.body) as { in_flight: number }).in_flight >= 1;
      },
      10_000,
      c.exited,
    );
    const stopped = c.stop(30);
    stopped.catch(() => undefined); // judged below, after the response
    const res = await slow;
    assert.equal(res.status, 200, res.body);
    assert.match(res.body, /"path": "\/fake\/slow"/);
    assert.deepEqual(values(res, 'access-control-allow-origin'), [origin], 'the drained response keeps its CORS');
    const { ms, code } = await stopped;
    t.diagnostic(`docker stop took ${ms} ms`);
    assert.equal(code, 0, await c.logs());
    assert.ok(ms < 20_000, `docker stop took ${ms} ms of a 30 s grace`);
    assert.equal(await c.exitCode, 0);
  });
});
