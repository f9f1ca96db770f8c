// The unit tier's guard: once refuseChildProcesses() ran, every child_process starter throws and names the Makefile list.
import assert from 'node:assert/strict';
import * as childProcess from 'node:child_process';
import { test } from 'node:test';
import { refuseChildProcesses } from '../../testkit/no-processes.ts';

test('spawn, exec, execFile, fork and the sync ones throw, named imports included', () => {
  refuseChildProcesses();
  const starters: [string, () => unknown][] = [
    ['spawn', () => childProcess.spawn('true')],
    ['spawnSync', () => childProcess.spawnSync('true')],
    ['exec', () => childProcess.exec('true')],
    ['execSync', () => childProcess.execSync('true')],
    ['execFile', () => childProcess.execFile('true')],
    ['execFileSync', () => childProcess.execFileSync('true')],
    ['fork', () => childProcess.fork('true')],
  ];
  for (const [name, start] of starters)
    assert.throws(
      start,
      new RegExp(`child_process\\.${name}: a unit test starts no process; list this file in TS_PROCESS_TESTS`),
      name,
    );
});
