// Demo traffic for deploy drills: a bounded load from an allowed and a denied origin (preflights, authenticated
// GETs, occasional POSTs), every response judged by status and by the CORS a browser would need.
import { type RawResponse, request } from '../../testkit/http.ts';
import { judgeAllowedPreflight, judgeAllowedResponse, judgeDeniedPreflight, judgeNoCors } from '../probe/judges.ts';

export interface TrafficOptions {
  base: string;
  /** A bearer token the API accepts (authenticated GET and POST /api/v1/items). */
  token: string;
  /** An origin the policy allows, and one it refuses: each response is judged for its own origin. */
  allowed: string;
  denied: string;
  workers?: number;
  /** Bounds: the load stops by itself after this many requests or this long, whichever comes first. */
  maxRequests?: number;
  maxMs?: number;
  /** Think time between a worker's requests. */
  pauseMs?: number;
}

export interface TrafficCounts {
  sent: number;
  /** Transport errors and unexpected statuses, one line each (`kind status: detail`). */
  failed: string[];
  /** Responses whose status was right but whose CORS headers were not. */
  withoutCors: string[];
}

interface Kind {
  name: string;
  expect: number;
  send: (o: TrafficOptions) => Promise<RawResponse>;
  judge: (res: RawResponse, o: TrafficOptions) => string[];
}

const ITEMS = '/api/v1/items';
const PREFLIGHT_ASK = { method: 'POST', requestHeaders: ['authorization', 'content-type'] };
const preflight = (origin: string, o: TrafficOptions): Promise<RawResponse> =>
  request(o.base + ITEMS, {
    method: 'OPTIONS',
    headers: {
      Origin: origin,
      'Access-Control-Request-Method': PREFLIGHT_ASK.method,
      'Access-Control-Request-Headers': PREFLIGHT_ASK.requestHeaders.join(','),
    },
  });
const bearer = (o: TrafficOptions, origin: string): Record<string, string> => ({
  Origin: origin,
  Authorization: `Bearer ${o.token}`,
});

/** One round of a worker: what a page on each origin sends (a browser re-sends a preflight after its max-age). */
const ROUND: Kind[] = [
  {
    name: 'preflight',
    expect: 204,
    send: (o) => preflight(o.allowed, o),
    judge: (r, o) => judgeAllowedPreflight(r, { origin: o.allowed, credentials: true, ...PREFLIGHT_ASK }),
  },
  {
    name: 'GET',
    expect: 200,
    send: (o) => request(o.base + ITEMS, { headers: bearer(o, o.allowed) }),
    judge: (r, o) => judgeAllowedResponse(r, { origin: o.allowed, credentials: true }),
  },
  {
    name: 'GET',
    expect: 200,
    send: (o) => request(o.base + ITEMS, { headers: bearer(o, o.allowed) }),
    judge: (r, o) => judgeAllowedResponse(r, { origin: o.allowed, credentials: true }),
  },
  {
    name: 'POST',
    expect: 201,
    send: (o) =>
      request(o.base + ITEMS, {
        method: 'POST',
        headers: { ...bearer(o, o.allowed), 'Content-Type': 'application/json' },
        body: JSON.stringify({ name: 'drill' }),
      }),
    judge: (r, o) => judgeAllowedResponse(r, { origin: o.allowed, credentials: true }),
  },
  { name: 'denied preflight', expect: 403, send: (o) => preflight(o.denied, o), judge: (r) => judgeDeniedPreflight(r) },
  {
    name: 'denied GET',
    expect: 200,
    send: (o) => request(o.base + ITEMS, { headers: bearer(o, o.denied) }),
    judge: (r) => judgeNoCors(r),
  },
];

/** Start the load; `stop()` ends it (or it ends by its bounds) and resolves with the counts. */
export function startTraffic(opts: TrafficOptions): { stop: () => Promise<TrafficCounts>; counts: () => TrafficCounts } {
  const counts: TrafficCounts = { sent: 0, failed: [], withoutCors: [] };
  const maxRequests = opts.maxRequests ?? 50_000;
  const deadline = Date.now() + (opts.maxMs ?? 600_000);
  let stopping = false;
  const worker = async (w: number): Promise<void> => {
    for (let i = w; !stopping && counts.sent < maxRequests && Date.now() < deadline; i++) {
      const kind = ROUND[i % ROUND.length]!;
      counts.sent++;
      try {
        const res = await kind.send(opts);
        if (res.status !== kind.expect) counts.failed.push(`${kind.name} ${res.status}: ${res.body.slice(0, 160)}`);
        else {
          const problems = kind.judge(res, opts);
          if (problems.length) counts.withoutCors.push(`${kind.name}: ${problems.join('; ')}`);
        }
      } catch (err) {
        counts.failed.push(`${kind.name}: ${(err as Error).message}`);
      }
      await new Promise((r) => setTimeout(r, opts.pauseMs ?? 20));
    }
  };
  const running = Promise.all(Array.from({ length: opts.workers ?? 4 }, (_, w) => worker(w)));
  return {
    counts: () => counts,
    stop: async () => {
      stopping = true;
      await running;
      return counts;
    },
  };
}
