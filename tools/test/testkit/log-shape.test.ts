// The common-shape check the log tests rely on: it passes each source's real shape and rejects the old ones.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type LogEntry, parseLogLines, shapeProblem } from '../../testkit/log-shape.ts';

const T = '2026-12-02T06:10:00.123Z';

const cases: Array<[string, LogEntry, boolean]> = [
  [
    'the wrapper',
    { time: T, level: 'info', logger: 'edge-sidecar', msg: 'edge-sidecar: sidecar mode on :8080', event: 'start' },
    true,
  ],
  [
    'a Caddy access line',
    { level: 'info', time: T, logger: 'http.log.access.log0', msg: 'handled request', request_id: 'abc' },
    true,
  ],
  [
    'an API request line',
    { time: T, level: 'info', logger: 'edge_api.request', msg: 'GET / 200', event: 'request', request_id: 'r1' },
    true,
  ],
  ['an epoch time (jsonlog before)', { time: 1795654318.25, level: 'INFO', logger: 'uvicorn.error', message: 'Started' }, false],
  ["zap's ts (Caddy's default)", { level: 'info', ts: 1795654318.25, logger: 'http', msg: 'server running' }, false],
  ['no milliseconds', { time: '2026-12-02T06:10:00Z', level: 'info', logger: 'x', msg: 'y' }, false],
  ['an offset, not UTC', { time: '2026-12-02T07:10:00.123+01:00', level: 'info', logger: 'x', msg: 'y' }, false],
  ['uppercase level', { time: T, level: 'INFO', logger: 'x', msg: 'y' }, false],
  ["Python's warning", { time: T, level: 'warning', logger: 'x', msg: 'y' }, false],
  ['a watchdog event without level, logger, msg (before)', { time: T, event: 'crash-restart', program: 'api' }, false],
  ['message instead of msg', { time: T, level: 'info', logger: 'x', message: 'y' }, false],
  ['a placeholder request id', { time: T, level: 'info', logger: 'x', msg: 'y', request_id: '-' }, false],
];

for (const [name, entry, ok] of cases) {
  test(`shape: ${name} ${ok ? 'passes' : 'is refused'}`, () => {
    assert.equal(shapeProblem(entry) === undefined, ok, shapeProblem(entry));
  });
}

test('parseLogLines names the first line that is not JSON or not in the shape', () => {
  assert.equal(parseLogLines(`${JSON.stringify(cases[0]![1])}\n\n`, 'stderr').length, 1);
  assert.throws(() => parseLogLines('plain text\n', 'stderr'), /stderr line is not JSON: plain text/);
  assert.throws(() => parseLogLines('[1]\n', 'stdout'), /not an object/);
  assert.throws(() => parseLogLines('{"msg": "x"}\n', 'stdout'), /not in the common shape \(time/);
});
