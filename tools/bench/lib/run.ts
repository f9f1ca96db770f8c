// `make bench`: the sidecar and direct uvicorn side by side in one run, interleaved rounds, one report.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { REPO, type Stack } from '../../testkit/stack.ts';
import {
  type AuthedStackGroup,
  type AuthHeaders,
  authedStackGroup,
  awaitResponsive,
  CELLS,
  ITEMS_PATH,
  withAuth,
} from './api-stack.ts';
import { cellJob, findOnPath, LoadRunner, type Tool } from './load.ts';
import type { LoadResult } from './load-result.ts';
import { commit, loadavg, machineNote } from './machine.ts';
import { type Stall, stallNote, standingNotes } from './notes.ts';
import { estimateSec, type Options, parseOptions } from './options.ts';
import { fmtMs, fmtRps, formatReport, type MachineNote, type RunHeader } from './report.ts';
import {
  type CpuSample,
  type RssPoint,
  steadyRequests,
  summarizeCpu,
  summarizeUpstream,
  type UpstreamSample,
} from './resources.ts';
import { clockTicksPerSecond, cpuDeltaMs, cpuSnapshot, rssKiB, UpstreamWatch } from './sampler.ts';
import { type Cell, checkTargets, isStalled, MODES, type Mode, type Sample, summarize } from './table.ts';

/** Start of each run not counted as steady state for upstream connection churn. */
export const RAMP_MS = 500;

/** The report header of a run that began at `started` (Date.now()), written now. */
export function runHeader(
  command: string,
  machine: MachineNote,
  opts: Pick<Options, 'rounds' | 'durationSec' | 'warmupSec'>,
  started: number,
): RunHeader {
  return {
    generatedAt: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
    command,
    commit: commit(),
    machine,
    rounds: opts.rounds,
    durationSec: opts.durationSec,
    warmupSec: opts.warmupSec,
    elapsedSec: (Date.now() - started) / 1000,
    rampMs: RAMP_MS,
  };
}

export function describe(r: LoadResult): string {
  const failed = r.socketErrors + r.timeouts + r.badStatus;
  return `${fmtRps(r.rps).padStart(6)} req/s  p50 ${fmtMs(r.p50Ms).padStart(6)} ms  p99 ${fmtMs(r.p99Ms).padStart(6)} ms${failed ? `  FAILED ${failed}` : ''}`;
}

/** Everything the runs measured, in the shapes the report summarises. */
interface Measurements {
  samples: Sample[];
  upstream: UpstreamSample[];
  cpu: CpuSample[];
  rss: RssPoint[];
  stalls: Stall[];
  /** Why the measured rounds stopped early, when they did. */
  partial?: string;
}

/** What the runs measure with: the options, the load generator, each mode's stack and bearer header. */
interface Bench {
  opts: Options;
  runner: LoadRunner;
  ticksPerSecond: number;
  stack: (mode: Mode) => Stack;
  auth: (mode: Mode) => AuthHeaders;
}

export async function main(argv: readonly string[]): Promise<number> {
  let opts: Options;
  try {
    opts = parseOptions(argv);
  } catch (e) {
    console.error((e as Error).message);
    return 2;
  }
  const notes: string[] = [];
  const tool = chooseTool(opts, notes);
  if (!tool) return 2;
  const started = Date.now();
  const machine = machineNote(tool, loadavg());
  const ticksPerSecond = clockTicksPerSecond();
  const scratch = mkdtempSync(path.join(os.tmpdir(), 'edge-bench-'));
  const runner = new LoadRunner(tool, scratch, ticksPerSecond);
  console.log(
    `bench: ${tool}, ${opts.rounds} rounds × ${CELLS.length} cells × 2 modes × ${opts.durationSec} s ` +
      `(+ ${opts.warmupSec} s warm-up each); about ${Math.ceil(estimateSec(opts, tool) / 60)} min`,
  );

  const group = await authedStackGroup<Mode>('bench', scratch);
  const bench: Bench = {
    opts,
    runner,
    ticksPerSecond,
    stack: (mode) => group.stacks.get(mode)!,
    auth: (mode) => group.auth.get(mode)!,
  };
  const m: Measurements = { samples: [], upstream: [], cpu: [], rss: [], stalls: [] };
  try {
    await measure(bench, group, scratch, started + opts.maxMinutes * 60_000, m);
  } catch (e) {
    console.error(`bench: ${(e as Error).message}`);
    await group.close();
    return 1;
  }
  await group.close();

  machine.loadAfter = loadavg();
  const stalled = stallNote(m.stalls);
  if (stalled) notes.push(stalled);
  notes.push(...standingNotes());
  const summaries = summarize(CELLS, m.samples);
  const report = formatReport({
    ...runHeader(commandLine(argv), machine, opts, started),
    summaries,
    targets: checkTargets(summaries, ITEMS_PATH),
    upstream: CELLS.map((c) => summarizeUpstream(c.id, m.upstream)),
    rss: m.rss,
    cpu: CELLS.flatMap((c) => MODES.map((mode) => summarizeCpu(c.id, mode, m.cpu))),
    notes,
    ...(m.partial ? { partial: m.partial } : {}),
  });
  console.log(`\n${report}`);
  if (opts.out) writeReport(opts.out, report);
  return 0;
}

