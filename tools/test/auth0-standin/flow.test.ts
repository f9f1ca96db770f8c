// The stand-in behaves like an Auth0 tenant: authorization code + PKCE headlessly, token shape, rotation, revoke, logout.
import assert from 'node:assert/strict';
import { verify } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import {
  authorize,
  authorizeUrl,
  browse,
  type ClientCredentials,
  CookieJar,
  decodeJwt,
  exchangeCode,
  logoutUrl,
  pkce,
  postForm,
  randomToken,
  refreshTokens,
  revokeToken,
  send,
} from '../../src/auth0-standin/client.ts';
import { generateSigningKey, type PublicJwk, publicKeyObject } from '../../src/auth0-standin/keys.ts';
import { type Standin, startStandin } from '../../src/auth0-standin/standin.ts';
import { authorizeAtStandin } from '../../testkit/auth.ts';
import { request } from '../../testkit/http.ts';

const CALLBACK = 'http://localhost:3001/callback';
const RETURN_TO = 'http://localhost:3001/';
const KEY_1 = generateSigningKey('test-key-1');

/** Verifies a compact JWS against a JWKS (RS256), as a resource server would. */
function signatureValid(token: string, jwks: { keys: PublicJwk[] }): boolean {
  const [h = '', p = '', s = ''] = token.split('.');
  const { kid } = JSON.parse(Buffer.from(h, 'base64url').toString()) as { kid: string };
  const key = jwks.keys.find((k) => k.kid === kid);
  return !!key && verify('RSA-SHA256', Buffer.from(`${h}.${p}`), publicKeyObject(key), Buffer.from(s, 'base64url'));
}

