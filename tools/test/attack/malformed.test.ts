// Attack suite, docs/security.md §4: malformed input. Every bad body, query, path or header gets a JSON 4xx
// {"detail", "error"} with CORS for the allowed origin, never a 500, never a traceback in the logs, and
// sidecar and direct answer alike. The cases are what broke FastAPI's error encoding (a lone UTF-16
// surrogate, NaN, bytes that are not UTF-8), what a database cannot store (NUL) and what Python's JSON
// parser gives up on (huge numbers, deep nesting). Real stacks, the reference API, the Auth0 stand-in
// for a token (the items endpoints), both modes.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { type Standin, startStandin } from '../../src/auth0-standin/standin.ts';
import { loginThroughApi } from '../../testkit/auth.ts';
import { type RawResponse, tokens, values } from '../../testkit/http.ts';
import { type Stack, startStack } from '../../testkit/stack.ts';

const ORIGIN = 'http://localhost:3001';
const LOGIN = '/api/v1/auth/login';
const ITEMS = '/api/v1/items';
const JSON_TYPE = 'application/json';

/** One request with a raw body (Buffer: any bytes) and header values written as latin-1. */
function raw(url: string, opts: { method: string; headers: Record<string, string>; body?: Buffer }): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: opts.method, headers: opts.headers, timeout: 30_000, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const headers: [string, string][] = [];
        for (let i = 0; i + 1 < res.rawHeaders.length; i += 2)
          headers.push([res.rawHeaders[i]!.toLowerCase(), res.rawHeaders[i + 1]!]);
        resolve({ status: res.statusCode ?? 0, headers, body: Buffer.concat(chunks).toString('utf8') });
      });
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`timeout: ${url}`)));
    req.on('error', reject);
    req.end(opts.body);
  });
}

const b = (s: string): Buffer => Buffer.from(s, 'latin1');

interface Case {
  name: string;
  method: string;
  path: string;
  body?: Buffer;
  /** Content-Type; undefined = none sent. */
  type?: string;
  headers?: Record<string, string>;
  /** Send the stand-in user's bearer token. */
  token?: boolean;
  status: number;
}

const body = (name: string, target: 'login' | 'items', bytes: Buffer, type: string | undefined = JSON_TYPE): Case => ({
  name: `${target}: ${name}`,
  method: 'POST',
  path: target === 'login' ? LOGIN : ITEMS,
  body: bytes,
  type,
  headers: { 'X-Requested-With': 'fetch' },
  token: target === 'items',
  status: 422,
});

const BODIES: [string, Buffer, string?][] = [
  ['a lone surrogate in a string (the reported case)', b('{"name": "\\ud800", "code": "\\ud800"}')],
  ['a lone low surrogate', b('{"name": "a\\udc00b", "code": "\\udc00"}')],
  ['a lone surrogate as a key', b('{"\\ud800": 1}')],
  ['a lone surrogate in an extra field', b('{"name": "ok", "x\\udfff": "\\udfff"}')],
  ['a lone surrogate as the whole body', b('"\\ud800"')],
  ['NUL in a string', b('{"name": "a\\u0000b", "code": "a\\u0000b"}')],
  ['bytes that are not UTF-8, as JSON', b('{"name": "\xff\xfe", "code": "\xc3\x28"}')],
  ['bytes that are not UTF-8, no Content-Type', b('{"name": "\xff"}'), undefined],
  ['binary as text/plain', b('\x00\xff\xfe\x80'), 'text/plain'],
  ['not JSON', b('{not json')],
  ['truncated JSON', b('{"name": "x')],
  ['NaN', b('{"name": NaN, "code": NaN}')],
  ['Infinity', b('{"name": -Infinity, "code": Infinity}')],
  ['a float that overflows', b('{"name": 1e400, "code": 1e400}')],
  ['an integer of 5000 digits', b(`{"name": 1${'0'.repeat(5000)}, "code": 1${'0'.repeat(5000)}}`)],
  ['nesting 500 deep', b(`{"name": ${'['.repeat(500)}${']'.repeat(500)}}`)],
  // Past Python's recursion limit (~1000), inside the login's 16 KiB body limit (class 1: a larger body is a 413).
  ['nesting 8000 deep', b(`${'['.repeat(8000)}${']'.repeat(8000)}`)],
  ['an empty body', b('')],
  ['null', b('null')],
];

