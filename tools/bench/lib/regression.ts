// `make bench-check`'s judgement (pure): each key ratio measured now against the committed baseline, failing when it
// fell by more than the tolerance. Ratios measured side by side in one run, never absolute times: on shared
// machines the absolute rate moves with the neighbours, the ratio of two stacks measured together much less.

export interface Baseline {
  /** When and how the baseline was measured (free text for the reader). */
  measured: string;
  /** Allowed relative drop of a ratio before the check fails, e.g. 0.15. */
  tolerance: number;
  /** Metric name -> ratio (higher is better). */
  ratios: Record<string, number>;
}

export interface Verdict {
  metric: string;
  baseline: number | undefined;
  now: number | undefined;
  ok: boolean;
  line: string;
}

/** One verdict per metric of the baseline or of this run; a metric missing on either side fails. */
export function judge(baseline: Baseline, now: Record<string, number>): Verdict[] {
  if (!(baseline.tolerance > 0 && baseline.tolerance < 1))
    throw new Error(`tolerance must be between 0 and 1, got ${baseline.tolerance}`);
  const metrics = [...new Set([...Object.keys(baseline.ratios), ...Object.keys(now)])].sort();
  return metrics.map((metric) => {
    const was = baseline.ratios[metric];
    const is = now[metric];
    if (was === undefined || is === undefined || !Number.isFinite(is)) {
      const why = was === undefined ? 'not in the baseline (refresh it: BENCH_CHECK_UPDATE=1)' : 'not measured in this run';
      return { metric, baseline: was, now: is, ok: false, line: `FAIL  ${metric}: ${why}` };
    }
    const floor = was * (1 - baseline.tolerance);
    const ok = is >= floor;
    const change = ((is / was - 1) * 100).toFixed(1);
    return {
      metric,
      baseline: was,
      now: is,
      ok,
      line: `${ok ? 'pass' : 'FAIL'}  ${metric}: ${is.toFixed(2)} (baseline ${was.toFixed(2)}, ${change} %, floor ${floor.toFixed(2)})`,
    };
  });
}
