// The Railway DeployTarget in-process against the fake API: names to ids, the public URL, polling and rollback edges.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { type RailwayApi, railwayApi } from '../../src/deploy/railway-api.ts';
import { publicUrlOf, type RailwayService, railwayTarget, resolveService } from '../../src/deploy/railway-target.ts';
import { type FakeRailway, type FakeRailwayOptions, startFakeRailway } from './fake-railway.ts';

const TOKEN = 'tok-target-test-0001';
const fakes: FakeRailway[] = [];
after(async () => {
  await Promise.all(fakes.map((f) => f.close()));
});

async function fake(o: Partial<FakeRailwayOptions> = {}): Promise<{ fake: FakeRailway; api: RailwayApi }> {
  const f = await startFakeRailway({ auth: { kind: 'bearer', token: TOKEN }, ...o });
  fakes.push(f);
  return {
    fake: f,
    api: railwayApi({ url: f.apiUrl, auth: { kind: 'bearer', token: TOKEN, source: 'RAILWAY_API_TOKEN' }, retryDelayMs: 1 }),
  };
}

const SERVICE: RailwayService = {
  projectId: 'p-1',
  projectName: 'edge-sidecar',
  environmentId: 'env-prod',
  environmentName: 'production',
  serviceId: 'svc-api',
  serviceName: 'api',
};

test('resolveService: by name or id; production and api by default', async () => {
  const { api } = await fake();
  assert.deepEqual(await resolveService(api, { projectToken: false, projectId: 'p-1', service: 'api' }), SERVICE);
  const byId = await resolveService(api, { projectToken: false, projectId: 'p-1', environment: 'env-stg', service: 'svc-api' });
  assert.deepEqual([byId.environmentName, byId.serviceName], ['staging', 'api']);
  await assert.rejects(resolveService(api, { projectToken: false, projectId: 'p-9', service: 'api' }), /Project not found/);
});

test('publicUrlOf: the custom domain first, else the Railway domain, else an error naming EDGE_DEPLOY_URL', async () => {
  const ROWS: [custom: string[], railway: string[], expected: string | RegExp][] = [
    [['api.zebra.associates'], ['api-production-1234.up.railway.app'], 'https://api.zebra.associates'],
    [[], ['api-staging-99.up.railway.app'], 'https://api-staging-99.up.railway.app'],
    [[], [], /has no public domain in production: add one, or set EDGE_DEPLOY_URL/],
  ];
  for (const [customDomains, serviceDomains, expected] of ROWS) {
    const { api } = await fake({ customDomains, serviceDomains });
    if (typeof expected === 'string') assert.equal(await publicUrlOf(api, SERVICE), expected);
    else await assert.rejects(publicUrlOf(api, SERVICE), expected);
  }
});

test('waitLive: a progress line per status change and a heartbeat while a status lasts', async () => {
  const { api } = await fake({
    onDeploy: () => ({
      statuses: ['QUEUED', 'BUILDING', 'BUILDING', 'BUILDING', 'DEPLOYING', 'SUCCESS'],
      upstream: 'http://127.0.0.1:9',
    }),
  });
  let clock = 0;
  const lines: string[] = [];
  // Each poll "takes" 20 s of a fake clock: the third BUILDING poll is 40 s after the first, past the 30 s heartbeat.
  const t = railwayTarget(api, SERVICE, {
    publicUrl: 'x',
    pollMs: 1,
    liveTimeoutMs: 600_000,
    appearTimeoutMs: 1000,
    progress: (l) => lines.push(l),
    now: () => clock,
    sleep: async () => void (clock += 20_000),
  });
  const d = await t.deploy();
  assert.deepEqual(await t.waitLive(d), { live: true });
  assert.deepEqual(lines, ['d-1: BUILDING (0 s)', 'd-1: BUILDING (40 s)', 'd-1: DEPLOYING (60 s)', 'd-1: SUCCESS (80 s)']);
});

test('redeploy: a rollback whose new deployment never shows up is an error, after the bound', async () => {
  const { api, fake: f } = await fake({
    initial: [{ id: 'd-1', status: 'SUCCESS', upstream: 'http://127.0.0.1:9' }],
    onRollback: () => null,
  });
  let clock = 0;
  const t = railwayTarget(api, SERVICE, {
    publicUrl: 'x',
    pollMs: 1,
    liveTimeoutMs: 1000,
    appearTimeoutMs: 5000,
    now: () => clock,
    sleep: async () => void (clock += 1000),
  });
  await assert.rejects(
    t.redeploy({ id: 'd-1' }),
    /Railway accepted the rollback to d-1, but no new deployment appeared within 5 s/,
  );
  assert.equal(f.callsOf('EdgeDeployRollback').length, 1);
});

test('current and deployments: newest first whatever the order, the newest live one is current', async () => {
  const { api } = await fake({
    initial: [
      { id: 'old', status: 'REMOVED', upstream: 'u', createdAt: '2026-01-01T00:00:00Z' },
      { id: 'live', status: 'SUCCESS', upstream: 'u', createdAt: '2026-01-02T00:00:00Z' },
      { id: 'broken', status: 'FAILED', upstream: 'u', createdAt: '2026-01-03T00:00:00Z' },
    ],
  });
  const t = railwayTarget(api, SERVICE, { publicUrl: 'x', pollMs: 1, liveTimeoutMs: 1, appearTimeoutMs: 1 });
  assert.deepEqual(
    (await t.deployments()).map((d) => d.id),
    ['broken', 'live', 'old'],
  );
  assert.deepEqual(await t.current(), { id: 'live' });
});
