// `make bench-memory`'s report: per-process and container peaks per phase, OOM checks, the load's own counts, the verdict (pure).
import type { Counts, RunSummary } from '../../src/load/tally.ts';
import type { CgroupMemory, PhasePeaks } from './memory-sample.ts';

/** The issue's targets: Caddy's anonymous memory at demo load, and the container within its limit. */
export const MEMORY_TARGETS = { caddyAnonMiBMax: 20 } as const;

export const PHASES = ['idle', 'steady', 'burst', 'headroom'] as const;
export type Phase = (typeof PHASES)[number];
/** The phases that drive load; `headroom` (a bigger burst after the demo's, optional) never decides the verdict. */
export type ShapePhase = Exclude<Phase, 'idle'>;
const SHAPE_PHASES: readonly ShapePhase[] = ['steady', 'burst', 'headroom'];

/** What docker and the cgroup say after a phase. */
export interface OomCheck {
  status: string;
  oomKilled: boolean;
  restartCount: number;
  cgroup: CgroupMemory | undefined;
}

export interface ShapeLoad {
  users: number;
  /** What ran: users, seconds or bursts. */
  label: string;
  run: RunSummary | undefined;
}

export interface MemoryReportInput {
  generatedAt: string;
  command: string;
  commit: string;
  machine: string[];
  image: string;
  limit: string;
  limitBytes: number;
  dockerRuns: string[];
  sampleMs: number;
  /** A phase that did not run has no samples. */
  phases: Record<Phase, PhasePeaks>;
  /** From `docker run` to the end of the logins: the app's start, seeding, every user's login. */
  setup: PhasePeaks;
  /** Whether each phase's kernel peak is its own (reset at its start) or counts from the container's start. */
  perPhasePeak: boolean;
  /** After each shape; undefined for one that did not run. */
  checks: Record<ShapePhase, OomCheck | undefined>;
  /** Roles whose PIDs changed from the idle phase to the end of the demo's burst (supervisord restarted them), and during the headroom burst. */
  restarted: string[];
  restartedInHeadroom: string[];
  logins: Counts;
  load: Record<ShapePhase, ShapeLoad | undefined>;
  notes: string[];
}

export interface MemoryCheck {
  rule: string;
  measured: string;
  pass: boolean;
}

export interface MemoryVerdict {
  /** Fail the run (exit 1): an OOM kill, a restart, a stopped container, a failed or CORS-less response, at demo load. */
  checks: MemoryCheck[];
  /** The issue's targets: reported, never fail the run. */
  targets: MemoryCheck[];
  /** The headroom burst beyond the demo, when it ran: reported, never fails the run. */
  headroom: MemoryCheck | undefined;
  pass: boolean;
}

const MiB = 2 ** 20;
export const mibKb = (kb: number): string => (Number.isFinite(kb) ? `${(kb / 1024).toFixed(1)}` : 'n/a');
export const mibB = (b: number): string =>
  b === Number.POSITIVE_INFINITY ? 'none' : Number.isFinite(b) ? `${(b / MiB).toFixed(1)}` : 'n/a';
const count = (v: number): string => (Number.isFinite(v) ? String(v) : 'n/a');
const ms = (v: number | undefined): string => (v !== undefined && Number.isFinite(v) ? `${v.toFixed(v < 10 ? 2 : 1)} ms` : 'n/a');
const pct = (part: number, whole: number): string => (Number.isFinite(part) ? `${Math.round((part / whole) * 100)} %` : 'n/a');

/** Phases that took samples (a headroom burst that was not asked for did not). */
const ran = (r: Pick<MemoryReportInput, 'phases'>): Phase[] => PHASES.filter((p) => r.phases[p].samples > 0);

/** Known roles first, in the order they start, the rest after. */
const ORDER = ['entrypoint', 'supervisord', 'caddy', 'uvicorn', 'watchdog'];
export function orderedRoles(phases: Record<Phase, PhasePeaks>): string[] {
  const roles = new Set(PHASES.flatMap((p) => Object.keys(phases[p].roles)));
  const rank = (r: string) => (ORDER.includes(r) ? ORDER.indexOf(r) : ORDER.length);
  return [...roles].sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
}

