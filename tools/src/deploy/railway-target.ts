// Railway as a DeployTarget: which service (ids from names), its public URL, and deploy / waitLive / redeploy /
// current as calls to Railway's public GraphQL API (railway-api.ts carries them). The guard logic is guard.ts's.
// Operations checked against the schema the Railway CLI is built from (railwayapp/cli src/gql/schema.json);
// where the docs' examples and that schema disagree, the schema wins and the comment says so.
import type { Deployment, DeployTarget } from './guard.ts';
import type { RailwayApi } from './railway-api.ts';

/** A token of one project and environment names them (https://docs.railway.com/integrations/api, "Using a project token"). */
const PROJECT_TOKEN = `query EdgeDeployProjectToken {
  projectToken { projectId environmentId }
}`;

/** Names to ids (https://docs.railway.com/integrations/api/manage-projects, "Get a single project"). */
const PROJECT = `query EdgeDeployProject($id: String!) {
  project(id: $id) {
    id
    name
    environments { edges { node { id name } } }
    services { edges { node { id name } } }
  }
}`;

/** The service's public domains in one environment (https://docs.railway.com/integrations/api/manage-domains, "List domains for a service"). */
const DOMAINS = `query EdgeDeployDomains($projectId: String!, $environmentId: String!, $serviceId: String!) {
  domains(projectId: $projectId, environmentId: $environmentId, serviceId: $serviceId) {
    customDomains { domain }
    serviceDomains { domain }
  }
}`;

/**
 * The service's deployments (https://docs.railway.com/integrations/api/manage-deployments, "List deployments").
 * Filtered here, not with `status:` in the input: the docs' `status: { successfulOnly: true }` is not in the
 * schema (DeploymentStatusInput has only `in`/`notIn`), and one query shape serves current, status and rollback.
 */
const DEPLOYMENTS = `query EdgeDeployDeployments($input: DeploymentListInput!, $first: Int) {
  deployments(input: $input, first: $first) {
    edges { node { id status createdAt } }
  }
}`;

/**
 * One deployment (manage-deployments, "Get a single deployment"); canRollback gates deploymentRollback, and
 * serviceId/environmentId keep a rollback to a mistyped id from rolling back some other service.
 */
const DEPLOYMENT = `query EdgeDeployDeployment($id: String!) {
  deployment(id: $id) { id status createdAt canRollback serviceId environmentId }
}`;

/**
 * Changed variables without a deploy of their own (skipDeploys), so the deploy that follows is the one whose id we
 * get back (https://docs.railway.com/integrations/api/manage-variables, "Upsert multiple variables").
 */
const UPSERT_VARIABLES = `mutation EdgeDeployVariables($input: VariableCollectionUpsertInput!) {
  variableCollectionUpsert(input: $input)
}`;

/**
 * A new deployment of the service instance from its configured source, with its current variables; returns the
 * new deployment's id ("Deploy a service instance. Returns a deployment ID" in the schema; the CLI's
 * ServiceInstanceDeploy mutation). The older serviceInstanceDeploy / serviceInstanceRedeploy return only a Boolean.
 */
const DEPLOY = `mutation EdgeDeployStart($environmentId: String!, $serviceId: String!) {
  serviceInstanceDeployV2(environmentId: $environmentId, serviceId: $serviceId)
}`;

/**
 * Railway's rollback: that deployment's Docker image and variables again, nothing rebuilt
 * (https://docs.railway.com/deployments/deployment-actions#rollback; manage-deployments, "Rollback to a
 * deployment", only for canRollback: true). The schema types it `Boolean!`: the docs' `{ id status }` selection
 * would be refused, so the new deployment is found in the list afterwards.
 */
const ROLLBACK = `mutation EdgeDeployRollback($id: String!) {
  deploymentRollback(id: $id)
}`;

/** Stop a deployment that did not go live in time, so it never takes traffic ungated (manage-deployments, "Cancel"). */
const CANCEL = `mutation EdgeDeployCancel($id: String!) {
  deploymentCancel(id: $id)
}`;

/** https://docs.railway.com/integrations/api/manage-deployments, "Deployment statuses" (and DeploymentStatus in the schema). */
export type RailwayStatus =
  | 'INITIALIZING'
  | 'QUEUED'
  | 'WAITING'
  | 'NEEDS_APPROVAL'
  | 'BUILDING'
  | 'DEPLOYING'
  | 'SUCCESS'
  | 'SLEEPING'
  | 'FAILED'
  | 'CRASHED'
  | 'REMOVING'
  | 'REMOVED'
  | 'SKIPPED';

/** Serving: SUCCESS once the healthcheck passed; SLEEPING is a serving deployment asleep until a request wakes it. */
export const LIVE_STATUSES: ReadonlySet<string> = new Set(['SUCCESS', 'SLEEPING']);

