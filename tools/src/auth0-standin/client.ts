// Headless browser and OAuth client helpers: cookies, redirect following, PKCE, and Auth0's token/revoke/logout calls.
import { createHash, randomBytes } from 'node:crypto';
import { type RawResponse, request, values } from '../../testkit/http.ts';

interface Cookie {
  name: string;
  value: string;
  path: string;
  expires: number; // epoch ms; Infinity for session cookies
}

/** A browser's cookie store, reduced to what loopback flows need: host-only cookies, path matching, expiry. */
export class CookieJar {
  readonly #byHost = new Map<string, Map<string, Cookie>>();

  /** Stores the Set-Cookie lines of a response to `url`. */
  store(url: string, setCookie: readonly string[]): void {
    const u = new URL(url);
    const jar = this.#byHost.get(u.host) ?? new Map<string, Cookie>();
    this.#byHost.set(u.host, jar);
    for (const line of setCookie) {
      const [pair = '', ...attrs] = line.split(';');
      const eq = pair.indexOf('=');
      if (eq <= 0) continue;
      const cookie: Cookie = {
        name: pair.slice(0, eq).trim(),
        value: pair.slice(eq + 1).trim(),
        path: defaultPath(u.pathname),
        expires: Infinity,
      };
      for (const attr of attrs) {
        const [k = '', v = ''] = attr.split('=', 2).map((s) => s.trim());
        const key = k.toLowerCase();
        if (key === 'path' && v.startsWith('/')) cookie.path = v;
        else if (key === 'max-age' && /^-?\d+$/.test(v)) cookie.expires = Date.now() + Number(v) * 1000;
        else if (key === 'expires' && cookie.expires === Infinity) {
          const t = Date.parse(v);
          if (!Number.isNaN(t)) cookie.expires = t;
        }
      }
      const id = `${cookie.path}\u0000${cookie.name}`;
      if (cookie.expires <= Date.now()) jar.delete(id);
      else jar.set(id, cookie);
    }
  }

