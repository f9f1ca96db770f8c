// Markdown report formatting (pure): tables, verdicts, partial runs, no machine paths.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { fmtMs, fmtRatio, fmtRps, formatReport, type ReportInput } from '../../../bench/lib/report.ts';
import { type Cell, checkTargets, type Sample, summarize } from '../../../bench/lib/table.ts';

describe('number formats', () => {
  const ROWS: [number, string][] = [
    [0.1534, '0.153'],
    [2.418, '2.42'],
    [118.27, '118.3'],
    [-0.02, '-0.020'],
    [Number.NaN, 'n/a'],
  ];
  for (const [v, s] of ROWS) test(`fmtMs(${v})`, () => assert.equal(fmtMs(v), s));
  test('fmtRps and fmtRatio', () => {
    assert.equal(fmtRps(8384.6), '8,385');
    assert.equal(fmtRatio(0.8049), '0.80');
    assert.equal(fmtRps(Number.NaN), 'n/a');
  });
});

const CELLS: Cell[] = [
  { id: 'live-1', path: '/health/live', label: '/health/live', connections: 1, headers: {} },
  { id: 'items-64', path: '/api/v1/items', label: '/api/v1/items', connections: 64, headers: {} },
];
const r = (rps: number, p50Ms: number, p99Ms: number) => ({
  requests: rps,
  durationSec: 1,
  rps,
  p50Ms,
  p99Ms,
  socketErrors: 0,
  timeouts: 0,
  badStatus: 0,
});
const SAMPLES: Sample[] = [
  { cellId: 'live-1', mode: 'sidecar', round: 1, result: r(1800, 0.52, 2.1), stalled: false },
  { cellId: 'live-1', mode: 'direct', round: 1, result: r(6000, 0.16, 0.7), stalled: false },
  { cellId: 'items-64', mode: 'sidecar', round: 1, result: r(450, 130, 300), stalled: false },
  { cellId: 'items-64', mode: 'direct', round: 1, result: r(500, 120, 280), stalled: false },
  { cellId: 'items-64', mode: 'direct', round: 2, result: { ...r(0, Number.NaN, Number.NaN), requests: 0 }, stalled: true },
];

function input(extra: Partial<ReportInput> = {}): ReportInput {
  const summaries = summarize(CELLS, SAMPLES);
  return {
    generatedAt: '2026-01-01T00:00:00Z',
    command: 'make bench',
    commit: 'abc1234',
    machine: {
      cpu: 'Test CPU',
      cores: 2,
      memGiB: 8,
      loadBefore: '0.10 / 0.20 / 0.30',
      loadAfter: '1.00 / 0.50 / 0.40',
      versions: 'Node v20, Caddy v2',
      tool: 'wrk 4.1.0',
    },
    rounds: 2,
    durationSec: 1,
    warmupSec: 1,
    elapsedSec: 42,
    rampMs: 500,
    summaries,
    targets: checkTargets(summaries, '/api/v1/items'),
    upstream: [
      {
        cellId: 'items-64',
        runs: 1,
        medianEstablishedBefore: 3,
        maxEstablished: 64,
        medianOpened: 61,
        medianOpenedSteady: 0,
        maxOpenedSteady: 1,
        maxSteadyShare: 0.0005,
      },
    ],
    rss: [
      { mode: 'sidecar', when: 'ready', kib: 73728 },
      { mode: 'direct', when: 'ready', kib: 72704 },
    ],
    cpu: [{ cellId: 'items-64', mode: 'sidecar', perKiloRequest: { uvicorn: 2400, caddy: 500 }, medianMachineBusy: 0.9 }],
    notes: ['a note'],
    ...extra,
  };
}

describe('formatReport', () => {
  const md = formatReport(input());
  test('one results row per cell with the ratios', () => {
    assert.ok(md.includes('| /health/live @ 1 | 1,800 | 6,000 | 0.30 | 0.520 | 0.160 | +0.360 | 2.10 | 0.700 | 3.00 |'), md);
    assert.ok(md.includes('| /api/v1/items @ 64 | 450 | 500 | 0.90 |'));
  });
  test('stalled rounds are shown', () => {
    assert.ok(md.includes('| /api/v1/items @ 64 | direct | 1 | **1** |'));
  });
  test('targets with bold verdicts, and the command in a code block', () => {
    assert.match(md, /\| \*\*MISS\*\* \|/);
    assert.match(md, /```sh\nmake bench\n```/);
  });
  test('upstream, memory and CPU sections', () => {
    assert.ok(md.includes('| /api/v1/items @ 64 | 1 | 3 | 64 | 61 | 0 / 1 | 0.05 % |'));
    assert.ok(md.includes('| sidecar | 72.0 MiB |'));
    assert.ok(md.includes('| endpoint @ connections | mode | caddy | uvicorn | machine busy (median) |'));
    assert.ok(md.includes('| 500.0 | 2400.0 | 90 % |'));
  });
  test('no partial banner on a full run; one when stopped early', () => {
    assert.ok(!md.includes('Partial run'));
    assert.match(
      formatReport(input({ partial: 'stopped after 1 of 2 rounds' })),
      /> \*\*Partial run:\*\* stopped after 1 of 2 rounds/,
    );
  });
  test('no absolute paths', () => {
    assert.doesNotMatch(md, /\/(work|tmp|home|root)\//);
  });
});
