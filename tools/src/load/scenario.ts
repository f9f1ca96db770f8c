// The virtual user of the demo: who it is, what one iteration of its loop sends, and the browser state it keeps (pure).
import { type HeaderLines, headerTokens, headerValues } from '../probe/headers.ts';
import { createdItem, type Expect, itemList, type PreflightAsk, tokenAnswer } from './check.ts';
import type { Kind } from './tally.ts';

/** The app's two origins (production and local demo page): users alternate between them. */
export const ORIGINS = ['https://app.zebra.associates', 'http://localhost:3001'] as const;
export const ITEMS = '/api/v1/items';
export const REFRESH = '/api/v1/auth/refresh';
/** The list page shows at most this many items (the API's default limit): the stacks are seeded to it. */
export const PAGE_ITEMS = 50;

export interface UserSpec {
  index: number;
  origin: string;
  /** The app's callback on that origin (the stand-in must allow it). */
  redirectUri: string;
}

export function userSpec(index: number): UserSpec {
  const origin = ORIGINS[index % ORIGINS.length]!;
  return { index, origin, redirectUri: `${origin}/callback` };
}

/** A logged-in page: its access token (in memory) and the refresh cookie its browser holds. */
export interface Session {
  accessToken: string;
  /** Epoch ms at which the access token expires (received + expires_in). */
  expiresAt: number;
  refreshCookie: string;
}

/** Refresh before each request once the token expires within the margin (as the app's fetch wrapper does). */
export const needsRefresh = (s: Session, now: number, marginMs: number): boolean => s.expiresAt - now <= marginMs;

/** mulberry32: a small seeded PRNG in [0, 1), so a seed gives the same think times and POST choices. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A pause uniform in 0.5–1.5 × the mean. */
export const thinkTime = (meanMs: number, random: () => number): number => meanMs * (0.5 + random());

/** One API call of the page, with what a browser preflights for it and what the page expects back. */
export interface Call {
  kind: Exclude<Kind, 'login' | 'preflight'>;
  method: 'GET' | 'POST';
  path: string;
  /** Non-safelisted request headers, lower-case: what the preflight asks for (Access-Control-Request-Headers). */
  preflightHeaders: readonly string[];
  expect: Expect;
}

export const CALLS = {
  get: { kind: 'get', method: 'GET', path: ITEMS, preflightHeaders: ['authorization'], expect: { status: 200, body: itemList } },
  post: {
    kind: 'post',
    method: 'POST',
    path: ITEMS,
    preflightHeaders: ['authorization', 'content-type'],
    expect: { status: 201, body: createdItem },
  },
  // The app's fetch adds X-Requested-With to cookie-bound POSTs (the API's CSRF guard); the cookie rides along.
  refresh: {
    kind: 'refresh',
    method: 'POST',
    path: REFRESH,
    preflightHeaders: ['x-requested-with'],
    expect: { status: 200, body: tokenAnswer },
  },
} as const satisfies Record<string, Call>;

export const preflightAsk = (call: Call): PreflightAsk => ({ method: call.method, requestHeaders: call.preflightHeaders });

/** The calls of one loop iteration: a refresh when the token nears expiry, the list, and now and then a new item. */
export function iteration(
  s: Session,
  now: number,
  o: { refreshMarginMs: number; postEvery: number },
  random: () => number,
): Call[] {
  const calls: Call[] = [];
  if (needsRefresh(s, now, o.refreshMarginMs)) calls.push(CALLS.refresh);
  calls.push(CALLS.get);
  if (random() * o.postEvery < 1) calls.push(CALLS.post);
  return calls;
}

/** Chromium's cap on Access-Control-Max-Age (Firefox allows a day): a longer grant is cached this long. */
export const MAX_AGE_CAP_SEC = 7200;

/**
 * A browser's CORS-preflight cache for one origin, reduced to what the demo needs: an entry per URL and method
 * holding the headers granted, until the Max-Age the preflight answered (capped; 0 or none: not cached).
 */
export class PreflightCache {
  readonly #entries = new Map<string, { headers: Set<string>; until: number }>();

  /** Whether `call` needs a preflight now. */
  needs(call: Pick<Call, 'method' | 'path' | 'preflightHeaders'>, now: number): boolean {
    const e = this.#entries.get(`${call.method} ${call.path}`);
    return !e || e.until <= now || !call.preflightHeaders.every((h) => e.headers.has(h));
  }

  /** Store a successful preflight's grant for `call`. */
  store(call: Pick<Call, 'method' | 'path'>, headers: HeaderLines, now: number): void {
    const raw = headerValues(headers, 'access-control-max-age');
    const maxAge = raw.length === 1 && /^\d+$/.test(raw[0]!) ? Math.min(Number(raw[0]), MAX_AGE_CAP_SEC) : 0;
    if (maxAge === 0) return;
    const granted = new Set(headerTokens(headers, 'access-control-allow-headers').map((h) => h.toLowerCase()));
    this.#entries.set(`${call.method} ${call.path}`, { headers: granted, until: now + maxAge * 1000 });
  }

  clear(): void {
    this.#entries.clear();
  }
}