describe('Auth0 stand-in', () => {
  let standin: Standin;
  let client: ClientCredentials;

  /** A full login: authorize (auto-login) -> callback -> code exchange; returns the token response body. */
  async function login(jar = new CookieJar(), scope = 'openid profile email offline_access read:items') {
    const { verifier, challenge } = pkce();
    const state = randomToken();
    const url = authorizeUrl(standin.issuer, {
      clientId: standin.clientId,
      redirectUri: CALLBACK,
      audience: standin.audience,
      scope,
      state,
      codeChallenge: challenge,
    });
    const cb = await authorize(url, CALLBACK, jar);
    assert.equal(cb.error, undefined, cb.errorDescription);
    assert.equal(cb.state, state);
    assert.ok(cb.code);
    const tokens = await exchangeCode(standin.issuer, client, { code: cb.code, redirectUri: CALLBACK, codeVerifier: verifier });
    assert.equal(tokens.status, 200, JSON.stringify(tokens.body));
    return { cb, tokens: tokens.body, verifier };
  }

  before(async () => {
    standin = await startStandin({ keys: [KEY_1], redirectUris: [CALLBACK], logoutUrls: [RETURN_TO], accessTokenTtl: 600 });
    client = { clientId: standin.clientId, clientSecret: standin.clientSecret };
  });
  after(async () => {
    await standin.stop();
  });

  test('discovery names an issuer with a trailing slash and Auth0 paths', async () => {
    const res = await request(standin.endpoints.discovery);
    assert.equal(res.status, 200);
    const doc = JSON.parse(res.body) as Record<string, string>;
    assert.match(standin.issuer, /^http:\/\/127\.0\.0\.1:\d+\/$/);
    assert.equal(doc.issuer, standin.issuer);
    assert.equal(doc.authorization_endpoint, `${standin.issuer}authorize`);
    assert.equal(doc.token_endpoint, `${standin.issuer}oauth/token`);
    assert.equal(doc.jwks_uri, `${standin.issuer}.well-known/jwks.json`);
    assert.equal(doc.userinfo_endpoint, `${standin.issuer}userinfo`);
    assert.equal(doc.revocation_endpoint, `${standin.issuer}oauth/revoke`);
  });

  test('authorize with PKCE logs the dev user in without a form and returns a code', async () => {
    const jar = new CookieJar();
    const { cb } = await login(jar);
    assert.equal(cb.iss, standin.issuer);
    // Every hop is a redirect: /authorize -> login interaction -> /authorize -> consent interaction -> /authorize -> callback.
    assert.ok(
      cb.hops.every((h) => h.status >= 300 && h.status < 400),
      JSON.stringify(cb.hops),
    );
    assert.equal(cb.hops.filter((h) => new URL(h.url).pathname.startsWith('/interaction/')).length, 2);
    // A second login in the same browser rides the session: no login step (offline_access still passes consent, in code).
    const again = await login(jar);
    assert.equal(
      again.cb.hops.filter((h) => new URL(h.url).pathname.startsWith('/interaction/')).length,
      1,
      JSON.stringify(again.cb.hops),
    );
  });

  test("the access token has Auth0's shape", async () => {
    const { tokens } = await login();
    assert.equal(tokens.token_type, 'Bearer');
    assert.equal(tokens.expires_in, 600);
    assert.equal(typeof tokens.refresh_token, 'string');
    assert.equal(tokens.scope, 'openid profile email offline_access read:items');
    const at = decodeJwt(String(tokens.access_token));
    assert.deepEqual(at.header, { alg: 'RS256', typ: 'JWT', kid: 'test-key-1' });
    const p = at.payload;
    assert.equal(p.iss, standin.issuer);
    assert.deepEqual(p.aud, [standin.audience, `${standin.issuer}userinfo`]);
    assert.equal(p.sub, 'auth0|dev-user');
    assert.equal(p.azp, standin.clientId);
    assert.equal(p.client_id, undefined);
    assert.equal(p.scope, 'openid profile email offline_access read:items');
    assert.deepEqual(p.permissions, ['read:items', 'write:items']);
    assert.equal(p['https://zebra.associates/tenant_id'], 'demo');
    assert.equal(typeof p.iat, 'number');
    assert.equal(Number(p.exp) - Number(p.iat), 600);
    assert.ok(signatureValid(String(tokens.access_token), standin.jwks()));

    // The ID token is for the client, never for the API.
    const id = decodeJwt(String(tokens.id_token));
    assert.equal(id.payload.aud, standin.clientId);
    assert.equal(id.payload.iss, standin.issuer);
    assert.equal(id.payload.email, 'dev@zebra.associates');

    // /userinfo takes the access token (its aud lists /userinfo).
    const info = await request(standin.endpoints.userinfo, { headers: { Authorization: `Bearer ${tokens.access_token}` } });
    assert.equal(info.status, 200, info.body);
    assert.deepEqual(JSON.parse(info.body), {
      sub: 'auth0|dev-user',
      name: 'Dev User',
      nickname: 'dev',
      updated_at: '2026-01-01T00:00:00.000Z',
      email: 'dev@zebra.associates',
      email_verified: true,
    });
    const forged = await request(standin.endpoints.userinfo, { headers: { Authorization: `Bearer ${tokens.id_token}x` } });
    assert.equal(forged.status, 401);
  });

  test('without openid the audience is the API identifier alone', async () => {
    const { tokens } = await login(new CookieJar(), 'offline_access read:items');
    const p = decodeJwt(String(tokens.access_token)).payload;
    assert.equal(p.aud, standin.audience);
    assert.equal(p.scope, 'offline_access read:items');
    assert.equal(tokens.id_token, undefined);
    assert.equal(typeof tokens.refresh_token, 'string');
    const info = await request(standin.endpoints.userinfo, { headers: { Authorization: `Bearer ${tokens.access_token}` } });
    assert.equal(info.status, 401, 'an access token without the /userinfo audience is refused there');
  });

  test('without offline_access there is no refresh token', async () => {
    const { tokens } = await login(new CookieJar(), 'openid email read:items');
    assert.equal(tokens.refresh_token, undefined);
    assert.equal(decodeJwt(String(tokens.access_token)).payload.scope, 'openid email read:items');
  });

  test('refresh rotates the token each time; reusing a consumed one fails and revokes the family', async () => {
    const { tokens } = await login();
    const r0 = String(tokens.refresh_token);
    const first = await refreshTokens(standin.issuer, client, r0);
    assert.equal(first.status, 200, JSON.stringify(first.body));
    const r1 = String(first.body.refresh_token);
    assert.notEqual(r1, r0);
    assert.notEqual(first.body.access_token, tokens.access_token);
    assert.deepEqual(decodeJwt(String(first.body.access_token)).payload.aud, [standin.audience, `${standin.issuer}userinfo`]);
    assert.equal(decodeJwt(String(first.body.access_token)).payload.scope, 'openid profile email offline_access read:items');
    const second = await refreshTokens(standin.issuer, client, r1);
    assert.equal(second.status, 200);
    const r2 = String(second.body.refresh_token);
    assert.ok(![r0, r1].includes(r2));

    const reuse = await refreshTokens(standin.issuer, client, r0);
    assert.equal(reuse.status, 403, 'Auth0 answers invalid_grant with 403');
    assert.equal(reuse.body.error, 'invalid_grant');
    assert.equal(typeof reuse.body.error_description, 'string');
    // The newest token of the family died with it.
    const family = await refreshTokens(standin.issuer, client, r2);
    assert.equal(family.status, 403);
    assert.equal(family.body.error, 'invalid_grant');
  });

  test('revoke ends a refresh token', async () => {
    const { tokens } = await login();
    const rt = String(tokens.refresh_token);
    const revoked = await revokeToken(standin.issuer, client, rt);
    assert.equal(revoked.status, 200);
    const after = await refreshTokens(standin.issuer, client, rt);
    assert.equal(after.status, 403);
    assert.equal(after.body.error, 'invalid_grant');
  });

  test('token endpoint errors are RFC 6749 JSON', async () => {
    const { cb, verifier } = await authorizeAtStandin(standin, CALLBACK);
    const code = String(cb.code);
    const wrongVerifier = await exchangeCode(standin.issuer, client, {
      code,
      redirectUri: CALLBACK,
      codeVerifier: pkce().verifier,
    });
    assert.equal(wrongVerifier.status, 403);
    assert.equal(wrongVerifier.body.error, 'invalid_grant');
    const wrongSecret = await exchangeCode(
      standin.issuer,
      { ...client, clientSecret: 'not-the-secret' },
      { code, redirectUri: CALLBACK, codeVerifier: verifier },
    );
    assert.equal(wrongSecret.status, 401);
    assert.equal(wrongSecret.body.error, 'invalid_client');
    const unknownGrant = await postForm(standin.endpoints.token, {
      grant_type: 'password',
      client_id: client.clientId,
      client_secret: client.clientSecret,
    });
    assert.equal(unknownGrant.status, 400);
    assert.equal(unknownGrant.body.error, 'unsupported_grant_type');
  });

  test('an unknown audience comes back to the callback as invalid_target', async () => {
    const url = authorizeUrl(standin.issuer, {
      clientId: standin.clientId,
      redirectUri: CALLBACK,
      audience: 'https://other.example/api',
      state: 'st',
      codeChallenge: pkce().challenge,
    });
    const cb = await authorize(url, CALLBACK);
    assert.equal(cb.error, 'invalid_target');
    assert.equal(cb.state, 'st');
  });

  test('an unregistered redirect_uri is refused on the tenant, never redirected to', async () => {
    const url = authorizeUrl(standin.issuer, {
      clientId: standin.clientId,
      redirectUri: 'http://localhost:3001/evil',
      state: 's',
      codeChallenge: pkce().challenge,
    });
    const walk = await browse(url, { stopAt: (u) => u.host === 'localhost:3001' });
    assert.equal(walk.stopped, false);
    assert.equal(walk.last?.status, 400);
    assert.equal((JSON.parse(walk.last?.body ?? '{}') as { error?: string }).error, 'invalid_redirect_uri');
  });

  test('/v2/logout ends the session and returns to returnTo', async () => {
    const jar = new CookieJar();
    await login(jar);
    const walk = await browse(logoutUrl(standin.issuer, { clientId: standin.clientId, returnTo: RETURN_TO }), {
      jar,
      stopAt: (u) => u.origin === new URL(RETURN_TO).origin,
    });
    assert.equal(walk.stopped, true, JSON.stringify(walk.hops));
    assert.equal(walk.url, RETURN_TO);
    assert.equal(walk.hops[0]?.status, 302);
    assert.match(walk.hops[0]?.location ?? '', /\/oidc\/logout\?client_id=.*post_logout_redirect_uri=/);
    // The session is gone: the next authorize goes through login (and consent) again.
    const { cb } = await login(jar);
    assert.equal(cb.hops.filter((h) => new URL(h.url).pathname.startsWith('/interaction/')).length, 2);

    const bad = await browse(
      logoutUrl(standin.issuer, { clientId: standin.clientId, returnTo: 'http://localhost:3001/not-allowed' }),
      {
        stopAt: (u) => u.host === 'localhost:3001',
      },
    );
    assert.equal(bad.stopped, false);
    assert.equal(bad.last?.status, 400);
  });
});

