// What `make run` prints: the waiting line, the URLs once /health answers 200, and why it gave up otherwise.

/** How long `make run` waits for /health to answer 200 (a first start on a loaded machine is slow). */
export const READY_TIMEOUT_MS = 180_000;

export const WAITING_LINE = 'make run: waiting for the stack to answer /health ...';

export interface DemoUrls {
  /** The sidecar's public port (Caddy). */
  port: string;
  /** The stand-in's issuer, with its trailing slash. */
  issuer: string;
  devUserEmail: string;
  tenantId: string;
  /** The demo page's origin, e.g. http://localhost:3001. */
  pageUrl: string;
}

/** The demo page with the API it talks to: the one URL to open. */
export function openUrl(u: DemoUrls): string {
  return `${u.pageUrl}/?api=http://localhost:${u.port}`;
}

/** The URL block, ending with one easy-to-find `==> open ...` line. */
export function banner(u: DemoUrls): string {
  return `
  edge-sidecar demo
    API through Caddy   http://localhost:${u.port}   (health: /health, items: /api/v1/items, login: /api/v1/auth/*)
    Auth0 stand-in      ${u.issuer}   (logs in ${u.devUserEmail}, tenant ${u.tenantId}, without a form)
    demo page           ${openUrl(u)}
  Ctrl-C stops everything.

==> open ${openUrl(u)}
`;
}

/** The stack ended before /health answered 200. */
export function exitedBeforeReady(code: number | null, signal: string | null): string {
  const how = code !== null ? `with exit code ${code}` : `on signal ${signal ?? 'unknown'}`;
  return `make run: the stack exited ${how} before it answered /health with 200; its last log lines above say why.`;
}

/** /health did not answer 200 in time; `last` is what the last check got (a status or an error). */
export function notReadyInTime(timeoutMs: number, last: string): string {
  return `make run: the stack did not answer /health with 200 within ${Math.round(timeoutMs / 1000)} s (last: ${last}); stopping it.`;
}
