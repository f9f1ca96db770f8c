// `make bench-memory`'s containers: the image under a memory limit, the Auth0 stand-in beside it (its own cgroup, the
// API's network), and a sampler that reads their memory from the host's /proc and cgroup files (I/O).
import { existsSync, readdirSync, readFileSync, realpathSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { DEFAULTS } from '../../src/auth0-standin/config.ts';
import { docker, dockerOk, IMAGE, labelArgs, RUN_ID, roleOf } from '../../testkit/docker.ts';
import { request } from '../../testkit/http.ts';
import { REPO, waitFor } from '../../testkit/stack.ts';
import {
  CGROUP_FILES,
  type CgroupMemory,
  type CgroupVersion,
  cgroupMemory,
  type ProcMemory,
  parseProcStatusMemory,
} from './memory-sample.ts';
import { parseProcPidStat } from './procfs.ts';

/** Every container here is named with this prefix (and carries the test labels, so removeRunContainers finds it). */
export const NAME_PREFIX = 'edge-memfit-';
/** The stand-in's container runs from the image the sidecar's image is built on: no other image is needed. */
export const STANDIN_IMAGE = 'debian:trixie-slim';
/** $PORT inside the API container (what Railway sets; the image's default). */
export const PUBLIC_PORT = 8080;
/** Where the stand-in's container sees the repo's tools/ (read-only) and, when it comes from the host, the Node binary. */
const TOOLS_IN = '/edge/tools';
const NODE_IN = '/usr/local/bin/node';

/**
 * The Node the stand-in's container runs: the npm `node-linux-<arch>` package's binary when tools/node_modules has one
 * (it is inside the tools/ mount), else this process's own binary, mounted. Both need only glibc, libstdc++ and libgcc_s,
 * which the slim base has.
 */
function standinNode(): { inContainer: string; mounts: string[]; shown: string } {
  const npm = path.join(REPO, 'tools', 'node_modules', `node-linux-${process.arch}`, 'bin', 'node');
  if (existsSync(npm))
    return {
      inContainer: `${TOOLS_IN}/node_modules/node-linux-${process.arch}/bin/node`,
      mounts: [],
      shown: `npm node-linux-${process.arch}`,
    };
  const host = realpathSync(process.execPath);
  return { inContainer: NODE_IN, mounts: ['-v', `${host}:${NODE_IN}:ro`], shown: `host ${process.version}` };
}

/** AUTH0_* of an API that trusts the stand-in of standin-container.ts on `port` (its defaults: see auth0-standin/config.ts). */
export function standinAuthEnv(port: number): Record<string, string> {
  return {
    AUTH0_ISSUER: `http://127.0.0.1:${port}/`,
    AUTH0_AUDIENCE: DEFAULTS.audience,
    AUTH0_CLIENT_ID: DEFAULTS.clientId,
    AUTH0_CLIENT_SECRET: DEFAULTS.clientSecret,
    AUTH0_TENANT_CLAIM: DEFAULTS.tenantClaim,
  };
}

export interface ContainerState {
  status: string;
  oomKilled: boolean;
  exitCode: number;
  restartCount: number;
}

export interface MemfitContainers {
  api: { id: string; name: string; base: string };
  /** `node`: which Node binary runs it (npm package or the host's). */
  standin: { id: string; name: string; issuer: string; node: string };
  /** The `docker run` lines as run (for the report). */
  commands: string[];
  state: () => Promise<ContainerState>;
  logs: (which: 'api' | 'standin', tail?: number) => Promise<string>;
  remove: () => Promise<void>;
}

export interface MemfitOptions {
  /** `docker run --memory` (and --memory-swap, so no swap): e.g. 256m. */
  limit: string;
  /** The stand-in's port: the same number on the host's 127.0.0.1 and inside the API's network. */
  standinPort: number;
  tokenTtlSec: number;
  /** More environment for the API container (CORS_MAX_AGE, ...). */
  env: Record<string, string>;
  image?: string;
}

const quote = (a: string): string => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replaceAll("'", `'\\''`)}'`);

