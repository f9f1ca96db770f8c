// edge-deploy's configuration: variables to DeployConfig, the gate policy per environment, held to .railway/railway.ts.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ServiceNode } from 'railway/iac';
import { ConfigError, DEFAULT_STATE_FILE, GATE_POLICIES, gatePolicy, loadConfig } from '../../src/deploy/config.ts';
import { desiredState, resourcesOf } from '../../src/railway/evaluate.ts';

const TOKEN = { RAILWAY_API_TOKEN: 'tok-account-000000' };

test('defaults: bearer token, Railway endpoint, service api, state file in the checkout, timeouts', () => {
  const c = loadConfig(TOKEN);
  assert.deepEqual(c.auth, { kind: 'bearer', token: 'tok-account-000000', source: 'RAILWAY_API_TOKEN' });
  assert.equal(c.apiUrl, 'https://backboard.railway.com/graphql/v2');
  assert.equal(c.service, 'api');
  assert.equal(c.environment, undefined);
  assert.equal(c.stateFile, DEFAULT_STATE_FILE);
  assert.match(DEFAULT_STATE_FILE, /[/\\]\.edge-deploy[/\\]state\.json$/);
  assert.deepEqual([c.pollMs, c.liveTimeoutMs, c.appearTimeoutMs], [5000, 900_000, 60_000]);
});

test('RAILWAY_TOKEN (a project token) wins over RAILWAY_API_TOKEN, as in the Railway CLI', () => {
  assert.equal(loadConfig({ ...TOKEN, RAILWAY_TOKEN: 'tok-project-00000' }).auth.kind, 'project');
});

const ROWS: [name: string, env: Record<string, string>, check: RegExp | ((c: ReturnType<typeof loadConfig>) => void)][] = [
  ['no token', {}, /no Railway token/],
  ['blank tokens count as unset', { RAILWAY_API_TOKEN: ' ', RAILWAY_TOKEN: '' }, /no Railway token/],
  [
    'names',
    { ...TOKEN, EDGE_DEPLOY_ENVIRONMENT: 'staging', EDGE_DEPLOY_SERVICE: 'web' },
    (c) => assert.deepEqual([c.environment, c.service], ['staging', 'web']),
  ],
  [
    'ids the Railway CLI reads',
    { ...TOKEN, RAILWAY_ENVIRONMENT_ID: 'e1', RAILWAY_SERVICE_ID: 's1', RAILWAY_PROJECT_ID: 'p1' },
    (c) => assert.deepEqual([c.environment, c.service, c.projectId], ['e1', 's1', 'p1']),
  ],
  [
    'id and name both set',
    { ...TOKEN, RAILWAY_SERVICE_ID: 's1', EDGE_DEPLOY_SERVICE: 'api' },
    /set RAILWAY_SERVICE_ID or EDGE_DEPLOY_SERVICE, not both/,
  ],
  [
    'http endpoint on loopback (tests)',
    { ...TOKEN, RAILWAY_API_URL: 'http://127.0.0.1:9/graphql/v2' },
    (c) => assert.equal(c.apiUrl, 'http://127.0.0.1:9/graphql/v2'),
  ],
  ['http endpoint elsewhere', { ...TOKEN, RAILWAY_API_URL: 'http://10.0.0.1/graphql/v2' }, /must be https:\/\//],
  ['endpoint not a URL', { ...TOKEN, RAILWAY_API_URL: 'backboard' }, /RAILWAY_API_URL: not a URL/],
  ['gate URL not http(s)', { ...TOKEN, EDGE_DEPLOY_URL: 'ftp://x' }, /EDGE_DEPLOY_URL: must be http\(s\)/],
  [
    'origins and deny as lists',
    { ...TOKEN, EDGE_DEPLOY_ORIGINS: 'https://a.test, https://b.test', EDGE_DEPLOY_DENY: '' },
    (c) => assert.deepEqual([c.origins, c.deny], [['https://a.test', 'https://b.test'], []]),
  ],
  ['empty origins', { ...TOKEN, EDGE_DEPLOY_ORIGINS: ' ' }, /EDGE_DEPLOY_ORIGINS: empty/],
  [
    'durations',
    { ...TOKEN, EDGE_DEPLOY_POLL: '250ms', EDGE_DEPLOY_LIVE_TIMEOUT: '2m', EDGE_DEPLOY_APPEAR_TIMEOUT: '30' },
    (c) => assert.deepEqual([c.pollMs, c.liveTimeoutMs, c.appearTimeoutMs], [250, 120_000, 30_000]),
  ],
  ['bad duration', { ...TOKEN, EDGE_DEPLOY_LIVE_TIMEOUT: '-1s' }, /EDGE_DEPLOY_LIVE_TIMEOUT: not a positive duration/],
];
for (const [name, env, check] of ROWS) {
  test(`loadConfig: ${name}`, () => {
    if (check instanceof RegExp)
      assert.throws(
        () => loadConfig(env),
        (err: Error) => err instanceof ConfigError && check.test(err.message),
      );
    else check(loadConfig(env));
  });
}

test('gatePolicy: per environment, the variables win, deny never lists an allowed origin, unknown needs origins', () => {
  assert.deepEqual(gatePolicy({}, 'production'), { origins: ['https://app.zebra.associates'], deny: ['http://localhost:3001'] });
  assert.deepEqual(gatePolicy({}, 'staging'), { origins: ['https://app.zebra.associates', 'http://localhost:3001'], deny: [] });
  // Allowing the demo origin in production on purpose drops it from the default deny list.
  assert.deepEqual(gatePolicy({ origins: ['https://app.zebra.associates', 'http://localhost:3001'] }, 'production').deny, []);
  assert.deepEqual(gatePolicy({ deny: ['https://old.zebra.associates'] }, 'production').deny, ['https://old.zebra.associates']);
  assert.throws(() => gatePolicy({}, 'pr-7'), /no gate policy for Railway environment "pr-7"/);
  assert.throws(() => gatePolicy({}, 'constructor'), /no gate policy/);
  assert.deepEqual(gatePolicy({ origins: ['https://x.test'] }, 'pr-7'), { origins: ['https://x.test'], deny: [] });
});

test('GATE_POLICIES allow exactly the origins .railway/railway.ts sets per environment', async () => {
  for (const [environment, policy] of Object.entries(GATE_POLICIES)) {
    const api = resourcesOf(await desiredState(environment)).find(
      (r): r is ServiceNode => r.type === 'service' && r.name === 'api',
    );
    const value = api?.variables?.CORS_ALLOW_ORIGINS;
    assert.ok(
      value && value.type === 'literal' && typeof value.value === 'string',
      `${environment}: CORS_ALLOW_ORIGINS is a literal`,
    );
    assert.deepEqual(
      [...policy.origins].sort(),
      value.value
        .split(/[\s,]+/)
        .filter(Boolean)
        .sort(),
      environment,
    );
    // A denied origin the environment allows would fail every correct deploy.
    for (const d of policy.deny) assert.ok(!policy.origins.includes(d));
  }
});
