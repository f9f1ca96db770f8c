// `make load` settings from LOAD_* variables: defaults, bounds, one error line per bad value (pure).
import path from 'node:path';

export type Shape = 'steady' | 'burst' | 'ramp';
export const SHAPES: readonly Shape[] = ['steady', 'burst', 'ramp'];
/** `drop-cors`: the sidecar's Caddy strips CORS from about 1 response in 8 (tools/test/fixtures/cors-dropping-proxy). */
export type Fault = 'drop-cors';

export interface LoadOptions {
  /** Virtual users of the steady demo load. */
  users: number;
  /** Seconds of steady load per mode and round. */
  seconds: number;
  /** Interleaved rounds (sidecar, direct; then direct, sidecar; ...). */
  rounds: number;
  /** Mean think time between a user's iterations, ms (each pause is uniform in 0.5–1.5 × this). */
  thinkMs: number;
  /** One iteration in this many also POSTs an item (on average). */
  postEvery: number;
  /** Users who reload at the same instant, and how many such bursts per mode and round. */
  burstUsers: number;
  bursts: number;
  /** Users per ramp step, ascending; a mode's ramp stops in a round once a step crossed kneeMs (or failed). */
  ramp: number[];
  rampSeconds: number;
  /** The p99 that marks the knee, ms. */
  kneeMs: number;
  /** CORS_MAX_AGE the stacks are started with: the preflight cache the users honour, compressed for a short run. */
  maxAgeSec: number;
  /** Lifetime of the stand-in's access tokens, and how long before expiry a user refreshes. */
  tokenTtlSec: number;
  refreshMarginSec: number;
  shapes: Shape[];
  fault: Fault | undefined;
  /** Report path relative to the repo; undefined: print only. */
  out: string | undefined;
  /** Seed of the users' think times and POST choices (the same seed, the same traffic shape). */
  seed: number;
  /** Start no round after this many minutes (the report says it is partial). */
  maxMinutes: number;
}

/** Finer around the knee seen on 2 cores (75–150 users); steps past a mode's knee are not run. */
export const DEFAULT_RAMP = [25, 50, 75, 100, 150, 200, 300, 400] as const;
export const DEFAULT_OUT = 'docs/bench/load.md';
export const FAULT_OUT = 'docs/bench/load-seeded-fault.md';

/** Thresholds that fail the run (exit 1) and the targets (reported). */
export const THRESHOLDS = { steadyP95MsMax: 2000 } as const;
export const TARGETS = { steadyP99MsMax: 50 } as const;

export const USAGE = `make load: every setting is an environment variable (defaults in brackets)
  LOAD_USERS=25            users of the steady demo load
  LOAD_SECONDS=20          seconds of steady load per mode and round
  LOAD_ROUNDS=3            interleaved rounds (medians over rounds)
  LOAD_THINK_MS=1000       mean think time between a user's iterations
  LOAD_POST_EVERY=10       one iteration in N (on average) also POSTs an item
  LOAD_BURST_USERS=25      users who reload at the same instant (default: LOAD_USERS)
  LOAD_BURSTS=5            bursts per mode and round
  LOAD_RAMP=${DEFAULT_RAMP.join(',')}  users per ramp step
  LOAD_RAMP_SECONDS=6      seconds per ramp step
  LOAD_KNEE_MS=250         the p99 that marks the knee
  LOAD_MAX_AGE=10          CORS_MAX_AGE of the stacks, seconds (default: CORS_MAX_AGE when set, else 10)
  LOAD_TOKEN_TTL=30        access-token lifetime at the Auth0 stand-in, seconds
  LOAD_REFRESH_MARGIN=10   refresh when the access token expires within this many seconds
  LOAD_SHAPES=steady,burst,ramp
  LOAD_FAULT=drop-cors     seed a fault: the sidecar's Caddy drops CORS from about 1 response in 8
  LOAD_OUT=${DEFAULT_OUT}  report path relative to the repo (${FAULT_OUT} with LOAD_FAULT); - prints only
  LOAD_SEED=1              seed of think times and POST choices
  LOAD_MAX_MINUTES=15      start no round after this many minutes
Every other variable reaches both stacks as it reaches \`make serve\` (DATABASE_URL: a Postgres both share).`;

export class LoadOptionsError extends Error {
  override name = 'LoadOptionsError';
}

type Env = Readonly<Record<string, string | undefined>>;

/** A whole-number variable from `min` to `max`, `fallback` when unset or empty; a LoadOptionsError naming it otherwise. */
export function whole(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (!/^[0-9]+$/.test(raw) || Number(raw) < min || Number(raw) > max) {
    throw new LoadOptionsError(`${name} needs a whole number from ${min} to ${max}, got ${JSON.stringify(raw)}`);
  }
  return Number(raw);
}

function list<T extends string>(env: Env, name: string, allowed: readonly T[], fallback: readonly T[]): T[] {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return [...fallback];
  const items = raw.split(/[\s,]+/).filter(Boolean);
  const bad = items.filter((i) => !(allowed as readonly string[]).includes(i));
  if (bad.length) throw new LoadOptionsError(`${name} lists ${allowed.join(', ')}; unknown: ${bad.join(', ')}`);
  return allowed.filter((a) => items.includes(a));
}

