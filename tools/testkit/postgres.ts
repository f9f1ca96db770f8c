// A throwaway PostgreSQL cluster for the TypeScript tests: tools/test/fixtures/pg_cluster.py (shared with pytest) run as a child.
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { FIXTURES, VENV_BIN } from './stack.ts';

export interface PgCluster {
  /** The owner's database: postgresql://edge:<password>@127.0.0.1:<port>/edge */
  url: string;
  port: number;
  password: string;
  /** A fresh empty database in the cluster. */
  createdb(): Promise<string>;
  /** `pg_ctl stop -m fast` / `start` on the same port and data: an outage and its end. */
  stopServer(): Promise<void>;
  startServer(): Promise<void>;
  /** SIGSTOP / SIGCONT to the postmaster and every backend: a hung server. */
  pause(): Promise<void>;
  resume(): Promise<void>;
  /** Rows of one statement run as the owner, in its own database or in `database` (a URL or a name). */
  sql(statement: string, database?: string): Promise<unknown[][]>;
  /** Run `statement` in a transaction left open (locks held, changes invisible) until `release` rolls it back. */
  hold(statement: string, database?: string): Promise<void>;
  release(): Promise<void>;
  /** Stop the server and remove its directory. */
  destroy(): Promise<void>;
}

interface Answer {
  ok: boolean;
  error?: string;
  result?: unknown;
  url?: string;
  port?: number;
}

const SETPRIV = ['/usr/bin/setpriv', '/bin/setpriv'].find((p) => existsSync(p));

/** Start a cluster (initdb + pg_ctl start, as a non-root user when run as root); it dies with this process. */
export async function startPostgres(): Promise<PgCluster> {
  const argv = [path.join(VENV_BIN, 'python'), path.join(FIXTURES, 'pg_cluster.py')];
  const [command, ...args] = SETPRIV ? [SETPRIV, '--pdeathsig', 'TERM', ...argv] : argv;
  const child: ChildProcess = spawn(command!, args, { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (c: Buffer) => (stderr = (stderr + c.toString()).slice(-4000)));
  const lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  // One command at a time: answers come back in order on one pipe.
  let queue: Promise<unknown> = Promise.resolve();

  const next = async (what: string): Promise<Answer> => {
    const line = await lines.next();
    if (line.done) throw new Error(`pg_cluster.py ended during ${what}: ${stderr}`);
    return JSON.parse(line.value) as Answer;
  };
  const call = (line: string): Promise<unknown> => {
    const run = queue.then(async () => {
      child.stdin!.write(`${line}\n`);
      const answer = await next(line.split(' ')[0]!);
      if (!answer.ok) throw new Error(`pg_cluster ${line.slice(0, 80)}: ${answer.error}`);
      return answer.result;
    });
    queue = run.catch(() => undefined);
    return run;
  };

  const first = await next('start');
  if (!first.ok || !first.url) throw new Error(`PostgreSQL did not start: ${first.error ?? stderr}`);
  const url = first.url;
  return {
    url,
    port: first.port!,
    password: decodeURIComponent(new URL(url).password),
    createdb: async () => String(await call('createdb')),
    stopServer: async () => void (await call('stop')),
    startServer: async () => void (await call('start')),
    pause: async () => void (await call('pause')),
    resume: async () => void (await call('resume')),
    sql: async (statement, database) => (await call(`sql ${query(statement, database)}`)) as unknown[][],
    hold: async (statement, database) => void (await call(`hold ${query(statement, database)}`)),
    release: async () => void (await call('release')),
    destroy: async () => {
      child.stdin!.end();
      await exited;
    },
  };
}

function query(statement: string, database?: string): string {
  return JSON.stringify({ statement, ...(database ? { database: databaseName(database) } : {}) });
}

/** The database a URL names (a bare name is returned as it is). */
export function databaseName(urlOrName: string): string {
  return urlOrName.includes('://') ? decodeURIComponent(new URL(urlOrName).pathname.slice(1)) : urlOrName;
}

/** The databases the DB-touching integration suites run on. */
export const DATABASES = ['sqlite', 'postgres'] as const;
export type DatabaseKind = (typeof DATABASES)[number];

let shared: Promise<PgCluster> | undefined;

/**
 * A fresh empty database of `kind` for one suite: a SQLite file in `dir`, or a new database in this test
 * process's shared cluster, started on first use and gone with the process (or at `stopSharedPostgres`).
 */
export async function testDatabase(kind: DatabaseKind, dir: string): Promise<string> {
  if (kind === 'sqlite') return `sqlite:///${path.join(dir, 'app.db')}`;
  shared ??= startPostgres();
  return (await shared).createdb();
}

export async function stopSharedPostgres(): Promise<void> {
  const cluster = shared;
  shared = undefined;
  await (await cluster)?.destroy();
}
