// The reference API as the benchmarks drive it: one Auth0 stand-in, a login per stack, seeded items, drained logs.
import { type Standin, startStandin } from '../../src/auth0-standin/standin.ts';
import { loginThroughApi } from '../../testkit/auth.ts';
import { request } from '../../testkit/http.ts';
import { type Stack, startStack } from '../../testkit/stack.ts';
import { type StackGroup, stackGroup } from './stack-group.ts';
import type { Cell, Mode } from './table.ts';

export const TENANT = 'bench';
export const ITEMS_PATH = '/api/v1/items';
export const SEED_ITEMS = 10;

/** What `make bench` measures; `seed` also checks each stack answers every one of them before a run. */
export const CELLS: readonly Cell[] = [
  { id: 'live-1', path: '/health/live', label: '/health/live', connections: 1, headers: {} },
  { id: 'live-64', path: '/health/live', label: '/health/live', connections: 64, headers: {} },
  { id: 'items-1', path: ITEMS_PATH, label: ITEMS_PATH, connections: 1, headers: {}, auth: true },
  { id: 'items-64', path: ITEMS_PATH, label: ITEMS_PATH, connections: 64, headers: {}, auth: true },
];

/** Bearer header of one stack's login, for the cells that need it. */
export type AuthHeaders = Record<string, string>;

/** One local Auth0 stand-in for all of a benchmark's stacks; its dev user's tenant is TENANT. */
export function startBenchAuth(): Promise<Standin> {
  return startStandin({ port: 0, devUser: { tenantId: TENANT } });
}

/** A benchmark's stacks plus the stand-in they trust and each stack's bearer header; `close` stops them all. */
export interface AuthedStackGroup<K> extends StackGroup<K> {
  standin: Standin;
  auth: Map<K, AuthHeaders>;
  /** Start the reference API as stack `key` (stdout drained), log in once through it and seed its items. */
  start: (key: K, mode: Mode, env: Record<string, string>) => Promise<Stack>;
}

export async function authedStackGroup<K>(name: string, scratch: string): Promise<AuthedStackGroup<K>> {
  const group = stackGroup<K>(name, scratch);
  const standin = await startBenchAuth();
  const auth = new Map<K, AuthHeaders>();
  const start = async (key: K, mode: Mode, env: Record<string, string>): Promise<Stack> => {
    const stack = await startStack({ mode, env, fakeApp: false, auth: standin });
    group.stacks.set(key, stack);
    drainStdout(stack);
    auth.set(key, await loginBench(stack));
    await seed(stack, auth.get(key)!);
    return stack;
  };
  const close = async () => {
    await group.close();
    await standin.stop();
  };
  return { stacks: group.stacks, standin, auth, start, close };
}

/** Logs in once through the stack's own auth routes (as the page would) and returns the bearer header. */
export async function loginBench(stack: Pick<Stack, 'base'>): Promise<AuthHeaders> {
  const origin = 'http://localhost:3001'; // in the default CORS policy; its /callback is the stand-in's default
  const { accessToken } = await loginThroughApi(stack.base, { origin, redirectUri: `${origin}/callback` });
  return { Authorization: `Bearer ${accessToken}` };
}

/** The cell with the stack's bearer header when it needs one. */
export const withAuth = (cell: Cell, auth: AuthHeaders): Cell =>
  cell.auth ? { ...cell, headers: { ...cell.headers, ...auth } } : cell;

/**
 * Caddy's JSON access log (one line per request) reaches us through supervisord and the entrypoint:
 * if nobody reads it, the pipe fills and Caddy stops answering. Keep reading, keep only a tail.
 */
export function drainStdout(stack: Stack, keep = 32_768): () => string {
  const out = stack.child.stdout;
  if (!out) return () => '';
  out.removeAllListeners('data');
  let tail = '';
  out.on('data', (c: Buffer) => {
    tail = (tail + c.toString()).slice(-keep);
  });
  return () => tail;
}

export async function seed(stack: Stack, auth: AuthHeaders): Promise<void> {
  const headers = { ...auth, 'Content-Type': 'application/json' };
  for (let i = 1; i <= SEED_ITEMS; i++) {
    const res = await request(stack.base + ITEMS_PATH, {
      method: 'POST',
      headers,
      body: JSON.stringify({ name: `bench item ${i}` }),
    });
    if (res.status !== 201) throw new Error(`${stack.mode}: seeding ${ITEMS_PATH} answered ${res.status}: ${res.body}`);
  }
  for (const cell of CELLS.map((c) => withAuth(c, auth))) {
    const res = await request(stack.base + cell.path, { headers: cell.headers });
    if (res.status !== 200) throw new Error(`${stack.mode}: GET ${cell.path} answered ${res.status}: ${res.body}`);
    if (cell.path === ITEMS_PATH && (JSON.parse(res.body) as unknown[]).length !== SEED_ITEMS)
      throw new Error(`${stack.mode}: ${ITEMS_PATH} does not list the ${SEED_ITEMS} seeded items`);
  }
}

/** Longest the bench waits for a stalled API to answer again before it gives up on the run. */
const RECOVERY_LIMIT_MS = 60_000;

/**
 * After each run: does the API still answer /api/v1/items promptly? If not (a stall outlasting the
 * run), wait until it does, so the stall does not spill into the next runs. Seconds waited, 0 if none.
 */
export async function awaitResponsive(stack: Stack, auth: AuthHeaders): Promise<number> {
  const t0 = Date.now();
  const probe = async () => {
    try {
      return (await request(stack.base + ITEMS_PATH, { headers: auth, timeoutMs: 2000 })).status === 200;
    } catch {
      return false;
    }
  };
  if (await probe()) return 0;
  while (!(await probe())) {
    if (Date.now() - t0 > RECOVERY_LIMIT_MS)
      throw new Error(`${stack.mode}: ${ITEMS_PATH} did not answer for ${RECOVERY_LIMIT_MS / 1000} s after a run`);
    await new Promise((r) => setTimeout(r, 500));
  }
  return (Date.now() - t0) / 1000;
}
