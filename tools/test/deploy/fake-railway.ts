// Test helper: a local fake of Railway's public GraphQL API plus its edge, on 127.0.0.1 only. It records every
// call, plays scripted deployment states (one status per poll), and routes the edge to the live deployment's
// upstream, so the gate edge-deploy runs sees whatever the deployment serving now would serve.
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakeDeployment {
  id: string;
  status: string;
  createdAt: string;
  canRollback: boolean;
  /** The server this deployment "runs": where the edge sends requests while it is live. */
  upstream: string;
  /** The service's variables it was deployed with. */
  variables: Record<string, string>;
  /** Statuses still to come, one per `deployment(id)` poll. */
  script: string[];
  serviceId: string;
  environmentId: string;
}

/** What a new deployment does: its statuses, one per poll, and the upstream it serves once live. */
export interface Plan {
  statuses: string[];
  upstream: string;
  canRollback?: boolean;
}

export interface FakeRailwayOptions {
  auth: { kind: 'bearer' | 'project'; token: string };
  projectId?: string;
  projectName?: string;
  environments?: { id: string; name: string }[];
  services?: { id: string; name: string }[];
  /** With a project token: the environment it belongs to (default the first). */
  tokenEnvironmentId?: string;
  customDomains?: string[];
  serviceDomains?: string[];
  /** Deployments before the test, oldest first. */
  initial?: (Partial<FakeDeployment> & { id: string; status: string; upstream: string })[];
  /** serviceInstanceDeployV2, given the service's variables at that moment; a string is a GraphQL error. */
  onDeploy?: (variables: Record<string, string>) => Plan | string;
  /**
   * deploymentRollback of `from`; a string is a GraphQL error, null accepts it (true) and creates nothing.
   * Default: from's upstream, DEPLOYING then SUCCESS.
   */
  onRollback?: (from: FakeDeployment) => Plan | string | null;
  /** Service variables before the test. */
  variables?: Record<string, string>;
}

export interface Call {
  operation: string;
  variables: Record<string, unknown>;
  /** How the caller authenticated (never the token itself). */
  auth: 'bearer' | 'project' | 'none' | 'both';
}

export interface FakeRailway {
  apiUrl: string;
  edgeUrl: string;
  calls: Call[];
  deployments: FakeDeployment[];
  variables: Record<string, string>;
  /** Operation names in order, consecutive repeats (polls) collapsed. */
  operations(): string[];
  /** The calls of one operation. */
  callsOf(operation: string): Call[];
  close(): Promise<void>;
}

/** The root field each operation must select: a renamed or misspelt field fails here, as it would on Railway. */
const ROOT_FIELDS: Record<string, string> = {
  EdgeDeployProjectToken: 'projectToken',
  EdgeDeployProject: 'project(id: $id)',
  EdgeDeployDomains: 'domains(',
  EdgeDeployDeployments: 'deployments(input: $input, first: $first)',
  EdgeDeployDeployment: 'deployment(id: $id)',
  EdgeDeployVariables: 'variableCollectionUpsert(input: $input)',
  EdgeDeployStart: 'serviceInstanceDeployV2(environmentId: $environmentId, serviceId: $serviceId)',
  EdgeDeployRollback: 'deploymentRollback(id: $id)',
  EdgeDeployCancel: 'deploymentCancel(id: $id)',
};

const LIVE = new Set(['SUCCESS', 'SLEEPING']);
const BASE_TIME = Date.parse('2026-01-01T00:00:00Z');

