// `make bench-latency`: where the time of one request goes at one connection (docs/bench/latency-budget.md): direct
// vs sidecar (over TCP and a Unix socket), token cache on and off, a route without and with the database, side by
// side in one run, p50 medians.
// Not part of `make test`.   tsx tools/bench/latency-budget.ts [--rounds 3] [--seconds 8]
import { DIRECT, LAYER_PATHS, runVariantBench, SIDECAR } from './lib/variants.ts';

const { text } = await runVariantBench(
  {
    title: 'One connection, keep-alive, SQLite: the p50 of each layer',
    usage: 'tsx tools/bench/latency-budget.ts',
    variants: [
      DIRECT,
      {
        ...DIRECT,
        name: 'direct, no token cache',
        why: 'AUTH0_TOKEN_CACHE_SIZE=0: RS256 check on every call',
        env: { AUTH0_TOKEN_CACHE_SIZE: '0' },
      },
      SIDECAR,
      {
        ...SIDECAR,
        name: 'sidecar unix',
        why: "API_TRANSPORT=unix: Caddy dials the API's 0700 socket (the socket's share)",
        env: { API_TRANSPORT: 'unix' },
      },
    ],
    reference: DIRECT.name,
    paths: LAYER_PATHS,
    connections: 1,
    sqlite: true,
  },
  process.argv.slice(2),
);
console.log(text);
