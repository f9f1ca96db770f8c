// The parent's handle on the load worker (worker.ts, a forked Node process): one job at a time, each bounded in time.
import { type ChildProcess, fork } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { type BurstJob, jobBoundMs, type LoginJob, type SteadyJob } from './engine.ts';
import type { RunResult, Tally } from './tally.ts';

export type WorkerRequest =
  | { id: number; method: 'login'; job: LoginJob }
  | { id: number; method: 'steady'; job: SteadyJob }
  | { id: number; method: 'burst'; job: BurstJob };
export type WorkerReply = { id: number; ok: true; value: unknown } | { id: number; ok: false; error: string };

export interface Driver {
  login(job: LoginJob): Promise<Tally>;
  steady(job: SteadyJob): Promise<RunResult>;
  burst(job: BurstJob): Promise<RunResult>;
  /** Ends the worker (and every connection it holds). */
  close(): Promise<void>;
}

const HERE = path.dirname(fileURLToPath(import.meta.url));

export function startDriver(): Driver {
  // The parent's loader flags (tsx) come along, as for the benchmark's autocannon child.
  const child: ChildProcess = fork(path.join(HERE, 'worker.ts'), [], {
    execArgv: process.execArgv,
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  let nextId = 1;
  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void; timer: NodeJS.Timeout }>();
  const failAll = (why: string) => {
    for (const [id, p] of pending) {
      clearTimeout(p.timer);
      p.reject(new Error(why));
      pending.delete(id);
    }
  };
  child.on('message', (raw) => {
    const m = raw as WorkerReply;
    const p = pending.get(m.id);
    if (!p) return;
    pending.delete(m.id);
    clearTimeout(p.timer);
    if (m.ok) p.resolve(m.value);
    else p.reject(new Error(`load worker: ${m.error}`));
  });
  const exited = new Promise<void>((resolve) =>
    child.on('exit', (code, signal) => {
      failAll(`load worker exited (${signal ?? `exit ${code}`})`);
      resolve();
    }),
  );
  const call = <T>(req: Omit<WorkerRequest, 'id'>): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      const id = nextId++;
      const bound = jobBoundMs(req.method, req.job);
      const timer = setTimeout(() => {
        reject(new Error(`load worker: ${req.method} did not finish within ${Math.round(bound / 1000)} s; stopped it`));
        pending.delete(id);
        child.kill('SIGKILL');
      }, bound);
      pending.set(id, { resolve: resolve as (v: unknown) => void, reject, timer });
      child.send({ ...req, id } as WorkerRequest);
    });
  return {
    login: (job) => call<Tally>({ method: 'login', job }),
    steady: (job) => call<RunResult>({ method: 'steady', job }),
    burst: (job) => call<RunResult>({ method: 'burst', job }),
    close: async () => {
      if (child.connected) child.disconnect();
      await exited;
    },
  };
}
