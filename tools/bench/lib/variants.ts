// One benchmark shape for "which setting is better": one stack per variant (its own mode and env), the same
// authenticated GETs against each, interleaved rounds, medians, ratios to a reference variant.
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import type { Stack } from '../../testkit/stack.ts';
import { authedStackGroup } from './api-stack.ts';
import { findOnPath, LoadRunner } from './load.ts';
import type { LoadResult } from './load-result.ts';
import { loadavg } from './machine.ts';
import { median } from './stats.ts';
import type { Mode } from './table.ts';

export interface Variant {
  name: string;
  why: string;
  env: Record<string, string>;
  /** Sidecar unless said. */
  mode?: Mode;
}

/** The two modes as variants (defaults otherwise), and the paths the side-by-side benches share. */
export const DIRECT: Variant = { name: 'direct', why: 'uvicorn alone on $PORT', env: {}, mode: 'direct' };
export const SIDECAR: Variant = { name: 'sidecar', why: 'Caddy in front of uvicorn', env: {} };
/** No app work, the token check alone, the token check and the database. */
export const LAYER_PATHS = ['/health/live', '/api/v1/auth/me', '/api/v1/items'] as const;

export interface VariantBench {
  title: string;
  usage: string;
  variants: readonly Variant[];
  /** The variant the others are compared with (ratio 1.00). */
  reference: string;
  paths: readonly string[];
  connections: number;
  /** Each stack on a SQLite file of its own (each seeds its own items), unless `prepare` names a database. */
  sqlite?: boolean;
  /** Per-stack extra environment (a fresh database, say), called once per variant before it starts. */
  prepare?: (variant: Variant) => Promise<Record<string, string>>;
  /** Sampled every 250 ms during each run; the table shows its peak per variant (e.g. server connections). */
  sample?: { label: string; read: (variant: Variant) => Promise<number> };
  /** Measured around each run: `begin` just before the load, the function it returns with the run's result
   * (e.g. CPU time per request); the table shows each one's median per variant and path. */
  perRun?: readonly PerRun[];
}

export interface PerRun {
  label: string;
  begin: (variant: Variant, stack: Stack) => (result: LoadResult) => number;
}

export interface Row {
  variant: Variant;
  path: string;
  rps: number;
  ratio: number;
  p50Ms: number;
  p99Ms: number;
  failed: number;
  peak?: number;
  /** The medians of VariantBench.perRun, in its order. */
  perRun?: number[];
}

/** `--rounds` (1-10, default 3) and `--seconds` (2-60, default 8). */
export function parseRounds(argv: readonly string[], usage: string): { rounds: number; seconds: number } {
  const { values } = parseArgs({
    args: [...argv],
    options: { rounds: { type: 'string', default: '3' }, seconds: { type: 'string', default: '8' } },
  });
  const rounds = Number(values.rounds);
  const seconds = Number(values.seconds);
  if (!(Number.isInteger(rounds) && rounds >= 1 && rounds <= 10 && Number.isInteger(seconds) && seconds >= 2 && seconds <= 60)) {
    throw new Error(`usage: ${usage} [--rounds 1-10] [--seconds 2-60]`);
  }
  return { rounds, seconds };
}

/** Markdown table of the medians (pure). */
export function variantTable(rows: readonly Row[], sampleLabel?: string, perRunLabels: readonly string[] = []): string {
  const head = [
    'variant',
    'why',
    'path',
    'req/s',
    'vs reference',
    'p50 ms',
    'p99 ms',
    ...perRunLabels,
    ...(sampleLabel ? [sampleLabel] : []),
    'failed',
  ];
  const lines = rows.map((r) => [
    r.variant.name,
    r.variant.why,
    r.path,
    r.rps.toFixed(0),
    r.ratio.toFixed(2),
    r.p50Ms.toFixed(2),
    r.p99Ms.toFixed(1),
    ...perRunLabels.map((_, i) => r.perRun?.[i]?.toFixed(1) ?? ''),
    ...(sampleLabel ? [String(r.peak ?? '')] : []),
    String(r.failed),
  ]);
  return [head, head.map(() => '---'), ...lines].map((cells) => `| ${cells.join(' | ')} |`).join('\n');
}

