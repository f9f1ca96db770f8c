// Command-line options of `make bench` (pure parsing; nothing is started).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseOptions } from '../../../bench/lib/options.ts';

describe('parseOptions', () => {
  test('defaults: 7 rounds of 3 s, 1 s warm-up, report in docs/bench/latest.md', () => {
    assert.deepEqual(parseOptions([]), {
      rounds: 7,
      durationSec: 3,
      warmupSec: 1,
      tool: undefined,
      out: 'docs/bench/latest.md',
      maxMinutes: 7,
    });
  });
  test('every option', () => {
    const o = parseOptions([
      '--rounds',
      '3',
      '--duration',
      '2',
      '--warmup',
      '0',
      '--tool',
      'autocannon',
      '--out',
      'x/y.md',
      '--max-minutes',
      '5',
    ]);
    assert.deepEqual(o, { rounds: 3, durationSec: 2, warmupSec: 0, tool: 'autocannon', out: 'x/y.md', maxMinutes: 5 });
    assert.equal(parseOptions(['--no-write']).out, undefined);
  });
  const BAD: [string[], RegExp][] = [
    [['--rounds', '0'], /--rounds needs a whole number from 1 to 30/],
    [['--rounds', '31'], /--rounds/],
    [['--rounds', '2.5'], /--rounds/],
    [['--duration', '0.5'], /whole number/],
    [['--duration'], /got nothing/],
    [['--warmup', '11'], /--warmup/],
    [['--tool', 'ab'], /--tool is wrk or autocannon/],
    [['--out', '/abs/path.md'], /relative to the repo/],
    [['--fast'], /unknown option --fast/],
    [['--help'], /usage:/],
  ];
  for (const [argv, message] of BAD) test(argv.join(' '), () => assert.throws(() => parseOptions(argv), message));
});
