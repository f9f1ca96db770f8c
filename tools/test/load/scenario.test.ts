// The virtual user's model: origins, seeded randomness, what an iteration sends, the preflight cache (pure).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  CALLS,
  iteration,
  MAX_AGE_CAP_SEC,
  needsRefresh,
  ORIGINS,
  PreflightCache,
  rng,
  type Session,
  thinkTime,
  userSpec,
} from '../../src/load/scenario.ts';

test('users alternate between both origins, each with its callback', () => {
  assert.deepEqual(
    [0, 1, 2, 3].map((i) => userSpec(i).origin),
    [ORIGINS[0], ORIGINS[1], ORIGINS[0], ORIGINS[1]],
  );
  assert.equal(userSpec(1).redirectUri, 'http://localhost:3001/callback');
  assert.equal(userSpec(0).redirectUri, 'https://app.zebra.associates/callback');
});

test('rng: a seed gives the same sequence, in [0, 1)', () => {
  const a = rng(42);
  const b = rng(42);
  const xs = Array.from({ length: 1000 }, () => a());
  assert.deepEqual(
    xs.slice(0, 5),
    Array.from({ length: 5 }, () => b()),
  );
  assert.ok(xs.every((x) => x >= 0 && x < 1));
  assert.notDeepEqual(xs.slice(0, 5), Array.from({ length: 5 }, rng(43)));
  const mean = xs.reduce((s, x) => s + x, 0) / xs.length;
  assert.ok(mean > 0.45 && mean < 0.55, `mean ${mean}`);
});

test('thinkTime is uniform in 0.5–1.5 × the mean', () => {
  const r = rng(1);
  const t = Array.from({ length: 1000 }, () => thinkTime(1000, r));
  assert.ok(Math.min(...t) >= 500 && Math.max(...t) < 1500);
  assert.equal(
    thinkTime(1000, () => 0),
    500,
  );
});

describe('iteration', () => {
  const now = 1_000_000;
  const session = (expiresIn: number): Session => ({ accessToken: 't', refreshCookie: 'c', expiresAt: now + expiresIn });
  const ROWS: [string, number, number, string[]][] = [
    ['a fresh token: the list only', 60_000, 0.5, ['get']],
    ['the token expires within the margin: refresh first', 9_000, 0.5, ['refresh', 'get']],
    ['exactly at the margin: refresh', 10_000, 0.5, ['refresh', 'get']],
    ['an expired token: refresh', -5_000, 0.5, ['refresh', 'get']],
    ['the POST draw: one in postEvery', 60_000, 0.05, ['get', 'post']],
    ['just above one in postEvery: no POST', 60_000, 0.1, ['get']],
  ];
  for (const [name, expiresIn, draw, kinds] of ROWS) {
    test(name, () =>
      assert.deepEqual(
        iteration(session(expiresIn), now, { refreshMarginMs: 10_000, postEvery: 10 }, () => draw).map((c) => c.kind),
        kinds,
      ),
    );
  }
  test('needsRefresh', () => {
    assert.equal(needsRefresh(session(10_001), now, 10_000), false);
    assert.equal(needsRefresh(session(10_000), now, 10_000), true);
  });
  test('POSTs come about once in postEvery iterations', () => {
    const r = rng(7);
    const posts = Array.from({ length: 2000 }, () =>
      iteration(session(60_000), now, { refreshMarginMs: 10_000, postEvery: 10 }, r),
    ).filter((c) => c.some((x) => x.kind === 'post')).length;
    assert.ok(posts > 150 && posts < 250, `${posts} POSTs in 2000 iterations`);
  });
});

describe('PreflightCache', () => {
  const grant = (maxAge: string | undefined, headers = 'Authorization, Content-Type, X-Requested-With'): [string, string][] => [
    ['access-control-allow-headers', headers],
    ...(maxAge === undefined ? [] : ([['access-control-max-age', maxAge]] as [string, string][])),
  ];
  test('empty: every call needs a preflight', () => assert.equal(new PreflightCache().needs(CALLS.get, 0), true));
  test('a grant is used until its Max-Age runs out', () => {
    const c = new PreflightCache();
    c.store(CALLS.get, grant('10'), 0);
    assert.equal(c.needs(CALLS.get, 9_999), false);
    assert.equal(c.needs(CALLS.get, 10_000), true);
  });
  test('an entry is per URL and method: the POST on the same URL needs its own', () => {
    const c = new PreflightCache();
    c.store(CALLS.get, grant('10'), 0);
    assert.equal(c.needs(CALLS.post, 1), true);
    assert.equal(c.needs(CALLS.refresh, 1), true);
  });
  test('a grant that lacks a header the call sends does not cover it', () => {
    const c = new PreflightCache();
    c.store(CALLS.post, grant('10', 'Authorization'), 0);
    assert.equal(c.needs(CALLS.post, 1), true);
  });
  const NOT_CACHED: [string, string | undefined][] = [
    ['Max-Age 0', '0'],
    ['no Max-Age', undefined],
    ['a Max-Age that is not a number', '10s'],
  ];
  for (const [name, maxAge] of NOT_CACHED) {
    test(`${name}: not cached`, () => {
      const c = new PreflightCache();
      c.store(CALLS.get, grant(maxAge), 0);
      assert.equal(c.needs(CALLS.get, 1), true);
    });
  }
  test(`a Max-Age over ${MAX_AGE_CAP_SEC} s is capped, as Chromium does`, () => {
    const c = new PreflightCache();
    c.store(CALLS.get, grant('86400'), 0);
    assert.equal(c.needs(CALLS.get, MAX_AGE_CAP_SEC * 1000 - 1), false);
    assert.equal(c.needs(CALLS.get, MAX_AGE_CAP_SEC * 1000), true);
  });
  test('clear empties it', () => {
    const c = new PreflightCache();
    c.store(CALLS.get, grant('10'), 0);
    c.clear();
    assert.equal(c.needs(CALLS.get, 1), true);
  });
});
