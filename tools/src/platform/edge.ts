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
  stop(): Promise<void>;
}

// Hop-by-hop headers (RFC 9110 §7.6.1): never forwarded by a proxy.
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'te', 'trailer', 'upgrade', 'proxy-authorization', 'proxy-authenticate']);

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
  const server = http.createServer((req, res) => {
    const port = upstreams.length ? upstreams[next++ % upstreams.length] : undefined;
    if (port === undefined) {
      res.writeHead(503, { 'Content-Type': 'application/json' }).end('{"detail":"no deployment is live"}');
      return;
    }
    // A platform edge terminates TLS and says so: X-Forwarded-Proto https, X-Forwarded-For the client.
    const headers = forwardable(req.rawHeaders, [['X-Forwarded-Proto', 'https'], ['X-Forwarded-For', req.socket.remoteAddress ?? '']]);
    // A fresh upstream connection per request (agent: false): no pooled socket to a container being stopped.
    const up = http.request({ host: '127.0.0.1', port, method: req.method, path: req.url, headers, agent: false }, (ur) => {
      res.writeHead(ur.statusCode ?? 502, forwardable(ur.rawHeaders));
      ur.pipe(res);
    });
    up.on('error', () => {
      if (!res.headersSent) res.writeHead(502, { 'Content-Type': 'application/json' }).end('{"detail":"the edge could not reach the deployment"}');
      else res.destroy();
    });
    req.pipe(up);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    port,
    base: `http://127.0.0.1:${port}`,
    route: async (ports) => {
      upstreams = [...ports];
    },
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
