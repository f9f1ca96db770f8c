// The demo journey in Chromium, step by step: each step clicks what a user clicks and asserts what the page could read, what the console logged and what cookies the browser holds.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { request } from '../../testkit/http.ts';
import { runDir, type Stack, stackPids, waitFor } from '../../testkit/stack.ts';
import type { LoginFigures, StepResult } from './results.ts';
import { HOSTS } from './tenant.ts';

export interface Origin {
  /** The page's origin, e.g. https://app.zebra.associates. */
  origin: string;
  /** The API the page pairs with on that origin (where its cookie lives). */
  api: string;
}

export const HTTPS_ORIGIN: Origin = { origin: `https://${HOSTS.app}`, api: `https://${HOSTS.api}` };
export const DEV_ORIGIN: Origin = { origin: 'http://localhost:3001', api: 'http://localhost:8080' };
export const REFRESH_COOKIE = 'edge_refresh';

/** Records steps for one mode: timing, console lines, a screenshot after each, pass/fail/n-a. */
export class Recorder {
  readonly results: StepResult[] = [];
  private consoleLines = new WeakMap<Page, string[]>();

  constructor(
    private readonly outDir: string,
    readonly mode: string,
  ) {}

  /**
   * Start keeping `page`'s console (the browser logs its CORS refusals there), its uncaught errors, and
   * every cookie Chromium refuses to store with its reason (DevTools protocol: the console never says).
   */
  async watch(page: Page): Promise<Page> {
    const lines: string[] = [];
    this.consoleLines.set(page, lines);
    page.on('console', (m) => lines.push(`[${m.type()}] ${m.text()}`));
    page.on('pageerror', (e) => lines.push(`[pageerror] ${e.message}`));
    const cdp = await page.context().newCDPSession(page);
    await cdp.send('Network.enable');
    cdp.on('Network.responseReceivedExtraInfo', (e) => {
      for (const b of e.blockedCookies) {
        lines.push(
          `[cookie refused] ${b.cookie?.name ?? b.cookieLine.split('=')[0]}: ${b.blockedReasons.join(', ')} (Set-Cookie: ${b.cookieLine.replace(/=[^;]*/, '=…')})`,
        );
      }
    });
    return page;
  }

  consoleOf(page: Page): string[] {
    return this.consoleLines.get(page) ?? [];
  }

  async step(
    name: string,
    origin: string,
    page: Page,
    check: (consoleSince: () => string[]) => Promise<string>,
  ): Promise<boolean> {
    const lines = this.consoleOf(page);
    const from = lines.length;
    const since = (): string[] => lines.slice(from);
    const started = performance.now();
    let outcome: StepResult['outcome'] = 'pass';
    let detail: string;
    try {
      detail = await check(since);
    } catch (err) {
      outcome = 'fail';
      detail = (err as Error).message.split('\n').slice(0, 4).join(' ');
    }
    const ms = performance.now() - started;
    const screenshot =
      `${this.results.length.toString().padStart(3, '0')}-${this.mode}-${name}-${new URL(origin).host}.png`.replace(
        /[^A-Za-z0-9.-]+/g,
        '-',
      );
    const shot = await page.screenshot({ path: path.join(this.outDir, screenshot), fullPage: true, timeout: 15_000 }).then(
      () => screenshot,
      () => undefined,
    );
    this.results.push({
      step: name,
      origin,
      mode: this.mode,
      outcome,
      ms,
      detail,
      console: since(),
      ...(shot ? { screenshot: shot } : {}),
    });
    return outcome === 'pass';
  }

  notApplicable(name: string, origin: string, why: string): void {
    this.results.push({ step: name, origin, mode: this.mode, outcome: 'n/a', ms: Number.NaN, detail: why, console: [] });
  }
}

function assert(condition: unknown, message: string): asserts condition {
  if (!condition) throw new Error(message);
}

interface Panel {
  outcome: string;
  status: string;
  statusText: string;
  meta: string;
  detail: string;
  body: string;
}

const readPanel = (page: Page, call: string): Promise<Panel | null> =>
  page.evaluate((name) => {
    const el = document.querySelector<HTMLElement>(`.call[data-call="${name}"]`);
    if (!el) return null;
    const text = (sel: string): string => el.querySelector(sel)?.textContent ?? '';
    return {
      outcome: el.dataset.outcome ?? '',
      status: el.dataset.status ?? '',
      statusText: text('.status'),
      meta: text('.meta'),
      detail: text('.detail'),
      body: text('.body'),
    };
  }, call);

