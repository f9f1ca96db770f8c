// From per-round results to the comparison the issue asks for: medians, ratios, target verdicts (pure).
import type { LoadResult } from './load-result.ts';
import { median, minMax, ratio } from './stats.ts';

export type Mode = 'sidecar' | 'direct';
export const MODES: readonly Mode[] = ['sidecar', 'direct'];

/** One endpoint at one concurrency. */
export interface Cell {
  id: string;
  path: string;
  /** Short endpoint name for tables. */
  label: string;
  connections: number;
  /** Extra request headers. */
  headers: Record<string, string>;
  /** Needs the stack's bearer token (added per stack at run time: see withAuth in run.ts). */
  auth?: boolean;
}

export interface Sample {
  cellId: string;
  mode: Mode;
  round: number;
  result: LoadResult;
  /** The server stopped answering during or right after this run (see isStalled). */
  stalled: boolean;
}

export interface ModeSummary {
  /** Rounds the medians are taken over (stalled ones left out). */
  rounds: number;
  /** Rounds in which the server stalled (see isStalled). */
  stalled: number;
  rps: number;
  rpsMin: number;
  rpsMax: number;
  p50Ms: number;
  p99Ms: number;
  requests: number;
  /** Socket errors + timeouts + status >= 400, over all rounds. */
  failures: number;
}

export interface CellSummary {
  cell: Cell;
  sidecar: ModeSummary;
  direct: ModeSummary;
  /** sidecar / direct. */
  rpsRatio: number;
  p50Ratio: number;
  p99Ratio: number;
  /** sidecar p50 − direct p50, ms. */
  addedP50Ms: number;
}

/**
 * A run in which the server stopped answering: requests timed out, or none completed at all. Such a
 * run's numbers describe the stall, not the proxy, so medians leave it out and the report counts it.
 */
export function isStalled(r: LoadResult): boolean {
  return r.requests === 0 || r.timeouts > 0;
}

export function summarizeMode(samples: readonly Pick<Sample, 'result' | 'stalled'>[]): ModeSummary {
  const all = samples.map((s) => s.result);
  const results = samples.filter((s) => !s.stalled).map((s) => s.result);
  const rps = results.map((r) => r.rps);
  const { min, max } = minMax(rps);
  return {
    rounds: results.length,
    stalled: all.length - results.length,
    rps: median(rps),
    rpsMin: min,
    rpsMax: max,
    p50Ms: median(results.map((r) => r.p50Ms)),
    p99Ms: median(results.map((r) => r.p99Ms)),
    requests: all.reduce((a, r) => a + r.requests, 0),
    failures: all.reduce((a, r) => a + r.socketErrors + r.timeouts + r.badStatus, 0),
  };
}

/** Medians across rounds per cell and mode, and the sidecar/direct ratios of those medians. */
export function summarize(cells: readonly Cell[], samples: readonly Sample[]): CellSummary[] {
  return cells.map((cell) => {
    const of = (mode: Mode) => summarizeMode(samples.filter((s) => s.cellId === cell.id && s.mode === mode));
    const sidecar = of('sidecar');
    const direct = of('direct');
    return {
      cell,
      sidecar,
      direct,
      rpsRatio: ratio(sidecar.rps, direct.rps),
      p50Ratio: ratio(sidecar.p50Ms, direct.p50Ms),
      p99Ratio: ratio(sidecar.p99Ms, direct.p99Ms),
      addedP50Ms: sidecar.p50Ms - direct.p50Ms,
    };
  });
}

export type Verdict = 'PASS' | 'MISS' | 'n/a';

export interface TargetCheck {
  target: string;
  measured: string;
  verdict: Verdict;
  note?: string;
}

/** The targets (reported, not asserted). */
export const TARGETS = {
  itemsRpsRatioMin: 0.8,
  addedP50MsMax: 0.15,
  p99MsMax: 25,
} as const;

const verdict = (value: number, ok: (v: number) => boolean): Verdict =>
  Number.isFinite(value) ? (ok(value) ? 'PASS' : 'MISS') : 'n/a';

/**
 * Closed-loop load keeps `connections` requests in flight, so mean latency = connections / rps
 * (Little's law): below this throughput no tail under `p99MsMax` is possible at that concurrency.
 */
export function rpsNeededForLatency(connections: number, latencyMs: number): number {
  return connections / (latencyMs / 1000);
}

export function checkTargets(summaries: readonly CellSummary[], itemsPath: string): TargetCheck[] {
  const checks: TargetCheck[] = [];
  const fmt = (v: number, digits: number) => (Number.isFinite(v) ? v.toFixed(digits) : 'n/a');
  for (const s of summaries.filter((x) => x.cell.path === itemsPath && x.cell.connections > 1)) {
    checks.push({
      target: `${s.cell.label} @ ${s.cell.connections}: sidecar req/s ≥ ${TARGETS.itemsRpsRatioMin.toFixed(2)} × direct`,
      measured: `${fmt(s.rpsRatio, 2)} × (${fmt(s.sidecar.rps, 0)} vs ${fmt(s.direct.rps, 0)} req/s)`,
      verdict: verdict(s.rpsRatio, (v) => v >= TARGETS.itemsRpsRatioMin),
    });
  }
  for (const s of summaries.filter((x) => x.cell.connections === 1)) {
    checks.push({
      target: `${s.cell.label} @ 1: added p50 ≤ ${TARGETS.addedP50MsMax} ms`,
      measured: `+${fmt(s.addedP50Ms, 3)} ms (${fmt(s.sidecar.p50Ms, 3)} vs ${fmt(s.direct.p50Ms, 3)} ms)`,
      verdict: verdict(s.addedP50Ms, (v) => v <= TARGETS.addedP50MsMax),
    });
  }
  for (const s of summaries.filter((x) => x.cell.connections > 1)) {
    const needed = rpsNeededForLatency(s.cell.connections, TARGETS.p99MsMax);
    const bound = Number.isFinite(s.direct.rps) && s.direct.rps < needed;
    checks.push({
      target: `${s.cell.label} @ ${s.cell.connections}: sidecar p99 ≤ ${TARGETS.p99MsMax} ms`,
      measured: `${fmt(s.sidecar.p99Ms, 1)} ms (direct ${fmt(s.direct.p99Ms, 1)} ms)`,
      verdict: verdict(s.sidecar.p99Ms, (v) => v <= TARGETS.p99MsMax),
      ...(bound
        ? {
            note:
              `unreachable at this throughput: ${s.cell.connections} connections need ≥ ${needed.toFixed(0)} req/s ` +
              `for even the mean to be ${TARGETS.p99MsMax} ms (Little's law); direct does ${fmt(s.direct.rps, 0)}`,
          }
        : {}),
    });
  }
  return checks;
}
