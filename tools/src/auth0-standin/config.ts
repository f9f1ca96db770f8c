// Auth0 stand-in settings: option defaults and checks, argv/env parsing, and oidc-provider options shaped like an Auth0 tenant.
import { parseArgs } from 'node:util';
import { type Configuration, errors, type KoaContextWithOIDC } from 'oidc-provider';
import type { SigningKey } from './keys.ts';

/** Auth0's public paths (what the API and the browser use) and the stand-in's internal ones. */
export const PATHS = {
  authorize: '/authorize',
  token: '/oauth/token',
  jwks: '/.well-known/jwks.json',
  userinfo: '/userinfo',
  revoke: '/oauth/revoke',
  logout: '/v2/logout',
  discovery: '/.well-known/openid-configuration',
  /** oidc-provider's RP-initiated logout; `/v2/logout` redirects here (Auth0 has no public equivalent). */
  providerLogout: '/oidc/logout',
  /** Where oidc-provider sends the browser to log in; the stand-in finishes it in code. */
  interaction: '/interaction',
} as const;

/** OIDC scopes the tenant knows (Auth0's standard set); API scopes come from the resource server. */
export const OIDC_SCOPES = ['openid', 'profile', 'email', 'offline_access'] as const;

export interface DevUser {
  /** Auth0-style user id, e.g. `auth0|dev-user`. */
  sub: string;
  email: string;
  name: string;
  /** Value of the tenant claim in access tokens. */
  tenantId: string;
  /** RBAC permissions for the API (Auth0 puts them in `permissions`). */
  permissions: string[];
}

export interface StandinOptions {
  /** TCP port on 127.0.0.1; 0 (the default for startStandin) lets the OS choose. */
  port?: number;
  /** Issuer URL, with Auth0's trailing slash; default `http://127.0.0.1:<port>/`. Loopback hosts only. */
  issuer?: string;
  /** The API identifier (Auth0 "audience"): an absolute URI. */
  audience?: string;
  /** Scopes the API defines (Auth0 API permissions). */
  apiScopes?: string[];
  clientId?: string;
  clientSecret?: string;
  /** Allowed callback URLs, compared exactly. */
  redirectUris?: string[];
  /** Allowed logout URLs (`returnTo` of /v2/logout), compared exactly. */
  logoutUrls?: string[];
  devUser?: Partial<DevUser>;
  /** Log the dev user in and consent without a page (default true); false shows a one-button page. */
  autoLogin?: boolean;
  /** Namespaced claim carrying the tenant id. */
  tenantClaim?: string;
  /** Access token lifetime in seconds. */
  accessTokenTtl?: number;
  /** Refresh token lifetime in seconds. */
  refreshTokenTtl?: number;
  /** Signing keys; the first signs, all are published. Default: one fresh key with kid `standin-1`. */
  keys?: SigningKey[];
}

export interface ResolvedOptions {
  port: number;
  issuer: string;
  audience: string;
  apiScopes: string[];
  clientId: string;
  clientSecret: string;
  redirectUris: string[];
  logoutUrls: string[];
  devUser: DevUser;
  autoLogin: boolean;
  tenantClaim: string;
  accessTokenTtl: number;
  refreshTokenTtl: number;
}

export const DEFAULTS = {
  port: 3002,
  audience: 'https://api.zebra.associates',
  apiScopes: ['read:items', 'write:items'],
  clientId: 'edge-sidecar-local',
  clientSecret: 'local-stand-in-secret-not-for-production',
  redirectUris: ['http://localhost:3001/callback'],
  logoutUrls: ['http://localhost:3001/'],
  devUser: {
    sub: 'auth0|dev-user',
    email: 'dev@zebra.associates',
    name: 'Dev User',
    tenantId: 'demo',
    permissions: ['read:items', 'write:items'],
  } satisfies DevUser,
  autoLogin: true,
  tenantClaim: 'https://zebra.associates/tenant_id',
  accessTokenTtl: 3600,
  refreshTokenTtl: 30 * 24 * 3600,
} as const;

export class StandinConfigError extends Error {
  override name = 'StandinConfigError';
}