const doneCount = (page: Page): Promise<number> => page.evaluate(() => Number(document.body.dataset.done ?? 0));

/** Click a button and wait until the page has finished what the click started (refresh and retry included). */
export async function clickCall(
  page: Page,
  call: string,
  timeoutMs = 30_000,
  button = `button[data-call="${call}"]`,
): Promise<Panel> {
  const before = await doneCount(page);
  await page.click(button);
  return waitDone(page, call, before, timeoutMs);
}

async function waitDone(page: Page, call: string, after: number, timeoutMs: number): Promise<Panel> {
  await page.waitForFunction((n) => Number(document.body.dataset.done ?? 0) > n, after, { timeout: timeoutMs, polling: 100 });
  const panel = await readPanel(page, call);
  if (!panel) throw new Error(`the page shows no ${call} panel`);
  return panel;
}

const session = (page: Page): Promise<{ state: string; text: string; note: string; refreshes: number; expiresAt: number }> =>
  page.evaluate(() => {
    const el = document.getElementById('session')!;
    return {
      state: el.dataset.state ?? '',
      text: el.textContent ?? '',
      note: document.getElementById('session-note')?.textContent ?? '',
      refreshes: Number(el.dataset.refreshes ?? 0),
      expiresAt: Number(el.dataset.expiresAt ?? 0),
    };
  });

/**
 * Wait until a page that navigated away (to the tenant and back) is a new document on `origin` in `state`.
 * The old document is marked first, so its own state (set just before it navigates) cannot satisfy the wait.
 */
async function afterNavigation(
  page: Page,
  origin: string,
  state: string,
  action: () => Promise<void>,
  timeoutMs = 30_000,
): Promise<void> {
  await page.evaluate(() => {
    (window as unknown as { leaving?: boolean }).leaving = true;
  });
  await action();
  await waitFor(async () => {
    try {
      return await page.evaluate(
        ([o, s]) =>
          !(window as unknown as { leaving?: boolean }).leaving &&
          location.origin === o &&
          document.body.dataset.ready === 'true' &&
          document.getElementById('session')?.dataset.state === s,
        [origin, state] as const,
      );
    } catch {
      return false; // the context went away mid-check: a navigation is under way
    }
  }, timeoutMs);
}

/** Open the page and wait until it has settled its session (restored, or logged out). */
export async function openPage(page: Page, url: string): Promise<void> {
  await page.goto(url, { waitUntil: 'load', timeout: 30_000 });
  await page.waitForFunction(() => document.body.dataset.ready === 'true', undefined, { timeout: 30_000, polling: 100 });
}

// All of the jar, not cookies(url): the cookie's Path is /api/v1/auth, so a lookup by the API's root URL misses it.
const refreshCookie = async (context: BrowserContext, api: string) =>
  (await context.cookies()).find((c) => c.name === REFRESH_COOKIE && c.domain === new URL(api).hostname);

/** Click "Log in" and follow the redirects to the tenant and back; resolves with the time to "Logged in". */
export async function logIn(page: Page, origin: string, timeoutMs = 30_000): Promise<number> {
  const started = performance.now();
  try {
    await afterNavigation(page, origin, 'logged-in', () => page.click('button[data-auth="login"]'), timeoutMs);
  } catch (err) {
    // Say what the user would see: the page's own words and the login call's answer.
    const said = await session(page).then(
      (s) => `the page says "${s.text}" (${s.note})`,
      () => `the page is at ${page.url()}`,
    );
    const p = await readPanel(page, 'login').catch(() => null);
    throw new Error(
      `the login did not complete: ${said}${p ? `; the login call answered ${p.statusText}: ${p.detail}` : ''} [${(err as Error).message}]`,
    );
  }
  return performance.now() - started;
}

