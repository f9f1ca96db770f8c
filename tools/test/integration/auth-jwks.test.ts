// The API's JWKS cache through the stack: keeps the last good keys when Auth0's JWKS fails, one fetch per cooldown under a junk-kid flood.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { CookieJar } from '../../src/auth0-standin/client.ts';
import { generateSigningKey } from '../../src/auth0-standin/keys.ts';
import { type Standin, startStandin } from '../../src/auth0-standin/standin.ts';
import { AUTH, apiCall } from '../../testkit/auth.ts';
import { accessClaims, signJwt, type Tenant } from '../../testkit/forge.ts';
import type { RawResponse } from '../../testkit/http.ts';
import { DEFAULT_AUDIENCE, freePort, type Stack, startStack } from '../../testkit/stack.ts';
import { assertCors, assertError, ORIGIN } from './auth-checks.ts';

const KEY = generateSigningKey('jwks-key-1');
const NEXT_KEY = generateSigningKey('jwks-key-2');
/** AUTH0_JWKS_COOLDOWN for the stack: short enough to wait out twice, long enough to hold a whole flood. */
const COOLDOWN_S = 5;
/** Beyond the cooldown: the API's clock starts its window before our request's answer arrives. */
const MARGIN_MS = 300;
const FLOOD = 50;
/** The stacks' SQLite files (the repo's data/ is never touched). */
const dataDir = mkdtempSync(path.join(tmpdir(), 'edge-auth-jwks-'));
const database = (name: string) => ({ DATABASE_URL: `sqlite:///${dataDir}/${name}.db` });
after(() => rmSync(dataDir, { recursive: true, force: true }));

/** Waits until `since + cooldown + margin` has passed: the window is a time-based spec, not readiness. */
async function windowPassed(since: number): Promise<void> {
  const until = since + COOLDOWN_S * 1000 + MARGIN_MS;
  for (let i = 0; i < 100 && Date.now() < until; i++) await new Promise((r) => setTimeout(r, Math.min(250, until - Date.now())));
  assert.ok(Date.now() >= until, 'waited out the cooldown window');
}

