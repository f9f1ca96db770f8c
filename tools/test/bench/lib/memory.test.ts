// `make bench-memory`'s pure parts: /proc and cgroup parsing, peaks per phase, settings, the verdict (nothing is started).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseMemoryEnv } from '../../../bench/lib/memory-options.ts';
import {
  demoPeak,
  formatMemoryReport,
  judgeMemory,
  type MemoryReportInput,
  type OomCheck,
} from '../../../bench/lib/memory-report.ts';
import {
  type CgroupMemory,
  cgroupMemory,
  PhaseTracker,
  type ProcMemory,
  parseFlatKeyed,
  parseProcStatusMemory,
  restartedRoles,
} from '../../../bench/lib/memory-sample.ts';
import { LoadOptionsError } from '../../../src/load/options.ts';

const STATUS = `Name:\tcaddy
VmPeak:\t 1300000 kB
VmHWM:\t   56000 kB
VmRSS:\t   54000 kB
RssAnon:\t   16000 kB
RssFile:\t   38000 kB
RssShmem:\t       0 kB
Threads:\t12
`;

test('/proc/<pid>/status: RSS, its anonymous and file parts, the high-water mark', () => {
  assert.deepEqual(parseProcStatusMemory(STATUS), { rssKb: 54000, anonKb: 16000, fileKb: 38000, shmemKb: 0, hwmKb: 56000 });
  assert.ok(Number.isNaN(parseProcStatusMemory('Name:\tzombie\n').rssKb), 'a zombie has no VmRSS');
});

test('flat keyed files: numbers only, other lines skipped', () => {
  assert.deepEqual(parseFlatKeyed('oom_kill_disable 0\nunder_oom 0\noom_kill 2\nweird line here\n'), {
    oom_kill_disable: 0,
    under_oom: 0,
    oom_kill: 2,
  });
});

test('cgroup v1: usage, peak, limit, working set without inactive cache, failcnt and oom_kill', () => {
  const MiB = 2 ** 20;
  const cg = cgroupMemory(1, {
    'memory.usage_in_bytes': `${150 * MiB}\n`,
    'memory.max_usage_in_bytes': `${160 * MiB}\n`,
    'memory.limit_in_bytes': `${256 * MiB}\n`,
    'memory.stat': `cache ${1 * MiB}\nrss ${1 * MiB}\ntotal_cache ${20 * MiB}\ntotal_rss ${130 * MiB}\ntotal_inactive_file ${5 * MiB}\n`,
    'memory.oom_control': 'oom_kill_disable 0\nunder_oom 0\noom_kill 0\n',
    'memory.failcnt': '3\n',
  });
  assert.deepEqual(
    { ...cg },
    {
      version: 1,
      usageBytes: 150 * MiB,
      peakBytes: 160 * MiB,
      limitBytes: 256 * MiB,
      anonBytes: 130 * MiB,
      fileBytes: 20 * MiB,
      workingSetBytes: 145 * MiB,
      limitHits: 3,
      oom: NaN,
      oomKill: 0,
    },
  );
  assert.equal(cgroupMemory(1, { 'memory.limit_in_bytes': '9223372036854771712' }).limitBytes, Infinity, 'no limit');
  assert.ok(Number.isNaN(cgroupMemory(1, {}).oomKill), 'an old kernel without the counter: unknown, not 0');
});

test('cgroup v2: memory.current, memory.peak, "max", memory.events', () => {
  const cg = cgroupMemory(2, {
    'memory.current': '1000\n',
    'memory.peak': '2000\n',
    'memory.max': 'max\n',
    'memory.stat': 'anon 600\nfile 300\ninactive_file 100\n',
    'memory.events': 'low 0\nhigh 0\nmax 4\noom 1\noom_kill 1\noom_group_kill 0\n',
  });
  assert.deepEqual(
    { ...cg },
    {
      version: 2,
      usageBytes: 1000,
      peakBytes: 2000,
      limitBytes: Infinity,
      anonBytes: 600,
      fileBytes: 300,
      workingSetBytes: 900,
      limitHits: 4,
      oom: 1,
      oomKill: 1,
    },
  );
});

