// `make bench-db`: the Postgres pool size against uvicorn's thread pool (40 threads), by measurement, on one
// throwaway PostgreSQL (docs/bench/postgres.md). Not part of `make test`.   tsx tools/bench/db-pool.ts [--rounds 3] [--seconds 8]

import { databaseName, startPostgres } from '../testkit/postgres.ts';
import { FIXTURES } from '../testkit/stack.ts';
import { runVariantBench } from './lib/variants.ts';

const pool = (name: string, why: string) => ({
  name,
  why,
  env: { APP_MODULE: 'pool_variant:app', PYTHONPATH: FIXTURES, BENCH_POOL: name },
});
const pg = await startPostgres();
const databases = new Map<string, string>();
try {
  console.log(
    (
      await runVariantBench(
        {
          title: 'Authenticated GET /api/v1/items through the sidecar on PostgreSQL 15, per pool (size,overflow)',
          usage: 'tsx tools/bench/db-pool.ts',
          variants: [
            pool('5,10', "SQLAlchemy's default (15 connections for 40 threads)"),
            pool('10,10', 'the shipped value (edge_api/db.py)'),
            pool('20,20', 'one connection per AnyIO worker thread (40)'),
            pool('40,0', '40 kept open'),
          ],
          reference: '10,10',
          paths: ['/api/v1/items'],
          connections: 64,
          prepare: async (v) => {
            databases.set(v.name, await pg.createdb());
            return { DATABASE_URL: databases.get(v.name)! };
          },
          sample: {
            label: 'peak server connections',
            read: async (v) => {
              const name = databaseName(databases.get(v.name)!);
              const [[n]] = (await pg.sql(
                `SELECT count(*) FROM pg_stat_activity WHERE datname = '${name}' AND pid <> pg_backend_pid()`,
                name,
              )) as [[number]];
              return n;
            },
          },
        },
        process.argv.slice(2),
      )
    ).text,
  );
} finally {
  await pg.destroy();
}
