// The stand-in's HTTP routes: Auth0's extras (index page, JWKS switches, /userinfo for JWTs, /v2/logout) around oidc-provider.
import { verify } from 'node:crypto';
import type http from 'node:http';
import type { Interaction } from 'oidc-provider';
import { PATHS, type ResolvedOptions, userClaims } from './config.ts';
import { publicJwks, publicKeyObject, type SigningKey } from './keys.ts';
import { indexPage, loginPage } from './pages.ts';
import type { ProviderHandle } from './provider.ts';

/** `up` serves the keys; `down` answers 503; `hang` accepts and never answers (timeout tests). */
export type JwksMode = 'up' | 'down' | 'hang';

export interface StandinStats {
  jwksRequests: number;
  tokenRequests: number;
  userinfoRequests: number;
}

/** What the routes read and the Standin handle changes: keys, the provider built on them, switches, counters. */
export interface StandinState {
  readonly o: ResolvedOptions;
  /** First signs, all are published. */
  keys: SigningKey[];
  current: ProviderHandle;
  readonly stats: StandinStats;
  jwksMode: JwksMode;
  /** JWKS responses held open in `hang` mode; ended when the mode changes or the server stops. */
  readonly hung: Set<http.ServerResponse>;
}

export const json = (res: http.ServerResponse, status: number, body: unknown, headers: http.OutgoingHttpHeaders = {}): void => {
  res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store', ...headers });
  res.end(JSON.stringify(body));
};

