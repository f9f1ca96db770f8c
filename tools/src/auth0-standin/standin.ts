// Runs the Auth0 stand-in: oidc-provider behind a node:http server on 127.0.0.1 that adds Auth0's extras and test switches.
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { MemoryStore } from './adapter.ts';
import { type DevUser, PATHS, type ResolvedOptions, resolveOptions, type StandinOptions } from './config.ts';
import { assertKeySet, generateSigningKey, type PublicJwk, publicJwks, type SigningKey } from './keys.ts';
import { buildProvider } from './provider.ts';
import { dispatch, type JwksMode, json, releaseHung, type StandinState, type StandinStats } from './routes.ts';

export type { JwksMode, StandinStats } from './routes.ts';

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
  endpoints: {
    authorize: string;
    token: string;
    jwks: string;
    userinfo: string;
    revoke: string;
    logout: string;
    discovery: string;
  };
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

/** Starts the stand-in on 127.0.0.1; resolves once it accepts requests. */
export async function startStandin(options: StandinOptions = {}): Promise<Standin> {
  const keysIn = options.keys ?? [generateSigningKey('standin-1')];
  assertKeySet(keysIn);
  const keys: SigningKey[] = keysIn.map((k) => ({ ...k }));
  // The issuer (and so every option) depends on the port, known only once the server listens.
  const { server, serve } = await listen(options.port ?? 0);
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
  const state: StandinState = {
    o,
    keys,
    current: buildProvider(o, store, cookieKeys, keys),
    stats: { jwksRequests: 0, tokenRequests: 0, userinfoRequests: 0 },
    jwksMode: 'up',
    hung: new Set(),
  };
  serve((req, res) => dispatch(state, req, res));
  return standinHandle(state, server, port, store, cookieKeys);
}

/** A server on 127.0.0.1 that answers 503 until `serve` hands it the routes. */
async function listen(port: number): Promise<{ server: http.Server; serve: (routes: http.RequestListener) => void }> {
  let routes: http.RequestListener = (_req, res) => json(res, 503, { error: 'starting' });
  const server = http.createServer((req, res) => routes(req, res));
  // Bound the time a stuck client can hold a connection; `hang` responses are ended by stop().
  server.headersTimeout = 10_000;
  server.requestTimeout = 30_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  return {
    server,
    serve: (next) => {
      routes = next;
    },
  };
}

/** The caller's view of a running stand-in: its settings, and the switches tests flip. */
function standinHandle(
  state: StandinState,
  server: http.Server,
  port: number,
  store: MemoryStore,
  cookieKeys: string[],
): Standin {
  const { o } = state;
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
    jwks: () => publicJwks(state.keys),
    signingKid: () => state.keys[0]!.kid,
    rotateKeys: (next) => {
      assertKeySet(next);
      state.keys = next.map((k) => ({ ...k }));
      state.current = buildProvider(o, store, cookieKeys, state.keys);
    },
    setJwksMode: (mode) => {
      state.jwksMode = mode;
      if (mode !== 'hang') releaseHung(state);
    },
    stats: () => ({ ...state.stats }),
    stop: async () => {
      releaseHung(state);
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await closed;
      store.clear();
    },
  };
}
