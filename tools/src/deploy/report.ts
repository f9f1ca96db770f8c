// What edge-deploy prints: one line per step with its duration, and the closing line with its exit code.
// Pure functions of the guard's results, so every wording and exit code is testable without a platform.
import type { Deployment, GuardResult, RollbackTo } from './guard.ts';

export type ExitCode = 0 | 1 | 2 | 3;

export interface Outcome {
  code: ExitCode;
  line: string;
}

const secs = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;

/** Reasons can list many gate failures; the step lines above have them, the closing line keeps the start. */
const brief = (s: string, n = 200): string => (s.length > n ? `${s.slice(0, n - 1)}…` : s);

/** A failed rollback's reason is "gate failed: <many>; rollback: <why>": keep the why whole, shorten the rest. */
function briefRollback(reason: string): string {
  const at = Math.max(reason.lastIndexOf('; rollback: '), reason.lastIndexOf('; after the rollback the gate failed too: '));
  return at < 0 ? brief(reason, 400) : `${brief(reason.slice(0, at))}${brief(reason.slice(at), 400)}`;
}

/** `[  12.3 s] wait-live: d-123 is live` */
export function formatStep(name: string, detail: string, ms: number): string {
  return `[${(ms / 1000).toFixed(1).padStart(6)} s] ${name}: ${detail}`;
}

/** Where a rollback goes, in words. */
export function rollbackWhere(to: RollbackTo, lastGoodId: string | undefined): string {
  return to === 'direct'
    ? 'a deployment with PROXY_MODE=direct'
    : `Railway's rollback to ${lastGoodId ?? 'the last good deployment'}`;
}

function servingNow(
  serving: Deployment | undefined,
  failed: Deployment | undefined,
  what = 'the deployment that failed the gate',
): string {
  if (!serving) return 'serving now: unknown (no deployment is reported live)';
  if (failed && serving.id === failed.id) return `serving now: ${serving.id}, ${what}`;
  return `serving now: ${serving.id}`;
}

export interface DeployContext {
  url: string;
  totalMs: number;
  rollbackTo: RollbackTo;
  lastGoodId?: string;
  /** False when a deployment passed the gate but the record could not be written. */
  recorded?: boolean;
}

/** The closing line and exit code of `edge-deploy deploy`. */
export function deployOutcome(r: GuardResult, ctx: DeployContext): Outcome {
  const total = `total ${secs(ctx.totalMs)}`;
  const id = r.deployment?.id ?? '?';
  switch (r.outcome) {
    case 'deployed':
      return {
        code: 0,
        line: `DEPLOYED: ${id} is live on ${ctx.url} and passed the CORS gate; ${ctx.recorded === false ? 'NOT recorded' : 'recorded'} as the last good deployment (${total})`,
      };
    case 'refused':
      return {
        code: 1,
        line: `REFUSED: ${r.reason ?? 'Railway did not take the deployment live'}; nothing was switched: ${r.serving ? `${r.serving.id} keeps serving` : 'the previous deployment keeps serving'} (${total})`,
      };
    case 'rolled-back':
      return {
        code: 1,
        line: `ROLLED BACK: ${id} failed the CORS gate and was rolled back in ${secs(r.rollbackMs ?? 0)} (${rollbackWhere(ctx.rollbackTo, ctx.lastGoodId)}); ${r.serving?.id ?? '?'} is live and passed the gate. Why: ${brief(r.reason ?? 'gate failed')} (${total})`,
      };
    case 'rollback-failed':
      return {
        code: 3,
        line: `ROLLBACK FAILED: ${briefRollback(r.reason ?? 'unknown')}; ${servingNow(r.serving, r.deployment)}. The service may be degraded: check ${ctx.url}, edge-deploy status and docs/rollback.md (${total})`,
      };
  }
}

/** The closing line and exit code of `edge-deploy rollback` (0 when the rollback is live and passed the gate). */
export function rollbackOutcome(r: GuardResult, ctx: DeployContext): Outcome {
  const total = `total ${secs(ctx.totalMs)}`;
  if (r.outcome === 'rolled-back') {
    return {
      code: 0,
      line: `ROLLED BACK in ${secs(r.rollbackMs ?? 0)} (${rollbackWhere(ctx.rollbackTo, ctx.lastGoodId)}): ${r.serving?.id ?? '?'} is live on ${ctx.url} and passed the CORS gate (${total})`,
    };
  }
  return {
    code: 3,
    line: `ROLLBACK FAILED: ${briefRollback(r.reason ?? 'unknown')}; ${servingNow(r.serving, undefined)}. The service may be degraded: check ${ctx.url}, edge-deploy status and docs/rollback.md (${total})`,
  };
}

/** How far a deploy got before an error nobody planned for (the API down mid-way, say). */
export type Phase = 'before-start' | 'starting' | 'started' | 'rolling-back';

/** An error thrown out of the guard: the exit code says how much may have changed. */
export function errorOutcome(
  message: string,
  phase: Phase,
  ctx: { started?: string; serving?: string; gate?: string; totalMs: number },
): Outcome {
  const total = `total ${secs(ctx.totalMs)}`;
  const serving = servingNow(
    ctx.serving ? { id: ctx.serving } : undefined,
    ctx.started ? { id: ctx.started } : undefined,
    phase === 'started' ? 'the new deployment, never gated' : undefined,
  );
  switch (phase) {
    case 'before-start':
      return { code: 2, line: `edge-deploy: ${message}; nothing was changed` };
    case 'starting':
      return { code: 1, line: `NOT DEPLOYED: Railway did not start the deployment: ${message}; nothing was switched (${total})` };
    case 'started':
      return {
        code: 3,
        line: `UNKNOWN: ${ctx.started ?? 'the deployment'} was started, then: ${message}; ${serving}. Nothing gated it (it may be live, or go live later): run edge-deploy status (${total})`,
      };
    case 'rolling-back':
      return {
        code: 3,
        line: `ROLLBACK FAILED: ${ctx.gate ? `gate failed (${brief(ctx.gate)}); ` : ''}rollback: ${message}; ${serving}. The service may be degraded: check edge-deploy status and docs/rollback.md (${total})`,
      };
  }
}
