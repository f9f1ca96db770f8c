// What a run saw, per kind of request: counts, latencies, the first failures (pure; crosses the worker's IPC as JSON).
import { median, minMax, percentileSorted } from '../../bench/lib/stats.ts';
import type { Outcome } from './check.ts';

export const KINDS = ['login', 'preflight', 'get', 'post', 'refresh'] as const;
export type Kind = (typeof KINDS)[number];
/** Kinds a looping user sends (logins happen once, before the runs). */
export const LOOP_KINDS: readonly Kind[] = ['preflight', 'get', 'post', 'refresh'];

export const KIND_LABELS: Record<Kind, string> = {
  login: 'login (auth0-url, stand-in, POST login)',
  preflight: 'preflight OPTIONS',
  get: 'GET /api/v1/items',
  post: 'POST /api/v1/items',
  refresh: 'POST /api/v1/auth/refresh',
};

export interface KindTally {
  sent: number;
  /** Transport errors, timeouts, wrong statuses or bodies. */
  failed: number;
  /** Responses without the CORS a browser needs (or with wrong CORS), whatever their status. */
  corsless: number;
  /** Time to the last body byte of every response received, ms. */
  ms: number[];
}

export interface Tally {
  kinds: Record<Kind, KindTally>;
  /** The first MAX_EXAMPLES of each, one line each. */
  failedExamples: string[];
  corsExamples: string[];
}

export const MAX_EXAMPLES = 8;

export function newTally(): Tally {
  const kinds = Object.fromEntries(KINDS.map((k) => [k, { sent: 0, failed: 0, corsless: 0, ms: [] }])) as unknown as Record<
    Kind,
    KindTally
  >;
  return { kinds, failedExamples: [], corsExamples: [] };
}

/** One request's outcome; `ms` is undefined when no response came (it then counts as failed). */
export function record(t: Tally, kind: Kind, outcome: Outcome, ms: number | undefined, label: string): void {
  const k = t.kinds[kind];
  k.sent += 1;
  if (ms !== undefined) k.ms.push(ms);
  if (outcome.failed !== undefined) {
    k.failed += 1;
    if (t.failedExamples.length < MAX_EXAMPLES) t.failedExamples.push(`${label}: ${outcome.failed}`);
  }
  if (outcome.cors.length) {
    k.corsless += 1;
    if (t.corsExamples.length < MAX_EXAMPLES) t.corsExamples.push(`${label}: ${outcome.cors.join('; ')}`);
  }
}

export function mergeTallies(tallies: readonly Tally[]): Tally {
  const out = newTally();
  for (const t of tallies) {
    for (const kind of KINDS) {
      const a = out.kinds[kind];
      const b = t.kinds[kind];
      a.sent += b.sent;
      a.failed += b.failed;
      a.corsless += b.corsless;
      for (const v of b.ms) a.ms.push(v);
    }
    out.failedExamples.push(...t.failedExamples.slice(0, MAX_EXAMPLES - out.failedExamples.length));
    out.corsExamples.push(...t.corsExamples.slice(0, MAX_EXAMPLES - out.corsExamples.length));
  }
  return out;
}

export interface Counts {
  sent: number;
  failed: number;
  corsless: number;
}

export function counts(t: Tally, kinds: readonly Kind[] = KINDS): Counts {
  return kinds.reduce(
    (c, k) => ({
      sent: c.sent + t.kinds[k].sent,
      failed: c.failed + t.kinds[k].failed,
      corsless: c.corsless + t.kinds[k].corsless,
    }),
    {
      sent: 0,
      failed: 0,
      corsless: 0,
    },
  );
}

export interface Percentiles {
  n: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
}

/** Nearest-rank percentiles of unsorted samples (NaN when there are none). */
export function percentiles(samples: readonly number[]): Percentiles {
  const sorted = Float64Array.from(samples).sort();
  return {
    n: sorted.length,
    p50: percentileSorted(sorted, 50),
    p95: percentileSorted(sorted, 95),
    p99: percentileSorted(sorted, 99),
    max: sorted.length ? sorted[sorted.length - 1]! : Number.NaN,
  };
}

