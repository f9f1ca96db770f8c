// Forged and misused credentials through the real stack: each is refused with a JSON 401/403 that still carries CORS.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { authorize, authorizeUrl, CookieJar, exchangeCode, pkce, randomToken } from '../../src/auth0-standin/client.ts';
import { generateSigningKey, type SigningKey } from '../../src/auth0-standin/keys.ts';
import { type Standin, startStandin } from '../../src/auth0-standin/standin.ts';
import { AUTH, apiCall, loginThroughApi, REFRESH_COOKIE } from '../../testkit/auth.ts';
import { accessClaims, publicPem, signJwt, tamperSignature } from '../../testkit/forge.ts';
import type { RawResponse } from '../../testkit/http.ts';
import { type Stack, startStack } from '../../testkit/stack.ts';
import { assertCors, assertError, assertNoCors, CALLBACK, EVIL, ORIGIN } from './auth-checks.ts';

/** The tenant's real signing key, held by the test: tokens it signs pass the signature check and fail on claims. */
const KEY: SigningKey = generateSigningKey('tenant-key-1');
/** A key the tenant never published. */
const STRANGER: SigningKey = generateSigningKey('stranger-key');
const BEARER_PATHS = [`${AUTH}/me`, '/api/v1/items'];

interface Ctx {
  standin: Standin;
  stack: Stack;
  /** A real ID token the stand-in issued to the client (aud = client id). */
  idToken: string;
}

/** A bearer token the API must answer with `status`/`error` on every bearer path. */
interface TokenRow {
  name: string;
  token: (c: Ctx) => string;
  status: number;
  error?: string;
  headers?: (c: Ctx) => Record<string, string>;
}

const rs = (
  c: Ctx,
  change: (claims: Record<string, unknown>) => void = () => undefined,
  header: Record<string, unknown> = {},
): string => {
  const claims = accessClaims(c.standin);
  change(claims);
  return signJwt({ alg: 'RS256', key: KEY }, claims, header);
};

const TOKEN_ROWS: TokenRow[] = [
  // Controls: the forging itself is right, so each refusal below is about the one thing changed.
  { name: 'control: valid claims, real key', token: (c) => rs(c), status: 200 },
  {
    name: 'control: X-Tenant-ID equal to the token tenant',
    token: (c) => rs(c),
    status: 200,
    headers: (c) => ({ 'X-Tenant-ID': c.standin.devUser.tenantId }),
  },
  { name: 'control: aud as the identifier alone', token: (c) => rs(c, (p) => (p.aud = c.standin.audience)), status: 200 },
  {
    name: 'expired (beyond the leeway)',
    token: (c) => rs(c, (p) => ((p.iat = Number(p.iat) - 7200), (p.exp = Number(p.iat) + 3600))),
    status: 401,
    error: 'invalid_token',
  },
  {
    name: 'wrong audience',
    token: (c) => rs(c, (p) => (p.aud = ['https://other-api.example', `${c.standin.issuer}userinfo`])),
    status: 401,
    error: 'invalid_token',
  },
  {
    name: 'wrong issuer',
    token: (c) => rs(c, (p) => (p.iss = 'https://evil-tenant.auth0.com/')),
    status: 401,
    error: 'invalid_token',
  },
  {
    name: 'unknown kid (signed by a key the tenant never published)',
    token: (c) => signJwt({ alg: 'RS256', key: STRANGER }, accessClaims(c.standin)),
    status: 401,
    error: 'invalid_token',
  },
  {
    name: 'alg none',
    token: (c) => signJwt({ alg: 'none' }, accessClaims(c.standin), { kid: KEY.kid }),
    status: 401,
    error: 'invalid_token',
  },
  {
    name: 'HS256 signed with the public key',
    token: (c) => signJwt({ alg: 'HS256', secret: publicPem(KEY) }, accessClaims(c.standin), { kid: KEY.kid }),
    status: 401,
    error: 'invalid_token',
  },
  { name: 'tampered signature', token: (c) => tamperSignature(rs(c)), status: 401, error: 'invalid_token' },
  {
    name: 'tampered payload (signature of other claims)',
    token: (c) => `${rs(c).split('.')[0]}.${rs(c, (p) => (p.sub = 'auth0|admin')).split('.')[1]}.${rs(c).split('.')[2]}`,
    status: 401,
    error: 'invalid_token',
  },
  { name: 'missing sub', token: (c) => rs(c, (p) => delete p.sub), status: 401, error: 'invalid_token' },
  { name: 'ID token as bearer', token: (c) => c.idToken, status: 401, error: 'invalid_token' },
  { name: 'not a JWT', token: () => 'not-a-jwt', status: 401, error: 'invalid_token' },
];

