// Deploy drills under demo traffic on the local replica of Railway's deploy semantics (real Docker, real edge):
// a good deploy, deploys that never get healthy, a deploy that breaks CORS (gate + automatic rollback), the
// rollback to PROXY_MODE=direct, and SIGTERM mid-request. Figures go to the test's diagnostics.
import assert from 'node:assert/strict';
import { after, before, describe, type TestContext, test } from 'node:test';
import { generateSigningKey } from '../../src/auth0-standin/keys.ts';
import { type Standin, startStandin } from '../../src/auth0-standin/standin.ts';
import { corsGate } from '../../src/deploy/cors-gate.ts';
import { type Gate, type GuardResult, guardedDeploy } from '../../src/deploy/guard.ts';
import { type Edge, startEdge } from '../../src/platform/edge.ts';
import { buildVariant, CORS_FAULT, FAKE_APP, NO_PROXY } from '../../src/platform/images.ts';
import { type LocalDeployment, LocalPlatform, MemoryRecord } from '../../src/platform/replica.ts';
import { loadPlatformSpec, type PlatformSpec } from '../../src/platform/spec.ts';
import { startTraffic, type TrafficCounts } from '../../src/platform/traffic.ts';
import { buildImage, ensureEngine, IMAGE, removeRunContainers } from '../../testkit/docker.ts';
import { accessClaims, signJwt } from '../../testkit/forge.ts';
import { request, values } from '../../testkit/http.ts';

const ALLOWED = 'https://app.zebra.associates'; // production's one origin (.railway/railway.ts)
const DENIED = 'http://localhost:3001'; // staging's extra origin: production must refuse it

/** The post-deploy gate edge-deploy runs on Railway: production's origin allowed, the dev one denied. */
const gate: Gate = corsGate({ origins: [ALLOWED], deny: [DENIED] });

let spec: PlatformSpec;
let standin: Standin;
let edge: Edge;
let platform: LocalPlatform;
const record = new MemoryRecord();
let token = '';
const images = { good: IMAGE, next: '', corsFault: '', noProxy: '', fakeApp: '' };
const steps: string[] = [];

before(
  async () => {
    await ensureEngine();
    await buildImage();
    spec = await loadPlatformSpec('production');
    [images.next, images.corsFault, images.noProxy, images.fakeApp] = await Promise.all([
      buildVariant('edge-sidecar:drill-next'),
      buildVariant('edge-sidecar:drill-cors-fault', CORS_FAULT),
      buildVariant('edge-sidecar:drill-no-proxy', NO_PROXY),
      buildVariant('edge-sidecar:drill-fake-app', FAKE_APP),
    ]);
    // The tenant: the stand-in on the host's loopback (the containers use host networking), signing with a key we
    // hold, so the load's bearer token validates in every deployment without a login per container.
    standin = await startStandin({ port: 0 });
    const key = generateSigningKey('drill-key');
    standin.rotateKeys([key]);
    token = signJwt({ alg: 'RS256', key }, accessClaims(standin, 3600));
    edge = await startEdge();
    platform = new LocalPlatform({
      spec,
      edge,
      image: images.good,
      // What the dashboard holds in production (preserve() in .railway/railway.ts), here the stand-in.
      platformVariables: { AUTH0_ISSUER: standin.issuer },
      log: (line) => steps.push(line),
    });
    const first = await guardedDeploy(platform, gate, record);
    assert.equal(first.outcome, 'deployed', JSON.stringify(first));
  },
  { timeout: 15 * 60_000 },
);

after(async () => {
  await platform?.close();
  await edge?.stop();
  await standin?.stop();
  await removeRunContainers();
});

/** Run `drill` under demo traffic from both origins; the counts when it is done. */
async function underTraffic<T>(drill: () => Promise<T>): Promise<{ result: T; counts: TrafficCounts }> {
  const load = startTraffic({ base: edge.base, token, allowed: ALLOWED, denied: DENIED, workers: 3, maxMs: 600_000 });
  try {
    const result = await drill();
    return { result, counts: await load.stop() };
  } finally {
    await load.stop();
  }
}

