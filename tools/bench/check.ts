// `make bench-check`: the key side-by-side ratios measured again and compared with docs/bench/baseline.json (fails
// beyond its tolerance). Not part of `make test`: timed checks on shared CI machines flake. BENCH_CHECK_UPDATE=1
// writes this run's ratios as the new baseline.   tsx tools/bench/check.ts [--rounds 3] [--seconds 8]
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { REPO } from '../testkit/stack.ts';
import { type Baseline, judge } from './lib/regression.ts';
import { DIRECT, LAYER_PATHS, runVariantBench, SIDECAR } from './lib/variants.ts';

const BASELINE = path.join(REPO, 'docs', 'bench', 'baseline.json');
let code = 0;
const { rows, text } = await runVariantBench(
  {
    title: 'Sidecar vs direct uvicorn (SQLite)',
    usage: 'tsx tools/bench/check.ts',
    variants: [DIRECT, SIDECAR],
    reference: DIRECT.name,
    paths: LAYER_PATHS,
    connections: 64,
    sqlite: true,
  },
  process.argv.slice(2),
);
console.log(text);
const now = Object.fromEntries(
  rows.filter((r) => r.variant.name === 'sidecar').map((r) => [`sidecar/direct req/s ${r.path} @64`, r.ratio]),
);
if (process.env.BENCH_CHECK_UPDATE === '1') {
  const previous = JSON.parse(readFileSync(BASELINE, 'utf8')) as Baseline;
  const next: Baseline = {
    measured: `${new Date().toISOString().slice(0, 10)}, make bench-check (3 rounds, medians)`,
    tolerance: previous.tolerance,
    ratios: now,
  };
  writeFileSync(BASELINE, `${JSON.stringify(next, null, 2)}\n`);
  console.log(`baseline written: ${path.relative(REPO, BASELINE)}`);
} else {
  const baseline = JSON.parse(readFileSync(BASELINE, 'utf8')) as Baseline;
  const verdicts = judge(baseline, now);
  for (const v of verdicts) console.log(v.line);
  const failed = verdicts.filter((v) => !v.ok).length;
  console.log(
    failed
      ? `bench-check: FAIL (${failed} of ${verdicts.length} ratios below the floor)`
      : `bench-check: pass (${verdicts.length} ratios within ${baseline.tolerance * 100} % of the baseline)`,
  );
  code = failed ? 1 : 0;
}
process.exit(code);