const oomKills = (c: OomCheck | undefined): number => c?.cgroup?.oomKill ?? Number.NaN;
const killed = (c: OomCheck | undefined): boolean => c !== undefined && (c.oomKilled || oomKills(c) > 0);

/**
 * The kernel's peak from `docker run` to the end of the demo's burst (bytes; NaN when the cgroup has no peak figure):
 * the highest phase when each phase has its own peak, else the reading at the burst's end.
 */
export function demoPeak(r: Pick<MemoryReportInput, 'setup' | 'phases' | 'perPhasePeak'>): number {
  const peaks = [r.setup, r.phases.idle, r.phases.steady, r.phases.burst]
    .map((ph) => ph.last?.peakBytes ?? Number.NaN)
    .filter((v) => Number.isFinite(v));
  if (!peaks.length) return Number.NaN;
  return r.perPhasePeak ? Math.max(...peaks) : peaks[peaks.length - 1]!;
}

export function judgeMemory(r: MemoryReportInput): MemoryVerdict {
  const end = r.checks.burst ?? r.checks.steady;
  const demoKilled = killed(r.checks.steady) || killed(r.checks.burst);
  const peak = demoPeak(r);
  const shapes = [r.load.steady?.run, r.load.burst?.run];
  const failed = r.logins.failed + shapes.reduce((a, s) => a + (s?.failed ?? 0), 0);
  const corsless = r.logins.corsless + shapes.reduce((a, s) => a + (s?.corsless ?? 0), 0);
  const sent = r.logins.sent + shapes.reduce((a, s) => a + (s?.requests ?? 0), 0);
  const checks: MemoryCheck[] = [
    {
      rule: "nothing OOM-killed at demo load (docker State.OOMKilled, the cgroup's oom_kill count)",
      measured: `OOMKilled ${end?.oomKilled ?? 'n/a'}, oom_kill ${count(oomKills(end))}`,
      pass: end !== undefined && !demoKilled,
    },
    {
      rule: 'the container still runs, no process restarted',
      measured: `${end?.status ?? 'n/a'}, restarts ${end?.restartCount ?? 'n/a'}${r.restarted.length ? `, new PIDs for ${r.restarted.join(', ')}` : ', same PIDs'}`,
      pass: end?.status === 'running' && end.restartCount === 0 && r.restarted.length === 0,
    },
    { rule: 'no failed response (logins, steady, burst)', measured: `${failed} failed of ${sent}`, pass: failed === 0 },
    { rule: 'no CORS-less response', measured: `${corsless} CORS-less of ${sent}`, pass: corsless === 0 },
  ];
  const caddy = r.phases.steady.roles.caddy;
  const caddyAnonMiB = caddy ? caddy.anonKb / 1024 : Number.NaN;
  const targets: MemoryCheck[] = [
    {
      rule: `Caddy's anonymous memory (RssAnon) ≤ ${MEMORY_TARGETS.caddyAnonMiBMax} MiB at demo load (${r.load.steady?.users ?? '?'} users, peak of the samples)`,
      measured: `${mibKb(caddy?.anonKb ?? Number.NaN)} MiB (RSS ${mibKb(caddy?.rssKb ?? Number.NaN)} MiB); at the demo's burst ${mibKb(r.phases.burst.roles.caddy?.anonKb ?? Number.NaN)} MiB`,
      pass: caddyAnonMiB <= MEMORY_TARGETS.caddyAnonMiBMax,
    },
    {
      rule: `the container fits a ${r.limit} limit at demo load (the kernel's peak from docker run to the end of the burst below the limit, no OOM kill)`,
      measured: `peak ${mibB(peak)} MiB of ${mibB(r.limitBytes)} MiB (${pct(peak, r.limitBytes)}), working set peak ${mibB(
        Math.max(r.phases.steady.workingSetBytes, r.phases.burst.workingSetBytes),
      )} MiB, limit hits ${count(end?.cgroup?.limitHits ?? Number.NaN)}`,
      pass: end !== undefined && !demoKilled && Number.isFinite(peak) && peak < r.limitBytes,
    },
  ];
  const h = r.phases.headroom;
  const hl = r.load.headroom;
  const hc = r.checks.headroom;
  let headroom: MemoryCheck | undefined;
  if (hl && hc && h.samples > 0) {
    const hp = r.perPhasePeak ? (h.last?.peakBytes ?? Number.NaN) : Number.NaN;
    const hPeak = Number.isFinite(hp) ? hp : h.usageBytes;
    const failedH = hl.run?.failed ?? Number.NaN;
    const corsH = hl.run?.corsless ?? Number.NaN;
    headroom = {
      rule: `${hl.label}, after the demo (${(hl.users / Math.max(1, r.load.burst?.users ?? hl.users)).toFixed(0)} × the demo's burst)`,
      measured:
        `${Number.isFinite(hp) ? "kernel's peak" : 'sampled peak'} ${mibB(hPeak)} MiB (${pct(hPeak, r.limitBytes)} of the limit); Caddy RssAnon ${mibKb(h.roles.caddy?.anonKb ?? NaN)} MiB, ` +
        `uvicorn ${mibKb(h.roles.uvicorn?.anonKb ?? NaN)} MiB; oom_kill ${count(oomKills(hc))}, OOMKilled ${hc.oomKilled}, ` +
        `${r.restartedInHeadroom.length ? `restarted: ${r.restartedInHeadroom.join(', ')}` : 'no restart'}; ${count(failedH)} failed, ${count(corsH)} CORS-less`,
      pass: !killed(hc) && hPeak < r.limitBytes && r.restartedInHeadroom.length === 0 && failedH === 0 && corsH === 0,
    };
  }
  return { checks, targets, headroom, pass: checks.every((c) => c.pass) };
}

