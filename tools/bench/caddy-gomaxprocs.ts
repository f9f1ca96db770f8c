// `make bench-caddy-procs`: Caddy with Go's default GOMAXPROCS (one P per core: 2 here) vs GOMAXPROCS=1, through the
// sidecar at 64 connections, side by side in one run with the CPU each request costs (docs/bench/workers.md).
// uvicorn ignores GOMAXPROCS, so only Caddy differs. Not part of `make test`.
//   tsx tools/bench/caddy-gomaxprocs.ts [--rounds 3] [--seconds 8]
import { cpuPerRequest, WHOLE_STACK } from './lib/cpu-per-request.ts';
import { runVariantBench, SIDECAR, type Variant } from './lib/variants.ts';

const variants: Variant[] = [
  { ...SIDECAR, name: 'default', why: "Go's default: GOMAXPROCS = the cores Caddy may use" },
  {
    ...SIDECAR,
    name: 'GOMAXPROCS=1',
    why: 'Caddy schedules its goroutines on one OS thread at a time',
    env: { GOMAXPROCS: '1' },
  },
  // The same stack twice: how far two identical stacks drift apart in this run is its noise floor.
  { ...SIDECAR, name: 'default, again', why: 'a second, identical default stack (the noise floor)' },
];

const { text } = await runVariantBench(
  {
    title: "Caddy's GOMAXPROCS through the sidecar (SQLite)",
    usage: 'tsx tools/bench/caddy-gomaxprocs.ts',
    variants,
    reference: 'default',
    paths: ['/health/live', '/api/v1/items'],
    connections: 64,
    sqlite: true,
    perRun: [cpuPerRequest('caddy µs/req', ['caddy']), cpuPerRequest('whole stack µs/req', WHOLE_STACK)],
  },
  process.argv.slice(2),
);
console.log(text);
