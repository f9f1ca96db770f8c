// A bounded load of authenticated reads and writes that keeps every answer: the database fault drills count
// from it what was sent, what failed, which 503s carried CORS, and which writes were acknowledged.
import { judgeAllowedResponse } from '../src/probe/judges.ts';
import { request } from './http.ts';

export interface Answer {
  /** The phase when it was sent, and when its answer came (a request in flight as a fault begins spans two). */
  phase: string;
  answeredIn: string;
  kind: 'GET' | 'POST';
  /** 0 for a transport error (reset, refused, timed out). */
  status: number;
  /** The CORS a browser needs for the page's origin was there. */
  cors: boolean;
  ms: number;
  /** POST only: the unique name it wrote. */
  name?: string;
  error?: string;
}

export interface DbLoadOptions {
  base: string;
  origin: string;
  token: string;
  workers: number;
  /** Every `writeEvery`-th request of a worker is a POST with a name no other request uses. */
  writeEvery: number;
  pauseMs: number;
  /** Bounds: the load ends by itself after this many requests or this long. */
  maxRequests: number;
  maxMs: number;
  timeoutMs: number;
}

export interface DbLoad {
  /** Label the answers from now on (the drill's phases: baseline, outage, ...). */
  phase(name: string): void;
  answers(): readonly Answer[];
  stop(): Promise<readonly Answer[]>;
}

const ITEMS = '/api/v1/items';

export function startDbLoad(o: DbLoadOptions): DbLoad {
  const answers: Answer[] = [];
  let phase = 'start';
  let sent = 0;
  let stopping = false;
  const deadline = Date.now() + o.maxMs;
  const headers = { Origin: o.origin, Authorization: `Bearer ${o.token}` };

  const one = async (w: number, i: number): Promise<void> => {
    const write = i % o.writeEvery === o.writeEvery - 1;
    const name = write ? `w${w}-${i}` : undefined;
    const at = { phase, kind: write ? 'POST' : 'GET', ...(name ? { name } : {}) } as const;
    const started = Date.now();
    try {
      const res = write
        ? await request(o.base + ITEMS, {
            method: 'POST',
            headers: { ...headers, 'Content-Type': 'application/json' },
            body: JSON.stringify({ name }),
            timeoutMs: o.timeoutMs,
          })
        : await request(`${o.base}${ITEMS}?limit=5`, { headers, timeoutMs: o.timeoutMs });
      const cors = judgeAllowedResponse(res, { origin: o.origin, credentials: true }).length === 0;
      answers.push({ ...at, answeredIn: phase, status: res.status, cors, ms: Date.now() - started });
    } catch (err) {
      answers.push({ ...at, answeredIn: phase, status: 0, cors: false, ms: Date.now() - started, error: (err as Error).message });
    }
  };
  const worker = async (w: number): Promise<void> => {
    for (let i = 0; !stopping && sent < o.maxRequests && Date.now() < deadline; i++) {
      sent++;
      await one(w, i);
      await new Promise((r) => setTimeout(r, o.pauseMs));
    }
  };
  const running = Promise.all(Array.from({ length: o.workers }, (_, w) => worker(w)));
  return {
    phase: (name) => void (phase = name),
    answers: () => answers,
    stop: async () => {
      stopping = true;
      await running;
      return answers;
    },
  };
}

export interface PhaseSummary {
  phase: string;
  sent: number;
  ok: number;
  /** 503 answers that carried CORS (the page can read them and retry). */
  unavailableWithCors: number;
  /** Anything else: other statuses, CORS-less answers, transport errors. */
  failed: number;
  p50Ms: number;
  maxMs: number;
  /** How many answers had each status (0: a transport error). */
  statuses: Record<string, number>;
}

const OK = new Set([200, 201]);

/** Per phase, in the order phases first appear. */
export function summarise(answers: readonly Answer[]): PhaseSummary[] {
  const phases = [...new Set(answers.map((a) => a.phase))];
  return phases.map((phase) => {
    const mine = answers.filter((a) => a.phase === phase);
    const ms = mine.map((a) => a.ms).sort((a, b) => a - b);
    const ok = mine.filter((a) => OK.has(a.status) && a.cors).length;
    const unavailableWithCors = mine.filter((a) => a.status === 503 && a.cors).length;
    return {
      phase,
      sent: mine.length,
      ok,
      unavailableWithCors,
      failed: mine.length - ok - unavailableWithCors,
      p50Ms: ms[Math.floor(ms.length / 2)] ?? 0,
      maxMs: ms.at(-1) ?? 0,
      statuses: countBy(mine, (a) => String(a.status)),
    };
  });
}

/** Names of the writes the API acknowledged (201), each once. */
export function acknowledgedWrites(answers: readonly Answer[]): string[] {
  return answers.filter((a) => a.kind === 'POST' && a.status === 201 && a.name).map((a) => a.name!);
}

/** How many items fall under each key (one pass; a spreading reduce would copy the record per item). */
function countBy<T>(items: readonly T[], key: (item: T) => string): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const item of items) {
    const k = key(item);
    counts[k] = (counts[k] ?? 0) + 1;
  }
  return counts;
}
