// Attack suite, docs/security.md §5: the request-id contract, sidecar and direct alike. A sane X-Request-ID
// ([A-Za-z0-9._:-]{1,128}, deploy/edge_sidecar/request_ids.py PATTERN, the Caddyfile's map regex) is
// echoed exactly; anything else (missing, empty, too long, markup, non-ASCII, several lines) is replaced by
// a fresh UUID. Either way the response carries exactly one X-Request-ID and the API saw that same id
// (its `"event": "request"` log line names it). Real stacks, the reference API, both modes.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { type RawResponse, request, values } from '../../testkit/http.ts';
import { type Stack, waitFor } from '../../testkit/stack.ts';
import { stacksInBothModes } from './both-modes.ts';

const ORIGIN = 'http://localhost:3001';
const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

type Entry = Record<string, unknown>;

function jsonLines(stack: Stack): Entry[] {
  return stack
    .logs()
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .flatMap((l) => {
      try {
        return [JSON.parse(l) as Entry];
      } catch {
        return [];
      }
    });
}

/**
 * Send header lines exactly as given (a flat [name, value, ...] list: duplicates and empty values kept;
 * node:http writes JS strings as latin-1, so '\u00e9' is the byte 0xE9).
 */
function send(stack: Stack, method: string, p: string, lines: string[]): Promise<RawResponse> {
  const headers = ['Host', `127.0.0.1:${stack.port}`, 'Origin', ORIGIN, ...lines] as unknown as Record<string, string>;
  return request(`${stack.base}${p}`, { method, headers });
}

interface Case {
  name: string;
  /** X-Request-ID lines sent. */
  ids: string[];
  /** The id echoed exactly, or null: a fresh UUID. */
  kept: string | null;
}

const SANE = '0b5c8a2e-6c1e-4c1e-9a51-1f0e8f2d3c4b';
const CASES: Case[] = [
  { name: 'a UUID is echoed exactly', ids: [SANE], kept: SANE },
  { name: 'a short id is echoed exactly', ids: ['abc'], kept: 'abc' },
  { name: 'every allowed character is echoed exactly', ids: ['Az09._:-'], kept: 'Az09._:-' },
  { name: '128 characters are echoed exactly', ids: ['r'.repeat(128)], kept: 'r'.repeat(128) },
  { name: 'missing: a fresh UUID', ids: [], kept: null },
  { name: 'empty: a fresh UUID', ids: [''], kept: null },
  { name: '129 characters: a fresh UUID', ids: ['r'.repeat(129)], kept: null },
  { name: '8 KB: a fresh UUID', ids: ['r'.repeat(8192)], kept: null },
  { name: 'markup: a fresh UUID', ids: ['<script>alert(1)</script>'], kept: null },
  { name: 'quotes and brackets: a fresh UUID', ids: [`"'><img src=x onerror=alert(1)>`], kept: null },
  { name: 'JSON-breaking quote and backslash: a fresh UUID', ids: ['a"b\\c'], kept: null },
  { name: 'a space: a fresh UUID', ids: ['has space'], kept: null },
  { name: 'a slash: a fresh UUID', ids: ['a/b'], kept: null },
  { name: 'non-ASCII, latin-1 byte: a fresh UUID', ids: ['caf\u00e9'], kept: null },
  { name: 'non-ASCII, UTF-8 bytes: a fresh UUID', ids: ['caf\u00c3\u00a9'], kept: null },
  { name: 'a comma-joined pair: a fresh UUID', ids: ['one,two'], kept: null },
  { name: 'two X-Request-ID lines: a fresh UUID', ids: ['one', 'two'], kept: null },
  { name: 'the same sane id twice: a fresh UUID', ids: ['one', 'one'], kept: null },
];

interface Seen {
  status: number;
  /** 'kept' when the sent id came back, 'fresh' for a new UUID, else the odd value(s). */
  response: string;
  /** What the API logged for this request: the same id as the response, or the odd value. */
  api: string;
}

