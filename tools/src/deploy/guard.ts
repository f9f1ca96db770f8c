// A guarded deploy: deploy, wait until live, run the CORS gate, roll back on failure. One logic for every
// target: Railway itself (railway-target.ts) and the local replica of its deploy semantics (tools/src/platform).

/** One deployment of the service, as the target names it. */
export interface Deployment {
  id: string;
  /** What it runs with, where the target knows it (PROXY_MODE=direct for the rollback to app-side CORS). */
  variables?: Record<string, string>;
}

/** Where a deploy goes. Every call may take long (builds, healthchecks); each resolves or throws with a reason. */
export interface DeployTarget {
  /** A short name for the step lines ("railway production", "local replica"). */
  readonly name: string;
  /** The URL the gate probes: the service's public address. */
  readonly publicUrl: string;
  /** Start a new deployment of the current release, with these variables changed for it (and after it). */
  deploy(variables?: Record<string, string>): Promise<Deployment>;
  /** Until `d` is live (healthcheck passed, traffic switched) or refused; `reason` says why it was refused. */
  waitLive(d: Deployment): Promise<{ live: true } | { live: false; reason: string }>;
  /** Make `d` (an earlier deployment: its image and variables) the live one again. */
  redeploy(d: Deployment): Promise<Deployment>;
  /** The deployment serving now, if any. */
  current(): Promise<Deployment | undefined>;
}

/** The post-deploy gate: cors-probe (or any check) against a URL; `failures` are one line each. */
export type Gate = (url: string) => Promise<{ ok: boolean; failures: string[] }>;

/** Where the last deployment that passed the gate is kept, per target. */
export interface GoodRecord {
  lastGood(): Promise<Deployment | undefined>;
  remember(d: Deployment): Promise<void>;
}

export type RollbackTo = 'last-good' | 'direct';

export interface GuardOptions {
  /** Variables for the new deployment (e.g. a new image tag is the target's business; these are env changes). */
  variables?: Record<string, string>;
  /** Where a failed gate rolls back to: the last deployment that passed the gate, or PROXY_MODE=direct. */
  rollbackTo?: RollbackTo;
  /** Each step as it ends: its name, what happened, and how long it took. */
  step?: (name: string, detail: string, ms: number) => void;
  now?: () => number;
}

export interface GuardResult {
  outcome: 'deployed' | 'refused' | 'rolled-back' | 'rollback-failed';
  deployment?: Deployment;
  /** The deployment serving at the end. */
  serving?: Deployment;
  reason?: string;
  /** ms from the gate's verdict to the rolled-back deployment passing the gate again. */
  rollbackMs?: number;
}

/** Deploy through the target and keep the service serving with correct CORS whatever happens. */
export async function guardedDeploy(
  target: DeployTarget,
  gate: Gate,
  record: GoodRecord,
  opts: GuardOptions = {},
): Promise<GuardResult> {
  const now = opts.now ?? Date.now;
  const timed = timer(now, opts.step);

  const previous = await target.current();
  const deployment = await timed(
    'deploy',
    () => target.deploy(opts.variables),
    (d) => `started ${d.id}`,
  );
  const live = await timed(
    'wait-live',
    () => target.waitLive(deployment),
    (r) => (r.live ? `${deployment.id} is live` : `refused: ${r.reason}`),
  );
  if (!live.live) {
    // The platform kept the previous deployment: nothing switched, nothing to roll back.
    return { outcome: 'refused', deployment, serving: previous, reason: live.reason };
  }
  const verdict = await timed(
    'gate',
    () => gate(target.publicUrl),
    (g) => (g.ok ? 'passed' : `failed: ${g.failures.join('; ')}`),
  );
  if (verdict.ok) {
    await record.remember(deployment);
    return { outcome: 'deployed', deployment, serving: deployment };
  }

  const detected = now();
  const reason = `gate failed: ${verdict.failures.join('; ')}`;
  const back = await rollBackAndGate(target, gate, record, opts.rollbackTo ?? 'last-good', timed);
  if (!back.ok) return { outcome: 'rollback-failed', deployment, serving: back.serving, reason: `${reason}; ${back.reason}` };
  return { outcome: 'rolled-back', deployment, serving: back.serving, reason, rollbackMs: now() - detected };
}

/**
 * A rollback on demand (no new release; `edge-deploy rollback`): the same path a failed gate takes, gate
 * included. `rollbackMs` then counts from the call. Outcome 'rolled-back' or 'rollback-failed'.
 */
export async function guardedRollback(
  target: DeployTarget,
  gate: Gate,
  record: GoodRecord,
  opts: Pick<GuardOptions, 'rollbackTo' | 'step' | 'now'> = {},
): Promise<GuardResult> {
  const now = opts.now ?? Date.now;
  const started = now();
  const back = await rollBackAndGate(target, gate, record, opts.rollbackTo ?? 'last-good', timer(now, opts.step));
  if (!back.ok) return { outcome: 'rollback-failed', serving: back.serving, reason: back.reason };
  return { outcome: 'rolled-back', serving: back.serving, rollbackMs: now() - started };
}

type Timed = <T>(name: string, run: () => Promise<T>, describe: (value: T) => string) => Promise<T>;

function timer(now: () => number, step: GuardOptions['step'] = () => undefined): Timed {
  return async (name, run, describe) => {
    const started = now();
    const value = await run();
    step(name, describe(value), now() - started);
    return value;
  };
}

/** Roll back, then the gate again: only a rollback that passes the gate counts as one. */
async function rollBackAndGate(
  target: DeployTarget,
  gate: Gate,
  record: GoodRecord,
  to: RollbackTo,
  timed: Timed,
): Promise<{ ok: true; serving: Deployment } | { ok: false; reason: string; serving?: Deployment }> {
  const back = await rollBack(target, record, to, timed);
  if (!back.ok) return { ok: false, reason: `rollback: ${back.reason}`, serving: back.serving };
  const again = await timed(
    'gate-after-rollback',
    () => gate(target.publicUrl),
    (g) => (g.ok ? 'passed' : `failed: ${g.failures.join('; ')}`),
  );
  if (!again.ok)
    return { ok: false, serving: back.serving, reason: `after the rollback the gate failed too: ${again.failures.join('; ')}` };
  return back;
}

async function rollBack(
  target: DeployTarget,
  record: GoodRecord,
  to: RollbackTo,
  timed: Timed,
): Promise<{ ok: true; serving: Deployment } | { ok: false; reason: string; serving?: Deployment }> {
  let next: Deployment;
  if (to === 'direct') {
    next = await timed(
      'rollback',
      () => target.deploy({ PROXY_MODE: 'direct' }),
      (d) => `started ${d.id} with PROXY_MODE=direct`,
    );
  } else {
    const good = await record.lastGood();
    if (!good) return { ok: false, reason: 'no deployment has passed the gate yet (use --rollback-to direct)' };
    next = await timed(
      'rollback',
      () => target.redeploy(good),
      (d) => `redeploying ${good.id} as ${d.id}`,
    );
  }
  const live = await timed(
    'rollback-live',
    () => target.waitLive(next),
    (r) => (r.live ? `${next.id} is live` : `refused: ${r.reason}`),
  );
  if (!live.live)
    return { ok: false, reason: `the rollback deployment was refused: ${live.reason}`, serving: await target.current() };
  return { ok: true, serving: next };
}
