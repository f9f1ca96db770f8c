// Command-line parsing for cors-probe: argv to ProbeOptions, the --help text, durations.
import { parseArgs } from 'node:util';
import { DEFAULTS } from './matrix.ts';
import { type ProbeOptions, ProbeUsageError } from './types.ts';

export const HELP = `Usage: cors-probe <base-url> --origin <allowed> [--origin ...] [options]

Checks from outside that a URL answers CORS as the policy intends: allowed origins work
(preflights, successes and errors), everything else gets no CORS headers at all.

Arguments:
  <base-url>               target, e.g. https://api.example.com or http://127.0.0.1:8080

Options:
  --origin <origin>        an allowed origin (repeatable; a space/comma separated list also works).
                           scheme://host[:port], or a one-label wildcard https://*.example.com
                           (pass the wildcard itself when the policy has one)
  --deny <origin>          an extra origin that must be refused (repeatable); attack origins
                           (suffix, prefix, unescaped dot, null, ...) are generated anyway
  --path <path>            a path that answers 2xx (default: the base URL's path, or /)
  --error-path <path>      a path that answers 4xx/5xx; its errors must carry CORS too
  --method <method>        method an allowed preflight asks for (default ${DEFAULTS.method})
  --request-header <name>  header an allowed preflight asks for (repeatable; default ${DEFAULTS.requestHeaders.join(', ')})
  --deny-method <method>   method the policy must refuse (default ${DEFAULTS.denyMethod})
  --deny-header <name>     header the policy must refuse (default ${DEFAULTS.denyHeader})
  --no-credentials         the policy does not allow credentials (ACAC not required, * allowed)
  --timeout <duration>     per request: 500ms, 10s, 1m; a bare number is seconds (default 10s)
  --insecure               do not verify the TLS certificate
  --json                   print the report as JSON
  -h, --help               show this help

Output: an aligned table on a terminal (colour unless NO_COLOR is set), plain lines
"PASS|FAIL|SKIP <case> <origin>[: reason]" otherwise, or JSON with --json.

Exit codes:
  0  every case passed
  1  a conformance failure (at least one case failed)
  2  usage error, or the target could not be reached

Example (after a Railway deploy):
  tools/bin/cors-probe https://api.zebra.associates \\
    --origin https://app.zebra.associates --origin http://localhost:3001 \\
    --path /health/live --error-path /api/v1/does-not-exist --request-header X-Tenant-ID
`;

export type Command = { kind: 'help' } | { kind: 'run'; options: ProbeOptions; json: boolean };

/** "500ms", "10s", "1m", or a bare number of seconds, to milliseconds. */
export function parseDuration(text: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(text.trim());
  const ms = m ? Number(m[1]) * (m[2] === 'ms' ? 1 : m[2] === 'm' ? 60_000 : 1000) : NaN;
  if (!(ms > 0)) throw new ProbeUsageError(`--timeout: not a positive duration: ${JSON.stringify(text)} (e.g. 500ms, 10s, 1m)`);
  return ms;
}

const splitList = (values: string[] | undefined): string[] =>
  (values ?? []).flatMap((v) => v.split(/[\s,]+/)).filter((v) => v !== '');

/** Parses argv (without node and script); throws ProbeUsageError on bad usage. */
export function parseCommand(argv: string[]): Command {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: {
        origin: { type: 'string', multiple: true },
        deny: { type: 'string', multiple: true },
        path: { type: 'string' },
        'error-path': { type: 'string' },
        method: { type: 'string' },
        'request-header': { type: 'string', multiple: true },
        'deny-method': { type: 'string' },
        'deny-header': { type: 'string' },
        'no-credentials': { type: 'boolean' },
        timeout: { type: 'string' },
        insecure: { type: 'boolean' },
        json: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (err) {
    throw new ProbeUsageError(err instanceof Error ? err.message : String(err));
  }
  const v = parsed.values;
  if (v.help) return { kind: 'help' };
  if (parsed.positionals.length !== 1) {
    throw new ProbeUsageError(
      parsed.positionals.length ? `expected one base URL, got ${parsed.positionals.length}` : 'missing <base-url>',
    );
  }
  const origins = splitList(v.origin);
  if (!origins.length) throw new ProbeUsageError('at least one --origin is required');
  const options: ProbeOptions = {
    baseUrl: parsed.positionals[0]!,
    origins,
    deny: v.deny ?? [],
    credentials: !v['no-credentials'],
    insecure: Boolean(v.insecure),
    ...(v.path === undefined ? {} : { path: v.path }),
    ...(v['error-path'] === undefined ? {} : { errorPath: v['error-path'] }),
    ...(v.method === undefined ? {} : { method: v.method }),
    ...(v['request-header'] === undefined ? {} : { requestHeaders: splitList(v['request-header']) }),
    ...(v['deny-method'] === undefined ? {} : { denyMethod: v['deny-method'] }),
    ...(v['deny-header'] === undefined ? {} : { denyHeader: v['deny-header'] }),
    ...(v.timeout === undefined ? {} : { timeoutMs: parseDuration(v.timeout) }),
  };
  return { kind: 'run', options, json: Boolean(v.json) };
}
