// `make bench-memory`: the image under `docker run --memory`, the demo scenario's steady load and burst against it,
// every process's memory and the cgroup's sampled throughout, OOM checked after each shape; the report and the verdict.
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { type Driver, startDriver } from '../../src/load/driver.ts';
import { LoadOptionsError } from '../../src/load/options.ts';
import { type LoadTarget, type PlanResult, runPlan, seedItems } from '../../src/load/run.ts';
import { PAGE_ITEMS } from '../../src/load/scenario.ts';
import { type Counts, counts } from '../../src/load/tally.ts';
import { buildImage, dockerOk, ensureEngine, IMAGE, imageSize, removeRunContainers } from '../../testkit/docker.ts';
import { freePort, REPO } from '../../testkit/stack.ts';
import { commit, loadavg } from './machine.ts';
import { ContainerSampler, EXEC_ROLE, type MemfitContainers, STANDIN_IMAGE, startMemfit } from './memory-container.ts';
import { MEMORY_USAGE, type MemoryOptions, parseMemoryEnv } from './memory-options.ts';
import {
  formatMemoryReport,
  judgeMemory,
  memoryVerdictLines,
  type OomCheck,
  PHASES,
  type Phase,
  type ShapePhase,
} from './memory-report.ts';
import { type PhasePeaks, PhaseTracker, type ProcMemory, restartedRoles } from './memory-sample.ts';

type Env = Readonly<Record<string, string | undefined>>;
const log = (line: string): void => console.log(line);

/** Samples every `periodMs` into the tracker of the current phase until stopped; `now` takes one sample at once. */
function startSampling(sampler: ContainerSampler, periodMs: number) {
  const trackers = new Map<Phase | 'setup', PhaseTracker>([
    ['setup', new PhaseTracker()],
    ...PHASES.map((p) => [p, new PhaseTracker()] as const),
  ]);
  let phase: Phase | 'setup' = 'setup';
  let running = true;
  let lastProcs: ProcMemory[] = [];
  let errors = 0;
  let perPhasePeak = true;
  const now = async (): Promise<void> => {
    try {
      const at = Date.now();
      const procs = sampler.processes();
      const cg = await sampler.cgroup();
      lastProcs = procs;
      trackers.get(phase)!.observe(procs, cg, at);
    } catch (err) {
      if (errors++ < 3) log(`bench-memory: a sample failed: ${(err as Error).message}`);
    }
  };
  const loop = (async () => {
    while (running) {
      const t0 = Date.now();
      await now();
      await sleep(Math.max(0, periodMs - (Date.now() - t0)));
    }
  })();
  return {
    /** Close the current phase with one last sample and open the next one with a first (and its own kernel peak). */
    enter: async (next: Phase): Promise<void> => {
      await now();
      perPhasePeak = sampler.resetPeak() && perPhasePeak;
      phase = next;
      await now();
    },
    /** True when every phase's kernel peak is its own (reset at its start), false when it counts from the container's start. */
    perPhasePeak: () => perPhasePeak,
    processes: () => lastProcs,
    peaks: (p: Phase | 'setup') => trackers.get(p)!.peaks(),
    stop: async (): Promise<void> => {
      await now();
      running = false;
      await loop;
    },
  };
}

async function oomCheck(c: MemfitContainers, sampler: ContainerSampler): Promise<OomCheck> {
  const s = await c.state();
  return { status: s.status, oomKilled: s.oomKilled, restartCount: s.restartCount, cgroup: await sampler.cgroup() };
}

function commandLine(env: Env): string {
  const set = Object.keys(env)
    .filter((k) => k.startsWith('MEMORY_') || k.startsWith('LOAD_'))
    .sort()
    .map((k) => `${k}=${env[k]}`);
  return (
    [...set, 'make bench-memory'].join(' ') +
    '\n# same as: ' +
    [...set, 'tools/node_modules/.bin/tsx tools/bench/memory-fit.ts'].join(' ')
  );
}