/** The happy path from one origin: log in, who am I, items, expiry and refresh, reload, log out, log in again. */
export async function journey(rec: Recorder, context: BrowserContext, page: Page, o: Origin): Promise<void> {
  const authorizeUrls: URL[] = [];
  const callbackUrls: URL[] = [];
  page.on('request', (r) => {
    const u = new URL(r.url());
    if (u.host === HOSTS.tenant && u.pathname === '/authorize') authorizeUrls.push(u);
    if (u.origin === o.origin && u.pathname === '/callback') callbackUrls.push(u);
  });
  const step = (name: string, check: (since: () => string[]) => Promise<string>) => rec.step(name, o.origin, page, check);

  await step('open the page', async () => {
    await openPage(page, `${o.origin}/`);
    const s = await session(page);
    assert(s.state === 'logged-out', `the page says ${s.state} ("${s.text}") before any login`);
    const api = await page.textContent('#api');
    assert(api === o.api, `the page pairs with ${api}, expected ${o.api}`);
    return `the page on ${o.origin} pairs with ${o.api} and says "${s.text}"`;
  });

  await step('log in', async () => {
    const ms = await logIn(page, o.origin);
    const a = authorizeUrls.at(-1);
    const c = callbackUrls.at(-1);
    assert(a, "the browser never went to the tenant's /authorize");
    assert(
      a.searchParams.get('code_challenge_method') === 'S256' && a.searchParams.get('code_challenge'),
      `no PKCE (S256) on /authorize: ${a.search}`,
    );
    assert(
      a.searchParams.get('state') && a.searchParams.get('scope')?.includes('offline_access'),
      `/authorize without state or offline_access: ${a.search}`,
    );
    assert(
      c?.searchParams.get('code') && c.searchParams.get('state') === a.searchParams.get('state'),
      'the callback did not carry the code and the same state',
    );
    const cookie = await refreshCookie(context, o.api);
    assert(cookie, `Chromium holds no ${REFRESH_COOKIE} cookie for ${o.api} after the login (dropped or never set)`);
    assert(
      cookie.httpOnly && cookie.secure && cookie.sameSite === 'Strict',
      `the refresh cookie is not HttpOnly; Secure; SameSite=Strict: ${JSON.stringify(cookie)}`,
    );
    const visible = await page.evaluate(() => document.cookie);
    assert(!visible.includes(REFRESH_COOKIE), 'the page script can read the refresh cookie');
    const text = (await session(page)).text;
    assert(!(await page.content()).match(/eyJ[A-Za-z0-9_-]{20,}\./), 'a token is printed on the page');
    return `${text} in ${Math.round(ms)} ms; /authorize had state + PKCE S256 + offline_access; the cookie is HttpOnly, Secure, SameSite=Strict and invisible to the page; no token on the page`;
  });

  await step('who am I', async () => {
    const p = await clickCall(page, 'me');
    assert(p.status === '200', `GET /api/v1/auth/me answered ${p.statusText} ${p.detail}`);
    assert(p.body.includes('"tenant_id": "zebra"'), `me does not name the tenant: ${p.body}`);
    return `200 with the tenant claim; ${p.meta}`;
  });

  await step('create and list items', async () => {
    const name = `rehearsal ${o.origin} ${Date.now()}`;
    await page.fill('#name', name);
    const created = await clickCall(page, 'create');
    assert(created.status === '201', `POST /api/v1/items answered ${created.statusText} ${created.detail}`);
    const listed = await clickCall(page, 'list');
    assert(listed.status === '200' && listed.body.includes(name), `the list does not hold the new item: ${listed.statusText}`);
    return `created (201) and listed (200): "${name}"`;
  });

  await step('token expires, the cookie refreshes it', async () => {
    const before = await session(page);
    assert(before.expiresAt > 0, 'the page does not know when its access token expires');
    // Wait for the token's own expiry (the API runs with no leeway), not for a fixed time.
    await waitFor(async () => Date.now() > before.expiresAt + 1000, 120_000);
    const p = await clickCall(page, 'list', 30_000);
    const after = await session(page);
    assert(p.status === '200', `after expiry the list answered ${p.statusText} ${p.detail}`);
    assert(after.refreshes > before.refreshes, 'the list succeeded without a refresh: the token did not expire?');
    assert(after.note.includes('expired'), `the page does not say why it refreshed: "${after.note}"`);
    return `the expired token was refused, the page renewed it with the cookie alone and the list answered 200 ("${after.note}")`;
  });

  await step('reload restores the session', async () => {
    await openPage(page, `${o.origin}/`);
    const s = await session(page);
    assert(
      s.state === 'logged-in' && s.note.includes('restored'),
      `after a reload the page says ${s.state} "${s.text}" "${s.note}"`,
    );
    return `${s.text}: ${s.note}`;
  });

  await step('log out', async () => {
    // Out through the tenant's /v2/logout and back to the page.
    await afterNavigation(page, o.origin, 'logged-out', () => page.click('button[data-auth="logout"]'));
    const s = await session(page);
    assert(s.text.includes('Logged out'), `after logout the page says "${s.text}"`);
    const cookie = await refreshCookie(context, o.api);
    assert(!cookie, 'Chromium still holds the refresh cookie after logout');
    return `the page says "${s.text} ${s.note}"; the cookie is gone`;
  });

  await step('refresh refused after logout', async () => {
    const p = await clickCall(page, 'refresh', 30_000, 'button[data-auth="refresh"]');
    const s = await session(page);
    assert(p.status === '401', `a refresh after logout answered ${p.statusText}`);
    assert(s.state === 'logged-out', `the page says ${s.state} after the refused refresh`);
    return `401 (${p.detail}); the page says "${s.text}"`;
  });

  await step('log in again', async () => {
    const ms = await logIn(page, o.origin);
    assert(await refreshCookie(context, o.api), 'no refresh cookie after the second login');
    return `${(await session(page)).text} in ${Math.round(ms)} ms`;
  });
}

