// Builds the request matrix from ProbeOptions: which request each case sends and how it is judged.
import { validateHeaderValue } from 'node:http';
import { type DeniedOrigin, deniedOriginCandidates } from './denied-origins.ts';
import {
  judgeAllowedPreflight,
  judgeAllowedResponse,
  judgeDeniedPreflight,
  judgeErrorResponse,
  judgeNoCors,
  judgeOptionsNotPreflight,
  judgeRefusedPreflight,
  type ProbeResponse,
} from './judges.ts';
import { concreteOrigin, parseOriginPattern, patternAllows } from './origin.ts';
import { type ProbeOptions, ProbeUsageError } from './types.ts';

export const DEFAULTS = {
  method: 'PUT',
  requestHeaders: ['Content-Type'],
  /**
   * A real method that no REST policy lists. Browsers preflight any non-forbidden token method a
   * page asks for (fetch(url, {method: "PROPFIND"})), so granting it is a real exposure.
   */
  denyMethod: 'PROPFIND',
  denyHeader: 'X-Cors-Probe-Forbidden',
  timeoutMs: 10_000,
} as const;

/** Case ids in report order, with what each checks. */
export const CASES = {
  'get-no-origin': 'GET without Origin: no Access-Control-*, Vary names Origin',
  'preflight-allowed':
    'preflight from an allowed origin: 2xx, one ACAO = origin, ACAC true, method and headers listed, Max-Age, Vary: Origin',
  'preflight-method-not-allowed': 'preflight asking for a method outside the policy: not granted',
  'preflight-header-not-allowed': 'preflight asking for a header outside the policy: not granted',
  'get-allowed': 'GET from an allowed origin: one ACAO = origin (never * with credentials), ACAC true, Vary: Origin',
  'get-credentialed': 'the same GET carrying a Cookie, as a credentialed fetch does',
  'error-allowed': 'the error path from an allowed origin: 4xx/5xx and the same CORS headers as get-allowed',
  'options-not-preflight':
    'OPTIONS with Origin but no Access-Control-Request-Method: not answered as a preflight, CORS as for any response',
  'preflight-denied-origin': 'preflight from a denied origin: no Access-Control-* at all',
  'get-denied-origin': 'GET from a denied origin: no Access-Control-*, Vary names Origin',
  'error-denied-origin': 'the error path from a denied origin: no Access-Control-*, Vary names Origin',
} as const;
export type CaseName = keyof typeof CASES;

export interface AllowedOrigin {
  /** As given (may be a wildcard pattern). */
  pattern: string;
  /** The concrete Origin sent. */
  origin: string;
}

export interface ResolvedOptions {
  target: string;
  url: string;
  errorUrl?: string;
  allowed: AllowedOrigin[];
  denied: DeniedOrigin[];
  method: string;
  requestHeaders: string[];
  denyMethod: string;
  denyHeader: string;
  credentials: boolean;
  timeoutMs: number;
  insecure: boolean;
}

export interface PlannedRequest {
  name: CaseName;
  origin?: string;
  method: string;
  url: string;
  headers: [string, string][];
  /** Set when the request cannot be sent (a header value node refuses): reported as skipped. */
  skip?: string;
  judge(res: ProbeResponse): string[];
}

const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

function token(what: string, value: string): string {
  if (!TOKEN.test(value)) throw new ProbeUsageError(`${what} is not an HTTP token: ${JSON.stringify(value)}`);
  return value;
}

function resolvePath(base: URL, path: string | undefined, what: string): string {
  if (path === undefined) return base.href;
  if (!path.startsWith('/')) throw new ProbeUsageError(`${what} must start with "/": ${JSON.stringify(path)}`);
  return new URL(path, base).href;
}

/** Validates options and fills in defaults; throws ProbeUsageError on anything unusable. */
export function resolveOptions(opts: ProbeOptions): ResolvedOptions {
  let base: URL;
  try {
    base = new URL(opts.baseUrl);
  } catch {
    throw new ProbeUsageError(`not a URL: ${JSON.stringify(opts.baseUrl)}`);
  }
  if (base.protocol !== 'http:' && base.protocol !== 'https:') {
    throw new ProbeUsageError(`only http and https targets are supported: ${opts.baseUrl}`);
  }
  if (!opts.origins.length) throw new ProbeUsageError('at least one allowed origin is required');
  const patterns = opts.origins.map(parseOriginPattern);
  const allowed = patterns.map((p) => ({ pattern: p.text, origin: concreteOrigin(p) }));
  const allowedSet = new Set(allowed.map((a) => a.origin));

  const denied: DeniedOrigin[] = [];
  const seen = new Set<string>();
  for (const d of patterns.flatMap((p) => deniedOriginCandidates(p.text))) {
    if (seen.has(d.origin) || allowedSet.has(d.origin) || patterns.some((p) => patternAllows(p, d.origin))) continue;
    seen.add(d.origin);
    denied.push(d);
  }
  for (const origin of opts.deny ?? []) {
    if (!seen.has(origin)) denied.push({ origin, kind: '--deny' });
    seen.add(origin);
  }

  const method = token('method', opts.method ?? DEFAULTS.method);
  const requestHeaders = (opts.requestHeaders ?? [...DEFAULTS.requestHeaders]).map((h) => token('request header', h));
  const denyMethod = token('deny method', opts.denyMethod ?? DEFAULTS.denyMethod);
  const denyHeader = token('deny header', opts.denyHeader ?? DEFAULTS.denyHeader);
  if (denyMethod === method || ['GET', 'HEAD', 'POST'].includes(denyMethod)) {
    throw new ProbeUsageError(
      `deny method ${denyMethod} must differ from --method and not be GET, HEAD or POST (never preflighted)`,
    );
  }
  if (requestHeaders.some((h) => h.toLowerCase() === denyHeader.toLowerCase())) {
    throw new ProbeUsageError(`deny header ${denyHeader} is also a requested header`);
  }
  const timeoutMs = opts.timeoutMs ?? DEFAULTS.timeoutMs;
  if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) throw new ProbeUsageError(`timeout must be positive: ${timeoutMs}`);

  const errorUrl = opts.errorPath === undefined ? undefined : resolvePath(base, opts.errorPath, 'error path');
  return {
    target: base.href,
    url: resolvePath(base, opts.path, 'path'),
    ...(errorUrl === undefined ? {} : { errorUrl }),
    allowed,
    denied,
    method,
    requestHeaders,
    denyMethod,
    denyHeader,
    credentials: opts.credentials ?? true,
    timeoutMs,
    insecure: opts.insecure ?? false,
  };
}