function rampSteps(env: Env): number[] {
  const raw = env.LOAD_RAMP;
  if (raw === undefined || raw.trim() === '') return [...DEFAULT_RAMP];
  const steps = raw.split(/[\s,]+/).filter(Boolean);
  if (steps.length > 12 || steps.some((s) => !/^[0-9]+$/.test(s) || Number(s) < 1 || Number(s) > 1000)) {
    throw new LoadOptionsError(`LOAD_RAMP needs up to 12 user counts from 1 to 1000, got ${JSON.stringify(raw)}`);
  }
  const n = steps.map(Number);
  if (n.some((v, i) => i > 0 && v <= n[i - 1]!)) throw new LoadOptionsError(`LOAD_RAMP must ascend, got ${JSON.stringify(raw)}`);
  return n;
}

export function parseLoadEnv(env: Env): LoadOptions {
  const users = whole(env, 'LOAD_USERS', 25, 1, 1000);
  const fault = env.LOAD_FAULT === undefined || env.LOAD_FAULT === '' ? undefined : env.LOAD_FAULT;
  if (fault !== undefined && fault !== 'drop-cors')
    throw new LoadOptionsError(`LOAD_FAULT is drop-cors or unset, got ${JSON.stringify(fault)}`);
  const outRaw = env.LOAD_OUT;
  let out: string | undefined = fault ? FAULT_OUT : DEFAULT_OUT;
  if (outRaw === '-') out = undefined;
  else if (outRaw !== undefined && outRaw !== '') {
    if (path.isAbsolute(outRaw) || outRaw.split(/[\\/]/).includes('..'))
      throw new LoadOptionsError(`LOAD_OUT needs a path inside the repo, relative to it, got ${JSON.stringify(outRaw)}`);
    out = outRaw;
  }
  const tokenTtlSec = whole(env, 'LOAD_TOKEN_TTL', 30, 5, 86_400);
  const refreshMarginSec = whole(env, 'LOAD_REFRESH_MARGIN', 10, 1, 3600);
  if (refreshMarginSec >= tokenTtlSec)
    throw new LoadOptionsError(`LOAD_REFRESH_MARGIN (${refreshMarginSec}) must be below LOAD_TOKEN_TTL (${tokenTtlSec})`);
  const maxAgeDefault = env.CORS_MAX_AGE !== undefined && /^[0-9]+$/.test(env.CORS_MAX_AGE) ? Number(env.CORS_MAX_AGE) : 10;
  return {
    users,
    seconds: whole(env, 'LOAD_SECONDS', 20, 1, 600),
    rounds: whole(env, 'LOAD_ROUNDS', 3, 1, 20),
    thinkMs: whole(env, 'LOAD_THINK_MS', 1000, 0, 60_000),
    postEvery: whole(env, 'LOAD_POST_EVERY', 10, 1, 1000),
    burstUsers: whole(env, 'LOAD_BURST_USERS', users, 1, 1000),
    bursts: whole(env, 'LOAD_BURSTS', 5, 1, 50),
    ramp: rampSteps(env),
    rampSeconds: whole(env, 'LOAD_RAMP_SECONDS', 6, 1, 120),
    kneeMs: whole(env, 'LOAD_KNEE_MS', 250, 1, 60_000),
    maxAgeSec: whole(env, 'LOAD_MAX_AGE', maxAgeDefault, 0, 86_400),
    tokenTtlSec,
    refreshMarginSec,
    shapes: list(env, 'LOAD_SHAPES', SHAPES, SHAPES),
    fault,
    out,
    seed: whole(env, 'LOAD_SEED', 1, 0, 2 ** 31 - 1),
    maxMinutes: whole(env, 'LOAD_MAX_MINUTES', 15, 1, 600),
  };
}

/** Variables the scenario sets itself, so the caller's are not passed to the stacks. */
const OWNED = new Set(['PORT', 'API_PORT', 'PROXY_MODE', 'PATH', 'HOME', 'APP_MODULE', 'CORS_MAX_AGE']);
const OWNED_AUTH0 = [
  'AUTH0_DOMAIN',
  'AUTH0_ISSUER',
  'AUTH0_AUDIENCE',
  'AUTH0_CLIENT_ID',
  'AUTH0_CLIENT_SECRET',
  'AUTH0_TENANT_CLAIM',
];

/**
 * The caller's environment for both stacks, as `make serve` would see it (DATABASE_URL, CORS_*, ...), less
 * what the scenario owns: ports and mode, the Auth0 settings of the stand-in, PATH, CORS_MAX_AGE, LOAD_*.
 */
export function passthroughEnv(env: Env): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) {
    if (v === undefined || OWNED.has(k) || OWNED_AUTH0.includes(k) || k.startsWith('LOAD_')) continue;
    out[k] = v;
  }
  return out;
}
