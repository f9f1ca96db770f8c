// No process of a stack outlives the tests that started it, even when a test hangs or its runner is killed.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { FIXTURES, REPO, stackPids, VENV_BIN, waitFor } from '../../testkit/stack.ts';

const TSX = path.join(REPO, 'tools', 'node_modules', '.bin', 'tsx');
const HUNG = path.join(FIXTURES, 'hung-stack.ts');

/** Run the hung fixture as `make test` runs test files; `onStarted` gets the stack once it serves. */
async function runHung(
  timeoutMs: number,
  onStarted: (info: { port: number; pid: number }) => void,
): Promise<{ code: number | null; signal: string | null; info: { port: number; pid: number }; out: string }> {
  const dir = mkdtempSync(path.join(tmpdir(), 'edge-sidecar-hung-'));
  const infoFile = path.join(dir, 'info.json');
  try {
    // --test-force-exit, as the Makefile passes it: the runner ends once its tests are done or timed out.
    // Without NODE_TEST_CONTEXT: set by our own runner, it would make the nested one report to it instead.
    const { NODE_TEST_CONTEXT: _, ...env } = process.env;
    const child = spawn(TSX, ['--test', '--test-force-exit', HUNG], {
      env: {
        ...env,
        PATH: `${VENV_BIN}:${process.env.PATH ?? ''}`,
        HUNG_INFO_FILE: infoFile,
        HUNG_TIMEOUT_MS: String(timeoutMs),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (out += c.toString()));
    const exited = new Promise<[number | null, string | null]>((resolve) =>
      child.on('exit', (code, signal) => resolve([code, signal])),
    );
    await waitFor(
      async () => existsSync(infoFile) && readFileSync(infoFile, 'utf8').endsWith('}'),
      60_000,
      () => child.exitCode !== null,
    );
    const info = JSON.parse(readFileSync(infoFile, 'utf8')) as { port: number; pid: number };
    assert.ok(stackPids(info.port).length >= 4, 'the stack runs: entrypoint, supervisord, uvicorn, caddy');
    onStarted(info);
    const [code, signal] = await exited;
    return { code, signal, info, out };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Wait until no process has the stack's PORT in its environment; the stragglers' command lines otherwise. */
async function assertAllGone(port: number): Promise<void> {
  await waitFor(async () => stackPids(port).length === 0, 60_000).catch(() => {
    const left = stackPids(port).map((pid) => readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' '));
    assert.fail(`processes of the stack on :${port} outlived its test:\n${left.join('\n')}`);
  });
}

test('a test that times out: its runner fails it and exits, and the stack it started stops', { timeout: 180_000 }, async (t) => {
  const result = await runHung(5_000, () => undefined);
  assert.notEqual(result.code, 0, `the hung test failed the run:\n${result.out}`);
  assert.match(result.out, /test timed out after 5000ms/);
  const stopped = Date.now();
  await assertAllGone(result.info.port);
  t.diagnostic(`runner exited ${result.code}; no process of the stack left ${Date.now() - stopped} ms later`);
});

test('the test process killed with SIGKILL: the stack it started stops', { timeout: 180_000 }, async () => {
  const result = await runHung(600_000, ({ pid }) => {
    // The entrypoint's parent is the test file's process: kill it the way a CI time-out would.
    const ppid = Number(readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ')[1]);
    process.kill(ppid, 'SIGKILL');
  });
  assert.notEqual(result.code, 0, result.out);
  await assertAllGone(result.info.port);
});
