// make load's LOAD_* settings and the environment it passes to the stacks (pure).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { DEFAULT_OUT, FAULT_OUT, LoadOptionsError, parseLoadEnv, passthroughEnv } from '../../src/load/options.ts';

describe('parseLoadEnv', () => {
  test('defaults: 25 users, 20 s, 3 rounds, every shape, the report in docs/bench/load.md', () => {
    const o = parseLoadEnv({});
    assert.equal(o.users, 25);
    assert.equal(o.seconds, 20);
    assert.equal(o.rounds, 3);
    assert.equal(o.burstUsers, 25);
    assert.deepEqual(o.ramp, [25, 50, 75, 100, 150, 200, 300, 400]);
    assert.deepEqual(o.shapes, ['steady', 'burst', 'ramp']);
    assert.equal(o.kneeMs, 250);
    assert.equal(o.maxAgeSec, 10);
    assert.equal(o.fault, undefined);
    assert.equal(o.out, DEFAULT_OUT);
  });

  const ROWS: [string, Record<string, string>, (o: ReturnType<typeof parseLoadEnv>) => unknown, unknown][] = [
    ['burst users follow LOAD_USERS', { LOAD_USERS: '7' }, (o) => o.burstUsers, 7],
    ['LOAD_BURST_USERS wins', { LOAD_USERS: '7', LOAD_BURST_USERS: '40' }, (o) => o.burstUsers, 40],
    ['shapes keep their order, any separator', { LOAD_SHAPES: 'ramp, steady' }, (o) => o.shapes, ['steady', 'ramp']],
    ['ramp steps', { LOAD_RAMP: '5 10,20' }, (o) => o.ramp, [5, 10, 20]],
    ["the caller's CORS_MAX_AGE is the default max-age", { CORS_MAX_AGE: '600' }, (o) => o.maxAgeSec, 600],
    ['LOAD_MAX_AGE wins over CORS_MAX_AGE', { CORS_MAX_AGE: '600', LOAD_MAX_AGE: '3' }, (o) => o.maxAgeSec, 3],
    ['a fault writes its own report', { LOAD_FAULT: 'drop-cors' }, (o) => [o.fault, o.out], ['drop-cors', FAULT_OUT]],
    ['LOAD_OUT=- prints only', { LOAD_OUT: '-' }, (o) => o.out, undefined],
    ['LOAD_OUT inside the repo', { LOAD_OUT: 'docs/x.md' }, (o) => o.out, 'docs/x.md'],
    ['empty values are defaults', { LOAD_USERS: '', LOAD_SHAPES: ' ' }, (o) => [o.users, o.shapes.length], [25, 3]],
  ];
  for (const [name, env, pick, expected] of ROWS) test(name, () => assert.deepEqual(pick(parseLoadEnv(env)), expected));

  const BAD: [Record<string, string>, RegExp][] = [
    [{ LOAD_USERS: '0' }, /LOAD_USERS needs a whole number from 1 to 1000, got "0"/],
    [{ LOAD_USERS: '2.5' }, /LOAD_USERS/],
    [{ LOAD_USERS: '２５' }, /LOAD_USERS/],
    [{ LOAD_SECONDS: '-1' }, /LOAD_SECONDS/],
    [{ LOAD_ROUNDS: '21' }, /LOAD_ROUNDS/],
    [{ LOAD_SHAPES: 'steady,soak' }, /unknown: soak/],
    [{ LOAD_RAMP: '50,25' }, /must ascend/],
    [{ LOAD_RAMP: '0' }, /LOAD_RAMP/],
    [{ LOAD_FAULT: 'drop-all' }, /LOAD_FAULT is drop-cors or unset/],
    [{ LOAD_OUT: '/report.md' }, /LOAD_OUT needs a path inside the repo/],
    [{ LOAD_OUT: '../x.md' }, /LOAD_OUT/],
    [{ LOAD_TOKEN_TTL: '10', LOAD_REFRESH_MARGIN: '10' }, /must be below LOAD_TOKEN_TTL/],
  ];
  for (const [env, message] of BAD)
    test(`refused: ${JSON.stringify(env)}`, () =>
      assert.throws(
        () => parseLoadEnv(env),
        (e: Error) => e instanceof LoadOptionsError && message.test(e.message),
      ));
});

test("passthroughEnv keeps the caller's settings (DATABASE_URL, CORS_*), drops what the scenario owns", () => {
  const env = passthroughEnv({
    DATABASE_URL: 'postgresql://u:p@127.0.0.1/db',
    CORS_ALLOW_ORIGINS: 'https://app.zebra.associates',
    UPSTREAM_IDLE_CONNS: '64',
    AUTH0_LEEWAY: '10',
    PORT: '8080',
    API_PORT: '8000',
    PROXY_MODE: 'direct',
    PATH: '/usr/bin',
    CORS_MAX_AGE: '600',
    AUTH0_DOMAIN: 'zebra.eu.auth0.com',
    AUTH0_AUDIENCE: 'https://api.example',
    AUTH0_CLIENT_SECRET: 'x',
    LOAD_USERS: '3',
    UNSET: undefined,
  });
  assert.deepEqual(env, {
    DATABASE_URL: 'postgresql://u:p@127.0.0.1/db',
    CORS_ALLOW_ORIGINS: 'https://app.zebra.associates',
    UPSTREAM_IDLE_CONNS: '64',
    AUTH0_LEEWAY: '10',
  });
});
