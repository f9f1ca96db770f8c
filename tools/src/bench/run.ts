// `make bench`: the sidecar and direct uvicorn side by side in one run, interleaved rounds, one report.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startStandin, type Standin } from '../auth0-standin/standin.ts';
import { loginThroughApi } from '../harness/auth.ts';
import { request } from '../harness/http.ts';
import { REPO, startStack, VENV_BIN, type Stack } from '../harness/stack.ts';
import { cellJob, findOnPath, LoadRunner, toolVersion, type Tool } from './load.ts';
import type { LoadResult } from './load-result.ts';
import { formatReport, fmtMs, fmtRps, type MachineNote } from './report.ts';
import { steadyRequests, summarizeCpu, summarizeUpstream, type CpuSample, type RssPoint, type UpstreamSample } from './resources.ts';
import { clockTicksPerSecond, cpuDeltaMs, cpuSnapshot, rssKiB, UpstreamWatch } from './sampler.ts';
import { checkTargets, isStalled, MODES, summarize, type Cell, type Mode, type Sample } from './table.ts';
import { stackGroup, type StackGroup } from './stack-group.ts';

export const TENANT = 'bench';
export const ITEMS_PATH = '/api/v1/items';
export const SEED_ITEMS = 10;
const DEFAULT_OUT = 'docs/bench/latest.md';

export const CELLS: readonly Cell[] = [
  { id: 'live-1', path: '/health/live', label: '/health/live', connections: 1, headers: {} },
  { id: 'live-64', path: '/health/live', label: '/health/live', connections: 64, headers: {} },
  { id: 'items-1', path: ITEMS_PATH, label: ITEMS_PATH, connections: 1, headers: {}, auth: true },
  { id: 'items-64', path: ITEMS_PATH, label: ITEMS_PATH, connections: 64, headers: {}, auth: true },
];

/** Bearer header of one stack's login, for the cells that need it. */
export type AuthHeaders = Record<string, string>;

/** One local Auth0 stand-in for all of a benchmark's stacks; its dev user's tenant is TENANT. */
export function startBenchAuth(): Promise<Standin> {
  return startStandin({ port: 0, devUser: { tenantId: TENANT } });
}

/** A benchmark's stacks plus the stand-in they trust and each stack's bearer header; `close` stops them all. */
export interface AuthedStackGroup<K> extends StackGroup<K> {
  standin: Standin;
  auth: Map<K, AuthHeaders>;
  /** Start the reference API as stack `key` (stdout drained), log in once through it and seed its items. */
  start: (key: K, mode: Mode, env: Record<string, string>) => Promise<Stack>;
}

export async function authedStackGroup<K>(name: string, scratch: string): Promise<AuthedStackGroup<K>> {
  const group = stackGroup<K>(name, scratch);
  const standin = await startBenchAuth();
  const auth = new Map<K, AuthHeaders>();
  const start = async (key: K, mode: Mode, env: Record<string, string>): Promise<Stack> => {
    const stack = await startStack({ mode, env, fakeApp: false, auth: standin });
    group.stacks.set(key, stack);
    drainStdout(stack);
    auth.set(key, await loginBench(stack));
    await seed(stack, auth.get(key)!);
    return stack;
  };
  const close = async () => {
    await group.close();
    await standin.stop();
  };
  return { stacks: group.stacks, standin, auth, start, close };
}

/** Logs in once through the stack's own auth routes (as the page would) and returns the bearer header. */
export async function loginBench(stack: Stack): Promise<AuthHeaders> {
  const origin = 'http://localhost:3001'; // in the default CORS policy; its /callback is the stand-in's default
  const { accessToken } = await loginThroughApi(stack.base, { origin, redirectUri: `${origin}/callback` });
  return { Authorization: `Bearer ${accessToken}` };
}

/** The cell with the stack's bearer header when it needs one. */
export const withAuth = (cell: Cell, auth: AuthHeaders): Cell => (cell.auth ? { ...cell, headers: { ...cell.headers, ...auth } } : cell);

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
function estimateSec(o: Options, tool: Tool): number {
  const overhead = tool === 'wrk' ? 0.3 : 1.0;
  const runs = CELLS.length * MODES.length;
  return 15 + runs * (o.warmupSec + overhead) + o.rounds * runs * (o.durationSec + overhead);
}

function sh(cmd: string, args: string[]): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8', cwd: REPO });
  return `${r.stdout ?? ''}${r.stderr ?? ''}`.trim();
}

export function loadavg(): string {
  return os.loadavg().map((v) => v.toFixed(2)).join(' / ');
}

