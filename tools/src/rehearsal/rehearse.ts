// The rehearsal's order of play: per mode, the journey from both origins, the disallowed origins, the failures, the repeated logins and the database down.
import path from 'node:path';
import { freePort } from '../../testkit/stack.ts';
import {
  DEV_ORIGIN,
  databaseDown,
  failures,
  HTTPS_ORIGIN,
  journey,
  negatives,
  openPage,
  Recorder,
  repeatLogins,
} from './journey.ts';
import type { Rehearsal } from './results.ts';
import { type Mode, newContext, type Shared, stackEnv, startMode, startShared } from './topology.ts';

export interface RehearseOptions {
  modes: Mode[];
  /** Full logins per mode for the reliability figures (0 skips them). */
  logins: number;
  /** Where screenshots go (the report's folder). */
  outDir: string;
  /** A scratch folder: CA, browser home, SQLite files. */
  workDir: string;
  /** The caller's environment, passed to the stack as `make serve` would. */
  env: NodeJS.ProcessEnv;
  log: (line: string) => void;
}

/** Variables shown in the report: the policy and the tenant, never the client secret. */
const SHOWN =
  /^(CORS_|UPSTREAM_TIMEOUT$|TRUSTED_PROXIES$|PROXY_FALLBACK$|AUTH0_(DOMAIN|AUDIENCE|CLIENT_ID|TENANT_CLAIM|LEEWAY)$)/;

export async function rehearse(opts: RehearseOptions): Promise<Rehearsal> {
  const rehearsal: Rehearsal = { startedAt: new Date().toISOString(), settings: {}, steps: [], logins: [], aborted: [] };
  opts.log('CA, tenant (Auth0 stand-in), demo page and TLS edge');
  const shared = await startShared(opts.workDir);
  try {
    for (const mode of opts.modes) {
      const env = stackEnv(opts.env, {
        tenant: shared.tenant,
        egressPort: shared.edge.egressPort,
        caFile: shared.ca.caFile,
        dbFile: path.join(opts.workDir, `${mode}.db`),
      });
      rehearsal.settings = Object.fromEntries(Object.entries(env).filter(([k]) => SHOWN.test(k)));
      const rec = new Recorder(opts.outDir, mode);
      try {
        await rehearseMode(shared, mode, env, rec, rehearsal, opts);
      } catch (err) {
        rehearsal.aborted.push(`${mode}: ${(err as Error).message.split('\n')[0]}`);
      } finally {
        rehearsal.steps.push(...rec.results);
      }
    }
  } finally {
    await shared.close();
  }
  return rehearsal;
}

async function rehearseMode(
  shared: Shared,
  mode: Mode,
  env: Record<string, string>,
  rec: Recorder,
  rehearsal: Rehearsal,
  opts: RehearseOptions,
): Promise<void> {
  opts.log(`${mode}: starting the stack behind the edge`);
  const run = await startMode(shared, mode, env);
  try {
    const context = await newContext(run.browser);
    const page = await rec.watch(await context.newPage());
    opts.log(`${mode}: journey from ${HTTPS_ORIGIN.origin}`);
    await journey(rec, context, page, HTTPS_ORIGIN);
    opts.log(`${mode}: journey from ${DEV_ORIGIN.origin}`);
    const dev = await newContext(run.browser);
    await journey(rec, dev, await rec.watch(await dev.newPage()), DEV_ORIGIN);
    opts.log(`${mode}: disallowed origins`);
    await negatives(rec, context, page);
    opts.log(`${mode}: failures (API hung, killed)`);
    await openPage(page, `${HTTPS_ORIGIN.origin}/`).catch(() => undefined);
    await failures(rec, page, run.stack, Number(env.UPSTREAM_TIMEOUT));
    if (opts.logins > 0) {
      opts.log(`${mode}: ${opts.logins} logins`);
      const figures = await repeatLogins(await newContext(run.browser), opts.logins, mode);
      rehearsal.logins.push(figures);
      opts.log(`${mode}: ${figures.successes}/${figures.attempts} logins succeeded`);
    }
  } finally {
    await run.close();
  }
  // A stack of its own: the database is unreachable from its start (its /health/live still answers).
  opts.log(`${mode}: database down`);
  const down = await startMode(
    shared,
    mode,
    { ...env, DATABASE_URL: `postgresql://rehearsal@127.0.0.1:${await freePort()}/rehearsal` },
    '/health/live',
  );
  try {
    const page = await rec.watch(await (await newContext(down.browser)).newPage());
    await databaseDown(rec, page);
  } finally {
    await down.close();
  }
}