async function listen(server: http.Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

function close(server: http.Server): Promise<void> {
  return new Promise((resolve, reject) => {
    server.closeAllConnections();
    server.close((err) => (err ? reject(err) : resolve()));
  });
}

export async function startFakeRailway(o: FakeRailwayOptions): Promise<FakeRailway> {
  const projectId = o.projectId ?? 'p-1';
  const environments = o.environments ?? [
    { id: 'env-prod', name: 'production' },
    { id: 'env-stg', name: 'staging' },
  ];
  const services = o.services ?? [
    { id: 'svc-api', name: 'api' },
    { id: 'svc-pg', name: 'postgres' },
  ];
  const calls: Call[] = [];
  const variables: Record<string, string> = { PROXY_MODE: 'sidecar', ...o.variables };
  let seq = 0;
  const make = (id: string | undefined, plan: Plan, vars: Record<string, string>): FakeDeployment => {
    seq++;
    const [first = 'SUCCESS', ...rest] = plan.statuses;
    return {
      id: id ?? `d-${seq}`,
      status: first,
      createdAt: new Date(BASE_TIME + seq * 1000).toISOString(),
      canRollback: plan.canRollback ?? true,
      upstream: plan.upstream,
      variables: { ...vars },
      script: rest,
      // Every deployment the tests make is of the service under test (edge-deploy's defaults resolve to these).
      serviceId: 'svc-api',
      environmentId: o.tokenEnvironmentId ?? environments[0]!.id,
    };
  };
  const deployments: FakeDeployment[] = (o.initial ?? []).map((d) => ({
    ...make(d.id, { statuses: [d.status], upstream: d.upstream }, variables),
    ...d,
    script: d.script ?? [],
  }));

  /** A deployment reaching SUCCESS takes the traffic; the one it replaces is removed, as on Railway. */
  const settle = (d: FakeDeployment): void => {
    if (d.status !== 'SUCCESS') return;
    for (const other of deployments) if (other !== d && LIVE.has(other.status)) other.status = 'REMOVED';
  };
  const live = (): FakeDeployment | undefined => [...deployments].reverse().find((d) => LIVE.has(d.status));

  const resolvers: Record<string, (v: Record<string, unknown>) => unknown> = {
    EdgeDeployProjectToken: () => ({ projectToken: { projectId, environmentId: o.tokenEnvironmentId ?? environments[0]!.id } }),
    EdgeDeployProject: (v) => {
      if (v.id !== projectId) throw new Error('Project not found');
      const edges = (xs: { id: string; name: string }[]) => ({ edges: xs.map((node) => ({ node })) });
      return {
        project: {
          id: projectId,
          name: o.projectName ?? 'edge-sidecar',
          environments: edges(environments),
          services: edges(services),
        },
      };
    },
    EdgeDeployDomains: () => ({
      domains: {
        customDomains: (o.customDomains ?? []).map((domain) => ({ domain })),
        serviceDomains: (o.serviceDomains ?? []).map((domain) => ({ domain })),
      },
    }),
    EdgeDeployDeployments: (v) => {
      const first = typeof v.first === 'number' ? v.first : 20;
      const newest = [...deployments].reverse().slice(0, first);
      return { deployments: { edges: newest.map(({ id, status, createdAt }) => ({ node: { id, status, createdAt } })) } };
    },
    EdgeDeployDeployment: (v) => {
      const d = deployments.find((x) => x.id === v.id);
      if (!d) throw new Error('Deployment not found');
      const next = d.script.shift();
      if (next !== undefined) {
        d.status = next;
        settle(d);
      }
      return {
        deployment: {
          id: d.id,
          status: d.status,
          createdAt: d.createdAt,
          canRollback: d.canRollback,
          serviceId: d.serviceId,
          environmentId: d.environmentId,
        },
      };
    },
    EdgeDeployVariables: (v) => {
      const input = v.input as { variables: Record<string, string> };
      Object.assign(variables, input.variables);
      return { variableCollectionUpsert: true };
    },
    EdgeDeployStart: () => {
      const plan = o.onDeploy?.({ ...variables }) ?? 'no onDeploy scripted';
      if (typeof plan === 'string') throw new Error(plan);
      const d = make(undefined, plan, variables);
      deployments.push(d);
      settle(d);
      return { serviceInstanceDeployV2: d.id };
    },
    EdgeDeployRollback: (v) => {
      const from = deployments.find((x) => x.id === v.id);
      if (!from) throw new Error('Deployment not found');
      const plan = o.onRollback ? o.onRollback(from) : { statuses: ['DEPLOYING', 'SUCCESS'], upstream: from.upstream };
      if (typeof plan === 'string') throw new Error(plan);
      if (plan === null) return { deploymentRollback: true };
      // Railway's rollback restores the deployment's variables too.
      Object.assign(variables, from.variables);
      const d = make(undefined, plan, from.variables);
      deployments.push(d);
      settle(d);
      return { deploymentRollback: true };
    },
    EdgeDeployCancel: (v) => {
      const d = deployments.find((x) => x.id === v.id);
      if (!d) throw new Error('Deployment not found');
      d.status = 'REMOVED';
      d.script = [];
      return { deploymentCancel: true };
    },
  };

  const api = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const reply = (body: unknown, status = 200): void => {
        res.writeHead(status, { 'Content-Type': 'application/json' }).end(JSON.stringify(body));
      };
      if (req.method !== 'POST') return reply({ errors: [{ message: 'POST only' }] }, 405);
      let body: { query?: string; variables?: Record<string, unknown>; operationName?: string };
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      } catch {
        return reply({ errors: [{ message: 'bad JSON' }] }, 400);
      }
      const bearer = req.headers.authorization;
      const project = req.headers['project-access-token'];
      const auth: Call['auth'] = bearer && project ? 'both' : bearer ? 'bearer' : project ? 'project' : 'none';
      const operation = body.operationName ?? '?';
      calls.push({ operation, variables: body.variables ?? {}, auth });
      const authorized =
        o.auth.kind === 'bearer'
          ? auth === 'bearer' && bearer === `Bearer ${o.auth.token}`
          : auth === 'project' && project === o.auth.token;
      // Railway answers a bad token with HTTP 200 and a GraphQL error.
      if (!authorized) return reply({ data: null, errors: [{ message: 'Not Authorized' }] });
      const resolver = resolvers[operation];
      const root = ROOT_FIELDS[operation];
      if (!resolver || !root || !body.query?.includes(root))
        return reply({ errors: [{ message: `fake Railway: unknown operation ${operation} or root field not ${root}` }] });
      try {
        reply({ data: resolver(body.variables ?? {}) });
      } catch (err) {
        reply({ data: null, errors: [{ message: (err as Error).message }] });
      }
    });
  });

  // The edge: every request goes to the live deployment's upstream, as Railway's proxy does; none live = 503.
  const edge = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const target = live();
      if (!target)
        return void res.writeHead(503, { 'Content-Type': 'application/json' }).end('{"detail":"no deployment is live"}');
      const up = http.request(
        `${target.upstream}${req.url ?? '/'}`,
        { method: req.method, headers: req.headers, agent: false },
        (upRes) => {
          const body: Buffer[] = [];
          upRes.on('data', (c: Buffer) => body.push(c));
          upRes.on('end', () => {
            // Raw header lines, so duplicates stay duplicates (the gate judges them).
            const raw: string[] = [];
            for (let i = 0; i < upRes.rawHeaders.length; i += 2) {
              const name = upRes.rawHeaders[i]!;
              if (!/^(connection|keep-alive|transfer-encoding|content-length)$/i.test(name))
                raw.push(name, upRes.rawHeaders[i + 1]!);
            }
            res.writeHead(upRes.statusCode ?? 502, raw).end(Buffer.concat(body));
          });
        },
      );
      up.on('error', (err) => res.writeHead(502).end(String(err)));
      up.end(Buffer.concat(chunks));
    });
  });

  const [apiBase, edgeUrl] = [await listen(api), await listen(edge)];
  return {
    apiUrl: `${apiBase}/graphql/v2`,
    edgeUrl,
    calls,
    deployments,
    variables,
    operations: () => calls.map((c) => c.operation).filter((op, i, all) => op !== all[i - 1]),
    callsOf: (operation) => calls.filter((c) => c.operation === operation),
    close: async () => {
      await Promise.all([close(api), close(edge)]);
    },
  };
}
