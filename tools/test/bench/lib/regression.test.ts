// make bench-check's judgement: ratios against the baseline, the tolerance, metrics missing on either side.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type Baseline, judge } from '../../../bench/lib/regression.ts';

const baseline: Baseline = { measured: 'test', tolerance: 0.15, ratios: { a: 0.8, b: 1.0 } };

const CASES: [name: string, now: Record<string, number>, ok: Record<string, boolean>][] = [
  ['same as the baseline', { a: 0.8, b: 1.0 }, { a: true, b: true }],
  ['better', { a: 0.95, b: 1.2 }, { a: true, b: true }],
  ['within the tolerance', { a: 0.69, b: 0.86 }, { a: true, b: true }],
  ['just below the floor', { a: 0.67, b: 1.0 }, { a: false, b: true }],
  ['a metric not measured', { a: 0.8 }, { a: true, b: false }],
  ['a metric not in the baseline', { a: 0.8, b: 1.0, c: 2 }, { a: true, b: true, c: false }],
  ['NaN is a failure', { a: Number.NaN, b: 1.0 }, { a: false, b: true }],
];

for (const [name, now, ok] of CASES) {
  test(name, () => {
    const verdicts = judge(baseline, now);
    assert.deepEqual(Object.fromEntries(verdicts.map((v) => [v.metric, v.ok])), ok);
    for (const v of verdicts) assert.match(v.line, v.ok ? /^pass {2}/ : /^FAIL {2}/);
  });
}

test('a tolerance outside (0, 1) is refused', () => {
  for (const tolerance of [0, 1, -0.1, Number.NaN]) assert.throws(() => judge({ ...baseline, tolerance }, {}), /tolerance/);
});
