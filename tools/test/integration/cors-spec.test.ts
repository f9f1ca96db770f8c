// The CORS spec table (deploy/tests/cors_spec.json) through the real processes: Caddy in front of uvicorn
// (sidecar) and uvicorn with the ASGI wrapper (direct), the fake app behind both. pytest runs the same rows
// in-process (deploy/tests/test_cors_spec.py); a literal changed in one enforcer only fails here.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { type RawResponse, request, tokens, values } from '../../testkit/http.ts';
import { type Stack, startStack } from '../../testkit/stack.ts';

interface Expect {
  status: number;
  cors: Record<string, string> | null;
  vary?: string[];
  vary_any_order?: boolean;
  answered_by?: 'app' | 'edge';
  body?: string;
  content_type?: string;
  json?: Record<string, unknown>;
  request_id?: 'echo' | 'fresh';
}
interface Case {
  category: string;
  name: string;
  method: string;
  path: string;
  lines: string[];
  origins?: string[];
  body_bytes?: number;
  expect: Expect;
}
interface Spec {
  policy: Record<string, string>;
  cases: Case[];
}

const SPEC_FILE = new URL('../../../deploy/tests/cors_spec.json', import.meta.url);
const SPEC = JSON.parse(readFileSync(SPEC_FILE, 'utf8')) as Spec;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

/** One row per case and origin, `{origin}` substituted everywhere in it. */
function expand(spec: Spec): (Case & { label: string })[] {
  return spec.cases.flatMap((c) =>
    (c.origins ?? [null]).map((origin) => {
      const { origins: _, ...rest } = c;
      const text = JSON.stringify(rest);
      const row = JSON.parse(origin === null ? text : text.replaceAll('{origin}', JSON.stringify(origin).slice(1, -1))) as Case;
      return { ...row, label: `${c.category}: ${c.name}${origin === null ? '' : ` [${origin}]`}` };
    }),
  );
}

/** The row's expectations, as deploy/tests/test_cors_spec.py checks them. */
function check(row: Case, res: RawResponse): void {
  const e = row.expect;
  assert.equal(res.status, e.status, 'status');
  const cors = res.headers
    .filter(([k]) => k.startsWith('access-control-'))
    .map(([k, v]) => `${k}: ${v}`)
    .sort();
  assert.deepEqual(
    cors,
    Object.entries(e.cors ?? {})
      .map(([k, v]) => `${k}: ${v}`)
      .sort(),
    'Access-Control-* lines',
  );
  if (e.vary) {
    const vary = tokens(res, 'vary');
    assert.deepEqual(e.vary_any_order ? [...new Set(vary)].sort() : vary, e.vary, 'Vary');
  }
  if (e.answered_by) {
    const byApp = res.body.includes('"answered_by": "app"') || res.body.includes('"path":');
    assert.equal(byApp ? 'app' : 'edge', e.answered_by, 'answered by');
  }
  if (e.body !== undefined) assert.equal(res.body, e.body, 'body');
  if (e.content_type) assert.deepEqual(values(res, 'content-type'), [e.content_type], 'Content-Type');
  if (e.json) {
    const got = JSON.parse(res.body) as Record<string, unknown>;
    for (const [k, v] of Object.entries(e.json)) assert.deepEqual(got[k], v, `body.${k}`);
  }
  if (e.request_id) {
    const sent = row.lines.filter((_, i) => i % 2 === 1 && row.lines[i - 1] === 'X-Request-ID');
    const got = values(res, 'x-request-id');
    if (e.request_id === 'echo') assert.deepEqual(got, sent, 'X-Request-ID kept');
    else assert.ok(got.length === 1 && UUID.test(got[0]!), `a fresh X-Request-ID, got ${got.join(' | ')}`);
  }
}

const ROWS = expand(SPEC);

for (const mode of ['sidecar', 'direct'] as const) {
  describe(`the CORS spec, ${mode} mode (${ROWS.length} rows)`, () => {
    let stack: Stack;
    before(async () => {
      stack = await startStack({ mode, env: SPEC.policy });
    });
    after(async () => {
      await stack?.stop();
    });

    for (const category of [...new Set(ROWS.map((r) => r.category))]) {
      test(category, async () => {
        const failures: string[] = [];
        for (const row of ROWS.filter((r) => r.category === category)) {
          // node:http writes a flat [name, value, ...] list one line per pair, duplicates kept (and no Host of its own).
          const headers = ['Host', `127.0.0.1:${stack.port}`, ...row.lines] as unknown as Record<string, string>;
          const body = row.body_bytes ? 'x'.repeat(row.body_bytes) : undefined;
          const res = await request(stack.base + row.path, { method: row.method, headers, body });
          try {
            check(row, res);
          } catch (error) {
            failures.push(
              `${row.label}: ${(error as Error).message.split('\n')[0]}\n  got ${res.status} ${JSON.stringify(res.headers)} ${res.body.slice(0, 200)}`,
            );
          }
        }
        assert.deepEqual(failures, [], `${failures.length} row(s) differ from the spec:\n${failures.join('\n')}`);
      });
    }
  });
}
