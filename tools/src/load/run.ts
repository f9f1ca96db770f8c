// `make load`: the stand-in and both stacks, the shapes in interleaved rounds, the report and the verdict.
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { drainStdout, loginBench } from '../../bench/lib/api-stack.ts';
import { commit, loadavg, machineNote } from '../../bench/lib/machine.ts';
import { stackGroup } from '../../bench/lib/stack-group.ts';
import { MODES, type Mode } from '../../bench/lib/table.ts';
import { request } from '../../testkit/http.ts';
import { FIXTURES, REPO, type Stack, startStack, VENV_BIN, waitFor } from '../../testkit/stack.ts';
import { type Standin, startStandin } from '../auth0-standin/standin.ts';
import { type Driver, startDriver } from './driver.ts';
import { crossed, findKnee, type RampPoint } from './knee.ts';
import { FAULT_OUT, type LoadOptions, LoadOptionsError, parseLoadEnv, passthroughEnv, USAGE } from './options.ts';
import { formatLoadReport, progressLine } from './report.ts';
import { ITEMS, ORIGINS, PAGE_ITEMS } from './scenario.ts';
import { MAX_EXAMPLES, mergeTallies, newTally, type RunResult, type RunSummary, summarizeRun } from './tally.ts';
import { judge, type ModeRuns, modeResults, newModeRuns, type Verdict, verdictLines } from './verdict.ts';

type Env = Readonly<Record<string, string | undefined>>;
type Log = (line: string) => void;

/**
 * The stand-in all stacks of a run trust: short-lived access tokens (refreshes happen within a run), both origins' callbacks.
 * `port` 0 lets the OS choose; `make bench-memory` names one (its issuer must be the same inside and outside a container).
 */
export function startLoadStandin(o: Pick<LoadOptions, 'tokenTtlSec'>, tenant: string, port = 0): Promise<Standin> {
  return startStandin({
    port,
    accessTokenTtl: o.tokenTtlSec,
    redirectUris: ORIGINS.map((origin) => `${origin}/callback`),
    logoutUrls: ORIGINS.map((origin) => `${origin}/`),
    devUser: { tenantId: tenant },
  });
}

/** A tenant no earlier run used, so a database kept between runs (Postgres) starts this one empty. */
export const newTenant = (): string => `load-${randomBytes(4).toString('hex')}`;

/** The directory whose `caddy` seeds the drop-cors fault (see its header). */
export const CORS_DROPPING_PROXY = path.join(FIXTURES, 'cors-dropping-proxy');

/**
 * One stack's environment: the caller's (DATABASE_URL and the rest, as `make serve` gets them), the compressed
 * preflight cache, SQLite in the scratch directory unless the caller names a database, and the fault's `caddy` first on PATH.
 */
export function stackEnv(
  mode: Mode,
  o: Pick<LoadOptions, 'maxAgeSec' | 'fault'>,
  scratch: string,
  caller: Env,
): Record<string, string> {
  const env: Record<string, string> = { ...passthroughEnv(caller), CORS_MAX_AGE: String(o.maxAgeSec) };
  if (!caller.DATABASE_URL) env.DATABASE_URL = `sqlite:///${path.join(scratch, `${mode}.db`)}`;
  if (o.fault === 'drop-cors' && mode === 'sidecar') env.PATH = `${CORS_DROPPING_PROXY}:${VENV_BIN}:${process.env.PATH ?? ''}`;
  return env;
}

/**
 * What the scenario drives: a stack this process started, or any API answering on http://127.0.0.1 (e.g. a container's
 * published port, `make bench-memory`) that trusts the same stand-in.
 */
export type LoadTarget = Pick<Stack, 'mode' | 'base'>;

/** POST items until the list page is full, so every GET of the run returns the same PAGE_ITEMS items. */
export async function seedItems(stack: LoadTarget): Promise<void> {
  const auth = await loginBench(stack);
  const listed = async () => {
    const res = await request(stack.base + ITEMS, { headers: auth });
    if (res.status !== 200) throw new Error(`${stack.mode}: GET ${ITEMS} answered ${res.status}: ${res.body.slice(0, 200)}`);
    return (JSON.parse(res.body) as unknown[]).length;
  };
  for (let have = await listed(), i = 0; have < PAGE_ITEMS && i < PAGE_ITEMS; have = await listed(), i++) {
    const res = await request(stack.base + ITEMS, {
      method: 'POST',
      headers: { ...auth, 'Content-Type': 'application/json' },
      body: JSON.stringify({ name: `load seed ${have + 1}` }),
    });
    if (res.status !== 201) throw new Error(`${stack.mode}: seeding ${ITEMS} answered ${res.status}: ${res.body.slice(0, 200)}`);
  }
}

/** Start the reference API in `mode` against the stand-in, drain its log, seed it. */
export async function startLoadStack(mode: Mode, standin: Standin, env: Record<string, string>): Promise<Stack> {
  const stack = await startStack({ mode, fakeApp: false, auth: standin, env, readyPath: '/health', readyTimeoutMs: 60_000 });
  drainStdout(stack);
  try {
    await seedItems(stack);
  } catch (err) {
    await stack.stop();
    throw err;
  }
  return stack;
}