/** guardedDeploy with every step timed into `timings` (name → ms). */
function deployWith(timings: Record<string, number>, opts: Parameters<typeof guardedDeploy>[3] = {}): Promise<GuardResult> {
  return guardedDeploy(platform, gate, record, {
    ...opts,
    step: (name, detail, ms) => void ((timings[name] = ms), steps.push(`${name} (${ms} ms): ${detail}`)),
  });
}

function report(t: TestContext, drill: string, counts: TrafficCounts, extra: string): void {
  t.diagnostic(
    `${drill}: ${counts.sent} requests, ${counts.failed.length} failed, ${counts.withoutCors.length} without the right CORS; ${extra}`,
  );
}

const failedLines = (c: TrafficCounts): string => [...c.failed, ...c.withoutCors].slice(0, 10).join('\n');

describe('deploy drills on the local replica (production: 2 replicas, /health, overlap and draining from .railway/railway.ts)', {
  timeout: 20 * 60_000,
}, () => {
  test('the replica copies the platform settings from .railway/railway.ts', () => {
    assert.deepEqual(
      {
        path: spec.healthcheckPath,
        timeout: spec.healthcheckTimeoutS,
        replicas: spec.replicas,
        restart: spec.restart,
        overlap: spec.overlapS,
        draining: spec.drainingS,
      },
      {
        path: '/health',
        timeout: 120,
        replicas: 2,
        restart: { policy: 'ON_FAILURE', maxRetries: 10 },
        overlap: 30,
        draining: 45,
      },
    );
  });

  test("a. a good deploy (new image): 0 failed, 0 without CORS, through the switch and the old one's teardown", async (t) => {
    const timings: Record<string, number> = {};
    const before = (await platform.current())!;
    platform.release(images.next);
    const { result, counts } = await underTraffic(async () => {
      const r = await deployWith(timings);
      await platform.idle(); // the old deployment: overlap, SIGTERM, drained, gone
      return r;
    });
    report(
      t,
      'a. good deploy',
      counts,
      `deploy -> live ${timings['deploy']! + timings['wait-live']!} ms, gate ${timings['gate']} ms`,
    );
    assert.equal(result.outcome, 'deployed', JSON.stringify(result));
    assert.notEqual((await platform.current())!.id, before.id);
    assert.ok(counts.sent > 100, `the load ran (${counts.sent})`);
    assert.deepEqual([...counts.failed, ...counts.withoutCors], [], failedLines(counts));
  });

  const REFUSED: [name: string, release: () => string, variables: Record<string, string>, reason: RegExp][] = [
    [
      'bad configuration',
      () => images.next,
      { CORS_ALLOW_ORIGINS: 'https://app.zebra.associates/' },
      /invalid configuration: CORS_ALLOW_ORIGINS/,
    ],
    ['the proxy cannot start', () => images.noProxy, {}, /program 'proxy' crash-looped .*simulated proxy failure/],
    [
      'an app crash loop',
      () => images.next,
      { APP_MODULE: 'nonexistent:app' },
      /program 'api' crash-looped .*Could not import module/,
    ],
  ];
  test('b. deploys that never get healthy are refused with the reason; the old deployment keeps serving, 0 failed', async (t) => {
    const live = (await platform.current())!;
    const { result, counts } = await underTraffic(() =>
      Promise.all(
        REFUSED.map(async ([, release, variables]) => {
          // Each its own deploy, started together (three pushes in a row): the platform judges each alone.
          const d = await platform.deployImage(release(), variables);
          return platform.waitLive(d);
        }),
      ),
    );
    report(
      t,
      'b. refused deploys',
      counts,
      result.map((r, i) => `${REFUSED[i]![0]}: ${r.live ? 'LIVE' : r.reason}`).join(' || '),
    );
    result.forEach((r, i) => {
      assert.equal(r.live, false, `${REFUSED[i]![0]} went live`);
      if (!r.live) assert.match(r.reason, REFUSED[i]![3]);
    });
    assert.equal((await platform.current())!.id, live.id, 'the deployment that was live still is');
    assert.deepEqual([...counts.failed, ...counts.withoutCors], [], failedLines(counts));
  });

  test('c. a deploy that passes /health but breaks CORS: the gate catches it, the last good one is back', async (t) => {
    const timings: Record<string, number> = {};
    const good = (await record.lastGood())!;
    platform.release(images.corsFault);
    const { result, counts } = await underTraffic(() => deployWith(timings, { rollbackTo: 'last-good' }));
    report(
      t,
      'c. CORS fault -> rollback',
      counts,
      `gate ${timings['gate']} ms, detection -> restored ${result.rollbackMs} ms; reason: ${result.reason?.slice(0, 200)}`,
    );
    assert.equal(result.outcome, 'rolled-back', JSON.stringify(result));
    assert.match(result.reason ?? '', /gate failed: .*(denied|Access-Control-Allow-Origin)/i);
    assert.equal((result.serving as LocalDeployment).image, (good as LocalDeployment).image, 'the last good image serves again');
    assert.ok(result.rollbackMs! < 120_000, `rolled back in ${result.rollbackMs} ms (bound: 2 min)`);
    assert.deepEqual(counts.failed, [], 'no request failed (the fault is in the headers, not the status)');
    platform.release(images.next);
    await platform.idle();
  });

  test('d. the same fault rolled back to the FastAPI-only configuration (PROXY_MODE=direct)', async (t) => {
    const timings: Record<string, number> = {};
    platform.release(images.corsFault);
    const { result, counts } = await underTraffic(() => deployWith(timings, { rollbackTo: 'direct' }));
    report(t, 'd. CORS fault -> PROXY_MODE=direct', counts, `detection -> restored ${result.rollbackMs} ms`);
    assert.equal(result.outcome, 'rolled-back', JSON.stringify(result));
    assert.equal((result.serving as LocalDeployment).variables.PROXY_MODE, 'direct');
    // Asked of a replica's own $PORT: uvicorn alone serves (no Via from a Caddy in the container).
    const res = await request(`http://127.0.0.1:${(result.serving as LocalDeployment).containers[0]!.port}/health/live`, {
      headers: { Origin: ALLOWED },
    });
    assert.deepEqual(values(res, 'via'), [], 'no Caddy in the container');
    assert.deepEqual(values(res, 'access-control-allow-origin'), [ALLOWED]);
    assert.ok(result.rollbackMs! < 120_000, `rolled back in ${result.rollbackMs} ms`);
    assert.deepEqual(counts.failed, []);
    // Back to the sidecar for the next drill, by the same mechanism.
    platform.release(images.next);
    assert.equal((await deployWith({}, { variables: { PROXY_MODE: 'sidecar' } })).outcome, 'deployed');
    await platform.idle();
  });

  test("e. SIGTERM mid-request (the old deployment's teardown): in-flight requests complete with CORS", async (t) => {
    // The fake app has a slow endpoint; it answers every path 200, so the CORS gate (which needs an error path)
    // is not for it: deployed through the platform alone.
    const d = await platform.deployImage(images.fakeApp, { APP_MODULE: 'fake_app:app' });
    assert.deepEqual(await platform.waitLive(d), { live: true });
    // Requests in flight on each replica (sent to its own $PORT, as the edge would have), then its teardown.
    const slow = d.containers.flatMap((c) =>
      [1, 2].map(() =>
        request(`http://127.0.0.1:${c.port}/fake/slow?seconds=6`, { headers: { Origin: ALLOWED }, timeoutMs: 60_000 }),
      ),
    );
    slow.forEach((p) => p.catch(() => undefined));
    await new Promise((r) => setTimeout(r, 1_000)); // they reached the app (6 s each), then:
    const started = Date.now();
    await platform.stop(d);
    const answers = await Promise.all(slow);
    t.diagnostic(
      `e. SIGTERM mid-request: ${answers.length} in flight, ${answers.filter((a) => a.status === 200).length} answered 200; teardown took ${Date.now() - started} ms`,
    );
    for (const a of answers) {
      assert.equal(a.status, 200, a.body);
      assert.deepEqual(values(a, 'access-control-allow-origin'), [ALLOWED]);
    }
  });
});

test('the drill log (each step with its time)', { skip: false }, (t) => {
  t.diagnostic(steps.join('\n'));
  assert.ok(steps.length > 0);
});
