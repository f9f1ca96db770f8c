// `make bench-memory`'s samples: per-process memory from /proc/<pid>/status, the cgroup's memory files (v1 or v2), peaks per phase (pure).

/** Memory of one process, kB as /proc/<pid>/status gives it. */
export interface ProcMemory {
  pid: number;
  /** entrypoint, supervisord, uvicorn, caddy, watchdog, ... (tools/testkit/docker.ts roleOf). */
  role: string;
  /** VmRSS, and its parts: RssAnon (heap, stacks: what a limit really has to hold), RssFile (mapped files), RssShmem. */
  rssKb: number;
  anonKb: number;
  fileKb: number;
  shmemKb: number;
  /** VmHWM: the kernel's high-water mark of VmRSS since the process started. */
  hwmKb: number;
}

/** The memory lines of /proc/<pid>/status (NaN for a missing line, e.g. a zombie's). */
export function parseProcStatusMemory(text: string): Omit<ProcMemory, 'pid' | 'role'> {
  const kb = (name: string): number => {
    const m = new RegExp(`^${name}:\\s+(\\d+)\\s+kB`, 'm').exec(text);
    return m ? Number(m[1]) : Number.NaN;
  };
  return { rssKb: kb('VmRSS'), anonKb: kb('RssAnon'), fileKb: kb('RssFile'), shmemKb: kb('RssShmem'), hwmKb: kb('VmHWM') };
}

/** "key value" lines (memory.stat, memory.events, memory.oom_control) into numbers; other lines are skipped. */
export function parseFlatKeyed(text: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const line of text.split('\n')) {
    const m = /^(\S+)\s+(\d+)\s*$/.exec(line);
    if (m) out[m[1]!] = Number(m[2]);
  }
  return out;
}

export type CgroupVersion = 1 | 2;

/** The files read for each cgroup version (relative to the container's memory cgroup directory). */
export const CGROUP_FILES: Record<CgroupVersion, readonly string[]> = {
  1: [
    'memory.usage_in_bytes',
    'memory.max_usage_in_bytes',
    'memory.limit_in_bytes',
    'memory.stat',
    'memory.oom_control',
    'memory.failcnt',
  ],
  2: ['memory.current', 'memory.peak', 'memory.max', 'memory.stat', 'memory.events'],
};

/** The container's memory as its cgroup accounts it, bytes. NaN where this kernel or version has no such figure. */
export interface CgroupMemory {
  version: CgroupVersion;
  /** Everything charged: anonymous memory, page cache, kernel memory (v1 memory.usage_in_bytes, v2 memory.current). */
  usageBytes: number;
  /** The kernel's high-water mark of usage since the cgroup was made (v1 max_usage_in_bytes, v2 memory.peak). */
  peakBytes: number;
  limitBytes: number;
  /** Anonymous memory of the whole cgroup (v1 total_rss, v2 anon). */
  anonBytes: number;
  /** Page cache (v1 total_cache, v2 file). */
  fileBytes: number;
  /** What `docker stats` shows: usage less inactive page cache (the part the kernel drops first). */
  workingSetBytes: number;
  /** Times usage hit the limit and the kernel had to reclaim (v1 failcnt, v2 events `max`): not an OOM. */
  limitHits: number;
  /** v2 events `oom` (allocations that failed after reclaim); v1 has no counter, NaN. */
  oom: number;
  /** Processes the OOM killer ended in this cgroup (v1 oom_control `oom_kill`, kernels ≥ 4.13; v2 events `oom_kill`). */
  oomKill: number;
}

const bytes = (raw: string | undefined): number => {
  const v = raw?.trim();
  if (v === undefined || v === '') return Number.NaN;
  if (v === 'max') return Number.POSITIVE_INFINITY;
  return /^\d+$/.test(v) ? Number(v) : Number.NaN;
};
const orNaN = (v: number | undefined): number => (v === undefined ? Number.NaN : v);

/** The figures of CgroupMemory from the files of CGROUP_FILES[version] (missing files: NaN figures). */
export function cgroupMemory(version: CgroupVersion, files: Readonly<Record<string, string | undefined>>): CgroupMemory {
  const stat = parseFlatKeyed(files['memory.stat'] ?? '');
  if (version === 1) {
    const usage = bytes(files['memory.usage_in_bytes']);
    const oomControl = parseFlatKeyed(files['memory.oom_control'] ?? '');
    const inactive = orNaN(stat.total_inactive_file ?? stat.inactive_file);
    return {
      version,
      usageBytes: usage,
      peakBytes: bytes(files['memory.max_usage_in_bytes']),
      // v1 writes "no limit" as a page-aligned huge number.
      limitBytes: ((l) => (l >= 2 ** 62 ? Number.POSITIVE_INFINITY : l))(bytes(files['memory.limit_in_bytes'])),
      anonBytes: orNaN(stat.total_rss ?? stat.rss),
      fileBytes: orNaN(stat.total_cache ?? stat.cache),
      workingSetBytes: Number.isFinite(inactive) ? Math.max(0, usage - inactive) : usage,
      limitHits: bytes(files['memory.failcnt']),
      oom: Number.NaN,
      oomKill: orNaN(oomControl.oom_kill),
    };
  }
  const events = parseFlatKeyed(files['memory.events'] ?? '');
  const usage = bytes(files['memory.current']);
  const inactive = orNaN(stat.inactive_file);
  return {
    version,
    usageBytes: usage,
    peakBytes: bytes(files['memory.peak']),
    limitBytes: bytes(files['memory.max']),
    anonBytes: orNaN(stat.anon),
    fileBytes: orNaN(stat.file),
    workingSetBytes: Number.isFinite(inactive) ? Math.max(0, usage - inactive) : usage,
    limitHits: orNaN(events.max),
    oom: orNaN(events.oom),
    oomKill: orNaN(events.oom_kill),
  };
}

