// Reads /proc for the benchmark: upstream sockets, CPU time of the stack's processes, uvicorn memory.
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import {
  type CpuTimes,
  establishedUpstream,
  newPorts,
  type ProcStat,
  parseProcNetTcp,
  parseProcPidStat,
  parseProcStatCpu,
  parseVmRssKiB,
  roleOf,
  type TcpSocket,
  upstreamPeerPorts,
} from './procfs.ts';
import { END_SNAPSHOT_MS } from './resources.ts';

function readOr(file: string, fallback: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return fallback;
  }
}

/** Clock ticks per second for /proc CPU times (USER_HZ; 100 on every mainstream Linux). */
export function clockTicksPerSecond(): number {
  const out = spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' });
  const n = Number(out.stdout?.trim());
  return Number.isInteger(n) && n > 0 ? n : 100;
}

/** IPv4 sockets: the API listens on 127.0.0.1 and Caddy dials it there (tcp6 holds only the client side). */
export function tcpSockets(): TcpSocket[] {
  return parseProcNetTcp(readOr('/proc/net/tcp', ''));
}

export function machineCpu(): CpuTimes {
  return parseProcStatCpu(readFileSync('/proc/stat', 'utf8'));
}

export function rssKiB(pid: number): number {
  return parseVmRssKiB(readOr(`/proc/${pid}/status`, ''));
}

/** The process `rootPid` and all its descendants, as they are now. */
export function processTree(rootPid: number): ProcStat[] {
  const all: ProcStat[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const text = readOr(`/proc/${entry}/stat`, '');
    if (!text) continue;
    try {
      all.push(parseProcPidStat(text));
    } catch {
      // a process that vanished mid-read
    }
  }
  const inTree = new Set([rootPid]);
  for (let grew = true; grew; ) {
    grew = false;
    for (const p of all) {
      if (!inTree.has(p.pid) && inTree.has(p.ppid)) {
        inTree.add(p.pid);
        grew = true;
      }
    }
  }
  return all.filter((p) => inTree.has(p.pid));
}

/** CPU ticks per pid of one stack, with the role each pid plays. */
export interface CpuSnapshot {
  ticks: Map<number, { role: string; ticks: number }>;
  machine: CpuTimes;
  /** This process (the harness draining the stack's logs), microseconds. */
  self: NodeJS.CpuUsage;
}

export function cpuSnapshot(rootPid: number): CpuSnapshot {
  const ticks = new Map<number, { role: string; ticks: number }>();
  for (const p of processTree(rootPid)) ticks.set(p.pid, { role: roleOf(p.comm, p.pid === rootPid), ticks: p.cpuTicks });
  return { ticks, machine: machineCpu(), self: process.cpuUsage() };
}

/** CPU ms by role between two snapshots of the same stack (processes born in between count whole). */
export function cpuDeltaMs(a: CpuSnapshot, b: CpuSnapshot, ticksPerSecond: number): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [pid, now] of b.ticks) {
    const before = a.ticks.get(pid)?.ticks ?? 0;
    out[now.role] = (out[now.role] ?? 0) + ((now.ticks - before) * 1000) / ticksPerSecond;
  }
  out['harness'] = (b.self.user - a.self.user + b.self.system - a.self.system) / 1000;
  return out;
}

/**
 * Caddy's connections to the API around one run, from four snapshots of the socket table: before,
 * when the ramp-up is over, shortly before the load ends, and after. Reading /proc/net/tcp costs a
 * few milliseconds of CPU (the kernel walks every socket), so it is not polled: two reads fall inside
 * the run, where they compete with the servers.
 */
export class UpstreamWatch {
  private readonly before: Set<number>;
  private ramp: Set<number> | undefined;
  private end: Set<number> | undefined;
  readonly establishedBefore: number;
  private maxEstablished: number;
  private readonly timers: NodeJS.Timeout[] = [];

  constructor(
    private readonly apiPort: number,
    private readonly rampMs: number,
    private readonly durationMs: number,
  ) {
    const sockets = tcpSockets();
    this.before = upstreamPeerPorts(sockets, apiPort);
    this.establishedBefore = establishedUpstream(sockets, apiPort);
    this.maxEstablished = this.establishedBefore;
  }

  /** The load begins now: schedule the two snapshots inside the run. */
  markStart(): void {
    this.timers.push(setTimeout(() => (this.ramp = this.snapshot()), this.rampMs));
    this.timers.push(setTimeout(() => (this.end = this.snapshot()), Math.max(this.rampMs, this.durationMs - END_SNAPSHOT_MS)));
  }

  private snapshot(): Set<number> {
    const sockets = tcpSockets();
    this.maxEstablished = Math.max(this.maxEstablished, establishedUpstream(sockets, this.apiPort));
    return upstreamPeerPorts(sockets, this.apiPort);
  }

  /**
   * After the run: every connection opened during it (alive or in TIME_WAIT), and those opened
   * between the ramp-up and the end snapshot, while every client was connected: pool churn.
   */
  finish(): { establishedBefore: number; maxEstablished: number; opened: number; openedSteady: number } {
    for (const t of this.timers) clearTimeout(t);
    const after = this.snapshot();
    const seen = new Set([...(this.ramp ?? []), ...(this.end ?? []), ...after]);
    const known = new Set([...this.before, ...(this.ramp ?? [])]);
    return {
      establishedBefore: this.establishedBefore,
      maxEstablished: this.maxEstablished,
      opened: newPorts(this.before, seen),
      openedSteady: this.ramp ? newPorts(known, this.end ?? after) : Number.NaN,
    };
  }
}
