// Each load response judged as a browser page needs it: failed (status, body, no answer) and CORS-less apart (pure).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { checkPreflight, checkResponse, createdItem, itemList, noResponse, tokenAnswer } from '../../src/load/check.ts';

const ORIGIN = 'https://app.zebra.associates';
type Lines = [string, string][];
const res = (status: number, headers: Lines, body = '') => ({ status, headers, body });
const CORS: Lines = [
  ['Access-Control-Allow-Origin', ORIGIN],
  ['Access-Control-Allow-Credentials', 'true'],
  ['Vary', 'Origin'],
];
const GRANT: Lines = [
  ...CORS,
  ['Access-Control-Allow-Methods', 'GET, POST, PUT, PATCH, DELETE, OPTIONS, HEAD'],
  ['Access-Control-Allow-Headers', 'Authorization, Content-Type, Accept, X-Requested-With, X-Tenant-ID'],
  ['Access-Control-Max-Age', '10'],
];
const without = (lines: Lines, name: string): Lines => lines.filter(([n]) => n !== name);
const ASK = { method: 'POST', requestHeaders: ['authorization', 'content-type'] };

describe('checkPreflight', () => {
  const ROWS: [string, ReturnType<typeof res>, boolean, RegExp | undefined][] = [
    ["Caddy's 204 grant", res(204, GRANT), false, undefined],
    ["direct mode's 200 grant", res(200, GRANT), false, undefined],
    ['no Allow-Origin', res(204, without(GRANT, 'Access-Control-Allow-Origin')), false, /no Access-Control-Allow-Origin/],
    [
      'another origin',
      res(204, [...without(GRANT, 'Access-Control-Allow-Origin'), ['Access-Control-Allow-Origin', 'http://localhost:3001']]),
      false,
      /not the origin/,
    ],
    [
      'no Allow-Credentials',
      res(204, without(GRANT, 'Access-Control-Allow-Credentials')),
      false,
      /no Access-Control-Allow-Credentials/,
    ],
    [
      'method not granted',
      res(204, [...without(GRANT, 'Access-Control-Allow-Methods'), ['Access-Control-Allow-Methods', 'GET']]),
      false,
      /method POST not in/,
    ],
    [
      'header not granted',
      res(204, [...without(GRANT, 'Access-Control-Allow-Headers'), ['Access-Control-Allow-Headers', 'Authorization']]),
      false,
      /lacks content-type/,
    ],
    ['no Max-Age', res(204, without(GRANT, 'Access-Control-Max-Age')), false, /no Access-Control-Max-Age/],
  ];
  for (const [name, r, failed, cors] of ROWS) {
    test(name, () => {
      const o = checkPreflight(r, ORIGIN, ASK);
      assert.equal(o.failed !== undefined, failed, o.failed);
      if (cors) assert.match(o.cors.join('; '), cors);
      else assert.deepEqual(o.cors, []);
    });
  }
  test('a refused preflight (403, no CORS) is failed and CORS-less, the status said once', () => {
    const o = checkPreflight(res(403, [], '{"detail":"CORS preflight refused"}'), ORIGIN, ASK);
    assert.match(o.failed ?? '', /^status 403, not 2xx: \{"detail"/);
    assert.ok(o.cors.length > 0);
    assert.ok(!o.cors.some((p) => p.startsWith('status')), o.cors.join('; '));
  });
});

describe('checkResponse', () => {
  const LIST = JSON.stringify([{ id: 1, name: 'a' }]);
  const ROWS: [
    string,
    ReturnType<typeof res>,
    number,
    ((b: string) => string | undefined) | undefined,
    RegExp | undefined,
    RegExp | undefined,
  ][] = [
    ['a list with CORS', res(200, CORS, LIST), 200, itemList, undefined, undefined],
    [
      'a list without CORS: status fine, CORS-less',
      res(200, without(CORS, 'Access-Control-Allow-Origin'), LIST),
      200,
      itemList,
      undefined,
      /no Access-Control-Allow-Origin/,
    ],
    [
      'a 502 with CORS: failed, not CORS-less',
      res(502, CORS, '{"detail":"bad gateway"}'),
      200,
      itemList,
      /status 502, not 200/,
      undefined,
    ],
    ['a 401 without CORS: both', res(401, [], '{}'), 200, itemList, /status 401/, /no Access-Control-Allow-Origin/],
    ['a wrong body', res(200, CORS, '<html>'), 200, itemList, /not a list of items/, undefined],
    ['no Vary: Origin', res(200, without(CORS, 'Vary'), LIST), 200, itemList, undefined, /Vary/],
    ['a created item', res(201, CORS, '{"id":3,"name":"x"}'), 201, createdItem, undefined, undefined],
    ['a refresh without a token', res(200, CORS, '{"detail":"x"}'), 200, tokenAnswer, /no access_token/, undefined],
    ['a refresh', res(200, CORS, '{"access_token":"t","expires_in":30}'), 200, tokenAnswer, undefined, undefined],
  ];
  for (const [name, r, status, body, failed, cors] of ROWS) {
    test(name, () => {
      const o = checkResponse(r, ORIGIN, { status, ...(body ? { body } : {}) });
      if (failed) assert.match(o.failed ?? '', failed);
      else assert.equal(o.failed, undefined);
      if (cors) assert.match(o.cors.join('; '), cors);
      else assert.deepEqual(o.cors, []);
    });
  }
});

test('noResponse is failed, with nothing to judge for CORS', () =>
  assert.deepEqual(noResponse('socket hang up'), { failed: 'socket hang up', cors: [] }));
