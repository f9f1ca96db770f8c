// One virtual user: a page on one origin with its own keep-alive connection, preflight cache and session (I/O).
import http from 'node:http';
import { LoginError, loginThroughApi, REFRESH_COOKIE, setCookie } from '../../testkit/auth.ts';
import type { RawResponse } from '../../testkit/http.ts';
import { pairRawHeaders } from '../probe/headers.ts';
import { checkPreflight, checkResponse, noResponse, type Outcome, tokenAnswer } from './check.ts';
import {
  CALLS,
  type Call,
  iteration,
  needsRefresh,
  PreflightCache,
  preflightAsk,
  type Session,
  type UserSpec,
} from './scenario.ts';
import { record, type Tally } from './tally.ts';

/** A response slower than this counts as failed (and the request is abandoned). */
export const REQUEST_TIMEOUT_MS = 10_000;

interface Timed {
  res?: RawResponse;
  error?: string;
  ms: number;
}

/** One request on `agent`; time to the last body byte, ms. Never rejects: an error or timeout comes back as `error`. */
function timed(agent: http.Agent, url: string, method: string, headers: Record<string, string>, body?: string): Promise<Timed> {
  const t0 = performance.now();
  return new Promise((resolve) => {
    let settled = false;
    const done = (r: Omit<Timed, 'ms'>) => {
      if (settled) return;
      settled = true;
      resolve({ ...r, ms: performance.now() - t0 });
    };
    const req = http.request(url, { method, headers, agent, timeout: REQUEST_TIMEOUT_MS }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const lines = pairRawHeaders(res.rawHeaders).map(([k, v]): [string, string] => [k.toLowerCase(), v]);
        done({ res: { status: res.statusCode ?? 0, headers: lines, body: Buffer.concat(chunks).toString('utf8') } });
      });
      res.on('error', (err) => done({ error: err.message }));
      res.on('close', () => done({ error: 'connection closed before the end of the response' }));
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${REQUEST_TIMEOUT_MS / 1000} s`)));
    req.on('error', (err) => done({ error: err.message }));
    req.end(body);
  });
}

/** `→ 200 (X-Request-ID …)`, or `→ no answer`: what an example line shows of a response. */
function answered(res: RawResponse | undefined): string {
  if (!res) return '→ no answer';
  const id = res.headers.find(([k]) => k === 'x-request-id')?.[1];
  return `→ ${res.status}${id ? ` (X-Request-ID ${id})` : ''}`;
}

export interface LoopOptions {
  refreshMarginMs: number;
  postEvery: number;
}

export class VirtualUser {
  readonly cache = new PreflightCache();
  #agent: http.Agent | undefined;
  #posts = 0;

  constructor(
    readonly spec: UserSpec,
    public session: Session,
  ) {}

  /** Logs in through the stack's auth routes (auth0-url, the stand-in's authorize walk, POST login); records both API answers. */
  static async login(base: string, spec: UserSpec, tally: Tally): Promise<VirtualUser | undefined> {
    const label = `user ${spec.index} ${spec.origin} login`;
    const t0 = performance.now();
    try {
      const login = await loginThroughApi(base, { origin: spec.origin, redirectUri: spec.redirectUri });
      const ms = performance.now() - t0;
      const urlCheck = checkResponse(login.responses.auth0Url, spec.origin, { status: 200 });
      const loginCheck = checkResponse(login.responses.login, spec.origin, { status: 200, body: tokenAnswer });
      const judged = (name: string, res: RawResponse, problems: string[]) =>
        problems.length ? [`${name} ${answered(res)}: ${problems.join(', ')}`] : [];
      const cors = [
        ...judged('auth0-url', login.responses.auth0Url, urlCheck.cors),
        ...judged('POST login', login.responses.login, loginCheck.cors),
      ];
      record(tally, 'login', { failed: urlCheck.failed ?? loginCheck.failed, cors }, ms, label);
      return new VirtualUser(spec, {
        accessToken: login.accessToken,
        expiresAt: Date.now() + Number(login.body.expires_in) * 1000,
        refreshCookie: login.refreshCookie,
      });
    } catch (err) {
      const res = err instanceof LoginError ? err.response : undefined;
      const outcome: Outcome = res
        ? { failed: (err as Error).message, cors: checkResponse(res, spec.origin, { status: res.status }).cors }
        : noResponse((err as Error).message);
      record(tally, 'login', outcome, res ? performance.now() - t0 : undefined, label);
      return undefined;
    }
  }

  /** A fresh keep-alive connection pool for the next run (as a page load opens its own). */
  open(): void {
    this.close();
    this.#agent = new http.Agent({ keepAlive: true, maxSockets: 6 });
  }

  close(): void {
    this.#agent?.destroy();
    this.#agent = undefined;
  }

  #label(method: string, path: string, r: Timed): string {
    return `user ${this.spec.index} ${this.spec.origin} ${method} ${path} ${answered(r.res)}`;
  }

  /** The preflight a browser sends before `call`; true when the browser would go on to send the call. */
  async preflight(base: string, call: Call, tally: Tally): Promise<boolean> {
    const headers = {
      Origin: this.spec.origin,
      'Access-Control-Request-Method': call.method,
      'Access-Control-Request-Headers': call.preflightHeaders.join(','),
    };
    const r = await timed(this.#agentOrFail(), base + call.path, 'OPTIONS', headers);
    const outcome = r.res ? checkPreflight(r.res, this.spec.origin, preflightAsk(call)) : noResponse(r.error ?? 'no answer');
    record(tally, 'preflight', outcome, r.res ? r.ms : undefined, this.#label('OPTIONS', call.path, r));
    const granted = outcome.failed === undefined && outcome.cors.length === 0;
    if (granted && r.res) this.cache.store(call, r.res.headers, Date.now());
    return granted;
  }

  /** `call` as the page's fetch sends it: preflighted when the cache says so (always with `fresh`); a refused preflight blocks it. */
  async send(base: string, call: Call, tally: Tally, fresh = false): Promise<boolean> {
    if ((fresh || this.cache.needs(call, Date.now())) && !(await this.preflight(base, call, tally))) return false;
    const headers: Record<string, string> = { Origin: this.spec.origin, Accept: 'application/json' };
    let body: string | undefined;
    if (call.kind === 'refresh') {
      headers['X-Requested-With'] = 'fetch';
      headers.Cookie = `${REFRESH_COOKIE}=${this.session.refreshCookie}`;
      body = '';
    } else {
      headers.Authorization = `Bearer ${this.session.accessToken}`;
    }
    if (call.kind === 'post') {
      headers['Content-Type'] = 'application/json';
      body = JSON.stringify({ name: `load user ${this.spec.index} item ${++this.#posts}` });
    }
    if (body !== undefined) headers['Content-Length'] = String(Buffer.byteLength(body));
    const r = await timed(this.#agentOrFail(), base + call.path, call.method, headers, body);
    let outcome = r.res ? checkResponse(r.res, this.spec.origin, call.expect) : noResponse(r.error ?? 'no answer');
    if (call.kind === 'refresh' && r.res && outcome.failed === undefined) outcome = this.#renew(r.res, outcome);
    record(tally, call.kind, outcome, r.res ? r.ms : undefined, this.#label(call.method, call.path, r));
    return outcome.failed === undefined && outcome.cors.length === 0;
  }

  /** A refresh answer: the new access token, and the rotated refresh cookie (a missing one is a failure). */
  #renew(res: RawResponse, outcome: Outcome): Outcome {
    const cookie = setCookie(res, REFRESH_COOKIE)?.value;
    if (!cookie) return { ...outcome, failed: `no rotated ${REFRESH_COOKIE} cookie` };
    const body = JSON.parse(res.body) as { access_token: string; expires_in: number };
    this.session = { accessToken: body.access_token, expiresAt: Date.now() + body.expires_in * 1000, refreshCookie: cookie };
    return outcome;
  }

  /** One iteration of the loop: refresh if due, the list, sometimes a POST. */
  async iterate(base: string, tally: Tally, o: LoopOptions, random: () => number): Promise<void> {
    for (const call of iteration(this.session, Date.now(), o, random)) await this.send(base, call, tally);
  }

  /** Refresh now if the token is due (outside a burst's measured instant). */
  async refreshIfDue(base: string, tally: Tally, refreshMarginMs: number): Promise<void> {
    if (needsRefresh(this.session, Date.now(), refreshMarginMs)) await this.send(base, CALLS.refresh, tally);
  }

  #agentOrFail(): http.Agent {
    if (!this.#agent) throw new Error(`user ${this.spec.index}: no connection pool open`);
    return this.#agent;
  }
}
