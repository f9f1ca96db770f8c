// edge-deploy's configuration from the environment: token, endpoint, which service, the gate's policy, where
// the last good deployment is kept. Pure: reads the variables it is given, so tests pass their own.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { RAILWAY_API_URL, type RailwayAuth } from './railway-api.ts';

/** A configuration that cannot work: the CLI says so in one line and exits 2, before touching anything. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** The repository root, from this file's place in it (never from the cwd: the tool runs from anywhere). */
const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

/** Gitignored (.gitignore), next to the checkout it deploys from. */
export const DEFAULT_STATE_FILE = path.join(REPO, '.edge-deploy', 'state.json');

/**
 * The gate's policy per Railway environment: the origins .railway/railway.ts allows there
 * (CORS_ALLOW_ORIGINS; tools/test/deploy/config.test.ts holds the two together), plus the origins that
 * must be refused. Production must refuse the local demo origin (docs/deploy.md, "Checking a deploy").
 * Another environment needs EDGE_DEPLOY_ORIGINS: never guess a policy, as .railway/railway.ts does not.
 */
export const GATE_POLICIES: Readonly<Record<string, { origins: readonly string[]; deny: readonly string[] }>> = {
  production: { origins: ['https://app.zebra.associates'], deny: ['http://localhost:3001'] },
  staging: { origins: ['https://app.zebra.associates', 'http://localhost:3001'], deny: [] },
};

export interface DeployConfig {
  auth: RailwayAuth;
  apiUrl: string;
  /** Required with an account/workspace token; a project token names its own project. */
  projectId?: string;
  /** Name or id; undefined = the project token's environment, else "production". */
  environment?: string;
  /** Name or id. */
  service: string;
  /** The URL the gate probes; undefined = the service's domain on Railway. */
  url?: string;
  /** undefined = GATE_POLICIES for the environment. */
  origins?: string[];
  deny?: string[];
  stateFile: string;
  pollMs: number;
  liveTimeoutMs: number;
  /** How long a rollback may take to show up as a new deployment in Railway's list. */
  appearTimeoutMs: number;
  requestTimeoutMs: number;
}

type Env = Readonly<Record<string, string | undefined>>;

/** "500ms", "10s", "15m", or a bare number of seconds, to milliseconds. */
export function parseDuration(name: string, text: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(text.trim());
  const ms = m ? Number(m[1]) * (m[2] === 'ms' ? 1 : m[2] === 'm' ? 60_000 : 1000) : NaN;
  if (!(ms > 0)) throw new ConfigError(`${name}: not a positive duration: ${JSON.stringify(text)} (e.g. 500ms, 10s, 15m)`);
  return ms;
}

const list = (text: string): string[] => text.split(/[\s,]+/).filter((v) => v !== '');

function set(env: Env, name: string): string | undefined {
  const v = env[name]?.trim();
  return v ? v : undefined;
}

/** The loopback hosts an http:// endpoint may use (the tests' fake); anything else must be https. */
function loopback(host: string): boolean {
  return host === 'localhost' || host === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

function apiUrlOf(env: Env): string {
  const raw = set(env, 'RAILWAY_API_URL') ?? RAILWAY_API_URL;
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    throw new ConfigError(`RAILWAY_API_URL: not a URL: ${JSON.stringify(raw)}`);
  }
  // The token travels in a header: never in clear text over a network.
  if (!(u.protocol === 'https:' || (u.protocol === 'http:' && loopback(u.hostname)))) {
    throw new ConfigError(`RAILWAY_API_URL: must be https:// (http:// only on loopback): ${JSON.stringify(raw)}`);
  }
  return u.href;
}

function authOf(env: Env): RailwayAuth {
  // The Railway CLI's precedence: a project token (RAILWAY_TOKEN) wins over RAILWAY_API_TOKEN.
  const project = set(env, 'RAILWAY_TOKEN');
  if (project) return { kind: 'project', token: project, source: 'RAILWAY_TOKEN' };
  const api = set(env, 'RAILWAY_API_TOKEN');
  if (api) return { kind: 'bearer', token: api, source: 'RAILWAY_API_TOKEN' };
  throw new ConfigError(
    'no Railway token: set RAILWAY_API_TOKEN (account or workspace token) or RAILWAY_TOKEN (project token); see docs/deploy.md, "Guarded deploys"',
  );
}

