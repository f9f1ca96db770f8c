// Assertions the auth tests share: CORS for the page's origin (the probe's judges), auth cookie attributes, JSON errors.
import assert from 'node:assert/strict';
import { judgeAllowedResponse, judgeNoCors } from '../../src/probe/judges.ts';
import { AUTH, setCookie } from '../../testkit/auth.ts';
import { type RawResponse, values } from '../../testkit/http.ts';

/** The page of the development policy (in the default CORS_ALLOW_ORIGINS) and the stand-in's default callback. */
export const ORIGIN = 'http://localhost:3001';
export const CALLBACK = 'http://localhost:3001/callback';
export const EVIL = 'https://evil.test';

/** ACAO exactly the origin, ACAC true, Vary includes Origin (whatever the status). */
export function assertCors(res: RawResponse, what: string, origin = ORIGIN): void {
  assert.deepEqual(
    judgeAllowedResponse(res, { origin, credentials: true }),
    [],
    `${what} (HTTP ${res.status}): CORS for ${origin}`,
  );
}

/** A disallowed origin gets no Access-Control-* at all (Vary still names Origin). */
export function assertNoCors(res: RawResponse, what: string): void {
  assert.deepEqual(judgeNoCors(res), [], `${what} (HTTP ${res.status}): no CORS`);
}

/** Status, JSON body with the contract's `error` code and a `detail`. */
export function assertError(res: RawResponse, status: number, error: string, what: string): Record<string, unknown> {
  assert.equal(res.status, status, `${what}: ${res.body.slice(0, 300)}`);
  assert.match(values(res, 'content-type')[0] ?? '', /application\/json/, `${what}: JSON`);
  const body = JSON.parse(res.body) as Record<string, unknown>;
  assert.equal(body.error, error, `${what}: error code in ${res.body.slice(0, 300)}`);
  assert.ok(body.detail, `${what}: detail`);
  // Every 401 carries a Bearer challenge (RFC 9110 §15.5.2), the cookie endpoints' invalid_grant too.
  if (status === 401) {
    assert.match(values(res, 'www-authenticate')[0] ?? '', /^Bearer\b/, `${what}: WWW-Authenticate: Bearer`);
  }
  return body;
}

/** The auth cookie attributes of the contract: HttpOnly, Secure, SameSite=Strict, Path=/api/v1/auth; Max-Age as given. */
export function assertAuthCookie(res: RawResponse, name: string, maxAge: 'positive' | 'cleared' | number, what: string): string {
  const c = setCookie(res, name);
  assert.ok(c, `${what}: Set-Cookie ${name} (got ${JSON.stringify(values(res, 'set-cookie'))})`);
  assert.ok(c.attrs.has('httponly'), `${what}: ${name} HttpOnly`);
  assert.ok(c.attrs.has('secure'), `${what}: ${name} Secure`);
  assert.equal(c.attrs.get('samesite')?.toLowerCase(), 'strict', `${what}: ${name} SameSite=Strict`);
  assert.equal(c.attrs.get('path'), AUTH, `${what}: ${name} Path`);
  const age = Number(c.attrs.get('max-age'));
  if (maxAge === 'cleared') {
    const expires = Date.parse(c.attrs.get('expires') ?? '');
    assert.ok(
      age <= 0 || expires <= Date.now(),
      `${what}: ${name} cleared (Max-Age ${c.attrs.get('max-age')}, Expires ${c.attrs.get('expires')})`,
    );
  } else if (maxAge === 'positive') {
    assert.ok(age > 0, `${what}: ${name} Max-Age ${c.attrs.get('max-age')}`);
    assert.ok(c.value, `${what}: ${name} has a value`);
  } else {
    assert.equal(age, maxAge, `${what}: ${name} Max-Age`);
  }
  return c.value;
}
