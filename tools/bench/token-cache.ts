// `make bench-token-cache`: authenticated GETs with the verified-token cache off and on (AUTH0_TOKEN_CACHE_SIZE
// 0 vs the default), side by side (docs/bench/token-cache.md). Not part of `make test`.   tsx tools/bench/token-cache.ts [--rounds 3] [--seconds 8]
import { runVariantBench } from './lib/variants.ts';

const { text } = await runVariantBench(
  {
    title: 'Authenticated GETs through the sidecar (SQLite), RS256 check on every call vs the verified-token cache',
    usage: 'tsx tools/bench/token-cache.ts',
    variants: [
      {
        name: 'cache off',
        why: 'AUTH0_TOKEN_CACHE_SIZE=0: the signature checked on every call (before)',
        env: { AUTH0_TOKEN_CACHE_SIZE: '0' },
      },
      { name: 'cache on', why: 'the default (1024 tokens)', env: {} },
    ],
    reference: 'cache off',
    paths: ['/api/v1/auth/me', '/api/v1/items'],
    connections: 64,
    sqlite: true,
  },
  process.argv.slice(2),
);
console.log(text);
