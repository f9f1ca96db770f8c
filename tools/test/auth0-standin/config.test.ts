// Stand-in options: defaults, the checks that keep it Auth0-shaped and loopback-only, and argv/env parsing.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DEFAULTS, parseServerArgs, resolveOptions, StandinConfigError } from '../../src/auth0-standin/config.ts';

test('defaults: loopback issuer with a trailing slash, Auth0-like client, API and dev user', () => {
  const o = resolveOptions({}, 3002);
  assert.equal(o.issuer, 'http://127.0.0.1:3002/');
  assert.equal(o.audience, DEFAULTS.audience);
  assert.deepEqual(o.redirectUris, ['http://localhost:3001/callback']);
  assert.equal(o.devUser.tenantId, 'demo');
  assert.equal(o.tenantClaim, 'https://zebra.associates/tenant_id');
  assert.equal(o.autoLogin, true);
});

test('bad options are refused with a message naming them', () => {
  const cases: [string, Parameters<typeof resolveOptions>[0], RegExp][] = [
    ['issuer without trailing slash', { issuer: 'http://127.0.0.1:3002' }, /issuer/],
    ['issuer with a path', { issuer: 'http://127.0.0.1:3002/tenant/' }, /issuer/],
    ['http issuer not on loopback', { issuer: 'http://example.auth0.com/' }, /loopback/],
    ['https issuer on an address, not a name', { issuer: 'https://192.0.2.1/' }, /loopback/],
    ['https issuer with a port behind the edge', { issuer: 'https://example.auth0.com:8443/' }, /loopback/],
    ['audience not absolute', { audience: 'my-api' }, /audience/],
    ['no callback', { redirectUris: [] }, /redirectUris/],
    ['callback not http(s)', { redirectUris: ['myapp://cb'] }, /http/],
    ['short secret', { clientSecret: 'x' }, /clientSecret/],
    ['tenant claim not namespaced', { tenantClaim: 'tenant_id' }, /tenantClaim/],
    ['zero ttl', { accessTokenTtl: 0 }, /accessTokenTtl/],
  ];
  for (const [name, options, message] of cases) {
    assert.throws(
      () => resolveOptions(options, 3002),
      (err: Error) => err instanceof StandinConfigError && message.test(err.message),
      name,
    );
  }
});

test('an https issuer with a DNS name is allowed: a TLS edge in front gives the loopback server that name', () => {
  assert.equal(resolveOptions({ issuer: 'https://zebra-demo.eu.auth0.com/' }, 3002).issuer, 'https://zebra-demo.eu.auth0.com/');
});

test('localhost issuers are allowed (a browser-facing name for the same loopback server)', () => {
  assert.equal(resolveOptions({ issuer: 'http://localhost:3002/' }, 3002).issuer, 'http://localhost:3002/');
});

test('argv and environment: flags win, lists split on spaces and commas', () => {
  const { options } = parseServerArgs(
    [
      '--port',
      '4000',
      '--audience',
      'https://flag.example/api',
      '--redirect-uri',
      'http://localhost:3001/a',
      '--redirect-uri',
      'http://localhost:3001/b',
    ],
    {
      AUTH0_AUDIENCE: 'https://env.example/api',
      AUTH0_CLIENT_ID: 'from-env',
      AUTH0_STANDIN_LOGOUT_URLS: 'http://localhost:3001/, http://localhost:3001/bye',
      AUTH0_STANDIN_TENANT: 'acme',
      AUTH0_STANDIN_PERMISSIONS: 'read:items',
      AUTH0_STANDIN_AUTO_LOGIN: 'false',
    },
  );
  assert.equal(options.port, 4000);
  assert.equal(options.audience, 'https://flag.example/api');
  assert.equal(options.clientId, 'from-env');
  assert.deepEqual(options.redirectUris, ['http://localhost:3001/a', 'http://localhost:3001/b']);
  assert.deepEqual(options.logoutUrls, ['http://localhost:3001/', 'http://localhost:3001/bye']);
  assert.deepEqual(options.devUser, { tenantId: 'acme', permissions: ['read:items'] });
  assert.equal(options.autoLogin, false);
});

test('argv parsing: default port 3002, and usage errors', () => {
  assert.equal(parseServerArgs([], {}).options.port, 3002);
  assert.equal(parseServerArgs(['-h'], {}).help, true);
  assert.throws(() => parseServerArgs(['--port', 'http'], {}), StandinConfigError);
  assert.throws(() => parseServerArgs(['--port', '70000'], {}), StandinConfigError);
  assert.throws(() => parseServerArgs(['--bogus'], {}), StandinConfigError);
  assert.throws(() => parseServerArgs([], { AUTH0_STANDIN_AUTO_LOGIN: 'maybe' }), /AUTH0_STANDIN_AUTO_LOGIN/);
});
