// A local replica of Railway's deploy semantics, with a real Docker engine and a real edge: a test bed for deploy
// drills, not a product. It does what Railway documents and no more; each rule cites the page it copies.
import { docker, dockerOk, labelArgs, uniqueName } from '../../testkit/docker.ts';
import { request } from '../../testkit/http.ts';
import { freePorts } from '../../testkit/stack.ts';
import type { Deployment, DeployTarget, GoodRecord } from '../deploy/guard.ts';
import type { Edge } from './edge.ts';
import type { PlatformSpec } from './spec.ts';

export interface LocalDeployment extends Deployment {
  image: string;
  variables: Record<string, string>;
  /** One container per replica, each with its own $PORT on the host's loopback. */
  containers: { id: string; port: number }[];
}

export interface ReplicaOptions {
  spec: PlatformSpec;
  edge: Edge;
  /** The image a deploy ships (what a push would build); change it with `release`. */
  image: string;
  /** Variables the platform adds to every container (the dashboard's preserved values, e.g. AUTH0_*). */
  platformVariables?: Record<string, string>;
  /** Progress lines (started, healthcheck answers, switched, torn down). */
  log?: (line: string) => void;
}

// Railway's healthcheck host header: https://docs.railway.com/deployments/healthchecks
const HEALTHCHECK_HOST = 'healthcheck.railway.app';
const POLL_MS = 500;

export class LocalPlatform implements DeployTarget {
  readonly name: string;
  readonly publicUrl: string;
  image: string;
  private live: LocalDeployment | undefined;
  private serial = 0;
  private readonly teardowns: Promise<void>[] = [];
  private readonly all: LocalDeployment[] = [];
  private readonly used = new Set<number>();

  constructor(private readonly opts: ReplicaOptions) {
    this.name = `local replica of ${opts.spec.environment}`;
    this.publicUrl = opts.edge.base;
    this.image = opts.image;
  }

  private log(line: string): void {
    this.opts.log?.(line);
  }

  /** A new release: what the next deploy() ships. */
  release(image: string): void {
    this.image = image;
  }

  async current(): Promise<LocalDeployment | undefined> {
    return this.live;
  }

  deploy(variables: Record<string, string> = {}): Promise<LocalDeployment> {
    return this.deployImage(this.image, variables);
  }

  /** A deploy of `image` with the live deployment's variables, these changed (they stay changed, as on Railway). */
  deployImage(image: string, variables: Record<string, string> = {}): Promise<LocalDeployment> {
    const base = this.live?.variables ?? this.opts.spec.variables;
    return this.start(image, { ...base, ...variables });
  }

  redeploy(d: Deployment): Promise<LocalDeployment> {
    const old = this.all.find((x) => x.id === d.id);
    if (!old) throw new Error(`no deployment ${d.id} on this platform`);
    // A rollback redeploys that deployment's image with its variables, nothing rebuilt:
    // https://docs.railway.com/deployments/deployment-actions#rollback
    return this.start(old.image, old.variables);
  }

  /** Two ports for a new container, never handed out before by this platform: with host networking a port
   *  given to a container that has not bound it yet still looks free, and deploys may start side by side. */
  private async ports(): Promise<[number, number]> {
    for (;;) {
      const [a, b] = (await freePorts(2)) as [number, number];
      if (!this.used.has(a) && !this.used.has(b)) {
        this.used.add(a).add(b);
        return [a, b];
      }
    }
  }

  /** Start `numReplicas` containers of `image`; each gets its own PORT, as Railway injects one. */
  private async start(image: string, variables: Record<string, string>): Promise<LocalDeployment> {
    const id = `d${++this.serial}`;
    const containers: LocalDeployment['containers'] = [];
    for (let r = 0; r < this.opts.spec.replicas; r++) {
      const [port, apiPort] = await this.ports();
      const env = {
        ...variables,
        ...this.opts.platformVariables,
        PORT: String(port),
        API_PORT: String(apiPort),
        RAILWAY_DEPLOYMENT_ID: id,
      };
      // Host networking: the containers reach the Auth0 stand-in on the host's loopback, and their ports
      // are loopback ports of the host (nothing listens elsewhere: Caddy binds :$PORT, uvicorn 127.0.0.1).
      // The restart policy is Docker's on-failure:N, the same rule as Railway's ON_FAILURE with N retries
      // (restart on a non-zero exit only): https://docs.railway.com/guides/restart-policy
      const restart =
        this.opts.spec.restart.policy === 'NEVER'
          ? 'no'
          : this.opts.spec.restart.policy === 'ALWAYS'
            ? 'always'
            : `on-failure:${this.opts.spec.restart.maxRetries}`;
      const args = [
        'run',
        '-d',
        '--name',
        uniqueName(`${id}-${r}`),
        ...labelArgs(),
        '--network',
        'host',
        '--restart',
        restart,
        ...Object.entries(env).flatMap(([k, v]) => ['-e', `${k}=${v}`]),
        image,
      ];
      containers.push({ id: await dockerOk(args), port });
    }
    const deployment: LocalDeployment = { id, image, variables, containers };
    this.all.push(deployment);
    this.log(`${id}: started ${containers.length} container(s) of ${image}`);
    return deployment;
  }