/** Never going live; the previous deployment keeps serving (https://docs.railway.com/deployments/healthchecks). */
const REFUSED: Readonly<Record<string, string>> = {
  FAILED: 'the build or the healthcheck failed',
  CRASHED: 'it crashed after starting',
  REMOVED: 'it was removed',
  REMOVING: 'it is being removed',
  SKIPPED: 'Railway skipped it',
};

export interface RailwayService {
  projectId: string;
  projectName: string;
  environmentId: string;
  environmentName: string;
  serviceId: string;
  serviceName: string;
}

export interface DeploymentInfo {
  id: string;
  status: string;
  createdAt: string;
  /** Only from deployment(id). */
  canRollback?: boolean;
  serviceId?: string | null;
  environmentId?: string;
}

/** The configuration names something Railway does not have (or the token may not see), or asks what Railway cannot do. */
export class RailwayTargetError extends Error {
  override name = 'RailwayTargetError';
}

type Edges<T> = { edges: { node: T }[] };
const nodes = <T>(c: Edges<T> | null | undefined): T[] => (c?.edges ?? []).map((e) => e.node);

function pick(kind: string, wanted: string, all: { id: string; name: string }[], where: string): { id: string; name: string } {
  const found = all.find((x) => x.id === wanted) ?? all.find((x) => x.name === wanted);
  if (found) return found;
  const known = all.map((x) => x.name).join(', ') || 'none';
  throw new RailwayTargetError(`no ${kind} ${JSON.stringify(wanted)} in ${where} (known: ${known})`);
}

/**
 * Ids and names of project, environment and service. A project token brings its project and environment;
 * naming another one is an error, not a silent switch.
 */
export async function resolveService(
  api: RailwayApi,
  want: { projectToken: boolean; projectId?: string; environment?: string; service: string },
): Promise<RailwayService> {
  let projectId = want.projectId;
  let tokenEnvironment: string | undefined;
  if (want.projectToken) {
    const { projectToken } = await api.request<{ projectToken: { projectId: string; environmentId: string } }>(PROJECT_TOKEN);
    if (projectId && projectId !== projectToken.projectId) {
      throw new RailwayTargetError(
        `RAILWAY_PROJECT_ID is ${projectId} but RAILWAY_TOKEN belongs to project ${projectToken.projectId}`,
      );
    }
    projectId = projectToken.projectId;
    tokenEnvironment = projectToken.environmentId;
  }
  if (!projectId)
    throw new RailwayTargetError(
      'RAILWAY_PROJECT_ID is not set (the project id: dashboard Cmd/Ctrl+K, or `railway status --json`)',
    );
  const { project } = await api.request<{
    project: {
      id: string;
      name: string;
      environments: Edges<{ id: string; name: string }>;
      services: Edges<{ id: string; name: string }>;
    };
  }>(PROJECT, { id: projectId });
  const where = `project ${project.name}`;
  const environments = nodes(project.environments);
  const env = pick('environment', want.environment ?? tokenEnvironment ?? 'production', environments, where);
  if (tokenEnvironment && env.id !== tokenEnvironment) {
    const own = environments.find((e) => e.id === tokenEnvironment)?.name ?? tokenEnvironment;
    throw new RailwayTargetError(`RAILWAY_TOKEN is a token of environment ${own}, not ${env.name}`);
  }
  const svc = pick('service', want.service, nodes(project.services), where);
  return {
    projectId: project.id,
    projectName: project.name,
    environmentId: env.id,
    environmentName: env.name,
    serviceId: svc.id,
    serviceName: svc.name,
  };
}

/** The URL a browser uses: a custom domain first (production's api.zebra.associates), else Railway's own domain. */
export async function publicUrlOf(api: RailwayApi, s: RailwayService): Promise<string> {
  const { domains } = await api.request<{
    domains: { customDomains: { domain: string }[]; serviceDomains: { domain: string }[] };
  }>(DOMAINS, {
    projectId: s.projectId,
    environmentId: s.environmentId,
    serviceId: s.serviceId,
  });
  const domain = domains.customDomains[0]?.domain ?? domains.serviceDomains[0]?.domain;
  if (!domain)
    throw new RailwayTargetError(
      `service ${s.serviceName} has no public domain in ${s.environmentName}: add one, or set EDGE_DEPLOY_URL`,
    );
  return `https://${domain}`;
}

