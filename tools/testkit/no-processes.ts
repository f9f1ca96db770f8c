// The unit tier's rule made checkable: after refuseChildProcesses(), starting a child process throws, naming where the test belongs.
import childProcess from 'node:child_process';
import { syncBuiltinESMExports } from 'node:module';

const STARTERS = ['spawn', 'spawnSync', 'exec', 'execSync', 'execFile', 'execFileSync', 'fork'] as const;

export function refuseChildProcesses(): void {
  const exports = childProcess as unknown as Record<(typeof STARTERS)[number], unknown>;
  for (const name of STARTERS) {
    exports[name] = () => {
      throw new Error(
        `child_process.${name}: a unit test starts no process; list this file in TS_PROCESS_TESTS (Makefile) so make test runs it`,
      );
    };
  }
  // Named ESM imports (`import { spawn } from 'node:child_process'`) see the replacements too.
  syncBuiltinESMExports();
}
