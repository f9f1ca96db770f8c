// Case tables for the pure judges and raw-header helpers (no network).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { headerTokens, pairRawHeaders, varyIncludes } from '../../src/probe/headers.ts';
import {
  browserGrants,
  judgeAllowedPreflight,
  judgeAllowedResponse,
  judgeDeniedPreflight,
  judgeNoCors,
  judgeOptionsNotPreflight,
  type ProbeResponse,
} from '../../src/probe/judges.ts';

const O = 'https://app.zebra.associates';
const res = (status: number, headers: [string, string][]): ProbeResponse => ({ status, headers, body: '' });
const GOOD_PREFLIGHT: [string, string][] = [
  ['Access-Control-Allow-Origin', O],
  ['Access-Control-Allow-Credentials', 'true'],
  ['Access-Control-Allow-Methods', 'GET, PUT'],
  ['Access-Control-Allow-Headers', 'Content-Type, X-Tenant-ID'],
  ['Access-Control-Max-Age', '600'],
  ['Vary', 'Origin, Access-Control-Request-Method'],
];
const without = (name: string): [string, string][] => GOOD_PREFLIGHT.filter(([n]) => n !== name);
const withHeader = (name: string, value: string): [string, string][] => [...without(name), [name, value]];

describe('raw headers', () => {
  test("pairs node's flat rawHeaders, keeps duplicates, merges list lines", () => {
    const h = pairRawHeaders(['Vary', 'Accept-Encoding', 'vary', 'origin', 'ACAO', 'a', 'ACAO', 'b']);
    assert.equal(h.length, 4);
    assert.deepEqual(headerTokens(h, 'Vary'), ['Accept-Encoding', 'origin']);
    assert.ok(varyIncludes(h, 'Origin'));
    assert.ok(varyIncludes([['Vary', '*']], 'Origin'));
    assert.ok(!varyIncludes([['Vary', 'Originator']], 'Origin'));
  });
});

