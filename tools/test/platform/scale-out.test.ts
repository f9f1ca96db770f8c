// Scale-out on the local replica of Railway's platform: production's two replicas of the real image on one throwaway
// Postgres behind one edge. They migrate the empty database once, a login started on one completes on the other,
// refresh works on either, both see the same rows, the edge spreads the load, and a replica killed under GETs loses
// none (the edge's rule for that: tools/src/platform/edge.ts). What the replicas share and what each keeps for
// itself: docs/deploy.md, "Replicas: what is shared, what is per-replica". Figures go to the test's diagnostics.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { authorize, CookieJar } from '../../src/auth0-standin/client.ts';
import { type Standin, startStandin } from '../../src/auth0-standin/standin.ts';
import { type Edge, startEdge } from '../../src/platform/edge.ts';
import { type LocalDeployment, LocalPlatform } from '../../src/platform/replica.ts';
import { loadPlatformSpec, type PlatformSpec } from '../../src/platform/spec.ts';
import { type ApiCall, AUTH, apiCall, type Caller, jsonBody, REFRESH_COOKIE, setCookie } from '../../testkit/auth.ts';
import { buildImage, docker, dockerOk, ensureEngine, IMAGE, removeRunContainers } from '../../testkit/docker.ts';
import { type RawResponse, values } from '../../testkit/http.ts';
import { type PgCluster, startPostgres } from '../../testkit/postgres.ts';
import { standinEnv } from '../../testkit/stack.ts';

const ORIGIN = 'https://app.zebra.associates'; // production's one origin (.railway/railway.ts)
const CALLBACK = `${ORIGIN}/callback`; // never requested: the walk stops before it, as the page would take over
const HEAD = '0001'; // the newest migration (backend/edge_api/migrations)
const MIGRATED = /migrating database from empty to 0001/g;
const ITEMS = '/api/v1/items';
const SPREAD_REQUESTS = 200;
const KILL_LOOP = { clients: 10, maxRequests: 4_000, maxMs: 30_000, killAfterMs: 2_000, afterKillMs: 5_000 };

let spec: PlatformSpec;
let pg: PgCluster;
let databaseUrl = '';
let standin: Standin;
let edge: Edge;
let platform: LocalPlatform;
let live: LocalDeployment;
/** Each replica's own $PORT on the loopback, as the edge reaches it. */
let replicas: { name: 'A' | 'B'; id: string; base: string }[] = [];
const steps: string[] = [];

before(
  async () => {
    await ensureEngine();
    await buildImage();
    spec = await loadPlatformSpec('production');
    [pg, standin, edge] = await Promise.all([startPostgres(), startStandin({ port: 0, redirectUris: [CALLBACK] }), startEdge()]);
    databaseUrl = await pg.createdb();
    platform = new LocalPlatform({
      spec,
      edge,
      image: IMAGE,
      // The dashboard's values in production: the Postgres reference and the preserved AUTH0_* (here the stand-in).
      platformVariables: { ...standinEnv(standin), DATABASE_URL: databaseUrl },
      log: (line) => steps.push(line),
    });
    live = await platform.deploy();
    const gate = await platform.waitLive(live);
    assert.deepEqual(gate, { live: true });
    replicas = live.containers.map((c, i) => ({ name: i === 0 ? 'A' : 'B', id: c.id, base: `http://127.0.0.1:${c.port}` }));
  },
  { timeout: 10 * 60_000 },
);

after(async () => {
  await platform?.close();
  await edge?.stop();
  await standin?.stop();
  await pg?.destroy();
  await removeRunContainers();
});

/**
 * A browser that knows one API host, api.zebra.associates, whichever replica answers: every Set-Cookie any of
 * `bases` sends is stored for all of them (the jar keeps cookies per host:port, and each replica has its own port).
 */
class OneSiteBrowser {
  readonly caller: Caller = { origin: ORIGIN, jar: new CookieJar() };
  constructor(private readonly bases: string[]) {}

  async call(base: string, path: string, call: ApiCall = {}): Promise<RawResponse> {
    const res = await apiCall(base, path, this.caller, call);
    for (const other of this.bases) this.caller.jar.store(other + path, values(res, 'set-cookie'));
    return res;
  }

