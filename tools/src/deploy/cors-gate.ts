// The post-deploy Gate: the cors-probe library against the live URL, its failing cases as one line each.
// Shared by edge-deploy (Railway) and the local replica of Railway's deploy semantics (tools/src/platform).

import { type ProbeOptions, ProbeUsageError, runProbe, TargetUnreachableError } from '../probe/index.ts';
import { resolveOptions } from '../probe/matrix.ts';
import type { Gate } from './guard.ts';

/** What docs/deploy.md runs by hand after a deploy ("Checking a deploy"). */
export const GATE_DEFAULTS = {
  /** 200 while the API process serves; needs no database and no token. */
  path: '/health/live',
  /** 401 without a token: an error response that must carry CORS too. */
  errorPath: '/api/v1/items/0',
  /** The app's own header, which the real client sends on every call. */
  requestHeaders: ['X-Tenant-ID'],
  timeoutMs: 10_000,
  maxFailures: 3,
} as const;

export interface CorsGateOptions {
  /** Origins the policy allows (at least one). */
  origins: string[];
  /** Origins that must be refused, on top of the attack origins cors-probe generates. */
  deny?: string[];
  path?: string;
  errorPath?: string;
  requestHeaders?: string[];
  /** Per request. */
  timeoutMs?: number;
  insecure?: boolean;
  /** Failing cases reported one by one (default 3); the rest are counted per case, so a step line stays readable. */
  maxFailures?: number;
}

/**
 * A Gate for guardedDeploy. Throws ProbeUsageError at once for options that cannot work (a bad origin, a
 * denied origin that is also allowed): a misconfigured gate must stop a deploy before it starts, not after.
 * An unreachable URL is a failed gate, not an error: nothing that cannot be reached serves the app.
 */
export function corsGate(opts: CorsGateOptions): Gate {
  const probe: Omit<ProbeOptions, 'baseUrl'> = {
    origins: opts.origins,
    deny: opts.deny ?? [],
    path: opts.path ?? GATE_DEFAULTS.path,
    errorPath: opts.errorPath ?? GATE_DEFAULTS.errorPath,
    requestHeaders: opts.requestHeaders ?? [...GATE_DEFAULTS.requestHeaders],
    timeoutMs: opts.timeoutMs ?? GATE_DEFAULTS.timeoutMs,
    insecure: opts.insecure ?? false,
  };
  const max = opts.maxFailures ?? GATE_DEFAULTS.maxFailures;
  // Validate now with a placeholder target (.invalid never resolves, and nothing is sent).
  resolveOptions({ ...probe, baseUrl: 'https://gate.invalid' });
  const clash = (opts.deny ?? []).filter((o) => opts.origins.includes(o));
  if (clash.length) throw new ProbeUsageError(`denied origin ${clash.join(', ')} is also an allowed origin`);

  return async (url) => {
    try {
      const report = await runProbe({ ...probe, baseUrl: url });
      const failing = report.cases.filter((c) => !c.ok);
      const shown = failing
        .slice(0, max)
        .map((c) => clip(`${c.name}${c.origin === undefined ? '' : ` ${c.origin}`}: ${c.reason ?? 'failed'}`));
      const rest = failing.slice(max);
      if (rest.length) {
        const counts = new Map<string, number>();
        for (const c of rest) counts.set(c.name, (counts.get(c.name) ?? 0) + 1);
        shown.push(
          `and ${rest.length} more (${[...counts].map(([name, n]) => `${name} x${n}`).join(', ')}; tools/bin/cors-probe shows all)`,
        );
      }
      return { ok: report.ok, failures: shown };
    } catch (err) {
      if (err instanceof TargetUnreachableError) return { ok: false, failures: [err.message] };
      throw err;
    }
  };
}

const clip = (s: string, n = 160): string => (s.length > n ? `${s.slice(0, n - 1)}…` : s);
