// `make bench-preflight`: preflights per second at 64 connections, Caddy (sidecar) vs the ASGI wrapper (direct)
// vs a bare Caddy sending the same headers (the floor of Caddy itself on this machine), side by side in
// interleaved rounds (medians). Not part of make test: a timed figure on a shared machine.
//
//   tsx tools/bench/preflight.ts [--rounds 5] [--seconds 5] [--connections 64]
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { type RawResponse, request, values } from '../testkit/http.ts';
import { type Stack, startStack } from '../testkit/stack.ts';
import { startBareCaddy } from './lib/bare-caddy.ts';
import { findOnPath, type LoadJob, LoadRunner, toolVersion } from './lib/load.ts';
import { loadavg } from './lib/machine.ts';
import { clockTicksPerSecond } from './lib/sampler.ts';
import { median } from './lib/stats.ts';

const { values: opts } = parseArgs({
  options: {
    rounds: { type: 'string', default: '5' },
    seconds: { type: 'string', default: '5' },
    connections: { type: 'string', default: '64' },
  },
});
const ROUNDS = Number(opts.rounds);
const SECONDS = Number(opts.seconds);
const CONNECTIONS = Number(opts.connections);
for (const [name, n, max] of [
  ['rounds', ROUNDS, 20],
  ['seconds', SECONDS, 60],
  ['connections', CONNECTIONS, 512],
] as const) {
  if (!Number.isInteger(n) || n < 1 || n > max) throw new Error(`--${name} needs a whole number from 1 to ${max}`);
}
const ORIGIN = 'http://localhost:3001';
// What a browser sends before an authenticated GET of the items (the demo's most common preflight).
const PREFLIGHT = {
  Origin: ORIGIN,
  'Access-Control-Request-Method': 'GET',
  'Access-Control-Request-Headers': 'authorization,x-tenant-id',
};
const TARGET_PER_SEC = 25_000;
const MODES = ['sidecar', 'direct'] as const;

/** One preflight by hand first: a bench of refusals would measure the wrong thing. */
async function assertGranted(name: string, base: string): Promise<RawResponse> {
  const res = await request(`${base}/api/v1/items`, { method: 'OPTIONS', headers: PREFLIGHT });
  assert.equal(res.status, 204, `${name}: preflight answered ${res.status}`);
  assert.deepEqual(values(res, 'access-control-allow-origin'), [ORIGIN], `${name}: granted to ${ORIGIN}`);
  return res;
}

/** The CORS headers of the sidecar's grant, for the bare Caddy to send as fixed values. */
function grantHeaders(res: RawResponse): Record<string, string> {
  const names = new Set(res.headers.map(([n]) => n).filter((n) => n.startsWith('access-control-') || n === 'vary'));
  return Object.fromEntries([...names].map((n) => [n, values(res, n).join(', ')]));
}

const scratch = mkdtempSync(path.join(os.tmpdir(), 'edge-preflight-'));
const stacks: Stack[] = await Promise.all(MODES.map((mode) => startStack({ mode })));
const bare = await startBareCaddy(
  grantHeaders(await assertGranted('sidecar', stacks.find((s) => s.mode === 'sidecar')!.base)),
).catch(async (err: unknown) => {
  await Promise.all(stacks.map((s) => s.stop()));
  throw err;
});
const targets = [...stacks.map((s) => ({ name: s.mode as string, base: s.base })), { name: 'bare Caddy', base: bare.base }];
try {
  for (const t of targets) await assertGranted(t.name, t.base);
  // wrk (C) when installed: autocannon (Node) saturates a core of its own well below Caddy's rate.
  const tool = findOnPath('wrk') ? 'wrk' : 'autocannon';
  const runner = new LoadRunner(tool, scratch, clockTicksPerSecond());
  const rows = new Map<
    string,
    { rps: number[]; p50: number[]; p99: number[]; gen: number[]; requests: number; failed: number }
  >();
  for (let round = 0; round < ROUNDS; round++) {
    // The order flips each round, so neither mode always runs on the warmer (or the busier) machine.
    const order = round % 2 === 0 ? targets : [...targets].reverse();
    for (const target of order) {
      const job: LoadJob = {
        url: `${target.base}/api/v1/items`,
        method: 'OPTIONS',
        connections: CONNECTIONS,
        durationSec: SECONDS,
        headers: PREFLIGHT,
      };
      const { result, generatorCpuMs } = await runner.run(job);
      const row = rows.get(target.name) ?? { rps: [], p50: [], p99: [], gen: [], requests: 0, failed: 0 };
      row.gen.push(generatorCpuMs / (result.durationSec * 1000));
      row.rps.push(result.rps);
      row.p50.push(result.p50Ms);
      row.p99.push(result.p99Ms);
      row.requests += result.requests;
      row.failed += result.badStatus + result.socketErrors + result.timeouts;
      rows.set(target.name, row);
      console.log(
        `round ${round + 1}/${ROUNDS} ${target.name}: ${Math.round(result.rps)} preflights/s, p99 ${result.p99Ms.toFixed(1)} ms`,
      );
    }
  }
  const sidecar = rows.get('sidecar')!;
  const direct = rows.get('direct')!;
  const floor = rows.get('bare Caddy')!;
  console.log(
    `\nPreflights (OPTIONS /api/v1/items from ${ORIGIN}), ${CONNECTIONS} connections, ${ROUNDS} interleaved rounds of ${SECONDS} s, medians; ${toolVersion(tool)}; load ${loadavg()}\n`,
  );
  console.log('| mode | preflights/s | p50 ms | p99 ms | load generator CPU (cores) | requests | failed |');
  console.log('| --- | --- | --- | --- | --- | --- | --- |');
  for (const [mode, r] of rows) {
    console.log(
      `| ${mode} | ${Math.round(median(r.rps))} | ${median(r.p50).toFixed(2)} | ${median(r.p99).toFixed(1)} | ${median(r.gen).toFixed(2)} | ${r.requests} | ${r.failed} |`,
    );
  }
  const ratio = (a: typeof sidecar, b: typeof sidecar) => (median(a.rps) / median(b.rps)).toFixed(2);
  const verdict = (r: typeof sidecar) => (median(r.rps) >= TARGET_PER_SEC ? 'met' : 'missed');
  console.log(
    `\nsidecar / direct: ${ratio(sidecar, direct)}; sidecar / bare Caddy: ${ratio(sidecar, floor)}; target ≥ ${TARGET_PER_SEC} preflights/s answered by Caddy: ${verdict(sidecar)} (bare Caddy, the floor on this machine: ${verdict(floor)})`,
  );
  if ([...rows.values()].some((r) => r.failed > 0)) process.exitCode = 1;
} finally {
  await Promise.all([...stacks.map((s) => s.stop()), bare.stop()]);
  rmSync(scratch, { recursive: true, force: true });
}