  /** auth0-url on `startOn`, the stand-in's authorize, then login on `finishOn`. */
  async login(
    startOn: string,
    finishOn: string,
  ): Promise<{ start: RawResponse; login: RawResponse; code: string; state: string }> {
    const start = await this.call(startOn, `${AUTH}/auth0-url?redirect_uri=${encodeURIComponent(CALLBACK)}`);
    assert.equal(start.status, 200, start.body);
    const callback = await authorize(String(jsonBody(start).url), CALLBACK, this.caller.jar);
    assert.ok(callback.code && callback.state, `no code: ${callback.error} ${callback.errorDescription}`);
    const login = await this.finish(finishOn, callback.code, callback.state);
    return { start, login, code: callback.code, state: callback.state };
  }

  finish(base: string, code: string, state: string): Promise<RawResponse> {
    return this.call(base, `${AUTH}/login`, { method: 'POST', json: { code, state } });
  }
}

/** `workers` clients running `one` until it returns false or the time is up; every call awaited. */
async function clients(workers: number, maxMs: number, one: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + maxMs;
  await Promise.all(
    Array.from({ length: workers }, async () => {
      while (Date.now() < deadline && (await one()));
    }),
  );
}

/** The API's request log lines in a container's output (docker logs), by X-Request-ID. */
async function requestIdsServed(containerId: string, prefix: string): Promise<Set<string>> {
  const logs = await docker(['logs', containerId]);
  const ids = new Set<string>();
  for (const line of `${logs.stdout}\n${logs.stderr}`.split('\n')) {
    if (!line.includes(prefix)) continue;
    const id = new RegExp(`${prefix}[0-9]+`).exec(line)?.[0];
    if (id) ids.add(id);
  }
  return ids;
}

const acao = (res: RawResponse): string[] => values(res, 'access-control-allow-origin');