export interface RailwayTargetOptions {
  publicUrl: string;
  pollMs: number;
  liveTimeoutMs: number;
  appearTimeoutMs: number;
  /** Progress while waiting (status changes, a heartbeat): one line each, no newline. */
  progress?: (line: string) => void;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

export interface RailwayTarget extends DeployTarget {
  readonly service: RailwayService;
  /** Newest first. */
  deployments(first?: number): Promise<DeploymentInfo[]>;
  deployment(id: string): Promise<DeploymentInfo>;
  /** Throws unless Railway can roll this service back to `id` (its own deployment, within image retention). */
  checkRollback(id: string): Promise<DeploymentInfo>;
}

const HEARTBEAT_MS = 30_000;

export function railwayTarget(api: RailwayApi, service: RailwayService, opts: RailwayTargetOptions): RailwayTarget {
  const now = opts.now ?? Date.now;
  const sleep = opts.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const progress = opts.progress ?? (() => undefined);
  const { projectId, environmentId, serviceId } = service;

  const deployments = async (first = 20): Promise<DeploymentInfo[]> => {
    const { deployments: list } = await api.request<{ deployments: Edges<DeploymentInfo> }>(DEPLOYMENTS, {
      input: { projectId, environmentId, serviceId },
      first,
    });
    // Newest first whatever order the API uses.
    return nodes(list).sort((a, b) => Date.parse(b.createdAt) - Date.parse(a.createdAt));
  };
  const deployment = async (id: string): Promise<DeploymentInfo> =>
    (await api.request<{ deployment: DeploymentInfo }>(DEPLOYMENT, { id })).deployment;
  const seconds = (ms: number): string => `${Math.round(ms / 1000)} s`;
  const checkRollback = async (id: string): Promise<DeploymentInfo> => {
    const info = await deployment(id);
    if (info.serviceId !== serviceId || info.environmentId !== environmentId) {
      throw new RailwayTargetError(`${id} is not a deployment of ${service.serviceName} in ${service.environmentName}`);
    }
    if (!info.canRollback)
      throw new RailwayTargetError(
        `Railway cannot roll back to ${id} (canRollback is false: removed, or older than the plan's image retention)`,
      );
    return info;
  };

  return {
    name: `railway ${service.projectName}/${service.environmentName}/${service.serviceName}`,
    publicUrl: opts.publicUrl,
    service,
    deployments,
    deployment,
    checkRollback,

    async deploy(variables?: Record<string, string>): Promise<Deployment> {
      const changed = variables && Object.keys(variables).length ? variables : undefined;
      if (changed) {
        await api.request(UPSERT_VARIABLES, {
          input: { projectId, environmentId, serviceId, variables: changed, skipDeploys: true },
        });
      }
      let id: string;
      try {
        ({ serviceInstanceDeployV2: id } = await api.request<{ serviceInstanceDeployV2: string }>(DEPLOY, {
          environmentId,
          serviceId,
        }));
      } catch (err) {
        if (!changed || !(err instanceof Error)) throw err;
        // Say what stays behind: the variables are the service's now and ship with its next deployment.
        throw new Error(
          `${err.message} (the variables ${Object.keys(changed).join(', ')} are already set on the service: they apply with its next deployment)`,
          { cause: err },
        );
      }
      return changed ? { id, variables: changed } : { id };
    },

    async waitLive(d: Deployment): Promise<{ live: true } | { live: false; reason: string }> {
      const started = now();
      let last = '';
      let told = started;
      for (;;) {
        const { status } = await deployment(d.id);
        if (status !== last || now() - told >= HEARTBEAT_MS) {
          progress(`${d.id}: ${status} (${seconds(now() - started)})`);
          last = status;
          told = now();
        }
        if (LIVE_STATUSES.has(status)) return { live: true };
        const refused = REFUSED[status];
        if (refused !== undefined) return { live: false, reason: `Railway marked ${d.id} ${status}: ${refused}` };
        if (now() - started >= opts.liveTimeoutMs) {
          // Not live in time: cancel it, or it could go live later without the gate ever seeing it.
          const cancelled = await api.request<{ deploymentCancel: boolean }>(CANCEL, { id: d.id }).then(
            (r) => (r.deploymentCancel ? 'cancelled it' : 'Railway did not cancel it: it may still go live, ungated'),
            (err: Error) => `could not cancel it (${err.message}): it may still go live, ungated`,
          );
          return {
            live: false,
            reason: `${d.id} was not live after ${seconds(opts.liveTimeoutMs)} (still ${status}); ${cancelled}`,
          };
        }
        await sleep(opts.pollMs);
      }
    },

    async redeploy(d: Deployment): Promise<Deployment> {
      await checkRollback(d.id);
      const before = new Set((await deployments()).map((x) => x.id));
      const { deploymentRollback: accepted } = await api.request<{ deploymentRollback: boolean }>(ROLLBACK, { id: d.id });
      if (!accepted) throw new Error(`Railway refused the rollback to ${d.id}`);
      // The rollback is a new deployment (of d's image and variables); wait for it to show up in the list.
      const started = now();
      for (;;) {
        const fresh = (await deployments()).find((x) => !before.has(x.id));
        if (fresh) return d.variables ? { id: fresh.id, variables: d.variables } : { id: fresh.id };
        if (now() - started >= opts.appearTimeoutMs) {
          throw new Error(
            `Railway accepted the rollback to ${d.id}, but no new deployment appeared within ${seconds(opts.appearTimeoutMs)}`,
          );
        }
        await sleep(opts.pollMs);
      }
    },

    async current(): Promise<Deployment | undefined> {
      const live = (await deployments()).find((x) => LIVE_STATUSES.has(x.status));
      return live ? { id: live.id } : undefined;
    },
  };
}
