// The load report's markdown: sections, tables for one or both modes, examples, never "NaN" (pure).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Mode } from '../../bench/lib/table.ts';
import { findKnee } from '../../src/load/knee.ts';
import { parseLoadEnv } from '../../src/load/options.ts';
import { formatLoadReport, progressLine } from '../../src/load/report.ts';
import { newTally, type RunSummary, record, summarizeRun } from '../../src/load/tally.ts';
import { judge, type ModeRuns, modeResults, newModeRuns } from '../../src/load/verdict.ts';

function run(users: number, ms: number[], corsless = 0, pageReady?: number[]): RunSummary {
  const t = newTally();
  for (const v of ms) record(t, 'get', { cors: [] }, v, 'get');
  for (let i = 0; i < corsless; i++)
    record(t, 'preflight', { cors: ['no Access-Control-Allow-Origin'] }, 2, `user ${i} OPTIONS /api/v1/items → 204`);
  return summarizeRun({ users, seconds: 10, tally: t, loopLagP99Ms: 0.5, ...(pageReady ? { pageReadyMs: pageReady } : {}) });
}

function modeRuns(corsless = 0): ModeRuns {
  const logins = newTally();
  record(logins, 'login', { cors: [] }, 120, 'login');
  const r = newModeRuns(logins);
  r.steady = [run(25, [4, 5, 6], corsless), run(25, [5, 6, 7])];
  r.burst = [run(25, [20, 30], 0, [40, 55])];
  r.ramp = [
    { round: 1, users: 25, run: run(25, [5]) },
    { round: 1, users: 50, run: run(50, [400]) },
  ];
  r.knees = [
    findKnee(
      [
        { users: 25, p99Ms: 5, failed: 0 },
        { users: 50, p99Ms: 400, failed: 0 },
      ],
      250,
    ),
  ];
  if (corsless)
    r.corsExamples = [
      '[1/1] steady 25 users: user 0 OPTIONS /api/v1/items → 204 (X-Request-ID 0f…): no Access-Control-Allow-Origin',
    ];
  return r;
}

function report(runs: [Mode, ModeRuns][]): string {
  const map = new Map(runs);
  return formatLoadReport({
    generatedAt: '2026-12-02T00:00:00Z',
    command: 'make load',
    commit: 'abc1234',
    machine: { cpu: 'CPU', cores: 2, memGiB: 8, loadBefore: '1', loadAfter: '2', versions: 'Node', tool: '' },
    elapsedSec: 61,
    options: parseLoadEnv({ LOAD_RAMP: '25,50' }),
    database: 'SQLite',
    runs: map,
    verdict: judge(new Map(runs.map(([m, r]) => [m, modeResults(r, 25)])), 25),
    notes: ['a note'],
  });
}

test('both modes: verdict, every shape, knee, logins, notes; ratios; no NaN', () => {
  const md = report([
    ['sidecar', modeRuns()],
    ['direct', modeRuns()],
  ]);
  for (const heading of [
    '# Load: demo traffic, sidecar vs direct',
    '## Verdict',
    '## Steady demo load: 25 users, 20 s per round',
    '## Burst: 25 users reload at once, 5 times per round',
    '## Ramp: users at which p99 crosses 250 ms',
    '## Logins',
    '## Notes',
  ]) {
    assert.ok(md.includes(heading), heading);
  }
  assert.match(md, /\| threshold \| sidecar \| direct \|/);
  assert.match(
    md,
    /\| no CORS-less response \(every request of every shape\) \| pass: 0 CORS-less of 11 \| pass: 0 CORS-less of 11 \|/,
  );
  assert.match(
    md,
    /\| \*\*all requests\*\* \| 5\.50 \/ 6\.50 \/ 6\.50 \| 5\.50 \/ 6\.50 \/ 6\.50 \| 1\.00 \| 6 \/ 6 \| 0 \/ 0 \| 0 \/ 0 \|/,
  );
  assert.match(md, /\*\*page ready\*\* \(preflight \+ GET\) \| 40\.0 \/ 55\.0 \/ 55\.0/);
  assert.match(md, /- sidecar knee: ≈ \*\*41 users\*\* \(median of rounds; per round: 25–50 \(≈ 41\)\)/);
  assert.match(md, /\*\*PASS\*\*/);
  assert.ok(!md.includes('NaN'), md);
  assert.ok(!md.includes('First failed'), 'no examples section without failures');
});

test('one mode, with CORS-less responses: FAIL, no ratio column, the examples listed', () => {
  const md = report([['sidecar', modeRuns(2)]]);
  assert.match(md, /^# Load: demo traffic \(sidecar\)/);
  assert.match(md, /\| no CORS-less response \(every request of every shape\) \| \*\*FAIL\*\*: 2 CORS-less of 13 \|/);
  assert.ok(!md.includes('p99 ratio'));
  assert.match(md, /## First failed and CORS-less responses\n\n```\nsidecar CORS-less: \[1\/1\] steady 25 users: user 0 OPTIONS/);
  assert.match(md, /\*\*FAIL\*\*\n/);
});

test('progressLine', () => {
  const line = progressLine('[1/3] steady 25 users', 'sidecar', run(25, [1, 2, 3], 1));
  assert.match(
    line,
    /^\[1\/3\] steady 25 users\s+sidecar\s+4 req\s+0 req\/s {2}p50 2\.00 {2}p95 3\.00 {2}p99 3\.00 ms {2}0 failed {2}1 CORS-less$/,
  );
});