describe('two replicas on one Postgres behind one edge (production: replicas 2 in .railway/railway.ts)', {
  timeout: 10 * 60_000,
}, () => {
  test('started together on the empty database: migrated once, to head, and both healthy', async (t) => {
    assert.equal(spec.replicas, 2);
    assert.equal(replicas.length, 2);
    assert.deepEqual(await pg.sql('SELECT version_num FROM alembic_version', databaseUrl), [[HEAD]]);
    const migrations = [];
    for (const r of replicas) {
      const logs = await docker(['logs', r.id]);
      migrations.push((`${logs.stdout}${logs.stderr}`.match(MIGRATED) ?? []).length);
      const health = await apiCall(r.base, '/health', { origin: ORIGIN, jar: new CookieJar() });
      assert.equal(health.status, 200, `${r.name}: ${health.body}`);
    }
    t.diagnostic(`migrations run per replica: ${migrations.join(', ')}`);
    assert.deepEqual([...migrations].sort(), [0, 1], 'exactly one replica migrated, the other found the schema at head');
  });

  test('a login started on A completes on B; refresh works on either; both see the same rows', async () => {
    const [A, B] = replicas.map((r) => r.base) as [string, string];
    const browser = new OneSiteBrowser([A, B, edge.base]);
    const { login } = await browser.login(A, B);
    assert.equal(login.status, 200, login.body);
    const token = jsonBody(login).access_token;
    assert.equal(typeof token, 'string');
    const refreshCookie = setCookie(login, REFRESH_COOKIE);
    assert.ok(refreshCookie?.value, 'B set the refresh cookie');
    assert.ok(refreshCookie.attrs.has('httponly'));
    assert.deepEqual(acao(login), [ORIGIN]);

    // The refresh token rotates on every use; the cookie each answer sets is the one the next call sends.
    const tokens: Record<string, string> = { login: String(token) };
    for (const [name, base] of [
      ['A', A],
      ['B', B],
      ['edge', edge.base],
    ] as const) {
      const refreshed = await browser.call(base, `${AUTH}/refresh`, { method: 'POST' });
      assert.equal(refreshed.status, 200, `refresh on ${name}: ${refreshed.body}`);
      assert.ok(setCookie(refreshed, REFRESH_COOKIE)?.value, `refresh on ${name} rotated the cookie`);
      tokens[name] = String(jsonBody(refreshed).access_token);
    }
    assert.equal(new Set(Object.values(tokens)).size, 4, 'four different access tokens');

    // One Postgres: what one replica writes, the other (and the edge, whichever it picks) reads.
    const bearer = tokens.edge!;
    const names: string[] = [];
    for (const [name, base] of [
      ['A', A],
      ['B', B],
    ] as const) {
      const created = await browser.call(base, ITEMS, {
        method: 'POST',
        token: bearer,
        json: { name: `scale-out from ${name}` },
      });
      assert.equal(created.status, 201, created.body);
      names.push(`scale-out from ${name}`);
    }
    for (const [name, base] of [
      ['A', A],
      ['B', B],
      ['edge', edge.base],
      ['edge', edge.base],
    ] as const) {
      const list = await browser.call(base, ITEMS, { token: bearer });
      assert.equal(list.status, 200, list.body);
      assert.deepEqual(acao(list), [ORIGIN]);
      const seen = (JSON.parse(list.body) as { name: string }[]).map((i) => i.name);
      for (const n of names) assert.ok(seen.includes(n), `${name} lists "${n}": ${list.body}`);
    }
  });

  test('through the edge alone: a login (auth0-url and login land on different replicas) and a refresh', async () => {
    const browser = new OneSiteBrowser([edge.base]);
    const before = edge.stats().served;
    const { login } = await browser.login(edge.base, edge.base);
    assert.equal(login.status, 200, login.body);
    const after = edge.stats().served;
    // The local edge's round robin, nothing else on it: the two calls went one to each replica (Railway's edge picks
    // at random, so there they do half the time).
    assert.deepEqual(
      live.containers.map((c) => (after[c.port] ?? 0) - (before[c.port] ?? 0)),
      [1, 1],
    );
    const refreshed = await browser.call(edge.base, `${AUTH}/refresh`, { method: 'POST' });
    assert.equal(refreshed.status, 200, refreshed.body);
  });

  test(`the edge spreads the load: ${SPREAD_REQUESTS} GETs, each answered by one replica, each replica a real share`, async (t) => {
    const browser = new OneSiteBrowser([edge.base]);
    const { login } = await browser.login(edge.base, edge.base);
    const token = String(jsonBody(login).access_token);
    // The marker: Caddy keeps a caller's sane X-Request-ID and the API logs it with the request (docker logs).
    const prefix = `spread-${process.pid}-`;
    let sent = 0;
    const statuses: number[] = [];
    await clients(4, 60_000, async () => {
      if (sent >= SPREAD_REQUESTS) return false;
      const id = `${prefix}${sent++}`;
      const res = await apiCall(edge.base, ITEMS, browser.caller, { token, headers: { 'X-Request-ID': id } });
      statuses.push(res.status);
      return true;
    });
    assert.deepEqual(
      statuses.filter((s) => s !== 200),
      [],
      'every GET answered 200',
    );
    const served = await Promise.all(replicas.map((r) => requestIdsServed(r.id, prefix)));
    const counts = served.map((s) => s.size);
    t.diagnostic(`spread over ${sent} GETs: A ${counts[0]}, B ${counts[1]}`);
    assert.equal(sent, SPREAD_REQUESTS);
    assert.equal(counts[0]! + counts[1]!, SPREAD_REQUESTS, 'each request logged by exactly one replica');
    assert.deepEqual(
      [...served[0]!].filter((id) => served[1]!.has(id)),
      [],
      'none logged by both',
    );
    for (const [i, n] of counts.entries())
      assert.ok(n >= SPREAD_REQUESTS * 0.2, `replica ${replicas[i]!.name} served ${n} of ${SPREAD_REQUESTS}`);
  });

  test('replicas that do not share AUTH0_CLIENT_SECRET: the login cookie from one is refused by the other', async (t) => {
    // A third replica of the same service whose dashboard holds another secret (its own platform, so the live
    // deployment's edge never sends it anything). The cookie key derives from the secret alone
    // (backend/edge_api/auth/transaction.py), and login checks the cookie before it calls the tenant.
    const oddEdge = await startEdge();
    const odd = new LocalPlatform({
      spec: { ...spec, replicas: 1 },
      edge: oddEdge,
      image: IMAGE,
      platformVariables: { ...standinEnv(standin), DATABASE_URL: databaseUrl, AUTH0_CLIENT_SECRET: 'a-secret-of-its-own' },
      log: (line) => steps.push(`odd: ${line}`),
    });
    try {
      const d = await odd.deploy();
      assert.deepEqual(await odd.waitLive(d), { live: true });
      const C = `http://127.0.0.1:${d.containers[0]!.port}`;
      const [A, B] = replicas.map((r) => r.base) as [string, string];
      const browser = new OneSiteBrowser([A, B, C]);
      const { login: refused, code, state } = await browser.login(A, C);
      t.diagnostic(`login started on A, completed on the replica with another secret: ${refused.status} ${refused.body}`);
      assert.equal(refused.status, 400);
      assert.deepEqual(jsonBody(refused), { detail: 'the login cookie is not valid', error: 'invalid_request' });
      assert.deepEqual(acao(refused), [ORIGIN], 'the refusal is readable by the page');
      // Nothing else was wrong: the same code, unspent, completes on B, which shares A's secret.
      const completed = await browser.finish(B, code, state);
      assert.equal(completed.status, 200, completed.body);
    } finally {
      await odd.close();
      await oddEdge.stop();
    }
  });

  test('killing one replica (SIGKILL) under GETs through the edge loses none: every one 200 with CORS', async (t) => {
    const browser = new OneSiteBrowser([edge.base]);
    const { login } = await browser.login(edge.base, edge.base);
    const token = String(jsonBody(login).access_token);
    const victim = replicas[1]!;
    const before = edge.stats();
    const started = Date.now();
    let killedAt = 0;
    let sent = 0;
    let sentAfterKill = 0;
    const bad: string[] = [];
    const kill = (async () => {
      await new Promise((r) => setTimeout(r, KILL_LOOP.killAfterMs));
      await dockerOk(['kill', '--signal', 'KILL', victim.id]);
      killedAt = Date.now();
    })();
    kill.catch(() => undefined); // awaited below, after the load
    await clients(KILL_LOOP.clients, KILL_LOOP.maxMs, async () => {
      if (sent >= KILL_LOOP.maxRequests || (killedAt && Date.now() - killedAt > KILL_LOOP.afterKillMs)) return false;
      sent += 1;
      if (killedAt) sentAfterKill += 1;
      try {
        const res = await apiCall(edge.base, ITEMS, browser.caller, { token });
        if (res.status !== 200 || acao(res).join() !== ORIGIN)
          bad.push(`${res.status} ${JSON.stringify(acao(res))} ${res.body.slice(0, 120)}`);
      } catch (err) {
        bad.push(`no answer: ${(err as Error).message}`);
      }
      return true;
    });
    await kill;
    const stats = edge.stats();
    const state = await dockerOk(['inspect', '-f', '{{.State.Status}} {{.State.ExitCode}}', victim.id]);
    const servedAfter = live.containers.map((c) => (stats.served[c.port] ?? 0) - (before.served[c.port] ?? 0));
    t.diagnostic(
      `kill: ${sent} GETs in ${Date.now() - started} ms (${sentAfterKill} sent after the kill), ${bad.length} failed; ` +
        `edge: A answered ${servedAfter[0]}, B ${servedAfter[1]}, ${stats.retried - before.retried} sent on to A after B failed; B is ${state}`,
    );
    assert.match(state, /^exited 137$/, 'B died by SIGKILL (and stays down: Docker restarts no container it was told to kill)');
    assert.ok(
      sentAfterKill > 0 && sent - sentAfterKill > 0,
      `the load ran across the kill (${sent - sentAfterKill} before, ${sentAfterKill} after)`,
    );
    assert.deepEqual(bad.slice(0, 10), []);
    assert.equal(stats.failed - before.failed, 0, 'the edge gave no 502');
  });
});

test('the platform log (each step)', (t) => {
  t.diagnostic(steps.join('\n'));
  assert.ok(steps.length > 0);
});