/** Versions inside the image, read once the measurement is over (a `docker exec` is a process in the measured cgroup). */
async function imageVersions(c: MemfitContainers): Promise<string> {
  const py = await dockerOk([
    'exec',
    c.api.id,
    'python',
    '-c',
    'import sys, uvicorn, fastapi; print(sys.version.split()[0], uvicorn.__version__, fastapi.__version__)',
  ]).catch(() => '? ? ?');
  const caddy = await dockerOk(['exec', c.api.id, 'caddy', 'version']).catch(() => '?');
  const [p, u, f] = py.split(/\s+/);
  return `Caddy ${/v\d+\.\d+\.\d+/.exec(caddy)?.[0] ?? '?'}, Python ${p ?? '?'}, uvicorn ${u ?? '?'}, FastAPI ${f ?? '?'}`;
}

interface Measured {
  plans: { steady: PlanResult; burst: PlanResult; headroom: PlanResult | undefined };
  /** Why the headroom burst has no result, when it broke off (the API stopped answering, say). */
  headroomError: string | undefined;
  logins: Counts;
  checks: Record<ShapePhase, OomCheck | undefined>;
  restarted: string[];
  restartedInHeadroom: string[];
  peaks: Record<Phase, PhasePeaks>;
  setup: PhasePeaks;
  perPhasePeak: boolean;
  cgroupSource: string;
  versions: string;
  seconds: number;
}

async function measure(c: MemfitContainers, o: MemoryOptions): Promise<Measured> {
  const target: LoadTarget = { mode: 'sidecar', base: c.api.base };
  const stacks = new Map([['sidecar', target]] as const);
  const sampler = new ContainerSampler(c.api.id);
  await sampler.init();
  const s = startSampling(sampler, o.sampleMs);
  let driver: Driver | undefined;
  const t0 = Date.now();
  try {
    log(`bench-memory: seeding ${PAGE_ITEMS} items through ${c.api.base}`);
    await seedItems(target);
    driver = startDriver();
    // Everyone logs in before the idle phase, so no phase but the start carries the logins' load.
    const users = Math.max(o.load.users, o.load.burstUsers, o.headroomUsers);
    const loginTally = await driver.login({ base: c.api.base, users });
    const logins = counts(loginTally, ['login']);
    log(`bench-memory: ${logins.sent} users logged in through the stand-in, ${logins.failed} failed`);
    await s.enter('idle');
    log(`bench-memory: idle ${o.idleSeconds} s`);
    await sleep(o.idleSeconds * 1000);
    const before = s.processes();
    await s.enter('steady');
    const steady = await runPlan(stacks, driver, { ...o.load, shapes: ['steady'] }, log);
    await s.enter('burst');
    const afterSteady = await oomCheck(c, sampler);
    const burst = await runPlan(stacks, driver, { ...o.load, shapes: ['burst'] }, log);
    const afterBurst = await oomCheck(c, sampler);
    const demoEnd = s.processes();
    let headroom: PlanResult | undefined;
    let headroomError: string | undefined;
    let afterHeadroom: OomCheck | undefined;
    if (o.headroomUsers > 0) {
      await s.enter('headroom');
      try {
        headroom = await runPlan(
          stacks,
          driver,
          { ...o.load, shapes: ['burst'], burstUsers: o.headroomUsers, bursts: o.headroomBursts },
          log,
        );
      } catch (err) {
        headroomError = (err as Error).message;
        log(`bench-memory: the headroom burst broke off: ${headroomError}`);
      }
      afterHeadroom = await oomCheck(c, sampler);
    }
    await s.stop();
    const src = sampler.source;
    return {
      plans: { steady, burst, headroom },
      headroomError,
      logins,
      checks: { steady: afterSteady, burst: afterBurst, headroom: afterHeadroom },
      restarted: restartedRoles(before, demoEnd, [EXEC_ROLE]),
      restartedInHeadroom: o.headroomUsers > 0 ? restartedRoles(demoEnd, s.processes(), [EXEC_ROLE]) : [],
      peaks: { idle: s.peaks('idle'), steady: s.peaks('steady'), burst: s.peaks('burst'), headroom: s.peaks('headroom') },
      setup: s.peaks('setup'),
      perPhasePeak: s.perPhasePeak(),
      cgroupSource: src
        ? `cgroup v${src.version}, ${src.hostDir ? "read from the host's cgroup directory of the container" : 'read inside the container (docker exec cat)'}`
        : 'no cgroup figures',
      versions: await imageVersions(c),
      seconds: (Date.now() - t0) / 1000,
    };
  } finally {
    await s.stop().catch(() => undefined);
    await driver?.close();
  }
}

