// Migrations at start through the real stack on a throwaway PostgreSQL: two stacks starting together migrate once,
// a failing migration stops the start with one line, a database down at start is migrated once it answers.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { request } from '../../testkit/http.ts';
import { databaseName, type PgCluster, startPostgres } from '../../testkit/postgres.ts';
import { DEFAULT_AUDIENCE, freePort, freePorts, runEntrypoint, type Stack, startStack, waitFor } from '../../testkit/stack.ts';

const HEAD = '0001';
const MIGRATED = /"migrating database from empty to 0001"/g;

let pg: PgCluster;
before(async () => {
  pg = await startPostgres();
});
after(async () => {
  await pg?.destroy();
});

/** An issuer on a closed port: the reference API starts (no token can validate; none is needed here). */
async function authEnv(): Promise<Record<string, string>> {
  return { AUTH0_ISSUER: `http://127.0.0.1:${await freePort()}/`, AUTH0_AUDIENCE: DEFAULT_AUDIENCE };
}

describe('two stacks started at the same moment on one empty database', () => {
  test('migrate it once, and both serve', async () => {
    const url = await pg.createdb();
    const name = databaseName(url);
    // The race, made wide on purpose: an uncommitted alembic_version table makes each migrator's own CREATE
    // TABLE wait for this transaction, so both stacks reach the critical step before either can pass it.
    await pg.hold('CREATE TABLE alembic_version (version_num varchar(32) NOT NULL)', url);
    const env = { DATABASE_URL: url, ...(await authEnv()) };
    const starting = Promise.allSettled(
      (['sidecar', 'direct'] as const).map((mode) =>
        startStack({ mode, fakeApp: false, env, readyPath: '/health', readyTimeoutMs: 120_000 }),
      ),
    );
    // Both at the gate. Without a lock both wait on that table. With it, the lock holder waits on the table and
    // the other is connected, polling the lock (it does nothing else before that).
    await waitFor(async () => {
      const [[backends, waiting, locked]] = (await pg.sql(
        `SELECT count(*), count(*) FILTER (WHERE wait_event_type = 'Lock'),
                (SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted)
         FROM pg_stat_activity WHERE datname = '${name}' AND pid <> pg_backend_pid()`,
        url,
      )) as [[number, number, number]];
      return waiting >= 2 || (waiting === 1 && locked === 1 && backends >= 3);
    }, 90_000);
    await pg.release();
    const settled = await starting;
    const stacks = settled.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
    try {
      assert.deepEqual(
        settled.map((s) => s.status),
        ['fulfilled', 'fulfilled'],
        settled.map((s) => (s.status === 'rejected' ? String(s.reason) : '')).join('\n'),
      );
      for (const stack of stacks) {
        const health = await request(`${stack.base}/health`);
        assert.equal(health.status, 200, `${stack.mode}: ${health.body}`);
      }
      assert.deepEqual(await pg.sql('SELECT version_num FROM alembic_version', url), [[HEAD]]);
      const migrations = stacks.map((s) => (s.logs().match(MIGRATED) ?? []).length);
      assert.deepEqual(migrations.sort(), [0, 1], `exactly one stack migrated:\n${stacks.map((s) => s.logs()).join('\n')}`);
    } finally {
      await Promise.all(stacks.map((s) => s.stop()));
    }
  });
});

describe('a migration that fails stops the start with one line (exit code 2)', { concurrency: true }, () => {
  for (const mode of ['sidecar', 'direct'] as const) {
    test(mode, async (t) => {
      const url = await pg.createdb();
      // A relation holding the name the first migration's index needs: CREATE INDEX fails, every time.
      await pg.sql('CREATE TABLE ix_items_tenant_id_created_at (id integer)', url);
      const [port, apiPort] = await freePorts(2);
      const started = Date.now();
      const result = await runEntrypoint(
        { PORT: String(port), API_PORT: String(apiPort), PROXY_MODE: mode, DATABASE_URL: url, ...(await authEnv()) },
        120_000,
      );
      t.diagnostic(`exit ${result.code} after ${Date.now() - started} ms`);
      assert.equal(result.code, 2, result.stderr);
      const last = result.stderr.trim().split('\n').at(-1) ?? '';
      assert.match(last, new RegExp(`migration to ${HEAD} failed: .*ix_items_tenant_id_created_at`), result.stderr);
      assert.ok(!result.stderr.includes(pg.password), 'the database password never reaches the log');
      assert.deepEqual(await pg.sql("SELECT to_regclass('items') IS NULL", url), [[true]], 'the failed migration left no table');
    });
  }
});

describe('a database down at start', () => {
  test('readiness says db (503) until it answers, then the stack migrates and serves, without a restart', async () => {
    const url = await pg.createdb();
    await pg.stopServer();
    let stack: Stack | undefined;
    try {
      stack = await startStack({ fakeApp: false, env: { DATABASE_URL: url, ...(await authEnv()) } });
      const down = await request(`${stack.base}/health`);
      assert.equal(down.status, 503, down.body);
      assert.equal(JSON.parse(down.body).failing, 'db');
      const pid = stack.apiPid();
      await pg.startServer();
      await waitFor(async () => (await request(`${stack!.base}/health`)).status === 200, 60_000);
      assert.equal(stack.apiPid(), pid, 'the same API process recovered');
      assert.deepEqual(await pg.sql('SELECT version_num FROM alembic_version', url), [[HEAD]]);
    } finally {
      await pg.startServer().catch(() => undefined);
      await stack?.stop();
    }
  });
});
