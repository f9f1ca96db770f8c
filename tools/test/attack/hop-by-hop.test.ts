// Attack suite, docs/security.md §3: a Connection header naming end-to-end fields (Origin, X-Tenant-ID,
// Authorization...) must not hide them from the API. A proxy drops the fields its Connection header names
// (hop-by-hop removal), so a guard that only acts when a header is present would be skipped behind Caddy,
// while uvicorn alone (direct mode) keeps them. Every case runs through the real stack in both modes: the
// app must see the same end-to-end headers, and the answers (status, CORS) must be the same.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { type RawResponse, tokens } from '../../testkit/http.ts';
import { ALLOWED, POLICY_ENV } from '../../testkit/policy.ts';
import { send, stacksInBothModes } from './both-modes.ts';

const A = ALLOWED[0]!;
const FOREIGN = 'https://evil.test';
const ACRM = 'Access-Control-Request-Method';

interface Case {
  name: string;
  method: 'GET' | 'OPTIONS';
  lines: string[];
  status: number;
  /** The one origin granted, or null: no Access-Control-* line at all. */
  granted: string | null;
  /** End-to-end headers (lower-case) the app must see, with the values sent. */
  seen: Record<string, string>;
}

const get = (name: string, lines: string[], seen: Record<string, string>, granted: string | null = null): Case => ({
  name,
  method: 'GET',
  lines,
  status: 200,
  granted,
  seen,
});
const preflight = (name: string, lines: string[], granted: string | null): Case => ({
  name,
  method: 'OPTIONS',
  lines,
  status: granted ? 204 : 403,
  granted,
  seen: {},
});

const CASES: Case[] = [
  get('control: no Connection header', ['Origin', A, 'X-Tenant-ID', 't-1'], { origin: A, 'x-tenant-id': 't-1' }, A),
  get('Connection: Origin', ['Origin', A, 'Connection', 'Origin'], { origin: A }, A),
  get('Connection: Origin, from a foreign origin', ['Origin', FOREIGN, 'Connection', 'Origin'], { origin: FOREIGN }),
  get('Connection: X-Tenant-ID', ['Origin', A, 'X-Tenant-ID', 't-1', 'Connection', 'X-Tenant-ID'], { 'x-tenant-id': 't-1' }, A),
  get('Connection: Authorization', ['Authorization', 'Bearer not-a-token', 'Connection', 'Authorization'], {
    authorization: 'Bearer not-a-token',
  }),
  get('Connection: Cookie', ['Cookie', 'edge_refresh=abc', 'Connection', 'Cookie'], { cookie: 'edge_refresh=abc' }),
  get('Connection: X-Requested-With', ['X-Requested-With', 'fetch', 'Connection', 'X-Requested-With'], {
    'x-requested-with': 'fetch',
  }),
  get('Connection: Content-Type', ['Content-Type', 'application/json', 'Connection', 'Content-Type'], {
    'content-type': 'application/json',
  }),
  get('Connection: X-Request-ID', ['X-Request-ID', 'attack-hop-1', 'Connection', 'X-Request-ID'], {
    'x-request-id': 'attack-hop-1',
  }),
  get(
    'Connection naming several, in odd case, with keep-alive',
    ['Origin', A, 'X-Tenant-ID', 't-1', 'Connection', 'keep-alive, origin,X-TENANT-ID'],
    { origin: A, 'x-tenant-id': 't-1' },
    A,
  ),
  get(
    'two Connection lines',
    ['Origin', A, 'X-Tenant-ID', 't-1', 'Connection', 'Origin', 'Connection', 'X-Tenant-ID'],
    { origin: A, 'x-tenant-id': 't-1' },
    A,
  ),
  get('Connection: close, Origin (the close is still honoured)', ['Origin', A, 'Connection', 'close, Origin'], { origin: A }, A),
  preflight('preflight with Connection: Origin', ['Origin', A, ACRM, 'PUT', 'Connection', 'Origin'], A),
  preflight('preflight with Connection: Access-Control-Request-Method', ['Origin', A, ACRM, 'PUT', 'Connection', ACRM], A),
  preflight(
    'preflight from a foreign origin with Connection: Origin',
    ['Origin', FOREIGN, ACRM, 'PUT', 'Connection', 'Origin'],
    null,
  ),
];

interface Outcome {
  status: number;
  /** Every Access-Control-* line, sorted. */
  cors: string[];
  /** What the app saw of the headers the case names (only for answers the app gave). */
  seen: Record<string, string | null>;
  /** Whether the answer says the connection closes. */
  close: boolean;
}

function outcome(res: RawResponse, c: Case): Outcome {
  const seen: Record<string, string | null> = {};
  if (Object.keys(c.seen).length) {
    const echoed = (JSON.parse(res.body) as { headers?: Record<string, string> }).headers ?? {};
    for (const name of Object.keys(c.seen)) seen[name] = echoed[name] ?? null;
  }
  return {
    status: res.status,
    cors: res.headers
      .filter(([k]) => k.startsWith('access-control-'))
      .map(([k, v]) => `${k}: ${v}`)
      .sort(),
    seen,
    close: tokens(res, 'connection').includes('close'),
  };
}

function assertExpected(o: Outcome, c: Case, what: string): void {
  assert.equal(o.status, c.status, `${what}: status`);
  assert.deepEqual(o.seen, c.seen, `${what}: the app sees every end-to-end header sent`);
  const acao = o.cors.filter((l) => l.startsWith('access-control-allow-origin:'));
  if (c.granted === null) assert.deepEqual(o.cors, [], `${what}: no Access-Control-* at all`);
  else assert.deepEqual(acao, [`access-control-allow-origin: ${c.granted}`], `${what}: exactly one ACAO`);
  // node:http itself asks for close when the case sends no Connection line (agent: false).
  const connection = c.lines.filter((_, i) => i % 2 === 1 && c.lines[i - 1] === 'Connection');
  const asked = connection.length === 0 || connection.some((v) => /(^|,) *close *(,|$)/i.test(v));
  assert.equal(o.close, asked, `${what}: Connection: close answered only when asked`);
}

describe('attack: Connection cannot hide end-to-end headers (docs/security.md §3), sidecar and direct alike', () => {
  const stacks = stacksInBothModes({ env: POLICY_ENV });

  for (const c of CASES) {
    test(c.name, async () => {
      // Both modes are judged before failing, so a failure names every mode that got it wrong.
      const got: Outcome[] = [];
      const failures: string[] = [];
      for (const stack of stacks) {
        const res = await send(stack, c.method, c.lines);
        try {
          const o = outcome(res, c);
          got.push(o);
          assertExpected(o, c, stack.mode);
        } catch (err) {
          failures.push(`${(err as Error).message}\n  got ${res.status} ${res.body}`);
        }
      }
      assert.deepEqual(failures, [], failures.join('\n'));
      assert.deepEqual(got[0], got[1], 'sidecar and direct answer alike');
    });
  }
});
