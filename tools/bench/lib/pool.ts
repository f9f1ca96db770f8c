// Caddy's idle upstream pool (UPSTREAM_IDLE_CONNS) at two sizes, side by side: medians and report (pure).

import type { LoadResult } from './load-result.ts';
import { fmtMs, fmtRps, type RunHeader } from './report.ts';
import { median } from './stats.ts';
import { type Cell, summarizeMode } from './table.ts';

/** One measured run of one sidecar stack whose pool holds `poolSize` idle connections. */
export interface PoolSample {
  poolSize: number;
  cellId: string;
  round: number;
  result: LoadResult;
  /** The API stopped answering during or right after the run: left out of the medians. */
  stalled: boolean;
  /** Caddy → uvicorn connections opened between UpstreamWatch's in-run snapshots (churn). */
  openedSteady: number;
  /** Requests of the run in that window (pro rata, see steadyRequests). */
  steadyRequests: number;
}

export interface PoolRow {
  cell: Cell;
  poolSize: number;
  /** Rounds in the medians, and rounds left out because the API stalled. */
  rounds: number;
  stalled: number;
  rps: number;
  p50Ms: number;
  p99Ms: number;
  /** Socket errors + timeouts + status >= 400, over all rounds. */
  failures: number;
  /** Median of the connections opened after the ramp-up. */
  openedSteady: number;
  /** Median share of the steady-window requests that needed a new upstream connection, 0..1. */
  newConnShare: number;
}

/** openedSteady / steadyRequests; NaN when the churn is unknown, 0 when no request fell in the window. */
export function newConnShare(openedSteady: number, steadyRequests: number): number {
  if (!Number.isFinite(openedSteady)) return Number.NaN;
  return steadyRequests > 0 ? openedSteady / steadyRequests : 0;
}

/** Medians across the non-stalled rounds of one pool size on one endpoint. */
export function summarizePool(cell: Cell, poolSize: number, samples: readonly PoolSample[]): PoolRow {
  const of = samples.filter((s) => s.cellId === cell.id && s.poolSize === poolSize);
  const m = summarizeMode(of);
  const kept = of.filter((s) => !s.stalled);
  return {
    cell,
    poolSize,
    rounds: m.rounds,
    stalled: m.stalled,
    rps: m.rps,
    p50Ms: m.p50Ms,
    p99Ms: m.p99Ms,
    failures: m.failures,
    openedSteady: median(kept.map((s) => s.openedSteady)),
    newConnShare: median(kept.map((s) => newConnShare(s.openedSteady, s.steadyRequests))),
  };
}

/** Rows ordered by endpoint, then pool size ascending. */
export function summarizePools(cells: readonly Cell[], poolSizes: readonly number[], samples: readonly PoolSample[]): PoolRow[] {
  const sizes = [...poolSizes].sort((a, b) => a - b);
  return cells.flatMap((cell) => sizes.map((size) => summarizePool(cell, size, samples)));
}

/** uvicorn VmRSS of one stack before the first load and after the last run, KiB. */
export interface PoolRss {
  poolSize: number;
  beforeKiB: number;
  afterKiB: number;
}

export interface PoolReportInput extends RunHeader {
  rows: readonly PoolRow[];
  rss: readonly PoolRss[];
  notes: readonly string[];
  partial?: string;
}

const fmtPct = (v: number) => (Number.isFinite(v) ? `${(v * 100).toFixed(1)} %` : 'n/a');
const fmtMiB = (kib: number) => (Number.isFinite(kib) ? `${(kib / 1024).toFixed(1)} MiB` : 'n/a');
const fmtCount = (v: number) => (Number.isFinite(v) ? String(Math.round(v * 10) / 10) : 'n/a');

function table(head: string[], rows: string[][]): string {
  const line = (cells: string[]) => `| ${cells.join(' | ')} |`;
  return [line(head), line(head.map(() => '---')), ...rows.map(line)].join('\n');
}

/** The results table: one row per endpoint and pool size, medians over rounds, uvicorn RSS per stack. */
export function formatPoolTable(rows: readonly PoolRow[], rss: readonly PoolRss[]): string {
  return table(
    [
      'endpoint @ connections',
      'idle pool',
      'req/s',
      'p50 ms',
      'p99 ms',
      'upstream conns opened after ramp-up',
      'requests on a new conn',
      'uvicorn RSS before → after',
      'rounds (stalled)',
      'failed',
    ],
    rows.map((r) => {
      const m = rss.find((x) => x.poolSize === r.poolSize);
      return [
        `${r.cell.label} @ ${r.cell.connections}`,
        String(r.poolSize),
        fmtRps(r.rps),
        fmtMs(r.p50Ms),
        fmtMs(r.p99Ms),
        fmtCount(r.openedSteady),
        fmtPct(r.newConnShare),
        m ? `${fmtMiB(m.beforeKiB)} → ${fmtMiB(m.afterKiB)}` : 'n/a',
        `${r.rounds}${r.stalled ? ` (**${r.stalled}**)` : ''}`,
        String(r.failures),
      ];
    }),
  );
}

export function formatPoolReport(r: PoolReportInput): string {
  const out: string[] = [];
  out.push('# Benchmark: Caddy idle upstream pool (UPSTREAM_IDLE_CONNS)', '');
  if (r.partial) out.push(`> **Partial run:** ${r.partial}`, '');
  const sizes = [...new Set(r.rows.map((x) => x.poolSize))].sort((a, b) => a - b);
  out.push(
    `Written on ${r.generatedAt} (commit ${r.commit}); took ${Math.round(r.elapsedSec)} s. Two sidecar stacks ` +
      `side by side, identical but for \`UPSTREAM_IDLE_CONNS\` (${sizes.join(' and ')}; Caddy's own default is 32). ` +
      `Medians over ${r.rounds} interleaved rounds of ${r.durationSec} s per endpoint and stack, after a ` +
      `${r.warmupSec} s warm-up of each.`,
    '',
  );
  out.push('## Command', '', '```sh', r.command, '```', '');
  out.push('## Machine', '');
  out.push(`- CPU: ${r.machine.cpu}, ${r.machine.cores} cores, ${r.machine.memGiB.toFixed(0)} GiB RAM`);
  out.push(`- load average (1/5/15 min) before: ${r.machine.loadBefore}; after: ${r.machine.loadAfter}`);
  out.push(`- ${r.machine.versions}`);
  out.push(`- load generator: ${r.machine.tool}`, '');
  out.push('## Results', '');
  out.push(formatPoolTable(r.rows, r.rss), '');
  out.push(
    `"Opened after ramp-up" counts Caddy → uvicorn connections (new ephemeral ports in the kernel socket table, ` +
      `TIME_WAIT included) that appeared between a snapshot ${r.rampMs} ms into the run and one 250 ms before its ` +
      'end, while every client was connected: pool churn. "Requests on a new conn" divides it by the requests of ' +
      "that window (pro rata). uvicorn RSS is VmRSS of the stack's uvicorn once seeded, before any load, and " +
      'after the last run.',
    '',
  );
  if (r.notes.length) {
    out.push('## Notes', '');
    for (const n of r.notes) out.push(`- ${n}`);
    out.push('');
  }
  return out.join('\n');
}