/**
 * Bytes waiting unread on a connection to the stack's API: a request that reached a stopped API. With
 * API_TRANSPORT=unix, on the accepted ends of its socket (iproute2's `ss -x` reads their receive queues,
 * which /proc/net/unix does not show); with tcp, on established connections to API_PORT.
 */
function unreadBytes(stack: Stack): number {
  const socket = stack.mode === 'sidecar' ? path.join(runDir(stack), 'api.sock') : '';
  if (socket && existsSync(socket)) {
    const out = spawnSync('ss', ['-xHn', 'src', socket], { encoding: 'utf8' }).stdout ?? '';
    return Math.max(0, ...out.split('\n').map((line) => Number(line.trim().split(/\s+/)[2] ?? 0) || 0));
  }
  const port = stack.apiPort;
  let total = 0;
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let lines: string[];
    try {
      lines = readFileSync(file, 'utf8').split('\n').slice(1);
    } catch {
      continue;
    }
    for (const line of lines) {
      const f = line.trim().split(/\s+/);
      if (f.length < 5 || f[3] !== '01' || Number.parseInt(f[1]!.split(':').pop()!, 16) !== port) continue;
      total = Math.max(total, Number.parseInt(f[4]!.split(':')[1]!, 16));
    }
  }
  return total;
}

const signal = (pid: number, sig: NodeJS.Signals): void => {
  try {
    process.kill(pid, sig);
  } catch {
    // gone already: the watchdog or supervisord got there first
  }
};

async function healthy(stack: Stack): Promise<void> {
  await waitFor(async () => (await request(`${stack.base}/health`, { timeoutMs: 2000 })).status === 200, 120_000);
}

