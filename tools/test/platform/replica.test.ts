// The replica's reading of a container's logs: why its most recent run ended (the refusal reason it reports).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { lastReason } from '../../src/platform/replica.ts';

const exitLine = (code: number, msg: string) => JSON.stringify({ logger: 'edge-sidecar', event: 'exit', exit_code: code, msg });
const CASES: [name: string, stderr: string, expected: string][] = [
  [
    'a configuration refusal before anything ran',
    'edge-sidecar: invalid configuration: PORT: bad\n',
    'refused: edge-sidecar: invalid configuration: PORT: bad',
  ],
  [
    'a crash loop, then a new run under way (the restarted container is mid-loop)',
    [
      exitLine(1, "edge-sidecar: program 'api' crash-looped (5 exits in 3 s)"),
      '{"event": "start"}',
      '{"msg": "exited: api (exit status 3; not expected)"}',
    ].join('\n'),
    "ended: edge-sidecar: program 'api' crash-looped (5 exits in 3 s)",
  ],
  [
    'a clean stop is no reason',
    [exitLine(0, 'supervisord exited with 0'), '{"msg": "handled request"}'].join('\n'),
    'last line: {"msg": "handled request"}',
  ],
  ['nothing to go by', 'plain\n{"cut', 'last line: {"cut'],
];
for (const [name, stderr, expected] of CASES) {
  test(name, () => assert.equal(lastReason(stderr), expected));
}
