// `make bench-access-log`: Caddy's access log and the API's per-request line copied by supervisord (before) vs
// written straight into the entrypoint's stdout and FIFO by Caddy and by the API (now), side by side
// (docs/bench/access-log.md). Not part of `make test`.
//   tsx tools/bench/access-log.ts [--rounds 3] [--seconds 8]
// The benchmark reads each stack's stdout through a socket (Node's child_process), which the entrypoint copies
// a pipe into (edge_sidecar/relays.py needs_relay) in the first three variants alike: their differences are
// supervisord's copies. The last has Caddy write into a FIFO this process drains, as into a container's stdout
// (containerd's FIFO), with nobody copying the access log at all.

import { spawnSync } from 'node:child_process';
import { constants as fsc, mkdtempSync, openSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { cpuPerRequest, WHOLE_STACK } from './lib/cpu-per-request.ts';
import { runVariantBench, type Variant } from './lib/variants.ts';

const scratch = mkdtempSync(path.join(os.tmpdir(), 'edge-bench-access-log-'));
const fifo = path.join(scratch, 'stdout.fifo');
if (spawnSync('mkfifo', [fifo]).status !== 0) throw new Error(`mkfifo ${fifo} failed`);
// Read-write and non-blocking: neither side waits for the other to open it; drained for the whole bench.
const reader = new net.Socket({ fd: openSync(fifo, fsc.O_RDWR | fsc.O_NONBLOCK), readable: true, writable: false });
let fifoBytes = 0;
reader.on('data', (chunk: Buffer) => (fifoBytes += chunk.length));

// The entrypoint's internal knobs: EDGE_ACCESS_LOG for where Caddy writes (relays.py access_log_path), EDGE_API_LOG
// for whether the API's log lines go to its stderr, which supervisord copies into the entrypoint's FIFO, or
// straight into that FIFO (program_log.py). The entrypoint relays the FIFO's lines in every variant.
const API_VIA_SUPERVISORD = { EDGE_API_LOG: '/dev/stderr' };
const variants: Variant[] = [
  {
    name: 'via supervisord',
    why: 'before: Caddy -> its stdout pipe -> supervisord -> our stdout; the API line -> its stderr -> supervisord -> our FIFO',
    env: { EDGE_ACCESS_LOG: '/dev/stdout', ...API_VIA_SUPERVISORD },
  },
  {
    name: 'direct, API via supervisord',
    why: "before: Caddy writes into the entrypoint's stdout; the API line -> its stderr -> supervisord -> our FIFO",
    env: API_VIA_SUPERVISORD,
  },
  {
    name: 'direct',
    why: "now: Caddy writes into the entrypoint's stdout (/proc/<pid>/fd/N), the API its line straight into our FIFO",
    env: {},
  },
  {
    name: 'direct, FIFO',
    why: 'now, as in a container: Caddy writes into a FIFO that is drained, the API straight into our FIFO',
    env: { EDGE_ACCESS_LOG: fifo },
  },
];

try {
  const { text } = await runVariantBench(
    {
      title: 'Access log and API log line paths, sidecar (SQLite)',
      usage: 'tsx tools/bench/access-log.ts',
      variants,
      reference: 'via supervisord',
      paths: ['/health/live', '/api/v1/items'],
      connections: 64,
      sqlite: true,
      perRun: [
        cpuPerRequest('supervisord µs/req', ['supervisord']),
        cpuPerRequest('entrypoint µs/req', ['entrypoint']),
        cpuPerRequest('caddy µs/req', ['caddy']),
        cpuPerRequest('uvicorn µs/req', ['uvicorn']),
        cpuPerRequest('whole stack µs/req', WHOLE_STACK),
      ],
    },
    process.argv.slice(2),
  );
  console.log(text);
  console.log(`(access lines the FIFO variant's Caddy wrote into the FIFO: ${(fifoBytes / 1e6).toFixed(1)} MB)`);
} finally {
  reader.destroy();
  rmSync(scratch, { recursive: true, force: true });
}
