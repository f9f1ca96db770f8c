// The rehearsal's TLS edge, shaped like the platform's: HTTPS for named hosts on loopback, plain HTTP with X-Forwarded-* to each host's upstream, and an egress CONNECT proxy for the API's calls to the tenant.
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import net from 'node:net';

/** Host name -> the loopback port serving it in plain HTTP. */
export type Routes = Record<string, number>;

export interface Edge {
  /** The HTTPS listener (what :443 of every routed name maps to). */
  httpsPort: number;
  /** The plain HTTP listener (what :80 maps to: same routes, X-Forwarded-Proto http). */
  httpPort: number;
  /** An HTTP proxy that only CONNECTs to routed names on :443, for processes that cannot remap DNS (the API). */
  egressPort: number;
  /** Requests forwarded so far, per host (what the report shows the edge saw). */
  seen(): Record<string, number>;
  close(): Promise<void>;
}

// RFC 9110 7.6.1: connection-specific fields a proxy does not forward.
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'transfer-encoding',
  'te',
  'trailer',
  'upgrade',
  'proxy-authorization',
  'proxy-authenticate',
]);

/** The headers an edge sends upstream: the client's minus hop-by-hop, plus X-Forwarded-For/Proto/Host. */
export function forwardedHeaders(
  incoming: http.IncomingHttpHeaders,
  clientIp: string,
  proto: 'http' | 'https',
): http.OutgoingHttpHeaders {
  const named = new Set(
    String(incoming.connection ?? '')
      .split(',')
      .map((s) => s.trim().toLowerCase())
      .filter(Boolean),
  );
  const out: http.OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(incoming)) {
    if (value === undefined || HOP_BY_HOP.has(name) || named.has(name) || name.startsWith('x-forwarded-')) continue;
    out[name] = value;
  }
  // Like the platform's edge, the client's own X-Forwarded-* are replaced, never appended to: nothing a
  // browser sends can pose as the edge.
  out['x-forwarded-for'] = clientIp;
  out['x-forwarded-proto'] = proto;
  if (incoming.host) out['x-forwarded-host'] = incoming.host;
  return out;
}

const hostOf = (authority: string | undefined): string => (authority ?? '').replace(/:\d+$/, '').toLowerCase();

export async function startEdge(routes: Routes, tls: { cert: Buffer; key: Buffer }): Promise<Edge> {
  const seen: Record<string, number> = {};
  const handler =
    (proto: 'http' | 'https') =>
    (req: http.IncomingMessage, res: http.ServerResponse): void => {
      const host = hostOf(req.headers.host);
      const port = routes[host];
      if (port === undefined) {
        res.writeHead(421, { 'Content-Type': 'text/plain' }).end(`edge: no route for ${host || '(no host)'}\n`);
        return;
      }
      seen[host] = (seen[host] ?? 0) + 1;
      const upstream = http.request({
        host: '127.0.0.1',
        port,
        method: req.method,
        path: req.url,
        headers: forwardedHeaders(req.headers, req.socket.remoteAddress?.replace(/^::ffff:/, '') ?? '', proto),
      });
      upstream.on('response', (up) => {
        const headers: http.OutgoingHttpHeaders = {};
        for (const [name, value] of Object.entries(up.headers))
          if (value !== undefined && !HOP_BY_HOP.has(name)) headers[name] = value;
        res.writeHead(up.statusCode ?? 502, headers);
        up.pipe(res);
      });
      // Nothing answers (the container is down): the platform edge's own 502, which carries no CORS.
      upstream.on('error', () => {
        if (!res.headersSent) res.writeHead(502, { 'Content-Type': 'text/plain' }).end('edge: upstream unreachable\n');
        else res.destroy();
      });
      res.on('close', () => {
        if (!res.writableFinished) upstream.destroy();
      });
      req.pipe(upstream);
    };
  const secure = https.createServer({ cert: tls.cert, key: tls.key }, handler('https'));
  const plain = http.createServer(handler('http'));
  const egress = http.createServer((_req, res) => res.writeHead(405, { 'Content-Type': 'text/plain' }).end('CONNECT only\n'));
  const tunnels = new Set<net.Socket>();
  egress.on('connect', (req: http.IncomingMessage, client: net.Socket, head: Buffer) => {
    tunnels.add(client);
    client.on('close', () => tunnels.delete(client));
    const [host, port] = [hostOf(req.url), (req.url ?? '').split(':').pop()];
    if (routes[host] === undefined || port !== '443') {
      client.end('HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    const tunnel = net.connect((secure.address() as AddressInfo).port, '127.0.0.1', () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      if (head.length) tunnel.write(head);
      tunnel.pipe(client);
      client.pipe(tunnel);
    });
    const end = (): void => {
      tunnel.destroy();
      client.destroy();
    };
    tunnel.on('error', end);
    client.on('error', end);
  });
  const listen = (server: net.Server): Promise<number> =>
    new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port));
    });
  const [httpsPort, httpPort, egressPort] = await Promise.all([listen(secure), listen(plain), listen(egress)]);
  const servers = [secure, plain, egress];
  return {
    httpsPort,
    httpPort,
    egressPort,
    seen: () => ({ ...seen }),
    close: async () => {
      for (const socket of tunnels) socket.destroy();
      await Promise.all(
        servers.map(
          (s) =>
            new Promise<void>((resolve) => {
              s.close(() => resolve());
              if ('closeAllConnections' in s) (s as http.Server).closeAllConnections();
            }),
        ),
      );
    },
  };
}
