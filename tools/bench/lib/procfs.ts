// Pure parsers for the /proc files the benchmark samples (sockets, CPU time, memory); no I/O here.

export interface TcpSocket {
  localPort: number;
  remotePort: number;
  /** Kernel state code: 1 ESTABLISHED, 6 TIME_WAIT, 10 LISTEN, ... (include/net/tcp_states.h). */
  state: number;
}

export const TCP_ESTABLISHED = 1;
export const TCP_LISTEN = 10;

/** Rows of /proc/net/tcp or /proc/net/tcp6 (ports and state; addresses are not needed). */
export function parseProcNetTcp(text: string): TcpSocket[] {
  const sockets: TcpSocket[] = [];
  for (const line of text.split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length < 4) continue;
    const local = f[1]!.split(':');
    const remote = f[2]!.split(':');
    const localPort = parseInt(local[local.length - 1]!, 16);
    const remotePort = parseInt(remote[remote.length - 1]!, 16);
    const state = parseInt(f[3]!, 16);
    if ([localPort, remotePort, state].some((n) => !Number.isFinite(n))) continue;
    sockets.push({ localPort, remotePort, state });
  }
  return sockets;
}

/**
 * The proxy's ephemeral ports of every connection to the API on `apiPort` that the kernel still
 * knows, in any state: seen from the proxy's side (remote port = apiPort) or from the API's side
 * (local port = apiPort, not the listener). A connection closed normally lingers in TIME_WAIT on the
 * side that closed first, so a snapshot right after a run still sees it (one reset by an abort does not).
 */
export function upstreamPeerPorts(sockets: readonly TcpSocket[], apiPort: number): Set<number> {
  const ports = new Set<number>();
  for (const s of sockets) {
    if (s.remotePort === apiPort && s.localPort !== apiPort) ports.add(s.localPort);
    else if (s.localPort === apiPort && s.state !== TCP_LISTEN && s.remotePort !== 0) ports.add(s.remotePort);
  }
  return ports;
}

/** Open proxy-to-API connections right now (counted once, on the proxy's side). */
export function establishedUpstream(sockets: readonly TcpSocket[], apiPort: number): number {
  return sockets.filter((s) => s.remotePort === apiPort && s.localPort !== apiPort && s.state === TCP_ESTABLISHED).length;
}

/** How many ports in `after` were not in `before`: connections opened in between. */
export function newPorts(before: ReadonlySet<number>, after: ReadonlySet<number>): number {
  let n = 0;
  for (const p of after) if (!before.has(p)) n++;
  return n;
}

export interface ProcStat {
  pid: number;
  comm: string;
  ppid: number;
  /** utime + stime of the whole process (all threads), in clock ticks. */
  cpuTicks: number;
  /** cutime + cstime: children it has waited for, in clock ticks. */
  childTicks: number;
}

/** /proc/<pid>/stat; the command name may hold spaces and parentheses, so split after the last ')'. */
export function parseProcPidStat(text: string): ProcStat {
  const open = text.indexOf('(');
  const close = text.lastIndexOf(')');
  if (open < 0 || close < open) throw new Error(`not a /proc/<pid>/stat line: ${text.slice(0, 60)}`);
  const rest = text
    .slice(close + 2)
    .trim()
    .split(/\s+/);
  // rest[0] is field 3 (state); utime, stime, cutime, cstime are fields 14 to 17.
  const [ppid, utime, stime, cutime, cstime] = [1, 11, 12, 13, 14].map((i) => Number(rest[i]));
  if (![ppid, utime, stime, cutime, cstime].every((n) => Number.isFinite(n))) throw new Error('malformed /proc/<pid>/stat');
  return {
    pid: Number(text.slice(0, open).trim()),
    comm: text.slice(open + 1, close),
    ppid: ppid!,
    cpuTicks: utime! + stime!,
    childTicks: cutime! + cstime!,
  };
}

/** VmRSS of /proc/<pid>/status in KiB (NaN when absent, e.g. a zombie). */
export function parseVmRssKiB(status: string): number {
  const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
  return m ? Number(m[1]) : Number.NaN;
}

export interface CpuTimes {
  busy: number;
  total: number;
}

/** The aggregate `cpu` line of /proc/stat: busy = everything but idle and iowait. */
export function parseProcStatCpu(text: string): CpuTimes {
  const line = text.split('\n').find((l) => l.startsWith('cpu '));
  if (!line) throw new Error('no cpu line in /proc/stat');
  const v = line.trim().split(/\s+/).slice(1, 9).map(Number);
  const total = v.reduce((a, b) => a + b, 0);
  return { busy: total - (v[3] ?? 0) - (v[4] ?? 0), total };
}

/** Share of machine CPU that was busy between two /proc/stat samples, 0..1. */
export function busyShare(a: CpuTimes, b: CpuTimes): number {
  const dt = b.total - a.total;
  return dt > 0 ? (b.busy - a.busy) / dt : Number.NaN;
}

/** Which part of the stack a process is, from its command name (and whether it is the stack's root). */
export function roleOf(comm: string, isRoot: boolean): string {
  if (comm === 'caddy') return 'caddy';
  if (comm === 'uvicorn') return 'uvicorn';
  if (comm === 'supervisord') return 'supervisord';
  // The entrypoint runs as `python`; anything else (say, a supervisord event listener) is "other".
  return isRoot ? 'entrypoint' : 'other';
}