/** After a run: wait (up to a minute) until /health answers 200 within 2 s, so a stall does not spill into the next run; seconds waited. */
async function awaitHealthy(stack: LoadTarget): Promise<number> {
  const t0 = Date.now();
  await waitFor(async () => (await request(`${stack.base}/health`, { timeoutMs: 2000 })).status === 200, 60_000);
  return (Date.now() - t0) / 1000;
}

export interface PlanResult {
  runs: Map<Mode, ModeRuns>;
  verdict: Verdict;
  notes: string[];
  partial: string | undefined;
}

/**
 * The shapes LoadOptions asks for against the stacks given (one or both modes), round after round; within a
 * round each shape runs in both modes back to back, the first mode alternating, so drift falls on both.
 */
export async function runPlan(
  stacks: ReadonlyMap<Mode, LoadTarget>,
  driver: Driver,
  o: LoadOptions,
  log: Log,
  started = Date.now(),
): Promise<PlanResult> {
  const modes = MODES.filter((m) => stacks.has(m));
  const runs = new Map<Mode, ModeRuns>(modes.map((m) => [m, newModeRuns(newTally())]));
  const notes: string[] = [];
  let partial: string | undefined;
  const refreshMarginMs = o.refreshMarginSec * 1000;

  const ensureUsers = async (mode: Mode, users: number) => {
    const t0 = Date.now();
    const tally = await driver.login({ base: stacks.get(mode)!.base, users });
    const r = runs.get(mode)!;
    r.logins = mergeTallies([r.logins, tally]);
    const { sent, failed } = tally.kinds.login;
    if (sent)
      log(
        `load: ${sent} login${sent === 1 ? '' : 's'} through ${mode} in ${((Date.now() - t0) / 1000).toFixed(1)} s${failed ? `, ${failed} FAILED` : ''}`,
      );
    addExamples(mode, 'login', tally);
  };
  const addExamples = (mode: Mode, tag: string, t: RunResult['tally']) => {
    const r = runs.get(mode)!;
    for (const e of t.failedExamples) if (r.failedExamples.length < MAX_EXAMPLES) r.failedExamples.push(`${tag}: ${e}`);
    for (const e of t.corsExamples) if (r.corsExamples.length < MAX_EXAMPLES) r.corsExamples.push(`${tag}: ${e}`);
  };
  const after = async (mode: Mode, tag: string, result: RunResult): Promise<RunSummary> => {
    const s = summarizeRun(result);
    log(progressLine(tag, mode, s));
    addExamples(mode, tag, result.tally);
    const waited = await awaitHealthy(stacks.get(mode)!).catch((err: Error) => {
      throw new Error(`${mode} after ${tag}: /health did not answer 200 again: ${err.message}`);
    });
    if (waited > 1) notes.push(`${mode} after ${tag}: /health answered 200 again only after ${waited.toFixed(0)} s.`);
    return s;
  };

  const deadline = started + o.maxMinutes * 60_000;
  for (let round = 1; round <= o.rounds; round++) {
    if (Date.now() > deadline) {
      partial = `stopped after ${round - 1} of ${o.rounds} rounds (LOAD_MAX_MINUTES=${o.maxMinutes}).`;
      break;
    }
    const order = round % 2 === 1 ? modes : [...modes].reverse();
    const tag = (what: string) => `[${round}/${o.rounds}] ${what}`;
    const seed = o.seed * 1000 + round;
    if (o.shapes.includes('steady')) {
      for (const mode of order) {
        await ensureUsers(mode, o.users);
        const job = {
          base: stacks.get(mode)!.base,
          users: o.users,
          seconds: o.seconds,
          thinkMs: o.thinkMs,
          postEvery: o.postEvery,
          refreshMarginMs,
          seed,
        };
        runs.get(mode)!.steady.push(await after(mode, tag(`steady ${o.users} users`), await driver.steady(job)));
      }
    }
    if (o.shapes.includes('burst')) {
      for (const mode of order) {
        await ensureUsers(mode, o.burstUsers);
        const job = { base: stacks.get(mode)!.base, users: o.burstUsers, bursts: o.bursts, gapMs: 1000, refreshMarginMs };
        runs.get(mode)!.burst.push(await after(mode, tag(`burst ${o.burstUsers} users × ${o.bursts}`), await driver.burst(job)));
      }
    }
    if (o.shapes.includes('ramp')) {
      const points = new Map<Mode, RampPoint[]>(order.map((m) => [m, []]));
      for (const [i, users] of o.ramp.entries()) {
        for (const mode of order) {
          const mine = points.get(mode)!;
          if (mine.some((p) => crossed(p, o.kneeMs))) continue;
          await ensureUsers(mode, users);
          const job = {
            base: stacks.get(mode)!.base,
            users,
            seconds: o.rampSeconds,
            thinkMs: o.thinkMs,
            postEvery: o.postEvery,
            refreshMarginMs,
            seed: seed + 100 * (i + 1),
          };
          const s = await after(mode, tag(`ramp ${users} users`), await driver.steady(job));
          runs.get(mode)!.ramp.push({ round, users, run: s });
          mine.push({ users, p99Ms: s.all.p99, failed: s.failed });
        }
      }
      for (const mode of order) runs.get(mode)!.knees.push(findKnee(points.get(mode)!, o.kneeMs));
    }
  }
  const verdict = judge(new Map(modes.map((m) => [m, modeResults(runs.get(m)!, o.users)])), o.users);
  return { runs, verdict, notes, partial };
}

