// Public types and error classes of the cors-probe library (shared by every probe module).

export interface ProbeOptions {
  /** Target, e.g. http://127.0.0.1:8080 or https://api.example.com. */
  baseUrl: string;
  /**
   * Allowed origins to check (at least one). `scheme://host[:port]`, or a one-label wildcard
   * `https://*.example.com`: the probe then sends a sample origin inside it and generates
   * denied origins that the wildcard must not match.
   */
  origins: string[];
  /** Extra denied origins (auto-generated ones are always added). */
  deny?: string[];
  /** A path that answers 2xx; default "/" (or the base URL's own path). */
  path?: string;
  /** A path that answers 4xx/5xx; when given, errors must carry CORS for allowed origins. */
  errorPath?: string;
  /** Method an allowed preflight asks for; default "PUT". */
  method?: string;
  /** Headers an allowed preflight asks for; default ["Content-Type"]. */
  requestHeaders?: string[];
  /** Method a preflight asks for that the policy must refuse; default "PROPFIND". */
  denyMethod?: string;
  /** Header a preflight asks for that the policy must refuse; default "X-Cors-Probe-Forbidden". */
  denyHeader?: string;
  /** Default true: Access-Control-Allow-Credentials must be exactly "true". */
  credentials?: boolean;
  /** Per request, default 10000. */
  timeoutMs?: number;
  /** Skip TLS certificate verification (only when asked). */
  insecure?: boolean;
}

export interface CaseResult {
  /** Stable kebab-case case id, e.g. "preflight-allowed". */
  name: string;
  ok: boolean;
  /** One line: why it failed, or why it was skipped. */
  reason?: string;
  /** The Origin header sent (absent for requests without Origin). */
  origin?: string;
  /** HTTP status received (absent when skipped). */
  status?: number;
  /** True when the request could not be sent (e.g. an Origin value node refuses); ok stays true. */
  skipped?: boolean;
}

export interface ProbeReport {
  ok: boolean;
  target: string;
  cases: CaseResult[];
}

/** Options that cannot work (bad URL, bad origin, bad method...): the CLI exits 2. */
export class ProbeUsageError extends Error {
  override name = 'ProbeUsageError';
}

/** The target could not be reached or did not answer in time: the CLI exits 2. */
export class TargetUnreachableError extends Error {
  override name = 'TargetUnreachableError';
}
