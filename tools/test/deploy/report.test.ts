// edge-deploy's closing lines and exit codes, from guard results and from errors at each phase of a deploy.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { deployOutcome, errorOutcome, formatStep, type Phase, rollbackOutcome } from '../../src/deploy/report.ts';

const CTX = { url: 'https://api.zebra.associates', totalMs: 61_000, rollbackTo: 'last-good' as const, lastGoodId: 'd-1' };

test('formatStep: duration right-aligned in a fixed width, one decimal', () => {
  assert.equal(formatStep('wait-live', 'd-123 is live', 12_345), '[  12.3 s] wait-live: d-123 is live');
  assert.equal(formatStep('gate', 'passed', 40), '[   0.0 s] gate: passed');
  assert.equal(formatStep('wait-live', 'x', 1_234_567), '[1234.6 s] wait-live: x');
});

test('deployOutcome: one exit code per outcome', () => {
  const d2 = { id: 'd-2' };
  const ROWS: [outcome: Parameters<typeof deployOutcome>[0], code: number, line: RegExp][] = [
    [
      { outcome: 'deployed', deployment: d2, serving: d2 },
      0,
      /^DEPLOYED: d-2 is live on https:\/\/api\.zebra\.associates .*recorded as the last good deployment \(total 61\.0 s\)$/,
    ],
    [
      { outcome: 'refused', deployment: d2, serving: { id: 'd-1' }, reason: 'Railway marked d-2 FAILED' },
      1,
      /^REFUSED: Railway marked d-2 FAILED; nothing was switched: d-1 keeps serving/,
    ],
    [
      { outcome: 'rolled-back', deployment: d2, serving: { id: 'd-3' }, reason: 'gate failed: x', rollbackMs: 48_100 },
      1,
      /^ROLLED BACK: d-2 failed the CORS gate and was rolled back in 48\.1 s \(Railway's rollback to d-1\); d-3 is live/,
    ],
    [
      {
        outcome: 'rollback-failed',
        deployment: d2,
        serving: d2,
        reason: `gate failed: ${'y'.repeat(500)}; rollback: no way back`,
      },
      3,
      /^ROLLBACK FAILED: gate failed: y+…; rollback: no way back; serving now: d-2, the deployment that failed the gate\. The service may be degraded/,
    ],
  ];
  for (const [r, code, line] of ROWS) {
    const o = deployOutcome(r, CTX);
    assert.equal(o.code, code, r.outcome);
    assert.match(o.line, line);
    assert.ok(!o.line.includes('\n'));
  }
  assert.match(
    deployOutcome({ outcome: 'deployed', deployment: d2 }, { ...CTX, recorded: false }).line,
    /NOT recorded as the last good deployment/,
  );
});

test('rollbackOutcome: 0 when the rollback is live and gated, else 3', () => {
  assert.equal(rollbackOutcome({ outcome: 'rolled-back', serving: { id: 'd-3' }, rollbackMs: 1000 }, CTX).code, 0);
  const failed = rollbackOutcome({ outcome: 'rollback-failed', reason: 'rollback: refused' }, CTX);
  assert.equal(failed.code, 3);
  assert.match(failed.line, /serving now: unknown/);
});

test('errorOutcome: the exit code says how much may have changed', () => {
  const ROWS: [phase: Phase, code: number, line: RegExp][] = [
    ['before-start', 2, /^edge-deploy: boom; nothing was changed$/],
    ['starting', 1, /^NOT DEPLOYED: Railway did not start the deployment: boom; nothing was switched/],
    ['started', 3, /^UNKNOWN: d-2 was started, then: boom; serving now: d-2, the new deployment, never gated\. Nothing gated it/],
    ['rolling-back', 3, /^ROLLBACK FAILED: gate failed \(no ACAO\); rollback: boom; serving now: d-2/],
  ];
  for (const [phase, code, line] of ROWS) {
    const o = errorOutcome('boom', phase, { started: 'd-2', serving: 'd-2', gate: 'no ACAO', totalMs: 1 });
    assert.equal(o.code, code, phase);
    assert.match(o.line, line);
  }
});