export interface VariantResult {
  rows: Row[];
  /** The title line and the table, ready to print. */
  text: string;
}

export async function runVariantBench(bench: VariantBench, argv: readonly string[]): Promise<VariantResult> {
  const { rounds, seconds } = parseRounds(argv, bench.usage);
  const scratch = mkdtempSync(path.join(os.tmpdir(), 'edge-bench-variants-'));
  const group = await authedStackGroup<string>('bench', scratch);
  const samples = new Map<
    string,
    { rps: number[]; p50: number[]; p99: number[]; failed: number; peak: number; perRun: number[][] }
  >();
  try {
    for (const v of bench.variants) {
      console.error(`==> stack ${v.name}`);
      const own: Record<string, string> = bench.sqlite
        ? { DATABASE_URL: `sqlite:///${path.join(scratch, `${v.name.replace(/\W/g, '-')}.db`)}` }
        : {};
      await group.start(v.name, v.mode ?? 'sidecar', { ...v.env, ...own, ...(await bench.prepare?.(v)) });
    }
    const runner = new LoadRunner(findOnPath('wrk') ? 'wrk' : 'autocannon', scratch, 100);
    const before = loadavg();
    for (let r = 1; r <= rounds; r++) {
      // Interleaved, the order reversed every other round, so a drift of the machine hits every variant alike.
      for (const v of r % 2 ? bench.variants : [...bench.variants].reverse()) {
        for (const p of bench.paths) {
          const key = `${v.name} ${p}`;
          const s = samples.get(key) ?? {
            rps: [],
            p50: [],
            p99: [],
            failed: 0,
            peak: 0,
            perRun: (bench.perRun ?? []).map(() => []),
          };
          let sampling = Boolean(bench.sample);
          const sampler = (async () => {
            while (sampling) {
              s.peak = Math.max(s.peak, await bench.sample!.read(v));
              await new Promise((res) => setTimeout(res, 250));
            }
          })();
          const stack = group.stacks.get(v.name)!;
          const headers = { ...group.auth.get(v.name)!, Origin: 'http://localhost:3001' };
          const ends = (bench.perRun ?? []).map((m) => m.begin(v, stack));
          const { result } = await runner.run({
            url: stack.base + p,
            connections: bench.connections,
            durationSec: seconds,
            headers,
          });
          ends.forEach((end, i) => s.perRun[i]!.push(end(result)));
          sampling = false;
          await sampler;
          s.rps.push(result.rps);
          s.p50.push(result.p50Ms);
          s.p99.push(result.p99Ms);
          s.failed += result.socketErrors + result.timeouts + result.badStatus;
          samples.set(key, s);
          console.error(`round ${r}/${rounds} ${key}: ${result.rps.toFixed(0)} req/s, p99 ${result.p99Ms.toFixed(1)} ms`);
        }
      }
    }
    const rows: Row[] = bench.variants.flatMap((v) =>
      bench.paths.map((p) => {
        const s = samples.get(`${v.name} ${p}`)!;
        const reference = median(samples.get(`${bench.reference} ${p}`)!.rps);
        return {
          variant: v,
          path: p,
          rps: median(s.rps),
          ratio: median(s.rps) / reference,
          p50Ms: median(s.p50),
          p99Ms: median(s.p99),
          failed: s.failed,
          ...(bench.sample ? { peak: s.peak } : {}),
          ...(bench.perRun ? { perRun: s.perRun.map(median) } : {}),
        };
      }),
    );
    const title = `${bench.title}, ${bench.connections} connections, ${rounds} interleaved rounds of ${seconds} s, medians; load ${before} -> ${loadavg()}`;
    return {
      rows,
      text: `${title}\n\n${variantTable(
        rows,
        bench.sample?.label,
        bench.perRun?.map((m) => m.label),
      )}\n`,
    };
  } finally {
    await group.close();
  }
}