describe('attack: X-Request-ID (docs/security.md §5), sidecar and direct alike', () => {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'edge-attack-rid-'));
  const stacks = stacksInBothModes((mode) => ({ fakeApp: false, env: { DATABASE_URL: `sqlite:///${dataDir}/${mode}.db` } }));
  after(() => rmSync(dataDir, { recursive: true, force: true }));

  async function observe(stack: Stack, c: Case, method: string, p: string, byApi: boolean): Promise<Seen> {
    const res = await send(
      stack,
      method,
      p,
      c.ids.flatMap((id) => ['X-Request-ID', id]),
    );
    const got = values(res, 'x-request-id');
    const one = got.length === 1 ? got[0]! : null;
    const verdict = (v: string | null): string =>
      v === null
        ? `lines ${JSON.stringify(got)}`
        : c.kept !== null && v === c.kept
          ? 'kept'
          : c.kept === null && UUID_V4.test(v) && !c.ids.includes(v)
            ? 'fresh'
            : `odd ${JSON.stringify(v)}`;
    let api = 'not asked';
    if (byApi && one !== null) {
      const line = () => jsonLines(stack).find((e) => e.event === 'request' && e.request_id === one && e.path === p);
      api = await waitFor(async () => line() !== undefined, 20_000).then(
        () => 'same id',
        () =>
          `no API line with ${one}; API request lines: ${JSON.stringify(
            jsonLines(stack)
              .filter((e) => e.event === 'request')
              .slice(-3),
          )}`,
      );
    }
    return { status: res.status, response: verdict(one), api };
  }

  const ROUTES = [
    { what: 'GET /health/live (the API answers)', method: 'GET', path: '/health/live', byApi: true, status: 200 },
    {
      what: 'GET /api/v1/items without a token (the API refuses, 401)',
      method: 'GET',
      path: '/api/v1/items',
      byApi: true,
      status: 401,
    },
  ];

  for (const c of CASES) {
    for (const r of ROUTES) {
      test(`${c.name} — ${r.what}`, async () => {
        const got: Seen[] = [];
        const failures: string[] = [];
        for (const stack of stacks) {
          const seen = await observe(stack, c, r.method, r.path, r.byApi);
          got.push(seen);
          const want: Seen = { status: r.status, response: c.kept === null ? 'fresh' : 'kept', api: 'same id' };
          if (JSON.stringify(seen) !== JSON.stringify(want))
            failures.push(`${stack.mode}: got ${JSON.stringify(seen)}, want ${JSON.stringify(want)}`);
        }
        assert.deepEqual(failures, [], failures.join('\n'));
        assert.deepEqual(got[0], got[1], 'sidecar and direct answer alike');
      });
    }
  }

  // Answers the edge makes itself (the preflight) carry an id too, under the same rule.
  for (const c of [CASES[1]!, CASES[8]!, CASES[4]!]) {
    test(`${c.name} — an allowed preflight, answered by the edge`, async () => {
      const got: Seen[] = [];
      for (const stack of stacks) {
        const res = await send(stack, 'OPTIONS', '/api/v1/items', [
          'Access-Control-Request-Method',
          'GET',
          ...c.ids.flatMap((id) => ['X-Request-ID', id]),
        ]);
        const ids = values(res, 'x-request-id');
        const ok = ids.length === 1 && (c.kept === null ? UUID_V4.test(ids[0]!) : ids[0] === c.kept);
        got.push({ status: res.status, response: ok ? 'ok' : `lines ${JSON.stringify(ids)}`, api: 'not asked' });
      }
      assert.deepEqual(
        got.map((g) => `${g.status} ${g.response}`),
        ['204 ok', '204 ok'],
        JSON.stringify(got),
      );
    });
  }

  test('fresh ids differ from request to request', async () => {
    for (const stack of stacks) {
      const ids = new Set<string>();
      for (let i = 0; i < 5; i++)
        ids.add(values(await send(stack, 'GET', '/health/live', ['X-Request-ID', '<x>']), 'x-request-id')[0] ?? '');
      assert.equal(ids.size, 5, `${stack.mode}: ${[...ids].join(' ')}`);
    }
  });

  test("no traceback in either stack's logs", () => {
    for (const stack of stacks)
      assert.doesNotMatch(
        stack.logs(),
        /Traceback|Exception in ASGI application/,
        `${stack.mode}:\n${stack.logs().slice(-3000)}`,
      );
  });
});