/** The API hung, killed, and killed with a POST in flight, as the user on the production origin sees them. */
export async function failures(rec: Recorder, page: Page, stack: Stack, upstreamTimeout: number): Promise<void> {
  const origin = HTTPS_ORIGIN.origin;
  const step = (name: string, check: (since: () => string[]) => Promise<string>) => rec.step(name, origin, page, check);
  const proxyMade =
    'direct mode has no proxy in front of the API: nothing can answer 502/504 for it, so the browser sees a network error (docs/rollback.md)';
  if (stack.mode !== 'sidecar') {
    rec.notApplicable('API hung: readable 504', origin, proxyMade);
    rec.notApplicable('API killed: GET served after restart', origin, proxyMade);
    rec.notApplicable('API killed with a POST in flight: readable 502', origin, proxyMade);
    return;
  }
  await step('API hung: readable 504', async (since) => {
    const pid = stack.apiPid();
    // The watchdog would kill a hung API after ~10-15 s (its job, tested elsewhere); frozen beside it, the
    // step sees what the proxy answers for as long as the API stays hung, whatever UPSTREAM_TIMEOUT is.
    const watchdog = stackPids(stack.port, (argv) => argv.includes('edge_sidecar.watchdog'));
    for (const w of watchdog) signal(w, 'SIGSTOP');
    signal(pid, 'SIGSTOP');
    try {
      const started = performance.now();
      const p = await clickCall(page, 'list', (upstreamTimeout + 20) * 1000);
      const took = (performance.now() - started) / 1000;
      assert(p.status === '504', `a GET to the hung API answered ${p.statusText} ${p.detail}`);
      assert(p.detail.includes('did not answer in time'), `the 504's reason is not on the page: "${p.detail}"`);
      // Caddy answers at UPSTREAM_TIMEOUT; the margin is for a loaded machine's browser, not for Caddy.
      assert(took <= upstreamTimeout + 5, `the 504 took ${took.toFixed(1)} s, UPSTREAM_TIMEOUT is ${upstreamTimeout} s`);
      assert(!since().some((l) => l.includes('CORS policy')), 'the browser logged a CORS error for the 504');
      return `504 "${p.detail}" shown after ${took.toFixed(1)} s (UPSTREAM_TIMEOUT ${upstreamTimeout} s), readable: no CORS error`;
    } finally {
      signal(pid, 'SIGCONT');
      for (const w of watchdog) signal(w, 'SIGCONT');
      await healthy(stack);
    }
  });

  await step('API killed: GET served after restart', async (since) => {
    const pid = stack.apiPid();
    signal(pid, 'SIGKILL');
    const p = await clickCall(page, 'list', 60_000);
    assert(p.status === '200', `a GET right after kill -9 answered ${p.statusText} ${p.detail}`);
    assert(!since().some((l) => l.includes('CORS policy')), 'the browser logged a CORS error');
    await healthy(stack);
    return `kill -9 of uvicorn (pid ${pid}); the next list answered 200 after the restart (${p.meta})`;
  });

  await step('API killed with a POST in flight: readable 502', async (since) => {
    const pid = stack.apiPid();
    signal(pid, 'SIGSTOP');
    try {
      await page.fill('#name', `in flight ${Date.now()}`);
      const before = await doneCount(page);
      await page.click('button[data-call="create"]');
      // The POST has reached the stopped API when its bytes wait unread on a connection to it
      // (a watchdog probe is a short GET; the POST carries a bearer token, well over 600 bytes).
      await waitFor(async () => unreadBytes(stack) > 600, 30_000);
      signal(pid, 'SIGKILL');
      const p = await waitDone(page, 'create', before, 30_000);
      assert(p.status === '502', `the POST in flight answered ${p.statusText} ${p.detail}`);
      assert(p.detail.includes('not answering'), `the 502's reason is not on the page: "${p.detail}"`);
      assert(!since().some((l) => l.includes('CORS policy')), 'the browser logged a CORS error for the 502');
      return `502 "${p.detail}", readable, not retried (a POST may have had its effect)`;
    } finally {
      signal(pid, 'SIGCONT');
      await healthy(stack);
    }
  });
}

/** /health with the database down (the stack given an unreachable DATABASE_URL), read on the page. */
export async function databaseDown(rec: Recorder, page: Page): Promise<void> {
  await rec.step('database down: /health 503 names db', HTTPS_ORIGIN.origin, page, async (since) => {
    await openPage(page, `${HTTPS_ORIGIN.origin}/`);
    const p = await clickCall(page, 'health');
    assert(p.status === '503', `/health answered ${p.statusText} with the database down`);
    assert(
      p.detail.includes('db is failing') && p.body.includes('"failing": "db"'),
      `the page does not name db: "${p.detail}" ${p.body}`,
    );
    assert(!since().some((l) => l.includes('CORS policy')), 'the browser logged a CORS error for the 503');
    return `503 "${p.detail}", readable on the page`;
  });
}

const CORS_REFUSED = 'has been blocked by CORS policy';

