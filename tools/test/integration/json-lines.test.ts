// Every line a running stack writes, on stdout and on stderr, is one JSON object in the common shape
// (time ISO 8601 UTC, level, logger, msg: docs/operations.md "Log lines"), whoever wrote it: supervisord too.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { request } from '../../testkit/http.ts';
import { type LogEntry as Entry, parseLogLines } from '../../testkit/log-shape.ts';
import { type ExitResult, freePort, runEntrypoint, startStack, waitFor, waitForNewApi } from '../../testkit/stack.ts';

/** Each non-empty line of `text` parsed; fails naming the first line that is not a JSON object in the common shape. */
const objects = parseLogLines;

function supervisord(entries: Entry[], event: string): Entry[] {
  return entries.filter((e) => e.logger === 'supervisord' && e.event === event);
}

test('sidecar: a run with a crash-restart and a stop writes only JSON objects in the common shape; supervisord events carry programs', async () => {
  const stack = await startStack();
  let result: ExitResult | undefined;
  try {
    assert.equal((await request(`${stack.base}/fake/ok`)).status, 200);
    assert.equal((await request(`${stack.base}/fake/crash`)).status, 500); // a traceback, logged by uvicorn
    assert.equal((await request(`${stack.base}/fake/print`)).status, 200); // the app prints plain text
    const old = stack.apiPid();
    process.kill(old, 'SIGKILL');
    await waitForNewApi(stack, old, 10_000);
    // The watchdog's line about that crash is in the run too (it is told of the exit by supervisord).
    await waitFor(async () => /"event": "crash-restart"/.test(stack.logs()), 15_000).catch(() =>
      assert.fail(`no crash-restart line:\n${stack.logs()}`),
    );
    result = await stack.stop();
  } finally {
    await stack.stop();
  }
  assert.equal(result.code, 0, stack.logs());
  const out = objects(result.stdout, 'stdout');
  const err = objects(result.stderr, 'stderr');
  assert.ok(
    out.some((e) => e.logger === 'http.log.access.log0' && typeof e.request_id === 'string'),
    'Caddy access lines on stdout',
  );
  assert.deepEqual(
    out.filter((e) => e.logger !== 'http.log.access.log0'),
    [],
    'stdout is the access log alone',
  );
  // Every source's lines were checked above: the wrapper, supervisord, uvicorn, the watchdog, Caddy's own
  // (its root logger named by the relay), an app's plain print.
  const loggers = [...new Set(err.map((e) => String(e.logger)))];
  for (const source of ['edge-sidecar', 'supervisord', 'uvicorn.error', 'edge-sidecar.watchdog', 'caddy', 'http.', 'stderr']) {
    const found = source.endsWith('.') ? loggers.some((l) => l.startsWith(source)) : loggers.includes(source);
    assert.ok(found, `no stderr line from ${source} (loggers: ${loggers.join(', ')})`);
  }
  const crash = err.find((e) => e.event === 'crash-restart');
  assert.deepEqual(
    { logger: crash?.logger, level: crash?.level, program: crash?.program },
    { logger: 'edge-sidecar.watchdog', level: 'warn', program: 'api' },
  );
  assert.ok(
    err.some((e) => e.logger === 'uvicorn.error' && e.level === 'error' && String(e.exc ?? '').includes('Traceback')),
    'the crash is logged with its traceback',
  );
  assert.deepEqual(
    out.filter((e) => e.logger === 'supervisord'),
    [],
    'supervisord logs to stderr only',
  );
  // Nothing is lost: the app's plain print() arrives wrapped, whole.
  assert.ok(
    err.some((e) => e.logger === 'stderr' && e.program === 'api' && e.msg === 'plain text from the app'),
    stack.logs(),
  );

  // Each program spawned once at start, the API once more after the kill: no line duplicated.
  const spawned = supervisord(err, 'spawned')
    .map((e) => e.program)
    .sort();
  assert.deepEqual(spawned, ['api', 'api', 'proxy', 'watchdog'], stack.logs());
  for (const e of supervisord(err, 'spawned')) assert.equal(typeof e.pid, 'number');
  const exited = supervisord(err, 'exited');
  assert.deepEqual(
    exited.map((e) => ({ program: e.program, signal: e.signal, expected: e.expected, level: e.level })),
    [{ program: 'api', signal: 'SIGKILL', expected: false, level: 'warn' }],
  );
  assert.deepEqual(
    supervisord(err, 'stopped')
      .map((e) => e.program)
      .sort(),
    ['api', 'proxy', 'watchdog'],
  );
  for (const e of supervisord(err, 'spawned')) assert.match(String(e.time), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);

  // The wrapper's own lines open and close the run (nothing relayed after its last line).
  assert.equal(err[0]?.event, 'start');
  assert.deepEqual({ event: err.at(-1)?.event, exit_code: err.at(-1)?.exit_code }, { event: 'exit', exit_code: 0 });
});

test('sidecar: a crash loop: only JSON objects, five exits before the final exit line', async () => {
  const ports = { PORT: String(await freePort()), API_PORT: String(await freePort()) };
  const result = await runEntrypoint({ ...ports, APP_MODULE: 'nonexistent:app' }, 90_000);
  assert.equal(result.code, 1, result.stderr);
  objects(result.stdout, 'stdout');
  const err = objects(result.stderr, 'stderr');
  assert.ok(supervisord(err, 'exited').filter((e) => e.program === 'api').length >= 5, result.stderr);
  const stopping = err.findIndex((e) => e.event === 'stopping');
  assert.ok(stopping > 0 && err[stopping]!.program === 'api', 'the verdict is logged when it is made');
  const last = err.at(-1);
  assert.deepEqual(
    { event: last?.event, exit_code: last?.exit_code, program: last?.program },
    { event: 'exit', exit_code: 1, program: 'api' },
  );
});

test('direct: uvicorn alone writes only JSON objects too', async () => {
  const stack = await startStack({ mode: 'direct' });
  let result: ExitResult | undefined;
  try {
    assert.equal((await request(`${stack.base}/fake/ok`)).status, 200);
    result = await stack.stop();
  } finally {
    await stack.stop();
  }
  objects(result.stdout, 'stdout');
  const err = objects(result.stderr, 'stderr');
  assert.equal(err[0]?.event, 'start');
  assert.ok(
    err.some((e) => e.logger === 'uvicorn.error' && String(e.msg).startsWith('Started server process')),
    stack.logs(),
  );
});