const html = (res: http.ServerResponse, status: number, body: string): void => {
  res.writeHead(status, { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store' });
  res.end(body);
};

/** Every request: the stand-in's own routes first, the rest to oidc-provider (with Auth0's authorize defaults). */
export function dispatch(state: StandinState, req: http.IncomingMessage, res: http.ServerResponse): void {
  const url = new URL(req.url ?? '/', state.o.issuer);
  const path = url.pathname;
  const method = req.method ?? 'GET';
  if (path === '/' && (method === 'GET' || method === 'HEAD')) return html(res, 200, indexPage(state.o, state.keys[0]!.kid));
  if (path === PATHS.jwks && (method === 'GET' || method === 'HEAD')) return jwks(state, req, res);
  if (path === PATHS.userinfo) return userinfo(state, req, res);
  if (path === PATHS.logout && method === 'GET') return logout(state.o, req, res, url);
  if (path.startsWith(`${PATHS.interaction}/`)) {
    void interaction(state, req, res, path);
    return;
  }
  if (path === PATHS.token && method === 'POST') state.stats.tokenRequests += 1;
  if (path === PATHS.authorize && method === 'GET') {
    const scope = url.searchParams.get('scope')?.split(' ') ?? [];
    // Auth0 issues a refresh token for offline_access alone; oidc-provider (per OIDC Core) also wants prompt=consent.
    if (scope.includes('offline_access') && !url.searchParams.has('prompt')) {
      url.searchParams.set('prompt', 'consent');
      req.url = url.pathname + url.search;
    }
  }
  return state.current.callback(req, res);
}

/** GET /interaction/:uid finishes login and consent in code; with autoLogin off, login waits for POST .../login. */
async function interaction(
  state: StandinState,
  req: http.IncomingMessage,
  res: http.ServerResponse,
  path: string,
): Promise<void> {
  const m = /^\/interaction\/([A-Za-z0-9_-]+)(\/login)?$/.exec(path);
  if (!m) return json(res, 404, { error: 'not_found' });
  const isPage = req.method === 'GET' && !m[2];
  const isSubmit = req.method === 'POST' && !!m[2];
  if (!isPage && !isSubmit) return json(res, 405, { error: 'method_not_allowed' });
  req.resume(); // the one-button form has no fields
  try {
    const details = await state.current.provider.interactionDetails(req, res);
    if (details.uid !== m[1]) return json(res, 400, { error: 'interaction_mismatch' });
    if (isPage && details.prompt.name === 'login' && !state.o.autoLogin) return html(res, 200, loginPage(state.o, details.uid));
    return await finishInteraction(state, req, res, details);
  } catch (err) {
    if (!res.headersSent) json(res, 400, { error: 'interaction_failed', error_description: (err as Error).message });
  }
}

/** Logs the dev user in, or grants what the request asked for (consent); any other prompt answers 400. */
async function finishInteraction(
  state: StandinState,
  req: http.IncomingMessage,
  res: http.ServerResponse,
  details: Interaction,
): Promise<void> {
  const { provider } = state.current;
  const { o } = state;
  if (details.prompt.name === 'login') {
    await provider.interactionFinished(req, res, { login: { accountId: o.devUser.sub } }, { mergeWithLastSubmission: false });
    return;
  }
  if (details.prompt.name === 'consent') {
    // First-party app: Auth0 skips consent; grant whatever the request asked for.
    const { missingOIDCScope, missingOIDCClaims, missingResourceScopes } = details.prompt.details as {
      missingOIDCScope?: string[];
      missingOIDCClaims?: string[];
      missingResourceScopes?: Record<string, string[]>;
    };
    const grant = details.grantId
      ? await provider.Grant.find(details.grantId)
      : new provider.Grant({ accountId: o.devUser.sub, clientId: String(details.params.client_id) });
    if (!grant) throw new Error('grant of the interaction not found');
    if (missingOIDCScope) grant.addOIDCScope(missingOIDCScope.join(' '));
    if (missingOIDCClaims) grant.addOIDCClaims(missingOIDCClaims);
    for (const [indicator, scopes] of Object.entries(missingResourceScopes ?? {}))
      grant.addResourceScope(indicator, scopes.join(' '));
    const grantId = await grant.save();
    await provider.interactionFinished(req, res, { consent: { grantId } }, { mergeWithLastSubmission: true });
    return;
  }
  json(res, 400, {
    error: 'unsupported_prompt',
    error_description: `prompt ${details.prompt.name} is not handled by the stand-in`,
  });
}

/** Auth0's /userinfo accepts its own JWT access tokens (oidc-provider's only accepts tokens without audience). */
function userinfo(state: StandinState, req: http.IncomingMessage, res: http.ServerResponse): void {
  state.stats.userinfoRequests += 1;
  const checked = userinfoClaims(state, req.headers.authorization);
  if ('denied' in checked) {
    const description = checked.denied;
    return json(
      res,
      401,
      { error: 'invalid_token', error_description: description },
      {
        'WWW-Authenticate': `Bearer error="invalid_token", error_description="${description}"`,
      },
    );
  }
  const { claims } = checked;
  const scopes = new Set(typeof claims.scope === 'string' ? claims.scope.split(' ') : []);
  return json(res, 200, userClaims(state.o.devUser, scopes));
}

/** The claims of a bearer token /userinfo accepts (ours, RS256, unexpired, for /userinfo, the dev user), or why not. */
function userinfoClaims(
  state: StandinState,
  authorization: string | undefined,
): { claims: Record<string, unknown> } | { denied: string } {
  const { o } = state;
  const m = /^Bearer ([A-Za-z0-9_.-]+)$/.exec(authorization ?? '');
  if (!m) return { denied: 'missing bearer token' };
  const parts = m[1]!.split('.');
  if (parts.length !== 3) return { denied: 'malformed token' };
  try {
    const header = JSON.parse(Buffer.from(parts[0]!, 'base64url').toString('utf8')) as { alg?: unknown; kid?: unknown };
    const key = state.keys.find((k) => k.kid === header.kid);
    if (header.alg !== 'RS256' || !key) return { denied: 'unknown signing key' };
    const signed = Buffer.from(`${parts[0]}.${parts[1]}`);
    if (!verify('RSA-SHA256', signed, publicKeyObject(key), Buffer.from(parts[2]!, 'base64url')))
      return { denied: 'bad signature' };
    const claims = JSON.parse(Buffer.from(parts[1]!, 'base64url').toString('utf8')) as Record<string, unknown>;
    const aud = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
    if (claims.iss !== o.issuer) return { denied: 'wrong issuer' };
    if (typeof claims.exp !== 'number' || claims.exp <= Date.now() / 1000) return { denied: 'expired' };
    if (!aud.includes(`${o.issuer}userinfo`)) return { denied: 'token audience does not include /userinfo' };
    if (claims.sub !== o.devUser.sub) return { denied: 'unknown user' };
    return { claims };
  } catch {
    return { denied: 'malformed token' };
  }
}

function jwks(state: StandinState, req: http.IncomingMessage, res: http.ServerResponse): void {
  state.stats.jwksRequests += 1;
  if (state.jwksMode === 'down')
    return json(res, 503, { error: 'temporarily_unavailable', error_description: 'JWKS switched off by the test' });
  if (state.jwksMode === 'hang') {
    state.hung.add(res);
    res.on('close', () => state.hung.delete(res));
    return;
  }
  res.writeHead(200, { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'public, max-age=15' });
  res.end(req.method === 'HEAD' ? undefined : JSON.stringify(publicJwks(state.keys)));
}

/** Auth0's logout: /v2/logout?client_id=&returnTo= becomes oidc-provider's RP-initiated logout. */
function logout(o: ResolvedOptions, req: http.IncomingMessage, res: http.ServerResponse, url: URL): void {
  const target = new URL(PATHS.providerLogout, o.issuer);
  const clientId = url.searchParams.get('client_id');
  const returnTo = url.searchParams.get('returnTo');
  if (clientId) target.searchParams.set('client_id', clientId);
  if (returnTo) target.searchParams.set('post_logout_redirect_uri', returnTo);
  req.resume();
  res.writeHead(302, { Location: target.href, 'Cache-Control': 'no-store' }).end();
}

/** Ends every JWKS response `hang` mode held open. */
export function releaseHung(state: StandinState): void {
  for (const res of state.hung) res.destroy();
  state.hung.clear();
}
