// The rehearsal's stack environment (the caller's policy kept, the tenant and the plumbing its own) and Chromium's resolver rules.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Standin } from '../../src/auth0-standin/standin.ts';
import { HOSTS } from '../../src/rehearsal/tenant.ts';
import { resolverRules, stackEnv } from '../../src/rehearsal/topology.ts';

const tenant = {
  audience: 'https://api.example',
  clientId: 'cid',
  clientSecret: 'secret-value',
  tenantClaim: 'https://t/claim',
} as Standin;
const parts = { tenant, egressPort: 4001, caFile: 'ca.pem', dbFile: '/tmp/x.db' };

test("stackEnv: the caller's CORS policy and timeouts win over the rehearsal's defaults", () => {
  const env = stackEnv(
    { CORS_ALLOW_ORIGINS: 'http://localhost:3001', UPSTREAM_TIMEOUT: '7', TRUSTED_PROXIES: '127.0.0.2' },
    parts,
  );
  assert.equal(env.CORS_ALLOW_ORIGINS, 'http://localhost:3001');
  assert.equal(env.UPSTREAM_TIMEOUT, '7');
  assert.equal(env.TRUSTED_PROXIES, '127.0.0.2');
});

test('stackEnv: defaults when the caller sets nothing', () => {
  const env = stackEnv({}, parts);
  assert.equal(env.UPSTREAM_TIMEOUT, '10');
  assert.equal(env.TRUSTED_PROXIES, '127.0.0.1');
  assert.equal(env.DATABASE_URL, 'sqlite:////tmp/x.db');
  assert.equal(env.CORS_ALLOW_ORIGINS, undefined, "the sidecar's own default (deploy/defaults.env) applies");
});

test("stackEnv: the tenant, ports and proxy plumbing are the rehearsal's whatever the caller set", () => {
  const env = stackEnv(
    {
      AUTH0_DOMAIN: 'real.eu.auth0.com',
      AUTH0_ISSUER: 'http://127.0.0.1:1/',
      AUTH0_CLIENT_SECRET: 'x',
      PORT: '8080',
      PROXY_MODE: 'direct',
      HTTPS_PROXY: 'http://elsewhere:3128',
      SSL_CERT_FILE: '/etc/ssl/x.pem',
    },
    parts,
  );
  assert.deepEqual(
    {
      d: env.AUTH0_DOMAIN,
      i: env.AUTH0_ISSUER,
      s: env.AUTH0_CLIENT_SECRET,
      port: env.PORT,
      mode: env.PROXY_MODE,
      proxy: env.HTTPS_PROXY,
      ca: env.SSL_CERT_FILE,
      leeway: env.AUTH0_LEEWAY,
    },
    {
      d: HOSTS.tenant,
      i: '',
      s: 'secret-value',
      port: undefined,
      mode: undefined,
      proxy: 'http://127.0.0.1:4001',
      ca: 'ca.pem',
      leeway: '0',
    },
  );
  assert.equal(env.NO_PROXY, '127.0.0.1,localhost');
});

test('resolverRules: every name to the edge, the dev ports remapped, everything else unresolvable', () => {
  const rules = resolverRules({ httpsPort: 1443, httpPort: 1080 }, 3999, 8999).split(', ');
  for (const host of Object.values(HOSTS)) assert.ok(rules.includes(`MAP ${host}:443 127.0.0.1:1443`), host);
  assert.ok(rules.includes(`MAP ${HOSTS.app}:80 127.0.0.1:1080`));
  assert.ok(rules.includes('MAP localhost:3001 127.0.0.1:3999'));
  assert.ok(rules.includes('MAP localhost:8080 127.0.0.1:8999'));
  assert.equal(rules.at(-1), 'MAP * ~NOTFOUND');
});