describe('judgeAllowedPreflight', () => {
  const ctx = { origin: O, credentials: true, method: 'PUT', requestHeaders: ['content-type', 'x-tenant-id'] };
  const ROWS: [label: string, r: ProbeResponse, expect: RegExp | null, c?: Partial<typeof ctx>][] = [
    ['correct', res(204, GOOD_PREFLIGHT), null],
    ['200 is fine too', res(200, GOOD_PREFLIGHT), null],
    ['Vary on a second line', res(204, [...without('Vary'), ['Vary', 'Accept-Encoding'], ['Vary', 'Origin']]), null],
    [
      'header names compared case-insensitively',
      res(204, withHeader('Access-Control-Allow-Headers', 'CONTENT-TYPE,x-TENANT-id')),
      null,
    ],
    ['405 from the app', res(405, [...GOOD_PREFLIGHT, ['Allow', 'GET']]), /status 405, not 2xx \(Allow: GET/],
    ['two ACAO lines', res(204, [...GOOD_PREFLIGHT, ['Access-Control-Allow-Origin', O]]), /2 Access-Control-Allow-Origin lines/],
    [
      'other origin',
      res(204, withHeader('Access-Control-Allow-Origin', 'https://evil.test')),
      /is "https:\/\/evil.test", not the origin/,
    ],
    ['* with credentials', res(204, withHeader('Access-Control-Allow-Origin', '*')), /\* with credentials/],
    ['* without credentials', res(204, withHeader('Access-Control-Allow-Origin', '*')), null, { credentials: false }],
    ['ACAC True', res(204, withHeader('Access-Control-Allow-Credentials', 'True')), /not exactly "true"/],
    ['ACAC missing', res(204, without('Access-Control-Allow-Credentials')), /no Access-Control-Allow-Credentials/],
    ['ACAC not needed without credentials', res(204, without('Access-Control-Allow-Credentials')), null, { credentials: false }],
    ['method missing', res(204, withHeader('Access-Control-Allow-Methods', 'GET, POST')), /method PUT not in/],
    ['method case-sensitive', res(204, withHeader('Access-Control-Allow-Methods', 'get, put')), /method PUT not in/],
    ['methods * is literal with credentials', res(204, withHeader('Access-Control-Allow-Methods', '*')), /method PUT not in/],
    ['methods * without credentials', res(204, withHeader('Access-Control-Allow-Methods', '*')), null, { credentials: false }],
    ['no Allow-Methods', res(204, without('Access-Control-Allow-Methods')), /no Access-Control-Allow-Methods/],
    ['header missing', res(204, withHeader('Access-Control-Allow-Headers', 'Content-Type')), /lacks x-tenant-id/],
    [
      'headers * is literal with credentials',
      res(204, withHeader('Access-Control-Allow-Headers', '*')),
      /lacks content-type, x-tenant-id/,
    ],
    [
      '* never covers Authorization',
      res(204, withHeader('Access-Control-Allow-Headers', '*')),
      /lacks Authorization/,
      { credentials: false, requestHeaders: ['Authorization'] },
    ],
    ['no Max-Age', res(204, without('Access-Control-Max-Age')), /no Access-Control-Max-Age/],
    ['Max-Age not a number', res(204, withHeader('Access-Control-Max-Age', '10m')), /not one number/],
    ['no Vary', res(204, without('Vary')), /no Vary: Origin/],
  ];
  for (const [label, r, expect, c] of ROWS) {
    test(label, () => {
      const problems = judgeAllowedPreflight(r, { ...ctx, ...c });
      if (expect === null) assert.deepEqual(problems, []);
      else assert.match(problems.join('; '), expect);
    });
  }
});

describe('browserGrants (refused method/header preflights)', () => {
  const ctx = { origin: O, credentials: true, method: 'PROPFIND', requestHeaders: [] as string[] };
  const ROWS: [label: string, r: ProbeResponse, granted: boolean, c?: Partial<typeof ctx>][] = [
    ['method listed', res(204, withHeader('Access-Control-Allow-Methods', 'GET, PROPFIND')), true],
    ['method not listed', res(204, GOOD_PREFLIGHT), false],
    ['no CORS at all', res(204, []), false],
    ['listed but status 400', res(400, withHeader('Access-Control-Allow-Methods', 'PROPFIND')), false],
    ['listed but ACAO missing (Starlette-style refusal)', res(400, without('Access-Control-Allow-Origin')), false],
    ['methods * with credentials is literal', res(204, withHeader('Access-Control-Allow-Methods', '*')), false],
    [
      'methods * without credentials grants',
      res(204, withHeader('Access-Control-Allow-Methods', '*')),
      true,
      { credentials: false },
    ],
    ['safelisted methods need no listing', res(204, without('Access-Control-Allow-Methods')), true, { method: 'POST' }],
    [
      'header listed (any case)',
      res(204, withHeader('Access-Control-Allow-Headers', 'x-forbidden')),
      true,
      { method: 'PUT', requestHeaders: ['X-Forbidden'] },
    ],
    ['header not listed', res(204, GOOD_PREFLIGHT), false, { method: 'PUT', requestHeaders: ['X-Forbidden'] }],
    [
      'two ACAO lines never grant',
      res(204, [...withHeader('Access-Control-Allow-Methods', 'PROPFIND'), ['Access-Control-Allow-Origin', O]]),
      false,
    ],
  ];
  for (const [label, r, granted, c] of ROWS) {
    test(label, () => assert.equal(browserGrants(r, { ...ctx, ...c }), granted));
  }
});

describe('responses', () => {
  const ctx = { origin: O, credentials: true };
  const ALLOWED = [
    ['Access-Control-Allow-Origin', O],
    ['Access-Control-Allow-Credentials', 'true'],
    ['Vary', 'Origin'],
  ] as [string, string][];
  const ROWS: [label: string, judge: (r: ProbeResponse) => string[], r: ProbeResponse, expect: RegExp | null][] = [
    ['allowed: correct', (r) => judgeAllowedResponse(r, ctx), res(200, ALLOWED), null],
    [
      'allowed: * with credentials',
      (r) => judgeAllowedResponse(r, ctx),
      res(200, [['Access-Control-Allow-Origin', '*'], ...ALLOWED.slice(1)]),
      /\* with credentials/,
    ],
    [
      'allowed: Vary replaced',
      (r) => judgeAllowedResponse(r, ctx),
      res(200, [...ALLOWED.slice(0, 2), ['Vary', 'Accept-Encoding']]),
      /Vary lacks Origin \(Vary: Accept-Encoding\)/,
    ],
    ['no-cors: clean', judgeNoCors, res(200, [['Vary', 'Origin']]), null],
    [
      'no-cors: ACAC alone is still CORS',
      judgeNoCors,
      res(200, [
        ['Access-Control-Allow-Credentials', 'true'],
        ['Vary', 'Origin'],
      ]),
      /CORS granted \(Access-Control-Allow-Credentials: true\)/,
    ],
    ['no-cors: Vary still required', judgeNoCors, res(200, []), /no Vary: Origin/],
    ['denied preflight: nothing', judgeDeniedPreflight, res(204, []), null],
    [
      'denied preflight: methods listed',
      judgeDeniedPreflight,
      res(400, [['Access-Control-Allow-Methods', 'GET']]),
      /CORS granted/,
    ],
    ["options: app's 405 with CORS", (r) => judgeOptionsNotPreflight(r, ctx), res(405, [...ALLOWED, ['Allow', 'GET']]), null],
    [
      'options: answered as preflight',
      (r) => judgeOptionsNotPreflight(r, ctx),
      res(204, [...ALLOWED, ['Access-Control-Max-Age', '600']]),
      /answered as a preflight \(has Access-Control-Max-Age\)/,
    ],
    ['options: refused as a preflight', (r) => judgeOptionsNotPreflight(r, ctx), res(204, []), /no Access-Control-Allow-Origin/],
  ];
  for (const [label, judge, r, expect] of ROWS) {
    test(label, () => {
      const problems = judge(r);
      if (expect === null) assert.deepEqual(problems, []);
      else assert.match(problems.join('; '), expect);
    });
  }
});
