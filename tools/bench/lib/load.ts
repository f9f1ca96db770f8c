// Runs one bounded load against a URL in a separate process: wrk when installed, else autocannon.
import { fork, spawn, spawnSync } from 'node:child_process';
import { accessSync, constants, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { type LoadResult, parseWrkOutput, WRK_LUA } from './load-result.ts';
import { parseProcPidStat } from './procfs.ts';

export type Tool = 'wrk' | 'autocannon';

export interface LoadJob {
  url: string;
  connections: number;
  durationSec: number;
  headers: Record<string, string>;
  /** GET unless set. */
  method?: 'GET' | 'OPTIONS';
}

/** The load job for one table cell (endpoint and connections) against one stack's base URL. */
export function cellJob(
  base: string,
  cell: { path: string; connections: number; headers: Record<string, string> },
  durationSec: number,
): LoadJob {
  return { url: base + cell.path, connections: cell.connections, durationSec, headers: cell.headers };
}

export interface LoadRun {
  result: LoadResult;
  /** CPU the load generator itself used, ms (NaN when unknown). */
  generatorCpuMs: number;
}

const HERE = path.dirname(fileURLToPath(import.meta.url));
/** A response slower than this counts as a timeout (both tools). */
const REQUEST_TIMEOUT_SEC = 5;
/** Grace beyond the run's duration before the generator is killed. */
const KILL_GRACE_MS = 20_000;

export function findOnPath(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(':').filter(Boolean)) {
    const candidate = path.join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

/** "wrk debian/4.1.0-3+b2" or "autocannon 9.0.0" (no paths). */
export function toolVersion(tool: Tool): string {
  if (tool === 'wrk') {
    const out = spawnSync('wrk', ['--version'], { encoding: 'utf8' });
    const m = /wrk (\S+)/.exec(`${out.stdout ?? ''}${out.stderr ?? ''}`);
    return `wrk ${m?.[1] ?? '(unknown version)'}`;
  }
  const pkg = JSON.parse(readFileSync(path.join(HERE, '../../node_modules/autocannon/package.json'), 'utf8')) as {
    version: string;
  };
  return `autocannon ${pkg.version}`;
}

export class LoadRunner {
  private readonly luaFile: string;
  /** The same script, sending OPTIONS (wrk's method is the script's `wrk.method`). */
  private readonly optionsLuaFile: string;

  constructor(
    readonly tool: Tool,
    scratchDir: string,
    private readonly ticksPerSecond: number,
  ) {
    this.luaFile = path.join(scratchDir, 'result.lua');
    writeFileSync(this.luaFile, WRK_LUA);
    this.optionsLuaFile = path.join(scratchDir, 'result-options.lua');
    writeFileSync(this.optionsLuaFile, `wrk.method = "OPTIONS"\n${WRK_LUA}`);
  }

  /** One run; `onStart` is called when load is about to hit the server (after the tool's own start-up). */
  run(job: LoadJob, onStart: () => void = () => undefined): Promise<LoadRun> {
    return this.tool === 'wrk' ? this.runWrk(job, onStart) : runAutocannon(job, onStart);
  }

  private runWrk(job: LoadJob, onStart: () => void): Promise<LoadRun> {
    // Two threads at most: the machine has two cores and the servers need them too.
    const threads = Math.min(job.connections, 2);
    const args = [
      '-t',
      String(threads),
      '-c',
      String(job.connections),
      '-d',
      `${job.durationSec}s`,
      '--timeout',
      `${REQUEST_TIMEOUT_SEC}s`,
      '-s',
      job.method === 'OPTIONS' ? this.optionsLuaFile : this.luaFile,
      ...Object.entries(job.headers).flatMap(([k, v]) => ['-H', `${k}: ${v}`]),
      job.url,
    ]; // prettier-ignore
    // The shell waits for wrk, then prints its own stat line: cutime/cstime hold wrk's CPU time.
    const script = 'wrk "$@"; rc=$?; echo "BENCH_SHELL_STAT $(cat /proc/$$/stat)"; exit $rc';
    return new Promise((resolve, reject) => {
      const child = spawn('sh', ['-c', script, 'sh', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
      onStart(); // wrk starts in milliseconds
      let out = '';
      let err = '';
      child.stdout.on('data', (c: Buffer) => (out += c.toString()));
      child.stderr.on('data', (c: Buffer) => (err += c.toString()));
      const timer = setTimeout(() => child.kill('SIGKILL'), job.durationSec * 1000 + KILL_GRACE_MS);
      child.on('error', reject);
      child.on('exit', (code, signal) => {
        clearTimeout(timer);
        if (code !== 0) {
          reject(new Error(`wrk failed (${signal ?? `exit ${code}`}) on ${job.url}:\n${err}${out}`.slice(0, 2000)));
          return;
        }
        try {
          const stat = /^BENCH_SHELL_STAT (.*)$/m.exec(out)?.[1];
          const generatorCpuMs = stat ? (parseProcPidStat(stat).childTicks * 1000) / this.ticksPerSecond : Number.NaN;
          resolve({ result: parseWrkOutput(out), generatorCpuMs });
        } catch (e) {
          reject(e as Error);
        }
      });
    });
  }
}

/** Messages the autocannon child sends back: `started` once loaded, then the outcome. */
export type ChildReply = { started: true } | { ok: true; result: LoadResult; cpuMs: number } | { ok: false; error: string };
type ChildOutcome = Exclude<ChildReply, { started: true }>;

/** autocannon in its own Node process, so it does not share this one's event loop with the log drain. */
function runAutocannon(job: LoadJob, onStart: () => void): Promise<LoadRun> {
  return new Promise((resolve, reject) => {
    const child = fork(path.join(HERE, 'autocannon-child.ts'), [], {
      execArgv: process.execArgv,
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    let reply: ChildOutcome | undefined;
    // Loading TypeScript and autocannon takes the child a moment: the kill timer allows for it.
    const timer = setTimeout(() => child.kill('SIGKILL'), job.durationSec * 1000 + KILL_GRACE_MS);
    child.on('message', (m: ChildReply) => {
      if ('started' in m) onStart();
      else reply = m;
    });
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      if (reply?.ok) resolve({ result: reply.result, generatorCpuMs: reply.cpuMs });
      else
        reject(new Error(`autocannon failed (${signal ?? `exit ${code}`}): ${reply && !reply.ok ? reply.error : 'no result'}`));
    });
    child.send({ ...job, timeoutSec: REQUEST_TIMEOUT_SEC });
  });
}
