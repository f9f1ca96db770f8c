// Transport to Railway's public GraphQL API: one POST per operation, bounded by a timeout, errors as one clear line.
// Endpoint and headers: https://docs.railway.com/integrations/api ("Connecting to the public API"). Nothing
// here knows what a deployment is (railway-target.ts does); nothing here ever prints or returns the token.

/** Railway's public endpoint (https://docs.railway.com/integrations/api#endpoint). */
export const RAILWAY_API_URL = 'https://backboard.railway.com/graphql/v2';

/**
 * Which token and therefore which header. Account and workspace tokens go in `Authorization: Bearer`; a
 * project token in `Project-Access-Token` and never as a bearer (https://docs.railway.com/integrations/api,
 * "Using a project token"). The Railway CLI reads the same two variables the same way: RAILWAY_TOKEN is a
 * project token, RAILWAY_API_TOKEN an account or workspace token, and RAILWAY_TOKEN wins when both are set
 * (railwayapp/cli src/client.rs, GQLClient::new_authorized).
 */
export interface RailwayAuth {
  kind: 'bearer' | 'project';
  token: string;
  /** The variable it came from, for error messages ("check RAILWAY_TOKEN"). */
  source: 'RAILWAY_API_TOKEN' | 'RAILWAY_TOKEN';
}

/** Anything the API call did not deliver: HTTP error, GraphQL errors, timeout, unreachable, bad JSON. */
export class RailwayApiError extends Error {
  override name = 'RailwayApiError';
  /** True when the token was refused: a configuration problem, not a platform one. */
  readonly unauthorized: boolean;
  constructor(message: string, opts: { unauthorized?: boolean; cause?: unknown } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.unauthorized = opts.unauthorized ?? false;
  }
}

export interface RailwayApiOptions {
  url?: string;
  auth: RailwayAuth;
  /** Per request; default 60 s (the Railway CLI allows 90 s, sized for environment duplication: src/consts.rs). */
  timeoutMs?: number;
  /** Attempts for queries on network errors, 5xx and 429 (mutations are sent once: they may have acted). */
  queryAttempts?: number;
  /** Between query attempts; default 1 s, doubled each time. */
  retryDelayMs?: number;
}

export interface RailwayApi {
  /** The endpoint, for messages. */
  readonly url: string;
  /** `document` must be one named operation; `data` of the answer, or a RailwayApiError. */
  request<T>(document: string, variables?: Record<string, unknown>): Promise<T>;
}

interface GraphqlAnswer {
  data?: unknown;
  errors?: { message?: unknown }[];
}

