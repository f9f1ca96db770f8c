// The ramp's knee: the users at which p99 crosses the threshold (or requests start failing), per round and over rounds (pure).

export interface RampPoint {
  users: number;
  /** NaN when no response came back at all. */
  p99Ms: number;
  failed: number;
}

export interface Knee {
  /** Users of the first step that crossed (p99 over the threshold, or any failed request); undefined: none did. */
  crossedAt: number | undefined;
  /** The step before it; undefined when the first step crossed already (or none did). */
  lastBelow: number | undefined;
  /** Users at which p99 reaches the threshold, linear between the two steps; undefined when failures marked the crossing or there is no step below. */
  estimate: number | undefined;
  reason: 'p99' | 'failed' | undefined;
  /** The highest step run. */
  maxUsers: number;
}

export const crossed = (p: RampPoint, thresholdMs: number): boolean => p.failed > 0 || !(p.p99Ms <= thresholdMs);

/** The first crossing of ascending ramp steps. */
export function findKnee(points: readonly RampPoint[], thresholdMs: number): Knee {
  const sorted = [...points].sort((a, b) => a.users - b.users);
  const maxUsers = sorted.at(-1)?.users ?? 0;
  for (let i = 0; i < sorted.length; i++) {
    const p = sorted[i]!;
    if (!crossed(p, thresholdMs)) continue;
    const prev = i > 0 ? sorted[i - 1] : undefined;
    const reason = p.failed > 0 || !Number.isFinite(p.p99Ms) ? 'failed' : 'p99';
    const estimate =
      reason === 'p99' && prev && p.p99Ms > prev.p99Ms
        ? prev.users + ((thresholdMs - prev.p99Ms) / (p.p99Ms - prev.p99Ms)) * (p.users - prev.users)
        : undefined;
    return { crossedAt: p.users, lastBelow: prev?.users, estimate, reason, maxUsers };
  }
  return { crossedAt: undefined, lastBelow: undefined, estimate: undefined, reason: undefined, maxUsers };
}

/** One number per round: the estimate, else the crossing step, else Infinity (not reached). */
export const kneeUsers = (k: Knee): number => k.estimate ?? k.crossedAt ?? Number.POSITIVE_INFINITY;

/** Median over rounds of kneeUsers (Infinity when most rounds never crossed); NaN for no rounds. */
export function medianKnee(knees: readonly Knee[]): number {
  const v = knees.map(kneeUsers).sort((a, b) => a - b);
  if (v.length === 0) return Number.NaN;
  const mid = Math.floor(v.length / 2);
  return v.length % 2 === 1 ? v[mid]! : (v[mid - 1]! + v[mid]!) / 2;
}

/** "50–100 (≈ 83)", "≤ 25 (failed)", "> 400". */
export function describeKnee(k: Knee): string {
  if (k.crossedAt === undefined) return `> ${k.maxUsers}`;
  const why = k.reason === 'failed' ? ' (failed requests)' : '';
  if (k.lastBelow === undefined) return `≤ ${k.crossedAt}${why}`;
  return `${k.lastBelow}–${k.crossedAt}${k.estimate !== undefined ? ` (≈ ${Math.round(k.estimate)})` : ''}${why}`;
}
