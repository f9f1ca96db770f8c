// `make bench-uds`: Caddy → uvicorn over loopback TCP vs a Unix socket (API_TRANSPORT), with direct uvicorn beside
// them, at 64 connections and at one, side by side in one run, with the CPU each request costs (docs/bench/uds.md).
// Not part of `make test`.   tsx tools/bench/uds.ts [--rounds 3] [--seconds 8]
import { cpuPerRequest, WHOLE_STACK } from './lib/cpu-per-request.ts';
import { DIRECT, runVariantBench, SIDECAR, type Variant } from './lib/variants.ts';

const tcp: Variant = {
  ...SIDECAR,
  name: 'sidecar tcp',
  why: 'API_TRANSPORT=tcp: Caddy dials 127.0.0.1:$API_PORT',
  env: { API_TRANSPORT: 'tcp' },
};
const variants: Variant[] = [
  tcp,
  {
    ...SIDECAR,
    name: 'sidecar unix',
    why: "API_TRANSPORT=unix: Caddy dials the API's 0700 socket",
    env: { API_TRANSPORT: 'unix' },
  },
  // The same stack twice: how far two identical stacks drift apart in this run is its noise floor.
  { ...tcp, name: 'sidecar tcp, again', why: 'a second, identical tcp stack (the noise floor)' },
  DIRECT,
];

const argv = process.argv.slice(2);
// One bench per connection count (each its own stacks and interleaved rounds): the rows compare within a count.
for (const connections of [64, 1]) {
  const { text } = await runVariantBench(
    {
      title: 'Caddy → uvicorn over TCP vs a Unix socket, and direct uvicorn (SQLite)',
      usage: 'tsx tools/bench/uds.ts',
      variants,
      reference: 'sidecar tcp',
      paths: ['/health/live', '/api/v1/items'],
      connections,
      sqlite: true,
      perRun: [
        cpuPerRequest('caddy µs/req', ['caddy']),
        cpuPerRequest('uvicorn µs/req', ['uvicorn']),
        cpuPerRequest('whole stack µs/req', WHOLE_STACK),
      ],
    },
    argv,
  );
  console.log(text);
}