/** Browsers send Access-Control-Request-Headers lower-cased, sorted, comma-joined. */
function acrh(names: string[]): [string, string][] {
  return names.length
    ? [
        [
          'Access-Control-Request-Headers',
          names
            .map((n) => n.toLowerCase())
            .sort()
            .join(','),
        ],
      ]
    : [];
}

function unsendable(headers: [string, string][]): string | undefined {
  for (const [name, value] of headers) {
    try {
      validateHeaderValue(name, value);
    } catch {
      return `skipped: node refuses to send ${name}: ${JSON.stringify(value)}`;
    }
  }
  return undefined;
}

/** Every request of the probe, in report order. */
export function buildMatrix(r: ResolvedOptions): PlannedRequest[] {
  const out: PlannedRequest[] = [];
  const add = (
    name: CaseName,
    origin: string | undefined,
    method: string,
    url: string,
    extra: [string, string][],
    judge: (res: ProbeResponse) => string[],
  ): void => {
    const headers: [string, string][] = [
      ['User-Agent', 'cors-probe'],
      ...(origin === undefined ? [] : [['Origin', origin] as [string, string]]),
      ...extra,
    ];
    const skip = unsendable(headers);
    out.push({ name, ...(origin === undefined ? {} : { origin }), method, url, headers, ...(skip ? { skip } : {}), judge });
  };
  const cred = r.credentials;
  const forEachAllowed = (fn: (origin: string) => void): void => r.allowed.forEach((a) => fn(a.origin));
  const forEachDenied = (fn: (d: DeniedOrigin) => void): void => r.denied.forEach(fn);
  const withKind = (kind: string, problems: string[]): string[] => (problems.length ? [`${kind}: ${problems.join('; ')}`] : []);

  add('get-no-origin', undefined, 'GET', r.url, [], judgeNoCors);
  forEachAllowed((origin) => {
    const ctx = { origin, credentials: cred, method: r.method, requestHeaders: r.requestHeaders };
    add(
      'preflight-allowed',
      origin,
      'OPTIONS',
      r.url,
      [['Access-Control-Request-Method', r.method], ...acrh(r.requestHeaders)],
      (res) => judgeAllowedPreflight(res, ctx),
    );
  });
  forEachAllowed((origin) => {
    const ctx = { origin, credentials: cred, method: r.denyMethod, requestHeaders: [] };
    add('preflight-method-not-allowed', origin, 'OPTIONS', r.url, [['Access-Control-Request-Method', r.denyMethod]], (res) =>
      judgeRefusedPreflight(res, ctx, 'method'),
    );
  });
  forEachAllowed((origin) => {
    const ctx = { origin, credentials: cred, method: r.method, requestHeaders: [r.denyHeader] };
    add(
      'preflight-header-not-allowed',
      origin,
      'OPTIONS',
      r.url,
      [['Access-Control-Request-Method', r.method], ...acrh([r.denyHeader])],
      (res) => judgeRefusedPreflight(res, ctx, 'header'),
    );
  });
  forEachAllowed((origin) =>
    add('get-allowed', origin, 'GET', r.url, [], (res) => judgeAllowedResponse(res, { origin, credentials: cred })),
  );
  forEachAllowed((origin) =>
    add('get-credentialed', origin, 'GET', r.url, [['Cookie', 'cors_probe=1']], (res) =>
      judgeAllowedResponse(res, { origin, credentials: cred }),
    ),
  );
  const errorUrl = r.errorUrl;
  if (errorUrl !== undefined) {
    forEachAllowed((origin) =>
      add('error-allowed', origin, 'GET', errorUrl, [], (res) => judgeErrorResponse(res, { origin, credentials: cred })),
    );
  }
  forEachAllowed((origin) =>
    add('options-not-preflight', origin, 'OPTIONS', r.url, [], (res) =>
      judgeOptionsNotPreflight(res, { origin, credentials: cred }),
    ),
  );
  forEachDenied((d) =>
    add(
      'preflight-denied-origin',
      d.origin,
      'OPTIONS',
      r.url,
      [['Access-Control-Request-Method', r.method], ...acrh(r.requestHeaders)],
      (res) => withKind(d.kind, judgeDeniedPreflight(res)),
    ),
  );
  forEachDenied((d) => add('get-denied-origin', d.origin, 'GET', r.url, [], (res) => withKind(d.kind, judgeNoCors(res))));
  if (errorUrl !== undefined) {
    forEachDenied((d) => add('error-denied-origin', d.origin, 'GET', errorUrl, [], (res) => withKind(d.kind, judgeNoCors(res))));
  }
  return out;
}
