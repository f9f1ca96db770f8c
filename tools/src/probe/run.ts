// Runs the request matrix against the target with bounded concurrency and collects case results.
import { buildMatrix, type PlannedRequest, type ResolvedOptions, resolveOptions } from './matrix.ts';
import { send } from './transport.ts';
import { type CaseResult, type ProbeOptions, type ProbeReport, TargetUnreachableError } from './types.ts';

/** Requests in flight at once: quick against a remote target, gentle on it. */
const CONCURRENCY = 6;

function describe(err: unknown): string {
  if (err instanceof AggregateError && !err.message) {
    // Node's happy-eyeballs connect (e.g. "localhost" on ::1 and 127.0.0.1) reports every attempt.
    return err.errors.map(describe).join('; ') || 'connection failed';
  }
  if (err instanceof Error) return err.message || (err as NodeJS.ErrnoException).code || err.name;
  return String(err);
}

async function runOne(p: PlannedRequest, r: ResolvedOptions): Promise<CaseResult> {
  const who = p.origin === undefined ? {} : { origin: p.origin };
  if (p.skip) return { name: p.name, ...who, ok: true, skipped: true, reason: p.skip };
  let res;
  try {
    res = await send({ method: p.method, url: p.url, headers: p.headers, timeoutMs: r.timeoutMs, insecure: r.insecure });
  } catch (err) {
    const from = p.origin === undefined ? '' : ` from ${JSON.stringify(p.origin)}`;
    throw new TargetUnreachableError(`cannot reach ${r.target}: ${p.method} ${p.url}${from} (${p.name}): ${describe(err)}`, {
      cause: err,
    });
  }
  const problems = p.judge(res);
  return {
    name: p.name,
    ...who,
    ok: problems.length === 0,
    status: res.status,
    ...(problems.length ? { reason: problems.join('; ') } : {}),
  };
}

/**
 * Probes a target against the policy in opts. Resolves with one result per (case, origin);
 * rejects with ProbeUsageError for unusable options and TargetUnreachableError when any request
 * gets no response (the first request runs alone, so a dead target fails fast).
 */
export async function runProbe(opts: ProbeOptions): Promise<ProbeReport> {
  const r = resolveOptions(opts);
  const plan = buildMatrix(r);
  const results: CaseResult[] = [];
  let next = 0;
  let failed = false;
  const worker = async (): Promise<void> => {
    while (!failed && next < plan.length) {
      const i = next++;
      try {
        results[i] = await runOne(plan[i]!, r);
      } catch (err) {
        failed = true;
        throw err;
      }
    }
  };
  if (plan.length) results[next++] = await runOne(plan[0]!, r);
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  return { ok: results.every((c) => c.ok), target: r.target, cases: results };
}