const HEAD: Record<Phase, string> = { idle: 'idle', steady: 'steady', burst: 'burst', headroom: 'headroom burst' };

/** The per-process table: peak RSS and RssAnon of each phase that ran, MiB; the last column is the kernel's VmHWM at the end. */
export function processTable(r: Pick<MemoryReportInput, 'phases'>): string {
  const phases = ran(r);
  const cells = (ph: Phase) =>
    ph === 'idle' ? [`${HEAD[ph]} RSS / anon`] : [`${HEAD[ph]} peak RSS`, `${HEAD[ph]} peak RssAnon`];
  const head = ['process', 'n', ...phases.flatMap(cells), 'VmHWM at end'];
  const rows = [
    `| ${head.join(' | ')} |`,
    `| --- | ${head
      .slice(1)
      .map(() => '---:')
      .join(' | ')} |`,
  ];
  const fmt = (ph: Phase, rss: number, anon: number, bold: boolean) =>
    ph === 'idle' ? [`${mibKb(rss)} / ${mibKb(anon)}`] : [mibKb(rss), bold ? `**${mibKb(anon)}**` : mibKb(anon)];
  for (const role of orderedRoles(r.phases)) {
    const peaks = phases.map((p) => r.phases[p].roles[role]);
    const n = Math.max(...peaks.map((x) => x?.processes ?? 0));
    const last = [...peaks].reverse().find((x) => x !== undefined);
    rows.push(
      `| ${role} | ${n} | ${phases.flatMap((p, i) => fmt(p, peaks[i]?.rssKb ?? NaN, peaks[i]?.anonKb ?? NaN, true)).join(' | ')} | ${mibKb(last?.hwmKb ?? NaN)} |`,
    );
  }
  rows.push(
    `| sum of processes | | ${phases.flatMap((p) => fmt(p, r.phases[p].allRssKb, r.phases[p].allAnonKb, false)).join(' | ')} | |`,
  );
  return rows.join('\n');
}

