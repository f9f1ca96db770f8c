// Pure verdicts on one response each: returns the list of problems (empty = the case passes).
import { corsHeaderNames, type HeaderLines, headerTokens, headerValues, varyIncludes } from './headers.ts';

export interface ProbeResponse {
  status: number;
  headers: HeaderLines;
  /** The start of the body (bounded), for hints only. */
  body: string;
}

export interface CorsContext {
  /** The Origin sent. */
  origin: string;
  /** Credentialed policy: ACAO must never be `*`, ACAC must be exactly "true". */
  credentials: boolean;
}

export interface PreflightContext extends CorsContext {
  /** Access-Control-Request-Method sent. */
  method: string;
  /** Access-Control-Request-Headers sent (names). */
  requestHeaders: string[];
}

const SAFELISTED_METHODS = new Set(['GET', 'HEAD', 'POST']);
const PREFLIGHT_ONLY = ['Access-Control-Allow-Methods', 'Access-Control-Allow-Headers', 'Access-Control-Max-Age'];

const q = (s: string): string => JSON.stringify(s);
const clip = (s: string, n = 120): string => (s.length > n ? `${s.slice(0, n - 1)}…` : s);

/** Exactly one ACAO equal to the origin (`*` only without credentials). */
function allowOriginProblems(h: HeaderLines, ctx: CorsContext): string[] {
  const acao = headerValues(h, 'access-control-allow-origin');
  if (acao.length === 0) return ['no Access-Control-Allow-Origin'];
  if (acao.length > 1) return [`${acao.length} Access-Control-Allow-Origin lines (${acao.map(q).join(', ')})`];
  const v = acao[0]!;
  if (v === '*') return ctx.credentials ? ['Access-Control-Allow-Origin is * with credentials'] : [];
  if (v !== ctx.origin) return [`Access-Control-Allow-Origin is ${q(v)}, not the origin`];
  return [];
}

/** Exactly one ACAC, byte-for-byte "true" (browsers compare case-sensitively), when credentialed. */
function allowCredentialsProblems(h: HeaderLines, ctx: CorsContext): string[] {
  if (!ctx.credentials) return [];
  const acac = headerValues(h, 'access-control-allow-credentials');
  if (acac.length === 0) return ['no Access-Control-Allow-Credentials'];
  if (acac.length > 1) return [`${acac.length} Access-Control-Allow-Credentials lines`];
  if (acac[0] !== 'true') return [`Access-Control-Allow-Credentials is ${q(acac[0]!)}, not exactly "true"`];
  return [];
}

function varyProblems(h: HeaderLines): string[] {
  if (varyIncludes(h, 'Origin')) return [];
  const vary = headerValues(h, 'vary');
  return [vary.length ? `Vary lacks Origin (Vary: ${clip(vary.join(', '), 60)})` : 'no Vary: Origin'];
}

function statusHint(res: ProbeResponse): string {
  const allow = headerValues(res.headers, 'allow');
  return allow.length ? ` (Allow: ${allow.join(', ')}: the app answered; preflight forwarded?)` : '';
}

/** CORS headers of a response to an allowed origin: ACAO, ACAC, Vary. */
export function judgeAllowedResponse(res: ProbeResponse, ctx: CorsContext): string[] {
  return [...allowOriginProblems(res.headers, ctx), ...allowCredentialsProblems(res.headers, ctx), ...varyProblems(res.headers)];
}

/** An error response (--error-path) to an allowed origin: must be 4xx/5xx and carry CORS. */
export function judgeErrorResponse(res: ProbeResponse, ctx: CorsContext): string[] {
  const status = res.status >= 400 ? [] : [`status ${res.status} is not an error (--error-path must answer 4xx/5xx)`];
  return [...status, ...judgeAllowedResponse(res, ctx)];
}

/** A response to a denied origin or to no Origin: no Access-Control-* at all, Vary still names Origin. */
export function judgeNoCors(res: ProbeResponse): string[] {
  const names = new Set(corsHeaderNames(res.headers));
  const lines = res.headers.filter(([n]) => names.has(n.toLowerCase())).map(([n, v]) => `${n}: ${v}`);
  const cors = lines.length ? [`CORS granted (${clip(lines.join('; '))})`] : [];
  return [...cors, ...varyProblems(res.headers)];
}

/** A preflight from a denied origin: no Access-Control-* at all (Vary is not required here). */
export function judgeDeniedPreflight(res: ProbeResponse): string[] {
  return judgeNoCors(res).filter((p) => p.startsWith('CORS granted'));
}

/**
 * A preflight that must succeed: 2xx, ACAO/ACAC, method and headers listed, Max-Age, Vary.
 * A preflight forwarded to the app shows up here: the app's own answer (typically 405 with an
 * Allow header, or its own ACAO `*`) lacks a 2xx status and the preflight-only headers. The
 * status is not pinned to 204 because the rollback mode (Starlette's CORSMiddleware) answers 200.
 */
