// What one load run measured, and how the two load generators' outputs become it (pure).
import { latencyPercentiles } from './stats.ts';

export interface LoadResult {
  /** Completed responses, any status. */
  requests: number;
  durationSec: number;
  rps: number;
  p50Ms: number;
  p99Ms: number;
  /** Connect/read/write errors. */
  socketErrors: number;
  timeouts: number;
  /** Responses with status >= 400 (the bench expects none). */
  badStatus: number;
}

/** Marker of the one line the wrk script prints, so wrk's own report around it is ignored. */
export const WRK_MARK = 'BENCH_RESULT';

/** wrk `done` hook: one JSON line with exact counts and microsecond percentiles. */
export const WRK_LUA = `-- written by the edge-sidecar benchmark: one machine-readable line per run
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('${WRK_MARK} {"requests":%d,"duration_us":%d,"p50_us":%.1f,"p99_us":%.1f,' ..
    '"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d}\\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    e.connect, e.read, e.write, e.status, e.timeout))
end
`;

interface WrkLine {
  requests: number;
  duration_us: number;
  p50_us: number;
  p99_us: number;
  connect: number;
  read: number;
  write: number;
  status: number;
  timeout: number;
}

/** The result line of a wrk run with WRK_LUA; throws when it is missing or incomplete. */
export function parseWrkOutput(stdout: string): LoadResult {
  const line = stdout.split('\n').find((l) => l.startsWith(WRK_MARK + ' '));
  if (!line) throw new Error(`wrk printed no ${WRK_MARK} line:\n${stdout.slice(-800)}`);
  const j = JSON.parse(line.slice(WRK_MARK.length + 1)) as Partial<WrkLine>;
  const keys: (keyof WrkLine)[] = [
    'requests',
    'duration_us',
    'p50_us',
    'p99_us',
    'connect',
    'read',
    'write',
    'status',
    'timeout',
  ];
  for (const k of keys) if (typeof j[k] !== 'number') throw new Error(`wrk result lacks ${k}: ${line}`);
  const w = j as WrkLine;
  const durationSec = w.duration_us / 1e6;
  const none = w.requests === 0;
  return {
    requests: w.requests,
    durationSec,
    rps: durationSec > 0 ? w.requests / durationSec : 0,
    p50Ms: none ? Number.NaN : w.p50_us / 1000,
    p99Ms: none ? Number.NaN : w.p99_us / 1000,
    socketErrors: w.connect + w.read + w.write,
    timeouts: w.timeout,
    badStatus: w.status,
  };
}

/** Counts an autocannon run collects itself (per-response times at full resolution). */
export interface AutocannonTally {
  /** Response times of 2xx/3xx responses, ms. */
  latenciesMs: Float64Array | number[];
  requests: number;
  durationSec: number;
  errors: number;
  timeouts: number;
  badStatus: number;
}

/**
 * autocannon's own histogram has 1 ms buckets, too coarse for a 0.15 ms target: percentiles come
 * from the response times it emits per request instead.
 */
export function fromAutocannonTally(t: AutocannonTally): LoadResult {
  const { p50, p99 } = latencyPercentiles(t.latenciesMs);
  return {
    requests: t.requests,
    durationSec: t.durationSec,
    rps: t.durationSec > 0 ? t.requests / t.durationSec : 0,
    p50Ms: p50,
    p99Ms: p99,
    socketErrors: Math.max(0, t.errors - t.timeouts),
    timeouts: t.timeouts,
    badStatus: t.badStatus,
  };
}
