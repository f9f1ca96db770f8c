// Database fault drills through the sidecar under a bounded load of authenticated reads and writes, on a real
// PostgreSQL: stopped and started again, hung (SIGSTOP) past the timeouts, the API killed mid-transaction.
// Shown: 503 naming db with CORS during the outage, recovery without restarting the API, connections bounded,
// every acknowledged write present once. The figures go to the test's diagnostics (the note quotes them).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { parseProcNetTcp, TCP_ESTABLISHED } from '../../bench/lib/procfs.ts';
import { generateSigningKey } from '../../src/auth0-standin/keys.ts';
import { type Standin, startStandin } from '../../src/auth0-standin/standin.ts';
import { acknowledgedWrites, type DbLoad, startDbLoad, summarise } from '../../testkit/db-load.ts';
import { accessClaims, signJwt } from '../../testkit/forge.ts';
import { request, values } from '../../testkit/http.ts';
import { databaseName, type PgCluster, startPostgres } from '../../testkit/postgres.ts';
import { REPO, type Stack, startStack, waitFor, waitForNewApi } from '../../testkit/stack.ts';

const ORIGIN = 'https://app.zebra.associates';
// The API's pool bound (backend/edge_api/db.py) plus the readiness probe's two threads.
const dbPy = readFileSync(path.join(REPO, 'backend', 'edge_api', 'db.py'), 'utf8');
const constant = (name: string): number => Number(new RegExp(`^${name} = (\\d+)`, 'm').exec(dbPy)?.[1]);
const MAX_CONNECTIONS = constant('POOL_SIZE') + constant('MAX_OVERFLOW') + 2;
// Transient faults may answer these, always with CORS (the proxy's own 502/504 included); nothing else.
const TRANSIENT = new Set([502, 503, 504]);

let pg: PgCluster;
let standin: Standin;
let stack: Stack;
let url: string;
const key = generateSigningKey('db-drill');

before(async () => {
  pg = await startPostgres();
  url = await pg.createdb();
  standin = await startStandin({ port: 0 });
  standin.rotateKeys([key]);
  stack = await startStack({
    fakeApp: false,
    auth: standin,
    env: { DATABASE_URL: url },
    readyPath: '/health',
    readyTimeoutMs: 60_000,
  });
});
after(async () => {
  await pg?.resume().catch(() => undefined);
  await stack?.stop();
  await standin?.stop();
  await pg?.destroy();
});

/** Client backends of the API in the drill's database (this query's own excluded). */
async function serverSideConnections(): Promise<number> {
  const [[n]] = (await pg.sql(
    `SELECT count(*) FROM pg_stat_activity WHERE datname = '${databaseName(url)}' AND backend_type = 'client backend' AND pid <> pg_backend_pid()`,
    url,
  )) as [[number]];
  return n;
}

/** Established TCP connections to the server's port, seen by the kernel (works while the server is stopped or hung). */
function socketConnections(): number {
  const sockets = ['/proc/net/tcp', '/proc/net/tcp6'].flatMap((f) => parseProcNetTcp(readFileSync(f, 'utf8')));
  return sockets.filter((s) => s.remotePort === pg.port && s.state === TCP_ESTABLISHED).length;
}

async function health(): Promise<{ status: number; failing?: string; cors: boolean; ms: number }> {
  const started = Date.now();
  const res = await request(`${stack.base}/health`, { headers: { Origin: ORIGIN }, timeoutMs: 60_000 });
  const body = JSON.parse(res.body) as { failing?: string };
  return {
    status: res.status,
    failing: body.failing,
    cors: values(res, 'access-control-allow-origin')[0] === ORIGIN,
    ms: Date.now() - started,
  };
}

/** Wait until the load has answered `n` more requests (progress, not a sleep). */
async function answersMore(load: DbLoad, n: number, timeoutMs = 120_000): Promise<void> {
  const target = load.answers().length + n;
  await waitFor(async () => load.answers().length >= target, timeoutMs);
}

