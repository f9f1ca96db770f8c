// Caddy's idle upstream pool at 32 (Caddy's default) vs 512 (ours): two sidecar stacks side by side,
// interleaved rounds at 64 connections; writes docs/bench/upstream-pool.md. Not part of `make test`.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { REPO } from '../testkit/stack.ts';
import { authedStackGroup, awaitResponsive, ITEMS_PATH, SEED_ITEMS, TENANT, withAuth } from './lib/api-stack.ts';
import { cellJob, findOnPath, LoadRunner, type Tool } from './lib/load.ts';
import { loadavg, machineNote } from './lib/machine.ts';
import { type Options, parseOptions } from './lib/options.ts';
import { formatPoolReport, formatPoolTable, newConnShare, type PoolRss, type PoolSample, summarizePools } from './lib/pool.ts';
import { steadyRequests } from './lib/resources.ts';
import { describe, RAMP_MS, runHeader } from './lib/run.ts';
import { clockTicksPerSecond, rssKiB, UpstreamWatch } from './lib/sampler.ts';
import { type Cell, isStalled } from './lib/table.ts';

const POOL_SIZES: readonly number[] = [32, 512];
const CONNECTIONS = 64;
const DEFAULT_OUT = 'docs/bench/upstream-pool.md';
const SELF = 'tools/node_modules/.bin/tsx tools/bench/upstream-pool.ts';
/** Defaults put before the user's arguments (later ones win): 5 rounds, about 1.5 min without stalls. */
const DEFAULTS = ['--rounds', '5', '--duration', '3', '--warmup', '1', '--max-minutes', '2', '--out', DEFAULT_OUT];

const CELLS: readonly Cell[] = [
  { id: 'live-64', path: '/health/live', label: '/health/live', connections: CONNECTIONS, headers: {} },
  { id: 'items-64', path: ITEMS_PATH, label: ITEMS_PATH, connections: CONNECTIONS, headers: {}, auth: true },
];

const USAGE = `usage: ${SELF} [options]
  --rounds N (default 5)  --duration S (default 3)  --warmup S (default 1)  --tool wrk|autocannon
  --out FILE (default ${DEFAULT_OUT})  --no-write  --max-minutes M (start no round after M minutes; default 2)`;

