// The run's verdict: thresholds that fail it (exit 1) and the issue's targets, reported (pure).
import type { Mode } from '../../bench/lib/table.ts';
import { type Knee, medianKnee } from './knee.ts';
import { TARGETS, THRESHOLDS } from './options.ts';
import { type Counts, counts, type RoundsSummary, type RunSummary, summarizeRounds, type Tally } from './tally.ts';

/** Everything one mode's runs produced, as the orchestrator collects it. */
export interface ModeRuns {
  logins: Tally;
  steady: RunSummary[];
  burst: RunSummary[];
  ramp: { round: number; users: number; run: RunSummary }[];
  knees: Knee[];
  /** The first failed and CORS-less responses, each line naming its shape and round. */
  failedExamples: string[];
  corsExamples: string[];
}

export const newModeRuns = (logins: Tally): ModeRuns => ({
  logins,
  steady: [],
  burst: [],
  ramp: [],
  knees: [],
  failedExamples: [],
  corsExamples: [],
});

/** What one mode did over the whole run. */
export interface ModeResults {
  logins: Counts;
  steady: RoundsSummary | undefined;
  burst: RoundsSummary | undefined;
  /** Every ramp step: counts, and separately the failures of steps at or below the demo's users. */
  ramp: Counts & { failedAtDemoLoad: number };
  knees: Knee[];
}

/** A mode's runs reduced to what the thresholds judge. */
export function modeResults(r: ModeRuns, demoUsers: number): ModeResults {
  const rampCounts = r.ramp.reduce(
    (c, s) => ({
      sent: c.sent + s.run.requests,
      failed: c.failed + s.run.failed,
      corsless: c.corsless + s.run.corsless,
      failedAtDemoLoad: c.failedAtDemoLoad + (s.users <= demoUsers ? s.run.failed : 0),
    }),
    { sent: 0, failed: 0, corsless: 0, failedAtDemoLoad: 0 },
  );
  return {
    logins: counts(r.logins, ['login']),
    steady: r.steady.length ? summarizeRounds(r.steady) : undefined,
    burst: r.burst.length ? summarizeRounds(r.burst) : undefined,
    ramp: rampCounts,
    knees: r.knees,
  };
}

export interface Check {
  mode: Mode;
  rule: string;
  measured: string;
  pass: boolean;
}

export interface Verdict {
  /** Thresholds: any failing one fails the run. */
  checks: Check[];
  /** Targets: reported, never fail the run. */
  targets: Check[];
  pass: boolean;
}

const n = (v: number): string => v.toLocaleString('en-US');
const ms = (v: number): string => (Number.isFinite(v) ? `${v.toFixed(v < 10 ? 2 : 1)} ms` : 'n/a');

export function judge(results: ReadonlyMap<Mode, ModeResults>, demoUsers: number): Verdict {
  const checks: Check[] = [];
  const targets: Check[] = [];
  for (const [mode, r] of results) {
    const shapes = [r.steady, r.burst].filter((s): s is RoundsSummary => s !== undefined);
    const sent = r.logins.sent + shapes.reduce((a, s) => a + s.requests, 0) + r.ramp.sent;
    const failed = r.logins.failed + shapes.reduce((a, s) => a + s.failed, 0) + r.ramp.failedAtDemoLoad;
    const corsless = r.logins.corsless + shapes.reduce((a, s) => a + s.corsless, 0) + r.ramp.corsless;
    checks.push({
      mode,
      rule: `no failed response (logins, steady, burst, ramp steps ≤ ${demoUsers} users)`,
      measured: `${n(failed)} failed of ${n(sent)}${r.ramp.failed > r.ramp.failedAtDemoLoad ? ` (ramp above ${demoUsers} users: ${n(r.ramp.failed - r.ramp.failedAtDemoLoad)} more, reported only)` : ''}`,
      pass: failed === 0,
    });
    checks.push({
      mode,
      rule: 'no CORS-less response (every request of every shape)',
      measured: `${n(corsless)} CORS-less of ${n(sent)}`,
      pass: corsless === 0,
    });
    if (r.steady) {
      checks.push({
        mode,
        rule: `steady p95 ≤ ${THRESHOLDS.steadyP95MsMax} ms in every round (${r.steady.users} users)`,
        measured: `worst round ${ms(r.steady.worstP95)}`,
        pass: r.steady.worstP95 <= THRESHOLDS.steadyP95MsMax,
      });
      targets.push({
        mode,
        rule: `steady ${r.steady.users} users: p99 ≤ ${TARGETS.steadyP99MsMax} ms (median of rounds)`,
        measured: ms(r.steady.all.p99),
        pass: r.steady.all.p99 <= TARGETS.steadyP99MsMax,
      });
      targets.push({
        mode,
        rule: `steady ${r.steady.users} users: 0 failed, 0 CORS-less`,
        measured: `${n(r.steady.failed)} failed, ${n(r.steady.corsless)} CORS-less of ${n(r.steady.requests)}`,
        pass: r.steady.failed === 0 && r.steady.corsless === 0,
      });
    }
    if (r.knees.length) {
      const k = medianKnee(r.knees);
      targets.push({
        mode,
        rule: 'knee reported (users at which p99 crosses the knee threshold)',
        measured: Number.isFinite(k)
          ? `≈ ${Math.round(k)} users`
          : Number.isNaN(k)
            ? 'n/a'
            : `not reached (> ${r.knees[0]!.maxUsers} users)`,
        pass: !Number.isNaN(k),
      });
    }
  }
  return { checks, targets, pass: checks.every((c) => c.pass) };
}

/** The verdict as console lines, the last one saying PASS or FAIL. */
export function verdictLines(v: Verdict): string[] {
  const lines = v.checks.map((c) => `load: ${c.pass ? 'pass' : 'FAIL'}  ${c.mode.padEnd(7)} ${c.rule}: ${c.measured}`);
  lines.push(
    ...v.targets.map((t) => `load: target ${t.pass ? 'met   ' : 'missed'} ${t.mode.padEnd(7)} ${t.rule}: ${t.measured}`),
  );
  const failed = v.checks.filter((c) => !c.pass).length;
  lines.push(v.pass ? 'load: PASS (every threshold held)' : `load: FAIL (${failed} threshold${failed === 1 ? '' : 's'} crossed)`);
  return lines;
}
