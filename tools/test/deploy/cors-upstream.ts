// Test helper: a small HTTP server answering CORS for production's policy, correctly or with one seeded fault.
// The deploy tests put these behind the fake Railway's edge, so the CORS gate they run is the real cors-probe.
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export const UPSTREAM_FAULTS = [
  'none',
  'reflect-any-origin', // every Origin is granted: the denied and attack origins get ACAO
  'no-acao', // no Access-Control-Allow-Origin ever: the browser blocks every call
] as const;
export type UpstreamFault = (typeof UPSTREAM_FAULTS)[number];

/** Production's policy (.railway/railway.ts): one origin; localhost:3001 is refused there. */
const ORIGINS = ['https://app.zebra.associates'];
const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'HEAD'];
const HEADERS = ['authorization', 'content-type', 'accept', 'x-requested-with', 'x-tenant-id'];

export interface CorsUpstream {
  url: string;
  fault: UpstreamFault;
  /** Requests served, to tell which upstream the edge routed to. */
  hits: number;
  close(): Promise<void>;
}

type Lines = [string, string][];

function answer(req: http.IncomingMessage, fault: UpstreamFault): { status: number; headers: Lines; body: string } {
  const origin = req.headers.origin;
  const allowed = origin !== undefined && (fault === 'reflect-any-origin' || ORIGINS.includes(origin));
  const grant: Lines =
    allowed && fault !== 'no-acao'
      ? [
          ['Access-Control-Allow-Origin', origin],
          ['Access-Control-Allow-Credentials', 'true'],
        ]
      : allowed
        ? [['Access-Control-Allow-Credentials', 'true']]
        : [];
  const acrm = req.headers['access-control-request-method'];
  if (req.method === 'OPTIONS' && origin !== undefined && acrm !== undefined) {
    // A preflight, answered here and never passed on, as Caddy does.
    const asked = String(req.headers['access-control-request-headers'] ?? '')
      .split(',')
      .map((h) => h.trim().toLowerCase())
      .filter(Boolean);
    const ok = allowed && METHODS.includes(String(acrm)) && asked.every((h) => HEADERS.includes(h));
    if (!ok)
      return {
        status: 403,
        headers: [
          ['Vary', 'Origin'],
          ['Content-Type', 'application/json'],
        ],
        body: '{"detail":"CORS preflight refused"}',
      };
    return {
      status: 204,
      headers: [
        ...grant,
        ['Access-Control-Allow-Methods', METHODS.join(', ')],
        ['Access-Control-Allow-Headers', HEADERS.join(', ')],
        ['Access-Control-Max-Age', '600'],
        ['Vary', 'Origin'],
      ],
      body: '',
    };
  }
  const path = new URL(req.url ?? '/', 'http://x').pathname;
  const [status, body] =
    req.method === 'OPTIONS'
      ? [405, '{"detail":"Method Not Allowed"}']
      : path === '/health/live'
        ? [200, '{"status":"ok"}']
        : path.startsWith('/api/v1/items')
          ? [401, '{"detail":"Not authenticated"}']
          : [404, '{"detail":"Not Found"}'];
  const expose: Lines = grant.length ? [['Access-Control-Expose-Headers', 'X-Request-ID']] : [];
  return { status, headers: [['Content-Type', 'application/json'], ['Vary', 'Origin'], ...grant, ...expose], body };
}

/** Starts one on 127.0.0.1, a port the OS picks. */
export async function startCorsUpstream(fault: UpstreamFault = 'none'): Promise<CorsUpstream> {
  const state = { fault, hits: 0 };
  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      state.hits++;
      const a = answer(req, state.fault);
      for (const [n, v] of a.headers) res.appendHeader(n, v);
      res.writeHead(a.status).end(a.body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    get fault() {
      return state.fault;
    },
    set fault(f: UpstreamFault) {
      state.fault = f;
    },
    get hits() {
      return state.hits;
    },
    set hits(n: number) {
      state.hits = n;
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((err) => (err ? reject(err) : resolve()));
      }),
  };
}
