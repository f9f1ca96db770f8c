// Evaluates .railway/railway.ts offline with Railway's own SDK (railway/iac) for production and staging
// and asserts the desired state: build, healthcheck, replicas, restart policy, every variable, the
// database reference, the custom domain, a valid graph, no secrets, and agreement with deploy/.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { type DatabaseNode, type ProjectDefinition, type ServiceNode, type VariableValue, validateGraph } from 'railway/iac';
import { desiredState, graphOf, loadRailwayModule, resourcesOf } from '../../src/railway/evaluate.ts';
import { REPO, VENV_BIN } from '../../testkit/stack.ts';

// ---- what each environment must get (docs/deploy.md, "What .railway/railway.ts declares") ----
type Expected = { replicas: number; origins: string; domain: string | null };
const ENVIRONMENTS: [name: string, expected: Expected][] = [
  ['production', { replicas: 2, origins: 'https://app.zebra.associates', domain: 'api.zebra.associates' }],
  ['staging', { replicas: 1, origins: 'https://app.zebra.associates http://localhost:3001', domain: null }],
];
const PORT = '8080';
const HEALTHCHECK_TIMEOUT = 120;
const DRAINING = '45';
const OVERLAP = '30';
/** Literal variables every environment sets, besides CORS_ALLOW_ORIGINS (per environment). */
const COMMON: [name: string, value: string][] = [
  ['PORT', PORT],
  ['PROXY_MODE', 'sidecar'],
  ['PROXY_FALLBACK', 'direct'],
  ['TRUSTED_PROXIES', '100.64.0.0/10'],
  ['CORS_ALLOW_METHODS', 'GET, POST, PUT, PATCH, DELETE, OPTIONS, HEAD'],
  ['CORS_ALLOW_HEADERS', 'Authorization, Content-Type, Accept, X-Requested-With, X-Tenant-ID'],
  ['CORS_EXPOSE_HEADERS', 'X-Request-ID'],
  ['CORS_MAX_AGE', '600'],
  ['CORS_ALLOW_CREDENTIALS', 'true'],
  ['RAILWAY_DEPLOYMENT_DRAINING_SECONDS', DRAINING],
  ['RAILWAY_DEPLOYMENT_OVERLAP_SECONDS', OVERLAP],
  ['AUTH0_AUDIENCE', 'https://api.zebra.associates'],
];
/** Set per environment in the dashboard; the IaC keeps them (the secret must never be a literal here). */
const PRESERVED = ['AUTH0_DOMAIN', 'AUTH0_CLIENT_ID', 'AUTH0_CLIENT_SECRET'];