function estimateSec(o: LoadOptions, modes: number): number {
  const perRound =
    (o.shapes.includes('steady') ? o.seconds + 1 : 0) +
    (o.shapes.includes('burst') ? o.bursts * 1.5 : 0) +
    (o.shapes.includes('ramp') ? o.ramp.length * (o.rampSeconds + 1) : 0);
  return 20 + o.rounds * modes * perRound;
}

function commandLine(env: Env): string {
  const set = Object.keys(env)
    .filter((k) => k.startsWith('LOAD_'))
    .sort()
    .map((k) => `${k}=${env[k]}`);
  return (
    [...set, 'make load'].join(' ') + '\n# same as: ' + [...set, 'tools/node_modules/.bin/tsx tools/src/load/cli.ts'].join(' ')
  );
}

/** The whole of `make load`; resolves with the exit code (0 pass, 1 a threshold failed, 2 bad settings or a run that could not be made). */
export async function main(env: Env): Promise<number> {
  let o: LoadOptions;
  try {
    o = parseLoadEnv(env);
  } catch (err) {
    if (!(err instanceof LoadOptionsError)) throw err;
    console.error(`load: ${err.message}\n${USAGE}`);
    return 2;
  }
  if (env.LOAD_HELP) {
    console.log(USAGE);
    return 0;
  }
  const started = Date.now();
  const loadBefore = loadavg();
  const machine = machineNote('autocannon', loadBefore);
  const log: Log = (line) => console.log(line);
  log(
    `load: ${o.shapes.join(', ')} × ${o.rounds} rounds × 2 modes${o.fault ? `, seeded fault ${o.fault} in the sidecar` : ''}; ` +
      `at most about ${Math.ceil(estimateSec(o, 2) / 60)} min plus logins, less when the ramp finds the knee early (LOAD_HELP=1 for the settings)`,
  );
  const standin = await startLoadStandin(o, newTenant());
  const scratch = mkdtempSync(path.join(os.tmpdir(), 'edge-load-'));
  const group = stackGroup<Mode>('load', scratch);
  let driver: Driver | undefined;
  let plan: PlanResult;
  try {
    for (const mode of MODES) group.stacks.set(mode, await startLoadStack(mode, standin, stackEnv(mode, o, scratch, env)));
    log(`load: stacks ready (${MODES.map((m) => `${m} ${group.stacks.get(m)!.base}`).join(', ')}), ${PAGE_ITEMS} items seeded`);
    driver = startDriver();
    plan = await runPlan(group.stacks, driver, o, log, started);
  } catch (err) {
    console.error(`load: ${(err as Error).message}`);
    return 2;
  } finally {
    await driver?.close();
    await group.close();
    await standin.stop();
  }
  machine.loadAfter = loadavg();
  const db = env.DATABASE_URL
    ? `DATABASE_URL from the environment (${env.DATABASE_URL.split(':')[0]}), shared by both stacks`
    : 'SQLite, one file per stack in a temporary directory';
  const report = formatLoadReport({
    generatedAt: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
    command: commandLine(env),
    commit: commit(),
    machine,
    elapsedSec: (Date.now() - started) / 1000,
    options: o,
    database: db,
    runs: plan.runs,
    verdict: plan.verdict,
    notes: [
      o.fault === 'drop-cors'
        ? 'Seeded fault: the sidecar ran Caddy through tools/test/fixtures/cors-dropping-proxy/caddy, which deletes Access-Control-Allow-Origin and -Credentials from the responses whose request UUID starts with 0 or 1 (about 1 in 8), statuses untouched; direct mode is healthy.'
        : `The checks catch what a status count cannot: \`LOAD_FAULT=drop-cors make load\` runs the sidecar behind a Caddyfile that drops CORS from about 1 response in 8 and fails (report: ${FAULT_OUT}).`,
      ...plan.notes,
    ],
    ...(plan.partial ? { partial: plan.partial } : {}),
  });
  console.log(`\n${report}`);
  if (o.out) {
    const file = path.join(REPO, o.out);
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, report);
    log(`load: report written to ${o.out}`);
  }
  for (const line of verdictLines(plan.verdict)) log(line);
  return plan.verdict.pass ? 0 : 1;
}
