// Release variants of the image for deploy drills: the built image with a label (a "new release"), a seeded
// proxy-config fault, a proxy that cannot start, the fake app beside the reference one. Built FROM the image.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { dockerOk, IMAGE } from '../../testkit/docker.ts';
import { FIXTURES, REPO } from '../../testkit/stack.ts';

export interface Variant {
  /** Files written into the build context and copied to these paths in the image. */
  files?: Record<string, string>;
  /** Extra Dockerfile lines, run as root before switching back to the image's user. */
  run?: string[];
}

/** Build `tag` from the base image plus the variant; returns the tag. */
export async function buildVariant(tag: string, variant: Variant = {}, base = IMAGE): Promise<string> {
  const dir = mkdtempSync(path.join(tmpdir(), 'edge-sidecar-variant-'));
  try {
    const lines = [`FROM ${base}`, `LABEL edge-sidecar.release=${JSON.stringify(tag)}`, 'USER root'];
    Object.entries(variant.files ?? {}).forEach(([target, content], i) => {
      writeFileSync(path.join(dir, `f${i}`), content);
      lines.push(`COPY f${i} ${target}`, `RUN chmod 0755 ${target}`);
    });
    lines.push(...(variant.run ?? []).map((r) => `RUN ${r}`), 'USER 10001:10001');
    writeFileSync(path.join(dir, 'Dockerfile'), `${lines.join('\n')}\n`);
    await dockerOk(['build', '-q', '-t', tag, dir], 120_000);
    return tag;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const CADDYFILE = readFileSync(path.join(REPO, 'deploy', 'Caddyfile'), 'utf8');
const ORIGIN_MATCHER = '@cors_origin vars_regexp {http.request.header.Origin} `{$EDGE_CORS_ORIGIN_RE}`';
if (!CADDYFILE.includes(ORIGIN_MATCHER))
  throw new Error('deploy/Caddyfile changed: update the seeded fault in tools/src/platform/images.ts');

/** The seeded proxy-config fault: Caddy reflects any origin on responses (healthchecks still pass). */
export const CORS_FAULT: Variant = {
  files: {
    '/app/deploy/Caddyfile': CADDYFILE.replace(ORIGIN_MATCHER, '@cors_origin vars_regexp {http.request.header.Origin} `.+`'),
  },
};

/** A `caddy` that can never start (the test fixture), where the image's venv has the real one. */
export const NO_PROXY: Variant = {
  files: { '/opt/venv/bin/caddy': readFileSync(path.join(FIXTURES, 'broken-proxy', 'caddy'), 'utf8') },
};

/** The fake app (tools/test/fixtures/fake_app.py) importable as APP_MODULE=fake_app:app, for slow requests. */
export const FAKE_APP: Variant = {
  files: { '/app/backend/fake_app.py': readFileSync(path.join(FIXTURES, 'fake_app.py'), 'utf8') },
};