/** The container's cgroup: sampled peaks per phase (the start too), then the kernel's own counters at each phase's end. */
export function containerTable(r: MemoryReportInput): string {
  const cols: [string, PhasePeaks][] = [
    ['start: boot, seed, logins', r.setup],
    ...ran(r).map((p): [string, PhasePeaks] => [HEAD[p], r.phases[p]]),
  ];
  const row = (what: string, f: (ph: PhasePeaks, i: number) => string) =>
    `| ${what} | ${cols.map(([, ph], i) => f(ph, i)).join(' | ')} |`;
  const peakRow = r.perPhasePeak
    ? "**kernel's peak during the phase** (v1 max_usage_in_bytes, reset at the phase's start; MiB)"
    : "**kernel's peak since the container started**, read at the phase's end (MiB)";
  const shapeOf = (i: number): ShapePhase | undefined => {
    const p = ran(r)[i - 1];
    return p === undefined || p === 'idle' ? undefined : p;
  };
  return [
    `| container (cgroup) | ${cols.map(([name]) => name).join(' | ')} |`,
    `| --- | ${cols.map(() => '---:').join(' | ')} |`,
    row('usage, peak of the samples (MiB; includes page cache)', (ph) => mibB(ph.usageBytes)),
    row('working set, peak of the samples (usage − inactive file, as docker stats; MiB)', (ph) => mibB(ph.workingSetBytes)),
    row('anonymous memory of the cgroup, peak of the samples (MiB)', (ph) => mibB(ph.anonBytes)),
    row(peakRow, (ph) => `**${mibB(ph.last?.peakBytes ?? NaN)}**`),
    row('limit (MiB)', (ph) => mibB(ph.last?.limitBytes ?? NaN)),
    row('limit hits so far (reclaim at the limit; not an OOM)', (ph) => count(ph.last?.limitHits ?? NaN)),
    row('oom_kill so far (cgroup)', (ph) => count(ph.last?.oomKill ?? NaN)),
    row('OOMKilled (docker inspect, after the shape)', (_ph, i) => {
      const shape = shapeOf(i);
      const c = shape ? r.checks[shape] : undefined;
      return c ? String(c.oomKilled) : '–';
    }),
    row('samples', (ph) => `${ph.samples} over ${ph.seconds.toFixed(0)} s`),
  ].join('\n');
}