  /**
   * Railway's gate: probe healthcheckPath on $PORT (Host: healthcheck.railway.app) until 200 or the timeout;
   * only then route traffic to the new deployment; the old one keeps running for the overlap, then SIGTERM,
   * draining, SIGKILL. Refused: the new deployment is removed and the live one keeps serving.
   * https://docs.railway.com/deployments/healthchecks, https://docs.railway.com/deployments/deployment-teardown
   */
  async waitLive(d: Deployment): Promise<{ live: true } | { live: false; reason: string }> {
    const deployment = this.all.find((x) => x.id === d.id);
    if (!deployment) throw new Error(`no deployment ${d.id} on this platform`);
    const { healthcheckPath, healthcheckTimeoutS } = this.opts.spec;
    const deadline = Date.now() + healthcheckTimeoutS * 1000;
    const last = new Map<number, string>();
    while (Date.now() < deadline) {
      const answers = await Promise.all(deployment.containers.map((c) => this.probe(c.port)));
      answers.forEach((a, i) => last.set(deployment.containers[i]!.port, a));
      if (answers.every((a) => a === '200')) {
        const previous = this.live;
        await this.opts.edge.route(deployment.containers.map((c) => c.port));
        this.live = deployment;
        this.log(`${deployment.id}: healthcheck passed; the edge routes to it`);
        if (previous) this.teardowns.push(this.tearDown(previous));
        return { live: true };
      }
      await new Promise((r) => setTimeout(r, POLL_MS));
    }
    const why = await this.whyUnhealthy(deployment, last);
    await this.remove(deployment);
    return { live: false, reason: `healthcheck ${healthcheckPath} did not answer 200 within ${healthcheckTimeoutS} s: ${why}` };
  }

  private async probe(port: number): Promise<string> {
    try {
      const res = await request(`http://127.0.0.1:${port}${this.opts.spec.healthcheckPath}`, {
        headers: { Host: HEALTHCHECK_HOST },
        timeoutMs: 2_000,
      });
      return String(res.status);
    } catch (err) {
      return (err as NodeJS.ErrnoException).code ?? (err as Error).message;
    }
  }

  /** Each container's last healthcheck answer, restarts, state, and why its last run ended: the refusal's reason. */
  private async whyUnhealthy(d: LocalDeployment, last: Map<number, string>): Promise<string> {
    const parts: string[] = [];
    for (const c of d.containers) {
      const state = await docker(['inspect', '-f', '{{.RestartCount}} {{.State.Status}} {{.State.ExitCode}}', c.id]);
      const [restarts, status, code] = state.stdout.trim().split(' ');
      const logs = await docker(['logs', '--tail', '400', c.id]);
      parts.push(
        `last answer ${last.get(c.port) ?? 'none'}, ${restarts} restart(s), ${status} (exit ${code}), ${lastReason(logs.stderr)}`,
      );
    }
    return parts.join(' | ');
  }

  /** The old deployment after a switch: overlap, then SIGTERM with the draining time before SIGKILL. */
  private async tearDown(d: LocalDeployment): Promise<void> {
    this.log(`${d.id}: replaced; stops in ${this.opts.spec.overlapS} s (overlap)`);
    await new Promise((r) => setTimeout(r, this.opts.spec.overlapS * 1000));
    await this.stop(d);
  }

  /** SIGTERM every container of `d`, SIGKILL after the draining time (`docker stop -t`), then remove them. */
  async stop(d: LocalDeployment): Promise<void> {
    const draining = this.opts.spec.drainingS;
    await Promise.all(d.containers.map((c) => docker(['stop', '-t', String(draining), c.id], (draining + 30) * 1000)));
    this.log(`${d.id}: stopped (SIGTERM, ${draining} s draining)`);
    await this.remove(d);
  }

  private async remove(d: LocalDeployment): Promise<void> {
    await docker(['rm', '-f', '-v', ...d.containers.map((c) => c.id)]);
  }

  /** Until every old deployment being torn down has stopped. */
  async idle(): Promise<void> {
    await Promise.all(this.teardowns);
  }

  /** Wait for every teardown in progress, then remove what is left. */
  async close(): Promise<void> {
    await Promise.all(this.teardowns);
    for (const d of this.all) await this.remove(d);
  }
}

/**
 * Why the container's most recent run that ended, ended: the entrypoint's one-line refusal (plain text) or its
 * JSON exit line with a non-zero code; else the last line. A container may be mid-run (restarted) when asked.
 */
export function lastReason(stderr: string): string {
  const lines = stderr.trim().split('\n');
  for (let i = lines.length - 1; i >= 0; i--) {
    const line = lines[i]!;
    if (line.startsWith('edge-sidecar: ')) return `refused: ${line}`;
    if (!line.startsWith('{')) continue;
    try {
      const entry = JSON.parse(line) as { event?: string; exit_code?: number; msg?: string };
      if (entry.event === 'exit' && entry.exit_code !== 0 && entry.msg) return `ended: ${entry.msg}`;
    } catch {
      // a line cut by --tail or not JSON after all
    }
  }
  return `last line: ${lines.at(-1) ?? ''}`;
}

/** The last deployment that passed the gate, kept in memory (the replica lives as long as its drills). */
export class MemoryRecord implements GoodRecord {
  private good: Deployment | undefined;
  async lastGood(): Promise<Deployment | undefined> {
    return this.good;
  }
  async remember(d: Deployment): Promise<void> {
    this.good = d;
  }
}
