// Raw HTTP requests for tests and benchmarks: node:http keeps every header line (fetch folds duplicates).
import http from 'node:http';

export interface RawResponse {
  status: number;
  /** Header lines as received, names lower-cased, duplicates kept. */
  headers: [string, string][];
  body: string;
}

export function request(
  url: string,
  opts: { method?: string; headers?: Record<string, string>; timeoutMs?: number; body?: string } = {},
): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      url,
      { method: opts.method ?? 'GET', headers: opts.headers ?? {}, timeout: opts.timeoutMs ?? 15_000, agent: false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const raw = res.rawHeaders;
          const headers: [string, string][] = [];
          for (let i = 0; i + 1 < raw.length; i += 2) headers.push([raw[i]!.toLowerCase(), raw[i + 1]!]);
          resolve({ status: res.statusCode ?? 0, headers, body: Buffer.concat(chunks).toString('utf8') });
        });
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`timeout after ${opts.timeoutMs ?? 15_000} ms: ${url}`)));
    req.on('error', reject);
    req.end(opts.body);
  });
}

/** Every value of one header (all lines). */
export function values(res: RawResponse, name: string): string[] {
  return res.headers.filter(([k]) => k === name.toLowerCase()).map(([, v]) => v);
}

/** Comma-separated tokens of a header across all its lines, lower-cased. */
export function tokens(res: RawResponse, name: string): string[] {
  return values(res, name).flatMap((v) =>
    v
      .split(',')
      .map((t) => t.trim().toLowerCase())
      .filter(Boolean),
  );
}