/** One of two variables naming the same thing (an id the Railway CLI reads, or our name-or-id); both = an error. */
function either(env: Env, idVar: string, nameVar: string): string | undefined {
  const id = set(env, idVar);
  const name = set(env, nameVar);
  if (id && name) throw new ConfigError(`set ${idVar} or ${nameVar}, not both`);
  return id ?? name;
}

function urlOf(env: Env): string | undefined {
  const raw = set(env, 'EDGE_DEPLOY_URL');
  if (raw === undefined) return undefined;
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    throw new ConfigError(`EDGE_DEPLOY_URL: not a URL: ${JSON.stringify(raw)}`);
  }
  if (u.protocol !== 'https:' && u.protocol !== 'http:')
    throw new ConfigError(`EDGE_DEPLOY_URL: must be http(s): ${JSON.stringify(raw)}`);
  return raw;
}

/** Everything from the environment; throws ConfigError naming the variable at the first problem. */
export function loadConfig(env: Env): DeployConfig {
  const auth = authOf(env);
  const origins = env.EDGE_DEPLOY_ORIGINS === undefined ? undefined : list(env.EDGE_DEPLOY_ORIGINS);
  if (origins !== undefined && origins.length === 0)
    throw new ConfigError('EDGE_DEPLOY_ORIGINS: empty (give at least one origin, or unset it)');
  // Set but empty = deny nothing extra; unset = the environment's policy.
  const deny = env.EDGE_DEPLOY_DENY === undefined ? undefined : list(env.EDGE_DEPLOY_DENY);
  const duration = (name: string, fallback: number): number => {
    const v = set(env, name);
    return v === undefined ? fallback : parseDuration(name, v);
  };
  const projectId = set(env, 'RAILWAY_PROJECT_ID');
  const environment = either(env, 'RAILWAY_ENVIRONMENT_ID', 'EDGE_DEPLOY_ENVIRONMENT');
  const url = urlOf(env);
  return {
    auth,
    apiUrl: apiUrlOf(env),
    ...(projectId ? { projectId } : {}),
    ...(environment ? { environment } : {}),
    service: either(env, 'RAILWAY_SERVICE_ID', 'EDGE_DEPLOY_SERVICE') ?? 'api',
    ...(url ? { url } : {}),
    ...(origins ? { origins } : {}),
    ...(deny ? { deny } : {}),
    stateFile: path.resolve(set(env, 'EDGE_DEPLOY_STATE') ?? DEFAULT_STATE_FILE),
    pollMs: duration('EDGE_DEPLOY_POLL', 5000),
    // A cold build (about 3 min) plus the 120 s healthcheck window (.railway/railway.ts), with room for a queue.
    liveTimeoutMs: duration('EDGE_DEPLOY_LIVE_TIMEOUT', 15 * 60_000),
    appearTimeoutMs: duration('EDGE_DEPLOY_APPEAR_TIMEOUT', 60_000),
    requestTimeoutMs: duration('EDGE_DEPLOY_REQUEST_TIMEOUT', 60_000),
  };
}

/** The gate's origins and deny list for an environment: the variables win, else GATE_POLICIES. */
export function gatePolicy(
  cfg: Pick<DeployConfig, 'origins' | 'deny'>,
  environmentName: string,
): { origins: string[]; deny: string[] } {
  const known = Object.hasOwn(GATE_POLICIES, environmentName) ? GATE_POLICIES[environmentName] : undefined;
  const origins = cfg.origins ?? (known ? [...known.origins] : undefined);
  if (!origins) {
    throw new ConfigError(
      `no gate policy for Railway environment ${JSON.stringify(environmentName)} (known: ${Object.keys(GATE_POLICIES).join(', ')}): set EDGE_DEPLOY_ORIGINS`,
    );
  }
  const deny = (cfg.deny ?? (known ? [...known.deny] : [])).filter((o) => !origins.includes(o));
  const clash = (cfg.deny ?? []).filter((o) => origins.includes(o));
  if (clash.length) throw new ConfigError(`EDGE_DEPLOY_DENY: ${clash.join(', ')} is also an allowed origin`);
  return { origins, deny };
}