export function machineNote(tool: Tool, loadBefore: string): MachineNote {
  const cpuinfo = readFileSync('/proc/cpuinfo', 'utf8');
  const model = /^model name\s*:\s*(.+)$/m.exec(cpuinfo)?.[1]?.trim() ?? os.cpus()[0]?.model ?? 'unknown CPU';
  const caddy = /v\d+\.\d+\.\d+/.exec(sh(path.join(VENV_BIN, 'caddy'), ['version']))?.[0] ?? '?';
  const py = sh(path.join(VENV_BIN, 'python'), [
    '-c',
    'import sys, uvicorn, fastapi; print(sys.version.split()[0], uvicorn.__version__, fastapi.__version__)',
  ]).split(/\s+/);
  return {
    cpu: model,
    cores: os.cpus().length,
    memGiB: os.totalmem() / 2 ** 30,
    loadBefore,
    loadAfter: '',
    versions: `Node ${process.version}, Caddy ${caddy}, Python ${py[0] ?? '?'}, uvicorn ${py[1] ?? '?'}, FastAPI ${py[2] ?? '?'}`,
    tool:
      tool === 'wrk'
        ? `${toolVersion('wrk')} (C, epoll; 1 thread at 1 connection, 2 at 64; microsecond latency histogram)`
        : `${toolVersion('autocannon')} in a child Node process (percentiles from per-response times)`,
  };
}

export function commit(): string {
  const sha = sh('git', ['rev-parse', '--short', 'HEAD']);
  if (!/^[0-9a-f]{6,}$/.test(sha)) return 'unknown';
  return sh('git', ['status', '--porcelain']) ? `${sha} + local changes` : sha;
}

/**
 * Caddy's JSON access log (one line per request) reaches us through supervisord and the entrypoint:
 * if nobody reads it, the pipe fills and Caddy stops answering. Keep reading, keep only a tail.
 */
export function drainStdout(stack: Stack, keep = 32_768): () => string {
  const out = stack.child.stdout;
  if (!out) return () => '';
  out.removeAllListeners('data');
  let tail = '';
  out.on('data', (c: Buffer) => {
    tail = (tail + c.toString()).slice(-keep);
  });
  return () => tail;
}

export async function seed(stack: Stack, auth: AuthHeaders): Promise<void> {
  const headers = { ...auth, 'Content-Type': 'application/json' };
  for (let i = 1; i <= SEED_ITEMS; i++) {
    const res = await request(stack.base + ITEMS_PATH, {
      method: 'POST',
      headers,
      body: JSON.stringify({ name: `bench item ${i}` }),
    });
    if (res.status !== 201) throw new Error(`${stack.mode}: seeding ${ITEMS_PATH} answered ${res.status}: ${res.body}`);
  }
  for (const cell of CELLS.map((c) => withAuth(c, auth))) {
    const res = await request(stack.base + cell.path, { headers: cell.headers });
    if (res.status !== 200) throw new Error(`${stack.mode}: GET ${cell.path} answered ${res.status}: ${res.body}`);
    if (cell.path === ITEMS_PATH && (JSON.parse(res.body) as unknown[]).length !== SEED_ITEMS)
      throw new Error(`${stack.mode}: ${ITEMS_PATH} does not list the ${SEED_ITEMS} seeded items`);
  }
}

/** Longest the bench waits for a stalled API to answer again before it gives up on the run. */
const RECOVERY_LIMIT_MS = 60_000;
/** Start of each run not counted as steady state for upstream connection churn. */
export const RAMP_MS = 500;

/**
 * After each run: does the API still answer /api/v1/items promptly? If not (a stall outlasting the
 * run), wait until it does, so the stall does not spill into the next runs. Seconds waited, 0 if none.
 */
export async function awaitResponsive(stack: Stack, auth: AuthHeaders): Promise<number> {
  const t0 = Date.now();
  const probe = async () => {
    try {
      return (await request(stack.base + ITEMS_PATH, { headers: auth, timeoutMs: 2000 })).status === 200;
    } catch {
      return false;
    }
  };
  if (await probe()) return 0;
  while (!(await probe())) {
    if (Date.now() - t0 > RECOVERY_LIMIT_MS)
      throw new Error(`${stack.mode}: ${ITEMS_PATH} did not answer for ${RECOVERY_LIMIT_MS / 1000} s after a run`);
    await new Promise((r) => setTimeout(r, 500));
  }
  return (Date.now() - t0) / 1000;
}

export function describe(r: LoadResult): string {
  const failed = r.socketErrors + r.timeouts + r.badStatus;
  return `${fmtRps(r.rps).padStart(6)} req/s  p50 ${fmtMs(r.p50Ms).padStart(6)} ms  p99 ${fmtMs(r.p99Ms).padStart(6)} ms${failed ? `  FAILED ${failed}` : ''}`;
}

