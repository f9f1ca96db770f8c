// Medians across rounds, sidecar/direct ratios and the target verdicts (pure).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { LoadResult } from '../../../bench/lib/load-result.ts';
import {
  type Cell,
  checkTargets,
  isStalled,
  type Mode,
  rpsNeededForLatency,
  type Sample,
  summarize,
  summarizeMode,
} from '../../../bench/lib/table.ts';

const ITEMS = '/api/v1/items';
const CELLS: Cell[] = [
  { id: 'live-1', path: '/health/live', label: '/health/live', connections: 1, headers: {} },
  { id: 'items-1', path: ITEMS, label: ITEMS, connections: 1, headers: {} },
  { id: 'items-64', path: ITEMS, label: ITEMS, connections: 64, headers: {} },
];

function result(rps: number, p50Ms: number, p99Ms: number, extra: Partial<LoadResult> = {}): LoadResult {
  return { requests: rps * 3, durationSec: 3, rps, p50Ms, p99Ms, socketErrors: 0, timeouts: 0, badStatus: 0, ...extra };
}

function sample(cellId: string, mode: Mode, round: number, r: LoadResult, stalled = false): Sample {
  return { cellId, mode, round, result: r, stalled };
}

describe('summarizeMode', () => {
  test('medians per metric, independently', () => {
    const m = summarizeMode([
      { result: result(100, 1, 30), stalled: false },
      { result: result(300, 3, 10), stalled: false },
      { result: result(200, 2, 20), stalled: false },
    ]);
    assert.equal(m.rps, 200);
    assert.equal(m.p50Ms, 2);
    assert.equal(m.p99Ms, 20);
    assert.equal(m.rpsMin, 100);
    assert.equal(m.rpsMax, 300);
    assert.equal(m.rounds, 3);
    assert.equal(m.stalled, 0);
  });
  test('stalled rounds are counted, left out of the medians, their requests and failures kept', () => {
    const m = summarizeMode([
      { result: result(500, 1, 2), stalled: false },
      { result: result(0, Number.NaN, Number.NaN, { requests: 0 }), stalled: true },
      { result: result(40, 1, 900, { timeouts: 7 }), stalled: true },
    ]);
    assert.equal(m.rounds, 1);
    assert.equal(m.stalled, 2);
    assert.equal(m.rps, 500);
    assert.equal(m.requests, 1500 + 0 + 120);
    assert.equal(m.failures, 7);
  });
  test('all stalled: NaN medians', () => {
    const m = summarizeMode([{ result: result(0, Number.NaN, Number.NaN, { requests: 0 }), stalled: true }]);
    assert.ok(Number.isNaN(m.rps));
  });
});

test('isStalled: no response at all, or any timeout', () => {
  assert.equal(isStalled(result(500, 1, 2)), false);
  assert.equal(isStalled(result(500, 1, 2, { badStatus: 3, socketErrors: 1 })), false);
  assert.equal(isStalled(result(0, Number.NaN, Number.NaN, { requests: 0 })), true);
  assert.equal(isStalled(result(500, 1, 2, { timeouts: 1 })), true);
});

describe('summarize', () => {
  const samples: Sample[] = [];
  // Rounds alternate which mode runs first; values drift upward over the run.
  for (let round = 1; round <= 3; round++) {
    samples.push(sample('items-64', 'sidecar', round, result(400 + round, 150, 300)));
    samples.push(sample('items-64', 'direct', round, result(500 + round, 120, 250)));
    samples.push(sample('items-1', 'sidecar', round, result(500, 1.7, 4)));
    samples.push(sample('items-1', 'direct', round, result(650, 1.5, 3)));
  }
  const [live, items1, items64] = summarize(CELLS, samples);
  test('ratios are sidecar over direct, of the medians', () => {
    assert.equal(items64!.sidecar.rps, 402);
    assert.equal(items64!.direct.rps, 502);
    assert.equal(items64!.rpsRatio, 402 / 502);
    assert.equal(items64!.p50Ratio, 150 / 120);
    assert.equal(items64!.p99Ratio, 300 / 250);
  });
  test('added p50 is the difference of the medians', () => {
    assert.ok(Math.abs(items1!.addedP50Ms - 0.2) < 1e-12);
  });
  test('a cell without samples gives NaN, not a crash', () => {
    assert.ok(Number.isNaN(live!.rpsRatio));
    assert.equal(live!.sidecar.rounds, 0);
  });
});

describe('checkTargets', () => {
  function verdicts(sidecar: { items64: LoadResult; items1: LoadResult }, direct: { items64: LoadResult; items1: LoadResult }) {
    const samples = [
      sample('items-64', 'sidecar', 1, sidecar.items64),
      sample('items-64', 'direct', 1, direct.items64),
      sample('items-1', 'sidecar', 1, sidecar.items1),
      sample('items-1', 'direct', 1, direct.items1),
    ];
    // The /health/live cell has no samples here: its check is n/a (tested below).
    return checkTargets(summarize(CELLS, samples), ITEMS).filter((c) => c.target.startsWith(ITEMS));
  }
  test('boundaries count as PASS: ratio 0.80, added p50 0.15 ms, p99 25 ms', () => {
    const checks = verdicts(
      { items64: result(2400, 10, 25), items1: result(900, 1.15, 2) },
      { items64: result(3000, 9, 20), items1: result(1000, 1.0, 2) },
    );
    assert.deepEqual(
      checks.map((c) => c.verdict),
      ['PASS', 'PASS', 'PASS'],
    );
    assert.match(checks[0]!.target, /req\/s ≥ 0\.80 × direct/);
    assert.match(checks[0]!.measured, /^0\.80 ×/);
    assert.match(checks[1]!.measured, /^\+0\.150 ms/);
    assert.equal(checks[2]!.note, undefined);
  });
  test('just past each boundary is a MISS, with the Little-law note when the app is too slow', () => {
    const checks = verdicts(
      { items64: result(399, 150, 25.1), items1: result(900, 1.151, 2) },
      { items64: result(500, 120, 250), items1: result(1000, 1.0, 2) },
    );
    assert.deepEqual(
      checks.map((c) => c.verdict),
      ['MISS', 'MISS', 'MISS'],
    );
    assert.match(checks[2]!.note ?? '', /2560 req\/s/);
  });
  test('no data is n/a, not PASS', () => {
    const checks = checkTargets(summarize(CELLS, []), ITEMS);
    assert.ok(checks.length > 0);
    assert.ok(checks.every((c) => c.verdict === 'n/a'));
  });
});

test("Little's law: 64 connections at 25 ms need 2560 req/s", () => {
  assert.equal(rpsNeededForLatency(64, 25), 2560);
  assert.equal(rpsNeededForLatency(1, 0.5), 2000);
});
