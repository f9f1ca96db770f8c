// Parsing and matching of allowed origins and one-label wildcard patterns (docs/architecture.md, "CORS semantics").
import { ProbeUsageError } from './types.ts';

export interface OriginPattern {
  /** The text as given, e.g. "https://*.example.com". */
  text: string;
  scheme: 'http' | 'https';
  /** Lowercase host; for a wildcard, the fixed part after "*." (e.g. "example.com"). */
  host: string;
  /** Explicit port as written, or "" when absent. */
  port: string;
  /** True for `scheme://*.host[:port]`: exactly one DNS label in place of the star. */
  wildcard: boolean;
}

/** Label the probe puts in place of a wildcard's star to get a concrete allowed origin. */
export const WILDCARD_SAMPLE_LABEL = 'cors-probe';

const ORIGIN_RE = /^(https?):\/\/(\*\.)?(\[[0-9a-f:.]+\]|[a-z0-9_-]+(?:\.[a-z0-9_-]+)*)(?::(\d{1,5}))?$/;

/** Parses an allowed origin or one-label wildcard; throws ProbeUsageError saying what is wrong. */
export function parseOriginPattern(text: string): OriginPattern {
  const m = ORIGIN_RE.exec(text);
  if (!m) {
    throw new ProbeUsageError(
      `not an origin: ${JSON.stringify(text)} (expected scheme://host[:port] with a lowercase host, ` +
        `no path or trailing slash, or a one-label wildcard like https://*.example.com)`,
    );
  }
  const [, scheme, star, host, port] = m;
  if (star && host!.startsWith('[')) throw new ProbeUsageError(`a wildcard cannot cover an IP literal: ${text}`);
  if (port !== undefined && (Number(port) < 1 || Number(port) > 65535)) {
    throw new ProbeUsageError(`port out of range in origin ${text}`);
  }
  return { text, scheme: scheme as 'http' | 'https', host: host!, port: port ?? '', wildcard: Boolean(star) };
}

/** The origin the probe sends for this pattern: itself, or the wildcard with a sample label. */
export function concreteOrigin(p: OriginPattern): string {
  const host = p.wildcard ? `${WILDCARD_SAMPLE_LABEL}.${p.host}` : p.host;
  return `${p.scheme}://${host}${p.port ? `:${p.port}` : ''}`;
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Whether a correct server must allow `origin` under this pattern (byte for byte, or one label). */
export function patternAllows(p: OriginPattern, origin: string): boolean {
  if (!p.wildcard) return origin === p.text;
  const port = p.port ? `:${p.port}` : '';
  const re = new RegExp(`^${p.scheme}://[a-z0-9_-]+\\.${escapeRegExp(p.host)}${escapeRegExp(port)}$`);
  return re.test(origin);
}
