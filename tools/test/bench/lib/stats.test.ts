// Medians and percentile math of the benchmark (pure).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { latencyPercentiles, median, minMax, percentileSorted, ratio } from '../../../bench/lib/stats.ts';

describe('median', () => {
  const ROWS: [number[], number][] = [
    [[3], 3],
    [[3, 1, 2], 2],
    [[4, 1, 3, 2], 2.5],
    [[10, 10, 1000], 10],
    [[1, Number.NaN, 3], 2],
  ];
  for (const [values, expected] of ROWS) test(JSON.stringify(values), () => assert.equal(median(values), expected));
  test('no values is NaN', () => assert.ok(Number.isNaN(median([]))));
  test('does not reorder its input', () => {
    const v = [3, 1, 2];
    median(v);
    assert.deepEqual(v, [3, 1, 2]);
  });
});

describe('percentileSorted (nearest rank)', () => {
  const hundred = Array.from({ length: 100 }, (_, i) => i + 1);
  const ROWS: [number[], number, number][] = [
    [hundred, 50, 50],
    [hundred, 99, 99],
    [hundred, 100, 100],
    [hundred, 0, 1],
    [hundred, 99.5, 100],
    [[7], 50, 7],
    [[7], 99, 7],
    [[1, 2], 50, 1],
    [[1, 2], 99, 2],
    [[1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 99, 10],
    [[1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 50, 5],
  ];
  for (const [sorted, p, expected] of ROWS) {
    test(`p${p} of ${sorted.length} values`, () => assert.equal(percentileSorted(sorted, p), expected));
  }
  test('empty is NaN', () => assert.ok(Number.isNaN(percentileSorted([], 50))));
  for (const p of [-1, 101, Number.NaN])
    test(`p=${p} is refused`, () => assert.throws(() => percentileSorted([1], p), RangeError));
});

describe('latencyPercentiles', () => {
  test('sorts a copy, keeps fractions of a millisecond', () => {
    const samples = [0.31, 0.12, 0.2, 5.5, 0.15];
    assert.deepEqual(latencyPercentiles(samples), { p50: 0.2, p99: 5.5 });
    assert.deepEqual(samples, [0.31, 0.12, 0.2, 5.5, 0.15]);
  });
  test('a long tail shows only at p99', () => {
    const samples = [...Array.from({ length: 990 }, () => 1), ...Array.from({ length: 10 }, () => 200)];
    assert.deepEqual(latencyPercentiles(samples), { p50: 1, p99: 1 });
    samples.push(200);
    assert.deepEqual(latencyPercentiles(samples), { p50: 1, p99: 200 });
  });
});

test('minMax and ratio', () => {
  assert.deepEqual(minMax([3, 1, Number.NaN, 2]), { min: 1, max: 3 });
  assert.ok(Number.isNaN(minMax([]).min));
  assert.equal(ratio(400, 500), 0.8);
  assert.ok(Number.isNaN(ratio(1, 0)));
  assert.ok(Number.isNaN(ratio(Number.NaN, 2)));
});
