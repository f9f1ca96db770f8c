// The variant benchmark's pure parts: its options and its table.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseRounds, variantTable, type Row } from '../../src/bench/variants.ts';

test('--rounds and --seconds: defaults, bounds, and a clear usage line', () => {
  assert.deepEqual(parseRounds([], 'bench'), { rounds: 3, seconds: 8 });
  assert.deepEqual(parseRounds(['--rounds', '5', '--seconds', '2'], 'bench'), { rounds: 5, seconds: 2 });
  for (const bad of [['--rounds', '0'], ['--rounds', '11'], ['--seconds', '1'], ['--seconds', 'x'], ['--rounds', '2.5']]) {
    assert.throws(() => parseRounds(bad, 'tsx bench.ts'), /usage: tsx bench.ts \[--rounds 1-10\] \[--seconds 2-60\]/, bad.join(' '));
  }
});

test('the table: one row per variant and path, the sample column only when sampled', () => {
  const row = (name: string, rps: number, peak?: number): Row => ({
    variant: { name, why: `why ${name}`, env: {} }, path: '/p', rps, ratio: rps / 100, p50Ms: 1.234, p99Ms: 12.34, failed: 0, ...(peak === undefined ? {} : { peak }),
  });
  assert.equal(
    variantTable([row('a', 100), row('b', 150)]),
    ['| variant | why | path | req/s | vs reference | p50 ms | p99 ms | failed |', '| --- | --- | --- | --- | --- | --- | --- | --- |',
      '| a | why a | /p | 100 | 1.00 | 1.23 | 12.3 | 0 |', '| b | why b | /p | 150 | 1.50 | 1.23 | 12.3 | 0 |'].join('\n'),
  );
  assert.match(variantTable([row('a', 100, 7)], 'peak'), /\| p99 ms \| peak \| failed \|\n.*\n\| a \| why a \| \/p \| 100 \| 1\.00 \| 1\.23 \| 12\.3 \| 7 \| 0 \|/);
});
