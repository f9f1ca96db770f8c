// Test helper: an in-process stand-in for the sidecar (CORS layer in front of a fake app) with seeded faults.
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export const FAULTS = [
  'none',
  'duplicate-acao', // proxied responses carry two Access-Control-Allow-Origin lines
  'reflect-any-origin', // every origin counts as allowed
  'wildcard-with-credentials', // ACAO * together with ACAC true
  'no-vary', // Vary never names Origin
  'no-cors-on-error', // 5xx responses get no CORS (and no Vary: Origin)
  'preflight-forwarded', // preflights go to the app; its 405 comes back, decorated
  'options-bypass-cors', // every OPTIONS goes to the app and back untouched (its ACAO * leaks)
  'grant-unlisted-method', // preflight grants whatever method is asked for
  'grant-unlisted-header', // preflight grants whatever headers are asked for
  'acac-capital-true', // Access-Control-Allow-Credentials: True
  'suffix-attack', // origin regex without the end anchor
  'unescaped-dot', // origin regex with unescaped dots
  'wildcard-multi-label', // the wildcard matches several labels
  'case-insensitive-origin', // origins compared case-insensitively
  'null-allowed', // Origin: null accepted
  'options-as-preflight', // OPTIONS with Origin but no Access-Control-Request-Method answered as a preflight
] as const;
export type Fault = (typeof FAULTS)[number];

export const POLICY = {
  origins: ['http://localhost:3001', 'https://app.zebra.associates', 'https://*.preview.zebra.associates'],
  methods: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'HEAD'],
  headers: ['Authorization', 'Content-Type', 'Accept', 'X-Requested-With', 'X-Tenant-ID'],
  expose: 'X-Request-ID',
  maxAge: '600',
} as const;
export const OK_PATH = '/api/v1/items';
export const ERROR_PATH = '/api/v1/boom';

export interface FakeSidecar {
  url: string;
  fault: Fault;
  close(): Promise<void>;
}

type Lines = [string, string][];
interface Answer {
  status: number;
  headers: Lines;
  body: string;
}

const esc = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

function originAllowed(origin: string, fault: Fault): boolean {
  if (fault === 'reflect-any-origin') return true;
  if (fault === 'null-allowed' && origin === 'null') return true;
  const candidate = fault === 'case-insensitive-origin' ? origin.toLowerCase() : origin;
  return POLICY.origins.some((o) => {
    const [scheme, host] = o.split('://') as [string, string];
    const wildcard = host.startsWith('*.');
    const quote = fault === 'unescaped-dot' ? (s: string): string => s : esc;
    const label = fault === 'wildcard-multi-label' ? '[a-z0-9.-]+' : '[a-z0-9-]+';
    const body = wildcard ? `${scheme}://${label}\\.${quote(host.slice(2))}` : quote(o);
    return new RegExp(`^${body}${fault === 'suffix-attack' ? '' : '$'}`).test(candidate);
  });
}

/** The fake application: knows nothing about the policy, sends its own permissive CORS header. */
function app(method: string, path: string): Answer {
  const json = (status: number, body: unknown, extra: Lines = []): Answer => ({
    status,
    headers: [['Content-Type', 'application/json'], ['Vary', 'Accept-Encoding'], ['Access-Control-Allow-Origin', '*'], ...extra],
    body: JSON.stringify(body),
  });
  if (method === 'OPTIONS') return json(405, { detail: 'Method Not Allowed' }, [['Allow', 'GET']]);
  if (path === OK_PATH) return json(200, { items: [] });
  if (path === ERROR_PATH) return json(500, { detail: 'Internal Server Error' });
  return json(404, { detail: 'Not Found' });
}

/** What the CORS layer adds to an allowed origin's headers (shared by preflights and responses). */
function grant(origin: string, fault: Fault): Lines {
  const acao = fault === 'wildcard-with-credentials' ? '*' : origin;
  return [
    ['Access-Control-Allow-Origin', acao],
    ['Access-Control-Allow-Credentials', fault === 'acac-capital-true' ? 'True' : 'true'],
  ];
}