/** The load generator: the one asked for, else wrk when installed (noted when it is not); undefined if missing. */
function chooseTool(opts: Options, notes: string[]): Tool | undefined {
  const tool: Tool = opts.tool ?? (findOnPath('wrk') ? 'wrk' : 'autocannon');
  if (tool === 'wrk' && !findOnPath('wrk')) {
    console.error('bench: wrk is not installed (apt-get install wrk), or use --tool autocannon');
    return undefined;
  }
  if (!opts.tool && tool === 'autocannon')
    notes.push('wrk was not installed, so autocannon measured (apt-get install wrk for the lighter C generator).');
  return tool;
}

/** Starts one stack per mode, warms each cell up, then runs the measured rounds until done or past --max-minutes. */
async function measure(
  bench: Bench,
  group: AuthedStackGroup<Mode>,
  scratch: string,
  deadline: number,
  m: Measurements,
): Promise<void> {
  const { opts } = bench;
  for (const mode of MODES) {
    // One SQLite file per mode, in the scratch directory: the repo's data/ is never touched.
    const env = { DATABASE_URL: `sqlite:///${path.join(scratch, `${mode}.db`)}` };
    await group.start(mode, mode, env);
  }
  const apiPids = new Map(MODES.map((mode) => [mode, bench.stack(mode).apiPid()] as const));
  const recordRss = (when: string) => {
    for (const mode of MODES) m.rss.push({ mode, when, kib: rssKiB(apiPids.get(mode)!) });
  };
  recordRss('ready');
  if (opts.warmupSec > 0) await warmUp(bench, m);
  recordRss('after warm-up');

  for (let round = 1; round <= opts.rounds; round++) {
    if (Date.now() > deadline) {
      m.partial = `stopped after ${round - 1} of ${opts.rounds} rounds (--max-minutes ${opts.maxMinutes}).`;
      break;
    }
    // A B, then B A: neither mode always runs first, so drift and after-effects fall on both.
    const order: readonly Mode[] = round % 2 === 1 ? MODES : [...MODES].reverse();
    for (const cell of CELLS) for (const mode of order) await measureRun(bench, cell, mode, round, m);
  }
  recordRss('end');
}

function jobFor(bench: Bench, cell: Cell, mode: Mode, durationSec: number) {
  return cellJob(bench.stack(mode).base, withAuth(cell, bench.auth(mode)), durationSec);
}

/** One unmeasured run per cell and mode; a stall after it is recorded (as round 0) but leaves no median. */
async function warmUp(bench: Bench, m: Measurements): Promise<void> {
  for (const cell of CELLS) {
    for (const mode of MODES) {
      await bench.runner.run(jobFor(bench, cell, mode, bench.opts.warmupSec));
      const recoverySec = await awaitResponsive(bench.stack(mode), bench.auth(mode));
      if (recoverySec > 0) m.stalls.push({ cellId: cell.id, mode, round: 0, recoverySec, stalled: false });
    }
  }
}

/** One measured run: latency sample, CPU by role, upstream connections (sidecar), stall check; one log line. */
async function measureRun(bench: Bench, cell: Cell, mode: Mode, round: number, m: Measurements): Promise<void> {
  const { opts, runner, ticksPerSecond } = bench;
  const stack = bench.stack(mode);
  const watch = mode === 'sidecar' ? new UpstreamWatch(stack.apiPort, RAMP_MS, opts.durationSec * 1000) : undefined;
  const before = cpuSnapshot(stack.child.pid!);
  const { result, generatorCpuMs } = await runner.run(jobFor(bench, cell, mode, opts.durationSec), () => watch?.markStart());
  const after = cpuSnapshot(stack.child.pid!);
  // The ramp-up (wrk connecting all clients, Caddy refilling a pool the previous run's abrupt
  // end emptied) is over well within RAMP_MS; connections opened later are pool churn.
  const pool = watch?.finish();
  const recoverySec = await awaitResponsive(stack, bench.auth(mode));
  const stalled = isStalled(result) || (recoverySec > 0 && cell.path === ITEMS_PATH);
  if (stalled || recoverySec > 0) m.stalls.push({ cellId: cell.id, mode, round, recoverySec, stalled });
  m.samples.push({ cellId: cell.id, mode, round, result, stalled });
  const cpuMsByRole = cpuDeltaMs(before, after, ticksPerSecond);
  if (Number.isFinite(generatorCpuMs)) cpuMsByRole['load generator'] = generatorCpuMs;
  m.cpu.push({
    cellId: cell.id,
    mode,
    round,
    cpuMsByRole,
    machineBusy: (after.machine.busy - before.machine.busy) / Math.max(1, after.machine.total - before.machine.total),
    requests: result.requests,
  });
  if (pool) {
    // Requests between the two in-run snapshots, pro rata.
    m.upstream.push({
      cellId: cell.id,
      round,
      ...pool,
      steadyRequests: steadyRequests(result.requests, result.durationSec, RAMP_MS),
    });
  }
  const poolNote = pool ? `  upstream: ${pool.maxEstablished} open, ${pool.opened} new (${pool.openedSteady} after ramp-up)` : '';
  const stallText = stalled || recoverySec > 0 ? `  STALLED (answered again after ${recoverySec.toFixed(0)} s)` : '';
  console.log(
    `[${round}/${opts.rounds}] ${`${cell.label} @ ${cell.connections}`.padEnd(20)} ${mode.padEnd(7)} ${describe(result)}${poolNote}${stallText}`,
  );
}

function writeReport(out: string, report: string): void {
  const file = path.join(REPO, out);
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, report);
  console.log(`bench: report written to ${out}`);
}

function commandLine(argv: readonly string[]): string {
  const direct = ['tools/node_modules/.bin/tsx tools/bench/sidecar-vs-direct.ts', ...argv].join(' ');
  return argv.length === 0 ? `make bench\n# same as: ${direct}` : direct;
}
