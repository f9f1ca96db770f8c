// From the load generators' output to one LoadResult (pure).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { fromAutocannonTally, parseWrkOutput, WRK_LUA, WRK_MARK } from '../../../bench/lib/load-result.ts';

const WRK_STDOUT = `Running 3s test @ http://127.0.0.1:41303/health/live
  2 threads and 64 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency    12.59ms    8.10ms  61.02ms   80.00%
  13980 requests in 3.00s, 3.29MB read
Requests/sec:   4659.86
Transfer/sec:      1.10MB
${WRK_MARK} {"requests":13980,"duration_us":3000123,"p50_us":12590.0,"p99_us":45870.0,"connect":0,"read":2,"write":1,"status":3,"timeout":4}
`;

describe('parseWrkOutput', () => {
  test('reads the script line, not the human report', () => {
    const r = parseWrkOutput(WRK_STDOUT);
    assert.equal(r.requests, 13980);
    assert.equal(r.durationSec, 3.000123);
    assert.ok(Math.abs(r.rps - 13980 / 3.000123) < 1e-9);
    assert.equal(r.p50Ms, 12.59);
    assert.equal(r.p99Ms, 45.87);
    assert.equal(r.socketErrors, 3);
    assert.equal(r.badStatus, 3);
    assert.equal(r.timeouts, 4);
  });
  test('microsecond percentiles survive (the 0.15 ms target needs them)', () => {
    const line = `${WRK_MARK} {"requests":5,"duration_us":1000000,"p50_us":158.0,"p99_us":705.0,"connect":0,"read":0,"write":0,"status":0,"timeout":0}`;
    const r = parseWrkOutput(line);
    assert.equal(r.p50Ms, 0.158);
    assert.equal(r.p99Ms, 0.705);
  });
  test('no completed request: percentiles are NaN, not 0', () => {
    const line = `${WRK_MARK} {"requests":0,"duration_us":1000000,"p50_us":0,"p99_us":0,"connect":0,"read":0,"write":0,"status":0,"timeout":0}`;
    const r = parseWrkOutput(line);
    assert.equal(r.rps, 0);
    assert.ok(Number.isNaN(r.p50Ms) && Number.isNaN(r.p99Ms));
  });
  test('a missing or partial line is an error', () => {
    assert.throws(() => parseWrkOutput('Running 3s test\n'), /no BENCH_RESULT line/);
    assert.throws(() => parseWrkOutput(`${WRK_MARK} {"requests":1}`), /lacks duration_us/);
  });
  test('the Lua hook prints the marker and every field the parser needs', () => {
    assert.ok(WRK_LUA.includes(`'${WRK_MARK} `));
    for (const k of ['requests', 'duration_us', 'p50_us', 'p99_us', 'connect', 'read', 'write', 'status', 'timeout'])
      assert.ok(WRK_LUA.includes(`"${k}"`), k);
  });
});

test('fromAutocannonTally uses per-response times, not whole milliseconds', () => {
  const r = fromAutocannonTally({
    latenciesMs: [0.21, 0.18, 0.2, 0.19, 3.4],
    requests: 6,
    durationSec: 2,
    errors: 3,
    timeouts: 1,
    badStatus: 1,
  });
  assert.equal(r.rps, 3);
  assert.equal(r.p50Ms, 0.2);
  assert.equal(r.p99Ms, 3.4);
  assert.equal(r.socketErrors, 2);
  assert.equal(r.timeouts, 1);
  assert.equal(r.badStatus, 1);
});
