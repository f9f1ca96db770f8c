// Aggregates of what the benchmark samples beside the load: upstream connections, CPU, memory (pure).

import { median } from './stats.ts';
import type { Mode } from './table.ts';

/** Proxy-to-API connections around one sidecar run. */
export interface UpstreamSample {
  cellId: string;
  round: number;
  /** Open (ESTABLISHED) at the start: the idle pool left by earlier runs. */
  establishedBefore: number;
  /** Most open at once while the run went on (sampled). */
  maxEstablished: number;
  /** Connections the proxy opened during the whole run (new ephemeral ports, TIME_WAIT included). */
  opened: number;
  /** Of those, opened after the ramp-up, while all clients were connected: pool churn. */
  openedSteady: number;
  /** Requests of the run that fell in that steady window (pro rata). */
  steadyRequests: number;
}

/** UpstreamWatch takes its last in-run snapshot this long before the load ends. */
export const END_SNAPSHOT_MS = 250;

/**
 * Requests of a run that fell between UpstreamWatch's two in-run snapshots (after the ramp-up, before
 * the end one), pro rata: the denominator of the share of requests that needed a new upstream connection.
 */
export function steadyRequests(requests: number, durationSec: number, rampMs: number): number {
  if (!(durationSec > 0)) return 0;
  const share = Math.max(0, 1 - (rampMs + END_SNAPSHOT_MS) / (durationSec * 1000));
  return Math.round(requests * share);
}

export interface UpstreamSummary {
  cellId: string;
  runs: number;
  medianEstablishedBefore: number;
  maxEstablished: number;
  medianOpened: number;
  medianOpenedSteady: number;
  maxOpenedSteady: number;
  /** Highest share of a run's steady-window requests that needed a new upstream connection. */
  maxSteadyShare: number;
}

/** Largest finite value; NaN when there is none. */
const maxOf = (v: number[]) => {
  const finite = v.filter((x) => Number.isFinite(x));
  return finite.length ? Math.max(...finite) : Number.NaN;
};

export function summarizeUpstream(cellId: string, samples: readonly UpstreamSample[]): UpstreamSummary {
  const of = samples.filter((s) => s.cellId === cellId);
  return {
    cellId,
    runs: of.length,
    medianEstablishedBefore: median(of.map((s) => s.establishedBefore)),
    maxEstablished: maxOf(of.map((s) => s.maxEstablished)),
    medianOpened: median(of.map((s) => s.opened)),
    medianOpenedSteady: median(of.map((s) => s.openedSteady)),
    maxOpenedSteady: maxOf(of.map((s) => s.openedSteady)),
    maxSteadyShare: maxOf(of.map((s) => (s.steadyRequests > 0 ? s.openedSteady / s.steadyRequests : 0))),
  };
}

/** CPU the stack's processes used during one run, by role, and how busy the whole machine was. */
export interface CpuSample {
  cellId: string;
  mode: Mode;
  round: number;
  /** CPU milliseconds by role (caddy, uvicorn, supervisord, entrypoint). */
  cpuMsByRole: Record<string, number>;
  /** Whole machine, all cores, 0..1. */
  machineBusy: number;
  requests: number;
}

export interface CpuSummary {
  cellId: string;
  mode: Mode;
  /** CPU ms per 1,000 requests by role, summed over rounds. */
  perKiloRequest: Record<string, number>;
  medianMachineBusy: number;
}

export function summarizeCpu(cellId: string, mode: Mode, samples: readonly CpuSample[]): CpuSummary {
  const of = samples.filter((s) => s.cellId === cellId && s.mode === mode);
  const requests = of.reduce((a, s) => a + s.requests, 0);
  const totals: Record<string, number> = {};
  for (const s of of) for (const [role, ms] of Object.entries(s.cpuMsByRole)) totals[role] = (totals[role] ?? 0) + ms;
  const perKiloRequest: Record<string, number> = {};
  for (const [role, ms] of Object.entries(totals)) perKiloRequest[role] = requests > 0 ? (ms / requests) * 1000 : Number.NaN;
  return { cellId, mode, perKiloRequest, medianMachineBusy: median(of.map((s) => s.machineBusy)) };
}

export interface RssPoint {
  mode: Mode;
  /** When: 'ready', 'after warm-up', 'end'. */
  when: string;
  kib: number;
}
