// Upstream-connection and CPU aggregates of the benchmark (pure).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type CpuSample, summarizeCpu, summarizeUpstream, type UpstreamSample } from '../../../bench/lib/resources.ts';

test('summarizeUpstream: medians and worst case of one cell', () => {
  const s = (round: number, openedSteady: number, maxEstablished: number): UpstreamSample => ({
    cellId: 'items-64',
    round,
    establishedBefore: 10,
    maxEstablished,
    opened: 54 + openedSteady,
    openedSteady,
    steadyRequests: 1000,
  });
  const u = summarizeUpstream('items-64', [s(1, 0, 64), s(2, 2, 64), s(3, 290, 96), { ...s(4, 9, 9), cellId: 'other' }]);
  assert.equal(u.runs, 3);
  assert.equal(u.medianOpenedSteady, 2);
  assert.equal(u.maxOpenedSteady, 290);
  assert.equal(u.maxSteadyShare, 0.29);
  assert.equal(u.maxEstablished, 96);
  assert.equal(u.medianEstablishedBefore, 10);
  assert.equal(u.medianOpened, 56);
});

test('summarizeUpstream without runs is NaN throughout', () => {
  const u = summarizeUpstream('none', []);
  assert.equal(u.runs, 0);
  assert.ok(Number.isNaN(u.maxOpenedSteady) && Number.isNaN(u.maxSteadyShare) && Number.isNaN(u.medianOpened));
});

test('summarizeCpu: CPU ms per 1,000 requests by role, over the rounds of one cell and mode', () => {
  const s = (round: number, caddy: number, uvicorn: number, requests: number, machineBusy: number): CpuSample => ({
    cellId: 'live-64',
    mode: 'sidecar',
    round,
    cpuMsByRole: { caddy, uvicorn },
    machineBusy,
    requests,
  });
  const c = summarizeCpu('live-64', 'sidecar', [
    s(1, 200, 100, 1000, 0.9),
    s(2, 400, 300, 3000, 0.7),
    { ...s(3, 1e6, 1e6, 1, 0), mode: 'direct' },
  ]);
  assert.deepEqual(c.perKiloRequest, { caddy: 150, uvicorn: 100 });
  assert.equal(c.medianMachineBusy, 0.8);
});
