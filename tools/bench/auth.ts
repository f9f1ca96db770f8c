// `make bench-auth`: latency of a full login and of authenticated GETs, sidecar vs direct side by side (interleaved rounds, medians). Not part of `make test`.
//
//   tsx tools/bench/auth.ts [--rounds 5] [--logins 5] [--requests 50]
//
// Login = GET /api/v1/auth/auth0-url + the authorize walk at the local Auth0 stand-in (auto-login, about five
// redirects) + POST /api/v1/auth/login (the API exchanges the code at the stand-in and validates the tokens).
// Both stacks trust the same stand-in, so its share of a login is the same for both modes.

import { mkdtempSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { CookieJar } from '../src/auth0-standin/client.ts';
import { AUTH, loginThroughApi } from '../testkit/auth.ts';
import { type Stack, startStack } from '../testkit/stack.ts';
import { type AuthHeaders, drainStdout, ITEMS_PATH, loginBench, seed, startBenchAuth } from './lib/api-stack.ts';
import { loadavg } from './lib/machine.ts';
import { stackGroup } from './lib/stack-group.ts';
import { median, minMax, percentileSorted, ratio } from './lib/stats.ts';
import { MODES, type Mode } from './lib/table.ts';

const SELF = 'tools/node_modules/.bin/tsx tools/bench/auth.ts';
const ORIGIN = 'http://localhost:3001';
const CALLBACK = `${ORIGIN}/callback`;
const LIMITS = { rounds: [1, 20], logins: [1, 50], requests: [1, 1000] } as const;

const { values: raw } = parseArgs({
  options: {
    rounds: { type: 'string', default: '5' },
    logins: { type: 'string', default: '5' },
    requests: { type: 'string', default: '50' },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
const USAGE = `usage: ${SELF} [--rounds N (1-20, default 5)] [--logins N per round and mode (1-50, default 5)] [--requests N per round, mode and endpoint (1-1000, default 50)]`;

function count(name: keyof typeof LIMITS): number {
  const n = Number(raw[name]);
  const [min, max] = LIMITS[name];
  if (!Number.isInteger(n) || n < min || n > max)
    throw new Error(`--${name} needs a whole number from ${min} to ${max}, got ${raw[name]}\n${USAGE}`);
  return n;
}

type Measure = 'login' | 'me' | 'items';
const MEASURES: { id: Measure; label: string }[] = [
  { id: 'login', label: 'full login (auth0-url + authorize + login)' },
  { id: 'me', label: `GET ${AUTH}/me (bearer)` },
  { id: 'items', label: `GET ${ITEMS_PATH} (bearer, 10 items)` },
];

/** Sequential GETs on one keep-alive connection (as a page's fetches reuse theirs); ms per request. */
async function timedGets(url: string, headers: AuthHeaders, n: number): Promise<number[]> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const ms: number[] = [];
  try {
    for (let i = 0; i < n; i++) {
      const t0 = process.hrtime.bigint();
      const status = await new Promise<number>((resolve, reject) => {
        const req = http.get(url, { agent, headers: { Origin: ORIGIN, ...headers }, timeout: 10_000 }, (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode ?? 0));
          res.on('error', reject);
        });
        req.on('timeout', () => req.destroy(new Error(`timeout: ${url}`)));
        req.on('error', reject);
      });
      if (status !== 200) throw new Error(`GET ${url} answered ${status}`);
      ms.push(Number(process.hrtime.bigint() - t0) / 1e6);
    }
  } finally {
    agent.destroy();
  }
  return ms;
}

/** Full logins, each in a fresh browser (new cookie jar: the stand-in logs in again). */
async function timedLogins(stack: Stack, n: number): Promise<number[]> {
  const ms: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = process.hrtime.bigint();
    await loginThroughApi(stack.base, { origin: ORIGIN, redirectUri: CALLBACK, jar: new CookieJar() });
    ms.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  return ms;
}

const fmt = (v: number): string => (Number.isFinite(v) ? (v < 10 ? v.toFixed(2) : v.toFixed(1)) : '—');

async function main(): Promise<number> {
  if (raw.help) {
    console.log(USAGE);
    return 0;
  }
  let rounds: number, logins: number, requests: number;
  try {
    [rounds, logins, requests] = [count('rounds'), count('logins'), count('requests')];
  } catch (e) {
    console.error((e as Error).message);
    return 2;
  }
  const argv = process.argv.slice(2);
  const command = argv.length ? [SELF, ...argv].join(' ') : `make bench-auth   # same as: ${SELF}`;
  console.log(`bench-auth: ${rounds} rounds × 2 modes × (${logins} logins + 2 × ${requests} GETs), interleaved`);
  const scratch = mkdtempSync(path.join(os.tmpdir(), 'edge-bench-auth-'));
  const { stacks, close: closeStacks } = stackGroup<Mode>('bench-auth', scratch);
  const standin = await startBenchAuth();
  const loadBefore = loadavg();
  /** samples[measure][mode][round] = ms of each call. */
  const samples = new Map<string, number[][]>();
  const put = (m: Measure, mode: Mode, round: number, ms: number[]) => {
    const key = `${m}/${mode}`;
    const rows = samples.get(key) ?? [];
    rows[round] = ms;
    samples.set(key, rows);
  };
  try {
    const auth = new Map<Mode, AuthHeaders>();
    for (const mode of MODES) {
      const stack = await startStack({
        mode,
        fakeApp: false,
        auth: standin,
        env: { DATABASE_URL: `sqlite:///${path.join(scratch, `${mode}.db`)}` },
      });
      stacks.set(mode, stack);
      drainStdout(stack);
      auth.set(mode, await loginBench(stack));
      await seed(stack, auth.get(mode)!);
    }
    // Warm-up, not measured: first JWKS fetch, Python imports on first use, connection pools.
    for (const mode of MODES) {
      const stack = stacks.get(mode)!;
      await timedLogins(stack, 2);
      await timedGets(stack.base + `${AUTH}/me`, auth.get(mode)!, 10);
      await timedGets(stack.base + ITEMS_PATH, auth.get(mode)!, 10);
    }
    for (let round = 0; round < rounds; round++) {
      // A B, then B A: neither mode always goes first.
      const order: readonly Mode[] = round % 2 === 0 ? MODES : [...MODES].reverse();
      for (const mode of order) {
        const stack = stacks.get(mode)!;
        put('login', mode, round, await timedLogins(stack, logins));
        put('me', mode, round, await timedGets(stack.base + `${AUTH}/me`, auth.get(mode)!, requests));
        put('items', mode, round, await timedGets(stack.base + ITEMS_PATH, auth.get(mode)!, requests));
      }
      const line = MEASURES.map(
        (m) => `${m.id} ${MODES.map((mode) => fmt(median(samples.get(`${m.id}/${mode}`)![round]!))).join('/')}`,
      ).join('  ');
      console.log(`[${round + 1}/${rounds}] median ms sidecar/direct: ${line}`);
    }
  } catch (e) {
    console.error(`bench-auth: ${(e as Error).message}`);
    return 1;
  } finally {
    await closeStacks();
    await standin.stop();
  }

  const stat = (m: Measure, mode: Mode) => {
    const perRound = samples.get(`${m}/${mode}`)!;
    const roundMedians = perRound.map((r) => median(r));
    const all = Float64Array.from(perRound.flat()).sort();
    return { med: median(roundMedians), spread: minMax(roundMedians), p90: percentileSorted(all, 90), n: all.length };
  };
  console.log(
    `\n| measure | sidecar median ms (round medians) | direct median ms (round medians) | sidecar − direct | ratio | p90 sidecar / direct | n per mode |`,
  );
  console.log('| --- | --- | --- | --- | --- | --- | --- |');
  for (const m of MEASURES) {
    const s = stat(m.id, 'sidecar');
    const d = stat(m.id, 'direct');
    console.log(
      `| ${m.label} | ${fmt(s.med)} (${fmt(s.spread.min)}–${fmt(s.spread.max)}) | ${fmt(d.med)} (${fmt(d.spread.min)}–${fmt(d.spread.max)}) | ` +
        `${fmt(s.med - d.med)} | ${ratio(s.med, d.med).toFixed(2)} | ${fmt(s.p90)} / ${fmt(d.p90)} | ${s.n} |`,
    );
  }
  console.log(
    `\nMedian of the ${rounds} round medians (min–max of the round medians in brackets); p90 over all calls. ` +
      `GETs: sequential on one keep-alive connection, Origin ${ORIGIN}. Logins: sequential, a fresh cookie jar each. ` +
      `Loopback only; the client shares the machine with both stacks and the stand-in.`,
  );
  console.log(`${os.cpus().length} cores, Node ${process.version}, load ${loadBefore} → ${loadavg()}`);
  console.log(`command: ${command}`);
  return 0;
}

process.exitCode = await main();