/** One role's highest figures over a phase, kB; a role with several processes is summed within each sample. */
export interface RolePeak {
  /** Most processes of this role seen in one sample. */
  processes: number;
  rssKb: number;
  anonKb: number;
  /** VmHWM at the last sample (summed over the role's processes): peak RSS since each process started. */
  hwmKb: number;
}

/** The highest figures of a phase: per role, and the cgroup's (bytes). */
export interface PhasePeaks {
  samples: number;
  seconds: number;
  roles: Record<string, RolePeak>;
  /** Sum over all processes of the container, per sample, then the highest (counts shared pages once per process). */
  allRssKb: number;
  allAnonKb: number;
  usageBytes: number;
  workingSetBytes: number;
  anonBytes: number;
  /** The cgroup's own counters as read at the last sample of the phase (peak since the container started). */
  last: CgroupMemory | undefined;
}

const max = (a: number, b: number): number => (Number.isNaN(a) ? b : Number.isNaN(b) ? a : Math.max(a, b));

/** Collects the samples of one phase (each second: the container's processes and its cgroup). */
export class PhaseTracker {
  #samples = 0;
  #first = Number.NaN;
  #lastAt = Number.NaN;
  #roles: Record<string, RolePeak> = {};
  #allRss = Number.NaN;
  #allAnon = Number.NaN;
  #usage = Number.NaN;
  #ws = Number.NaN;
  #anon = Number.NaN;
  #last: CgroupMemory | undefined;

  observe(procs: readonly ProcMemory[], cg: CgroupMemory | undefined, atMs: number): void {
    this.#samples++;
    if (Number.isNaN(this.#first)) this.#first = atMs;
    this.#lastAt = atMs;
    const byRole: Record<string, RolePeak> = {};
    for (const p of procs) {
      const r = (byRole[p.role] ??= { processes: 0, rssKb: 0, anonKb: 0, hwmKb: 0 });
      r.processes++;
      r.rssKb += p.rssKb || 0;
      r.anonKb += p.anonKb || 0;
      r.hwmKb += p.hwmKb || 0;
    }
    for (const [role, r] of Object.entries(byRole)) {
      const peak = this.#roles[role];
      this.#roles[role] = peak
        ? {
            processes: Math.max(peak.processes, r.processes),
            rssKb: Math.max(peak.rssKb, r.rssKb),
            anonKb: Math.max(peak.anonKb, r.anonKb),
            hwmKb: r.hwmKb,
          }
        : r;
    }
    if (procs.length) {
      this.#allRss = max(
        this.#allRss,
        procs.reduce((a, p) => a + (p.rssKb || 0), 0),
      );
      this.#allAnon = max(
        this.#allAnon,
        procs.reduce((a, p) => a + (p.anonKb || 0), 0),
      );
    }
    if (cg) {
      this.#usage = max(this.#usage, cg.usageBytes);
      this.#ws = max(this.#ws, cg.workingSetBytes);
      this.#anon = max(this.#anon, cg.anonBytes);
      this.#last = cg;
    }
  }

  peaks(): PhasePeaks {
    return {
      samples: this.#samples,
      seconds: this.#samples ? (this.#lastAt - this.#first) / 1000 : 0,
      roles: structuredClone(this.#roles),
      allRssKb: this.#allRss,
      allAnonKb: this.#allAnon,
      usageBytes: this.#usage,
      workingSetBytes: this.#ws,
      anonBytes: this.#anon,
      last: this.#last,
    };
  }
}

/**
 * The roles whose processes at the end are not those of the start (supervisord restarted them); roles in `transient`
 * (short-lived by design, such as a health check Docker runs) are not compared.
 */
export function restartedRoles(
  before: readonly ProcMemory[],
  after: readonly ProcMemory[],
  transient: readonly string[] = [],
): string[] {
  const pids = (ps: readonly ProcMemory[], role: string) =>
    ps
      .filter((p) => p.role === role)
      .map((p) => p.pid)
      .sort((a, b) => a - b)
      .join(',');
  const roles = [...new Set([...before, ...after].map((p) => p.role))].filter((r) => !transient.includes(r)).sort();
  return roles.filter((r) => pids(before, r) !== pids(after, r));
}
