// Generates the origins a correct policy must refuse, derived from one allowed origin or wildcard.
import { parseOriginPattern, patternAllows, WILDCARD_SAMPLE_LABEL } from './origin.ts';

export interface DeniedOrigin {
  origin: string;
  /** What the attack tries, e.g. "suffix attack"; used in failure reasons. */
  kind: string;
}

const EVIL = 'evil.test';

/**
 * Attack origins for one allowed origin (or one-label wildcard), in a stable order, without
 * duplicates and without anything the allowed pattern itself matches. Covers what Corsy and
 * CORScanner try (suffix, prefix, subdomain, unescaped dot, special characters, scheme, null)
 * plus port, trailing slash, case and two-origins-in-one-header variants.
 */
export function deniedOriginCandidates(allowed: string): DeniedOrigin[] {
  const p = parseOriginPattern(allowed);
  const host = p.wildcard ? `${WILDCARD_SAMPLE_LABEL}.${p.host}` : p.host;
  const port = p.port ? `:${p.port}` : '';
  const sample = `${p.scheme}://${host}${port}`;
  const other = p.scheme === 'https' ? 'http' : 'https';
  const defaultPort = p.scheme === 'https' ? 443 : 80;
  const changedPort = p.port ? (Number(p.port) === 65535 ? 65534 : Number(p.port) + 1) : defaultPort + 1;

  const out: DeniedOrigin[] = [
    { kind: 'suffix attack', origin: `${p.scheme}://${host}.${EVIL}${port}` },
    { kind: 'suffix attack', origin: `${sample}.${EVIL}` },
    { kind: 'prefix attack', origin: `${p.scheme}://evil${p.host}${port}` },
    { kind: 'subdomain attack', origin: `${p.scheme}://evil.${host}${port}` },
  ];
  if (p.wildcard) out.push({ kind: 'wildcard parent domain', origin: `${p.scheme}://${p.host}${port}` });
  for (let i = host.indexOf('.'); i !== -1; i = host.indexOf('.', i + 1)) {
    out.push({ kind: 'unescaped dot', origin: `${p.scheme}://${host.slice(0, i)}x${host.slice(i + 1)}${port}` });
  }
  out.push(
    { kind: 'underscore trick', origin: `${p.scheme}://${host}_.${EVIL}${port}` },
    { kind: 'backtick trick', origin: `${p.scheme}://${host}\`.${EVIL}${port}` },
    { kind: p.scheme === 'https' ? 'http downgrade' : 'https upgrade', origin: `${other}://${host}${port}` },
    { kind: 'port change', origin: `${p.scheme}://${host}:${changedPort}` },
    { kind: 'trailing slash', origin: `${sample}/` },
    { kind: 'upper-case host', origin: `${p.scheme}://${host.toUpperCase()}${port}` },
    { kind: 'null origin', origin: 'null' },
    { kind: 'two origins in one header', origin: `${sample} https://${EVIL}` },
    { kind: 'two origins in one header', origin: `${sample}, https://${EVIL}` },
  );

  const seen = new Set<string>();
  return out.filter(({ origin }) => {
    if (origin === sample || seen.has(origin) || patternAllows(p, origin)) return false;
    seen.add(origin);
    return true;
  });
}

/** Auto-generated attack origins for one allowed origin (see deniedOriginCandidates). */
export function deniedOriginsFor(allowed: string): string[] {
  return deniedOriginCandidates(allowed).map((d) => d.origin);
}