describe('Auth0 stand-in: keys and JWKS switches', () => {
  let standin: Standin;
  before(async () => {
    standin = await startStandin({ keys: [KEY_1], redirectUris: [CALLBACK] });
  });
  after(async () => {
    await standin.stop();
  });

  async function accessToken(): Promise<string> {
    const { cb, verifier } = await authorizeAtStandin(standin, CALLBACK);
    const res = await exchangeCode(
      standin.issuer,
      { clientId: standin.clientId, clientSecret: standin.clientSecret },
      {
        code: String(cb.code),
        redirectUri: CALLBACK,
        codeVerifier: verifier,
      },
    );
    assert.equal(res.status, 200, JSON.stringify(res.body));
    return String(res.body.access_token);
  }

  test('rotation: the new key signs, old and new are published, old tokens still verify', async () => {
    const before = await accessToken();
    assert.equal(decodeJwt(before).header.kid, 'test-key-1');
    standin.rotateKeys([generateSigningKey('test-key-2'), KEY_1]);
    assert.equal(standin.signingKid(), 'test-key-2');
    const jwks = JSON.parse((await request(standin.endpoints.jwks)).body) as { keys: PublicJwk[] };
    assert.deepEqual(
      jwks.keys.map((k) => k.kid),
      ['test-key-2', 'test-key-1'],
    );
    assert.ok(jwks.keys.every((k) => k.alg === 'RS256' && k.use === 'sig' && !('d' in k)));
    const afterRotation = await accessToken();
    assert.equal(decodeJwt(afterRotation).header.kid, 'test-key-2');
    assert.ok(signatureValid(before, jwks) && signatureValid(afterRotation, jwks));
    standin.rotateKeys([KEY_1]);
  });

  test('the JWKS endpoint can be switched down, hung and up again, and counts its requests', async () => {
    const start = standin.stats().jwksRequests;
    standin.setJwksMode('down');
    const down = await request(standin.endpoints.jwks);
    assert.equal(down.status, 503);
    standin.setJwksMode('hang');
    await assert.rejects(request(standin.endpoints.jwks, { timeoutMs: 300 }), /timeout/);
    standin.setJwksMode('up');
    const up = await request(standin.endpoints.jwks);
    assert.equal(up.status, 200);
    assert.equal(standin.stats().jwksRequests - start, 3);
  });

  test('with auto-login off, the login page has one button that finishes the flow', async () => {
    const manual = await startStandin({ autoLogin: false, redirectUris: [CALLBACK] });
    try {
      const jar = new CookieJar();
      const url = authorizeUrl(manual.issuer, {
        clientId: manual.clientId,
        redirectUri: CALLBACK,
        audience: manual.audience,
        state: 's',
        codeChallenge: pkce().challenge,
      });
      const page = await browse(url, { jar, stopAt: (u) => u.href.startsWith(CALLBACK) });
      assert.equal(page.stopped, false);
      assert.equal(page.last?.status, 200);
      const action = /action="([^"]+)"/.exec(page.last?.body ?? '')?.[1];
      assert.ok(action, page.last?.body);
      const posted = await send(new URL(action, manual.issuer).href, { method: 'POST', jar });
      assert.equal(posted.status, 303);
      const rest = await browse(new URL(String(posted.headers.find(([k]) => k === 'location')?.[1]), manual.issuer).href, {
        jar,
        stopAt: (u) => u.href.startsWith(CALLBACK),
      });
      assert.equal(rest.stopped, true);
      assert.ok(new URL(rest.url).searchParams.get('code'));
    } finally {
      await manual.stop();
    }
  });
});