/** What one run (one shape, one mode, one round) returns from the worker. */
export interface RunResult {
  users: number;
  /** Wall time from the first request to the last response, s. */
  seconds: number;
  tally: Tally;
  /** p99 of the load generator's own event-loop delay, ms: high values mean the client, not the server, was slow. */
  loopLagP99Ms: number;
  /** Burst only: from the common instant to each user's GET response (preflight + GET, as a page reload waits). */
  pageReadyMs?: number[];
}

export interface RunSummary {
  users: number;
  requests: number;
  rps: number;
  all: Percentiles;
  byKind: Record<Kind, Percentiles & Counts>;
  failed: number;
  corsless: number;
  loopLagP99Ms: number;
  pageReady: Percentiles | undefined;
}

export function summarizeRun(r: RunResult): RunSummary {
  const c = counts(r.tally, LOOP_KINDS);
  const byKind = Object.fromEntries(
    KINDS.map((k) => [
      k,
      {
        ...percentiles(r.tally.kinds[k].ms),
        sent: r.tally.kinds[k].sent,
        failed: r.tally.kinds[k].failed,
        corsless: r.tally.kinds[k].corsless,
      },
    ]),
  ) as Record<Kind, Percentiles & Counts>;
  return {
    users: r.users,
    requests: c.sent,
    rps: r.seconds > 0 ? c.sent / r.seconds : Number.NaN,
    all: percentiles(LOOP_KINDS.flatMap((k) => r.tally.kinds[k].ms)),
    byKind,
    failed: c.failed,
    corsless: c.corsless,
    loopLagP99Ms: r.loopLagP99Ms,
    pageReady: r.pageReadyMs ? percentiles(r.pageReadyMs) : undefined,
  };
}

/** Several rounds of one shape and mode: medians of the round values, counts summed, the worst round's p95. */
export interface RoundsSummary {
  rounds: number;
  users: number;
  requests: number;
  rps: number;
  all: Percentiles;
  /** The highest p95 of any round (the threshold is judged on it). */
  worstP95: number;
  byKind: Record<Kind, Percentiles & Counts>;
  failed: number;
  corsless: number;
  loopLagP99Ms: number;
  pageReady: Percentiles | undefined;
}

function medianPercentiles(ps: readonly Percentiles[]): Percentiles {
  return {
    n: ps.reduce((a, p) => a + p.n, 0),
    p50: median(ps.map((p) => p.p50)),
    p95: median(ps.map((p) => p.p95)),
    p99: median(ps.map((p) => p.p99)),
    max: minMax(ps.map((p) => p.max)).max,
  };
}

export function summarizeRounds(runs: readonly RunSummary[]): RoundsSummary {
  const byKind = Object.fromEntries(
    KINDS.map((k) => {
      const of = runs.map((r) => r.byKind[k]);
      return [
        k,
        {
          ...medianPercentiles(of),
          sent: sum(of.map((x) => x.sent)),
          failed: sum(of.map((x) => x.failed)),
          corsless: sum(of.map((x) => x.corsless)),
        },
      ];
    }),
  ) as Record<Kind, Percentiles & Counts>;
  const ready = runs.flatMap((r) => (r.pageReady ? [r.pageReady] : []));
  return {
    rounds: runs.length,
    users: runs[0]?.users ?? 0,
    requests: sum(runs.map((r) => r.requests)),
    rps: median(runs.map((r) => r.rps)),
    all: medianPercentiles(runs.map((r) => r.all)),
    worstP95: minMax(runs.map((r) => r.all.p95)).max,
    byKind,
    failed: sum(runs.map((r) => r.failed)),
    corsless: sum(runs.map((r) => r.corsless)),
    loopLagP99Ms: median(runs.map((r) => r.loopLagP99Ms)),
    pageReady: ready.length ? medianPercentiles(ready) : undefined,
  };
}

const sum = (v: readonly number[]): number => v.reduce((a, b) => a + b, 0);
