// Formats a ProbeReport: aligned table (TTY, optional color), plain lines (logs, pipes), or JSON.
import type { CaseResult, ProbeReport } from './types.ts';

type Verdict = 'PASS' | 'FAIL' | 'SKIP';

const COLORS: Record<Verdict, string> = { PASS: '\x1b[32m', FAIL: '\x1b[31m', SKIP: '\x1b[33m' };
const RESET = '\x1b[0m';

/** The origin as displayed: "-" when none, JSON-quoted when it holds spaces or control characters. */
function shown(origin: string | undefined): string {
  if (origin === undefined) return '-';
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters in an origin are exactly what must be shown quoted
  return /[\s\x00-\x1f\x7f]/.test(origin) ? JSON.stringify(origin) : origin;
}

function verdict(c: CaseResult): Verdict {
  return c.skipped ? 'SKIP' : c.ok ? 'PASS' : 'FAIL';
}

/** Color only on a terminal, and never when NO_COLOR is set to a non-empty value (no-color.org). */
export function useColor(isTTY: boolean | undefined, env: Readonly<Record<string, string | undefined>>): boolean {
  return Boolean(isTTY) && !env['NO_COLOR'];
}

/** One closing line: overall verdict and counts. */
export function formatSummary(r: ProbeReport): string {
  const count = (v: Verdict): number => r.cases.filter((c) => verdict(c) === v).length;
  const skipped = count('SKIP') ? `, ${count('SKIP')} skipped` : '';
  return `${r.ok ? 'PASS' : 'FAIL'}: ${count('PASS')} passed, ${count('FAIL')} failed${skipped} (${r.target})`;
}

/** Plain lines for logs and pipes: `VERDICT case origin[: reason]`, then the summary. */
export function formatPlain(r: ProbeReport): string {
  const lines = r.cases.map((c) => `${verdict(c)} ${c.name} ${shown(c.origin)}${c.reason ? `: ${c.reason}` : ''}`);
  return [...lines, formatSummary(r)].join('\n') + '\n';
}

/** An aligned table (case, origin, verdict, reason) for a terminal, then the summary. */
export function formatTable(r: ProbeReport, opts: { color: boolean }): string {
  const rows = r.cases.map((c) => [c.name, shown(c.origin), verdict(c), c.reason ?? ''] as const);
  const header = ['CASE', 'ORIGIN', 'VERDICT', 'REASON'] as const;
  const width = (i: 0 | 1 | 2): number => Math.max(header[i].length, ...rows.map((row) => row[i].length));
  const [w0, w1, w2] = [width(0), width(1), width(2)];
  const paint = (v: string, text: string): string =>
    opts.color && v in COLORS ? `${COLORS[v as Verdict]}${text}${RESET}` : text;
  const line = (cells: readonly [string, string, string, string]): string =>
    `${cells[0].padEnd(w0)}  ${cells[1].padEnd(w1)}  ${paint(cells[2], cells[2].padEnd(w2))}  ${cells[3]}`.trimEnd();
  const summary = formatSummary(r);
  return [line(header), ...rows.map(line), '', paint(r.ok ? 'PASS' : 'FAIL', summary)].join('\n') + '\n';
}

/** The report as pretty JSON (the ProbeReport shape, unchanged). */
export function formatJson(r: ProbeReport): string {
  return JSON.stringify(r, null, 2) + '\n';
}
