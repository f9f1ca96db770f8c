// Every response of the load judged as a browser page would need it: status and body, and CORS (pure).
import { judgeAllowedPreflight, judgeAllowedResponse, type ProbeResponse } from '../probe/judges.ts';

/** `failed`: the request did not do its job (no answer, wrong status or body); `cors`: what a browser would refuse. */
export interface Outcome {
  failed?: string;
  cors: string[];
}

export interface PreflightAsk {
  method: string;
  /** Access-Control-Request-Headers sent (lower-case names). */
  requestHeaders: readonly string[];
}

/** A transport error or timeout: no response to judge. */
export const noResponse = (message: string): Outcome => ({ failed: message, cors: [] });

/**
 * A preflight the policy grants: any 2xx (Caddy answers 204, direct mode's middleware 200), then the grant a
 * browser checks: one Access-Control-Allow-Origin equal to the origin, Allow-Credentials `true`, the method and
 * every header asked for, a Max-Age, Vary. The status is judged here, the headers by the probe's judge.
 */
export function checkPreflight(res: ProbeResponse, origin: string, ask: PreflightAsk): Outcome {
  const failed = res.status >= 200 && res.status <= 299 ? undefined : `status ${res.status}, not 2xx: ${clip(res.body)}`;
  // The judge also reports a non-2xx status; that is `failed` above, so it judges the headers alone.
  const cors = judgeAllowedPreflight(
    { ...res, status: 204 },
    { origin, credentials: true, method: ask.method, requestHeaders: [...ask.requestHeaders] },
  );
  return failed === undefined ? { cors } : { failed, cors };
}

/** What the page expects of an answer besides CORS: its status and, optionally, a body check (a problem or undefined). */
export interface Expect {
  status: number;
  body?: (body: string) => string | undefined;
}

/** A credentialed request from an allowed origin: the expected status and body, and CORS on it whatever the status. */
export function checkResponse(res: ProbeResponse, origin: string, expect: Expect): Outcome {
  const cors = judgeAllowedResponse(res, { origin, credentials: true });
  let failed: string | undefined;
  if (res.status !== expect.status) failed = `status ${res.status}, not ${expect.status}: ${clip(res.body)}`;
  else failed = expect.body?.(res.body);
  return failed === undefined ? { cors } : { failed, cors };
}

function parse(body: string): unknown {
  try {
    return JSON.parse(body) as unknown;
  } catch {
    return undefined;
  }
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** GET /api/v1/items: a JSON list of items. */
export const itemList = (body: string): string | undefined => {
  const v = parse(body);
  return Array.isArray(v) && v.every((i) => isObject(i) && typeof i.id === 'number')
    ? undefined
    : `not a list of items: ${clip(body)}`;
};

/** POST /api/v1/items: the created item. */
export const createdItem = (body: string): string | undefined => {
  const v = parse(body);
  return isObject(v) && typeof v.id === 'number' ? undefined : `not an item: ${clip(body)}`;
};

/** Login and refresh answers: a new access token and its lifetime. */
export const tokenAnswer = (body: string): string | undefined => {
  const v = parse(body);
  return isObject(v) && typeof v.access_token === 'string' && typeof v.expires_in === 'number'
    ? undefined
    : `no access_token/expires_in: ${clip(body)}`;
};

const clip = (s: string, n = 120): string => {
  const one = s.replace(/\s+/g, ' ').trim();
  return one.length > n ? `${one.slice(0, n - 1)}…` : one;
};