test('outage, hang and a kill mid-transaction under load: 503s with CORS, recovery in place, bounded connections, no lost or doubled write', async (t) => {
  const token = signJwt({ alg: 'RS256', key }, accessClaims(standin, 3600));
  const load = startDbLoad({
    base: stack.base,
    origin: ORIGIN,
    token,
    workers: 6,
    writeEvery: 4,
    pauseMs: 20,
    maxRequests: 40_000,
    maxMs: 600_000,
    timeoutMs: 60_000,
  });
  const figures: Record<string, unknown> = {};
  const apiPid = stack.apiPid();
  try {
    load.phase('baseline');
    await answersMore(load, 200);
    figures.connectionsBefore = await serverSideConnections();

    /** One fault: inject it, wait until the load has felt it, check readiness, heal it, time the recovery. */
    const fault = async (name: string, inject: () => Promise<void>, felt: () => Promise<void>, heal: () => Promise<void>) => {
      load.phase(name);
      await inject();
      const began = Date.now();
      await felt();
      const ready = await health();
      figures[`${name}Health`] = ready;
      figures[`${name}Sockets`] = socketConnections();
      assert.deepEqual(
        { status: ready.status, failing: ready.failing, cors: ready.cors },
        { status: 503, failing: 'db', cors: true },
      );
      figures[`${name}Ms`] = Date.now() - began;
      load.phase(`${name}-recovery`);
      const healed = Date.now();
      await heal();
      await waitFor(async () => (await health()).status === 200, 120_000);
      figures[`${name}RecoverMs`] = Date.now() - healed;
      await answersMore(load, 100);
      figures[`${name}ConnectionsAfter`] = await serverSideConnections();
      assert.equal(stack.apiPid(), apiPid, `the API recovered from the ${name} without a restart`);
    };
    // 1. Stopped, then started again.
    await fault(
      'outage',
      () => pg.stopServer(),
      () => answersMore(load, 50),
      () => pg.startServer(),
    );
    // 2. Hung (SIGSTOP) past the pool timeout and the statement timeout: requests waiting for a connection
    //    give up with a 503, readiness answers within its own timeout, the connections stay bounded.
    const hung503 = () => waitFor(async () => load.answers().some((a) => a.phase === 'hang' && a.status === 503), 120_000);
    await fault(
      'hang',
      () => pg.pause(),
      hung503,
      () => pg.resume(),
    );

    // 3. The API killed mid-transaction: writes are made to wait inside their transaction (a lock held on the
    //    table), the API gets SIGKILL, supervisord starts a new one; the dead one's sessions must end.
    load.phase('kill');
    await pg.hold('LOCK TABLE items IN EXCLUSIVE MODE', url);
    await waitFor(async () => {
      const [[n]] = (await pg.sql(
        `SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE 'INSERT%'`,
        url,
      )) as [[number]];
      return n >= 1;
    }, 120_000);
    figures.connectionsAtKill = await serverSideConnections();
    process.kill(stack.apiPid(), 'SIGKILL');
    await pg.release();
    await waitForNewApi(stack, apiPid, 120_000);
    load.phase('after-kill');
    await answersMore(load, 100);
    figures.connectionsAfterKill = await serverSideConnections();
    await waitFor(async () => (await serverSideConnections()) <= MAX_CONNECTIONS, 60_000);
  } finally {
    await load.stop();
  }

  const answers = load.answers();
  const phases = summarise(answers);
  t.diagnostic(JSON.stringify(phases));
  t.diagnostic(JSON.stringify(figures));
  const reasons = stack
    .logs()
    .split('\n')
    .flatMap((l) => /"database unavailable: (\w+: [^\\"]{0,60})/.exec(l)?.[1] ?? []);
  t.diagnostic(`API "database unavailable" lines: ${reasons.length}; reasons: ${JSON.stringify([...new Set(reasons)])}`);

  // Every answer is a success or a transient fault with CORS; none lacks CORS, none is a 500 or a dropped connection.
  const bad = answers.filter((a) => !(a.cors && (a.status === 200 || a.status === 201 || TRANSIENT.has(a.status))));
  assert.deepEqual(bad.slice(0, 10), [], `${bad.length} answers were neither a success nor a transient fault with CORS`);
  // No fault, no failure: every request sent and answered before the first fault succeeded.
  const [baseline] = summarise(answers.filter((a) => a.phase === 'baseline' && a.answeredIn === 'baseline'));
  assert.equal(baseline!.ok, baseline!.sent, JSON.stringify(baseline));
  assert.ok(
    phases.find((p) => p.phase === 'outage')!.unavailableWithCors > 0,
    'the outage was seen by the load as 503s with CORS',
  );
  for (const n of ['connectionsBefore', 'outageConnectionsAfter', 'hangConnectionsAfter', 'connectionsAtKill', 'hangSockets']) {
    assert.ok(Number(figures[n]) <= MAX_CONNECTIONS, `${n} ${figures[n]} > ${MAX_CONNECTIONS}`);
  }
  assert.ok(Number(figures.connectionsAfterKill) <= 2 * MAX_CONNECTIONS, 'the old API’s sessions end');

  // Every acknowledged write is in the database, once.
  const acknowledged = acknowledgedWrites(answers);
  const rows = (await pg.sql('SELECT name, count(*) FROM items GROUP BY name', url)) as [string, number][];
  const found = new Map(rows);
  const missing = acknowledged.filter((name) => !found.has(name));
  const doubled = rows.filter(([, n]) => n > 1);
  t.diagnostic(
    JSON.stringify({
      sent: answers.length,
      writesAcknowledged: acknowledged.length,
      rows: rows.length,
      missing: missing.length,
      doubled: doubled.length,
    }),
  );
  assert.deepEqual(missing, [], 'acknowledged writes missing from the database');
  assert.deepEqual(doubled, [], 'writes stored twice');
});