/** The load's own counts, so the memory figures are known to come from real, checked traffic. */
export function loadTable(r: MemoryReportInput): string {
  const rows = [
    '| traffic | users | requests | req/s | failed | CORS-less | p50 | p95 | p99 |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  ];
  rows.push(
    `| logins (auth0-url, stand-in, POST login), before idle | ${r.logins.sent} | ${r.logins.sent * 2} API calls | | ${r.logins.failed} | ${r.logins.corsless} | | | |`,
  );
  for (const ph of SHAPE_PHASES) {
    const l = r.load[ph];
    if (!l) continue;
    const s = l.run;
    rows.push(
      s
        ? `| ${l.label} | ${s.users} | ${s.requests} | ${s.rps.toFixed(1)} | ${s.failed} | ${s.corsless} | ${ms(s.all.p50)} | ${ms(s.all.p95)} | ${ms(s.all.p99)} |`
        : `| ${l.label} | ${l.users} | not run | | | | | | |`,
    );
  }
  return rows.join('\n');
}

const verdictRows = (v: MemoryVerdict): string =>
  [
    '| | rule | measured | |',
    '| --- | --- | --- | --- |',
    ...v.checks.map((c) => `| check | ${c.rule} | ${c.measured} | ${c.pass ? 'pass' : '**FAIL**'} |`),
    ...v.targets.map((t) => `| target | ${t.rule} | ${t.measured} | ${t.pass ? 'met' : '**missed**'} |`),
    ...(v.headroom
      ? [`| headroom | ${v.headroom.rule} | ${v.headroom.measured} | ${v.headroom.pass ? 'fits' : '**does not fit**'} |`]
      : []),
  ].join('\n');

/** Findings computed from the figures: who holds the anonymous memory, and how Caddy and uvicorn grow with a bigger burst. */
export function findings(r: Pick<MemoryReportInput, 'phases' | 'load'>): string[] {
  const out: string[] = [];
  const idle = r.phases.idle;
  const anon = (ph: PhasePeaks, role: string) => ph.roles[role]?.anonKb ?? Number.NaN;
  const helpers = ['entrypoint', 'supervisord', 'watchdog'].filter((x) => idle.roles[x]);
  if (Number.isFinite(idle.allAnonKb) && idle.allAnonKb > 0) {
    const parts = orderedRoles(r.phases)
      .filter((role) => idle.roles[role])
      .map((role) => `${role} ${mibKb(anon(idle, role))} MiB (${pct(anon(idle, role), idle.allAnonKb)})`);
    out.push(`At idle the processes hold ${mibKb(idle.allAnonKb)} MiB of anonymous memory: ${parts.join(', ')}.`);
    if (helpers.length) {
      const h = helpers.reduce((a, x) => a + anon(idle, x), 0);
      out.push(
        `The Python helpers that serve no request (${helpers.join(', ')}) hold ${mibKb(h)} MiB of it (${pct(h, idle.allAnonKb)}), each a whole interpreter: the largest share that is not the API (uvicorn) or the proxy.`,
      );
    }
  }
  const demo = r.load.burst;
  const big = r.load.headroom;
  if (demo && big && r.phases.headroom.samples > 0 && big.users > demo.users) {
    const extra = big.users - demo.users;
    const grow = (role: string) => anon(r.phases.headroom, role) - anon(r.phases.burst, role);
    const per = (role: string) => `${(grow(role) / extra).toFixed(0)} KiB`;
    out.push(
      `From the demo's burst (${demo.users} users) to the headroom burst (${big.users}), Caddy's RssAnon grew by ${mibKb(grow('caddy'))} MiB (about ${per('caddy')} per extra simultaneous user: connections and their buffers) and uvicorn's by ${mibKb(grow('uvicorn'))} MiB (about ${per('uvicorn')}).`,
    );
  }
  return out;
}

export function formatMemoryReport(r: MemoryReportInput, v: MemoryVerdict = judgeMemory(r)): string {
  return [
    '# Memory fit: the image under a container memory limit at demo load and at the burst',
    '',
    `Generated by \`make bench-memory\` at ${r.generatedAt} (commit ${r.commit}). Not part of \`make test\`.`,
    '',
    '```sh',
    r.command,
    '```',
    '',
    '## Verdict',
    '',
    verdictRows(v),
    '',
    `**${v.pass ? 'PASS' : 'FAIL'}**${v.pass ? ': nothing was OOM-killed or restarted and every response was answered with its CORS headers.' : '.'}`,
    '',
    ...((f) => (f.length ? ['## Where the memory goes', '', ...f.map((x) => `- ${x}`), ''] : []))(findings(r)),
    `## Processes (MiB = 2^20 bytes; peaks of ${r.sampleMs} ms samples; **RssAnon** is what a limit has to hold)`,
    '',
    processTable(r),
    '',
    '## Container',
    '',
    containerTable(r),
    '',
    '## The load (the scenario of `make load`, its own checks)',
    '',
    loadTable(r),
    '',
    '## How it ran',
    '',
    ...r.machine.map((m) => `- ${m}`),
    '- Containers (host paths shown as placeholders):',
    '',
    '```sh',
    ...r.dockerRuns,
    '```',
    '',
    '## Method and caveats',
    '',
    ...r.notes.map((n) => `- ${n}`),
    '',
  ].join('\n');
}

export function memoryVerdictLines(v: MemoryVerdict): string[] {
  return [
    ...v.checks.map((c) => `bench-memory: ${c.pass ? 'pass' : 'FAIL'}  ${c.rule}: ${c.measured}`),
    ...v.targets.map((t) => `bench-memory: target ${t.pass ? 'met   ' : 'missed'} ${t.rule}: ${t.measured}`),
    ...(v.headroom
      ? [`bench-memory: headroom ${v.headroom.pass ? 'fits' : 'DOES NOT FIT'} ${v.headroom.rule}: ${v.headroom.measured}`]
      : []),
    v.pass ? 'bench-memory: PASS' : `bench-memory: FAIL (${v.checks.filter((c) => !c.pass).length} check(s) failed)`,
  ];
}
