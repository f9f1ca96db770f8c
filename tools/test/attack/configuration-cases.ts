// docs/security.md §6: configuration the entrypoint must refuse, one case table shared by the native attack suite
// (configuration.test.ts, both modes) and the image (tools/test/container/image.test.ts).
import assert from 'node:assert/strict';

export const fullwidth = (s: string): string => s.replace(/[0-9]/g, (d) => String.fromCharCode(0xff10 + Number(d)));
export const arabic = (s: string): string => s.replace(/[0-9]/g, (d) => String.fromCharCode(0x0660 + Number(d)));
const SUPERSCRIPT_TWO = '\u00b2';
const SECRET = 's3cret-pw';
const PUBLIC = (suffix: string): RegExp =>
  new RegExp(
    `${suffix.replace(/\./g, '\\.')} is a public suffix, so every registrable name under .* would get credentialed CORS; list the origins or use a wildcard under your own domain$`,
  );

/** [variable, value, what the line must say after `VARIABLE: `]. */
export const REFUSED_BY_ENTRYPOINT: [variable: string, value: string, says: RegExp][] = [
  ['CORS_ALLOW_ORIGINS', 'https://*.up.railway.app', PUBLIC('up.railway.app')],
  ['CORS_ALLOW_ORIGINS', 'https://*.github.io', PUBLIC('github.io')],
  ['CORS_ALLOW_ORIGINS', 'https://*.co.uk', PUBLIC('co.uk')],
  ['CORS_ALLOW_ORIGINS', 'https://app.zebra.associates https://*.vercel.app', PUBLIC('vercel.app')],
  ['CORS_ALLOW_ORIGINS', 'https://*.com', /a wildcard stands for exactly one label/],
  ['PORT', arabic('8080'), /has non-ASCII characters/],
  ['PORT', SUPERSCRIPT_TWO, /has non-ASCII characters/],
  ['API_PORT', fullwidth('8000'), /has non-ASCII characters/],
  ['CORS_MAX_AGE', fullwidth('600'), /has non-ASCII characters/],
  ['UPSTREAM_TIMEOUT', fullwidth('30'), /has non-ASCII characters/],
  ['UPSTREAM_IDLE_CONNS', SUPERSCRIPT_TWO, /has non-ASCII characters/],
  ['DB_HEALTH_TIMEOUT', fullwidth('0.8'), /has non-ASCII characters/],
  ['CORS_ALLOW_ORIGINS', 'http://300.1.1.1', /300 is not an IPv4 octet \(0-255\)/],
  ['UPSTREAM_TIMEOUT', '0.5', /too short to serve anything.*use at least 1$/],
  ['CORS_ALLOW_METHODS', 'GET, get', /'get': methods are case-sensitive: did you mean GET\?$/],
  ['DB_HEALTH_TIMEOUT', '0', /above 0, at most 60/],
  ['DATABASE_URL', `mysql://app:${SECRET}@db.internal/app`, /uses unsupported driver 'mysql'/],
  ['DATABASE_URL', `postgresql://app:${SECRET}@db.internal:port/app`, /could not be parsed/],
  [
    'CORS_ORIGINS',
    'https://app.zebra.associates',
    /not read by the sidecar, whose variable is CORS_ALLOW_ORIGINS \(same format\); unset CORS_ORIGINS or rename it to CORS_ALLOW_ORIGINS$/,
  ],
];

/** Checks one entrypoint refusal: exit 2, one line `edge-sidecar: invalid configuration: VAR: ...`. */
export function assertOneLineRefusal(
  result: { code: number | null; stdout: string; stderr: string },
  variable: string,
  says: RegExp,
): void {
  assert.equal(result.code, 2, result.stderr);
  const lines = result.stderr.split('\n').filter((l) => l.trim());
  assert.equal(lines.length, 1, `exactly one line on stderr:\n${result.stderr}`);
  const prefix = `edge-sidecar: invalid configuration: ${variable}: `;
  assert.ok(lines[0]!.startsWith(prefix), lines[0]);
  assert.match(lines[0]!.slice(prefix.length), says);
  assert.doesNotMatch(result.stderr, /Traceback|pydantic/);
  assert.ok(!result.stderr.includes(SECRET), 'no password from DATABASE_URL');
  assert.equal(result.stdout, '', 'nothing started');
}