const proc = (pid: number, role: string, rssKb: number, anonKb: number, hwmKb = rssKb): ProcMemory => ({
  pid,
  role,
  rssKb,
  anonKb,
  fileKb: rssKb - anonKb,
  shmemKb: 0,
  hwmKb,
});
const cgAt = (usage: number, peak: number): CgroupMemory => ({
  ...cgroupMemory(2, {}),
  usageBytes: usage,
  peakBytes: peak,
  workingSetBytes: usage,
  anonBytes: usage / 2,
});

test('a phase keeps the highest per-role sums of its samples, the last high-water mark, the last cgroup reading', () => {
  const t = new PhaseTracker();
  t.observe(
    [proc(1, 'caddy', 50_000, 14_000), proc(2, 'uvicorn', 90_000, 60_000), proc(3, 'other', 10, 5), proc(4, 'other', 20, 5)],
    cgAt(100, 150),
    0,
  );
  t.observe([proc(1, 'caddy', 52_000, 13_000, 56_000), proc(2, 'uvicorn', 80_000, 65_000)], cgAt(120, 160), 1000);
  const p = t.peaks();
  assert.equal(p.samples, 2);
  assert.equal(p.seconds, 1);
  assert.deepEqual(p.roles.caddy, { processes: 1, rssKb: 52_000, anonKb: 14_000, hwmKb: 56_000 });
  assert.deepEqual(p.roles.other, { processes: 2, rssKb: 30, anonKb: 10, hwmKb: 30 }, 'two processes of one role are summed');
  assert.equal(p.allRssKb, 140_030);
  assert.equal(p.usageBytes, 120);
  assert.equal(p.last?.peakBytes, 160);
});

test('restarts: a role whose PIDs changed, transient roles not compared', () => {
  const before = [proc(10, 'caddy', 1, 1), proc(11, 'uvicorn', 1, 1), proc(50, 'exec', 1, 1)];
  assert.deepEqual(restartedRoles(before, [proc(10, 'caddy', 1, 1), proc(12, 'uvicorn', 1, 1)], ['exec']), ['uvicorn']);
  assert.deepEqual(
    restartedRoles(before, [proc(10, 'caddy', 1, 1), proc(11, 'uvicorn', 1, 1), proc(51, 'exec', 1, 1)], ['exec']),
    [],
  );
});

test('settings: the limit with its unit, the report path, longer load defaults, the fault refused', () => {
  const o = parseMemoryEnv({});
  assert.equal(o.limit, '256m');
  assert.equal(o.limitBytes, 256 * 2 ** 20);
  assert.equal(o.out, 'docs/bench/memory.md');
  assert.equal(o.load.users, 25);
  assert.equal(o.load.seconds, 60);
  assert.equal(o.load.bursts, 10);
  assert.deepEqual(o.load.shapes, ['steady', 'burst']);
  assert.equal(parseMemoryEnv({ MEMORY_LIMIT: '1G', LOAD_SECONDS: '5', MEMORY_OUT: '-' }).limitBytes, 2 ** 30);
  assert.equal(parseMemoryEnv({ MEMORY_OUT: '-' }).out, undefined);
  for (const bad of [
    { MEMORY_LIMIT: '256' },
    { MEMORY_LIMIT: '1m' },
    { MEMORY_OUT: '/tmp/x.md' },
    { MEMORY_OUT: '../x.md' },
    { MEMORY_BUILD: 'yes' },
    { LOAD_FAULT: 'drop-cors' },
  ]) {
    assert.throws(() => parseMemoryEnv(bad), LoadOptionsError, JSON.stringify(bad));
  }
});

