// Runs the Auth0 stand-in: oidc-provider behind a node:http server on 127.0.0.1 that adds Auth0's extras and test switches.
import { randomBytes, verify } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import Provider, { type Interaction } from 'oidc-provider';
import { MemoryStore } from './adapter.ts';
import { PATHS, providerConfiguration, resolveOptions, userClaims, type DevUser, type ResolvedOptions, type StandinOptions } from './config.ts';
import { assertKeySet, generateSigningKey, publicJwks, publicKeyObject, type PublicJwk, type SigningKey } from './keys.ts';

/** `up` serves the keys; `down` answers 503; `hang` accepts and never answers (timeout tests). */
export type JwksMode = 'up' | 'down' | 'hang';

export interface StandinStats {
  jwksRequests: number;
  tokenRequests: number;
  userinfoRequests: number;
}

export interface Standin {
  /** The issuer without its trailing slash, e.g. http://127.0.0.1:3002 (the server binds 127.0.0.1 only). */
  url: string;
  /** Auth0-style issuer with trailing slash, exactly what tokens carry in `iss`. */
  issuer: string;
  port: number;
  audience: string;
  clientId: string;
  clientSecret: string;
  redirectUris: string[];
  logoutUrls: string[];
  tenantClaim: string;
  devUser: DevUser;
  /** Absolute URLs of the Auth0 endpoints. */
  endpoints: { authorize: string; token: string; jwks: string; userinfo: string; revoke: string; logout: string; discovery: string };
  /** The JWKS document currently published. */
  jwks(): { keys: PublicJwk[] };
  /** The kid new tokens are signed with. */
  signingKid(): string;
  /** Replace the key set (first signs, all published); sessions, grants and refresh tokens survive. */
  rotateKeys(keys: SigningKey[]): void;
  setJwksMode(mode: JwksMode): void;
  stats(): StandinStats;
  stop(): Promise<void>;
}

const json = (res: http.ServerResponse, status: number, body: unknown, headers: http.OutgoingHttpHeaders = {}): void => {
  res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store', ...headers });
  res.end(JSON.stringify(body));
};