// ---- helpers ----
function apiOf(def: ProjectDefinition): ServiceNode {
  const services = resourcesOf(def).filter((r): r is ServiceNode => r.type === 'service');
  assert.deepEqual(
    services.map((s) => s.name),
    ['api'],
    'exactly one service, named api',
  );
  return services[0]!;
}
function databasesOf(def: ProjectDefinition): DatabaseNode[] {
  return resourcesOf(def).filter((r): r is DatabaseNode => r.type === 'database');
}
function literal(value: VariableValue | undefined): string | undefined {
  return value?.type === 'literal' ? (value.value ?? undefined) : undefined;
}
function literalsOf(node: ServiceNode): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(node.variables ?? {})) {
    const text = literal(value);
    if (text !== undefined) out[name] = text;
  }
  return out;
}
function read(rel: string): string {
  return readFileSync(path.join(REPO, rel), 'utf8');
}
/** KEY=value lines of deploy/defaults.env (python-dotenv syntax as used there: optional double quotes). */
function imageDefaults(): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of read('deploy/defaults.env').split('\n')) {
    const m = /^([A-Z_][A-Z0-9_]*)=(.*)$/.exec(line.trim());
    if (m) out[m[1]!] = m[2]!.replace(/^"(.*)"$/, '$1');
  }
  return out;
}
/** stopwaitsecs of one [program:name] section of deploy/supervisord.conf. */
function stopWaitSecs(conf: string, program: string): number {
  const section = conf.split(/^\[/m).find((s) => s.startsWith(`program:${program}]`));
  const m = section && /^stopwaitsecs=(\d+)/m.exec(section);
  assert.ok(m, `stopwaitsecs for ${program} in deploy/supervisord.conf`);
  return Number(m[1]);
}

// Secret-looking literals: a name that says secret must never carry a literal, and no value may look
// like a credential. Railway redacts plan output, but this file is committed in clear text.
/** Name words that mark a secret (CORS_ALLOW_CREDENTIALS is a flag, not one). */
const SECRET_NAME = /(?:^|_)(?:SECRET|TOKEN|PASSWORD|PASSWD|PASS|PRIVATE|KEY)(?:_|$)/i;
const SECRET_VALUE: [what: string, pattern: RegExp][] = [
  ['credentials in a URL', /[a-z][a-z0-9+.-]*:\/\/[^\s/:@]+:[^\s/@]+@/i],
  ['a JWT', /eyJ[\w-]{8,}\.[\w-]{8,}/],
  ['a PEM block', /-----BEGIN [A-Z ]+-----/],
  ['a provider key', /\b(?:sk|pk|rk)_(?:live|test)_|\bgh[pousr]_[A-Za-z0-9]{20,}|\bAKIA[0-9A-Z]{16}\b|\bxox[abpr]-/],
];
function secretProblems(name: string, value: string): string[] {
  const problems = SECRET_VALUE.filter(([, re]) => re.test(value)).map(([what]) => `${name} holds ${what}`);
  if (SECRET_NAME.test(name)) problems.push(`${name} is named like a secret but is a literal`);
  for (const word of value.split(/[\s,]+/)) {
    if (word.length >= 24 && /^[A-Za-z0-9+/_=-]+$/.test(word) && /\d/.test(word) && /[A-Za-z]/.test(word)) {
      problems.push(`${name} holds a long random-looking token`);
    }
  }
  return problems;
}

// ---- the file itself ----
describe('.railway/railway.ts', () => {
  test('default export is the defineRailway program and nothing else is exported', async () => {
    const mod = await loadRailwayModule();
    assert.equal(typeof mod.default, 'function');
    assert.deepEqual(Object.keys(mod), ['default'], 'the CLI also reads `partial`; none is wanted here');
  });

  const UNKNOWN: [label: string, environment: string | undefined][] = [
    ['renamed production', 'prod'],
    ['case variant', 'Production'],
    ['preview environment', 'edge-sidecar-pr-12'],
    ['no environment in the context', undefined],
  ];
  for (const [label, environment] of UNKNOWN) {
    test(`refuses an unknown environment: ${label}`, async () => {
      await assert.rejects(desiredState(environment), (err: Error) => {
        assert.match(err.message, /no settings for Railway environment/);
        assert.ok(err.message.includes(JSON.stringify(environment) ?? 'undefined'), err.message);
        return true;
      });
    });
  }

  test('the secret check has teeth', () => {
    // Assembled at run time so no secret scanner mistakes these fakes for leaks.
    const BAD: [string, string][] = [
      ['DATABASE_URL', ['postgresql://postgres', 'hunter2@postgres.railway.internal:5432/railway'].join(':')],
      ['AUTH', ['eyJhbGciOiJIUzI1NiJ9', 'eyJzdWIiOiIxMjM0NTY3ODkwIn0', 'abc'].join('.')],
      ['STRIPE', ['sk', 'live', 'abcdef'].join('_')],
      ['SESSION_SECRET', 'x'],
      ['SALT', 'Zm9vYmFyYmF6cXV4MTIzNDU2Nzg5MA'],
    ];
    for (const [name, value] of BAD) assert.notDeepEqual(secretProblems(name, value), [], `${name}=${value}`);
    for (const [name, value] of COMMON) assert.deepEqual(secretProblems(name, value), []);
  });
});

// ---- the desired state, per environment ----
for (const [environment, expected] of ENVIRONMENTS) {
  describe(`desired state: ${environment}`, async () => {
    const def = await desiredState(environment);
    const api = apiOf(def);
    const literals = literalsOf(api);

    test('project and resources: one service api and its Postgres, nothing else', () => {
      assert.equal(def.name, 'edge-sidecar');
      assert.deepEqual(
        resourcesOf(def)
          .map((r) => r.address)
          .sort(),
        ['database.postgres', 'service.api'],
      );
      const [db] = databasesOf(def);
      assert.equal(db?.engine, 'postgres');
    });

    test('built from deploy/Dockerfile with the repository root as context', () => {
      assert.deepEqual(api.build, { builder: 'DOCKERFILE', dockerfilePath: 'deploy/Dockerfile' });
      assert.ok(existsSync(path.join(REPO, 'deploy', 'Dockerfile')));
      assert.equal(api.source?.rootDirectory, undefined, 'no root directory: the build context is the repository root');
    });

    test('deploy settings: healthcheck, replicas, restart policy, no start command', () => {
      assert.deepEqual(api.deploy, {
        healthcheckPath: '/health',
        healthcheckTimeout: HEALTHCHECK_TIMEOUT,
        numReplicas: expected.replicas,
        restartPolicyType: 'ON_FAILURE',
        restartPolicyMaxRetries: 10,
      });
      // Equality above also proves what is absent: startCommand (the image ENTRYPOINT must run),
      // preDeployCommand, sleepApplication (a sleeping service would answer nothing), overlap and
      // draining as deploy fields (they are variables here; one source of truth).
      assert.ok(HEALTHCHECK_TIMEOUT > 15 && HEALTHCHECK_TIMEOUT < 300, 'above the 15 s start budget, below the 300 s default');
    });

    test('no volumes: they would stop replicas and overlapping deploys', () => {
      assert.equal(api.volumeMounts, undefined);
      assert.equal(api.volumeAttachments, undefined);
      assert.ok(!resourcesOf(def).some((r) => r.type === 'volume'));
    });

    const ROWS: [name: string, value: string][] = [...COMMON, ['CORS_ALLOW_ORIGINS', expected.origins]];
    for (const [name, value] of ROWS) {
      test(`variable ${name}=${value}`, () => {
        assert.deepEqual(api.variables?.[name], { type: 'literal', value });
      });
    }

    test('DATABASE_URL is a reference to the Postgres service, not a literal', () => {
      assert.deepEqual(api.variables?.DATABASE_URL, { type: 'reference', resource: 'database.postgres', output: 'DATABASE_URL' });
      const [db] = databasesOf(def);
      assert.equal(db?.output, 'DATABASE_URL', 'the variable the Postgres service provides');
    });

    test('Auth0 tenant settings and the client secret are kept from the dashboard, never literals', () => {
      for (const name of PRESERVED) assert.deepEqual(api.variables?.[name], { type: 'preserve' }, name);
    });

    test('no other variables', () => {
      const names = Object.keys(api.variables ?? {}).sort();
      assert.deepEqual(names, [...ROWS.map(([n]) => n), 'DATABASE_URL', ...PRESERVED].sort());
    });

    test(expected.domain ? `custom domain ${expected.domain} on PORT` : 'no custom domain (Railway-provided domain)', () => {
      if (expected.domain) {
        assert.deepEqual(api.networking, { customDomains: { [expected.domain]: { port: Number(PORT) } } });
      } else {
        assert.equal(api.networking, undefined);
      }
    });

    test('validateGraph passes, and reports a dangling database reference', () => {
      assert.deepEqual(validateGraph(graphOf(def)), []);
      const withoutDb = { ...def, resources: resourcesOf(def).filter((r) => r.type !== 'database') };
      assert.deepEqual(validateGraph(graphOf(withoutDb)), ['Edge references missing target: database.postgres']);
    });

    test('no variable value looks like a secret', () => {
      const problems = Object.entries(literals).flatMap(([name, value]) => secretProblems(name, value));
      assert.deepEqual(problems, []);
      for (const [name, value] of Object.entries(api.variables ?? {})) {
        assert.ok(value.type === 'literal' || value.type === 'reference' || PRESERVED.includes(name), `${name}: ${value.type}`);
      }
    });

    test('the CORS policy matches deploy/defaults.env except the origins, which are per environment', () => {
      const defaults = imageDefaults();
      for (const [name, value] of Object.entries(literals).filter(([n]) => n.startsWith('CORS_') && n !== 'CORS_ALLOW_ORIGINS')) {
        assert.equal(value, defaults[name], name);
      }
      const allowed = defaults.CORS_ALLOW_ORIGINS!.split(/[\s,]+/);
      for (const origin of expected.origins.split(' ')) assert.ok(allowed.includes(origin), `${origin} is a default origin too`);
    });

    test("TRUSTED_PROXIES is Railway's edge range, as the image default in deploy/defaults.env", () => {
      assert.equal(literals.TRUSTED_PROXIES, imageDefaults().TRUSTED_PROXIES);
    });

    test('draining outlasts the container stop; overlap covers the upstream timeout', () => {
      const supervisord = read('deploy/supervisord.conf');
      const caddyGrace = Number(/^\s*grace_period (\d+)s$/m.exec(read('deploy/Caddyfile'))?.[1]);
      const uvicornGrace = Number(/--timeout-graceful-shutdown (\d+)/.exec(supervisord)?.[1]);
      const drainingSeconds = Number(literals.RAILWAY_DEPLOYMENT_DRAINING_SECONDS);
      assert.ok(drainingSeconds > caddyGrace + uvicornGrace, `${drainingSeconds} > ${caddyGrace} + ${uvicornGrace}`);
      // supervisord stops the proxy, then the API, each up to its stopwaitsecs before its own SIGKILL.
      const worstStop = stopWaitSecs(supervisord, 'proxy') + stopWaitSecs(supervisord, 'api');
      assert.ok(drainingSeconds > worstStop, `${drainingSeconds} > ${worstStop} (supervisord's worst case)`);
      const upstreamTimeout = Number(imageDefaults().UPSTREAM_TIMEOUT);
      assert.ok(
        Number(literals.RAILWAY_DEPLOYMENT_OVERLAP_SECONDS) >= upstreamTimeout,
        `overlap >= UPSTREAM_TIMEOUT ${upstreamTimeout}`,
      );
    });

    const python = path.join(VENV_BIN, 'python');
    test('the sidecar accepts these variables (its own validator, deploy/edge_sidecar/config.py)', {
      skip: !existsSync(python) && 'no .venv (make install)',
    }, () => {
      const script = [
        'import json, sys',
        'from pathlib import Path',
        'from edge_sidecar.config import effective_env, load_defaults, parse_runtime',
        'c = parse_runtime(effective_env(json.loads(sys.argv[1]), load_defaults(Path(sys.argv[2]))))',
        'print(json.dumps({"mode": c.mode, "port": c.port, "origins": list(c.policy.origins), "credentials": c.policy.credentials}))',
      ].join('\n');
      // edge_sidecar is installed in .venv (make install); the defaults file is the checkout's.
      const run = spawnSync(python, ['-c', script, JSON.stringify(literals), path.join(REPO, 'deploy', 'defaults.env')], {
        encoding: 'utf8',
        env: { PATH: process.env.PATH ?? '' },
      });
      assert.equal(run.status, 0, run.stderr);
      assert.deepEqual(JSON.parse(run.stdout), {
        mode: 'sidecar',
        port: Number(PORT),
        origins: expected.origins.split(' '),
        credentials: true,
      });
    });
  });
}