function preflight(origin: string, acrm: string | undefined, acrh: string | undefined, fault: Fault): Answer {
  const asked = (acrh ?? '')
    .split(',')
    .map((h) => h.trim())
    .filter(Boolean);
  const lower = POLICY.headers.map((h) => h.toLowerCase());
  const methodOk =
    acrm === undefined || (POLICY.methods as readonly string[]).includes(acrm) || fault === 'grant-unlisted-method';
  const headersOk = asked.every((h) => lower.includes(h.toLowerCase())) || fault === 'grant-unlisted-header';
  const vary: Lines = [
    [
      'Vary',
      fault === 'no-vary'
        ? 'Access-Control-Request-Method, Access-Control-Request-Headers'
        : 'Origin, Access-Control-Request-Method, Access-Control-Request-Headers',
    ],
  ];
  if (!originAllowed(origin, fault) || !methodOk || !headersOk) return { status: 204, headers: vary, body: '' };
  const methods = [...POLICY.methods, ...(fault === 'grant-unlisted-method' && acrm ? [acrm] : [])];
  const headers = [...POLICY.headers, ...(fault === 'grant-unlisted-header' ? asked : [])];
  return {
    status: 204,
    headers: [
      ...grant(origin, fault),
      ['Access-Control-Allow-Methods', methods.join(', ')],
      ['Access-Control-Allow-Headers', headers.join(', ')],
      ['Access-Control-Max-Age', POLICY.maxAge],
      ...vary,
    ],
    body: '',
  };
}

/** The proxy's treatment of every non-preflight response: strip upstream CORS, add ours, merge Vary. */
function decorate(a: Answer, origin: string | undefined, fault: Fault): Answer {
  const headers = a.headers.filter(([n]) => !n.toLowerCase().startsWith('access-control-'));
  if (fault === 'no-cors-on-error' && a.status >= 500) return { ...a, headers };
  if (fault !== 'no-vary') headers.push(['Vary', 'Origin']);
  if (origin !== undefined && originAllowed(origin, fault)) {
    const [acao, acac] = grant(origin, fault);
    headers.push(acao!, ...(fault === 'duplicate-acao' ? [acao!] : []), acac!, ['Access-Control-Expose-Headers', POLICY.expose]);
  }
  return { ...a, headers };
}

function handle(req: http.IncomingMessage, fault: Fault): Answer {
  const method = req.method ?? 'GET';
  const path = new URL(req.url ?? '/', 'http://x').pathname;
  const origin = req.headers.origin;
  const acrm = req.headers['access-control-request-method'];
  const acrh = req.headers['access-control-request-headers'];
  if (method === 'OPTIONS' && fault === 'options-bypass-cors') return app(method, path);
  const isPreflight = method === 'OPTIONS' && origin !== undefined && (acrm !== undefined || fault === 'options-as-preflight');
  if (isPreflight && fault !== 'preflight-forwarded') return preflight(origin, acrm, acrh, fault);
  return decorate(app(method, path), origin, fault);
}

function write(res: http.ServerResponse, a: Answer): void {
  const grouped = new Map<string, string[]>();
  for (const [n, v] of a.headers) grouped.set(n, [...(grouped.get(n) ?? []), v]);
  for (const [n, v] of grouped) res.setHeader(n, v);
  res.writeHead(a.status);
  res.end(a.body);
}

/** Starts the fake on 127.0.0.1 with an OS-assigned port; set `.fault` to switch behaviour. */
export async function startFakeSidecar(): Promise<FakeSidecar> {
  const state: { fault: Fault } = { fault: 'none' };
  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => write(res, handle(req, state.fault)));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    get fault() {
      return state.fault;
    },
    set fault(f: Fault) {
      state.fault = f;
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((err) => (err ? reject(err) : resolve()));
      }),
  };
}