const OPERATION = /^\s*(query|mutation)\s+([A-Za-z_][A-Za-z0-9_]*)/;
// Railway answers a refused or insufficient token with a GraphQL error of this text (HTTP 200).
const NOT_AUTHORIZED = /not authori[sz]ed|unauthori[sz]ed|invalid token/i;

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** A client for one token. Every error message names the operation and never contains the token. */
export function railwayApi(opts: RailwayApiOptions): RailwayApi {
  const url = opts.url ?? RAILWAY_API_URL;
  const timeoutMs = opts.timeoutMs ?? 60_000;
  const attempts = Math.max(1, opts.queryAttempts ?? 3);
  const retryDelayMs = opts.retryDelayMs ?? 1000;
  const { auth } = opts;
  // Should a server ever echo the token back (in an error text, say), it still never reaches a terminal.
  // (Real tokens are UUIDs; a few characters would only garble the message.)
  const redact = (text: string): string => (auth.token.length >= 8 ? text.split(auth.token).join('***') : text);
  const headers: Record<string, string> = {
    'Content-Type': 'application/json',
    Accept: 'application/json',
    'User-Agent': 'edge-deploy (edge-sidecar)',
    ...(auth.kind === 'project' ? { 'Project-Access-Token': auth.token } : { Authorization: `Bearer ${auth.token}` }),
  };
  const hint = `check ${auth.source} (${auth.kind === 'project' ? 'a project token of this project and environment' : 'an account or workspace token with access to the project'})`;

  /** One attempt. `retry` says whether a failure is worth another attempt for a query. */
  async function once(
    operation: string,
    body: string,
  ): Promise<{ ok: true; data: unknown } | { ok: false; error: RailwayApiError; retry: boolean }> {
    let res: Response;
    try {
      res = await fetch(url, { method: 'POST', headers, body, signal: AbortSignal.timeout(timeoutMs) });
    } catch (err) {
      const why =
        err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError')
          ? `no answer within ${timeoutMs / 1000} s`
          : describe(err);
      return {
        ok: false,
        retry: true,
        error: new RailwayApiError(redact(`Railway API ${operation}: cannot reach ${url}: ${why}`), { cause: err }),
      };
    }
    let text: string;
    try {
      text = await res.text();
    } catch (err) {
      return {
        ok: false,
        retry: true,
        error: new RailwayApiError(redact(`Railway API ${operation}: the answer broke off: ${describe(err)}`), { cause: err }),
      };
    }
    let answer: GraphqlAnswer | undefined;
    try {
      answer = JSON.parse(text) as GraphqlAnswer;
    } catch {
      answer = undefined;
    }
    const messages = (answer?.errors ?? []).map((e) => (typeof e?.message === 'string' ? e.message : JSON.stringify(e)));
    if (res.status === 401 || res.status === 403 || messages.some((m) => NOT_AUTHORIZED.test(m))) {
      const said = messages.length ? messages.join('; ') : `HTTP ${res.status}`;
      return {
        ok: false,
        retry: false,
        error: new RailwayApiError(redact(`Railway API ${operation}: the token was refused (${said}): ${hint}`), {
          unauthorized: true,
        }),
      };
    }
    if (res.status === 429) {
      const after = res.headers.get('retry-after');
      return {
        ok: false,
        retry: true,
        error: new RailwayApiError(`Railway API ${operation}: rate limited (HTTP 429${after ? `, retry after ${after}` : ''})`),
      };
    }
    if (messages.length)
      return { ok: false, retry: false, error: new RailwayApiError(redact(`Railway API ${operation}: ${messages.join('; ')}`)) };
    if (!res.ok)
      return {
        ok: false,
        retry: res.status >= 500,
        error: new RailwayApiError(redact(`Railway API ${operation}: HTTP ${res.status}${text ? `: ${clip(text)}` : ''}`)),
      };
    if (answer === undefined || answer.data === undefined || answer.data === null) {
      return {
        ok: false,
        retry: false,
        error: new RailwayApiError(redact(`Railway API ${operation}: not a GraphQL answer: ${clip(text) || '(empty body)'}`)),
      };
    }
    return { ok: true, data: answer.data };
  }

  return {
    url,
    async request<T>(document: string, variables: Record<string, unknown> = {}): Promise<T> {
      const m = OPERATION.exec(document);
      if (!m) throw new Error('railwayApi.request: the document must start with a named query or mutation');
      const kind = m[1]!;
      const operation = m[2]!;
      // operationName lets Railway (and the tests' fake) tell the calls apart without parsing the document.
      const body = JSON.stringify({ query: document, variables, operationName: operation });
      const tries = kind === 'query' ? attempts : 1;
      let last: RailwayApiError | undefined;
      for (let i = 0; i < tries; i++) {
        if (i > 0) await sleep(retryDelayMs * 2 ** (i - 1));
        const r = await once(operation, body);
        if (r.ok) return r.data as T;
        last = r.error;
        if (!r.retry) break;
      }
      throw last!;
    },
  };
}

function describe(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  // fetch wraps the socket error: "fetch failed" with the real one (ECONNREFUSED, ENOTFOUND...) as cause.
  const cause = err.cause;
  if (cause instanceof AggregateError) return cause.errors.map(describe).join('; ') || err.message;
  if (cause instanceof Error) return (cause as NodeJS.ErrnoException).code ?? cause.message;
  return err.message;
}

const clip = (s: string, n = 200): string => {
  const one = s.replace(/\s+/g, ' ').trim();
  return one.length > n ? `${one.slice(0, n - 1)}…` : one;
};
