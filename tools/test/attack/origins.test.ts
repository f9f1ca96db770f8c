// Attack suite, docs/security.md §2: exactly one Origin. A request carrying several Origin lines (or, on a
// preflight, several Access-Control-Request-Method lines) is never granted: no Access-Control-* at all, a
// preflight gets the usual refusal 403. Every case runs through the real stack in both modes, which must
// answer alike; and the contract holds everywhere: one ACAO at most, only for exactly one allowed origin,
// never a joined value.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { type RawResponse, tokens, values } from '../../testkit/http.ts';
import { ALLOWED, POLICY_ENV } from '../../testkit/policy.ts';
import { send, stacksInBothModes } from './both-modes.ts';

const A = ALLOWED[0]!;
const B = ALLOWED[1]!;
const FOREIGN = 'https://evil.test';

interface Outcome {
  status: number;
  /** Every Access-Control-* line, sorted. */
  cors: string[];
  /** 'app' when the fake app answered (it echoes or says so), else 'edge' (Caddy or the ASGI wrapper). */
  by: 'app' | 'edge';
  vary: string[];
  detail: string | null;
}

function outcome(res: RawResponse): Outcome {
  const byApp = res.body.includes('"answered_by": "app"') || res.body.includes('"headers":');
  let detail: string | null = null;
  if (!byApp && res.body) detail = (JSON.parse(res.body) as { detail?: string }).detail ?? null;
  return {
    status: res.status,
    cors: res.headers
      .filter(([k]) => k.startsWith('access-control-'))
      .map(([k, v]) => `${k}: ${v}`)
      .sort(),
    by: byApp ? 'app' : 'edge',
    vary: [...new Set(tokens(res, 'vary'))].sort(),
    detail,
  };
}

const REFUSED = 'CORS preflight refused: origin, method or headers not allowed';

interface Case {
  name: string;
  method: 'GET' | 'OPTIONS';
  lines: string[];
  status: number;
  /** The one origin granted, or null: no Access-Control-* line at all. */
  granted: string | null;
  by: 'app' | 'edge';
}

const ACRM = 'Access-Control-Request-Method';
const simple = (name: string, lines: string[], granted: string | null = null): Case => ({
  name,
  method: 'GET',
  lines,
  status: 200,
  granted,
  by: 'app',
});
const preflight = (name: string, lines: string[], granted: string | null = null): Case => ({
  name,
  method: 'OPTIONS',
  lines,
  status: granted ? 204 : 403,
  granted,
  by: 'edge',
});

const CASES: Case[] = [
  simple('control: one allowed Origin is granted', ['Origin', A], A),
  simple('two allowed Origins', ['Origin', A, 'Origin', B]),
  simple('one allowed Origin and one foreign', ['Origin', A, 'Origin', FOREIGN]),
  simple('one foreign Origin and one allowed', ['Origin', FOREIGN, 'Origin', A]),
  simple('the same allowed Origin twice', ['Origin', A, 'Origin', A]),
  simple('an allowed Origin and an empty Origin line', ['Origin', A, 'Origin', '']),
  simple('Origin lines differing in name case', ['Origin', A, 'origin', B]),
  simple('one Origin line with a comma-joined list', ['Origin', `${A}, ${B}`]),
  simple('one Origin line with a list joined by a bare comma', ['Origin', `${A},${B}`]),
  simple('one Origin line with the same origin joined to itself', ['Origin', `${A}, ${A}`]),
  {
    name: 'OPTIONS without ACRM and two Origins goes to the app, without CORS',
    method: 'OPTIONS',
    lines: ['Origin', A, 'Origin', B],
    status: 299,
    granted: null,
    by: 'app',
  },
  preflight('control: preflight with one allowed Origin and one ACRM is granted', ['Origin', A, ACRM, 'PUT'], A),
  preflight('preflight with two allowed Origins', ['Origin', A, 'Origin', B, ACRM, 'GET']),
  preflight('preflight with one allowed Origin and one foreign', ['Origin', A, 'Origin', FOREIGN, ACRM, 'GET']),
  preflight('preflight with one foreign Origin and one allowed', ['Origin', FOREIGN, 'Origin', A, ACRM, 'GET']),
  preflight('preflight with the same allowed Origin twice', ['Origin', A, 'Origin', A, ACRM, 'GET']),
  preflight('preflight with a comma-joined Origin', ['Origin', `${A}, ${B}`, ACRM, 'GET']),
  preflight('preflight with two ACRM lines, the same method', ['Origin', A, ACRM, 'GET', ACRM, 'GET']),
  preflight('preflight with two ACRM lines, different methods', ['Origin', A, ACRM, 'GET', ACRM, 'PUT']),
  preflight('preflight with an ACRM list in one line', ['Origin', A, ACRM, 'GET, PUT']),
  preflight('preflight with an allowed and an empty Origin line', ['Origin', A, 'Origin', '', ACRM, 'GET']),
  // An empty Origin is no origin, so this OPTIONS is no preflight: the app's, without CORS (cors_spec.json).
  {
    name: 'OPTIONS with an empty Origin and an ACRM goes to the app',
    method: 'OPTIONS',
    lines: ['Origin', '', ACRM, 'GET'],
    status: 299,
    granted: null,
    by: 'app',
  },
  preflight('preflight with one ACRM and an empty ACRM line', ['Origin', A, ACRM, 'GET', ACRM, '']),
  preflight('preflight with two Origins and two ACRMs', ['Origin', A, 'Origin', A, ACRM, 'GET', ACRM, 'GET']),
  // Access-Control-Request-Headers is a list: two lines mean their concatenation, in both modes.
  preflight(
    'preflight with two ACRH lines, both allowed',
    ['Origin', A, ACRM, 'PUT', 'Access-Control-Request-Headers', 'content-type', 'Access-Control-Request-Headers', 'x-tenant-id'],
    A,
  ),
  preflight('preflight with two ACRH lines, one not allowed', [
    'Origin',
    A,
    ACRM,
    'PUT',
    'Access-Control-Request-Headers',
    'content-type',
    'Access-Control-Request-Headers',
    'x-evil',
  ]),
];