export async function main(argv: readonly string[]): Promise<number> {
  let opts: Options;
  try {
    opts = parseOptions(argv);
  } catch (e) {
    console.error((e as Error).message);
    return 2;
  }
  const tool: Tool = opts.tool ?? (findOnPath('wrk') ? 'wrk' : 'autocannon');
  if (tool === 'wrk' && !findOnPath('wrk')) {
    console.error('bench: wrk is not installed (apt-get install wrk), or use --tool autocannon');
    return 2;
  }
  const notes: string[] = [];
  if (!opts.tool && tool === 'autocannon')
    notes.push('wrk was not installed, so autocannon measured (apt-get install wrk for the lighter C generator).');
  const started = Date.now();
  const loadBefore = loadavg();
  const machine = machineNote(tool, loadBefore);
  const ticksPerSecond = clockTicksPerSecond();
  const scratch = mkdtempSync(path.join(os.tmpdir(), 'edge-bench-'));
  const runner = new LoadRunner(tool, scratch, ticksPerSecond);
  console.log(
    `bench: ${tool}, ${opts.rounds} rounds × ${CELLS.length} cells × 2 modes × ${opts.durationSec} s ` +
      `(+ ${opts.warmupSec} s warm-up each); about ${Math.ceil(estimateSec(opts, tool) / 60)} min`,
  );

  const { stacks, auth, start, close } = await authedStackGroup<Mode>('bench', scratch);

  const samples: Sample[] = [];
  const upstream: UpstreamSample[] = [];
  const cpu: CpuSample[] = [];
  const rss: RssPoint[] = [];
  /** Runs after which the API had to be waited for (round 0: warm-up); `stalled` ones left the medians. */
  const stalls: { cellId: string; mode: Mode; round: number; recoverySec: number; stalled: boolean }[] = [];
  let partial: string | undefined;
  try {
    for (const mode of MODES) {
      // One SQLite file per mode, in the scratch directory: the repo's data/ is never touched.
      const env = { DATABASE_URL: `sqlite:///${path.join(scratch, `${mode}.db`)}` };
      await start(mode, mode, env);
    }
    const stackOf = (mode: Mode) => stacks.get(mode)!;
    const authOf = (mode: Mode) => auth.get(mode)!;
    const apiPids = new Map(MODES.map((m) => [m, stackOf(m).apiPid()] as const));
    const recordRss = (when: string) => {
      for (const m of MODES) rss.push({ mode: m, when, kib: rssKiB(apiPids.get(m)!) });
    };
    recordRss('ready');

    const jobFor = (cell: Cell, mode: Mode, durationSec: number) => cellJob(stackOf(mode).base, withAuth(cell, authOf(mode)), durationSec);
    if (opts.warmupSec > 0) {
      for (const cell of CELLS) {
        for (const mode of MODES) {
          await runner.run(jobFor(cell, mode, opts.warmupSec));
          const recoverySec = await awaitResponsive(stackOf(mode), authOf(mode));
          if (recoverySec > 0) stalls.push({ cellId: cell.id, mode, round: 0, recoverySec, stalled: false });
        }
      }
    }
    recordRss('after warm-up');

    const deadline = started + opts.maxMinutes * 60_000;
    for (let round = 1; round <= opts.rounds; round++) {
      if (Date.now() > deadline) {
        partial = `stopped after ${round - 1} of ${opts.rounds} rounds (--max-minutes ${opts.maxMinutes}).`;
        break;
      }
      // A B, then B A: neither mode always runs first, so drift and after-effects fall on both.
      const order: readonly Mode[] = round % 2 === 1 ? MODES : [...MODES].reverse();
      for (const cell of CELLS) {
        for (const mode of order) {
          const stack = stackOf(mode);
          const watch = mode === 'sidecar' ? new UpstreamWatch(stack.apiPort, RAMP_MS, opts.durationSec * 1000) : undefined;
          const before = cpuSnapshot(stack.child.pid!);
          const { result, generatorCpuMs } = await runner.run(jobFor(cell, mode, opts.durationSec), () => watch?.markStart());
          const after = cpuSnapshot(stack.child.pid!);
          // The ramp-up (wrk connecting all clients, Caddy refilling a pool the previous run's abrupt
          // end emptied) is over well within RAMP_MS; connections opened later are pool churn.
          const pool = watch?.finish();
          const recoverySec = await awaitResponsive(stack, authOf(mode));
          const stalled = isStalled(result) || (recoverySec > 0 && cell.path === ITEMS_PATH);
          if (stalled || recoverySec > 0) stalls.push({ cellId: cell.id, mode, round, recoverySec, stalled });
          samples.push({ cellId: cell.id, mode, round, result, stalled });
          const cpuMsByRole = cpuDeltaMs(before, after, ticksPerSecond);
          if (Number.isFinite(generatorCpuMs)) cpuMsByRole['load generator'] = generatorCpuMs;
          cpu.push({
            cellId: cell.id,
            mode,
            round,
            cpuMsByRole,
            machineBusy: (after.machine.busy - before.machine.busy) / Math.max(1, after.machine.total - before.machine.total),
            requests: result.requests,
          });
          if (pool) {
            // Requests between the two in-run snapshots, pro rata.
            upstream.push({ cellId: cell.id, round, ...pool, steadyRequests: steadyRequests(result.requests, result.durationSec, RAMP_MS) });
          }
          const poolNote = pool
            ? `  upstream: ${pool.maxEstablished} open, ${pool.opened} new (${pool.openedSteady} after ramp-up)`
            : '';
          const stallNote = stalled || recoverySec > 0 ? `  STALLED (answered again after ${recoverySec.toFixed(0)} s)` : '';
          console.log(
            `[${round}/${opts.rounds}] ${`${cell.label} @ ${cell.connections}`.padEnd(20)} ${mode.padEnd(7)} ${describe(result)}${poolNote}${stallNote}`,
          );
        }
      }
    }
    recordRss('end');
  } catch (e) {
    console.error(`bench: ${(e as Error).message}`);
    await close();
    return 1;
  }
  await close();

  machine.loadAfter = loadavg();
  const summaries = summarize(CELLS, samples);
  if (stalls.length) {
    const name = (x: (typeof stalls)[number]) => {
      const cell = CELLS.find((c) => c.id === x.cellId)!;
      const when = x.round === 0 ? 'warm-up' : `round ${x.round}`;
      return `${cell.label} @ ${cell.connections} ${x.mode} ${when} (${x.recoverySec.toFixed(0)} s)`;
    };
    const left = stalls.filter((x) => x.stalled);
    const other = stalls.filter((x) => !x.stalled);
    notes.push(
      `**${left.length} stalled run(s)**, left out of the medians: ${left.map(name).join('; ') || 'none'}` +
        `${other.length ? `; the API also had to be waited for after: ${other.map(name).join('; ')}` : ''}. ` +
        `The API stopped answering ${ITEMS_PATH} and answered again after the seconds shown. This is the app, ` +
        'not the proxy: it stalls behind uvicorn alone too. Diagnosed while building this bench (py-spy): with ' +
        "more than 40 requests in flight, all 40 AnyIO worker threads wait in SQLAlchemy's QueuePool (5 + 10 " +
        'connections) while the requests holding those connections wait for a worker thread to serialize their ' +
        'response (FastAPI does that in the same thread pool for sync routes, before the session closes): a ' +
        'deadlock until the 30 s pool timeout.',
    );
  }
  notes.push(
    'The load generator shares the 2 cores with the servers (loopback only); absolute numbers are lower than on a ' +
      'dedicated client, the ratios within one run are what compare.',
    'Sidecar runs include what the shipped configuration costs per request: Caddy writes one JSON access-log line ' +
      '(~0.7 KB) that supervisord relays to stdout; under this harness the entrypoint relays it once more, because ' +
      "Node's child stdio is a socket (see the CPU table: supervisord, entrypoint, harness).",
    `Each mode has its own SQLite file in a temporary directory, seeded with ${SEED_ITEMS} items of tenant "${TENANT}"; ` +
      `${ITEMS_PATH} lists them (limit 50), /health/live touches no database. ${ITEMS_PATH} requests carry a ` +
      'bearer token from one login through the stack (local Auth0 stand-in): the API validates it (RS256, cached JWKS) on every request.',
  );
  const report = formatReport({
    generatedAt: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
    command: commandLine(argv),
    commit: commit(),
    machine,
    rounds: opts.rounds,
    durationSec: opts.durationSec,
    warmupSec: opts.warmupSec,
    elapsedSec: (Date.now() - started) / 1000,
    rampMs: RAMP_MS,
    summaries,
    targets: checkTargets(summaries, ITEMS_PATH),
    upstream: CELLS.map((c) => summarizeUpstream(c.id, upstream)),
    rss,
    cpu: CELLS.flatMap((c) => MODES.map((m) => summarizeCpu(c.id, m, cpu))),
    notes,
    ...(partial ? { partial } : {}),
  });
  console.log(`\n${report}`);
  if (opts.out) {
    const file = path.join(REPO, opts.out);
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, report);
    console.log(`bench: report written to ${opts.out}`);
  }
  return 0;
}

function commandLine(argv: readonly string[]): string {
  const direct = ['tools/node_modules/.bin/tsx tools/bench/sidecar-vs-direct.ts', ...argv].join(' ');
  return argv.length === 0 ? `make bench\n# same as: ${direct}` : direct;
}
