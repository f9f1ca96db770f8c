// `make bench-app`: the reference app's /health/live vs a bare FastAPI endpoint under the same uvicorn (direct
// mode), at 64 connections, side by side in one run, with uvicorn's CPU per request: what the app's middleware
// costs (issue #14's target: the reference app ≥ 0.90 × bare). Not part of `make test`.
//   tsx tools/bench/app-overhead.ts [--rounds 3] [--seconds 8]
import { FIXTURES } from '../testkit/stack.ts';
import { cpuPerRequest } from './lib/cpu-per-request.ts';
import { DIRECT, runVariantBench } from './lib/variants.ts';

const { text } = await runVariantBench(
  {
    title: 'The reference app vs a bare FastAPI endpoint, direct uvicorn (SQLite)',
    usage: 'tsx tools/bench/app-overhead.ts',
    variants: [
      { ...DIRECT, name: 'reference app', why: 'edge_api: request id, per-request log line, header guards' },
      {
        ...DIRECT,
        name: 'bare FastAPI',
        why: 'tools/test/fixtures/bare_health.py: an async endpoint, no middleware',
        env: { APP_MODULE: 'bare_health:app', PYTHONPATH: FIXTURES },
      },
    ],
    reference: 'bare FastAPI',
    paths: ['/health/live'],
    connections: 64,
    sqlite: true,
    perRun: [cpuPerRequest('uvicorn µs/req', ['uvicorn'])],
  },
  process.argv.slice(2),
);
console.log(text);
