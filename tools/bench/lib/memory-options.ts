// `make bench-memory` settings: MEMORY_* of its own, the scenario's LOAD_* with longer defaults; one error line per bad value (pure).
import path from 'node:path';
import { type LoadOptions, LoadOptionsError, parseLoadEnv, whole } from '../../src/load/options.ts';

export const DEFAULT_MEMORY_OUT = 'docs/bench/memory.md';

export interface MemoryOptions {
  /** `docker run --memory` and `--memory-swap` (no swap), as given: 256m. */
  limit: string;
  limitBytes: number;
  /** Report path relative to the repo; undefined: print only. */
  out: string | undefined;
  /** Run `make image` (deploy/image/build.sh) first: a no-change build takes about a second. */
  build: boolean;
  idleSeconds: number;
  sampleMs: number;
  /** After the demo: a burst of this many users (0: none), `headroomBursts` times, to show the margin left under the limit. */
  headroomUsers: number;
  headroomBursts: number;
  /** The scenario's settings: users, seconds, think time, burst users and count, tokens, max-age. */
  load: LoadOptions;
}

export const MEMORY_USAGE = `make bench-memory: every setting is an environment variable (defaults in brackets)
  MEMORY_LIMIT=256m        docker run --memory (and --memory-swap: no swap); a whole number with k, m or g
  MEMORY_OUT=${DEFAULT_MEMORY_OUT}  report path relative to the repo; - prints only
  MEMORY_BUILD=1           0: use the existing ${'edge-sidecar:local'} without running make image first
  MEMORY_IDLE_SECONDS=5    idle sampling after the logins, before the steady load
  MEMORY_SAMPLE_MS=1000    sampling period
  MEMORY_HEADROOM_USERS=200  after the demo, a burst of this many users (0: none): the margin left under the limit
  MEMORY_HEADROOM_BURSTS=5   how many such bursts
The scenario's own settings apply (make load, LOAD_HELP=1), with longer defaults here:
  LOAD_USERS=25 LOAD_SECONDS=60 LOAD_THINK_MS=1000 LOAD_POST_EVERY=10 LOAD_BURST_USERS=LOAD_USERS LOAD_BURSTS=10
  LOAD_TOKEN_TTL=30 LOAD_REFRESH_MARGIN=10 LOAD_MAX_AGE=10 LOAD_SEED=1
LOAD_SHAPES, LOAD_ROUNDS and LOAD_RAMP are not used (one steady run, one burst run, then the headroom burst); LOAD_FAULT is refused.`;

type Env = Readonly<Record<string, string | undefined>>;

const UNITS: Record<string, number> = { k: 2 ** 10, m: 2 ** 20, g: 2 ** 30 };

export function parseMemoryEnv(env: Env): MemoryOptions {
  const limit = (env.MEMORY_LIMIT ?? '').trim() || '256m';
  const m = /^([1-9][0-9]*)([kmg])$/i.exec(limit);
  // Docker refuses limits under 6 MB; more than 64 GiB is not a fit test on this machine.
  const limitBytes = m ? Number(m[1]) * UNITS[m[2]!.toLowerCase()]! : Number.NaN;
  if (!m || limitBytes < 6 * 2 ** 20 || limitBytes > 64 * 2 ** 30) {
    throw new LoadOptionsError(`MEMORY_LIMIT needs a size from 6m to 64g such as 256m, got ${JSON.stringify(env.MEMORY_LIMIT)}`);
  }
  const outRaw = env.MEMORY_OUT;
  let out: string | undefined = DEFAULT_MEMORY_OUT;
  if (outRaw === '-') out = undefined;
  else if (outRaw !== undefined && outRaw !== '') {
    if (path.isAbsolute(outRaw) || outRaw.split(/[\\/]/).includes('..'))
      throw new LoadOptionsError(`MEMORY_OUT needs a path inside the repo, relative to it, got ${JSON.stringify(outRaw)}`);
    out = outRaw;
  }
  const build = env.MEMORY_BUILD ?? '1';
  if (build !== '0' && build !== '1') throw new LoadOptionsError(`MEMORY_BUILD is 0 or 1, got ${JSON.stringify(build)}`);
  if (env.LOAD_FAULT)
    throw new LoadOptionsError("LOAD_FAULT is for make load: the seeded fault replaces the host Caddy, not the image's");
  const load = parseLoadEnv({
    LOAD_SECONDS: '60',
    LOAD_BURSTS: '10',
    ...env,
    LOAD_SHAPES: 'steady,burst',
    LOAD_ROUNDS: '1',
    LOAD_OUT: '-',
  });
  return {
    limit: limit.toLowerCase(),
    limitBytes,
    out,
    build: build === '1',
    idleSeconds: whole(env, 'MEMORY_IDLE_SECONDS', 5, 0, 600),
    sampleMs: whole(env, 'MEMORY_SAMPLE_MS', 1000, 100, 10_000),
    headroomUsers: whole(env, 'MEMORY_HEADROOM_USERS', 200, 0, 1000),
    headroomBursts: whole(env, 'MEMORY_HEADROOM_BURSTS', 5, 1, 50),
    load,
  };
}
