// The ramp's knee: first crossing, interpolation, median over rounds (pure).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { describeKnee, findKnee, type Knee, medianKnee, type RampPoint } from '../../src/load/knee.ts';

const p = (users: number, p99Ms: number, failed = 0): RampPoint => ({ users, p99Ms, failed });

describe('findKnee', () => {
  const ROWS: [string, RampPoint[], Partial<Knee>, string][] = [
    ['never crosses', [p(25, 10), p(50, 20), p(100, 40)], { crossedAt: undefined, estimate: undefined, maxUsers: 100 }, '> 100'],
    [
      'crosses between steps: linear estimate',
      [p(25, 10), p(50, 50), p(100, 450)],
      { crossedAt: 100, lastBelow: 50, estimate: 75, reason: 'p99' },
      '50–100 (≈ 75)',
    ],
    [
      'exactly at the threshold is not over it',
      [p(25, 250), p(50, 300)],
      { crossedAt: 50, lastBelow: 25, estimate: 25 },
      '25–50 (≈ 25)',
    ],
    ['the first step crosses', [p(25, 400), p(50, 500)], { crossedAt: 25, lastBelow: undefined, estimate: undefined }, '≤ 25'],
    [
      'failed requests mark the knee, without an estimate',
      [p(25, 10), p(50, 40, 3)],
      { crossedAt: 50, lastBelow: 25, estimate: undefined, reason: 'failed' },
      '25–50 (failed requests)',
    ],
    [
      'no response at all (NaN p99) is a failure',
      [p(25, 10), p(50, Number.NaN)],
      { crossedAt: 50, reason: 'failed' },
      '25–50 (failed requests)',
    ],
    ['the first crossing counts, not a later dip', [p(25, 10), p(50, 300), p(100, 200)], { crossedAt: 50 }, '25–50 (≈ 46)'],
    ['steps in any order', [p(100, 450), p(25, 10), p(50, 50)], { crossedAt: 100, lastBelow: 50 }, '50–100 (≈ 75)'],
  ];
  for (const [name, points, expected, text] of ROWS) {
    test(name, () => {
      const k = findKnee(points, 250);
      for (const [key, value] of Object.entries(expected)) assert.deepEqual(k[key as keyof Knee], value, key);
      assert.equal(describeKnee(k), text);
    });
  }
});

describe('medianKnee', () => {
  const k = (estimate: number | undefined, crossedAt: number | undefined): Knee => ({
    estimate,
    crossedAt,
    lastBelow: undefined,
    reason: undefined,
    maxUsers: 400,
  });
  const ROWS: [string, Knee[], number][] = [
    ['odd count', [k(80, 100), k(120, 200), k(60, 100)], 80],
    ['the crossing step when there is no estimate', [k(undefined, 25), k(undefined, 25), k(40, 50)], 25],
    [
      'most rounds never crossed: not reached',
      [k(undefined, undefined), k(undefined, undefined), k(90, 100)],
      Number.POSITIVE_INFINITY,
    ],
    ['even count: mean of the middle two', [k(80, 100), k(120, 200)], 100],
    ['no rounds', [], Number.NaN],
  ];
  for (const [name, knees, expected] of ROWS) test(name, () => assert.deepEqual(medianKnee(knees), expected));
});
