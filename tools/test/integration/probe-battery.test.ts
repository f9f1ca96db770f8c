// The cors-probe battery through the real stack: default policy and a one-label wildcard, both modes.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type ProbeReport, runProbe } from '../../src/probe/index.ts';
import { ALLOWED, POLICY_ENV } from '../../testkit/policy.ts';
import { type Stack, startStack } from '../../testkit/stack.ts';

const failures = (r: ProbeReport) =>
  r.cases
    .filter((c) => !c.ok)
    .map((c) => `${c.name} ${c.origin ?? ''}: ${c.reason ?? ''}`)
    .join('\n');

const BATTERIES = [
  { name: 'default origins', env: {}, origins: ['https://app.zebra.associates', 'http://localhost:3001'] },
  { name: 'with a one-label wildcard', env: POLICY_ENV, origins: [...ALLOWED, 'https://*.preview.zebra.associates'] },
];
const ERROR_PATHS = ['/fake/status/404', '/fake/status/500', '/fake/crash'];

for (const mode of ['sidecar', 'direct'] as const) {
  for (const battery of BATTERIES) {
    describe(`cors-probe battery, ${mode} mode, ${battery.name}`, () => {
      let stack: Stack;
      before(async () => {
        stack = await startStack({ mode, env: battery.env });
      });
      after(async () => {
        await stack?.stop();
      });
      for (const errorPath of ERROR_PATHS) {
        test(`passes every case with error path ${errorPath}`, async () => {
          const report = await runProbe({
            baseUrl: stack.base,
            origins: battery.origins,
            path: '/fake/ok',
            errorPath,
            method: 'PATCH',
            requestHeaders: ['Content-Type', 'X-Tenant-ID', 'Authorization'],
          });
          assert.ok(report.cases.length > 20, 'the battery ran');
          assert.ok(report.ok, failures(report));
        });
      }
    });
  }
}
