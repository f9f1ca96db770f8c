// guardedRollback (edge-deploy rollback) on an in-memory target: the same path as a failed gate's, gate included.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type Deployment, type DeployTarget, type GoodRecord, guardedDeploy, guardedRollback } from '../../src/deploy/guard.ts';

/** A target whose deployments go live unless listed in `refuse`; `serving` is the last one that went live. */
function memoryTarget(refuse: string[] = []): DeployTarget & { calls: string[] } {
  let n = 10;
  let serving: Deployment | undefined = { id: 'd-1' };
  const calls: string[] = [];
  return {
    name: 'memory',
    publicUrl: 'http://memory.invalid',
    calls,
    deploy: async (v) => (calls.push(`deploy ${JSON.stringify(v ?? {})}`), { id: `d-${++n}`, ...(v ? { variables: v } : {}) }),
    redeploy: async (d) => (calls.push(`redeploy ${d.id}`), { id: `d-${++n}` }),
    waitLive: async (d) => {
      if (refuse.includes(d.id)) return { live: false, reason: `${d.id} FAILED` };
      serving = d;
      return { live: true };
    },
    current: async () => serving,
  };
}

const record = (id?: string): GoodRecord & { remembered: string[] } => {
  const remembered: string[] = [];
  return { remembered, lastGood: async () => (id ? { id } : undefined), remember: async (d) => void remembered.push(d.id) };
};
const gate = (ok: boolean) => async () => ({ ok, failures: ok ? [] : ['no Access-Control-Allow-Origin'] });

const ROWS: [
  name: string,
  to: 'last-good' | 'direct',
  good: string | undefined,
  refuse: string[],
  gateOk: boolean,
  outcome: string,
  calls: string[],
  reason?: RegExp,
][] = [
  ['to last good', 'last-good', 'd-1', [], true, 'rolled-back', ['redeploy d-1']],
  ['to direct', 'direct', undefined, [], true, 'rolled-back', ['deploy {"PROXY_MODE":"direct"}']],
  [
    'nothing recorded',
    'last-good',
    undefined,
    [],
    true,
    'rollback-failed',
    [],
    /^rollback: no deployment has passed the gate yet/,
  ],
  [
    'the rollback is refused',
    'last-good',
    'd-1',
    ['d-11'],
    true,
    'rollback-failed',
    ['redeploy d-1'],
    /^rollback: the rollback deployment was refused: d-11 FAILED/,
  ],
  [
    'the gate fails after it',
    'direct',
    undefined,
    [],
    false,
    'rollback-failed',
    ['deploy {"PROXY_MODE":"direct"}'],
    /^after the rollback the gate failed too: no Access-Control-Allow-Origin/,
  ],
];
for (const [name, to, good, refuse, gateOk, outcome, calls, reason] of ROWS) {
  test(`guardedRollback ${name}: ${outcome}`, async () => {
    const target = memoryTarget(refuse);
    const rec = record(good);
    const steps: string[] = [];
    let t = 0;
    const r = await guardedRollback(target, gate(gateOk), rec, {
      rollbackTo: to,
      now: () => (t += 100),
      step: (s) => steps.push(s),
    });
    assert.equal(r.outcome, outcome);
    assert.deepEqual(target.calls, calls);
    assert.deepEqual(rec.remembered, [], 'a rollback is never recorded as a new good deployment');
    if (reason) assert.match(r.reason ?? '', reason);
    if (outcome === 'rolled-back') {
      assert.deepEqual(steps, ['rollback', 'rollback-live', 'gate-after-rollback']);
      assert.equal(r.serving?.id, 'd-11');
      assert.ok((r.rollbackMs ?? 0) > 0);
    }
  });
}

test('guardedDeploy keeps its reasons after the refactor into a shared rollback path', async () => {
  const failed = await guardedDeploy(
    memoryTarget(['d-12']),
    async (url) => ({ ok: url === 'never', failures: ['bad'] }),
    record('d-1'),
  );
  assert.equal(failed.outcome, 'rollback-failed');
  assert.equal(failed.reason, 'gate failed: bad; rollback: the rollback deployment was refused: d-12 FAILED');
  const again = await guardedDeploy(memoryTarget(), gate(false), record('d-1'));
  assert.equal(
    again.reason,
    'gate failed: no Access-Control-Allow-Origin; after the rollback the gate failed too: no Access-Control-Allow-Origin',
  );
});
