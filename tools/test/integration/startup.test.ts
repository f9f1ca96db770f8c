// How the stack starts and stops: bad configuration and busy ports refused in one line, refusals and crash
// loops of a program ending the stack with its reason, good variants served, instances side by side.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { CookieJar } from '../../src/auth0-standin/client.ts';
import { startStandin } from '../../src/auth0-standin/standin.ts';
import { apiCall, loginThroughApi } from '../../testkit/auth.ts';
import { request, values } from '../../testkit/http.ts';
import {
  DEFAULT_AUDIENCE,
  type ExitResult,
  FIXTURES,
  freePort,
  freePorts,
  runEntrypoint,
  type Stack,
  stackPids,
  startStack,
  VENV_BIN,
} from '../../testkit/stack.ts';

const BAD: [string, Record<string, string>][] = [
  ['CORS_ALLOW_ORIGINS', { CORS_ALLOW_ORIGINS: 'https://app.zebra.associates/' }],
  ['CORS_ALLOW_ORIGINS', { CORS_ALLOW_ORIGINS: 'https://app.zebra.associates/api' }],
  ['CORS_ALLOW_ORIGINS', { CORS_ALLOW_ORIGINS: 'app.zebra.associates' }],
  ['CORS_ALLOW_ORIGINS', { CORS_ALLOW_ORIGINS: 'ftp://app.zebra.associates' }],
  ['CORS_ALLOW_ORIGINS', { CORS_ALLOW_ORIGINS: 'https://app.zebra.associates:99999' }],
  ['CORS_ALLOW_ORIGINS', { CORS_ALLOW_ORIGINS: 'null' }],
  ['CORS_ALLOW_ORIGINS', { CORS_ALLOW_ORIGINS: '*' }],
  ['CORS_ALLOW_ORIGINS', { CORS_ALLOW_ORIGINS: 'https://*' }],
  ['CORS_ALLOW_ORIGINS', { CORS_ALLOW_ORIGINS: 'https://*.*.example.com' }],
  ['CORS_ALLOW_ORIGINS', { CORS_ALLOW_ORIGINS: '*', PROXY_MODE: 'direct' }],
  ['CORS_ALLOW_CREDENTIALS', { CORS_ALLOW_CREDENTIALS: 'yes' }],
  ['CORS_MAX_AGE', { CORS_MAX_AGE: 'ten' }],
  ['CORS_ALLOW_METHODS', { CORS_ALLOW_METHODS: 'GET, P@ST' }],
  ['PORT', { PORT: 'http' }],
  ['API_PORT', { API_PORT: '70000' }],
  ['API_TRANSPORT', { API_TRANSPORT: 'udp' }],
  ['PROXY_MODE', { PROXY_MODE: 'proxy' }],
  ['UPSTREAM_TIMEOUT', { UPSTREAM_TIMEOUT: 'soon' }],
  ['APP_MODULE', { APP_MODULE: 'no-attribute' }],
];

describe('bad configuration stops the start', () => {
  for (const [variable, env] of BAD) {
    test(`${variable}=${Object.values(env)[0]}${env.PROXY_MODE ? ` (${env.PROXY_MODE})` : ''}`, async () => {
      const result = await runEntrypoint({ PORT: String(await freePort()), ...env });
      assert.equal(result.code, 2, result.stderr);
      const lines = result.stderr.trim().split('\n');
      assert.equal(lines.length, 1, `one line, got:\n${result.stderr}`);
      assert.match(lines[0]!, new RegExp(`^edge-sidecar: invalid configuration: ${variable}: `));
      assert.equal(result.stdout, '', 'nothing started');
    });
  }
});

/** The last stderr line as the wrapper's JSON exit line (fails naming the output when it is not one). */
function exitLine(result: ExitResult): { msg: string; program?: string; exit_code?: number; event?: string } {
  const last = result.stderr.trim().split('\n').at(-1) ?? '';
  try {
    return JSON.parse(last) as { msg: string; program?: string; exit_code?: number; event?: string };
  } catch {
    return assert.fail(`the last stderr line is not the wrapper's JSON line: ${last}\n${result.stderr}`);
  }
}

/** Run the entrypoint and time it; every case here must end by itself well within `boundMs`. */
async function runTimed(env: Record<string, string>, boundMs: number): Promise<ExitResult & { ms: number }> {
  const started = Date.now();
  const [port, apiPort] = await freePorts(2);
  const ports = { PORT: String(port), API_PORT: String(apiPort) };
  const result = await runEntrypoint({ ...ports, ...env }, boundMs + 30_000);
  return { ...result, ms: Date.now() - started };
}