  /** The Cookie header a browser would send to `url`, or undefined. */
  header(url: string): string | undefined {
    const u = new URL(url);
    const now = Date.now();
    const sent = [...(this.#byHost.get(u.host)?.values() ?? [])]
      .filter((c) => c.expires > now && pathMatches(u.pathname, c.path))
      .sort((a, b) => b.path.length - a.path.length)
      .map((c) => `${c.name}=${c.value}`);
    return sent.length ? sent.join('; ') : undefined;
  }

  /** Names of the live cookies held for a host (`127.0.0.1:3002`). */
  names(host: string): string[] {
    const now = Date.now();
    return [...(this.#byHost.get(host)?.values() ?? [])].filter((c) => c.expires > now).map((c) => c.name);
  }
}

function defaultPath(pathname: string): string {
  const i = pathname.lastIndexOf('/');
  return i <= 0 ? '/' : pathname.slice(0, i);
}

function pathMatches(requestPath: string, cookiePath: string): boolean {
  if (requestPath === cookiePath) return true;
  if (!requestPath.startsWith(cookiePath)) return false;
  return cookiePath.endsWith('/') || requestPath[cookiePath.length] === '/';
}

export interface Hop {
  method: string;
  url: string;
  status: number;
  location?: string;
}

export interface BrowseOptions {
  jar?: CookieJar;
  /** Stop before requesting a URL for which this returns true (e.g. the app's callback). */
  stopAt?: (url: URL) => boolean;
  /** Extra request headers for every hop (a browser would send Accept, User-Agent, ...). */
  headers?: Record<string, string>;
  /** Submit a page's single POST form, as the stand-in's auto-submitting pages do in a browser (default true). */
  submitForms?: boolean;
  maxHops?: number;
  timeoutMs?: number;
}

export interface BrowseResult {
  /** Where the walk ended: the stopAt URL (not requested) or the last URL requested. */
  url: string;
  stopped: boolean;
  hops: Hop[];
  /** The last response (undefined when stopped before the first request). */
  last?: RawResponse;
}

export class BrowseError extends Error {
  override name = 'BrowseError';
  constructor(
    message: string,
    readonly hops: Hop[],
    readonly last?: RawResponse,
  ) {
    super(message);
  }
}

/** One request with the jar's cookies; stores the response's cookies. */
export async function send(
  url: string,
  opts: { method?: string; headers?: Record<string, string>; body?: string; jar?: CookieJar; timeoutMs?: number } = {},
): Promise<RawResponse> {
  const headers: Record<string, string> = { ...opts.headers };
  const cookie = opts.jar?.header(url);
  if (cookie) headers.Cookie = cookie;
  const res = await request(url, { method: opts.method ?? 'GET', headers, body: opts.body, timeoutMs: opts.timeoutMs });
  opts.jar?.store(url, values(res, 'set-cookie'));
  return res;
}

/** Follows redirects like a browser's top-level navigation (303/302 become GET); bounded by maxHops. */
export async function browse(startUrl: string, opts: BrowseOptions = {}): Promise<BrowseResult> {
  const jar = opts.jar ?? new CookieJar();
  const maxHops = opts.maxHops ?? 12;
  const hops: Hop[] = [];
  let url = startUrl;
  let method = 'GET';
  let body: string | undefined;
  let extra: Record<string, string> = {};
  let last: RawResponse | undefined;
  for (let i = 0; i < maxHops; i++) {
    if (opts.stopAt?.(new URL(url))) return { url, stopped: true, hops, last };
    last = await send(url, { method, body, jar, headers: { ...opts.headers, ...extra }, timeoutMs: opts.timeoutMs });
    const location = values(last, 'location')[0];
    hops.push({ method, url, status: last.status, ...(location ? { location } : {}) });
    if (last.status >= 300 && last.status < 400 && location) {
      const next = new URL(location, url).href;
      if (last.status === 307 || last.status === 308) {
        // method and body are kept
      } else {
        method = 'GET';
        body = undefined;
        extra = {};
      }
      url = next;
      continue;
    }
    const form = last.status === 200 && opts.submitForms !== false ? autoSubmitForm(last.body, url) : undefined;
    if (form) {
      method = 'POST';
      body = form.body;
      extra = { 'Content-Type': 'application/x-www-form-urlencoded' };
      url = form.action;
      continue;
    }
    return { url, stopped: false, hops, last };
  }
  throw new BrowseError(`more than ${maxHops} hops from ${startUrl}`, hops, last);
}

/** The page's only POST form with its hidden fields, when the page submits it by script (the stand-in's logout page). */
export function autoSubmitForm(page: string, pageUrl: string): { action: string; body: string } | undefined {
  if (!/<script>\s*document\.forms\[0\]\.submit\(\)/.test(page)) return undefined;
  const forms = [...page.matchAll(/<form\b([^>]*)>([\s\S]*?)<\/form>/gi)];
  if (forms.length !== 1) return undefined;
  const [, attrs = '', inner = ''] = forms[0]!;
  if (!/method="post"/i.test(attrs)) return undefined;
  const action = /action="([^"]*)"/i.exec(attrs)?.[1] ?? pageUrl;
  const fields = new URLSearchParams();
  for (const input of inner.matchAll(/<input\b([^>]*)\/?>/gi)) {
    const name = /name="([^"]*)"/i.exec(input[1] ?? '')?.[1];
    const value = /value="([^"]*)"/i.exec(input[1] ?? '')?.[1] ?? '';
    if (name) fields.append(decodeEntities(name), decodeEntities(value));
  }
  return { action: new URL(decodeEntities(action), pageUrl).href, body: fields.toString() };
}

