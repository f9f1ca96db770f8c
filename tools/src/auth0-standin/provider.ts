// oidc-provider set up as the Auth0 tenant, with Auth0's token-endpoint behaviour where the two differ.
import type http from 'node:http';
import Provider from 'oidc-provider';
import type { MemoryStore } from './adapter.ts';
import { PATHS, providerConfiguration, type ResolvedOptions } from './config.ts';
import type { SigningKey } from './keys.ts';

/** A provider and its request listener; rebuilt whole when the keys rotate (the store keeps the sessions). */
export interface ProviderHandle {
  provider: Provider;
  callback: http.RequestListener;
}

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

export function buildProvider(
  o: ResolvedOptions,
  store: MemoryStore,
  cookieKeys: string[],
  signingKeys: readonly SigningKey[],
): ProviderHandle {
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
}
