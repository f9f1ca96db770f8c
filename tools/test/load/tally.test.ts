// Counting a run: per-kind counts and latencies, examples, summaries per run and over rounds (pure).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  counts,
  MAX_EXAMPLES,
  mergeTallies,
  newTally,
  percentiles,
  type RunResult,
  record,
  summarizeRounds,
  summarizeRun,
} from '../../src/load/tally.ts';

const OK = { cors: [] };

test('record counts sent, failed and CORS-less apart, keeps latencies of answered requests only', () => {
  const t = newTally();
  record(t, 'get', OK, 5, 'a');
  record(t, 'get', { cors: ['no Access-Control-Allow-Origin'] }, 6, 'b');
  record(t, 'get', { failed: 'status 502, not 200', cors: ['no Vary: Origin'] }, 7, 'c');
  record(t, 'preflight', { failed: 'socket hang up', cors: [] }, undefined, 'd');
  assert.deepEqual(t.kinds.get, { sent: 3, failed: 1, corsless: 2, ms: [5, 6, 7] });
  assert.deepEqual(t.kinds.preflight, { sent: 1, failed: 1, corsless: 0, ms: [] });
  assert.deepEqual(t.failedExamples, ['c: status 502, not 200', 'd: socket hang up']);
  assert.deepEqual(t.corsExamples, ['b: no Access-Control-Allow-Origin', 'c: no Vary: Origin']);
  assert.deepEqual(counts(t), { sent: 4, failed: 2, corsless: 2 });
  assert.deepEqual(counts(t, ['preflight']), { sent: 1, failed: 1, corsless: 0 });
});

test('examples are bounded, counts are not', () => {
  const a = newTally();
  const b = newTally();
  for (let i = 0; i < MAX_EXAMPLES + 5; i++) record(a, 'get', { cors: ['x'] }, 1, `a${i}`);
  for (let i = 0; i < 3; i++) record(b, 'post', { cors: ['y'] }, 1, `b${i}`);
  assert.equal(a.corsExamples.length, MAX_EXAMPLES);
  const m = mergeTallies([a, b]);
  assert.equal(m.kinds.get.corsless, MAX_EXAMPLES + 5);
  assert.equal(m.kinds.post.corsless, 3);
  assert.equal(m.corsExamples.length, MAX_EXAMPLES);
  assert.equal(m.kinds.get.ms.length, MAX_EXAMPLES + 5);
});

test('percentiles: nearest rank, max, NaN for none', () => {
  const hundred = Array.from({ length: 100 }, (_, i) => 100 - i);
  assert.deepEqual(percentiles(hundred), { n: 100, p50: 50, p95: 95, p99: 99, max: 100 });
  const none = percentiles([]);
  assert.equal(none.n, 0);
  assert.ok(Number.isNaN(none.p99) && Number.isNaN(none.max));
});

function run(ms: number[], opts: { failed?: number; corsless?: number; seconds?: number; logins?: number } = {}): RunResult {
  const t = newTally();
  for (const v of ms) record(t, 'get', OK, v, 'get');
  for (let i = 0; i < (opts.failed ?? 0); i++) record(t, 'post', { failed: 'x', cors: [] }, undefined, 'post');
  for (let i = 0; i < (opts.corsless ?? 0); i++) record(t, 'preflight', { cors: ['x'] }, 1, 'preflight');
  for (let i = 0; i < (opts.logins ?? 0); i++) record(t, 'login', OK, 500, 'login');
  return { users: 5, seconds: opts.seconds ?? 10, tally: t, loopLagP99Ms: 1 };
}

test("summarizeRun: rates and percentiles over the loop's requests, logins left out", () => {
  const s = summarizeRun(run([1, 2, 3, 4], { failed: 1, corsless: 1, seconds: 2, logins: 3 }));
  assert.equal(s.requests, 6);
  assert.equal(s.rps, 3);
  assert.equal(s.failed, 1);
  assert.equal(s.corsless, 1);
  assert.equal(s.all.n, 5);
  assert.equal(s.all.max, 4);
  assert.equal(s.byKind.login.sent, 3);
  assert.equal(s.pageReady, undefined);
});

test('summarizeRounds: medians of the rounds, summed counts, the worst p95', () => {
  const rounds = [
    run([10], { seconds: 1 }),
    run([30], { seconds: 1, corsless: 0, failed: 2 }),
    run([20, 20], { seconds: 1 }),
  ].map(summarizeRun);
  const s = summarizeRounds(rounds);
  assert.equal(s.rounds, 3);
  assert.equal(s.all.p99, 20);
  assert.equal(s.worstP95, 30);
  assert.equal(s.failed, 2);
  assert.equal(s.requests, 1 + 3 + 2);
  assert.equal(s.rps, 2);
  assert.equal(s.byKind.get.sent, 4);
});
