// Reads raw response header lines: duplicates stay visible, list headers are merged across lines.

/** Header lines in the order received, names as sent by the server. */
export type HeaderLines = ReadonlyArray<readonly [name: string, value: string]>;

/** Turns node's flat `res.rawHeaders` ([name, value, name, value, ...]) into pairs. */
export function pairRawHeaders(raw: readonly string[]): [string, string][] {
  const out: [string, string][] = [];
  for (let i = 0; i + 1 < raw.length; i += 2) out.push([raw[i]!, raw[i + 1]!]);
  return out;
}

/** Every line's value for `name` (case-insensitive), one entry per line, untouched. */
export function headerValues(h: HeaderLines, name: string): string[] {
  const lower = name.toLowerCase();
  return h.filter(([n]) => n.toLowerCase() === lower).map(([, v]) => v);
}

/** A comma-separated list header merged over all its lines, items trimmed, empties dropped. */
export function headerTokens(h: HeaderLines, name: string): string[] {
  return headerValues(h, name)
    .flatMap((v) => v.split(','))
    .map((t) => t.trim())
    .filter((t) => t !== '');
}

/** Distinct names (lower-cased) of the Access-Control-* headers present. */
export function corsHeaderNames(h: HeaderLines): string[] {
  const names = h.map(([n]) => n.toLowerCase()).filter((n) => n.startsWith('access-control-'));
  return [...new Set(names)];
}

/** Whether the merged Vary lines name `field` (case-insensitive), or are `*`. */
export function varyIncludes(h: HeaderLines, field: string): boolean {
  const lower = field.toLowerCase();
  return headerTokens(h, 'vary').some((t) => t === '*' || t.toLowerCase() === lower);
}