/** Tenant rules apply to /api/v1/items only. */
const ITEMS_ROWS: TokenRow[] = [
  {
    name: 'X-Tenant-ID differs from the token tenant',
    token: (c) => rs(c),
    status: 403,
    error: 'tenant_mismatch',
    headers: () => ({ 'X-Tenant-ID': 'other-tenant' }),
  },
  { name: 'no tenant claim', token: (c) => rs(c, (p) => delete p[c.standin.tenantClaim]), status: 403, error: 'no_tenant' },
];

/** A real ID token: the code flow straight against the stand-in, as the client (the test knows its secret). */
async function realIdToken(standin: Standin): Promise<string> {
  const { verifier, challenge } = pkce();
  const url = authorizeUrl(standin.issuer, {
    clientId: standin.clientId,
    redirectUri: CALLBACK,
    audience: standin.audience,
    state: randomToken(),
    nonce: randomToken(),
    codeChallenge: challenge,
  });
  const cb = await authorize(url, CALLBACK, new CookieJar());
  assert.ok(cb.code, cb.errorDescription);
  const tokens = await exchangeCode(standin.issuer, standin, { code: cb.code, redirectUri: CALLBACK, codeVerifier: verifier });
  assert.equal(tokens.status, 200, JSON.stringify(tokens.body));
  return String(tokens.body.id_token);
}

function judge(res: RawResponse, row: TokenRow, what: string): void {
  assertCors(res, what);
  if (row.error) assertError(res, row.status, row.error, what);
  else assert.equal(res.status, row.status, `${what}: ${res.body.slice(0, 300)}`);
}

for (const mode of ['sidecar', 'direct'] as const) {
  describe(`credentials refused through the stack, ${mode} mode`, () => {
    const c = {} as Ctx;
    const dataDir = mkdtempSync(path.join(tmpdir(), 'edge-auth-neg-'));
    before(async () => {
      c.standin = await startStandin({ port: 0, keys: [KEY] });
      c.stack = await startStack({
        mode,
        fakeApp: false,
        auth: c.standin,
        env: { DATABASE_URL: `sqlite:///${dataDir}/auth.db` },
      });
      c.idToken = await realIdToken(c.standin);
    });
    after(async () => {
      await c.stack?.stop();
      await c.standin?.stop();
      rmSync(dataDir, { recursive: true, force: true });
    });

    for (const row of TOKEN_ROWS) {
      test(`${row.name}: ${row.status}${row.error ? ` ${row.error}` : ''}`, async () => {
        for (const p of BEARER_PATHS) {
          const res = await apiCall(
            c.stack.base,
            p,
            { origin: ORIGIN, jar: new CookieJar() },
            { token: row.token(c), headers: row.headers?.(c) ?? {} },
          );
          judge(res, row, `${row.name} on ${p}`);
        }
      });
    }
    for (const row of ITEMS_ROWS) {
      test(`${row.name}: ${row.status} ${row.error}`, async () => {
        const res = await apiCall(
          c.stack.base,
          '/api/v1/items',
          { origin: ORIGIN, jar: new CookieJar() },
          { token: row.token(c), headers: row.headers?.(c) ?? {} },
        );
        judge(res, row, row.name);
      });
    }

    /** Cookie-bound POSTs: a real refresh cookie, so only the CSRF guard can stand between it and a 200. */
    const CSRF_ROWS: { name: string; origin: string; xrw: boolean; status: number; cors: boolean }[] = [
      { name: 'control: allowed origin with X-Requested-With', origin: ORIGIN, xrw: true, status: 200, cors: true },
      { name: 'cross-site POST without X-Requested-With (allowed origin)', origin: ORIGIN, xrw: false, status: 403, cors: true },
      { name: 'POST from a disallowed Origin', origin: EVIL, xrw: true, status: 403, cors: false },
    ];
    for (const row of CSRF_ROWS) {
      test(`refresh, ${row.name}: ${row.status}`, async () => {
        const jar = new CookieJar();
        const login = await loginThroughApi(c.stack.base, { origin: ORIGIN, redirectUri: CALLBACK, jar });
        assert.ok(
          jar.header(`${c.stack.base}${AUTH}/refresh`)?.includes(`${REFRESH_COOKIE}=${login.refreshCookie}`),
          'the refresh cookie goes along',
        );
        const res = await apiCall(c.stack.base, `${AUTH}/refresh`, { origin: row.origin, jar }, { method: 'POST', xrw: row.xrw });
        if (row.cors) assertCors(res, row.name);
        else assertNoCors(res, row.name);
        if (row.status === 200) assert.equal(res.status, 200, res.body);
        else assertError(res, row.status, 'csrf_rejected', row.name);
      });
    }
  });
}
