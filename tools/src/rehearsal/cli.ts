// `make rehearse`: the demo rehearsed as it will run, in both modes; writes the HTML report, prints its path last, exits 0 only if every step passed.
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { REPO } from '../../testkit/stack.ts';
import { rehearse } from './rehearse.ts';
import { renderReport } from './report.ts';
import { verdict } from './results.ts';
import type { Mode } from './topology.ts';

const refuse = (message: string): never => {
  console.error(`make rehearse: ${message}`);
  process.exit(2);
};
const raw = process.env.REHEARSE_MODES ?? 'sidecar direct';
const modes = raw.split(/[\s,]+/).filter(Boolean);
if (modes.length === 0 || modes.some((m) => m !== 'sidecar' && m !== 'direct'))
  refuse(`REHEARSE_MODES must list sidecar and/or direct, got ${JSON.stringify(raw)}`);
const logins = Number(process.env.REHEARSE_LOGINS ?? 50);
if (!Number.isSafeInteger(logins) || logins < 0 || logins > 1000)
  refuse(`REHEARSE_LOGINS must be a whole number from 0 to 1000, got ${JSON.stringify(process.env.REHEARSE_LOGINS)}`);

const outRoot = path.resolve(process.env.REHEARSE_OUT ?? path.join(REPO, '.rehearsal'));
const outDir = path.join(outRoot, new Date().toISOString().replace(/[:.]/g, '-'));
mkdirSync(outDir, { recursive: true });
const workDir = mkdtempSync(path.join(os.tmpdir(), 'edge-rehearsal-'));
const rehearsal = await rehearse({
  modes: modes as Mode[],
  logins,
  outDir,
  workDir,
  env: process.env,
  log: (line) => console.log(`rehearse: ${line}`),
}).finally(() => rmSync(workDir, { recursive: true, force: true }));

const report = path.join(outDir, 'index.html');
writeFileSync(report, renderReport(rehearsal));
const latest = path.join(outRoot, 'latest');
rmSync(latest, { force: true });
symlinkSync(path.basename(outDir), latest);
for (const s of rehearsal.steps)
  console.log(
    `  ${s.outcome.padEnd(4)} ${s.mode.padEnd(7)} ${s.origin.padEnd(30)} ${s.step}${s.outcome === 'fail' ? `: ${s.detail}` : ''}`,
  );
for (const l of rehearsal.logins) console.log(`  logins ${l.mode}: ${l.successes}/${l.attempts}`);
for (const a of rehearsal.aborted) console.log(`  ABORTED ${a}`);
const v = verdict(rehearsal);
console.log(
  v.safe
    ? 'rehearse: SAFE TO PRESENT'
    : `rehearse: NOT SAFE TO PRESENT (${v.failed.length} failed step(s), ${v.loginFailures} failed login(s), ${rehearsal.aborted.length} aborted)`,
);
console.log(`rehearse: report ${path.relative(process.cwd(), report) || report}`);
process.exit(v.safe ? 0 : 1);