/** A page on a disallowed origin, and the app on http://: nothing readable, preflights refused, cookies untouchable. */
export async function negatives(rec: Recorder, context: BrowserContext, page: Page): Promise<void> {
  const evil = `https://${HOSTS.evil}`;
  const api = HTTPS_ORIGIN.api;
  // Only what crosses into the page as JSON: RequestInit itself (DOM's and @types/node's undici's) does not survive the serialisation types.
  const probe = (init: {
    path: string;
    method?: string;
    credentials: 'include' | 'omit' | 'same-origin';
    headers?: Record<string, string>;
    body?: string;
  }) =>
    page.evaluate(
      async ({ url, init }) =>
        fetch(url, init).then(
          (r) => `read ${r.status}`,
          (e: Error) => `rejected: ${e.message}`,
        ),
      { url: api + init.path, init: { ...init, path: undefined } },
    );

  await rec.step('disallowed origin cannot read', evil, page, async (since) => {
    await openPage(page, `${evil}/?api=${encodeURIComponent(api)}`);
    const p = await clickCall(page, 'list');
    const health = await probe({ path: '/health', credentials: 'include' });
    assert(health.startsWith('rejected'), `a page on ${evil} could read /health: ${health}`);
    assert(p.outcome === 'blocked', `the list on ${evil} ended "${p.outcome}" ${p.statusText}`);
    const warning = await page.textContent('#origin-warning');
    assert(
      warning?.includes("not allowed by the API's CORS policy") && (await page.isVisible('#origin-warning')),
      'the page does not explain the origin refusal',
    );
    const logged = since().find((l) => l.includes(CORS_REFUSED) && l.includes(`from origin '${evil}'`));
    assert(logged, 'the console has no CORS refusal for the disallowed origin');
    return `fetch rejected (${health}); the page says "${warning}"; console: ${logged}`;
  });

  await rec.step('disallowed origin: preflight refused', evil, page, async (since) => {
    const put = await probe({
      path: '/api/v1/items/1',
      method: 'PUT',
      credentials: 'include',
      headers: { 'Content-Type': 'application/json', 'X-Tenant-ID': 'zebra' },
      body: '{}',
    });
    assert(put.startsWith('rejected'), `a preflighted PUT from ${evil} was readable: ${put}`);
    const logged = since().find((l) => l.includes(CORS_REFUSED) && l.includes('preflight'));
    assert(logged, 'the console has no preflight refusal');
    return `PUT rejected; console: ${logged}`;
  });

  await rec.step('disallowed origin cannot drive the cookie endpoints', evil, page, async (since) => {
    const before = await refreshCookie(context, api);
    assert(before, 'no app session to attack: the journey should have left one');
    const results = [
      await probe({
        path: '/api/v1/auth/refresh',
        method: 'POST',
        credentials: 'include',
        headers: { 'X-Requested-With': 'fetch' },
      }),
      await probe({
        path: '/api/v1/auth/logout',
        method: 'POST',
        credentials: 'include',
        headers: { 'X-Requested-With': 'fetch' },
      }),
      // A "simple" request sends no preflight; SameSite=Strict keeps the cookie off it and the CSRF guard refuses it.
      await probe({ path: '/api/v1/auth/refresh', method: 'POST', credentials: 'include' }),
    ];
    assert(
      results.every((r) => r.startsWith('rejected')),
      `a cookie endpoint was readable from ${evil}: ${results.join(' | ')}`,
    );
    const after = await refreshCookie(context, api);
    assert(
      after && after.value === before.value,
      "the app's refresh cookie changed (rotated or cleared) by requests from the disallowed origin",
    );
    assert(
      since().some((l) => l.includes(CORS_REFUSED)),
      'the console has no CORS refusal',
    );
    return `refresh and logout rejected (${results.length} attempts); the app's refresh cookie is unchanged`;
  });

  const plain = `http://${HOSTS.app}`;
  await rec.step('the app on http:// is refused', plain, page, async (since) => {
    await openPage(page, `${plain}/?api=${encodeURIComponent(api)}`);
    const p = await clickCall(page, 'list');
    assert(p.outcome === 'blocked', `the list on ${plain} ended "${p.outcome}" ${p.statusText}`);
    const logged = since().find((l) => l.includes(CORS_REFUSED) && l.includes(`from origin '${plain}'`));
    assert(logged, 'the console has no CORS refusal for the http:// origin');
    return `blocked; console: ${logged}`;
  });
}

/** The full login `attempts` times from the production origin, each from a fresh cookie jar. */
export async function repeatLogins(context: BrowserContext, attempts: number, mode: string): Promise<LoginFigures> {
  const figures: LoginFigures = { mode, attempts, successes: 0, ms: [], failures: [] };
  const page = await context.newPage();
  for (let i = 0; i < attempts; i += 1) {
    try {
      await context.clearCookies();
      await openPage(page, `${HTTPS_ORIGIN.origin}/`);
      figures.ms.push(await logIn(page, HTTPS_ORIGIN.origin));
      figures.successes += 1;
    } catch (err) {
      figures.failures.push(`attempt ${i + 1}: ${(err as Error).message.split('\n')[0]}`);
    }
  }
  await page.close();
  return figures;
}
