// The variant benchmark's pure parts: its options and its table.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseRounds, type Row, variantTable } from '../../../bench/lib/variants.ts';

test('--rounds and --seconds: defaults, bounds, and a clear usage line', () => {
  assert.deepEqual(parseRounds([], 'bench'), { rounds: 3, seconds: 8 });
  assert.deepEqual(parseRounds(['--rounds', '5', '--seconds', '2'], 'bench'), { rounds: 5, seconds: 2 });
  for (const bad of [
    ['--rounds', '0'],
    ['--rounds', '11'],
    ['--seconds', '1'],
    ['--seconds', 'x'],
    ['--rounds', '2.5'],
  ]) {
    assert.throws(
      () => parseRounds(bad, 'tsx bench.ts'),
      /usage: tsx bench.ts \[--rounds 1-10\] \[--seconds 2-60\]/,
      bad.join(' '),
    );
  }
});

test('the table: one row per variant and path, the sample column only when sampled', () => {
  const row = (name: string, rps: number, peak?: number): Row => ({
    variant: { name, why: `why ${name}`, env: {} },
    path: '/p',
    rps,
    ratio: rps / 100,
    p50Ms: 1.234,
    p99Ms: 12.34,
    failed: 0,
    ...(peak === undefined ? {} : { peak }),
  });
  assert.equal(
    variantTable([row('a', 100), row('b', 150)]),
    [
      '| variant | why | path | req/s | vs reference | p50 ms | p99 ms | failed |',
      '| --- | --- | --- | --- | --- | --- | --- | --- |',
      '| a | why a | /p | 100 | 1.00 | 1.23 | 12.3 | 0 |',
      '| b | why b | /p | 150 | 1.50 | 1.23 | 12.3 | 0 |',
    ].join('\n'),
  );
  assert.match(
    variantTable([row('a', 100, 7)], 'peak'),
    /\| p99 ms \| peak \| failed \|\n.*\n\| a \| why a \| \/p \| 100 \| 1\.00 \| 1\.23 \| 12\.3 \| 7 \| 0 \|/,
  );
});

test('the table: one column per per-run measure, its medians to one decimal, before the sample column', () => {
  const row: Row = {
    variant: { name: 'a', why: 'w', env: {} },
    path: '/p',
    rps: 100,
    ratio: 1,
    p50Ms: 1,
    p99Ms: 2,
    failed: 0,
    peak: 7,
    perRun: [12.345, 0],
  };
  assert.match(
    variantTable([row], 'peak', ['cpu us/req', 'other']),
    /\| p99 ms \| cpu us\/req \| other \| peak \| failed \|\n.*\n\| a \| w \| \/p \| 100 \| 1\.00 \| 1\.00 \| 2\.0 \| 12\.3 \| 0\.0 \| 7 \| 0 \|/,
  );
});
