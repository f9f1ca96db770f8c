// Thresholds fail the run, targets are reported; the verdict's console lines (pure).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Mode } from '../../bench/lib/table.ts';
import { findKnee } from '../../src/load/knee.ts';
import { newTally, type RunSummary, record, summarizeRun } from '../../src/load/tally.ts';
import { judge, type ModeRuns, modeResults, newModeRuns, verdictLines } from '../../src/load/verdict.ts';

/** One run of `users` users: `ms` are GET latencies, plus failed / CORS-less preflights. */
function run(users: number, ms: number[], failed = 0, corsless = 0): RunSummary {
  const t = newTally();
  for (const v of ms) record(t, 'get', { cors: [] }, v, 'get');
  for (let i = 0; i < failed; i++) record(t, 'preflight', { failed: 'status 502, not 2xx', cors: [] }, 3, 'preflight');
  for (let i = 0; i < corsless; i++) record(t, 'preflight', { cors: ['no Access-Control-Allow-Origin'] }, 3, 'preflight');
  return summarizeRun({ users, seconds: 10, tally: t, loopLagP99Ms: 0 });
}

function modeRuns(
  opts: { steady?: RunSummary[]; burst?: RunSummary[]; ramp?: [number, RunSummary][]; loginFailed?: number } = {},
): ModeRuns {
  const logins = newTally();
  record(logins, 'login', { cors: [] }, 100, 'login');
  for (let i = 0; i < (opts.loginFailed ?? 0); i++)
    record(logins, 'login', { failed: 'login answered 503', cors: [] }, undefined, 'login');
  const r = newModeRuns(logins);
  r.steady = opts.steady ?? [run(25, [5, 6, 7])];
  r.burst = opts.burst ?? [run(25, [9])];
  r.ramp = (opts.ramp ?? []).map(([users, s]) => ({ round: 1, users, run: s }));
  if (r.ramp.length)
    r.knees = [
      findKnee(
        r.ramp.map((x) => ({ users: x.users, p99Ms: x.run.all.p99, failed: x.run.failed })),
        250,
      ),
    ];
  return r;
}

const verdictOf = (runs: [Mode, ModeRuns][]) => judge(new Map(runs.map(([m, r]) => [m, modeResults(r, 25)])), 25);
const failing = (v: ReturnType<typeof verdictOf>) =>
  v.checks.filter((c) => !c.pass).map((c) => `${c.mode}: ${c.rule.split(' (')[0]}: ${c.measured}`);

describe('judge', () => {
  test('a healthy run passes every threshold', () => {
    const v = verdictOf([
      ['sidecar', modeRuns()],
      ['direct', modeRuns()],
    ]);
    assert.equal(v.pass, true);
    assert.equal(v.checks.length, 6);
    assert.deepEqual(failing(v), []);
  });
  const ROWS: [string, ModeRuns, string[]][] = [
    [
      'one CORS-less response in the steady load',
      modeRuns({ steady: [run(25, [5], 0, 1)] }),
      ['sidecar: no CORS-less response: 1 CORS-less of 4'],
    ],
    [
      'CORS-less responses in the ramp, above the demo load, still fail',
      modeRuns({ ramp: [[400, run(400, [5], 0, 2)]] }),
      ['sidecar: no CORS-less response: 2 CORS-less of 8'],
    ],
    ['a failed login', modeRuns({ loginFailed: 1 }), ['sidecar: no failed response: 1 failed of 6']],
    ['a failed burst request', modeRuns({ burst: [run(25, [9], 1)] }), ['sidecar: no failed response: 1 failed of 6']],
    [
      'steady p95 over 2 s in one round of three',
      modeRuns({ steady: [run(25, [5]), run(25, [2500]), run(25, [6])] }),
      ['sidecar: steady p95 ≤ 2000 ms in every round: worst round 2500.0 ms'],
    ],
  ];
  for (const [name, r, expected] of ROWS) {
    test(`fails: ${name}`, () => {
      const v = verdictOf([
        ['sidecar', r],
        ['direct', modeRuns()],
      ]);
      assert.equal(v.pass, false);
      assert.deepEqual(failing(v), expected);
    });
  }
  test('ramp failures above the demo load are reported, not failing', () => {
    const v = verdictOf([
      [
        'sidecar',
        modeRuns({
          ramp: [
            [25, run(25, [5])],
            [400, run(400, [900], 4)],
          ],
        }),
      ],
    ]);
    assert.equal(v.pass, true);
    assert.match(v.checks[0]!.measured, /0 failed of .* \(ramp above 25 users: 4 more, reported only\)/);
    assert.ok(v.targets.some((t) => /knee/.test(t.rule) && t.measured === '≈ 400 users'));
  });
  test('ramp failures at the demo load fail', () => {
    const v = verdictOf([['sidecar', modeRuns({ ramp: [[25, run(25, [5], 1)]] })]]);
    assert.deepEqual(failing(v), ['sidecar: no failed response: 1 failed of 7']);
  });
  test('targets: steady p99 ≤ 50 ms is reported, a miss does not fail the run', () => {
    const v = verdictOf([['sidecar', modeRuns({ steady: [run(25, [60])] })]]);
    assert.equal(v.pass, true);
    const t = v.targets.find((x) => /p99 ≤ 50 ms/.test(x.rule))!;
    assert.equal(t.pass, false);
    assert.equal(t.measured, '60.0 ms');
  });
  test('no steady shape: no p95 threshold, no steady targets', () => {
    const r = modeRuns();
    r.steady = [];
    const v = verdictOf([['direct', r]]);
    assert.equal(v.checks.length, 2);
    assert.equal(v.targets.length, 0);
  });
});

test('verdictLines: one line per check and target, PASS or FAIL last', () => {
  const lines = verdictLines(verdictOf([['sidecar', modeRuns({ steady: [run(25, [5], 0, 3)] })]]));
  assert.equal(lines.at(-1), 'load: FAIL (1 threshold crossed)');
  assert.ok(
    lines.includes('load: FAIL  sidecar no CORS-less response (every request of every shape): 3 CORS-less of 6'),
    lines.join('\n'),
  );
  assert.equal(verdictLines(verdictOf([['direct', modeRuns()]])).at(-1), 'load: PASS (every threshold held)');
});