const CASES: Case[] = [
  ...BODIES.flatMap(([name, bytes, ...type]) => {
    const t = type.length ? type[0] : JSON_TYPE;
    return [body(name, 'login', bytes, t), body(name, 'items', bytes, t)];
  }),
  // Bodies valid for the item schema, so the value reaches the database (and the response) before the fix.
  body('NUL in the item name (stored as is before; PostgreSQL cannot store it)', 'items', b('{"name": "a\\u0000b"}')),
  body('a lone surrogate as the item name (the database write raised)', 'items', b('{"name": "\\ud800"}')),
  { name: 'query: an encoded lone surrogate', method: 'GET', path: `${ITEMS}?limit=%ED%A0%80`, token: true, status: 422 },
  { name: 'query: bytes that are not UTF-8', method: 'GET', path: `${ITEMS}?limit=%FF%FE`, token: true, status: 422 },
  { name: 'query: NUL', method: 'GET', path: `${ITEMS}?limit=%00`, token: true, status: 422 },
  {
    name: 'query: an integer of 5000 digits',
    method: 'GET',
    path: `${ITEMS}?limit=1${'0'.repeat(5000)}`,
    token: true,
    status: 422,
  },
  {
    name: 'query: an encoded lone surrogate, unauthenticated',
    method: 'GET',
    path: '/api/v1/auth/auth0-url?redirect_uri=%ED%A0%80',
    status: 400,
  },
  { name: 'path: an encoded lone surrogate', method: 'GET', path: `${ITEMS}/%ED%A0%80`, token: true, status: 422 },
  { name: 'path: NUL', method: 'GET', path: `${ITEMS}/%00`, token: true, status: 422 },
  { name: 'path: an integer of 5000 digits', method: 'GET', path: `${ITEMS}/1${'0'.repeat(5000)}`, token: true, status: 422 },
  { name: 'path: unknown, with an encoded surrogate', method: 'GET', path: '/no-such-path/%ED%A0%80', status: 404 },
  { name: 'method: not allowed', method: 'PATCH', path: ITEMS, token: true, status: 405 },
  {
    name: 'header: X-Tenant-ID of latin-1 bytes',
    method: 'GET',
    path: ITEMS,
    token: true,
    headers: { 'X-Tenant-ID': '\u00ff\u00fe' },
    status: 403,
  },
  {
    name: 'header: X-Tenant-ID of UTF-8 surrogate bytes',
    method: 'GET',
    path: ITEMS,
    token: true,
    headers: { 'X-Tenant-ID': '\u00ed\u00a0\u0080' },
    status: 403,
  },
  {
    name: 'header: Authorization of latin-1 bytes',
    method: 'GET',
    path: ITEMS,
    headers: { Authorization: 'Bearer \u00ff\u00fe\u0080' },
    status: 401,
  },
  {
    name: 'header: login cookie of latin-1 bytes',
    method: 'POST',
    path: LOGIN,
    body: b('{"code": "c", "state": "s"}'),
    type: JSON_TYPE,
    headers: { 'X-Requested-With': 'fetch', Cookie: 'edge_auth_tx=\u00ff\u00fe' },
    status: 400,
  },
];

interface Outcome {
  status: number;
  json: boolean;
  /** `error` of the body, or why there is none. */
  error: string;
  detail: string;
  acao: string[];
  credentials: string[];
  varyOrigin: boolean;
}

function outcome(res: RawResponse): Outcome {
  let parsed: Record<string, unknown> | null = null;
  try {
    parsed = JSON.parse(res.body) as Record<string, unknown>;
  } catch {
    parsed = null;
  }
  const isJson = values(res, 'content-type').some((v) => v.startsWith(JSON_TYPE)) && parsed !== null;
  return {
    status: res.status,
    json: isJson,
    error: typeof parsed?.error === 'string' ? parsed.error : `no error code: ${res.body.slice(0, 160)}`,
    detail: typeof parsed?.detail === 'string' && parsed.detail ? 'string' : `no string detail: ${res.body.slice(0, 160)}`,
    acao: values(res, 'access-control-allow-origin'),
    credentials: values(res, 'access-control-allow-credentials'),
    varyOrigin: tokens(res, 'vary').includes('origin'),
  };
}

describe('attack: malformed input (docs/security.md §4), sidecar and direct alike', () => {
  let standin: Standin;
  const stacks: Stack[] = [];
  const tokenOf = new Map<Stack, string>();
  const dataDir = mkdtempSync(path.join(tmpdir(), 'edge-attack-malformed-'));
  before(async () => {
    standin = await startStandin({ port: 0 });
    stacks.push(
      ...(await Promise.all(
        (['sidecar', 'direct'] as const).map((mode) =>
          startStack({ mode, fakeApp: false, auth: standin, env: { DATABASE_URL: `sqlite:///${dataDir}/${mode}.db` } }),
        ),
      )),
    );
    for (const stack of stacks) {
      const login = await loginThroughApi(stack.base, { origin: ORIGIN, redirectUri: `${ORIGIN}/callback` });
      tokenOf.set(stack, login.accessToken);
    }
  });
  after(async () => {
    await Promise.all(stacks.map((s) => s.stop()));
    await standin?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  for (const c of CASES) {
    test(c.name, async () => {
      const got: Outcome[] = [];
      const failures: string[] = [];
      for (const stack of stacks) {
        const headers: Record<string, string> = { Origin: ORIGIN, Accept: JSON_TYPE, ...c.headers };
        if (c.type !== undefined) headers['Content-Type'] = c.type;
        if (c.token) headers.Authorization = `Bearer ${tokenOf.get(stack)}`;
        const logBefore = stack.logs().length;
        const res = await raw(stack.base + c.path, { method: c.method, headers, ...(c.body ? { body: c.body } : {}) });
        const o = outcome(res);
        got.push(o);
        const want: Outcome = {
          status: c.status,
          json: true,
          error: o.error.startsWith('no error') ? 'an error code' : o.error,
          detail: 'string',
          acao: [ORIGIN],
          credentials: ['true'],
          varyOrigin: true,
        };
        if (JSON.stringify(o) !== JSON.stringify(want))
          failures.push(`${stack.mode}: got ${JSON.stringify(o)}\n  want ${JSON.stringify(want)}`);
        const newLogs = stack.logs().slice(logBefore);
        if (/Traceback|Exception in ASGI application/.test(newLogs))
          failures.push(`${stack.mode}: a traceback in the logs:\n${newLogs.slice(0, 1500)}`);
      }
      assert.deepEqual(failures, [], failures.join('\n'));
      assert.deepEqual(got[0], got[1], 'sidecar and direct answer alike');
    });
  }

  test("no traceback anywhere in either stack's logs", () => {
    for (const stack of stacks)
      assert.doesNotMatch(
        stack.logs(),
        /Traceback|Exception in ASGI application/,
        `${stack.mode}:\n${stack.logs().slice(-3000)}`,
      );
  });
});