export function judgeAllowedPreflight(res: ProbeResponse, ctx: PreflightContext): string[] {
  const h = res.headers;
  const problems: string[] = [];
  if (res.status < 200 || res.status > 299) problems.push(`status ${res.status}, not 2xx${statusHint(res)}`);
  problems.push(...allowOriginProblems(h, ctx), ...allowCredentialsProblems(h, ctx));

  const methods = headerTokens(h, 'access-control-allow-methods');
  if (headerValues(h, 'access-control-allow-methods').length === 0) problems.push('no Access-Control-Allow-Methods');
  else if (!methods.includes(ctx.method) && !(!ctx.credentials && methods.includes('*'))) {
    problems.push(`method ${ctx.method} not in Access-Control-Allow-Methods (${clip(methods.join(', '), 60)})`);
  }

  const granted = headerTokens(h, 'access-control-allow-headers').map((t) => t.toLowerCase());
  const missing = ctx.requestHeaders.filter((name) => {
    const lower = name.toLowerCase();
    return !granted.includes(lower) && !(!ctx.credentials && granted.includes('*') && lower !== 'authorization');
  });
  if (missing.length) problems.push(`Access-Control-Allow-Headers lacks ${missing.join(', ')}`);

  const maxAge = headerValues(h, 'access-control-max-age');
  if (maxAge.length === 0) problems.push('no Access-Control-Max-Age');
  else if (maxAge.length > 1 || !/^\d+$/.test(maxAge[0]!))
    problems.push(`Access-Control-Max-Age ${q(maxAge.join(', '))} is not one number`);

  problems.push(...varyProblems(h));
  return problems;
}

/**
 * Whether a browser would accept this preflight for the request described by ctx (Fetch
 * standard, CORS-preflight fetch): CORS check (one ACAO matching, ACAC "true" when credentialed),
 * ok status, method listed or safelisted, every requested header listed (`*` only counts without
 * credentials, and never for Authorization).
 */
export function browserGrants(res: ProbeResponse, ctx: PreflightContext): boolean {
  const h = res.headers;
  const acao = headerValues(h, 'access-control-allow-origin');
  if (acao.length !== 1) return false;
  if (acao[0] === '*' ? ctx.credentials : acao[0] !== ctx.origin) return false;
  if (ctx.credentials) {
    const acac = headerValues(h, 'access-control-allow-credentials');
    if (acac.length !== 1 || acac[0] !== 'true') return false;
  }
  if (res.status < 200 || res.status > 299) return false;
  const methods = headerTokens(h, 'access-control-allow-methods');
  const methodOk =
    methods.includes(ctx.method) || SAFELISTED_METHODS.has(ctx.method) || (!ctx.credentials && methods.includes('*'));
  if (!methodOk) return false;
  const allowed = headerTokens(h, 'access-control-allow-headers').map((t) => t.toLowerCase());
  return ctx.requestHeaders.every((name) => {
    const lower = name.toLowerCase();
    return allowed.includes(lower) || (!ctx.credentials && allowed.includes('*') && lower !== 'authorization');
  });
}

/**
 * A preflight asking for a method or header the policy refuses: a browser must not be able to
 * use the answer. Not judged: whether other Access-Control-* headers are present (the contract
 * sends none, but a refusal that still lists the policy is harmless).
 */
export function judgeRefusedPreflight(res: ProbeResponse, ctx: PreflightContext, refused: 'method' | 'header'): string[] {
  if (!browserGrants(res, ctx)) return [];
  const asked = refused === 'method' ? ctx.method : ctx.requestHeaders.join(', ');
  const list = refused === 'method' ? 'Access-Control-Allow-Methods' : 'Access-Control-Allow-Headers';
  return [`${refused} ${asked} granted (${list}: ${clip(headerTokens(res.headers, list).join(', '), 140)})`];
}

/**
 * OPTIONS with Origin but no Access-Control-Request-Method is an ordinary request that goes to
 * the app. What is robustly detectable from outside: a proxy that mistakes it for a preflight
 * answers with preflight-only headers (Allow-Methods / Allow-Headers / Max-Age), which no
 * ordinary response carries; and like every other response it must carry CORS for an allowed
 * origin (a proxy that answers it as a refused preflight sends none). The status is not judged:
 * the app may legitimately answer 200, 204 or 405.
 */
export function judgeOptionsNotPreflight(res: ProbeResponse, ctx: CorsContext): string[] {
  const present = PREFLIGHT_ONLY.filter((n) => headerValues(res.headers, n).length > 0);
  const asPreflight = present.length ? [`answered as a preflight (has ${present.join(', ')})`] : [];
  return [...asPreflight, ...judgeAllowedResponse(res, ctx)];
}