function decodeEntities(s: string): string {
  return s.replace(/&(amp|lt|gt|quot|#39);/g, (_, e: string) => ({ amp: '&', lt: '<', gt: '>', quot: '"', '#39': "'" })[e]!);
}

export interface Pkce {
  verifier: string;
  challenge: string;
  method: 'S256';
}

export function pkce(): Pkce {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url'), method: 'S256' };
}

export const randomToken = (bytes = 16): string => randomBytes(bytes).toString('base64url');

export interface AuthorizeParams {
  clientId: string;
  redirectUri: string;
  audience?: string;
  scope?: string;
  state: string;
  codeChallenge: string;
  nonce?: string;
  prompt?: string;
}

/** Auth0's /authorize URL for the authorization-code flow with PKCE (S256). */
export function authorizeUrl(issuer: string, p: AuthorizeParams): string {
  const url = new URL('authorize', issuer);
  const q = url.searchParams;
  q.set('response_type', 'code');
  q.set('client_id', p.clientId);
  q.set('redirect_uri', p.redirectUri);
  q.set('scope', p.scope ?? 'openid profile email offline_access');
  if (p.audience) q.set('audience', p.audience);
  q.set('state', p.state);
  q.set('code_challenge', p.codeChallenge);
  q.set('code_challenge_method', 'S256');
  if (p.nonce) q.set('nonce', p.nonce);
  if (p.prompt) q.set('prompt', p.prompt);
  return url.href;
}

export interface Callback {
  code?: string;
  state?: string;
  iss?: string;
  error?: string;
  errorDescription?: string;
  url: string;
}

/** The query an authorization server put on the callback URL. */
export function parseCallback(url: string): Callback {
  const q = new URL(url).searchParams;
  const get = (k: string): string | undefined => q.get(k) ?? undefined;
  const cb: Callback = { url };
  const set = (k: keyof Omit<Callback, 'url'>, v: string | undefined): void => {
    if (v !== undefined) cb[k] = v;
  };
  set('code', get('code'));
  set('state', get('state'));
  set('iss', get('iss'));
  set('error', get('error'));
  set('errorDescription', get('error_description'));
  return cb;
}

/** Walks an authorize URL (auto-login redirects included) to the callback and returns its parameters. */
export async function authorize(url: string, redirectUri: string, jar = new CookieJar()): Promise<Callback & { hops: Hop[] }> {
  const walk = await browse(url, { jar, stopAt: (u) => u.href.split('?')[0] === redirectUri.split('?')[0] });
  if (!walk.stopped) {
    throw new BrowseError(
      `authorize ended at ${walk.url} (HTTP ${walk.last?.status}) instead of ${redirectUri}: ${walk.last?.body.slice(0, 300)}`,
      walk.hops,
      walk.last,
    );
  }
  return { ...parseCallback(walk.url), hops: walk.hops };
}

export interface JsonResponse {
  status: number;
  body: Record<string, unknown>;
  raw: RawResponse;
}

/** POSTs a form-encoded body (what Auth0's /oauth/token and /oauth/revoke take) and parses a JSON answer. */
export async function postForm(
  url: string,
  form: Record<string, string>,
  headers: Record<string, string> = {},
): Promise<JsonResponse> {
  const raw = await request(url, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded', Accept: 'application/json', ...headers },
    body: new URLSearchParams(form).toString(),
  });
  let body: Record<string, unknown> = {};
  if (raw.body.trim()) {
    try {
      const parsed: unknown = JSON.parse(raw.body);
      body =
        parsed && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : { value: parsed };
    } catch {
      body = { text: raw.body };
    }
  }
  return { status: raw.status, body, raw };
}

export interface ClientCredentials {
  clientId: string;
  clientSecret: string;
}

export const exchangeCode = (
  issuer: string,
  c: ClientCredentials,
  p: { code: string; redirectUri: string; codeVerifier: string },
): Promise<JsonResponse> =>
  postForm(new URL('oauth/token', issuer).href, {
    grant_type: 'authorization_code',
    client_id: c.clientId,
    client_secret: c.clientSecret,
    code: p.code,
    redirect_uri: p.redirectUri,
    code_verifier: p.codeVerifier,
  });

export const refreshTokens = (issuer: string, c: ClientCredentials, refreshToken: string): Promise<JsonResponse> =>
  postForm(new URL('oauth/token', issuer).href, {
    grant_type: 'refresh_token',
    client_id: c.clientId,
    client_secret: c.clientSecret,
    refresh_token: refreshToken,
  });

export const revokeToken = (issuer: string, c: ClientCredentials, token: string, hint = 'refresh_token'): Promise<JsonResponse> =>
  postForm(new URL('oauth/revoke', issuer).href, {
    client_id: c.clientId,
    client_secret: c.clientSecret,
    token,
    token_type_hint: hint,
  });

/** Auth0's browser logout URL. */
export function logoutUrl(issuer: string, p: { clientId: string; returnTo?: string }): string {
  const url = new URL('v2/logout', issuer);
  url.searchParams.set('client_id', p.clientId);
  if (p.returnTo) url.searchParams.set('returnTo', p.returnTo);
  return url.href;
}

export interface DecodedJwt {
  header: Record<string, unknown>;
  payload: Record<string, unknown>;
}

/** Header and payload of a compact JWS, unverified (tests assert the shape; the API verifies). */
export function decodeJwt(token: string): DecodedJwt {
  const parts = token.split('.');
  if (parts.length !== 3) throw new Error(`not a compact JWS (${parts.length} parts)`);
  const part = (s: string): Record<string, unknown> =>
    JSON.parse(Buffer.from(s, 'base64url').toString('utf8')) as Record<string, unknown>;
  return { header: part(parts[0]!), payload: part(parts[1]!) };
}
