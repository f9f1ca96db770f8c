// `make bench-workers`: uvicorn's worker processes (EDGE_API_WORKERS, the entrypoint's internal knob for this bench:
// the stack runs one) and AnyIO's thread pool for the reference API's `def` routes, through the sidecar at 64
// connections, side by side in one run, with the API's memory (docs/bench/workers.md). Not part of `make test`.
//   tsx tools/bench/workers.ts [--rounds 3] [--seconds 8]
import { readdirSync, readFileSync } from 'node:fs';
import { FIXTURES } from '../testkit/stack.ts';
import { runVariantBench, SIDECAR, type Variant } from './lib/variants.ts';

/** A sidecar variant; BENCH_VARIANT marks its processes so their memory can be found in /proc. */
const variant = (name: string, why: string, env: Record<string, string>): Variant => ({
  ...SIDECAR,
  name,
  why,
  env: { ...env, BENCH_VARIANT: name },
});
const threads = (n: number) => ({ APP_MODULE: 'threads_variant:app', PYTHONPATH: FIXTURES, BENCH_THREADS: String(n) });

/**
 * Memory (MiB) of a variant's API: uvicorn and, with workers, the processes it spawned, as proportional set size
 * (smaps_rollup Pss: a page shared by several processes counts once overall, as a container's memory limit
 * charges it; the RSS of each would count shared libraries once per process).
 */
function apiPssMiB(v: Variant): number {
  let kib = 0;
  for (const entry of readdirSync('/proc').filter((e) => /^\d+$/.test(e))) {
    try {
      const environ = readFileSync(`/proc/${entry}/environ`, 'utf8').split('\0');
      if (!environ.includes(`BENCH_VARIANT=${v.name}`)) continue;
      const argv = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
      if (!argv.some((a) => a.endsWith('/uvicorn') || a === '--multiprocessing-fork')) continue;
      kib += Number(/^Pss:\s+(\d+)/m.exec(readFileSync(`/proc/${entry}/smaps_rollup`, 'utf8'))?.[1] ?? 0);
    } catch {
      // a process that ended while we looked
    }
  }
  return Math.round(kib / 1024);
}

const { text } = await runVariantBench(
  {
    title: 'uvicorn workers and AnyIO threads through the sidecar (SQLite)',
    usage: 'tsx tools/bench/workers.ts',
    variants: [
      variant('1 worker, 40 threads', 'today: one uvicorn, AnyIO default', {}),
      variant('2 workers, 40 threads', 'uvicorn --workers 2', { EDGE_API_WORKERS: '2' }),
      variant('1 worker, 10 threads', 'AnyIO thread limiter 10', threads(10)),
      variant('2 workers, 10 threads', 'both', { EDGE_API_WORKERS: '2', ...threads(10) }),
      // The first stack twice: how far two identical stacks drift apart in this run is its noise floor.
      variant('1 worker, 40 threads, again', 'a second, identical stack of today (the noise floor)', {}),
    ],
    reference: '1 worker, 40 threads',
    paths: ['/health/live', '/api/v1/items'],
    connections: 64,
    sqlite: true,
    sample: { label: 'API PSS MiB (peak)', read: async (v) => apiPssMiB(v) },
  },
  process.argv.slice(2),
);
console.log(text);
