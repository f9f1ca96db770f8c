// Sends one HTTP(S) request with node:http/https and returns status, raw header lines and the body's start.
import http from 'node:http';
import https from 'node:https';
import { pairRawHeaders } from './headers.ts';
import type { ProbeResponse } from './judges.ts';

export interface WireRequest {
  method: string;
  url: string;
  headers: ReadonlyArray<readonly [string, string]>;
  timeoutMs: number;
  /** Skip TLS certificate verification. */
  insecure: boolean;
}

/** Bytes of body kept for hints; the rest is not read. */
const BODY_LIMIT = 4096;

/**
 * One request on a fresh connection (no keep-alive: no stale-socket races, no state between
 * cases). Rejects only when no response head arrives (refused, DNS, TLS, timeout); once the
 * head is in, a slow, endless or broken body just ends the read.
 */
export function send(req: WireRequest): Promise<ProbeResponse> {
  const url = new URL(req.url);
  const client = url.protocol === 'https:' ? https : http;
  const headers: Record<string, string> = {};
  for (const [name, value] of req.headers) headers[name] = value;
  const options: https.RequestOptions = { method: req.method, headers, agent: false, rejectUnauthorized: !req.insecure };

  return new Promise<ProbeResponse>((resolve, reject) => {
    let settled = false;
    let result: ProbeResponse | undefined;
    const chunks: Buffer[] = [];
    let size = 0;
    const finish = (err?: Error): void => {
      if (settled) return;
      if (result === undefined) {
        if (!err) return;
        settled = true;
        clearTimeout(timer);
        reject(err);
        return;
      }
      settled = true;
      clearTimeout(timer);
      result.body = Buffer.concat(chunks).subarray(0, BODY_LIMIT).toString('utf8');
      resolve(result);
      r.destroy();
    };
    const r = client.request(url, options, (res) => {
      result = { status: res.statusCode ?? 0, headers: pairRawHeaders(res.rawHeaders), body: '' };
      res.on('data', (chunk: Buffer) => {
        chunks.push(chunk);
        size += chunk.length;
        if (size >= BODY_LIMIT) finish();
      });
      res.on('end', () => finish());
      res.on('error', () => finish());
      res.on('close', () => finish());
    });
    const timer = setTimeout(() => {
      if (result) finish();
      else r.destroy(new Error(`no response within ${req.timeoutMs} ms`));
    }, req.timeoutMs);
    r.on('error', (err) => finish(err));
    r.end();
  });
}
