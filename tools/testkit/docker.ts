// Docker CLI helpers for the container tests and `make bench-image`: engine, image build, containers
// that are labelled per run and always removable, and a look at the processes inside them.
import { execFile, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { request } from './http.ts';
import { REPO, waitFor } from './stack.ts';

export const IMAGE = process.env.IMAGE ?? 'edge-sidecar:local';
/** Every container started here carries this label (value "1"), and RUN_LABEL=<this process's run id>. */
export const TEST_LABEL = 'edge-sidecar-test';
export const RUN_LABEL = 'edge-sidecar-test.run';
export const RUN_ID = `${process.pid}-${Date.now().toString(36)}`;
const IMAGE_SCRIPTS = path.join(REPO, 'deploy', 'image');

/** The image's own defaults (deploy/defaults.env), e.g. API_PORT when Railway does not set it. */
export function imageDefault(name: string): string {
  const line = readFileSync(path.join(REPO, 'deploy', 'defaults.env'), 'utf8')
    .split('\n')
    .find((l) => l.startsWith(`${name}=`));
  if (line === undefined) throw new Error(`deploy/defaults.env has no ${name}`);
  return line.slice(name.length + 1).replace(/^"(.*)"$/, '$1');
}

export interface CmdResult {
  code: number;
  stdout: string;
  stderr: string;
  ms: number;
}

/** Run a command to completion; never rejects on a non-zero exit (the caller judges `code`). */
export function run(
  cmd: string,
  args: string[],
  opts: { timeoutMs?: number; env?: Record<string, string> } = {},
): Promise<CmdResult> {
  const start = Date.now();
  return new Promise((resolve, reject) => {
    execFile(
      cmd,
      args,
      {
        timeout: opts.timeoutMs ?? 60_000,
        killSignal: 'SIGKILL',
        maxBuffer: 64 * 1024 * 1024,
        env: { ...process.env, ...opts.env },
        encoding: 'utf8',
      },
      (err, stdout, stderr) => {
        const ms = Date.now() - start;
        if (err && typeof err.code !== 'number') {
          if (err.killed) {
            resolve({ code: -1, stdout, stderr: `${stderr}\n${cmd} killed after ${opts.timeoutMs ?? 60_000} ms`, ms });
          } else {
            reject(new Error(`${cmd} ${args.join(' ')}: ${err.message}`));
          }
          return;
        }
        resolve({ code: err ? Number(err.code) : 0, stdout, stderr, ms });
      },
    );
  });
}

export const docker = (args: string[], timeoutMs = 60_000): Promise<CmdResult> => run('docker', args, { timeoutMs });

/** docker with a zero exit required; returns trimmed stdout. */
export async function dockerOk(args: string[], timeoutMs = 60_000): Promise<string> {
  const res = await docker(args, timeoutMs);
  if (res.code !== 0) throw new Error(`docker ${args.join(' ')} exited ${res.code}: ${res.stderr.trim()}`);
  return res.stdout.trim();
}

/** deploy/image/docker-engine.sh: no-op when `docker info` works, else installs/starts dockerd. */
export async function ensureEngine(): Promise<CmdResult> {
  const res = await run(path.join(IMAGE_SCRIPTS, 'docker-engine.sh'), [], { timeoutMs: 5 * 60_000 });
  if (res.code !== 0) throw new Error(`docker-engine.sh failed (${res.code}):\n${res.stdout}${res.stderr}`);
  return res;
}

export interface BuildOptions {
  image?: string;
  /** NO_CACHE=1: every layer again. */
  noCache?: boolean;
  /** Another copy of the repository to build (BUILD_CONTEXT). */
  context?: string;
  timeoutMs?: number;
}

/** deploy/image/build.sh (engine, base image, docker build); cached layers make a no-change build ~1 s. */
export async function buildImage(opts: BuildOptions = {}): Promise<CmdResult> {
  const env: Record<string, string> = { IMAGE: opts.image ?? IMAGE };
  if (opts.noCache) env.NO_CACHE = '1';
  if (opts.context) env.BUILD_CONTEXT = opts.context;
  const res = await run(path.join(IMAGE_SCRIPTS, 'build.sh'), [], { env, timeoutMs: opts.timeoutMs ?? 10 * 60_000 });
  if (res.code !== 0) throw new Error(`build.sh failed (${res.code}):\n${res.stdout}${res.stderr}`);
  return res;
}

export async function imageSize(image = IMAGE): Promise<number> {
  return Number(await dockerOk(['image', 'inspect', '-f', '{{.Size}}', image]));
}

let serial = 0;
/** A container name unique to this run. */
export const uniqueName = (what: string): string => `edge-sidecar-test-${what}-${RUN_ID}-${++serial}`;

/** Label arguments every container started by the tests and benches carries. */
export const labelArgs = (): string[] => ['--label', `${TEST_LABEL}=1`, '--label', `${RUN_LABEL}=${RUN_ID}`];

export interface ContainerOptions {
  image?: string;
  /** Short word for the name (e.g. "sidecar"). */
  what: string;
  /** The public port inside the container; published on 127.0.0.1 at a port Docker picks. */
  port: number;
  env?: Record<string, string>;
  /** `-v` values, e.g. "/tmp/x:/ext:ro". */
  volumes?: string[];
}

export interface Container {
  id: string;
  name: string;
  /** $PORT inside the container. */
  port: number;
  /** The published port on 127.0.0.1. */
  hostPort: number;
  /** http://127.0.0.1:<hostPort> */
  base: string;
  /** Date.now() just before `docker run`. */
  startedAt: number;
  /** True once the container has stopped (a background `docker wait` watches it). */
  exited: () => boolean;
  /** Its exit code, once it stops. */
  exitCode: Promise<number>;
  ip: () => Promise<string>;
  logs: () => Promise<string>;
  exec: (args: string[], timeoutMs?: number) => Promise<CmdResult>;
  /** `docker stop -t graceS`: how long it took and the container's exit code. */
  stop: (graceS: number) => Promise<{ ms: number; code: number }>;
  remove: () => Promise<void>;
}

/** `docker run -d` the way Railway runs the image: only env, one public port. */
export async function startContainer(opts: ContainerOptions): Promise<Container> {
  const name = uniqueName(opts.what);
  const env = { PORT: String(opts.port), ...opts.env };
  const args = [
    'run',
    '-d',
    '--name',
    name,
    ...labelArgs(),
    '-p',
    `127.0.0.1::${opts.port}`,
    ...Object.entries(env).flatMap(([k, v]) => ['-e', `${k}=${v}`]),
    ...(opts.volumes ?? []).flatMap((v) => ['-v', v]),
    opts.image ?? IMAGE,
  ];
  const startedAt = Date.now();
  const id = await dockerOk(args);
  try {
    // "127.0.0.1:32768" (Docker picks a free host port: no race with other tests for it).
    const published = await dockerOk(['port', id, `${opts.port}/tcp`]);
    const hostPort = Number(/:(\d+)\s*$/m.exec(published)?.[1]);
    if (!hostPort) throw new Error(`no published port in ${JSON.stringify(published)}`);
    let stopped = false;
    const exitCode = new Promise<number>((resolve) => {
      const w = spawn('docker', ['wait', id], { stdio: ['ignore', 'pipe', 'ignore'] });
      let out = '';
      w.stdout.on('data', (c: Buffer) => (out += c.toString()));
      w.on('close', () => {
        stopped = true;
        resolve(out.trim() === '' ? -1 : Number(out.trim()));
      });
    });
    return {
      id,
      name,
      port: opts.port,
      hostPort,
      base: `http://127.0.0.1:${hostPort}`,
      startedAt,
      exitCode,
      exited: () => stopped,
      ip: async () => {
        const ip = await dockerOk(['inspect', '-f', '{{range .NetworkSettings.Networks}}{{.IPAddress}} {{end}}', id]);
        const first = ip.split(/\s+/).find(Boolean);
        if (!first) throw new Error(`container ${name} has no IP address`);
        return first;
      },
      logs: async () => {
        const res = await docker(['logs', id]);
        return `--- docker logs ${name} (stdout)\n${res.stdout}\n--- (stderr)\n${res.stderr}`;
      },
      exec: (cmd, timeoutMs = 30_000) => docker(['exec', id, ...cmd], timeoutMs),
      stop: async (graceS) => {
        const start = Date.now();
        await dockerOk(['stop', '-t', String(graceS), id], (graceS + 30) * 1000);
        const ms = Date.now() - start;
        return { ms, code: Number(await dockerOk(['inspect', '-f', '{{.State.ExitCode}}', id])) };
      },
      remove: async () => {
        await docker(['rm', '-f', '-v', id]);
      },
    };
  } catch (err) {
    await docker(['rm', '-f', '-v', id]);
    throw err;
  }
}

/** Remove every container this run started (an `after` hook's safety net). */
export async function removeRunContainers(): Promise<void> {
  const ids = (await dockerOk(['ps', '-aq', '--filter', `label=${RUN_LABEL}=${RUN_ID}`])).split(/\s+/).filter(Boolean);
  if (ids.length) await docker(['rm', '-f', '-v', ...ids]);
}

/** Poll GET path through the published port until it answers 200 (or the container dies). */
export async function waitHealthy(
  c: Container,
  opts: { path?: string; headers?: Record<string, string>; timeoutMs?: number } = {},
): Promise<void> {
  await waitFor(
    async () =>
      (await request(c.base + (opts.path ?? '/health'), { headers: opts.headers ?? {}, timeoutMs: 1000 })).status === 200,
    opts.timeoutMs ?? 20_000,
    c.exited,
  ).catch(async (err: Error) => {
    throw new Error(`${c.name} did not answer 200 on ${opts.path ?? '/health'}: ${err.message}\n${await c.logs()}`);
  });
}

export interface ContainerProcess {
  pid: number;
  /** Real, effective, saved and filesystem UIDs, as in /proc/<pid>/status. */
  uids: number[];
  gids: number[];
  /** Resident set size in kB (VmRSS), and its anonymous and file-backed parts. */
  rssKb: number;
  rssAnonKb: number;
  rssFileKb: number;
  /** Proportional set size in kB (smaps_rollup), -1 when unreadable. */
  pssKb: number;
  argv: string[];
  /** entrypoint, supervisord, uvicorn, caddy, the module of a `python -m` program, or other. */
  role: string;
}

// Runs inside the container (the slim image has no ps): every process but itself, from /proc.
const PROC_SCRIPT = `
import json, os
out = []
for pid in filter(str.isdigit, os.listdir("/proc")):
    if int(pid) == os.getpid():
        continue
    try:
        argv = open(f"/proc/{pid}/cmdline", "rb").read().decode().split("\\0")[:-1]
        status = dict(l.split(":", 1) for l in open(f"/proc/{pid}/status").read().splitlines() if ":" in l)
    except OSError:
        continue
    kb = lambda d, k: int(d.get(k, "0 kB").split()[0])
    try:  # proportional set size: shared pages (libpython, for one) split between their users
        rollup = dict(l.split(":", 1) for l in open(f"/proc/{pid}/smaps_rollup").read().splitlines()[1:])
        pss = kb(rollup, "Pss")
    except (OSError, ValueError):
        pss = -1
    out.append({"pid": int(pid), "argv": argv, "uids": [int(x) for x in status["Uid"].split()],
                "gids": [int(x) for x in status["Gid"].split()], "rssKb": kb(status, "VmRSS"),
                "rssAnonKb": kb(status, "RssAnon"), "rssFileKb": kb(status, "RssFile"), "pssKb": pss})
print(json.dumps(out))
`;

export function roleOf(argv: string[]): string {
  if (argv.some((a) => a.endsWith('entrypoint.py'))) return 'entrypoint';
  if (argv.some((a) => a.endsWith('/supervisord') || a === 'supervisord')) return 'supervisord';
  if (argv.some((a) => a.endsWith('/uvicorn') || a === 'uvicorn')) return 'uvicorn';
  if (argv[0] !== undefined && path.basename(argv[0]) === 'caddy') return 'caddy';
  const m = argv.indexOf('-m');
  if (m >= 0 && argv[m + 1]) return argv[m + 1]!.split('.').pop()!;
  return 'other';
}

/** The container's processes as seen from inside (docker exec python reading /proc). */
export async function containerProcesses(c: Container): Promise<ContainerProcess[]> {
  const res = await c.exec(['python', '-c', PROC_SCRIPT]);
  if (res.code !== 0) throw new Error(`reading /proc in ${c.name} failed: ${res.stderr}`);
  const procs = JSON.parse(res.stdout) as Omit<ContainerProcess, 'role'>[];
  return procs.map((p) => ({ ...p, role: roleOf(p.argv) }));
}

export interface TopRow {
  pid: number;
  ruid: number;
  euid: number;
  suid: number;
  fsuid: number;
  command: string;
}

/** `docker top`: the host's view of every process in the container (needs procps on the host). */
export async function dockerTop(c: Container): Promise<TopRow[]> {
  const out = await dockerOk(['top', c.id, '-eo', 'pid,ruid,euid,suid,fsuid,args']);
  return out
    .split('\n')
    .slice(1)
    .filter((l) => l.trim())
    .map((l) => {
      const [pid, ruid, euid, suid, fsuid, ...cmd] = l.trim().split(/\s+/);
      return {
        pid: Number(pid),
        ruid: Number(ruid),
        euid: Number(euid),
        suid: Number(suid),
        fsuid: Number(fsuid),
        command: cmd.join(' '),
      };
    });
}
