// What a benchmark report says about where it ran: CPU, versions, load average, commit.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { REPO, VENV_BIN } from '../../testkit/stack.ts';
import { type Tool, toolVersion } from './load.ts';
import type { MachineNote } from './report.ts';

function sh(cmd: string, args: string[]): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8', cwd: REPO });
  return `${r.stdout ?? ''}${r.stderr ?? ''}`.trim();
}

export function loadavg(): string {
  return os
    .loadavg()
    .map((v) => v.toFixed(2))
    .join(' / ');
}

export function machineNote(tool: Tool, loadBefore: string): MachineNote {
  const cpuinfo = readFileSync('/proc/cpuinfo', 'utf8');
  const model = /^model name\s*:\s*(.+)$/m.exec(cpuinfo)?.[1]?.trim() ?? os.cpus()[0]?.model ?? 'unknown CPU';
  const caddy = /v\d+\.\d+\.\d+/.exec(sh(path.join(VENV_BIN, 'caddy'), ['version']))?.[0] ?? '?';
  const py = sh(path.join(VENV_BIN, 'python'), [
    '-c',
    'import sys, uvicorn, fastapi; print(sys.version.split()[0], uvicorn.__version__, fastapi.__version__)',
  ]).split(/\s+/);
  return {
    cpu: model,
    cores: os.cpus().length,
    memGiB: os.totalmem() / 2 ** 30,
    loadBefore,
    loadAfter: '',
    versions: `Node ${process.version}, Caddy ${caddy}, Python ${py[0] ?? '?'}, uvicorn ${py[1] ?? '?'}, FastAPI ${py[2] ?? '?'}`,
    tool:
      tool === 'wrk'
        ? `${toolVersion('wrk')} (C, epoll; 1 thread at 1 connection, 2 at 64; microsecond latency histogram)`
        : `${toolVersion('autocannon')} in a child Node process (percentiles from per-response times)`,
  };
}

export function commit(): string {
  const sha = sh('git', ['rev-parse', '--short', 'HEAD']);
  if (!/^[0-9a-f]{6,}$/.test(sha)) return 'unknown';
  return sh('git', ['status', '--porcelain']) ? `${sha} + local changes` : sha;
}