/** The contract, whatever the case: at most one ACAO, a single origin (never a joined list), allowed. */
function assertContract(res: RawResponse, sent: string[], what: string): void {
  const acao = values(res, 'access-control-allow-origin');
  assert.ok(acao.length <= 1, `${what}: at most one ACAO line, got ${JSON.stringify(acao)}`);
  if (acao.length === 0) return;
  assert.ok(!acao[0]!.includes(','), `${what}: ACAO is never a joined value: ${acao[0]}`);
  const originLines = sent.filter((name, i) => i % 2 === 0 && name.toLowerCase() === 'origin').length;
  assert.equal(originLines, 1, `${what}: ACAO only when exactly one Origin line was sent`);
  assert.ok(ALLOWED.includes(acao[0]!), `${what}: ACAO is an allowed origin: ${acao[0]}`);
}

function assertExpected(o: Outcome, c: Case, what: string): void {
  assert.equal(o.status, c.status, `${what}: status`);
  assert.equal(o.by, c.by, `${what}: answered by`);
  assert.ok(o.vary.includes('origin'), `${what}: Vary contains Origin`);
  const acao = o.cors.filter((l) => l.startsWith('access-control-allow-origin:'));
  if (c.granted === null) {
    assert.deepEqual(o.cors, [], `${what}: no Access-Control-* at all`);
  } else {
    assert.deepEqual(acao, [`access-control-allow-origin: ${c.granted}`], `${what}: exactly one ACAO`);
    assert.ok(o.cors.includes('access-control-allow-credentials: true'), `${what}: credentials`);
  }
  if (c.by === 'edge' && c.status === 403) assert.equal(o.detail, REFUSED, `${what}: the refusal's JSON body`);
}

describe('attack: exactly one Origin (docs/security.md §2), sidecar and direct alike', () => {
  const stacks = stacksInBothModes({ env: POLICY_ENV });

  for (const c of CASES) {
    test(c.name, async () => {
      // Both modes are judged before failing, so a failure names every mode that got it wrong.
      const got: Outcome[] = [];
      const failures: string[] = [];
      for (const stack of stacks) {
        const res = await send(stack, c.method, c.lines);
        const o = outcome(res);
        got.push(o);
        try {
          assertContract(res, c.lines, stack.mode);
          assertExpected(o, c, stack.mode);
        } catch (err) {
          failures.push(`${(err as Error).message}\n  got ${JSON.stringify(o)}`);
        }
      }
      assert.deepEqual(failures, [], failures.join('\n'));
      assert.deepEqual(got[0], got[1], 'sidecar and direct answer alike');
    });
  }
});
