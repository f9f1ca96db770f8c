// edge-deploy's subcommands wired together: configuration, Railway target, CORS gate, last-good record, guard.
// Takes its environment and output as arguments (cli.ts passes the process's), returns the exit code.
import { ProbeUsageError } from '../probe/index.ts';
import { type Command, HELP, parseCommand, UsageError } from './args.ts';
import { ConfigError, type DeployConfig, gatePolicy, loadConfig } from './config.ts';
import { corsGate } from './cors-gate.ts';
import { type FileGoodRecord, fileGoodRecord, recordKey, StateFileError } from './good-record.ts';
import { type DeployTarget, type Gate, type GoodRecord, guardedDeploy, guardedRollback } from './guard.ts';
import { RailwayApiError, railwayApi } from './railway-api.ts';
import {
  LIVE_STATUSES,
  publicUrlOf,
  type RailwayTarget,
  RailwayTargetError,
  railwayTarget,
  resolveService,
} from './railway-target.ts';
import { deployOutcome, type ExitCode, errorOutcome, formatStep, type Phase, rollbackOutcome } from './report.ts';

export interface Io {
  env: Readonly<Record<string, string | undefined>>;
  /** One line, no newline: steps and results. */
  out(line: string): void;
  /** One line, no newline: progress while waiting, and errors. */
  err(line: string): void;
  now?: () => number;
}

/** Anything that stops a command before it changed something: one line, exit 2. */
class Stop extends Error {}

interface Wired {
  cfg: DeployConfig;
  target: RailwayTarget;
  gate: Gate;
  record: FileGoodRecord;
  url: string;
  policy: { origins: string[]; deny: string[] };
}

/** Everything a command needs, or a Stop saying what is wrong. Reads Railway (ids, domain), changes nothing. */
async function wire(io: Io): Promise<Wired> {
  const cfg = loadConfig(io.env);
  const api = railwayApi({ url: cfg.apiUrl, auth: cfg.auth, timeoutMs: cfg.requestTimeoutMs });
  const service = await resolveService(api, {
    projectToken: cfg.auth.kind === 'project',
    ...(cfg.projectId ? { projectId: cfg.projectId } : {}),
    ...(cfg.environment ? { environment: cfg.environment } : {}),
    service: cfg.service,
  });
  const url = cfg.url ?? (await publicUrlOf(api, service));
  const policy = gatePolicy(cfg, service.environmentName);
  const gate = corsGate({ origins: policy.origins, deny: policy.deny });
  const record = fileGoodRecord(cfg.stateFile, recordKey(service.projectId, service.environmentId, service.serviceId), { url });
  const target = railwayTarget(api, service, {
    publicUrl: url,
    pollMs: cfg.pollMs,
    liveTimeoutMs: cfg.liveTimeoutMs,
    appearTimeoutMs: cfg.appearTimeoutMs,
    progress: (line) => io.err(`           ${line}`),
  });
  return { cfg, target, gate, record, url, policy };
}

/** Errors that mean "nothing was attempted": configuration, usage, a Railway that cannot be read. */
function isStop(err: unknown): err is Error {
  return [Stop, ConfigError, UsageError, ProbeUsageError, RailwayTargetError, RailwayApiError, StateFileError].some(
    (kind) => err instanceof kind,
  );
}

/** The target, counting what was started through it: after an unplanned error, how much may have changed. */
function observed(target: DeployTarget): {
  target: DeployTarget;
  seen: { deployCalls: number; redeployCalls: number; started: string[] };
} {
  const seen = { deployCalls: 0, redeployCalls: 0, started: [] as string[] };
  return {
    seen,
    target: {
      name: target.name,
      publicUrl: target.publicUrl,
      async deploy(variables) {
        seen.deployCalls++;
        const d = await target.deploy(variables);
        seen.started.push(d.id);
        return d;
      },
      async redeploy(good) {
        seen.redeployCalls++;
        const d = await target.redeploy(good);
        seen.started.push(d.id);
        return d;
      },
      waitLive: (d) => target.waitLive(d),
      current: () => target.current(),
    },
  };
}

