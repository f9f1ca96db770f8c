// Spawns the real tools/bin/edge-deploy against the fake Railway and real CORS upstreams: calls, records, exit codes.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { type CorsUpstream, startCorsUpstream, type UpstreamFault } from './cors-upstream.ts';
import { type FakeRailway, type FakeRailwayOptions, startFakeRailway } from './fake-railway.ts';

const BIN = fileURLToPath(new URL('../../bin/edge-deploy', import.meta.url));
const TOKEN = 'tok-0123456789-secret';
const STEP = /^\[\s*\d+\.\d s\] [a-z-]+: /;

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** The CLI from an unrelated cwd with only the variables given (never this machine's Railway tokens). */
function cli(args: string[], env: Record<string, string>): Promise<Run> {
  const base: Record<string, string> = {};
  for (const name of ['PATH', 'HOME', 'TMPDIR']) if (process.env[name]) base[name] = process.env[name]!;
  return new Promise((resolve) => {
    execFile(BIN, args, { cwd: tmpdir(), timeout: 60_000, env: { ...base, ...env } }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : -1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

let upstreams: Record<UpstreamFault, CorsUpstream>;
let dir: string;
before(async () => {
  const [none, reflect, noAcao] = await Promise.all([
    startCorsUpstream('none'),
    startCorsUpstream('reflect-any-origin'),
    startCorsUpstream('no-acao'),
  ]);
  upstreams = { none, 'reflect-any-origin': reflect, 'no-acao': noAcao };
  dir = mkdtempSync(path.join(tmpdir(), 'edge-deploy-test-'));
});
after(async () => {
  await Promise.all(Object.values(upstreams).map((u) => u.close()));
  rmSync(dir, { recursive: true, force: true });
});

const good = (): string => upstreams.none.url;
const faulty = (f: UpstreamFault = 'reflect-any-origin'): string => upstreams[f].url;
const KEY = 'p-1/env-prod/svc-api';

interface World {
  fake: FakeRailway;
  state: string;
  env: Record<string, string>;
  lastGood(): string | undefined;
  run(args: string[], extra?: Record<string, string>): Promise<Run>;
}

/** A fresh fake Railway, a state file (seeded with `lastGood` when given), and the variables pointing at both. */
async function world(o: Partial<FakeRailwayOptions> & { lastGood?: string } = {}): Promise<World> {
  const fake = await startFakeRailway({ auth: { kind: 'bearer', token: TOKEN }, ...o });
  const state = path.join(mkdtempSync(path.join(dir, 's-')), 'state.json');
  if (o.lastGood)
    writeFileSync(
      state,
      JSON.stringify({ version: 1, lastGood: { [KEY]: { id: o.lastGood, recordedAt: '2026-01-01T00:00:00.000Z' } } }),
    );
  const env = {
    RAILWAY_API_URL: fake.apiUrl,
    RAILWAY_API_TOKEN: TOKEN,
    RAILWAY_PROJECT_ID: 'p-1',
    EDGE_DEPLOY_URL: fake.edgeUrl,
    EDGE_DEPLOY_STATE: state,
    EDGE_DEPLOY_POLL: '20ms',
    EDGE_DEPLOY_LIVE_TIMEOUT: '20s',
    EDGE_DEPLOY_APPEAR_TIMEOUT: '5s',
  };
  const w: World = {
    fake,
    state,
    env,
    lastGood: () => {
      try {
        return JSON.parse(readFileSync(state, 'utf8')).lastGood[KEY]?.id;
      } catch {
        return undefined;
      }
    },
    run: async (args, extra = {}) => {
      const r = await cli(args, { ...env, ...extra });
      // Whatever happens, the token is never printed.
      assert.ok(!r.stdout.includes(TOKEN) && !r.stderr.includes(TOKEN), 'the token appears in the output');
      return r;
    },
  };
  worlds.push(w);
  return w;
}
const worlds: World[] = [];
after(async () => {
  await Promise.all(worlds.map((w) => w.fake.close()));
});

/** d-1 live before the test, serving `upstream`. */
const liveBefore = (upstream: string, canRollback = true): FakeRailwayOptions['initial'] => [
  { id: 'd-1', status: 'SUCCESS', upstream, canRollback },
];
const building =
  (upstream: string, end = 'SUCCESS') =>
  () => ({ statuses: ['INITIALIZING', 'BUILDING', 'DEPLOYING', end], upstream });

/** The step names printed, in order. */
const steps = (r: Run): string[] =>
  r.stdout
    .split('\n')
    .filter((l) => STEP.test(l))
    .map((l) => l.replace(/^\[[^\]]*\] /, '').split(':')[0]!);
const lastLine = (r: Run): string => r.stdout.trimEnd().split('\n').at(-1) ?? '';

describe('deploy', () => {
  test('a good deploy: calls in order, one line per step with its duration, last good recorded, exit 0', async () => {
    const w = await world({ initial: liveBefore(good()), lastGood: 'd-1', onDeploy: building(good()) });
    const r = await w.run(['deploy']);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.deepEqual(w.fake.operations(), [
      'EdgeDeployProject',
      'EdgeDeployDeployments',
      'EdgeDeployStart',
      'EdgeDeployDeployment',
    ]);
    assert.deepEqual(steps(r), ['deploy', 'wait-live', 'gate']);
    assert.match(r.stdout, /^\[\s*\d+\.\d s\] wait-live: d-2 is live$/m);
    assert.match(
      lastLine(r),
      /^DEPLOYED: d-2 is live on http:\/\/127\.0\.0\.1:\d+ and passed the CORS gate; recorded .* \(total \d+\.\d s\)$/,
    );
    assert.equal(w.lastGood(), 'd-2');
    // Progress while waiting, on stderr: every status the deployment went through.
    for (const s of ['BUILDING', 'DEPLOYING', 'SUCCESS']) assert.match(r.stderr, new RegExp(`d-2: ${s} \\(`));
    assert.ok(w.fake.calls.every((c) => c.auth === 'bearer'));
    assert.deepEqual(w.fake.callsOf('EdgeDeployStart')[0]!.variables, { environmentId: 'env-prod', serviceId: 'svc-api' });
  });

  test('--set changes the variables first, without a deploy of their own, then deploys', async () => {
    const w = await world({ initial: liveBefore(good()), lastGood: 'd-1', onDeploy: building(good()) });
    const r = await w.run(['deploy', '--set', 'CORS_MAX_AGE=300', '--set', 'EMPTY=']);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.deepEqual(w.fake.operations().slice(0, 4), [
      'EdgeDeployProject',
      'EdgeDeployDeployments',
      'EdgeDeployVariables',
      'EdgeDeployStart',
    ]);
    assert.deepEqual(w.fake.callsOf('EdgeDeployVariables')[0]!.variables, {
      input: {
        projectId: 'p-1',
        environmentId: 'env-prod',
        serviceId: 'svc-api',
        variables: { CORS_MAX_AGE: '300', EMPTY: '' },
        skipDeploys: true,
      },
    });
  });

  test('no last good recorded: the deployment serving now is gated and recorded first (baseline)', async () => {
    const w = await world({ initial: liveBefore(good()), onDeploy: building(good()) });
    const r = await w.run(['deploy']);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.deepEqual(steps(r), ['baseline', 'deploy', 'wait-live', 'gate']);
    assert.match(r.stdout, /baseline: .*d-1 \(serving now\) passes the gate: recorded/);
    assert.equal(w.lastGood(), 'd-2');
  });

  test('no last good recorded and the serving deployment fails the gate: nothing is deployed, exit 2', async () => {
    const w = await world({ initial: liveBefore(faulty()), onDeploy: building(good()) });
    const r = await w.run(['deploy']);
    assert.equal(r.code, 2);
    assert.match(
      r.stderr,
      /^edge-deploy: no last good deployment recorded, and d-1 \(serving now\) fails the gate: .*--rollback-to direct\)\n$/,
    );
    assert.equal(w.fake.callsOf('EdgeDeployStart').length, 0);
  });

  const REFUSED: [status: string, why: RegExp][] = [
    ['FAILED', /build or the healthcheck failed/],
    ['CRASHED', /crashed after starting/],
    ['REMOVED', /removed/],
  ];
  for (const [status, why] of REFUSED) {
    test(`refused by the platform (${status}): no rollback call, the reason printed, exit 1`, async () => {
      const w = await world({ initial: liveBefore(good()), lastGood: 'd-1', onDeploy: building(good(), status) });
      const r = await w.run(['deploy']);
      assert.equal(r.code, 1, r.stdout + r.stderr);
      assert.deepEqual(steps(r), ['deploy', 'wait-live']);
      assert.match(
        lastLine(r),
        new RegExp(`^REFUSED: Railway marked d-2 ${status}: .*; nothing was switched: d-1 keeps serving`),
      );
      assert.match(lastLine(r), why);
      assert.equal(w.fake.callsOf('EdgeDeployRollback').length, 0);
      assert.equal(w.fake.callsOf('EdgeDeployVariables').length, 0);
      assert.equal(w.lastGood(), 'd-1');
    });
  }

  test('Railway refuses to start the deployment: NOT DEPLOYED, the variables left behind named, exit 1', async () => {
    const w = await world({ initial: liveBefore(good()), lastGood: 'd-1', onDeploy: () => 'Service has no source to deploy' });
    const r = await w.run(['deploy', '--set', 'CORS_MAX_AGE=300']);
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.match(
      lastLine(r),
      /^NOT DEPLOYED: Railway did not start the deployment: Railway API EdgeDeployStart: Service has no source to deploy \(the variables CORS_MAX_AGE are already set on the service: they apply with its next deployment\); nothing was switched/,
    );
  });

  test('a state file that is not JSON stops the deploy before anything changes, exit 2', async () => {
    const w = await world({ initial: liveBefore(good()), onDeploy: building(good()) });
    writeFileSync(w.state, '{"version": 1, "lastGood": ');
    const r = await w.run(['deploy']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /^edge-deploy: .*state\.json: not JSON; fix or delete it\n$/);
    assert.equal(w.fake.callsOf('EdgeDeployStart').length, 0);
    assert.equal(readFileSync(w.state, 'utf8'), '{"version": 1, "lastGood": ', 'left as it was');
  });

  test('not live within EDGE_DEPLOY_LIVE_TIMEOUT: cancelled so it never goes live ungated, exit 1', async () => {
    const w = await world({
      initial: liveBefore(good()),
      lastGood: 'd-1',
      onDeploy: () => ({ statuses: Array(10_000).fill('BUILDING'), upstream: good() }),
    });
    const r = await w.run(['deploy'], { EDGE_DEPLOY_LIVE_TIMEOUT: '300ms' });
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.deepEqual(
      w.fake.callsOf('EdgeDeployCancel').map((c) => c.variables.id),
      ['d-2'],
    );
    assert.match(
      lastLine(r),
      /^REFUSED: d-2 was not live after \d+ s \(still BUILDING\); cancelled it; nothing was switched: d-1 keeps serving/,
    );
  });

  // The gate is real: a deployment serving a seeded CORS fault fails it, whichever fault.
  for (const fault of ['reflect-any-origin', 'no-acao'] as const) {
    test(`gate fails (${fault}) → Railway's rollback to the recorded last good deployment, exit 1 with the rollback time`, async () => {
      const w = await world({ initial: liveBefore(good()), lastGood: 'd-1', onDeploy: building(faulty(fault)) });
      const r = await w.run(['deploy']);
      assert.equal(r.code, 1, r.stdout + r.stderr);
      assert.deepEqual(steps(r), ['deploy', 'wait-live', 'gate', 'rollback', 'rollback-live', 'gate-after-rollback']);
      assert.deepEqual(
        w.fake.callsOf('EdgeDeployRollback').map((c) => c.variables),
        [{ id: 'd-1' }],
      );
      assert.deepEqual(w.fake.operations(), [
        'EdgeDeployProject',
        'EdgeDeployDeployments',
        'EdgeDeployStart',
        'EdgeDeployDeployment', // polls, then canRollback of d-1
        'EdgeDeployDeployments',
        'EdgeDeployRollback',
        'EdgeDeployDeployments', // the rollback's new deployment shows up
        'EdgeDeployDeployment',
      ]);
      assert.match(r.stdout, /^\[\s*\d+\.\d s\] gate: failed: .+/m);
      assert.match(r.stdout, /rollback: redeploying d-1 as d-3$/m);
      assert.match(r.stdout, /gate-after-rollback: passed$/m);
      assert.match(
        lastLine(r),
        /^ROLLED BACK: d-2 failed the CORS gate and was rolled back in \d+\.\d s \(Railway's rollback to d-1\); d-3 is live and passed the gate\. Why: gate failed: /,
      );
      assert.equal(w.lastGood(), 'd-1', 'a failed deployment is never recorded');
    });
  }

  test('gate fails → --rollback-to direct: PROXY_MODE=direct upserted (no deploy of its own), then deployed, exit 1', async () => {
    const w = await world({
      initial: liveBefore(good()),
      lastGood: 'd-1',
      // Direct mode's app-side CORS is correct; the new release's proxy is not.
      onDeploy: (vars) => ({ statuses: ['BUILDING', 'SUCCESS'], upstream: vars.PROXY_MODE === 'direct' ? good() : faulty() }),
    });
    const r = await w.run(['deploy', '--rollback-to', 'direct']);
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.deepEqual(w.fake.operations(), [
      'EdgeDeployProject',
      'EdgeDeployDeployments',
      'EdgeDeployStart',
      'EdgeDeployDeployment',
      'EdgeDeployVariables',
      'EdgeDeployStart',
      'EdgeDeployDeployment',
    ]);
    assert.deepEqual(w.fake.callsOf('EdgeDeployVariables')[0]!.variables, {
      input: {
        projectId: 'p-1',
        environmentId: 'env-prod',
        serviceId: 'svc-api',
        variables: { PROXY_MODE: 'direct' },
        skipDeploys: true,
      },
    });
    assert.equal(w.fake.callsOf('EdgeDeployRollback').length, 0);
    assert.match(r.stdout, /rollback: started d-3 with PROXY_MODE=direct$/m);
    assert.match(
      lastLine(r),
      /^ROLLED BACK: d-2 failed the CORS gate and was rolled back in \d+\.\d s \(a deployment with PROXY_MODE=direct\); d-3 is live/,
    );
  });

  // Options are functions: the upstreams start in before(), after the table is built.
  const ROLLBACK_FAILS: [name: string, o: () => Partial<FakeRailwayOptions>, why: RegExp][] = [
    [
      'the rollback deployment fails its healthcheck',
      () => ({ onRollback: (from) => ({ statuses: ['DEPLOYING', 'FAILED'], upstream: from.upstream }) }),
      /rollback: the rollback deployment was refused: Railway marked d-3 FAILED/,
    ],
    [
      'Railway refuses the rollback mutation',
      () => ({ onRollback: () => 'Deployment cannot be rolled back' }),
      /rollback: Railway API EdgeDeployRollback: Deployment cannot be rolled back/,
    ],
    ['the last good deployment is past image retention', () => ({ initial: liveBefore(good(), false) }), /canRollback is false/],
    [
      'the rolled-back deployment fails the gate too',
      () => ({ initial: liveBefore(faulty('no-acao')) }),
      /after the rollback the gate failed too/,
    ],
  ];
  for (const [name, o, why] of ROLLBACK_FAILS) {
    test(`rollback fails (${name}): exit 3, says what is serving`, async () => {
      const w = await world({ initial: liveBefore(good()), lastGood: 'd-1', onDeploy: building(faulty()), ...o() });
      const r = await w.run(['deploy']);
      assert.equal(r.code, 3, r.stdout + r.stderr);
      assert.match(lastLine(r), /^ROLLBACK FAILED: /);
      assert.match(lastLine(r), why);
      assert.match(lastLine(r), /serving now: d-\d/);
      assert.match(lastLine(r), /may be degraded/);
    });
  }
});

describe('rollback', () => {
  const ROWS: [name: string, args: string[], lastGood: string | undefined, ops: (w: World) => void][] = [
    [
      'to the recorded last good (default)',
      ['rollback'],
      'd-1',
      (w) =>
        assert.deepEqual(
          w.fake.callsOf('EdgeDeployRollback').map((c) => c.variables),
          [{ id: 'd-1' }],
        ),
    ],
    [
      'to an explicit deployment id, nothing recorded',
      ['rollback', '--to', 'd-1'],
      undefined,
      (w) =>
        assert.deepEqual(
          w.fake.callsOf('EdgeDeployRollback').map((c) => c.variables),
          [{ id: 'd-1' }],
        ),
    ],
    [
      'to PROXY_MODE=direct',
      ['rollback', '--to', 'direct'],
      undefined,
      (w) => {
        assert.equal(w.fake.callsOf('EdgeDeployRollback').length, 0);
        assert.deepEqual((w.fake.callsOf('EdgeDeployVariables')[0]!.variables.input as { variables: unknown }).variables, {
          PROXY_MODE: 'direct',
        });
      },
    ],
  ];
  for (const [name, args, lastGood, ops] of ROWS) {
    test(`${name}: gated, exit 0`, async () => {
      // d-1 good, d-2 (bad) live now; direct mode serves correct CORS.
      const w = await world({
        initial: [
          { id: 'd-1', status: 'REMOVED', upstream: good() },
          { id: 'd-2', status: 'SUCCESS', upstream: faulty() },
        ],
        ...(lastGood ? { lastGood } : {}),
        onDeploy: (vars) => ({ statuses: ['BUILDING', 'SUCCESS'], upstream: vars.PROXY_MODE === 'direct' ? good() : faulty() }),
      });
      const r = await w.run(args);
      assert.equal(r.code, 0, r.stdout + r.stderr);
      assert.deepEqual(steps(r), ['rollback', 'rollback-live', 'gate-after-rollback']);
      assert.match(lastLine(r), /^ROLLED BACK in \d+\.\d s .*: d-3 is live on .* and passed the CORS gate/);
      ops(w);
    });
  }

  test('nothing recorded and no --to: exit 2, nothing called', async () => {
    const w = await world({ initial: liveBefore(good()) });
    const r = await w.run(['rollback']);
    assert.equal(r.code, 2);
    assert.match(
      r.stderr,
      /^edge-deploy: no last good deployment recorded in .*state\.json: use --to direct, or --to <deployment-id>/,
    );
    assert.equal(w.fake.callsOf('EdgeDeployRollback').length, 0);
  });

  const REFUSED_UPFRONT: [name: string, to: string, initial: () => FakeRailwayOptions['initial'], message: RegExp][] = [
    ['unknown to Railway', 'd-404', () => liveBefore(good()), /Railway API EdgeDeployDeployment: Deployment not found/],
    [
      'of another service',
      'd-pg',
      () => [...liveBefore(good())!, { id: 'd-pg', status: 'SUCCESS', upstream: good(), serviceId: 'svc-pg' }],
      /d-pg is not a deployment of api in production/,
    ],
    ['past image retention', 'd-1', () => liveBefore(good(), false), /Railway cannot roll back to d-1 \(canRollback is false/],
  ];
  for (const [name, to, initial, message] of REFUSED_UPFRONT) {
    test(`--to a deployment ${name}: exit 2 before anything changes`, async () => {
      const w = await world({ initial: initial() });
      const r = await w.run(['rollback', '--to', to]);
      assert.equal(r.code, 2, r.stdout + r.stderr);
      assert.match(r.stderr, message);
      assert.equal(w.fake.callsOf('EdgeDeployRollback').length, 0);
    });
  }

  test('the rollback deployment crashes: exit 3', async () => {
    const w = await world({
      initial: liveBefore(good()),
      lastGood: 'd-1',
      onRollback: (from) => ({ statuses: ['DEPLOYING', 'CRASHED'], upstream: from.upstream }),
    });
    const r = await w.run(['rollback']);
    assert.equal(r.code, 3, r.stdout + r.stderr);
    assert.match(lastLine(r), /^ROLLBACK FAILED: rollback: the rollback deployment was refused: Railway marked d-2 CRASHED/);
  });
});

describe('status', () => {
  for (const [name, upstream, code] of [
    ['correct CORS', 'none', 0],
    ['a seeded fault', 'reflect-any-origin', 1],
  ] as const) {
    test(`${name}: current, newest, last good, the gate now → exit ${code}`, async () => {
      const w = await world({
        initial: [
          { id: 'd-1', status: 'SUCCESS', upstream: upstreams[upstream].url },
          { id: 'd-2', status: 'FAILED', upstream: good() },
        ],
        lastGood: 'd-1',
      });
      const r = await w.run(['status']);
      assert.equal(r.code, code, r.stdout + r.stderr);
      assert.match(r.stdout, /^service: +railway edge-sidecar\/production\/api$/m);
      assert.match(r.stdout, /^current: +d-1 SUCCESS, created 2026-/m);
      assert.match(r.stdout, /^newest: +d-2 FAILED/m);
      assert.match(
        r.stdout,
        /^last good: +d-1, passed the gate 2026-01-01T00:00:00\.000Z \(serving now\); can be rolled back to$/m,
      );
      assert.match(
        r.stdout,
        code === 0
          ? /gate: passed \(origins https:\/\/app\.zebra\.associates, deny http:\/\/localhost:3001\)$/m
          : /gate: failed: .*denied-origin/m,
      );
      // status changes nothing.
      assert.ok(w.fake.calls.every((c) => !/Start|Rollback|Variables|Cancel/.test(c.operation)));
    });
  }
});

describe('configuration and usage: exit 2, one line, nothing changed', () => {
  const ROWS: [name: string, args: string[], env: Record<string, string | undefined>, message: RegExp][] = [
    [
      'missing token',
      ['deploy'],
      { RAILWAY_API_TOKEN: undefined },
      /no Railway token: set RAILWAY_API_TOKEN .* or RAILWAY_TOKEN/,
    ],
    [
      'token refused',
      ['deploy'],
      { RAILWAY_API_TOKEN: 'wrong' },
      /the token was refused \(Not Authorized\): check RAILWAY_API_TOKEN/,
    ],
    [
      'a project token is not a bearer token',
      ['status'],
      { RAILWAY_API_TOKEN: undefined, RAILWAY_TOKEN: TOKEN },
      /the token was refused.*check RAILWAY_TOKEN/,
    ],
    [
      'unknown service',
      ['deploy'],
      { EDGE_DEPLOY_SERVICE: 'web' },
      /no service "web" in project edge-sidecar \(known: api, postgres\)/,
    ],
    [
      'unknown environment',
      ['deploy'],
      { EDGE_DEPLOY_ENVIRONMENT: 'prod' },
      /no environment "prod" in project edge-sidecar \(known: production, staging\)/,
    ],
    ['no project id', ['deploy'], { RAILWAY_PROJECT_ID: undefined }, /RAILWAY_PROJECT_ID is not set/],
    [
      'plain http API endpoint off loopback',
      ['deploy'],
      { RAILWAY_API_URL: 'http://backboard.example/graphql/v2' },
      /RAILWAY_API_URL: must be https:\/\//,
    ],
    ['bad duration', ['deploy'], { EDGE_DEPLOY_POLL: 'soon' }, /EDGE_DEPLOY_POLL: not a positive duration/],
    [
      'deny list clashes with origins',
      ['deploy'],
      { EDGE_DEPLOY_DENY: 'https://app.zebra.associates' },
      /EDGE_DEPLOY_DENY: https:\/\/app\.zebra\.associates is also an allowed origin/,
    ],
    ['bad origin', ['deploy'], { EDGE_DEPLOY_ORIGINS: 'https://app.zebra.associates/' }, /not an origin/],
    ['unknown flag', ['deploy', '--bogus'], {}, /deploy: Unknown option '--bogus' \(see edge-deploy deploy --help\)/],
    [
      'bad --rollback-to',
      ['deploy', '--rollback-to', 'yesterday'],
      {},
      /--rollback-to must be last-good or direct, not "yesterday"/,
    ],
    ['bad --set', ['deploy', '--set', 'PROXY_MODE'], {}, /--set needs KEY=VALUE/],
    ['unknown command', ['ship'], {}, /unknown command "ship"/],
  ];
  for (const [name, args, env, message] of ROWS) {
    test(name, async () => {
      const w = await world({ initial: liveBefore(good()), lastGood: 'd-1', onDeploy: building(good()) });
      const merged: Record<string, string> = { ...w.env };
      for (const [k, v] of Object.entries(env))
        if (v === undefined) delete merged[k];
        else merged[k] = v;
      const r = await cli(args, merged);
      assert.equal(r.code, 2, r.stdout + r.stderr);
      assert.equal(r.stdout, '');
      assert.equal(r.stderr.split('\n').length, 2, `one line: ${r.stderr}`);
      assert.match(r.stderr, /^edge-deploy: /);
      assert.match(r.stderr, message);
      assert.ok(!r.stderr.includes(TOKEN));
      assert.ok(
        w.fake.calls.every((c) => !/Start|Rollback|Variables|Cancel/.test(c.operation)),
        'nothing changed',
      );
    });
  }

  test('a project token: sent as Project-Access-Token only, its own project and environment', async () => {
    const w = await world({
      auth: { kind: 'project', token: TOKEN },
      tokenEnvironmentId: 'env-stg',
      initial: liveBefore(good()),
      lastGood: undefined,
    });
    // Staging's policy allows the demo origin, which the production-policy upstream refuses: the gate must say so.
    const r = await w.run(['status'], { RAILWAY_API_TOKEN: '', RAILWAY_TOKEN: TOKEN, RAILWAY_PROJECT_ID: '' });
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.ok(w.fake.calls.length > 0 && w.fake.calls.every((c) => c.auth === 'project'));
    assert.equal(w.fake.calls[0]!.operation, 'EdgeDeployProjectToken');
    assert.match(r.stdout, /^service: +railway edge-sidecar\/staging\/api$/m);
    assert.match(r.stdout, /gate: failed: .*http:\/\/localhost:3001/);
    const other = await w.run(['status'], { RAILWAY_API_TOKEN: '', RAILWAY_TOKEN: TOKEN, EDGE_DEPLOY_ENVIRONMENT: 'production' });
    assert.equal(other.code, 2);
    assert.match(other.stderr, /RAILWAY_TOKEN is a token of environment staging, not production/);
  });

  test('an environment with no known gate policy needs EDGE_DEPLOY_ORIGINS', async () => {
    const w = await world({ environments: [{ id: 'env-pr', name: 'pr-7' }], initial: liveBefore(good()) });
    const r = await w.run(['status'], { EDGE_DEPLOY_ENVIRONMENT: 'pr-7' });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /no gate policy for Railway environment "pr-7" .*: set EDGE_DEPLOY_ORIGINS/);
    const ok = await w.run(['status'], { EDGE_DEPLOY_ENVIRONMENT: 'pr-7', EDGE_DEPLOY_ORIGINS: 'https://app.zebra.associates' });
    assert.equal(ok.code, 0, ok.stdout + ok.stderr);
  });
});

describe('--help', () => {
  const ROWS: [args: string[], usage: RegExp, mentions: string[]][] = [
    [
      ['--help'],
      /^Usage: edge-deploy <command>/,
      ['deploy', 'rollback', 'status', 'RAILWAY_API_TOKEN', 'RAILWAY_TOKEN', 'EDGE_DEPLOY_URL'],
    ],
    [
      ['deploy', '--help'],
      /^Usage: edge-deploy deploy \[--rollback-to last-good\|direct\] \[--set KEY=VALUE \.\.\.\]/,
      ['--rollback-to', '--set', 'Exit codes:', '  3  '],
    ],
    [['rollback', '-h'], /^Usage: edge-deploy rollback \[--to last-good\|direct\|<deployment-id>\]/, ['--to', 'Exit codes:']],
    [['status', '--help'], /^Usage: edge-deploy status/, ['Exit codes:']],
  ];
  for (const [args, usage, mentions] of ROWS) {
    test(args.join(' '), async () => {
      // Help needs no token and no Railway.
      const r = await cli(args, {});
      assert.equal(r.code, 0);
      assert.equal(r.stderr, '');
      assert.match(r.stdout, usage);
      for (const m of mentions) assert.ok(r.stdout.includes(m), `mentions ${m}`);
    });
  }
});
