// Attack suite, docs/security.md §6: configuration that must be refused. Each case runs the real entrypoint
// (deploy/entrypoint.py, natively) in both modes: exit code 2 and exactly one plain line on stderr naming the
// variable, no traceback, nothing started. The same table's entrypoint cases run in the image too
// (tools/test/container/image.test.ts). Variables the reference API reads itself (AUTH0_*) are refused by
// the API (exit status 78, which the stack turns into exit code 2): a table of its own below.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, test } from 'node:test';
import { DEFAULT_AUDIENCE, freePorts, runEntrypoint } from '../../testkit/stack.ts';
import { MODES } from './both-modes.ts';
import { arabic, assertOneLineRefusal, fullwidth, REFUSED_BY_ENTRYPOINT } from './configuration-cases.ts';

for (const mode of MODES) {
  describe(`configuration refused by the entrypoint, ${mode} mode`, { concurrency: 2 }, () => {
    for (const [variable, value, says] of REFUSED_BY_ENTRYPOINT) {
      test(`${variable}=${value}`, async () => {
        const [port, apiPort] = await freePorts(2);
        const env = { PORT: String(port), API_PORT: String(apiPort), PROXY_MODE: mode, [variable]: value };
        assertOneLineRefusal(await runEntrypoint(env, 30_000), variable, says);
      });
    }
  });
}

/** The reference API's own numbers: refused by the API with one line naming the variable, exit code 2. */
const REFUSED_BY_API: [variable: string, value: string, says: RegExp][] = [
  ['AUTH0_JWKS_COOLDOWN', '0', /AUTH0_JWKS_COOLDOWN must be at least 1 s/],
  ['AUTH0_LEEWAY', fullwidth('30'), /AUTH0_LEEWAY: .* has non-ASCII characters/],
  ['AUTH0_JWKS_MAX_AGE', arabic('600'), /AUTH0_JWKS_MAX_AGE: .* has non-ASCII characters/],
];

for (const mode of MODES) {
  describe(`configuration refused by the reference API, ${mode} mode`, { concurrency: 2 }, () => {
    for (const [variable, value, says] of REFUSED_BY_API) {
      test(`${variable}=${value}`, async () => {
        const dataDir = mkdtempSync(path.join(tmpdir(), 'edge-sidecar-conf-'));
        try {
          const [port, apiPort] = await freePorts(2);
          const result = await runEntrypoint(
            {
              PORT: String(port),
              API_PORT: String(apiPort),
              PROXY_MODE: mode,
              DATABASE_URL: `sqlite:///${dataDir}/x.db`,
              AUTH0_ISSUER: 'http://127.0.0.1:9/',
              AUTH0_AUDIENCE: DEFAULT_AUDIENCE,
              [variable]: value,
            },
            60_000,
          );
          assert.equal(result.code, 2, result.stderr);
          assert.doesNotMatch(result.stderr, /Traceback/);
          const last = JSON.parse(result.stderr.trim().split('\n').at(-1) ?? '{}') as { msg?: string };
          assert.match(last.msg ?? '', says);
        } finally {
          rmSync(dataDir, { recursive: true, force: true });
        }
      });
    }
  });
}