function input(
  over: {
    oomKill?: number;
    oomKilled?: boolean;
    caddyAnonKb?: number;
    peakMiB?: number;
    failed?: number;
    headroomMiB?: number;
  } = {},
): MemoryReportInput {
  const MiB = 2 ** 20;
  const phase = (peakMiB: number, caddyAnonKb: number) => {
    const t = new PhaseTracker();
    t.observe(
      [proc(1, 'caddy', 50_000, caddyAnonKb), proc(2, 'uvicorn', 90_000, 60_000)],
      { ...cgAt(100 * MiB, peakMiB * MiB), oomKill: over.oomKill ?? 0, limitBytes: 256 * MiB },
      0,
    );
    return t.peaks();
  };
  const check: OomCheck = {
    status: 'running',
    oomKilled: over.oomKilled ?? false,
    restartCount: 0,
    cgroup: { ...cgAt(100 * MiB, 150 * MiB), oomKill: over.oomKill ?? 0 },
  };
  const run = {
    users: 25,
    requests: 1000,
    rps: 30,
    all: { n: 1000, p50: 5, p95: 20, p99: 40, max: 90 },
    byKind: {} as never,
    failed: over.failed ?? 0,
    corsless: 0,
    loopLagP99Ms: 1,
    pageReady: undefined,
  };
  return {
    generatedAt: 't',
    command: 'make bench-memory',
    commit: 'abc',
    machine: ['m'],
    image: 'edge-sidecar:local',
    limit: '256m',
    limitBytes: 256 * MiB,
    dockerRuns: ['docker run ...'],
    sampleMs: 1000,
    setup: phase(140, 14_000),
    phases: {
      idle: phase(140, 14_000),
      steady: phase(over.peakMiB ?? 150, over.caddyAnonKb ?? 16_000),
      burst: phase(145, 17_000),
      headroom: over.headroomMiB ? phase(over.headroomMiB, 40_000) : new PhaseTracker().peaks(),
    },
    perPhasePeak: true,
    checks: { steady: check, burst: check, headroom: over.headroomMiB ? check : undefined },
    restarted: [],
    restartedInHeadroom: [],
    logins: { sent: 25, failed: 0, corsless: 0 },
    load: {
      steady: { users: 25, label: 'steady', run },
      burst: { users: 25, label: 'burst', run },
      headroom: over.headroomMiB ? { users: 200, label: 'headroom burst', run: { ...run, users: 200 } } : undefined,
    },
    notes: [],
  };
}

test('the verdict: an OOM kill or a failed response fails the run; Caddy and the limit are targets, met or missed with the figure', () => {
  const ok = judgeMemory(input());
  assert.equal(ok.pass, true);
  assert.deepEqual(
    ok.targets.map((t) => t.pass),
    [true, true],
  );
  assert.match(ok.targets[0]!.measured, /^15\.6 MiB/);
  assert.equal(judgeMemory(input({ oomKill: 1 })).pass, false);
  assert.equal(judgeMemory(input({ oomKilled: true })).pass, false);
  assert.equal(judgeMemory(input({ failed: 2 })).pass, false);
  const fat = judgeMemory(input({ caddyAnonKb: 30_000, peakMiB: 300 }));
  assert.equal(fat.pass, true, 'targets never fail the run');
  assert.deepEqual(
    fat.targets.map((t) => t.pass),
    [false, false],
  );
  assert.match(fat.targets[1]!.measured, /peak 300\.0 MiB of 256\.0 MiB/);
  assert.match(formatMemoryReport(input()), /\| caddy \| 1 \|/);
  assert.equal(ok.headroom, undefined, 'no headroom burst asked for: none reported');
  assert.doesNotMatch(formatMemoryReport(input()), /headroom burst/);
});

test('the headroom burst is reported, with its own columns, and never decides the verdict', () => {
  const over = judgeMemory(input({ headroomMiB: 300 }));
  assert.equal(over.pass, true);
  assert.equal(over.targets[1]!.pass, true, 'the fit is judged at demo load');
  assert.equal(over.headroom?.pass, false);
  assert.match(over.headroom!.measured, /kernel's peak 300\.0 MiB \(117 % of the limit\); Caddy RssAnon 39\.1 MiB/);
  assert.match(over.headroom!.rule, /8 × the demo's burst/);
  const doc = formatMemoryReport(input({ headroomMiB: 200 }));
  assert.match(doc, /\| headroom burst peak RSS \| headroom burst peak RssAnon \|/);
  assert.match(doc, /\| headroom \| .* \| fits \|/);
  assert.match(doc, /Caddy's RssAnon grew by 22\.5 MiB \(about 131 KiB per extra simultaneous user/);
  assert.match(
    doc,
    /At idle the processes hold 72\.3 MiB of anonymous memory: caddy 13\.7 MiB \(19 %\), uvicorn 58\.6 MiB \(81 %\)/,
  );
});

test("the demo's peak: the highest phase when each phase has its own, else the reading at the burst's end; never the headroom burst", () => {
  const r = input({ peakMiB: 200, headroomMiB: 250 });
  assert.equal(demoPeak(r), 200 * 2 ** 20);
  assert.equal(demoPeak({ ...r, perPhasePeak: false }), 145 * 2 ** 20);
});