/**
 * An app that refuses its configuration (exit status 78) stops the stack at once with exit code 2, its reason
 * on the last line; the reference API does so for its Auth0 and database settings.
 */
const ISSUER = { AUTH0_ISSUER: 'http://127.0.0.1:9/', AUTH0_AUDIENCE: DEFAULT_AUDIENCE };
const REFUSED: [name: string, reason: RegExp, env: Record<string, string>][] = [
  ['AUTH0_AUDIENCE missing', /AUTH0_AUDIENCE is required/, { AUTH0_ISSUER: ISSUER.AUTH0_ISSUER }],
  ['AUTH0_DOMAIN missing', /AUTH0_DOMAIN/, { AUTH0_AUDIENCE: DEFAULT_AUDIENCE }],
  [
    'AUTH0_DOMAIN with a scheme',
    /AUTH0_DOMAIN must be a host name/,
    { AUTH0_AUDIENCE: DEFAULT_AUDIENCE, AUTH0_DOMAIN: 'https://x/' },
  ],
  ['AUTH0_LEEWAY=-5', /AUTH0_LEEWAY/, { ...ISSUER, AUTH0_LEEWAY: '-5' }],
  // DATABASE_URL and DB_HEALTH_TIMEOUT are refused by the entrypoint first (tools/test/attack/configuration.test.ts).
  ['AUTH0_JWKS_COOLDOWN=0', /AUTH0_JWKS_COOLDOWN must be at least 1 s/, { ...ISSUER, AUTH0_JWKS_COOLDOWN: '0' }],
];
// Two stacks at a time, not all five: each case times one stack's stop, and five starting at once on 2 cores
// measured the test's own contention (14.6-17.1 s each beside one CPU hog; 37-47 s at load 7-9).
describe('an app that refuses its configuration stops the stack with exit code 2 within 30 s', { concurrency: 2 }, () => {
  for (const [name, reason, env] of REFUSED) {
    test(name, async (t) => {
      const dataDir = mkdtempSync(path.join(tmpdir(), 'edge-sidecar-refused-'));
      try {
        const result = await runTimed({ DATABASE_URL: `sqlite:///${dataDir}/x.db`, ...env }, 30_000);
        t.diagnostic(`exit ${result.code} after ${result.ms} ms`);
        assert.equal(result.code, 2, result.stderr);
        assert.ok(result.ms < 30_000, `stopped after ${result.ms} ms`);
        const last = exitLine(result);
        assert.deepEqual(
          { event: last.event, program: last.program, exit_code: last.exit_code },
          { event: 'exit', program: 'api', exit_code: 2 },
        );
        assert.match(last.msg, /^edge-sidecar: program 'api' refused its configuration \(exit status 78\); last error: /);
        assert.match(last.msg, reason);
      } finally {
        rmSync(dataDir, { recursive: true, force: true });
      }
    });
  }
});

/** Crash loops: five exits within the window end the stack with exit code 1, however long each run lived. */
const BROKEN_PROXY_PATH = `${path.join(FIXTURES, 'broken-proxy')}:${VENV_BIN}:${process.env.PATH ?? ''}`;
const LOOPS: [name: string, program: string, lastError: RegExp, env: Record<string, string>][] = [
  ['an app that cannot be imported', 'api', /Could not import module "nonexistent"/, { APP_MODULE: 'nonexistent:app' }],
  [
    'an app that fails 2 s into each start (longer than the old startsecs)',
    'api',
    /RuntimeError: crashy app: cannot reach its dependency/,
    { APP_MODULE: 'crashy_app:app', PYTHONPATH: FIXTURES, CRASH_AFTER: '2' },
  ],
  // PROXY_FALLBACK=direct replaces only a proxy that had served: one that never started fails the start.
  [
    'a proxy that never starts, even with PROXY_FALLBACK=direct',
    'proxy',
    /simulated proxy failure/,
    { APP_MODULE: 'fake_app:app', PYTHONPATH: FIXTURES, PROXY_FALLBACK: 'direct', PATH: BROKEN_PROXY_PATH },
  ],
];
describe('a program that keeps exiting stops the stack with exit code 1 and says why', { concurrency: true }, () => {
  for (const [name, program, lastError, env] of LOOPS) {
    test(name, async (t) => {
      const result = await runTimed(env, 90_000);
      t.diagnostic(`exit ${result.code} after ${result.ms} ms`);
      assert.equal(result.code, 1, result.stderr);
      const last = exitLine(result);
      assert.deepEqual(
        { event: last.event, program: last.program, exit_code: last.exit_code },
        { event: 'exit', program, exit_code: 1 },
      );
      const loop = new RegExp(
        `^edge-sidecar: program '${program}' crash-looped \\(5 exits in \\d+ s, the last exit status \\d+\\); last error: `,
      );
      assert.match(last.msg, loop);
      assert.match(last.msg, lastError);
      assert.doesNotMatch(result.stderr, /"event": "fallback"/, 'no fallback for a proxy that never served');
    });
  }
});