const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);
// A DNS name whose last label starts with a letter (so never an IPv4 address).
const DNS_NAME = /^(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

function absoluteUri(name: string, value: string): URL {
  const url = URL.parse(value);
  if (!url?.protocol || url.hash)
    throw new StandinConfigError(`${name}: not an absolute URI without fragment: ${JSON.stringify(value)}`);
  return url;
}

function positiveInt(name: string, value: number): number {
  if (!Number.isSafeInteger(value) || value <= 0) throw new StandinConfigError(`${name}: not a positive integer: ${value}`);
  return value;
}

/** Fills defaults and checks every option; `port` is the bound port (the issuer default uses it). */
export function resolveOptions(options: StandinOptions, port: number): ResolvedOptions {
  const issuer = options.issuer ?? `http://127.0.0.1:${port}/`;
  const issuerUrl = absoluteUri('issuer', issuer);
  // A public-looking https issuer (e.g. https://tenant.eu.auth0.com/) is for a TLS edge in front that gives the
  // stand-in that name on loopback (the rehearsal's); the stand-in itself always binds 127.0.0.1.
  const named = issuerUrl.protocol === 'https:' && DNS_NAME.test(issuerUrl.hostname) && !issuerUrl.port;
  if (!named && (!['http:', 'https:'].includes(issuerUrl.protocol) || !LOOPBACK_HOSTS.has(issuerUrl.hostname))) {
    throw new StandinConfigError(
      `issuer: the stand-in serves loopback only (http://127.0.0.1:<port>/), or https://<dns name>/ behind a TLS edge: ${JSON.stringify(issuer)}`,
    );
  }
  if (issuerUrl.pathname !== '/' || issuerUrl.search || !issuer.endsWith('/')) {
    throw new StandinConfigError(`issuer: must be scheme://host[:port]/ with Auth0's trailing slash: ${JSON.stringify(issuer)}`);
  }
  const audience = options.audience ?? DEFAULTS.audience;
  absoluteUri('audience', audience);
  const redirectUris = options.redirectUris ?? [...DEFAULTS.redirectUris];
  const logoutUrls = options.logoutUrls ?? [...DEFAULTS.logoutUrls];
  if (redirectUris.length === 0) throw new StandinConfigError('redirectUris: at least one callback URL is required');
  for (const uri of [...redirectUris, ...logoutUrls]) {
    const url = absoluteUri('redirect/logout URL', uri);
    if (!['http:', 'https:'].includes(url.protocol)) throw new StandinConfigError(`not an http(s) URL: ${JSON.stringify(uri)}`);
  }
  const clientId = options.clientId ?? DEFAULTS.clientId;
  const clientSecret = options.clientSecret ?? DEFAULTS.clientSecret;
  if (!clientId) throw new StandinConfigError('clientId: empty');
  if (clientSecret.length < 8) throw new StandinConfigError('clientSecret: at least 8 characters');
  const devUser: DevUser = { ...DEFAULTS.devUser, permissions: [...DEFAULTS.devUser.permissions], ...options.devUser };
  if (!devUser.sub) throw new StandinConfigError('devUser.sub: empty');
  const tenantClaim = options.tenantClaim ?? DEFAULTS.tenantClaim;
  absoluteUri('tenantClaim (Auth0 requires namespaced custom claims)', tenantClaim);
  return {
    port,
    issuer,
    audience,
    apiScopes: options.apiScopes ?? [...DEFAULTS.apiScopes],
    clientId,
    clientSecret,
    redirectUris,
    logoutUrls,
    devUser,
    autoLogin: options.autoLogin ?? DEFAULTS.autoLogin,
    tenantClaim,
    accessTokenTtl: positiveInt('accessTokenTtl', options.accessTokenTtl ?? DEFAULTS.accessTokenTtl),
    refreshTokenTtl: positiveInt('refreshTokenTtl', options.refreshTokenTtl ?? DEFAULTS.refreshTokenTtl),
  };
}

/** Claims of the dev user for a scope set, as Auth0's /userinfo and ID token carry them. */
export function userClaims(user: DevUser, scopes: ReadonlySet<string>): Record<string, unknown> {
  const claims: Record<string, unknown> = { sub: user.sub };
  if (scopes.has('profile')) {
    claims.name = user.name;
    claims.nickname = user.email.split('@')[0];
    claims.updated_at = '2026-01-01T00:00:00.000Z';
  }
  if (scopes.has('email')) {
    claims.email = user.email;
    claims.email_verified = true;
  }
  return claims;
}

/** The scope string Auth0 puts in an access token: granted OIDC scopes, then the API scopes. */
function accessTokenScope(ctx: KoaContextWithOIDC, apiScope: string | undefined): string {
  const { RefreshToken, AuthorizationCode } = ctx.oidc.entities;
  const requested = new Set((RefreshToken?.scope ?? AuthorizationCode?.scope ?? '').split(' '));
  const oidc = OIDC_SCOPES.filter((s) => requested.has(s));
  return [...oidc, ...(apiScope ? apiScope.split(' ') : [])].join(' ');
}

export interface RuntimeParts {
  /** oidc-provider's `adapter` option (the stand-in's MemoryStore factory). */
  adapter: NonNullable<Configuration['adapter']>;
  keys: readonly SigningKey[];
  cookieKeys: string[];
}

/** oidc-provider options for a tenant with one confidential client, one API, and one dev user. */
export function providerConfiguration(o: ResolvedOptions, runtime: RuntimeParts): Configuration {
  const user = o.devUser;
  return {
    adapter: runtime.adapter,
    clients: [
      {
        client_id: o.clientId,
        client_secret: o.clientSecret,
        client_name: 'edge-sidecar (local Auth0 stand-in)',
        application_type: 'web',
        redirect_uris: o.redirectUris,
        post_logout_redirect_uris: o.logoutUrls,
        grant_types: ['authorization_code', 'refresh_token'],
        response_types: ['code'],
        token_endpoint_auth_method: 'client_secret_post',
        id_token_signed_response_alg: 'RS256',
      },
    ],
    jwks: { keys: runtime.keys.map((k) => ({ ...k })) },
    cookies: { keys: runtime.cookieKeys },
    routes: {
      authorization: PATHS.authorize,
      token: PATHS.token,
      jwks: PATHS.jwks,
      userinfo: PATHS.userinfo,
      revocation: PATHS.revoke,
      end_session: PATHS.providerLogout,
    },
    scopes: [...OIDC_SCOPES],
    claims: {
      openid: ['sub'],
      profile: ['name', 'nickname', 'updated_at'],
      email: ['email', 'email_verified'],
    },
    // Auth0 puts profile claims in the ID token even when an access token is issued.
    conformIdTokenClaims: false,
    responseTypes: ['code'],
    extraParams: ['audience'],
    clientBasedCORS: () => false,
    features: {
      devInteractions: { enabled: false },
      revocation: {
        enabled: true,
        // Only the client a token was issued to may revoke it.
        allowedPolicy: (_ctx, client, token) => {
          if (token.clientId !== client.clientId)
            throw new errors.InvalidRequest('client is not authorized to revoke the presented token');
          return true;
        },
      },
      introspection: { enabled: false },
      userinfo: { enabled: true },
      rpInitiatedLogout: {
        enabled: true,
        // Auth0 logs out without asking: the page submits itself (client.ts does the same headlessly).
        logoutSource: (ctx, form) => {
          const autoForm = form.replace('</form>', '<input type="hidden" name="logout" value="yes"/></form>');
          ctx.type = 'html';
          ctx.body = `<!DOCTYPE html><html><head><meta charset="utf-8"><title>Logging out</title></head><body>${autoForm}<script>document.forms[0].submit()</script></body></html>`;
        },
        postLogoutSuccessSource: (ctx) => {
          ctx.type = 'html';
          ctx.body =
            '<!DOCTYPE html><html><head><meta charset="utf-8"><title>Logged out</title></head><body>Logged out.</body></html>';
        },
      },
      resourceIndicators: {
        enabled: true,
        // Auth0's `audience` parameter picks the API; without it the tenant's default audience applies.
        defaultResource: (ctx, _client, oneOf) => {
          if (oneOf) return oneOf.includes(o.audience) ? o.audience : oneOf;
          const requested = ctx.oidc.params?.audience;
          return typeof requested === 'string' && requested !== '' ? requested : o.audience;
        },
        useGrantedResource: () => true,
        getResourceServerInfo: (_ctx, resourceIndicator) => {
          if (resourceIndicator !== o.audience) throw new errors.InvalidTarget(`Service not found: ${resourceIndicator}`);
          return {
            scope: o.apiScopes.join(' '),
            audience: o.audience,
            accessTokenTTL: o.accessTokenTtl,
            accessTokenFormat: 'jwt',
            jwt: { sign: { alg: 'RS256' } },
          };
        },
      },
    },
    formats: {
      customizers: {
        // Auth0's access token shape: typ JWT, aud list with /userinfo when openid was granted, azp, scope, permissions.
        jwt: (ctx, token, parts) => {
          const payload = parts.payload;
          const scope = accessTokenScope(ctx, typeof payload.scope === 'string' ? payload.scope : undefined);
          const scopes = new Set(scope.split(' '));
          parts.header = { typ: 'JWT' };
          payload.aud = scopes.has('openid') ? [o.audience, `${o.issuer}userinfo`] : o.audience;
          payload.azp = payload.client_id;
          delete payload.client_id;
          payload.scope = scope;
          if ('accountId' in token && token.accountId === user.sub) {
            payload.permissions = [...user.permissions];
            payload[o.tenantClaim] = user.tenantId;
          }
        },
      },
    },
    findAccount: (_ctx, sub) =>
      sub === user.sub
        ? { accountId: sub, claims: (_use, scope) => ({ ...userClaims(user, new Set(scope.split(' '))), sub }) }
        : undefined,
    interactions: { url: (_ctx, interaction) => `${PATHS.interaction}/${interaction.uid}` },
    // Auth0 refresh token rotation: a new refresh token on every use; reuse of a consumed one revokes the family.
    rotateRefreshToken: true,
    ttl: {
      AccessToken: o.accessTokenTtl,
      AuthorizationCode: 60,
      IdToken: 36_000,
      RefreshToken: o.refreshTokenTtl,
      Interaction: 600,
      Session: 24 * 3600,
      Grant: o.refreshTokenTtl,
    },
    renderError: (ctx, out) => {
      ctx.type = 'json';
      ctx.body = out;
    },
  };
}

export interface ServerArgs {
  options: StandinOptions;
  help: boolean;
}

export const HELP = `Usage: tsx tools/src/auth0-standin/server.ts [options]

A local OpenID Connect server that behaves like an Auth0 tenant (loopback only).
Every option also reads an environment variable (flags win).

  --port <n>              AUTH0_STANDIN_PORT        default ${DEFAULTS.port}
  --issuer <url>          AUTH0_STANDIN_ISSUER      default http://127.0.0.1:<port>/
  --audience <uri>        AUTH0_AUDIENCE            default ${DEFAULTS.audience}
  --client-id <id>        AUTH0_CLIENT_ID           default ${DEFAULTS.clientId}
  --client-secret <s>     AUTH0_CLIENT_SECRET       default: a fixed development secret
  --redirect-uri <url>    AUTH0_STANDIN_REDIRECT_URIS (space/comma list; flag repeatable)
                                                    default ${DEFAULTS.redirectUris.join(' ')}
  --logout-url <url>      AUTH0_STANDIN_LOGOUT_URLS  default ${DEFAULTS.logoutUrls.join(' ')}
  --user-sub <id>         AUTH0_STANDIN_USER_SUB    default ${DEFAULTS.devUser.sub}
  --user-email <email>    AUTH0_STANDIN_USER_EMAIL  default ${DEFAULTS.devUser.email}
  --tenant <id>           AUTH0_STANDIN_TENANT      default ${DEFAULTS.devUser.tenantId}
  --tenant-claim <uri>    AUTH0_STANDIN_TENANT_CLAIM default ${DEFAULTS.tenantClaim}
  --permission <p>        AUTH0_STANDIN_PERMISSIONS (list)  default ${DEFAULTS.devUser.permissions.join(' ')}
  --no-auto-login         AUTH0_STANDIN_AUTO_LOGIN=false: show a one-button login page instead
  -h, --help
`;

const splitList = (values: readonly string[]): string[] => values.flatMap((v) => v.split(/[\s,]+/)).filter((v) => v !== '');

/** argv (without node and script) and the environment to StandinOptions; throws StandinConfigError on bad input. */
export function parseServerArgs(argv: string[], env: NodeJS.ProcessEnv): ServerArgs {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        port: { type: 'string' },
        issuer: { type: 'string' },
        audience: { type: 'string' },
        'client-id': { type: 'string' },
        'client-secret': { type: 'string' },
        'redirect-uri': { type: 'string', multiple: true },
        'logout-url': { type: 'string', multiple: true },
        'user-sub': { type: 'string' },
        'user-email': { type: 'string' },
        tenant: { type: 'string' },
        'tenant-claim': { type: 'string' },
        permission: { type: 'string', multiple: true },
        'no-auto-login': { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (err) {
    throw new StandinConfigError((err as Error).message);
  }
  const v = parsed.values;
  const pick = (flag: string | undefined, name: string): string | undefined => {
    const value = flag ?? env[name];
    return value === undefined || value === '' ? undefined : value;
  };
  const list = (flag: string[] | undefined, name: string): string[] | undefined => {
    if (flag?.length) return splitList(flag);
    const value = env[name];
    return value ? splitList([value]) : undefined;
  };
  const portText = pick(v.port, 'AUTH0_STANDIN_PORT');
  let port: number | undefined;
  if (portText !== undefined) {
    port = /^\d{1,5}$/.test(portText) ? Number(portText) : NaN;
    if (!(port >= 0 && port <= 65535))
      throw new StandinConfigError(`--port/AUTH0_STANDIN_PORT: not a port number: ${JSON.stringify(portText)}`);
  }
  const autoEnv = env.AUTH0_STANDIN_AUTO_LOGIN;
  if (autoEnv !== undefined && autoEnv !== '' && !['true', 'false', '1', '0'].includes(autoEnv)) {
    throw new StandinConfigError(`AUTH0_STANDIN_AUTO_LOGIN: expected true or false: ${JSON.stringify(autoEnv)}`);
  }
  const devUser: Partial<DevUser> = {};
  const sub = pick(v['user-sub'], 'AUTH0_STANDIN_USER_SUB');
  const email = pick(v['user-email'], 'AUTH0_STANDIN_USER_EMAIL');
  const tenant = pick(v.tenant, 'AUTH0_STANDIN_TENANT');
  const permissions = list(v.permission, 'AUTH0_STANDIN_PERMISSIONS');
  if (sub) devUser.sub = sub;
  if (email) devUser.email = email;
  if (tenant) devUser.tenantId = tenant;
  if (permissions) devUser.permissions = permissions;
  const options: StandinOptions = { port: port ?? DEFAULTS.port, devUser };
  const set = <K extends keyof StandinOptions>(key: K, value: StandinOptions[K] | undefined): void => {
    if (value !== undefined) options[key] = value;
  };
  set('issuer', pick(v.issuer, 'AUTH0_STANDIN_ISSUER'));
  set('audience', pick(v.audience, 'AUTH0_AUDIENCE'));
  set('clientId', pick(v['client-id'], 'AUTH0_CLIENT_ID'));
  set('clientSecret', pick(v['client-secret'], 'AUTH0_CLIENT_SECRET'));
  set('redirectUris', list(v['redirect-uri'], 'AUTH0_STANDIN_REDIRECT_URIS'));
  set('logoutUrls', list(v['logout-url'], 'AUTH0_STANDIN_LOGOUT_URLS'));
  set('tenantClaim', pick(v['tenant-claim'], 'AUTH0_STANDIN_TENANT_CLAIM'));
  if (v['no-auto-login'] || autoEnv === 'false' || autoEnv === '0') options.autoLogin = false;
  return { options, help: v.help === true };
}