const policyText = (p: { origins: string[]; deny: string[] }): string =>
  `origins ${p.origins.join(' ')}${p.deny.length ? `, deny ${p.deny.join(' ')}` : ''}`;

/**
 * With no last good deployment recorded, a failed gate would have nowhere to roll back to. The deployment
 * serving now is one if it passes the gate now: record it first, or stop before deploying anything.
 */
async function baseline(w: Wired, io: Io, now: () => number): Promise<void> {
  if (await w.record.lastGood()) return;
  const started = now();
  const current = await w.target.current();
  if (!current)
    throw new Stop('no last good deployment recorded and none is serving: nothing to roll back to (use --rollback-to direct)');
  const verdict = await w.gate(w.url);
  if (!verdict.ok) {
    throw new Stop(
      `no last good deployment recorded, and ${current.id} (serving now) fails the gate: ${verdict.failures.join('; ')} (fix it first, or use --rollback-to direct)`,
    );
  }
  await w.record.remember(current);
  io.out(
    formatStep(
      'baseline',
      `no last good deployment recorded; ${current.id} (serving now) passes the gate: recorded`,
      now() - started,
    ),
  );
}

async function deploy(cmd: Extract<Command, { kind: 'deploy' }>, io: Io, now: () => number): Promise<ExitCode> {
  const started = now();
  const w = await wire(io);
  io.out(
    `edge-deploy: deploying ${w.target.name}${Object.keys(cmd.variables).length ? ` with ${Object.keys(cmd.variables).join(', ')} changed` : ''}; gate ${w.url} (${policyText(w.policy)})`,
  );
  if (cmd.rollbackTo === 'last-good') await baseline(w, io, now);
  const lastGoodId = (await w.record.lastGood())?.id;
  const { target, seen } = observed(w.target);
  let gateFailure: string | undefined;
  // A deployment that passed the gate stays deployed even if the record cannot be written: say so, exit 0.
  let unrecorded: string | undefined;
  const record: GoodRecord = {
    lastGood: () => w.record.lastGood(),
    remember: (d) => w.record.remember(d).catch((err: Error) => void (unrecorded = err.message)),
  };
  try {
    const result = await guardedDeploy(target, w.gate, record, {
      variables: cmd.variables,
      rollbackTo: cmd.rollbackTo,
      now,
      step: (name, detail, ms) => {
        if (name === 'gate' && detail.startsWith('failed')) gateFailure = detail.replace(/^failed: /, '');
        io.out(formatStep(name, detail, ms));
      },
    });
    const o = deployOutcome(result, {
      url: w.url,
      totalMs: now() - started,
      rollbackTo: cmd.rollbackTo,
      recorded: !unrecorded,
      ...(lastGoodId ? { lastGoodId } : {}),
    });
    if (unrecorded)
      io.err(
        `edge-deploy: warning: ${result.deployment?.id} passed the gate but was not recorded as the last good deployment: ${unrecorded}`,
      );
    io.out(o.line);
    return o.code;
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    const phase: Phase =
      gateFailure !== undefined
        ? 'rolling-back'
        : seen.started.length
          ? 'started'
          : seen.deployCalls
            ? 'starting'
            : 'before-start';
    const serving =
      phase === 'before-start' || phase === 'starting'
        ? undefined
        : await w.target.current().then(
            (d) => d?.id,
            () => undefined,
          );
    const o = errorOutcome(message, phase, {
      totalMs: now() - started,
      ...(seen.started[0] ? { started: seen.started[0] } : {}),
      ...(serving ? { serving } : {}),
      ...(gateFailure ? { gate: gateFailure } : {}),
    });
    (o.code === 2 ? io.err : io.out)(o.line);
    return o.code;
  }
}