describe('JWKS cache through the sidecar', () => {
  let standin: Standin;
  let stack: Stack;
  before(async () => {
    standin = await startStandin({ port: 0, keys: [KEY] });
    stack = await startStack({
      fakeApp: false,
      auth: standin,
      env: { ...database('cache'), AUTH0_JWKS_COOLDOWN: String(COOLDOWN_S) },
    });
  });
  after(async () => {
    await stack?.stop();
    await standin?.stop();
  });

  const me = (token: string): Promise<RawResponse> =>
    apiCall(stack.base, `${AUTH}/me`, { origin: ORIGIN, jar: new CookieJar() }, { token });
  const valid = (key = KEY): string => signJwt({ alg: 'RS256', key }, accessClaims(standin));
  /** Real key, claims fine, but a kid nobody publishes: forces the API to consider a refetch. */
  const junk = (): string =>
    signJwt({ alg: 'RS256', key: KEY }, accessClaims(standin), { kid: `junk-${randomBytes(6).toString('hex')}` });
  const fetches = (): number => standin.stats().jwksRequests;

  test('cached keys survive a JWKS outage; unknown kids cost one fetch per cooldown window', async (t) => {
    // 1. A first validated call: the keys are fetched (now or at start-up).
    const first = await me(valid());
    assertCors(first, 'first call');
    assert.equal(first.status, 200, first.body);
    let lastFetchBefore = Date.now();
    const afterFirst = fetches();
    assert.ok(afterFirst >= 1, `the API fetched the JWKS (${afterFirst} requests)`);

    // 2. JWKS down: tokens signed by the cached key still validate, without touching the JWKS.
    standin.setJwksMode('down');
    for (let i = 0; i < 3; i++) {
      const res = await me(valid());
      assertCors(res, `cached key #${i}`);
      assert.equal(res.status, 200, `cached key #${i} while the JWKS is down: ${res.body}`);
    }
    assert.equal(fetches(), afterFirst, 'known kid: no JWKS request');

    // 3. A flood of junk kids after the window: exactly one (failing) fetch for all of them.
    await windowPassed(lastFetchBefore);
    const floodStart = Date.now();
    const flood = await Promise.all(Array.from({ length: FLOOD }, () => me(junk())));
    const floodEnd = Date.now();
    for (const [i, res] of flood.entries()) {
      assertCors(res, `junk kid #${i}`);
      assertError(res, 401, 'invalid_token', `junk kid #${i}`);
    }
    const floodFetches = fetches() - afterFirst;
    t.diagnostic(`${FLOOD} junk kids in ${floodEnd - floodStart} ms: ${floodFetches} JWKS request(s)`);
    assert.ok(floodEnd - floodStart < COOLDOWN_S * 1000, `the flood fits in one window (${floodEnd - floodStart} ms)`);
    assert.equal(floodFetches, 1, `${FLOOD} unknown kids in one window cost exactly one JWKS request`);
    lastFetchBefore = floodEnd;

    // The failed fetch kept the last good keys.
    const kept = await me(valid());
    assert.equal(kept.status, 200, `cached key after a failed refetch: ${kept.body}`);

    // 4. After the window exactly one more fetch, then none again for the rest of the new window.
    await windowPassed(lastFetchBefore);
    const beforeNext = fetches();
    assertError(await me(junk()), 401, 'invalid_token', 'junk kid after the window');
    const burst = await Promise.all(Array.from({ length: 10 }, () => me(junk())));
    lastFetchBefore = Date.now();
    for (const res of burst) assert.equal(res.status, 401);
    const nextFetches = fetches() - beforeNext;
    t.diagnostic(`after the window: 11 junk kids, ${nextFetches} JWKS request(s); total ${fetches()}`);
    assert.equal(nextFetches, 1, 'exactly one more JWKS request after the cooldown window');

    // 5. JWKS back with a rotated key set: a token of the new key validates after one fetch.
    standin.setJwksMode('up');
    standin.rotateKeys([NEXT_KEY, KEY]);
    await windowPassed(lastFetchBefore);
    const beforeRotation = fetches();
    const rotated = await me(valid(NEXT_KEY));
    assertCors(rotated, 'new key');
    assert.equal(rotated.status, 200, `token of the rotated-in key: ${rotated.body}`);
    assert.equal((await me(valid(KEY))).status, 200, 'the old key is still published and accepted');
    assert.equal(fetches() - beforeRotation, 1, 'one JWKS request brought the new key');
  });
});

describe('JWKS never fetched', () => {
  let stack: Stack;
  let tenant: Tenant;
  before(async () => {
    // An issuer on a closed loopback port: the keys can never be fetched.
    const issuer = `http://127.0.0.1:${await freePort()}/`;
    tenant = {
      issuer,
      audience: DEFAULT_AUDIENCE,
      clientId: 'edge-sidecar-local',
      tenantClaim: 'https://zebra.associates/tenant_id',
      devUser: { sub: 'auth0|dev-user', email: 'dev@zebra.associates', name: 'Dev User', tenantId: 'demo', permissions: [] },
    };
    stack = await startStack({
      fakeApp: false,
      env: { ...database('never'), AUTH0_ISSUER: issuer, AUTH0_AUDIENCE: DEFAULT_AUDIENCE },
    });
  });
  after(async () => {
    await stack?.stop();
  });

  test('a well-formed token cannot be judged: 503 temporarily_unavailable with CORS, not 401', async () => {
    const token = signJwt({ alg: 'RS256', key: KEY }, accessClaims(tenant));
    const res = await apiCall(stack.base, '/api/v1/items', { origin: ORIGIN, jar: new CookieJar() }, { token });
    assertCors(res, 'JWKS unreachable');
    assertError(res, 503, 'temporarily_unavailable', 'JWKS unreachable');
  });
});
