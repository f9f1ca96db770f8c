// Command-line options of `make bench` (sidecar vs direct), also parsed by the upstream-pool bench.
import path from 'node:path';
import { CELLS } from './api-stack.ts';
import type { Tool } from './load.ts';
import { MODES } from './table.ts';

const DEFAULT_OUT = 'docs/bench/latest.md';

export interface Options {
  rounds: number;
  durationSec: number;
  warmupSec: number;
  tool: Tool | undefined;
  out: string | undefined;
  maxMinutes: number;
}

const USAGE = `usage: tsx tools/bench/sidecar-vs-direct.ts [options]   (make bench runs it with the defaults)
  --rounds N        interleaved measured rounds per endpoint, concurrency and mode (default 7, max 30)
  --duration S      whole seconds per measured run (default 3, max 30)
  --warmup S        whole seconds of warm-up per endpoint, concurrency and mode (default 1, 0 for none)
  --tool NAME       wrk or autocannon (default: wrk when installed, else autocannon)
  --out FILE        report path, relative to the repo (default ${DEFAULT_OUT})
  --no-write        print the report only
  --max-minutes M   start no round after M minutes; the report says it is partial (default 7: with
                    the round under way that keeps a run under ~8.5 minutes even if every item run stalls)`;

export function parseOptions(argv: readonly string[]): Options {
  const o: Options = { rounds: 7, durationSec: 3, warmupSec: 1, tool: undefined, out: DEFAULT_OUT, maxMinutes: 7 };
  const num = (name: string, v: string | undefined, min: number, max: number, integer = false): number => {
    const n = Number(v);
    if (v === undefined || !Number.isFinite(n) || n < min || n > max || (integer && !Number.isInteger(n)))
      throw new Error(`${name} needs a ${integer ? 'whole ' : ''}number from ${min} to ${max}, got ${v ?? 'nothing'}`);
    return n;
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const next = () => argv[++i];
    if (a === '--rounds') o.rounds = num(a, next(), 1, 30, true);
    else if (a === '--duration') o.durationSec = num(a, next(), 1, 30, true);
    else if (a === '--warmup') o.warmupSec = num(a, next(), 0, 10, true);
    else if (a === '--max-minutes') o.maxMinutes = num(a, next(), 1, 60);
    else if (a === '--no-write') o.out = undefined;
    else if (a === '--out') {
      const v = next();
      if (!v || path.isAbsolute(v)) throw new Error('--out needs a path relative to the repo');
      o.out = v;
    } else if (a === '--tool') {
      const v = next();
      if (v !== 'wrk' && v !== 'autocannon') throw new Error(`--tool is wrk or autocannon, got ${v ?? 'nothing'}`);
      o.tool = v;
    } else if (a === '--help' || a === '-h') throw new Error(USAGE);
    else throw new Error(`unknown option ${a}\n${USAGE}`);
  }
  return o;
}

/** Seconds the plan should take: stack starts, warm-ups, measured runs, plus per-run overhead. */
export function estimateSec(o: Options, tool: Tool): number {
  const overhead = tool === 'wrk' ? 0.3 : 1.0;
  const runs = CELLS.length * MODES.length;
  return 15 + runs * (o.warmupSec + overhead) + o.rounds * runs * (o.durationSec + overhead);
}