const html = (res: http.ServerResponse, status: number, body: string): void => {
  res.writeHead(status, { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store' });
  res.end(body);
};

/** One claim of a JWT this server just issued (no verification needed: it never left the process). */
function jwtClaim(token: string, claim: string): unknown {
  const payload = token.split('.')[1];
  if (!payload) return undefined;
  try {
    return (JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Record<string, unknown>)[claim];
  } catch {
    return undefined;
  }
}

const escapeHtml = (s: string): string =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

/** GET / : what this tenant is (the settings docs/auth0-setup.md makes in a real one), every value escaped. */
function indexPage(o: ResolvedOptions, signingKid: string): string {
  const e = escapeHtml;
  const list = (values: readonly string[]): string => (values.length ? values.map((v) => `<code>${e(v)}</code>`).join(' ') : '<em>none</em>');
  const rows: [string, string][] = [
    ['issuer (<code>iss</code>)', `<code>${e(o.issuer)}</code>`],
    ['API identifier (audience)', `<code>${e(o.audience)}</code>, RS256, access tokens ${o.accessTokenTtl} s`],
    ['API permissions', list(o.apiScopes)],
    ['client id', `<code>${e(o.clientId)}</code> (Regular Web Application, client_secret_post)`],
    ['allowed callback URLs', list(o.redirectUris)],
    ['allowed logout URLs', list(o.logoutUrls)],
    ['refresh tokens', `rotation on (reuse revokes the family), lifetime ${o.refreshTokenTtl} s`],
    ['tenant claim', `<code>${e(o.tenantClaim)}</code>`],
    ['dev user', `<code>${e(o.devUser.sub)}</code> ${e(o.devUser.name)} &lt;${e(o.devUser.email)}&gt;, tenant <code>${e(o.devUser.tenantId)}</code>, permissions ${list(o.devUser.permissions)}${o.autoLogin ? ', logged in without a form' : ''}`],
    ['signing key', `<code>${e(signingKid)}</code>`],
  ];
  const link = (path: string): string => {
    const href = new URL(path, o.issuer).href;
    return `<a href="${e(href)}">${e(href)}</a>`;
  };
  return (
    '<!DOCTYPE html><html><head><meta charset="utf-8"><title>Local Auth0 stand-in</title></head><body>' +
    `<h1>Local Auth0 stand-in</h1><table>${rows.map(([k, v]) => `<tr><th align="left">${k}</th><td>${v}</td></tr>`).join('')}</table>` +
    `<p>Discovery: ${link(PATHS.discovery)}<br>JWKS: ${link(PATHS.jwks)}</p></body></html>`
  );
}

/** Starts the stand-in on 127.0.0.1; resolves once it accepts requests. */
export async function startStandin(options: StandinOptions = {}): Promise<Standin> {
  const keysIn = options.keys ?? [generateSigningKey('standin-1')];
  assertKeySet(keysIn);
  let keys: SigningKey[] = keysIn.map((k) => ({ ...k }));

  let dispatch: http.RequestListener = (_req, res) => json(res, 503, { error: 'starting' });
  const server = http.createServer((req, res) => dispatch(req, res));
  // Bound the time a stuck client can hold a connection; `hang` responses are ended by stop().
  server.headersTimeout = 10_000;
  server.requestTimeout = 30_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  let o: ResolvedOptions;
  try {
    o = resolveOptions(options, port);
  } catch (err) {
    await new Promise<void>((resolve) => server.close(() => resolve()));
    throw err;
  }

  const store = new MemoryStore();
  const cookieKeys = [randomBytes(32).toString('base64url')];
  const stats: StandinStats = { jwksRequests: 0, tokenRequests: 0, userinfoRequests: 0 };
  let jwksMode: JwksMode = 'up';
  const hung = new Set<http.ServerResponse>();

  const build = (signingKeys: readonly SigningKey[]): { provider: Provider; callback: http.RequestListener } => {
    const provider = new Provider(o.issuer, providerConfiguration(o, { adapter: store.factory, keys: signingKeys, cookieKeys }));
    // Behind a TLS edge (an https issuer): trust its X-Forwarded-Proto, as Auth0's own edge is trusted.
    provider.proxy = o.issuer.startsWith('https:');
    // Auth0 answers invalid_grant with 403 (oidc-provider uses 400).
    provider.use(async (ctx, next) => {
      await next();
      if (ctx.path !== PATHS.token) return;
      const body = ctx.body as { error?: unknown; access_token?: unknown; scope?: unknown } | undefined;
      if (ctx.status === 400 && body?.error === 'invalid_grant') ctx.status = 403;
      // Auth0's token response lists every granted scope (OIDC ones too); oidc-provider lists the API's only.
      if (ctx.status === 200 && body && typeof body.access_token === 'string') {
        const scope = jwtClaim(body.access_token, 'scope');
        if (typeof scope === 'string') body.scope = scope;
      }
    });
    return { provider, callback: provider.callback() as http.RequestListener };
  };
  let current = build(keys);

  const finishInteraction = async (req: http.IncomingMessage, res: http.ServerResponse, details: Interaction): Promise<void> => {
    const { provider } = current;
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
      for (const [indicator, scopes] of Object.entries(missingResourceScopes ?? {})) grant.addResourceScope(indicator, scopes.join(' '));
      const grantId = await grant.save();
      await provider.interactionFinished(req, res, { consent: { grantId } }, { mergeWithLastSubmission: true });
      return;
    }
    json(res, 400, { error: 'unsupported_prompt', error_description: `prompt ${details.prompt.name} is not handled by the stand-in` });
  };

  /** GET /interaction/:uid finishes login and consent in code; with autoLogin off, login waits for POST .../login. */
  const interaction = async (req: http.IncomingMessage, res: http.ServerResponse, path: string): Promise<void> => {
    const m = /^\/interaction\/([A-Za-z0-9_-]+)(\/login)?$/.exec(path);
    if (!m) return json(res, 404, { error: 'not_found' });
    const isPage = req.method === 'GET' && !m[2];
    const isSubmit = req.method === 'POST' && !!m[2];
    if (!isPage && !isSubmit) return json(res, 405, { error: 'method_not_allowed' });
    req.resume(); // the one-button form has no fields
    try {
      const details = await current.provider.interactionDetails(req, res);
      if (details.uid !== m[1]) return json(res, 400, { error: 'interaction_mismatch' });
      if (isPage && details.prompt.name === 'login' && !o.autoLogin) {
        const action = `${PATHS.interaction}/${details.uid}/login`;
        return html(
          res,
          200,
          `<!DOCTYPE html><html><head><meta charset="utf-8"><title>Local Auth0 stand-in</title></head><body>` +
            `<form method="post" action="${escapeHtml(action)}"><button type="submit">Log in as ${escapeHtml(o.devUser.email)}</button></form></body></html>`,
        );
      }
      return await finishInteraction(req, res, details);
    } catch (err) {
      if (!res.headersSent) json(res, 400, { error: 'interaction_failed', error_description: (err as Error).message });
    }
  };

  /** Auth0's /userinfo accepts its own JWT access tokens (oidc-provider's only accepts tokens without audience). */
  const userinfo = (req: http.IncomingMessage, res: http.ServerResponse): void => {
    stats.userinfoRequests += 1;
    const deny = (description: string): void =>
      json(res, 401, { error: 'invalid_token', error_description: description }, {
        'WWW-Authenticate': `Bearer error="invalid_token", error_description="${description}"`,
      });
    const m = /^Bearer ([A-Za-z0-9_.-]+)$/.exec(req.headers.authorization ?? '');
    if (!m) return deny('missing bearer token');
    const parts = m[1]!.split('.');
    if (parts.length !== 3) return deny('malformed token');
    try {
      const header = JSON.parse(Buffer.from(parts[0]!, 'base64url').toString('utf8')) as { alg?: unknown; kid?: unknown };
      const key = keys.find((k) => k.kid === header.kid);
      if (header.alg !== 'RS256' || !key) return deny('unknown signing key');
      const signed = Buffer.from(`${parts[0]}.${parts[1]}`);
      if (!verify('RSA-SHA256', signed, publicKeyObject(key), Buffer.from(parts[2]!, 'base64url'))) return deny('bad signature');
      const claims = JSON.parse(Buffer.from(parts[1]!, 'base64url').toString('utf8')) as Record<string, unknown>;
      const aud = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
      if (claims.iss !== o.issuer) return deny('wrong issuer');
      if (typeof claims.exp !== 'number' || claims.exp <= Date.now() / 1000) return deny('expired');
      if (!aud.includes(`${o.issuer}userinfo`)) return deny('token audience does not include /userinfo');
      if (claims.sub !== o.devUser.sub) return deny('unknown user');
      const scopes = new Set(typeof claims.scope === 'string' ? claims.scope.split(' ') : []);
      return json(res, 200, userClaims(o.devUser, scopes));
    } catch {
      return deny('malformed token');
    }
  };

  const jwks = (req: http.IncomingMessage, res: http.ServerResponse): void => {
    stats.jwksRequests += 1;
    if (jwksMode === 'down') return json(res, 503, { error: 'temporarily_unavailable', error_description: 'JWKS switched off by the test' });
    if (jwksMode === 'hang') {
      hung.add(res);
      res.on('close', () => hung.delete(res));
      return;
    }
    res.writeHead(200, { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'public, max-age=15' });
    res.end(req.method === 'HEAD' ? undefined : JSON.stringify(publicJwks(keys)));
  };

  /** Auth0's logout: /v2/logout?client_id=&returnTo= becomes oidc-provider's RP-initiated logout. */
  const logout = (req: http.IncomingMessage, res: http.ServerResponse, url: URL): void => {
    const target = new URL(PATHS.providerLogout, o.issuer);
    const clientId = url.searchParams.get('client_id');
    const returnTo = url.searchParams.get('returnTo');
    if (clientId) target.searchParams.set('client_id', clientId);
    if (returnTo) target.searchParams.set('post_logout_redirect_uri', returnTo);
    req.resume();
    res.writeHead(302, { Location: target.href, 'Cache-Control': 'no-store' }).end();
  };

  dispatch = (req, res) => {
    const url = new URL(req.url ?? '/', o.issuer);
    const path = url.pathname;
    const method = req.method ?? 'GET';
    if (path === '/' && (method === 'GET' || method === 'HEAD')) return html(res, 200, indexPage(o, keys[0]!.kid));
    if (path === PATHS.jwks && (method === 'GET' || method === 'HEAD')) return jwks(req, res);
    if (path === PATHS.userinfo) return userinfo(req, res);
    if (path === PATHS.logout && method === 'GET') return logout(req, res, url);
    if (path.startsWith(`${PATHS.interaction}/`)) {
      void interaction(req, res, path);
      return;
    }
    if (path === PATHS.token && method === 'POST') stats.tokenRequests += 1;
    if (path === PATHS.authorize && method === 'GET') {
      const scope = url.searchParams.get('scope')?.split(' ') ?? [];
      // Auth0 issues a refresh token for offline_access alone; oidc-provider (per OIDC Core) also wants prompt=consent.
      if (scope.includes('offline_access') && !url.searchParams.has('prompt')) {
        url.searchParams.set('prompt', 'consent');
        req.url = url.pathname + url.search;
      }
    }
    return current.callback(req, res);
  };

  const releaseHung = (): void => {
    for (const res of hung) res.destroy();
    hung.clear();
  };

  const base = o.issuer.slice(0, -1);
  return {
    url: base,
    issuer: o.issuer,
    port,
    audience: o.audience,
    clientId: o.clientId,
    clientSecret: o.clientSecret,
    redirectUris: [...o.redirectUris],
    logoutUrls: [...o.logoutUrls],
    tenantClaim: o.tenantClaim,
    devUser: { ...o.devUser, permissions: [...o.devUser.permissions] },
    endpoints: {
      authorize: base + PATHS.authorize,
      token: base + PATHS.token,
      jwks: base + PATHS.jwks,
      userinfo: base + PATHS.userinfo,
      revoke: base + PATHS.revoke,
      logout: base + PATHS.logout,
      discovery: base + PATHS.discovery,
    },
    jwks: () => publicJwks(keys),
    signingKid: () => keys[0]!.kid,
    rotateKeys: (next) => {
      assertKeySet(next);
      keys = next.map((k) => ({ ...k }));
      current = build(keys);
    },
    setJwksMode: (mode) => {
      jwksMode = mode;
      if (mode !== 'hang') releaseHung();
    },
    stats: () => ({ ...stats }),
    stop: async () => {
      releaseHung();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await closed;
      store.clear();
    },
  };
}
