// How the stack starts: bad configuration refused in one line, good variants served, instances side by side.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { CookieJar } from '../../src/auth0-standin/client.ts';
import { startStandin } from '../../src/auth0-standin/standin.ts';
import { apiCall, loginThroughApi } from '../../src/harness/auth.ts';
import { request, values } from '../../src/harness/http.ts';
import { DEFAULT_AUDIENCE, freePort, runEntrypoint, startStack } from '../../src/harness/stack.ts';

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

test('an app that cannot start (FATAL) stops the stack with exit code 1 and says which program', async () => {
  const started = Date.now();
  const result = await runEntrypoint({ PORT: String(await freePort()), API_PORT: String(await freePort()), APP_MODULE: 'nonexistent:app' }, 60_000);
  assert.equal(result.code, 1, result.stderr);
  assert.ok(Date.now() - started < 60_000, 'within 60 s');
  assert.match(result.stderr, /edge-sidecar: program 'api' could not start \(FATAL\); exiting 1/);
  assert.match(result.stderr, /"event": "fatal", "program": "api"/);
});

/** The reference API refuses to start without its Auth0 settings (one JSON line naming the variable, then FATAL). */
const NO_AUTH: [variable: RegExp, env: Record<string, string>][] = [
  [/AUTH0_AUDIENCE/, { AUTH0_ISSUER: 'http://127.0.0.1:9/' }],
  [/AUTH0_DOMAIN .*AUTH0_ISSUER/, { AUTH0_AUDIENCE: DEFAULT_AUDIENCE }],
];
describe('the reference API without Auth0 settings stops the stack with exit code 1', { concurrency: true }, () => {
  for (const [variable, env] of NO_AUTH) {
    test(`missing ${variable.source}`, async () => {
      const dataDir = mkdtempSync(path.join(tmpdir(), 'edge-sidecar-noauth-'));
      try {
        const ports = { PORT: String(await freePort()), API_PORT: String(await freePort()) };
        const result = await runEntrypoint({ ...ports, DATABASE_URL: `sqlite:///${dataDir}/x.db`, ...env }, 60_000);
        assert.equal(result.code, 1, result.stderr);
        assert.match(result.stderr, /edge-sidecar: program 'api' could not start \(FATAL\); exiting 1/);
        const refusals = result.stderr.split('\n').filter((l) => l.startsWith('{') && /invalid auth configuration/.test(l));
        assert.ok(refusals.length >= 1, `a JSON line saying why:\n${result.stderr}`);
        const line = JSON.parse(refusals[0]!) as { level?: string; msg?: string };
        assert.equal(line.level, 'error');
        assert.match(line.msg ?? '', variable);
      } finally {
        rmSync(dataDir, { recursive: true, force: true });
      }
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
    const stacks = await Promise.all([1, 2].map((n) => startStack({ fakeApp: false, auth: standin, env: env(n), readyPath: '/health' })));
    try {
      for (const [i, stack] of stacks.entries()) {
        const origin = 'http://localhost:3001';
        const { accessToken } = await loginThroughApi(stack.base, { origin, redirectUri: `${origin}/callback` });
        const created = await apiCall(stack.base, '/api/v1/items', { origin, jar: new CookieJar() }, {
          method: 'POST',
          token: accessToken,
          headers: { 'X-Request-ID': `side-${i}` },
          json: { name: `item ${i}` },
        });
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
