// The stack's one log line shape (docs/operations.md "Log lines", deploy/edge_sidecar/logshape.py), as tests check it.
import assert from 'node:assert/strict';

export type LogEntry = Record<string, unknown>;

/** ISO 8601 UTC with milliseconds: 2026-12-02T06:10:00.123Z. */
export const ISO_UTC = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

/** Why `entry` lacks the common shape (time, level, logger, msg; request_id a string where present), or undefined. */
export function shapeProblem(entry: LogEntry): string | undefined {
  if (typeof entry.time !== 'string' || !ISO_UTC.test(entry.time))
    return `time is not ISO 8601 UTC with ms: ${JSON.stringify(entry.time)}`;
  if (
    typeof entry.level !== 'string' ||
    entry.level === '' ||
    entry.level !== entry.level.toLowerCase() ||
    entry.level === 'warning'
  ) {
    return `level is not one lowercase level: ${JSON.stringify(entry.level)}`;
  }
  if (typeof entry.logger !== 'string' || entry.logger === '') return `no logger: ${JSON.stringify(entry.logger)}`;
  if (typeof entry.msg !== 'string') return `no msg: ${JSON.stringify(entry.msg)}`;
  if ('message' in entry) return 'a "message" key beside "msg"';
  if ('ts' in entry) return 'a "ts" key beside "time"';
  if ('request_id' in entry && (typeof entry.request_id !== 'string' || entry.request_id === '' || entry.request_id === '-')) {
    return `request_id present but not an id: ${JSON.stringify(entry.request_id)}`;
  }
  return undefined;
}

/** Parse one log line; fails naming the line when it is not a JSON object in the common shape. */
export function parseLogLine(line: string, stream: string): LogEntry {
  let parsed: unknown;
  try {
    parsed = JSON.parse(line);
  } catch {
    assert.fail(`${stream} line is not JSON: ${line}`);
  }
  assert.ok(parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed), `${stream} line is not an object: ${line}`);
  const problem = shapeProblem(parsed as LogEntry);
  assert.equal(problem, undefined, `${stream} line is not in the common shape (${problem}): ${line}`);
  return parsed as LogEntry;
}

/** Each non-empty line of `text`, parsed and checked (see parseLogLine). */
export function parseLogLines(text: string, stream: string): LogEntry[] {
  return text
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => parseLogLine(line, stream));
}