/** The API container under the limit, then the stand-in in its network namespace; resolves once both answer. */
export async function startMemfit(o: MemfitOptions): Promise<MemfitContainers> {
  const apiName = `${NAME_PREFIX}api-${RUN_ID}`;
  const standinName = `${NAME_PREFIX}standin-${RUN_ID}`;
  const env = { PORT: String(PUBLIC_PORT), ...standinAuthEnv(o.standinPort), ...o.env };
  const apiArgs = [
    'run',
    '-d',
    '--name',
    apiName,
    ...labelArgs(),
    '--memory',
    o.limit,
    '--memory-swap',
    o.limit,
    '-p',
    `127.0.0.1::${PUBLIC_PORT}`,
    '-p',
    `127.0.0.1:${o.standinPort}:${o.standinPort}`,
    ...Object.entries(env).flatMap(([k, v]) => ['-e', `${k}=${v}`]),
    o.image ?? IMAGE,
  ];
  const node = standinNode();
  const standinArgs = [
    'run',
    '-d',
    '--name',
    standinName,
    ...labelArgs(),
    '--network',
    `container:${apiName}`,
    '--user',
    '65534:65534',
    '--read-only',
    '--tmpfs',
    '/tmp',
    '-e',
    'HOME=/tmp',
    '-v',
    `${path.join(REPO, 'tools')}:${TOOLS_IN}:ro`,
    ...node.mounts,
    '-w',
    TOOLS_IN,
    STANDIN_IMAGE,
    node.inContainer,
    '--import',
    'tsx',
    `${TOOLS_IN}/bench/lib/standin-container.ts`,
    JSON.stringify({ port: o.standinPort, tokenTtlSec: o.tokenTtlSec }),
  ];
  // Host paths stay out of the report: the command lines name them by role.
  const shown = (args: string[]) =>
    `docker ${args
      .map((a) => a.replace(path.join(REPO, 'tools'), '<repo>/tools').replace(realpathSync(process.execPath), '<host node>'))
      .map(quote)
      .join(' ')}`;
  const commands = [shown(apiArgs), shown(standinArgs)];

  const remove = async () => {
    await docker(['rm', '-f', '-v', standinName, apiName]);
  };
  try {
    const apiId = await dockerOk(apiArgs);
    const standinId = await dockerOk(standinArgs);
    const published = await dockerOk(['port', apiId, `${PUBLIC_PORT}/tcp`]);
    const hostPort = Number(/127\.0\.0\.1:(\d+)\s*$/m.exec(published)?.[1]);
    if (!hostPort) throw new Error(`no published port in ${JSON.stringify(published)}`);
    const base = `http://127.0.0.1:${hostPort}`;
    const issuer = `http://127.0.0.1:${o.standinPort}/`;
    const logs = async (which: 'api' | 'standin', tail = 40) => {
      const r = await docker(['logs', '--tail', String(tail), which === 'api' ? apiId : standinId]);
      return `--- docker logs ${which === 'api' ? apiName : standinName}\n${r.stdout}${r.stderr}`;
    };
    const state = async (): Promise<ContainerState> => {
      const out = await dockerOk(['inspect', '-f', '{{.RestartCount}} {{json .State}}', apiId]);
      const sp = out.indexOf(' ');
      const s = JSON.parse(out.slice(sp + 1)) as { Status: string; OOMKilled: boolean; ExitCode: number };
      return { status: s.Status, oomKilled: s.OOMKilled, exitCode: s.ExitCode, restartCount: Number(out.slice(0, sp)) };
    };
    const running = async (id: string) => (await dockerOk(['inspect', '-f', '{{.State.Running}}', id])) === 'true';
    await waitFor(
      async () => (await request(`${issuer}.well-known/openid-configuration`, { timeoutMs: 1000 })).status === 200,
      60_000,
      () => false,
    ).catch(async (err: Error) => {
      throw new Error(
        `the stand-in did not answer on ${issuer} (${err.message})${(await running(standinId)) ? '' : ' and its container stopped'}\n${await logs('standin')}`,
      );
    });
    await waitFor(
      async () => (await request(`${base}/health`, { timeoutMs: 1000 })).status === 200,
      90_000,
      () => false,
    ).catch(async (err: Error) => {
      throw new Error(`the API container did not answer 200 on /health (${err.message})\n${await logs('api')}`);
    });
    return {
      api: { id: apiId, name: apiName, base },
      standin: { id: standinId, name: standinName, issuer, node: node.shown },
      commands,
      state,
      logs,
      remove,
    };
  } catch (err) {
    await remove();
    throw err;
  }
}

/** Where the container's memory figures are read: the host's cgroup directory, or (fallback) `docker exec cat` inside. */
export interface CgroupSource {
  version: CgroupVersion;
  /** Host path of the container's memory cgroup; undefined when only the container's own view works. */
  hostDir: string | undefined;
}

/** Processes in the container's cgroup that are not its init's descendants: `docker exec`, the image's HEALTHCHECK. */
export const EXEC_ROLE = 'exec (HEALTHCHECK)';