/** The whole of `make bench-memory`; resolves with the exit code (0 pass, 1 a check failed, 2 bad settings or no run). */
export async function main(env: Env): Promise<number> {
  let o: MemoryOptions;
  try {
    o = parseMemoryEnv(env);
  } catch (err) {
    if (!(err instanceof LoadOptionsError)) throw err;
    console.error(`bench-memory: ${err.message}\n${MEMORY_USAGE}`);
    return 2;
  }
  if (env.MEMORY_HELP || env.LOAD_HELP) {
    console.log(MEMORY_USAGE);
    return 0;
  }
  const loadBefore = loadavg();
  let c: MemfitContainers | undefined;
  let m: Measured;
  let dockerRuns: string[] = [];
  let standinNode = '?';
  try {
    log('bench-memory: engine (deploy/image/docker-engine.sh)');
    await ensureEngine();
    if (o.build) {
      log(`bench-memory: make image (deploy/image/build.sh, IMAGE=${IMAGE}); cached layers make an unchanged build ~1 s`);
      await buildImage();
    }
    const standinPort = await freePort();
    log(
      `bench-memory: ${IMAGE} with --memory ${o.limit} --memory-swap ${o.limit}, the stand-in beside it on 127.0.0.1:${standinPort}`,
    );
    c = await startMemfit({
      limit: o.limit,
      standinPort,
      tokenTtlSec: o.load.tokenTtlSec,
      env: { CORS_MAX_AGE: String(o.load.maxAgeSec) },
    });
    dockerRuns = c.commands;
    standinNode = c.standin.node;
    log(`bench-memory: healthy at ${c.api.base}; stand-in ${c.standin.issuer}`);
    m = await measure(c, o);
  } catch (err) {
    console.error(`bench-memory: ${(err as Error).message}`);
    if (c) console.error(await c.logs('api', 30).catch(() => ''));
    return 2;
  } finally {
    await c?.remove();
    await removeRunContainers();
  }
  const busy = Number(loadBefore.split(' / ')[0]) > os.cpus().length;
  const steadyRun = m.plans.steady.runs.get('sidecar')?.steady[0];
  const burstRun = m.plans.burst.runs.get('sidecar')?.burst[0];
  const headroomRun = m.plans.headroom?.runs.get('sidecar')?.burst[0];
  const sizeMb = Math.round((await imageSize(IMAGE).catch(() => NaN)) / 1e6);
  const input = {
    generatedAt: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
    command: commandLine(env),
    commit: commit(),
    machine: [
      `${os.cpus()[0]?.model ?? 'CPU'}: ${os.cpus().length} cores, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB; Linux ${os.release()}; load average ${loadBefore} before, ${loadavg()} after; ${m.seconds.toFixed(0)} s measured.`,
      `Image ${IMAGE} (${sizeMb} MB): ${m.versions}. Docker ${await dockerOk(['version', '-f', '{{.Server.Version}}']).catch(() => '?')}; ${m.cgroupSource}.`,
      `Load generator: the scenario of \`make load\` (tools/src/load) in a Node ${process.version} child process on the host, against the container's port published on 127.0.0.1.`,
      `Auth0 stand-in: the one \`make load\` starts (short-lived tokens, both origins), in a second container from ${STANDIN_IMAGE} (Node: ${standinNode}) sharing the API container's network namespace, so the issuer http://127.0.0.1:<port>/ is the same for the API inside and the users outside, and its memory is not in the API's cgroup.`,
    ],
    image: IMAGE,
    limit: o.limit,
    limitBytes: o.limitBytes,
    dockerRuns,
    sampleMs: o.sampleMs,
    phases: m.peaks,
    setup: m.setup,
    perPhasePeak: m.perPhasePeak,
    checks: m.checks,
    restarted: m.restarted,
    restartedInHeadroom: m.restartedInHeadroom,
    logins: m.logins,
    load: {
      steady: {
        users: o.load.users,
        label: `steady: ${o.load.users} users, ${o.load.seconds} s, think ${o.load.thinkMs} ms`,
        run: steadyRun,
      },
      burst: {
        users: o.load.burstUsers,
        label: `burst: ${o.load.burstUsers} users reload at once × ${o.load.bursts}`,
        run: burstRun,
      },
      headroom:
        o.headroomUsers > 0
          ? {
              users: o.headroomUsers,
              label: `headroom burst: ${o.headroomUsers} users reload at once × ${o.headroomBursts}`,
              run: headroomRun,
            }
          : undefined,
    },
    notes: [
      `Phases: start = from \`docker run\` to healthy, seeding ${PAGE_ITEMS} items and logging in all ${m.logins.sent} users (the kernel's peak covers the boot, the samples begin at healthy); idle = ${o.idleSeconds} s; steady and burst exactly as \`make load\` runs them (sidecar mode, the image as Railway runs it)${
        o.headroomUsers > 0
          ? `; then the headroom burst, ${o.headroomUsers} users at once, which shows the margin and never decides the verdict`
          : ''
      }. Each phase's first and last samples are taken at its boundaries.`,
      "Process figures come from the host's /proc/<pid>/status of the container's processes (VmRSS, RssAnon, VmHWM), so sampling adds no process to the measured cgroup. A role with several processes is summed per sample. RSS counts shared pages (libpython, the Caddy binary) once per process, so the sum of processes overstates; the cgroup's figures are the real total.",
      "The cgroup's usage and kernel peak include the page cache of files the container reads and writes (the image's Python and Caddy files, the SQLite database); the log lines on stdout are written by dockerd, outside the cgroup. Near the limit the kernel drops cache before it kills anything; 'limit hits' count those reclaims. The working set (usage less inactive file pages) is what `docker stats` shows.",
      "Docker runs the image's HEALTHCHECK (`python -c`, every 10 s) inside the container's cgroup: the row 'exec (HEALTHCHECK)' when a sample caught one alive, and the kernel's peak counts it whenever it overlapped a peak. A platform that probes over HTTP and does not run the Dockerfile's HEALTHCHECK does not pay it.",
      'Bursts are short (sub-second spikes between samples): per-process VmHWM (peak RSS since the process started) and the kernel peak catch what the samples miss; RssAnon has no kernel high-water mark, so its burst figure is a lower bound.',
      `MiB = 2^20 bytes, as elsewhere in docs/bench ("MB" there); the issue's "20 MB" is read as 20 MiB. Caddy's steady peak in 10^6 bytes: ${(((m.peaks.steady.roles.caddy?.anonKb ?? NaN) * 1024) / 1e6).toFixed(1)} MB.`,
      ...(busy
        ? [
            `The machine was shared while this ran (load average ${loadBefore} on ${os.cpus().length} cores: other work ran beside it), so the load's latencies are inflated by CPU contention. Memory is not CPU-bound; slower answers keep more requests in flight at once, which if anything raises the peaks.`,
          ]
        : []),
      ...(m.headroomError ? [`The headroom burst broke off: ${m.headroomError}`] : []),
      ...m.plans.steady.notes,
      ...m.plans.burst.notes,
      ...(m.plans.headroom?.notes ?? []),
    ],
  };
  const verdict = judgeMemory(input);
  const report = formatMemoryReport(input, verdict);
  console.log(`\n${report}`);
  if (o.out) {
    const file = path.join(REPO, o.out);
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, report);
    log(`bench-memory: report written to ${o.out}`);
  }
  for (const line of memoryVerdictLines(verdict)) log(line);
  return verdict.pass ? 0 : 1;
}