async function main(argv: readonly string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    console.log(USAGE);
    return 0;
  }
  let opts: Options;
  try {
    opts = parseOptions([...DEFAULTS, ...argv]);
  } catch (e) {
    console.error((e as Error).message.split('\n')[0]);
    console.error(USAGE);
    return 2;
  }
  const tool: Tool = opts.tool ?? (findOnPath('wrk') ? 'wrk' : 'autocannon');
  if (tool === 'wrk' && !findOnPath('wrk')) {
    console.error('bench-pool: wrk is not installed (apt-get install wrk), or use --tool autocannon');
    return 2;
  }
  const started = Date.now();
  const machine = machineNote(tool, loadavg());
  const scratch = mkdtempSync(path.join(os.tmpdir(), 'edge-bench-pool-'));
  const runner = new LoadRunner(tool, scratch, clockTicksPerSecond());
  console.log(
    `bench-pool: ${tool}, pools ${POOL_SIZES.join(' vs ')}, ${opts.rounds} rounds × ${CELLS.length} endpoints × ` +
      `${opts.durationSec} s at ${CONNECTIONS} connections (+ ${opts.warmupSec} s warm-up each)`,
  );

  const { stacks, auth, start, close } = await authedStackGroup<number>('bench-pool', scratch);

  const samples: PoolSample[] = [];
  const rss: PoolRss[] = [];
  const stallNotes: string[] = [];
  let partial: string | undefined;
  try {
    for (const size of POOL_SIZES) {
      // One SQLite file per stack in the scratch directory: the repo's data/ is never touched.
      const env = { DATABASE_URL: `sqlite:///${path.join(scratch, `pool-${size}.db`)}`, UPSTREAM_IDLE_CONNS: String(size) };
      await start(size, 'sidecar', env);
    }
    const stackOf = (size: number) => stacks.get(size)!;
    const authOf = (size: number) => auth.get(size)!;
    const apiPid = new Map(POOL_SIZES.map((s) => [s, stackOf(s).apiPid()] as const));
    for (const size of POOL_SIZES) rss.push({ poolSize: size, beforeKiB: rssKiB(apiPid.get(size)!), afterKiB: Number.NaN });

    const job = (cell: Cell, size: number, durationSec: number) =>
      cellJob(stackOf(size).base, withAuth(cell, authOf(size)), durationSec);
    if (opts.warmupSec > 0) {
      for (const cell of CELLS) {
        for (const size of POOL_SIZES) {
          await runner.run(job(cell, size, opts.warmupSec));
          const waited = await awaitResponsive(stackOf(size), authOf(size));
          if (waited > 0) stallNotes.push(`${cell.label} pool ${size} warm-up (${waited.toFixed(0)} s)`);
        }
      }
    }

    const deadline = started + opts.maxMinutes * 60_000;
    for (let round = 1; round <= opts.rounds; round++) {
      if (Date.now() > deadline) {
        partial = `stopped after ${round - 1} of ${opts.rounds} rounds (--max-minutes ${opts.maxMinutes}).`;
        break;
      }
      // 32 then 512, then 512 then 32: neither stack always runs first.
      const order = round % 2 === 1 ? POOL_SIZES : [...POOL_SIZES].reverse();
      for (const cell of CELLS) {
        for (const size of order) {
          const stack = stackOf(size);
          const watch = new UpstreamWatch(stack.apiPort, RAMP_MS, opts.durationSec * 1000);
          const { result } = await runner.run(job(cell, size, opts.durationSec), () => watch.markStart());
          const pool = watch.finish();
          const waited = await awaitResponsive(stack, authOf(size));
          const stalled = isStalled(result) || (waited > 0 && cell.path === ITEMS_PATH);
          if (stalled || waited > 0) stallNotes.push(`${cell.label} pool ${size} round ${round} (${waited.toFixed(0)} s)`);
          const steady = steadyRequests(result.requests, result.durationSec, RAMP_MS);
          samples.push({
            poolSize: size,
            cellId: cell.id,
            round,
            result,
            stalled,
            openedSteady: pool.openedSteady,
            steadyRequests: steady,
          });
          const share = newConnShare(pool.openedSteady, steady);
          console.log(
            `[${round}/${opts.rounds}] ${`${cell.label} @ ${cell.connections}`.padEnd(20)} pool ${String(size).padEnd(4)} ${describe(result)}` +
              `  upstream: ${pool.opened} new (${pool.openedSteady} after ramp-up, ${(share * 100).toFixed(1)} %)` +
              `${stalled ? '  STALLED' : ''}`,
          );
        }
      }
    }
    for (const r of rss) r.afterKiB = rssKiB(apiPid.get(r.poolSize)!);
  } catch (e) {
    console.error(`bench-pool: ${(e as Error).message}`);
    await close();
    return 1;
  }
  await close();
  machine.loadAfter = loadavg();

  const rows = summarizePools(CELLS, POOL_SIZES, samples);
  const notes = [
    ...(stallNotes.length
      ? [`The API had to be waited for after: ${stallNotes.join('; ')}; stalled ${ITEMS_PATH} runs are left out of the medians.`]
      : []),
    'Both stacks run the shipped Caddyfile and differ only in `UPSTREAM_IDLE_CONNS` (keepalive_idle_conns and ' +
      'keepalive_idle_conns_per_host); each has its own SQLite file in a temporary directory, seeded with ' +
      `${SEED_ITEMS} items of tenant "${TENANT}"; ${ITEMS_PATH} requests carry a bearer token from one login ` +
      'through each stack (local Auth0 stand-in), validated by the API on every request.',
    'Churn comes from the idle limit, not from the number of open connections: when more upstream connections ' +
      'than the limit are idle at the same moment (many short responses returning together), Caddy closes the ' +
      'extra ones and the next requests dial new ones. Slow responses keep most connections busy, so fewer are ' +
      'idle at once.',
    'uvicorn RSS is per stack: each stack served both endpoints, so before → after covers the whole run.',
    'Loopback only; the load generator shares the 2 cores with both stacks (the idle one costs next to nothing): ' +
      'compare the rows with each other, not with a dedicated client.',
  ];
  const command = [SELF, ...argv].join(' ');
  const report = formatPoolReport({
    ...runHeader(command, machine, opts, started),
    rows,
    rss,
    notes,
    ...(partial ? { partial } : {}),
  });
  console.log(`\n${formatPoolTable(rows, rss)}\n`);
  if (opts.out) {
    const file = path.join(REPO, opts.out);
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, report);
    console.log(`bench-pool: report written to ${opts.out}`);
  }
  return 0;
}

process.exitCode = await main(process.argv.slice(2));
