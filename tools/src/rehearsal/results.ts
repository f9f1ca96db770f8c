// What a rehearsal found: one result per step x origin x mode, the login figures, and the verdict (pure).
import { median, percentileSorted } from '../../bench/lib/stats.ts';

export type Outcome = 'pass' | 'fail' | 'n/a';

export interface StepResult {
  step: string;
  origin: string;
  mode: string;
  outcome: Outcome;
  ms: number;
  /** What was checked (pass) or what went wrong (fail), or why the step cannot apply (n/a). */
  detail: string;
  /** Screenshot file name, relative to the report. */
  screenshot?: string;
  /** The browser's console messages during the step (CORS refusals are logged there). */
  console: string[];
}

export interface LoginFigures {
  mode: string;
  attempts: number;
  successes: number;
  /** Click on "Log in" to the page saying "Logged in", per successful login. */
  ms: number[];
  failures: string[];
}

export interface LoginSummary {
  mode: string;
  attempts: number;
  successes: number;
  medianMs: number;
  p95Ms: number;
}

export function summariseLogins(f: LoginFigures): LoginSummary {
  const sorted = [...f.ms].sort((a, b) => a - b);
  return {
    mode: f.mode,
    attempts: f.attempts,
    successes: f.successes,
    medianMs: median(sorted),
    p95Ms: percentileSorted(sorted, 95),
  };
}

export interface Rehearsal {
  startedAt: string;
  /** The CORS policy and other variables the stack ran with (no secrets). */
  settings: Record<string, string>;
  steps: StepResult[];
  logins: LoginFigures[];
  /** Something that stopped a whole mode (a stack that never became ready, no browser). */
  aborted: string[];
}

/** Safe to present: every step passed or cannot apply, every login succeeded, nothing aborted. */
export function verdict(r: Rehearsal): { safe: boolean; failed: StepResult[]; loginFailures: number } {
  const failed = r.steps.filter((s) => s.outcome === 'fail');
  const loginFailures = r.logins.reduce((n, l) => n + (l.attempts - l.successes), 0);
  const ran = r.steps.some((s) => s.outcome === 'pass');
  return { safe: ran && failed.length === 0 && loginFailures === 0 && r.aborted.length === 0, failed, loginFailures };
}

/** Rows: each (origin, step) in first-seen order; columns: the modes in first-seen order. */
export function grid(steps: readonly StepResult[]): {
  rows: { origin: string; step: string }[];
  modes: string[];
  cell: (origin: string, step: string, mode: string) => StepResult | undefined;
} {
  const key = (...parts: string[]): string => parts.join('\u0000');
  const origins = [...new Set(steps.map((s) => s.origin))];
  // Grouped by origin (a report row block per origin), steps in the order they ran within it.
  const rows = [...new Map(steps.map((s) => [key(s.origin, s.step), { origin: s.origin, step: s.step }])).values()].sort(
    (a, b) => origins.indexOf(a.origin) - origins.indexOf(b.origin),
  );
  const modes = [...new Set(steps.map((s) => s.mode))];
  const index = new Map(steps.map((s) => [key(s.origin, s.step, s.mode), s]));
  return { rows, modes, cell: (origin, step, mode) => index.get(key(origin, step, mode)) };
}