async function rollback(cmd: Extract<Command, { kind: 'rollback' }>, io: Io, now: () => number): Promise<ExitCode> {
  const started = now();
  const w = await wire(io);
  let record: GoodRecord = w.record;
  let lastGoodId: string | undefined;
  if (typeof cmd.to === 'object') {
    // An explicit deployment: the same path, fed from the command line instead of the record.
    const chosen = cmd.to;
    record = { lastGood: async () => chosen, remember: (d) => w.record.remember(d) };
    lastGoodId = chosen.id;
  } else if (cmd.to === 'last-good') {
    lastGoodId = (await w.record.lastGood())?.id;
    if (!lastGoodId) {
      throw new Stop(
        `no last good deployment recorded in ${w.record.file}: use --to direct, or --to <deployment-id> (railway deployment list)`,
      );
    }
  }
  // Before anything changes: a deployment Railway cannot roll back to (or of another service) stops here, exit 2.
  if (lastGoodId) await w.target.checkRollback(lastGoodId);
  const to = cmd.to === 'direct' ? 'direct' : 'last-good';
  io.out(
    `edge-deploy: rolling back ${w.target.name} (${to === 'direct' ? 'PROXY_MODE=direct' : `to ${lastGoodId}`}); gate ${w.url} (${policyText(w.policy)})`,
  );
  try {
    const result = await guardedRollback(w.target, w.gate, record, {
      rollbackTo: to,
      now,
      step: (name, detail, ms) => io.out(formatStep(name, detail, ms)),
    });
    const o = rollbackOutcome(result, {
      url: w.url,
      totalMs: now() - started,
      rollbackTo: to,
      ...(lastGoodId ? { lastGoodId } : {}),
    });
    io.out(o.line);
    return o.code;
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    const serving = await w.target.current().then(
      (d) => d?.id,
      () => undefined,
    );
    const o = errorOutcome(message, 'rolling-back', { totalMs: now() - started, ...(serving ? { serving } : {}) });
    io.out(o.line);
    return o.code;
  }
}

async function status(io: Io, now: () => number): Promise<ExitCode> {
  const w = await wire(io);
  const list = await w.target.deployments();
  const current = list.find((d) => LIVE_STATUSES.has(d.status));
  const latest = list[0];
  const entry = await w.record.entry();
  const show = (d: { id: string; status: string; createdAt: string }): string => `${d.id} ${d.status}, created ${d.createdAt}`;
  io.out(`service:    ${w.target.name}`);
  io.out(`url:        ${w.url}`);
  io.out(`current:    ${current ? show(current) : 'none live'}`);
  if (latest && latest.id !== current?.id) io.out(`newest:     ${show(latest)}`);
  if (entry) {
    const can = await w.target.deployment(entry.id).then(
      (d) => (d.canRollback ? 'can be rolled back to' : 'Railway can no longer roll back to it'),
      (err: Error) => `unknown to Railway? (${err.message})`,
    );
    io.out(
      `last good:  ${entry.id}, passed the gate ${entry.recordedAt}${entry.id === current?.id ? ' (serving now)' : ''}; ${can}`,
    );
  } else {
    io.out(`last good:  none recorded in ${w.record.file}`);
  }
  const started = now();
  const verdict = await w.gate(w.url);
  io.out(
    formatStep(
      'gate',
      verdict.ok ? `passed (${policyText(w.policy)})` : `failed: ${verdict.failures.join('; ')}`,
      now() - started,
    ),
  );
  return verdict.ok ? 0 : 1;
}

/** Runs one command line; never throws: every error is a line and an exit code. */
export async function run(argv: string[], io: Io): Promise<ExitCode> {
  const now = io.now ?? Date.now;
  try {
    const cmd = parseCommand(argv);
    switch (cmd.kind) {
      case 'help':
        io.out(cmd.text.trimEnd());
        return 0;
      case 'deploy':
        return await deploy(cmd, io, now);
      case 'rollback':
        return await rollback(cmd, io, now);
      case 'status':
        return await status(io, now);
    }
  } catch (err) {
    if (err instanceof UsageError) {
      io.err(
        `edge-deploy: ${err.message} (see edge-deploy ${argv[0] && Object.hasOwn(HELP, argv[0]) && argv[0] !== 'main' ? `${argv[0]} ` : ''}--help)`,
      );
      return 2;
    }
    if (isStop(err)) {
      io.err(`edge-deploy: ${err.message}`);
      return 2;
    }
    io.err(`edge-deploy: internal error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    return 2;
  }
}
