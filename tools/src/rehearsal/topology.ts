// The production topology on one machine: TLS edge -> sidecar (or direct) stack, the tenant behind the edge, the page on both origins, and Chromium resolving every name to loopback.
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { type Browser, type BrowserContext, chromium } from 'playwright-core';
import { freePort, type Stack, startStack } from '../../testkit/stack.ts';
import { type Standin, startStandin } from '../auth0-standin/standin.ts';
import { type DemoServer, startDemoPage } from '../demo/server.ts';
import { makeCa, type RehearsalCa, trustInNss } from './ca.ts';
import { type Edge, type Routes, startEdge } from './edge.ts';
import { HOSTS, tenantOptions } from './tenant.ts';

export type Mode = 'sidecar' | 'direct';

/** The development pairing the page uses on localhost (app :3001 -> API :8080), remapped in the browser. */
export const DEV = { pagePort: 3001, apiPort: 8080 } as const;

/** Variables the rehearsal decides for the stack; anything else comes from the caller's environment. */
const OWNED = new Set([
  'PATH',
  'PORT',
  'PROXY_MODE',
  'API_PORT',
  'APP_MODULE',
  'PYTHONPATH',
  'HTTPS_PROXY',
  'https_proxy',
  'NO_PROXY',
  'no_proxy',
  'SSL_CERT_FILE',
]);
const isAuth0 = (name: string): boolean => name.startsWith('AUTH0_');

/**
 * The stack's environment: the caller's (so `CORS_ALLOW_ORIGINS=... make rehearse` rehearses that policy,
 * as `make serve` would serve it), the rehearsal's tenant, and defaults the caller may override.
 */
export function stackEnv(
  caller: NodeJS.ProcessEnv,
  parts: { tenant: Standin; egressPort: number; caFile: string; dbFile: string },
): Record<string, string> {
  const passed = Object.fromEntries(
    Object.entries(caller).filter((e): e is [string, string] => e[1] !== undefined && !OWNED.has(e[0]) && !isAuth0(e[0])),
  );
  return {
    // Short, so the hung-API step waits 10 s for its 504, not the production 30 s; it is also Caddy's
    // retry window for the restart after a kill -9 (min(10 s, UPSTREAM_TIMEOUT), deploy/Caddyfile).
    UPSTREAM_TIMEOUT: '10',
    // The rehearsal's edge forwards from loopback; in production the platform's range is the default.
    TRUSTED_PROXIES: '127.0.0.1',
    DATABASE_URL: `sqlite:///${parts.dbFile}`,
    ...passed,
    AUTH0_DOMAIN: HOSTS.tenant,
    AUTH0_ISSUER: '',
    AUTH0_AUDIENCE: parts.tenant.audience,
    AUTH0_CLIENT_ID: parts.tenant.clientId,
    AUTH0_CLIENT_SECRET: parts.tenant.clientSecret,
    AUTH0_TENANT_CLAIM: parts.tenant.tenantClaim,
    // No grace after expiry, so the rehearsal sees the token refused the moment it expires.
    AUTH0_LEEWAY: '0',
    // The API reaches https://<tenant>/ through the edge's egress proxy and trusts the rehearsal's CA
    // (urllib honours both variables); nothing on loopback goes through the proxy.
    HTTPS_PROXY: `http://127.0.0.1:${parts.egressPort}`,
    NO_PROXY: '127.0.0.1,localhost',
    SSL_CERT_FILE: parts.caFile,
  };
}

/** Chromium's --host-resolver-rules: each rehearsal name to the edge, the dev ports to their servers, the rest nowhere. */
export function resolverRules(edge: Pick<Edge, 'httpsPort' | 'httpPort'>, pagePort: number, stackPort: number): string {
  return [
    ...Object.values(HOSTS).map((host) => `MAP ${host}:443 127.0.0.1:${edge.httpsPort}`),
    `MAP ${HOSTS.app}:80 127.0.0.1:${edge.httpPort}`,
    `MAP localhost:${DEV.pagePort} 127.0.0.1:${pagePort}`,
    `MAP localhost:${DEV.apiPort} 127.0.0.1:${stackPort}`,
    'MAP * ~NOTFOUND',
  ].join(', ');
}

export interface Shared {
  dir: string;
  ca: RehearsalCa;
  home: string;
  tenant: Standin;
  page: DemoServer;
  pagePort: number;
  edge: Edge;
  routes: Routes;
  close(): Promise<void>;
}

/** What both modes share: CA, the tenant (stand-in), the page server and the edge. */
export async function startShared(dir: string): Promise<Shared> {
  const ca = makeCa(path.join(dir, 'ca'), Object.values(HOSTS));
  const home = path.join(dir, 'browser-home');
  trustInNss(home, ca.caFile);
  const tenant = await startStandin({ ...tenantOptions(randomBytes(24).toString('base64url')), port: 0 });
  const pagePort = await freePort();
  const page = await startDemoPage(pagePort);
  const routes: Routes = { [HOSTS.app]: pagePort, [HOSTS.evil]: pagePort, [HOSTS.tenant]: tenant.port };
  const edge = await startEdge(routes, ca);
  return {
    dir,
    ca,
    home,
    tenant,
    page,
    pagePort,
    edge,
    routes,
    close: async () => {
      await Promise.allSettled([edge.close(), page.close(), tenant.stop()]);
    },
  };
}

export interface ModeRun {
  mode: Mode;
  stack: Stack;
  browser: Browser;
  close(): Promise<void>;
}

/** One stack in `mode` behind the edge (as api.zebra.associates and localhost:8080), and a browser for it. */
export async function startMode(
  shared: Shared,
  mode: Mode,
  env: Record<string, string>,
  readyPath = '/health',
): Promise<ModeRun> {
  const stack = await startStack({ mode, fakeApp: false, env, readyPath, readyTimeoutMs: 120_000 });
  shared.routes[HOSTS.api] = stack.port;
  let browser: Browser;
  try {
    browser = await launchBrowser(shared, stack.port);
  } catch (err) {
    await stack.stop();
    throw err;
  }
  return {
    mode,
    stack,
    browser,
    close: async () => {
      await browser.close().catch(() => undefined);
      await stack.stop();
    },
  };
}

/** Debian's Chromium (no browser download), trusting the rehearsal's CA and resolving names as above. */
function launchBrowser(shared: Shared, stackPort: number): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    // HOME holds the NSS database that trusts the rehearsal's CA (ca.ts).
    env: { ...process.env, HOME: shared.home },
    args: [`--host-resolver-rules=${resolverRules(shared.edge, shared.pagePort, stackPort)}`],
  });
}

/**
 * A browser context at a laptop's size. tsx compiles functions handed to page.evaluate with esbuild's
 * keepNames, which calls a `__name` helper that only exists in Node; the page gets a no-op one.
 */
export async function newContext(browser: Browser): Promise<BrowserContext> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  await context.addInitScript('globalThis.__name = (target) => target;');
  return context;
}