describe('a port already in use is refused with one line; the stack already there keeps serving', () => {
  let first: Stack;
  // API_TRANSPORT=tcp, so API_PORT is bound; with unix nothing listens there (integration/api-transport.test.ts).
  const TCP = { API_TRANSPORT: 'tcp' };
  before(async () => {
    first = await startStack({ env: TCP });
  });
  after(async () => {
    await first?.stop();
  });
  for (const variable of ['PORT', 'API_PORT'] as const) {
    test(variable, async () => {
      const busy = variable === 'PORT' ? first.port : first.apiPort;
      const other = String(await freePort());
      const env = variable === 'PORT' ? { PORT: String(busy), API_PORT: other } : { PORT: other, API_PORT: String(busy) };
      const result = await runEntrypoint({ ...env, ...TCP, APP_MODULE: 'fake_app:app', PYTHONPATH: FIXTURES });
      assert.equal(result.code, 2, result.stderr);
      const lines = result.stderr.trim().split('\n');
      assert.equal(lines.length, 1, `one line, got:\n${result.stderr}`);
      assert.match(lines[0]!, new RegExp(`^edge-sidecar: cannot start: ${variable} ${busy} is already in use`));
      assert.equal(result.stdout, '', 'nothing started');
      const res = await request(`${first.base}/fake/ok`, { headers: { Origin: 'http://localhost:3001' } });
      assert.equal(res.status, 200);
      assert.deepEqual(values(res, 'access-control-allow-origin'), ['http://localhost:3001']);
      assert.equal(stackPids(first.port, (argv) => argv[0]?.endsWith('caddy') === true).length, 1, 'one Caddy on the port');
    });
  }
});

describe('good variants', () => {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'edge-sidecar-test-'));
  after(() => rmSync(dataDir, { recursive: true, force: true }));

  for (const mode of ['sidecar', 'direct'] as const) {
    test(`${mode}: '*' without credentials answers ACAO * and no ACAC`, async () => {
      const stack = await startStack({ mode, env: { CORS_ALLOW_ORIGINS: '*', CORS_ALLOW_CREDENTIALS: 'false' } });
      try {
        const res = await request(`${stack.base}/fake/ok`, { headers: { Origin: 'https://anyone.example' } });
        assert.deepEqual(values(res, 'access-control-allow-origin'), ['*']);
        assert.deepEqual(values(res, 'access-control-allow-credentials'), []);
        const none = await request(`${stack.base}/fake/ok`, { headers: { Origin: 'null' } });
        assert.deepEqual(values(none, 'access-control-allow-origin'), [], "'null' is never an origin");
      } finally {
        await stack.stop();
      }
    });
  }

  test('two sidecar instances run side by side, each serving the reference API on its own ports', async () => {
    const env = (n: number) => ({ DATABASE_URL: `sqlite:///${dataDir}/side-${n}.db` });
    const standin = await startStandin({ port: 0 });
    const stacks = await Promise.all(
      [1, 2].map((n) => startStack({ fakeApp: false, auth: standin, env: env(n), readyPath: '/health' })),
    );
    try {
      for (const [i, stack] of stacks.entries()) {
        const origin = 'http://localhost:3001';
        const { accessToken } = await loginThroughApi(stack.base, { origin, redirectUri: `${origin}/callback` });
        const created = await apiCall(
          stack.base,
          '/api/v1/items',
          { origin, jar: new CookieJar() },
          {
            method: 'POST',
            token: accessToken,
            headers: { 'X-Request-ID': `side-${i}` },
            json: { name: `item ${i}` },
          },
        );
        assert.equal(created.status, 201, created.body);
        assert.deepEqual(values(created, 'x-request-id'), [`side-${i}`], 'the request id comes back once');
        assert.deepEqual(values(created, 'access-control-allow-origin'), ['http://localhost:3001']);
        const health = await request(`${stack.base}/health`);
        assert.equal(health.status, 200, health.body);
        assert.doesNotMatch(health.body, /sqlite|version|caddy|uvicorn/i, 'health reveals no configuration');
      }
    } finally {
      await Promise.all(stacks.map((s) => s.stop()));
      await standin.stop();
    }
  });
});
