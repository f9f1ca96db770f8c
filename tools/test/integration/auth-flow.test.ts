// Acceptance: a browser's whole login session through the real stack and the Auth0 stand-in, CORS and cookies on every answer.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { CookieJar } from '../../src/auth0-standin/client.ts';
import { type Standin, startStandin } from '../../src/auth0-standin/standin.ts';
import { AUTH, apiCall, type Caller, jsonBody, loginThroughApi, REFRESH_COOKIE, TX_COOKIE } from '../../testkit/auth.ts';
import { values } from '../../testkit/http.ts';
import { DATABASES, stopSharedPostgres, testDatabase } from '../../testkit/postgres.ts';
import { type Stack, startStack } from '../../testkit/stack.ts';

const MODES = ['sidecar', 'direct'] as const;

import { assertAuthCookie, assertCors, assertError, CALLBACK, ORIGIN } from './auth-checks.ts';

const ITEMS = '/api/v1/items';

after(stopSharedPostgres);

for (const [mode, database] of MODES.flatMap((m) => DATABASES.map((d) => [m, d] as const))) {
  describe(`login session through the stack, ${mode} mode, ${database}`, () => {
    let standin: Standin;
    let stack: Stack;
    const dataDir = mkdtempSync(path.join(tmpdir(), 'edge-auth-flow-'));
    before(async () => {
      standin = await startStandin({ port: 0 });
      stack = await startStack({
        mode,
        fakeApp: false,
        auth: standin,
        env: { DATABASE_URL: await testDatabase(database, dataDir) },
      });
    });
    after(async () => {
      await stack?.stop();
      await standin?.stop();
      rmSync(dataDir, { recursive: true, force: true });
    });

    test('auth0-url → authorize → login → me → items → refresh → items → logout → 401s', async () => {
      const caller: Caller = { origin: ORIGIN, jar: new CookieJar() };
      const tenant = standin.devUser.tenantId;

      // Login: auth0-url sets the transaction cookie; login exchanges the code and sets the refresh cookie.
      const login = await loginThroughApi(stack.base, { origin: ORIGIN, redirectUri: CALLBACK, jar: caller.jar });
      const { auth0Url, login: loginRes } = login.responses;
      assertCors(auth0Url, 'auth0-url');
      assertAuthCookie(auth0Url, TX_COOKIE, 600, 'auth0-url');
      const authorize = new URL(String(jsonBody(auth0Url).url));
      assert.equal(`${authorize.origin}${authorize.pathname}`, `${standin.issuer}authorize`);
      const q = Object.fromEntries(authorize.searchParams);
      assert.equal(q.response_type, 'code');
      assert.equal(q.client_id, standin.clientId);
      assert.equal(q.redirect_uri, CALLBACK);
      assert.equal(q.audience, standin.audience);
      assert.equal(q.code_challenge_method, 'S256');
      assert.ok(q.state && q.nonce && q.code_challenge, JSON.stringify(q));
      assert.deepEqual(q.scope?.split(' ').sort(), ['email', 'offline_access', 'openid', 'profile']);
      assert.equal(login.callback.iss, standin.issuer);

      assertCors(loginRes, 'login');
      assert.match(values(loginRes, 'cache-control').join(','), /no-store/, 'login: Cache-Control no-store');
      const refresh0 = assertAuthCookie(loginRes, REFRESH_COOKIE, 'positive', 'login');
      assertAuthCookie(loginRes, TX_COOKIE, 'cleared', 'login');
      assert.equal(login.body.token_type, 'Bearer');
      assert.ok(Number(login.body.expires_in) > 0, `expires_in ${login.body.expires_in}`);
      assert.equal(login.body.refresh_token, undefined, 'the refresh token never reaches page scripts');
      assert.deepEqual(login.body.user, {
        sub: standin.devUser.sub,
        email: standin.devUser.email,
        name: standin.devUser.name,
        tenant_id: tenant,
        permissions: [...standin.devUser.permissions].sort(),
      });

      const me = await apiCall(stack.base, `${AUTH}/me`, caller, { token: login.accessToken });
      assertCors(me, 'me');
      assert.equal(me.status, 200, me.body);
      const meBody = jsonBody(me);
      assert.equal(meBody.sub, standin.devUser.sub);
      assert.equal(meBody.tenant_id, tenant);
      assert.deepEqual(meBody.permissions, [...standin.devUser.permissions].sort());
      assert.ok(Array.isArray(meBody.scopes) && meBody.scopes.includes('openid'), JSON.stringify(meBody.scopes));
      assert.ok(Number(meBody.expires_at) > Date.now() / 1000, `expires_at ${meBody.expires_at}`);

      // Items: the tenant comes from the token.
      const created = await apiCall(stack.base, ITEMS, caller, {
        method: 'POST',
        token: login.accessToken,
        json: { name: `flow ${mode}` },
      });
      assertCors(created, 'POST items');
      assert.equal(created.status, 201, created.body);
      const item = jsonBody(created);
      assert.equal(item.tenant_id, tenant);
      const listed = await apiCall(stack.base, ITEMS, caller, { token: login.accessToken });
      assertCors(listed, 'GET items');
      assert.equal(listed.status, 200, listed.body);
      const list = JSON.parse(listed.body) as { id: number; tenant_id: string }[];
      assert.ok(
        list.some((i) => i.id === item.id),
        `the new item is listed: ${listed.body}`,
      );
      assert.ok(
        list.every((i) => i.tenant_id === tenant),
        'only the token tenant’s items',
      );

      // Refresh: a new access token and a rotated refresh cookie.
      const refreshed = await apiCall(stack.base, `${AUTH}/refresh`, caller, { method: 'POST' });
      assertCors(refreshed, 'refresh');
      assert.equal(refreshed.status, 200, refreshed.body);
      const refresh1 = assertAuthCookie(refreshed, REFRESH_COOKIE, 'positive', 'refresh');
      assert.notEqual(refresh1, refresh0, 'the refresh token rotated');
      const renewed = jsonBody(refreshed);
      assert.equal(renewed.token_type, 'Bearer');
      assert.equal(typeof renewed.access_token, 'string');
      assert.notEqual(renewed.access_token, login.accessToken, 'a new access token');
      const again = await apiCall(stack.base, ITEMS, caller, { token: String(renewed.access_token) });
      assertCors(again, 'GET items with the refreshed token');
      assert.equal(again.status, 200, again.body);
      assert.ok((JSON.parse(again.body) as { id: number }[]).some((i) => i.id === item.id));

      // Logout: the refresh cookie is cleared and the token revoked at the tenant.
      const logout = await apiCall(stack.base, `${AUTH}/logout`, caller, { method: 'POST' });
      assertCors(logout, 'logout');
      assert.equal(logout.status, 200, logout.body);
      assertAuthCookie(logout, REFRESH_COOKIE, 'cleared', 'logout');
      const out = jsonBody(logout);
      assert.equal(out.revoked, true, logout.body);
      const logoutUrl = new URL(String(out.logout_url));
      assert.equal(`${logoutUrl.origin}${logoutUrl.pathname}`, `${standin.issuer}v2/logout`);
      assert.equal(logoutUrl.searchParams.get('client_id'), standin.clientId);
      assert.equal(logoutUrl.searchParams.get('returnTo'), `${ORIGIN}/`);
      assert.deepEqual(caller.jar.names(new URL(stack.base).host), [], 'the browser holds no auth cookie any more');

      const anonymous = await apiCall(stack.base, `${AUTH}/me`, caller);
      assertCors(anonymous, 'me without a token');
      assertError(anonymous, 401, 'invalid_token', 'me without a token');
      const noCookie = await apiCall(stack.base, `${AUTH}/refresh`, caller, { method: 'POST' });
      assertCors(noCookie, 'refresh with the cleared cookie');
      assertError(noCookie, 401, 'login_required', 'refresh with the cleared cookie');
      const stale = await apiCall(
        stack.base,
        `${AUTH}/refresh`,
        { origin: ORIGIN, jar: new CookieJar() },
        {
          method: 'POST',
          headers: { Cookie: `${REFRESH_COOKIE}=${refresh1}` },
        },
      );
      assertCors(stale, 'refresh with the logged-out cookie');
      assertError(stale, 401, 'invalid_grant', 'refresh with the logged-out cookie');
    });

    test('reusing a spent refresh token is refused and revokes the family: the newest fails too', async () => {
      const caller: Caller = { origin: ORIGIN, jar: new CookieJar() };
      const login = await loginThroughApi(stack.base, { origin: ORIGIN, redirectUri: CALLBACK, jar: caller.jar });
      const first = await apiCall(stack.base, `${AUTH}/refresh`, caller, { method: 'POST' });
      assert.equal(first.status, 200, first.body);
      const newest = assertAuthCookie(first, REFRESH_COOKIE, 'positive', 'first refresh');
      assert.notEqual(newest, login.refreshCookie);

      const withCookie = (value: string) =>
        apiCall(
          stack.base,
          `${AUTH}/refresh`,
          { origin: ORIGIN, jar: new CookieJar() },
          { method: 'POST', headers: { Cookie: `${REFRESH_COOKIE}=${value}` } },
        );
      const reuse = await withCookie(login.refreshCookie);
      assertCors(reuse, 'reuse of the spent token');
      assertError(reuse, 401, 'invalid_grant', 'reuse of the spent token');
      assertAuthCookie(reuse, REFRESH_COOKIE, 'cleared', 'reuse of the spent token');
      const afterReuse = await withCookie(newest);
      assertCors(afterReuse, 'the newest token after the reuse');
      assertError(afterReuse, 401, 'invalid_grant', 'the newest token after the reuse (family revoked)');
    });
  });
}
