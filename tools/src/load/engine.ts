// The load shapes over a pool of logged-in virtual users per stack: steady loop with think time, burst (I/O, bounded).
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { CALLS, rng, thinkTime, userSpec } from './scenario.ts';
import { newTally, type RunResult, type Tally } from './tally.ts';
import { REQUEST_TIMEOUT_MS, VirtualUser } from './vu.ts';

export interface LoginJob {
  base: string;
  users: number;
}

export interface SteadyJob {
  base: string;
  users: number;
  seconds: number;
  thinkMs: number;
  postEvery: number;
  refreshMarginMs: number;
  seed: number;
}

export interface BurstJob {
  base: string;
  users: number;
  bursts: number;
  /** Pause between bursts, ms. */
  gapMs: number;
  refreshMarginMs: number;
}

/** Logins at once: the stand-in and the API share the machine with the stacks. */
const LOGIN_CONCURRENCY = 4;

/** Only loopback stacks: the scenario never sends traffic anywhere else. */
function loopback(base: string): string {
  const u = new URL(base);
  if (u.protocol !== 'http:' || u.hostname !== '127.0.0.1') throw new Error(`load: only http://127.0.0.1 stacks, not ${base}`);
  return base;
}

/** The worker's own event-loop delay over a run, p99 in ms (the histogram's samples include its timer period). */
function lagMonitor(): { stop: () => number } {
  const resolutionMs = 10;
  const h = monitorEventLoopDelay({ resolution: resolutionMs });
  h.enable();
  return {
    stop: () => {
      h.disable();
      return h.count > 0 ? Math.max(0, h.percentile(99) / 1e6 - resolutionMs) : Number.NaN;
    },
  };
}

export class Engine {
  /** Logged-in users per stack (base URL), by index; each logs in once and keeps its session across runs. */
  readonly #pools = new Map<string, (VirtualUser | undefined)[]>();

  #pool(base: string): (VirtualUser | undefined)[] {
    const pool = this.#pools.get(loopback(base)) ?? [];
    this.#pools.set(base, pool);
    return pool;
  }

  /** Log in the first `users` users that are not yet (failed logins are tried again on the next call). */
  async login(job: LoginJob): Promise<Tally> {
    const pool = this.#pool(job.base);
    const tally = newTally();
    const missing = Array.from({ length: job.users }, (_, i) => i).filter((i) => !pool[i]);
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < missing.length) {
        const i = missing[next++]!;
        pool[i] = await VirtualUser.login(job.base, userSpec(i), tally);
      }
    };
    await Promise.all(Array.from({ length: Math.min(LOGIN_CONCURRENCY, missing.length) }, worker));
    return tally;
  }

  /** The logged-in users among the first `n`. */
  #users(base: string, n: number): VirtualUser[] {
    return this.#pool(base)
      .slice(0, n)
      .filter((u): u is VirtualUser => u !== undefined);
  }

  /**
   * Every user loops until the deadline: refresh when due, GET the items, now and then POST one, each preceded by a
   * preflight when the user's cache has none in date; then thinks. Starts are spread over one think time.
   */
  async steady(job: SteadyJob): Promise<RunResult> {
    const users = this.#users(job.base, job.users);
    const tally = newTally();
    const lag = lagMonitor();
    const t0 = performance.now();
    const deadline = Date.now() + job.seconds * 1000;
    // A bound on iterations besides the deadline: no user can loop faster than its shortest think time allows.
    const maxIterations = Math.ceil((job.seconds * 1000) / Math.max(1, job.thinkMs * 0.5)) + 1;
    const loop = async (u: VirtualUser): Promise<void> => {
      const random = rng(job.seed * 7919 + u.spec.index);
      u.open();
      try {
        await sleep(Math.min(random() * job.thinkMs, Math.max(0, deadline - Date.now())));
        for (let i = 0; i < maxIterations && Date.now() < deadline; i++) {
          await u.iterate(job.base, tally, job, random);
          const pause = thinkTime(job.thinkMs, random);
          if (Date.now() + pause >= deadline) break;
          await sleep(pause);
        }
      } finally {
        u.close();
      }
    };
    await Promise.all(users.map(loop));
    return { users: users.length, seconds: (performance.now() - t0) / 1000, tally, loopLagP99Ms: lag.stop() };
  }

  /**
   * Everyone reloads at once, `bursts` times: each user, on a fresh connection, sends a fresh preflight and then the
   * GET at the same instant. Tokens due for refresh are refreshed before the instant (counted, not timed as the burst).
   */
  async burst(job: BurstJob): Promise<RunResult> {
    const users = this.#users(job.base, job.users);
    const tally = newTally();
    const pageReadyMs: number[] = [];
    const lag = lagMonitor();
    const t0 = performance.now();
    for (let b = 0; b < job.bursts; b++) {
      for (const u of users) u.open();
      try {
        await Promise.all(users.map((u) => u.refreshIfDue(job.base, tally, job.refreshMarginMs)));
        for (const u of users) u.open(); // the refresh used the connection; the reload starts on a new one
        let instant = 0;
        const go = sleep(50).then(() => (instant = performance.now()));
        await Promise.all(
          users.map(async (u) => {
            await go;
            if (await u.send(job.base, CALLS.get, tally, true)) pageReadyMs.push(performance.now() - instant);
          }),
        );
      } finally {
        for (const u of users) u.close();
      }
      if (b + 1 < job.bursts) await sleep(job.gapMs);
    }
    return { users: users.length, seconds: (performance.now() - t0) / 1000, tally, loopLagP99Ms: lag.stop(), pageReadyMs };
  }
}

/** Longest a job may take before whoever waits for it gives up (every request is bounded by REQUEST_TIMEOUT_MS). */
export function jobBoundMs(method: 'login' | 'steady' | 'burst', job: LoginJob | SteadyJob | BurstJob): number {
  const slack = 60_000;
  if (method === 'steady') return (job as SteadyJob).seconds * 1000 + 3 * REQUEST_TIMEOUT_MS + slack;
  if (method === 'burst') {
    const b = job as BurstJob;
    return b.bursts * (b.gapMs + 3 * REQUEST_TIMEOUT_MS) + slack;
  }
  return Math.ceil(job.users / LOGIN_CONCURRENCY) * 8 * REQUEST_TIMEOUT_MS + slack;
}
