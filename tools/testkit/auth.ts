// Logs a headless browser in (through the API's auth routes, or straight at the stand-in's authorize) and makes its later calls.
import { authorize, authorizeUrl, type Callback, CookieJar, type Hop, pkce, send } from '../src/auth0-standin/client.ts';
import type { Standin } from '../src/auth0-standin/standin.ts';
import { type RawResponse, values } from './http.ts';

export const AUTH = '/api/v1/auth';
export const REFRESH_COOKIE = 'edge_refresh';
export const TX_COOKIE = 'edge_auth_tx';

/** Who is calling: the page's origin (sent as Origin on every call) and its browser's cookie jar. */
export interface Caller {
  origin: string;
  jar: CookieJar;
}

export interface ApiCall {
  method?: string;
  /** Bearer access token. */
  token?: string;
  /** JSON body (sets Content-Type). */
  json?: unknown;
  headers?: Record<string, string>;
  /** Send X-Requested-With (what the page's fetch adds to cookie-bound POSTs); default true for POST. */
  xrw?: boolean;
}

/** One call from the page: Origin, the jar's cookies (stored back), bearer token and JSON as asked. */
export function apiCall(base: string, path: string, caller: Caller, call: ApiCall = {}): Promise<RawResponse> {
  const method = call.method ?? 'GET';
  const headers: Record<string, string> = { Origin: caller.origin, Accept: 'application/json', ...call.headers };
  if (call.xrw ?? method === 'POST') headers['X-Requested-With'] = 'fetch';
  if (call.token !== undefined) headers.Authorization = `Bearer ${call.token}`;
  if (call.json !== undefined) headers['Content-Type'] = 'application/json';
  return send(base + path, {
    method,
    headers,
    jar: caller.jar,
    ...(call.json !== undefined ? { body: JSON.stringify(call.json) } : {}),
  });
}

/** The JSON body of a response; throws with the status and text when it is not JSON. */
export function jsonBody(res: RawResponse): Record<string, unknown> {
  try {
    return JSON.parse(res.body) as Record<string, unknown>;
  } catch {
    throw new Error(`HTTP ${res.status}: not JSON: ${res.body.slice(0, 200)}`);
  }
}

export interface SetCookie {
  name: string;
  value: string;
  /** Attribute names lower-cased → value ('' for flags such as HttpOnly). */
  attrs: Map<string, string>;
}

/** Every Set-Cookie line of a response, parsed. */
export function setCookies(res: RawResponse): SetCookie[] {
  return values(res, 'set-cookie').map((line) => {
    const [pair = '', ...rest] = line.split(';');
    const eq = pair.indexOf('=');
    const attrs = new Map<string, string>();
    for (const a of rest) {
      const i = a.indexOf('=');
      const k = (i < 0 ? a : a.slice(0, i)).trim().toLowerCase();
      if (k) attrs.set(k, i < 0 ? '' : a.slice(i + 1).trim());
    }
    return {
      name: pair.slice(0, eq).trim(),
      value: pair
        .slice(eq + 1)
        .trim()
        .replace(/^"(.*)"$/, '$1'),
      attrs,
    };
  });
}

export const setCookie = (res: RawResponse, name: string): SetCookie | undefined => setCookies(res).find((c) => c.name === name);

export interface Login {
  accessToken: string;
  /** The refresh token the API put in its edge_refresh cookie. */
  refreshCookie: string;
  /** The login answer's body (access_token, token_type, expires_in, scope, user). */
  body: Record<string, unknown>;
  callback: Callback & { hops: Hop[] };
  /** Every API response of the walk, in order (for CORS checks). */
  responses: { auth0Url: RawResponse; login: RawResponse };
}

export class LoginError extends Error {
  override name = 'LoginError';
  constructor(
    message: string,
    readonly response?: RawResponse,
  ) {
    super(message);
  }
}

/**
 * A browser's login through the API: GET auth0-url (tx cookie), walk the stand-in's authorize (auto-login)
 * to the callback, POST login with the code and state (Origin, X-Requested-With, cookies).
 */
export async function loginThroughApi(
  base: string,
  opts: { origin: string; redirectUri: string; jar?: CookieJar },
): Promise<Login> {
  const caller: Caller = { origin: opts.origin, jar: opts.jar ?? new CookieJar() };
  const auth0Url = await apiCall(base, `${AUTH}/auth0-url?redirect_uri=${encodeURIComponent(opts.redirectUri)}`, caller);
  if (auth0Url.status !== 200)
    throw new LoginError(`auth0-url answered ${auth0Url.status}: ${auth0Url.body.slice(0, 300)}`, auth0Url);
  const { url, state } = jsonBody(auth0Url) as { url?: unknown; state?: unknown };
  if (typeof url !== 'string') throw new LoginError(`auth0-url gave no url: ${auth0Url.body.slice(0, 300)}`, auth0Url);
  const callback = await authorize(url, opts.redirectUri, caller.jar);
  if (!callback.code)
    throw new LoginError(`authorize returned no code: ${callback.error ?? ''} ${callback.errorDescription ?? ''}`);
  if (typeof state === 'string' && callback.state !== state)
    throw new LoginError(`callback state ${callback.state} is not auth0-url's ${state}`);
  const login = await apiCall(base, `${AUTH}/login`, caller, {
    method: 'POST',
    json: { code: callback.code, state: callback.state },
  });
  if (login.status !== 200) throw new LoginError(`login answered ${login.status}: ${login.body.slice(0, 300)}`, login);
  const body = jsonBody(login);
  const refreshCookie = setCookie(login, REFRESH_COOKIE)?.value;
  if (typeof body.access_token !== 'string')
    throw new LoginError(`login gave no access_token: ${login.body.slice(0, 300)}`, login);
  if (!refreshCookie) throw new LoginError(`login set no ${REFRESH_COOKIE} cookie`, login);
  return { accessToken: body.access_token, refreshCookie, body, callback, responses: { auth0Url, login } };
}

/**
 * A client app's authorize straight at the stand-in (no API): a fresh PKCE pair, state 's', the stand-in's audience and
 * the default scope, walked (auto-login) to the callback. Returns the callback as it came (nothing asserted) and the
 * verifier its code needs at the token endpoint.
 */
export async function authorizeAtStandin(
  standin: Pick<Standin, 'issuer' | 'clientId' | 'audience'>,
  redirectUri: string,
  jar?: CookieJar,
): Promise<{ cb: Callback & { hops: Hop[] }; verifier: string }> {
  const { verifier, challenge } = pkce();
  const url = authorizeUrl(standin.issuer, {
    clientId: standin.clientId,
    redirectUri,
    audience: standin.audience,
    state: 's',
    codeChallenge: challenge,
  });
  return { cb: await authorize(url, redirectUri, jar), verifier };
}
