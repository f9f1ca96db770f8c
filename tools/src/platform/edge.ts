// The platform's edge in the local replica: an HTTP proxy in front of the deployments' containers that switches
// deployments in memory, as the platform's router does, never by reloading anything.
//
// Why not Caddy here (it is the sidecar's proxy): every config change through Caddy's admin API is a full
// reload, and Caddy opens a new SO_REUSEPORT listener and closes the old one, which resets connections still
// in the old socket's accept queue. Under the drills' load that reset 2 of ~1,000 new connections per switch:
// the edge's own artefact, not the deploy's. Caddy's maintainers point to dynamic upstream modules instead
// (caddyserver/caddy#3143); none of the built-in ones can be switched by a test.
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Edge {
  port: number;
  base: string;
  /** Send new requests to these loopback ports (round robin); with none, 503 JSON. Requests in flight finish. */
  route(upstreamPorts: number[]): Promise<void>;
  /** What the edge did so far: responses relayed per upstream port, requests sent on to another replica. */
  stats(): EdgeStats;
  stop(): Promise<void>;
}

export interface EdgeStats {
  /** Upstream port → responses it answered (headers relayed). */
  served: Record<number, number>;
  /** Requests whose replica failed before answering and that were sent to the next one. */
  retried: number;
  /** Requests that got the edge's own 502 (no replica answered, or one that may not be retried). */
  failed: number;
}

// A replica that fails (dies, refuses) before answering: what Railway's edge does then is not documented. Its
// docs say only that requests are spread over the replicas (at random, no sticky sessions:
// https://docs.railway.com/reference/scaling). So this edge takes the conservative rule of nginx's defaults
// (proxy_next_upstream error, max_fails=1 fail_timeout=10s; http://nginx.org/en/docs/http/ngx_http_proxy_module.html#proxy_next_upstream,
// http://nginx.org/en/docs/http/ngx_http_upstream_module.html#server), LABELLED AN ASSUMPTION, not Railway's:
// - a request without a body and of a safe method (GET, HEAD, OPTIONS: RFC 9110 §9.2.1) whose replica failed
//   before the response began (connection refused or reset) goes to the next replica, once per replica. Never a
//   POST or any request with a body: it may have run already;
// - a replica that failed so is left out of the rotation for FAIL_TIMEOUT_MS (unless every replica is).
const RETRYABLE = new Set(['GET', 'HEAD', 'OPTIONS']);
const FAIL_TIMEOUT_MS = 10_000;

// Hop-by-hop headers (RFC 9110 §7.6.1): never forwarded by a proxy.
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'te',
  'trailer',
  'upgrade',
  'proxy-authorization',
  'proxy-authenticate',
]);

function forwardable(raw: string[], extra: [string, string][] = []): string[] {
  // A Connection header may name more headers that are hop-by-hop for this connection only.
  const named = new Set<string>();
  for (let i = 0; i + 1 < raw.length; i += 2) {
    if (raw[i]!.toLowerCase() === 'connection') raw[i + 1]!.split(',').forEach((t) => named.add(t.trim().toLowerCase()));
  }
  const out: string[] = [];
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i]!.toLowerCase();
    if (!HOP_BY_HOP.has(name) && !named.has(name)) out.push(raw[i]!, raw[i + 1]!);
  }
  for (const [k, v] of extra) out.push(k, v);
  return out;
}

/** Start the edge on a free loopback port, routing nowhere yet. */
export async function startEdge(): Promise<Edge> {
  let upstreams: number[] = [];
  let next = 0;
  const downUntil = new Map<number, number>();
  const stats: EdgeStats = { served: {}, retried: 0, failed: 0 };

  /** The next replica in the rotation that is not left out, else the next one at all; skipping those tried. */
  const pick = (tried: ReadonlySet<number>): number | undefined => {
    const candidates = upstreams.filter((p) => !tried.has(p));
    if (!candidates.length) return undefined;
    const now = Date.now();
    const up = candidates.filter((p) => (downUntil.get(p) ?? 0) <= now);
    const from = up.length ? up : candidates;
    return from[next++ % from.length];
  };

  const server = http.createServer((req, res) => {
    // A platform edge terminates TLS and says so: X-Forwarded-Proto https, X-Forwarded-For the client.
    const headers = forwardable(req.rawHeaders, [
      ['X-Forwarded-Proto', 'https'],
      ['X-Forwarded-For', req.socket.remoteAddress ?? ''],
    ]);
    const hasBody = (req.headers['content-length'] ?? '0') !== '0' || req.headers['transfer-encoding'] !== undefined;
    const retryable = RETRYABLE.has(req.method ?? '') && !hasBody;
    if (retryable) req.resume(); // nothing to forward: the request may be sent again, to another replica
    const tried = new Set<number>();

    const attempt = (port: number | undefined): void => {
      if (port === undefined) {
        res.writeHead(503, { 'Content-Type': 'application/json' }).end('{"detail":"no deployment is live"}');
        return;
      }
      tried.add(port);
      let answered = false;
      // A fresh upstream connection per request (agent: false): no pooled socket to a container being stopped.
      const up = http.request({ host: '127.0.0.1', port, method: req.method, path: req.url, headers, agent: false }, (ur) => {
        answered = true;
        stats.served[port] = (stats.served[port] ?? 0) + 1;
        res.writeHead(ur.statusCode ?? 502, forwardable(ur.rawHeaders));
        ur.pipe(res);
      });
      up.on('error', () => {
        if (answered || res.headersSent) {
          res.destroy(); // cut mid-response: nothing can be sent again
          return;
        }
        downUntil.set(port, Date.now() + FAIL_TIMEOUT_MS);
        const other = retryable ? pick(tried) : undefined;
        if (other !== undefined) {
          stats.retried += 1;
          attempt(other);
          return;
        }
        stats.failed += 1;
        res.writeHead(502, { 'Content-Type': 'application/json' }).end('{"detail":"the edge could not reach the deployment"}');
      });
      if (retryable) up.end();
      else req.pipe(up);
    };
    attempt(pick(tried));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    port,
    base: `http://127.0.0.1:${port}`,
    route: async (ports) => {
      upstreams = [...ports];
      for (const p of [...downUntil.keys()]) if (!upstreams.includes(p)) downUntil.delete(p);
    },
    stats: () => ({ served: { ...stats.served }, retried: stats.retried, failed: stats.failed }),
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
