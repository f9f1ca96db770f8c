// The stand-in's printed URL (its issuer) answers GET / with an HTML page describing the tenant, values escaped.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startStandin } from '../../src/auth0-standin/standin.ts';
import { request, values } from '../../testkit/http.ts';

test('GET / on the issuer: an HTML index of the tenant with links to discovery and the JWKS', async () => {
  const standin = await startStandin({
    redirectUris: ['http://localhost:3001/callback', 'https://app.zebra.associates/callback'],
    logoutUrls: ['http://localhost:3001/'],
    devUser: { email: 'dev@zebra.associates', tenantId: 'acme' },
  });
  try {
    const res = await request(standin.issuer);
    assert.equal(res.status, 200, res.body);
    assert.match(values(res, 'content-type')[0] ?? '', /^text\/html; charset=utf-8$/);
    assert.match(res.body, /^<!DOCTYPE html>/);
    for (const value of [
      standin.issuer,
      standin.audience,
      standin.clientId,
      'http://localhost:3001/callback',
      'https://app.zebra.associates/callback',
      'http://localhost:3001/',
      standin.devUser.sub,
      'dev@zebra.associates',
      'acme',
      standin.tenantClaim,
      standin.signingKid(),
    ]) {
      assert.ok(res.body.includes(value), `the index shows ${value}:\n${res.body}`);
    }
    assert.ok(res.body.includes(`<a href="${standin.endpoints.discovery}">`), `a link to discovery:\n${res.body}`);
    assert.ok(res.body.includes(`<a href="${standin.endpoints.jwks}">`), `a link to the JWKS:\n${res.body}`);
    assert.ok(!res.body.includes(standin.clientSecret), 'the client secret is not shown');
    // The links work: the discovery document names this issuer.
    const discovery = await request(standin.endpoints.discovery);
    assert.equal((JSON.parse(discovery.body) as { issuer: string }).issuer, standin.issuer);
    const head = await request(standin.issuer, { method: 'HEAD' });
    assert.equal(head.status, 200);
    assert.equal(head.body, '');
  } finally {
    await standin.stop();
  }
});

test('the index escapes every value it shows', async () => {
  const standin = await startStandin({
    devUser: { name: '<script>alert(1)</script>', email: 'a&b"c@zebra.associates', tenantId: "o'brien" },
  });
  try {
    const res = await request(`${standin.url}/`);
    assert.equal(res.status, 200);
    assert.ok(!res.body.includes('<script>'), `no raw markup from a value:\n${res.body}`);
    assert.ok(res.body.includes('&lt;script&gt;alert(1)&lt;/script&gt;'), res.body);
    assert.ok(res.body.includes('a&amp;b&quot;c@zebra.associates'), res.body);
    assert.ok(res.body.includes('o&#39;brien'), res.body);
  } finally {
    await standin.stop();
  }
});
