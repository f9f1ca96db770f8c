// What the local platform replica copies from .railway/railway.ts: healthcheck, replicas, restart policy,
// overlap and draining. One source: the same evaluated desired state the Railway test asserts.
import type { ProjectDefinition, ServiceNode } from 'railway/iac';
import { desiredState, resourcesOf } from '../railway/evaluate.ts';

export interface PlatformSpec {
  environment: string;
  /** Railway probes this path on $PORT while a deployment goes live. */
  healthcheckPath: string;
  healthcheckTimeoutS: number;
  replicas: number;
  restart: { policy: 'ON_FAILURE' | 'ALWAYS' | 'NEVER'; maxRetries: number };
  /** RAILWAY_DEPLOYMENT_OVERLAP_SECONDS: the old deployment keeps running this long after the new one is live. */
  overlapS: number;
  /** RAILWAY_DEPLOYMENT_DRAINING_SECONDS: SIGTERM to SIGKILL for the old deployment. */
  drainingS: number;
  /** The service's literal variables (references and preserved values are the platform's, not ours). */
  variables: Record<string, string>;
}

function literals(node: ServiceNode): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(node.variables ?? {})) {
    if (value.type === 'literal' && value.value != null) out[name] = value.value;
  }
  return out;
}

const seconds = (raw: string | undefined, fallback: number): number => (raw === undefined ? fallback : Number(raw));

/** The spec of `serviceName` in an evaluated definition; Railway's defaults where the file sets nothing. */
export function platformSpec(def: ProjectDefinition, environment: string, serviceName = 'api'): PlatformSpec {
  const node = resourcesOf(def).find((r): r is ServiceNode => r.type === 'service' && r.name === serviceName);
  if (!node) throw new Error(`.railway/railway.ts declares no service ${JSON.stringify(serviceName)}`);
  const deploy = node.deploy ?? {};
  const variables = literals(node);
  return {
    environment,
    healthcheckPath: deploy.healthcheckPath ?? '/',
    // https://docs.railway.com/deployments/healthchecks: 300 s unless set.
    healthcheckTimeoutS: deploy.healthcheckTimeout ?? 300,
    replicas: deploy.numReplicas ?? 1,
    // https://docs.railway.com/guides/restart-policy: ON_FAILURE with 10 retries unless set.
    restart: {
      policy: (deploy.restartPolicyType ?? 'ON_FAILURE') as PlatformSpec['restart']['policy'],
      maxRetries: deploy.restartPolicyMaxRetries ?? 10,
    },
    // https://docs.railway.com/deployments/deployment-teardown: both 0 unless set.
    overlapS: seconds(variables.RAILWAY_DEPLOYMENT_OVERLAP_SECONDS, 0),
    drainingS: seconds(variables.RAILWAY_DEPLOYMENT_DRAINING_SECONDS, 0),
    variables,
  };
}

export async function loadPlatformSpec(environment = 'production'): Promise<PlatformSpec> {
  return platformSpec(await desiredState(environment), environment);
}
