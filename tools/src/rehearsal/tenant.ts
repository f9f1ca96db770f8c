// The rehearsal's names and its Auth0 tenant: the settings docs/auth0-setup.md tells you to make in the real tenant.
import type { StandinOptions } from '../auth0-standin/config.ts';

/** Host names the rehearsal serves over TLS; the browser and the API reach them on loopback only. */
export const HOSTS = {
  app: 'app.zebra.associates',
  api: 'api.zebra.associates',
  /** The Auth0 tenant's domain (AUTH0_DOMAIN); played by the stand-in behind the rehearsal's edge. */
  tenant: 'zebra-demo.eu.auth0.com',
  /** A disallowed origin's host: the same page served there must not be able to read the API. */
  evil: 'evil.example',
} as const;

/** The two origins the browser app runs on (production and development). */
export const APP_ORIGINS = [`https://${HOSTS.app}`, 'http://localhost:3001'] as const;

/**
 * The tenant as docs/auth0-setup.md sets it up, in the stand-in's terms. Only the access token lifetime
 * differs from production (3600 s there): short, so the rehearsal sees a token expire and refresh.
 */
export const REHEARSAL_ACCESS_TOKEN_TTL = 20;

export const TENANT = {
  /** Auth0 API: identifier (the audience), RS256, permissions, RBAC with permissions in the token. */
  audience: 'https://api.zebra.associates',
  apiScopes: ['read:items', 'write:items'],
  /** Access and ID tokens are signed RS256 and checked against the tenant's JWKS (the stand-in's fixed choice). */
  signingAlg: 'RS256',
  /** Auth0 application (Regular Web Application, Client Secret (Post)): callbacks and logout URLs. */
  applicationType: 'regular_web',
  /** How the API authenticates at /oauth/token: the secret in the form (backend/edge_api/auth/idp.py). */
  tokenEndpointAuthMethod: 'client_secret_post',
  /** What the API asks /authorize for (backend/edge_api/auth/session.py SCOPE); offline_access = a refresh token. */
  scope: 'openid profile email offline_access',
  clientId: 'edge-sidecar-rehearsal',
  redirectUris: APP_ORIGINS.map((o) => `${o}/callback`),
  logoutUrls: APP_ORIGINS.map((o) => `${o}/`),
  /** The post-login Action's namespaced claim. */
  tenantClaim: 'https://zebra.associates/tenant_id',
  /** Refresh token rotation on (reuse of a spent one revokes the family); absolute lifetime 30 days. */
  refreshTokenRotation: true,
  refreshTokenTtl: 30 * 24 * 3600,
  devUser: {
    sub: 'auth0|rehearsal-user',
    email: 'demo@zebra.associates',
    name: 'Demo User',
    tenantId: 'zebra',
    permissions: ['read:items', 'write:items'],
  },
} as const;

/** Stand-in options for the rehearsal's tenant (the client secret is generated per run). */
export function tenantOptions(clientSecret: string, accessTokenTtl = REHEARSAL_ACCESS_TOKEN_TTL): StandinOptions {
  return {
    issuer: `https://${HOSTS.tenant}/`,
    audience: TENANT.audience,
    apiScopes: [...TENANT.apiScopes],
    clientId: TENANT.clientId,
    clientSecret,
    redirectUris: [...TENANT.redirectUris],
    logoutUrls: [...TENANT.logoutUrls],
    tenantClaim: TENANT.tenantClaim,
    accessTokenTtl,
    refreshTokenTtl: TENANT.refreshTokenTtl,
    devUser: { ...TENANT.devUser, permissions: [...TENANT.devUser.permissions] },
  };
}
