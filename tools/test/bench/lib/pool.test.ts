// Idle upstream pool comparison (pure): churn share, medians per pool size, report without machine paths.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { formatPoolReport, formatPoolTable, newConnShare, type PoolSample, summarizePools } from '../../../bench/lib/pool.ts';
import { steadyRequests } from '../../../bench/lib/resources.ts';
import type { Cell } from '../../../bench/lib/table.ts';

describe('steadyRequests', () => {
  test('3 s run, 500 ms ramp-up and 250 ms end margin: 75 % of the requests', () =>
    assert.equal(steadyRequests(1000, 3, 500), 750));
  test('a run shorter than the margins has none', () => assert.equal(steadyRequests(1000, 0.5, 500), 0));
  test('no duration, no requests in the window', () => assert.equal(steadyRequests(1000, 0, 500), 0));
});

describe('newConnShare', () => {
  test('opened / steady requests', () => assert.equal(newConnShare(29, 100), 0.29));
  test('no steady requests is 0', () => assert.equal(newConnShare(3, 0), 0));
  test('unknown churn (no ramp snapshot) is NaN', () => assert.ok(Number.isNaN(newConnShare(Number.NaN, 100))));
});

const CELLS: Cell[] = [
  { id: 'live-64', path: '/health/live', label: '/health/live', connections: 64, headers: {} },
  { id: 'items-64', path: '/api/v1/items', label: '/api/v1/items', connections: 64, headers: { 'X-Tenant-ID': 't' } },
];
const result = (rps: number, p50Ms: number, p99Ms: number, timeouts = 0) => ({
  requests: rps * 3,
  durationSec: 3,
  rps,
  p50Ms,
  p99Ms,
  socketErrors: 0,
  timeouts,
  badStatus: 0,
});
const s = (
  poolSize: number,
  cellId: string,
  round: number,
  rps: number,
  p99: number,
  opened: number,
  stalled = false,
): PoolSample => ({
  poolSize,
  cellId,
  round,
  result: result(rps, 10, p99, stalled ? 4 : 0),
  stalled,
  openedSteady: opened,
  steadyRequests: 1000,
});
const SAMPLES: PoolSample[] = [
  s(32, 'live-64', 1, 3000, 200, 300),
  s(32, 'live-64', 2, 3200, 240, 290),
  s(32, 'live-64', 3, 3100, 220, 310),
  s(512, 'live-64', 1, 4800, 40, 0),
  s(512, 'live-64', 2, 4700, 38, 0),
  s(512, 'live-64', 3, 4900, 42, 1),
  s(32, 'items-64', 1, 500, 300, 5),
  s(512, 'items-64', 1, 520, 280, 0),
  s(512, 'items-64', 2, 0, Number.NaN, 99, true),
];

describe('summarizePools', () => {
  const rows = summarizePools(CELLS, [512, 32], SAMPLES);
  test('one row per endpoint and pool size, pool sizes ascending', () =>
    assert.deepEqual(
      rows.map((r) => `${r.cell.id}/${r.poolSize}`),
      ['live-64/32', 'live-64/512', 'items-64/32', 'items-64/512'],
    ));
  test('medians of req/s, p99, churn and share per pool size', () => {
    const [small, large] = rows;
    assert.equal(small!.rps, 3100);
    assert.equal(small!.p99Ms, 220);
    assert.equal(small!.openedSteady, 300);
    assert.equal(small!.newConnShare, 0.3);
    assert.equal(large!.rps, 4800);
    assert.equal(large!.openedSteady, 0);
    assert.equal(large!.newConnShare, 0);
  });
  test('a stalled round leaves every median, churn included, and is counted', () => {
    const items512 = rows[3]!;
    assert.equal(items512.rounds, 1);
    assert.equal(items512.stalled, 1);
    assert.equal(items512.openedSteady, 0);
    assert.equal(items512.rps, 520);
    assert.equal(items512.failures, 4);
  });
  test('no samples: n/a, not a crash', () => {
    const [row] = summarizePools([CELLS[0]!], [64], SAMPLES);
    assert.equal(row!.rounds, 0);
    assert.ok(Number.isNaN(row!.rps) && Number.isNaN(row!.newConnShare));
  });
});

describe('formatPoolReport', () => {
  const rows = summarizePools(CELLS, [32, 512], SAMPLES);
  const rss = [
    { poolSize: 32, beforeKiB: 72 * 1024, afterKiB: 150 * 1024 },
    { poolSize: 512, beforeKiB: 72 * 1024, afterKiB: 80 * 1024 },
  ];
  const report = formatPoolReport({
    generatedAt: '2026-01-01T00:00:00Z',
    command: 'tools/node_modules/.bin/tsx tools/bench/upstream-pool.ts',
    commit: 'abc1234',
    machine: { cpu: 'CPU', cores: 2, memGiB: 4, loadBefore: '0', loadAfter: '1', versions: 'v', tool: 'wrk' },
    rounds: 3,
    durationSec: 3,
    warmupSec: 1,
    elapsedSec: 60,
    rampMs: 500,
    rows,
    rss,
    notes: ['a note'],
    partial: 'stopped after 2 of 3 rounds.',
  });
  test('table rows carry medians, churn share, RSS before → after and stalled rounds', () => {
    const table = formatPoolTable(rows, rss);
    assert.match(
      table,
      /\| \/health\/live @ 64 \| 32 \| 3,100 \| 10\.0 \| 220\.0 \| 300 \| 30\.0 % \| 72\.0 MiB → 150\.0 MiB \| 3 \| 0 \|/,
    );
    assert.match(table, /\| \/api\/v1\/items @ 64 \| 512 \| 520 \| .* \| 1 \(\*\*1\*\*\) \| 4 \|/);
  });
  test('command, partial-run banner and notes; no absolute paths', () => {
    assert.match(report, /```sh\ntools\/node_modules\/\.bin\/tsx tools\/bench\/upstream-pool\.ts\n```/);
    assert.match(report, /> \*\*Partial run:\*\* stopped after 2 of 3 rounds\./);
    assert.match(report, /- a note/);
    assert.match(report, /32 and 512/);
    assert.doesNotMatch(report, /\/(home|work|tmp)\//);
  });
});