/** PIDs of `root` and all its descendants, from the host's /proc (ppid of every process). */
function descendants(root: number): number[] {
  const children = new Map<number, number[]>();
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const st = parseProcPidStat(readFileSync(`/proc/${e}/stat`, 'utf8'));
      const list = children.get(st.ppid) ?? [];
      list.push(st.pid);
      children.set(st.ppid, list);
    } catch {
      // ended while we looked
    }
  }
  const out: number[] = [];
  const walk = (pid: number) => {
    out.push(pid);
    for (const c of children.get(pid) ?? []) walk(c);
  };
  walk(root);
  return out;
}

/** Reads the API container's processes and cgroup once per call; `init` first. */
export class ContainerSampler {
  #pid = 0;
  source: CgroupSource | undefined;

  constructor(readonly containerId: string) {}

  async init(): Promise<void> {
    this.#pid = Number(await dockerOk(['inspect', '-f', '{{.State.Pid}}', this.containerId]));
    if (!this.#pid || !existsSync(`/proc/${this.#pid}/status`))
      throw new Error(`container ${this.containerId}: its init (pid ${this.#pid}) is not visible in this host's /proc`);
    const lines = readFileSync(`/proc/${this.#pid}/cgroup`, 'utf8').split('\n');
    const v1 = lines.map((l) => /^\d+:([^:]*):(.*)$/.exec(l)).find((m) => m && m[1]!.split(',').includes('memory'));
    if (v1) {
      const dir = path.join('/sys/fs/cgroup/memory', v1[2]!);
      this.source = { version: 1, hostDir: existsSync(path.join(dir, 'memory.usage_in_bytes')) ? dir : undefined };
    } else {
      const v2 = lines.map((l) => /^0::(.*)$/.exec(l)).find(Boolean);
      const dir = v2 ? path.join('/sys/fs/cgroup', v2[1]!) : '';
      this.source = { version: 2, hostDir: dir && existsSync(path.join(dir, 'memory.current')) ? dir : undefined };
    }
  }

  /**
   * The container's processes, memory from the host's /proc/<pid>/status: init and its descendants, plus (when the
   * host sees the cgroup) what Docker starts in the cgroup from outside, i.e. the image's HEALTHCHECK (role EXEC_ROLE).
   */
  processes(): ProcMemory[] {
    const out: ProcMemory[] = [];
    const tree = descendants(this.#pid);
    const inTree = new Set(tree);
    let members: number[] = [];
    if (this.source?.hostDir) {
      try {
        members = readFileSync(path.join(this.source.hostDir, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean).map(Number);
      } catch {
        members = [];
      }
    }
    for (const pid of [...tree, ...members.filter((p) => !inTree.has(p))]) {
      try {
        const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').slice(0, -1);
        const role = inTree.has(pid) ? roleOf(argv) : EXEC_ROLE;
        out.push({ pid, role, ...parseProcStatusMemory(readFileSync(`/proc/${pid}/status`, 'utf8')) });
      } catch {
        // ended while we looked
      }
    }
    return out;
  }

  /**
   * Restart the kernel's peak from the current usage, so each phase gets its own (cgroup v1, from the host: writing 0 to
   * memory.max_usage_in_bytes). False where that is not possible (v2's memory.peak resets only per open file).
   */
  resetPeak(): boolean {
    if (this.source?.version !== 1 || !this.source.hostDir) return false;
    try {
      writeFileSync(path.join(this.source.hostDir, 'memory.max_usage_in_bytes'), '0');
      return true;
    } catch {
      return false;
    }
  }

  /** The cgroup's memory files, parsed. */
  async cgroup(): Promise<CgroupMemory | undefined> {
    const s = this.source;
    if (!s) return undefined;
    const names = CGROUP_FILES[s.version];
    const files: Record<string, string | undefined> = {};
    if (s.hostDir) {
      for (const n of names) {
        try {
          files[n] = readFileSync(path.join(s.hostDir, n), 'utf8');
        } catch {
          files[n] = undefined;
        }
      }
    } else {
      // Inside the container the cgroup is mounted at the usual place; `cat` is a short-lived process in the cgroup.
      const dir = s.version === 1 ? '/sys/fs/cgroup/memory' : '/sys/fs/cgroup';
      const script = names.map((n) => `echo '==> ${n}'; cat ${dir}/${n} 2>/dev/null`).join('; ');
      const r = await docker(['exec', this.containerId, 'sh', '-c', script], 10_000);
      if (r.code !== 0) return undefined;
      for (const part of r.stdout.split(/^==> /m).slice(1)) {
        const nl = part.indexOf('\n');
        files[part.slice(0, nl).trim()] = part.slice(nl + 1);
      }
    }
    return cgroupMemory(s.version, files);
  }
}
