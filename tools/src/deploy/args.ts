// edge-deploy's command line: argv to a Command, and the --help text of every subcommand.
import { type ParseArgsConfig, parseArgs } from 'node:util';
import type { RollbackTo } from './guard.ts';

/** Bad usage: one line on stderr, exit 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}

const ENVIRONMENT = `Configuration (environment variables; docs/deploy.md, "Guarded deploys"):
  RAILWAY_API_TOKEN        account or workspace token (sent as Authorization: Bearer)
  RAILWAY_TOKEN            or a project token (sent as Project-Access-Token; wins when both are set)
  RAILWAY_PROJECT_ID       the project's id (not needed with a project token)
  EDGE_DEPLOY_ENVIRONMENT  environment name or id (default: the project token's, else production);
                           or RAILWAY_ENVIRONMENT_ID
  EDGE_DEPLOY_SERVICE      service name or id (default api); or RAILWAY_SERVICE_ID
  EDGE_DEPLOY_URL          the URL to gate (default: the service's custom domain, else its Railway domain)
  EDGE_DEPLOY_ORIGINS      allowed origins (default per environment: production https://app.zebra.associates;
                           staging also http://localhost:3001)
  EDGE_DEPLOY_DENY         origins that must be refused (default in production: http://localhost:3001)
  EDGE_DEPLOY_STATE        the last-good record (default .edge-deploy/state.json in the checkout)
  EDGE_DEPLOY_LIVE_TIMEOUT how long a deployment may take to go live (default 15m); EDGE_DEPLOY_POLL (5s)
  RAILWAY_API_URL          GraphQL endpoint (default https://backboard.railway.com/graphql/v2)
`;

export const HELP = {
  main: `Usage: edge-deploy <command> [options]

Deploys edge-sidecar to Railway and keeps it serving with correct CORS: every deployment must go live
and pass the CORS gate (cors-probe against the public URL), or it is rolled back.

Commands:
  deploy     start a deployment, wait until live, gate it, roll back if the gate fails
  rollback   roll back now (to the last deployment that passed the gate, to PROXY_MODE=direct, or to an id)
  status     the current deployment, the recorded last good one, and the gate's verdict now

Run 'edge-deploy <command> --help' for its options and exit codes.

${ENVIRONMENT}`,
  deploy: `Usage: edge-deploy deploy [--rollback-to last-good|direct] [--set KEY=VALUE ...]

Starts a deployment of the service (its configured source, with its variables), waits until Railway
reports it live (SUCCESS), runs the CORS gate against the public URL, and rolls back if the gate fails.
A deployment that passes is recorded as the last good one. Each step prints one line with its duration.

Options:
  --rollback-to <where>  last-good (default): Railway's rollback to the last deployment that passed the
                         gate (its image and variables); direct: a deployment with PROXY_MODE=direct
                         (app-side CORS, docs/rollback.md A)
  --set KEY=VALUE        change a service variable for this deployment and after it (repeatable)
  -h, --help             show this help

Exit codes:
  0  deployed: live and the gate passed
  1  not deployed: Railway refused the deployment (the previous one keeps serving), or the gate failed
     and the rollback passed the gate
  2  usage or configuration error; nothing was changed
  3  the rollback failed: the service may be degraded (the last line says what is serving)

${ENVIRONMENT}`,
  rollback: `Usage: edge-deploy rollback [--to last-good|direct|<deployment-id>]

Rolls back now, the same way a failed gate does, gate included: Railway's rollback to a deployment
(its image and variables) or a deployment with PROXY_MODE=direct, then the CORS gate.

Options:
  --to <where>  last-good (default): the last deployment that passed the gate (edge-deploy status);
                direct: PROXY_MODE=direct; <deployment-id>: that deployment (railway deployment list)
  -h, --help    show this help

Exit codes:
  0  rolled back: the new deployment is live and passed the gate
  2  usage or configuration error, nothing recorded to roll back to, or a deployment Railway cannot
     roll back to (another service's, or past image retention); nothing was changed
  3  the rollback failed: the service may be degraded (the last line says what is serving)

${ENVIRONMENT}`,
  status: `Usage: edge-deploy status

Shows the deployment serving now (id, status, created), the newest one if it differs, the recorded last
good deployment, and the CORS gate's verdict on the public URL now. Changes nothing.

Exit codes:
  0  the gate passes now
  1  the gate fails now
  2  usage or configuration error

${ENVIRONMENT}`,
} as const;

export type Command =
  | { kind: 'help'; text: string }
  | { kind: 'deploy'; rollbackTo: RollbackTo; variables: Record<string, string> }
  | { kind: 'rollback'; to: RollbackTo | { id: string } }
  | { kind: 'status' };

const KEY = /^[A-Za-z_][A-Za-z0-9_]*$/;
// Railway's deployment ids are UUIDs; accept any plain token so a test double can use short ones.
const DEPLOYMENT_ID = /^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$/;

interface Parsed {
  values: Record<string, string | boolean | (string | boolean)[] | undefined>;
  positionals: string[];
}

function parse(argv: string[], options: NonNullable<ParseArgsConfig['options']>, cmd: string): Parsed {
  try {
    return parseArgs({
      args: argv,
      options: { ...options, help: { type: 'boolean', short: 'h' } },
      allowPositionals: true,
      strict: true,
    });
  } catch (err) {
    // Node's messages are several sentences; the first is the one that matters.
    const msg = (err instanceof Error ? err.message : String(err)).split('. ')[0]!.replace(/\.$/, '');
    throw new UsageError(`${cmd}: ${msg}`);
  }
}

function noPositionals(p: Parsed, cmd: string): void {
  if (p.positionals.length) throw new UsageError(`${cmd}: unexpected argument ${JSON.stringify(p.positionals[0])}`);
}

function rollbackTo(value: unknown, flag: string): RollbackTo {
  if (value === undefined) return 'last-good';
  if (value === 'last-good' || value === 'direct') return value;
  throw new UsageError(`${flag} must be last-good or direct, not ${JSON.stringify(value)}`);
}

function variables(values: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  for (const item of (values as string[] | undefined) ?? []) {
    const eq = item.indexOf('=');
    const key = eq < 0 ? item : item.slice(0, eq);
    if (eq < 0 || !KEY.test(key))
      throw new UsageError(`--set needs KEY=VALUE with KEY like PROXY_MODE, not ${JSON.stringify(item)}`);
    if (Object.hasOwn(out, key)) throw new UsageError(`--set ${key} given twice`);
    out[key] = item.slice(eq + 1);
  }
  return out;
}

/** argv without node and script; throws UsageError. */
export function parseCommand(argv: string[]): Command {
  const [cmd, ...rest] = argv;
  if (cmd === undefined || cmd === '-h' || cmd === '--help' || cmd === 'help') return { kind: 'help', text: HELP.main };
  switch (cmd) {
    case 'deploy': {
      const p = parse(rest, { 'rollback-to': { type: 'string' }, set: { type: 'string', multiple: true } }, 'deploy');
      if (p.values.help) return { kind: 'help', text: HELP.deploy };
      noPositionals(p, 'deploy');
      return {
        kind: 'deploy',
        rollbackTo: rollbackTo(p.values['rollback-to'], '--rollback-to'),
        variables: variables(p.values.set),
      };
    }
    case 'rollback': {
      const p = parse(rest, { to: { type: 'string' } }, 'rollback');
      if (p.values.help) return { kind: 'help', text: HELP.rollback };
      noPositionals(p, 'rollback');
      const to = p.values.to;
      if (to === undefined || to === 'last-good' || to === 'direct') return { kind: 'rollback', to: to ?? 'last-good' };
      if (typeof to !== 'string' || !DEPLOYMENT_ID.test(to))
        throw new UsageError(`--to must be last-good, direct or a deployment id, not ${JSON.stringify(to)}`);
      return { kind: 'rollback', to: { id: to } };
    }
    case 'status': {
      const p = parse(rest, {}, 'status');
      if (p.values.help) return { kind: 'help', text: HELP.status };
      noPositionals(p, 'status');
      return { kind: 'status' };
    }
    default:
      throw new UsageError(`unknown command ${JSON.stringify(cmd)} (deploy, rollback, status)`);
  }
}
