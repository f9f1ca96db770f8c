// `make bench-db`: the Postgres pool size against uvicorn's thread pool, by measurement. One throwaway PostgreSQL,
// one sidecar stack per pool variant, authenticated GET /api/v1/items at 64 connections, interleaved rounds,
// medians; the most server connections each variant opened (pg_stat_activity). Not part of `make test`.
//
//   tsx tools/bench/db-pool.ts [--rounds 3] [--seconds 8]
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { LoadRunner, findOnPath } from '../src/bench/load.ts';
import { authedStackGroup, ITEMS_PATH, loadavg } from '../src/bench/run.ts';
import { median } from '../src/bench/stats.ts';
import { databaseName, startPostgres } from '../src/harness/postgres.ts';
import { FIXTURES } from '../src/harness/stack.ts';

const VARIANTS = [
  { pool: '5,10', why: "SQLAlchemy's default (15 connections for 40 threads)" },
  { pool: '10,10', why: 'the shipped value (edge_api/db.py)' },
  { pool: '20,20', why: 'one connection per AnyIO worker thread (40)' },
  { pool: '40,0', why: '40 kept open' },
] as const;
const CONNECTIONS = 64;

const { values: raw } = parseArgs({ options: { rounds: { type: 'string', default: '3' }, seconds: { type: 'string', default: '8' } } });
const rounds = Number(raw.rounds);
const seconds = Number(raw.seconds);
if (!(Number.isInteger(rounds) && rounds >= 1 && rounds <= 10 && Number.isInteger(seconds) && seconds >= 2 && seconds <= 60)) {
  console.error('usage: tsx tools/bench/db-pool.ts [--rounds 1-10] [--seconds 2-60]');
  process.exit(2);
}

const scratch = mkdtempSync(path.join(os.tmpdir(), 'edge-bench-db-'));
const pg = await startPostgres();
const group = await authedStackGroup<string>('bench-db', scratch);
const peak = new Map<string, number>();
const rps = new Map<string, number[]>();
const p99 = new Map<string, number[]>();
const failed = new Map<string, number>();
try {
  const urls = new Map<string, string>();
  for (const v of VARIANTS) {
    const url = await pg.createdb();
    urls.set(v.pool, url);
    console.error(`==> stack with pool ${v.pool}`);
    await group.start(v.pool, 'sidecar', { DATABASE_URL: url, APP_MODULE: 'pool_variant:app', PYTHONPATH: FIXTURES, BENCH_POOL: v.pool });
  }
  const runner = new LoadRunner(findOnPath('wrk') ? 'wrk' : 'autocannon', scratch, 100);
  const load0 = loadavg();
  for (let r = 1; r <= rounds; r++) {
    for (const v of r % 2 ? VARIANTS : [...VARIANTS].reverse()) {
      const stack = group.stacks.get(v.pool)!;
      const name = databaseName(urls.get(v.pool)!);
      let sampling = true;
      const sampler = (async () => {
        while (sampling) {
          const [[n]] = (await pg.sql(`SELECT count(*) FROM pg_stat_activity WHERE datname = '${name}' AND pid <> pg_backend_pid()`, name)) as [[number]];
          peak.set(v.pool, Math.max(peak.get(v.pool) ?? 0, n));
          await new Promise((res) => setTimeout(res, 250));
        }
      })();
      const { result } = await runner.run({ url: stack.base + ITEMS_PATH, connections: CONNECTIONS, durationSec: seconds, headers: { ...group.auth.get(v.pool)!, Origin: 'http://localhost:3001' } });
      sampling = false;
      await sampler;
      rps.set(v.pool, [...(rps.get(v.pool) ?? []), result.rps]);
      p99.set(v.pool, [...(p99.get(v.pool) ?? []), result.p99Ms]);
      failed.set(v.pool, (failed.get(v.pool) ?? 0) + result.socketErrors + result.timeouts + result.badStatus);
      console.error(`round ${r}/${rounds} pool ${v.pool}: ${result.rps.toFixed(0)} req/s, p99 ${result.p99Ms.toFixed(1)} ms`);
    }
  }
  const base = median(rps.get('10,10')!);
  console.log(`\nAuthenticated GET ${ITEMS_PATH} at ${CONNECTIONS} connections through the sidecar on PostgreSQL 15, ${rounds} interleaved rounds of ${seconds} s, medians; load ${load0} -> ${loadavg()}\n`);
  console.log('| pool (size, overflow) | why | req/s | vs shipped | p99 ms | peak server connections | failed |');
  console.log('|---|---|---|---|---|---|---|');
  for (const v of VARIANTS) {
    const m = median(rps.get(v.pool)!);
    console.log(`| ${v.pool} | ${v.why} | ${m.toFixed(0)} | ${(m / base).toFixed(2)} | ${median(p99.get(v.pool)!).toFixed(1)} | ${peak.get(v.pool)} | ${failed.get(v.pool)} |`);
  }
} finally {
  await group.close();
  await pg.destroy();
}
