// `make bench-image`: the image's build times, size and memory, for the container issue's closing note.
// Not part of `make test`; nothing here is asserted. Prints each command it times and a Markdown table.
//
//   tsx tools/bench/image.ts [--requests 10000] [--concurrency 16] [--with-base] [--no-build]
//
// --with-base also times `REBUILD=1 deploy/image/base-image.sh` (debootstrap): it replaces the local
// debian:trixie-slim, so the next `make image` rebuilds every layer once.
import { appendFileSync, cpSync, mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import {
  buildImage,
  type Container,
  containerProcesses,
  docker,
  dockerOk,
  ensureEngine,
  IMAGE,
  imageSize,
  removeRunContainers,
  run,
  startContainer,
  waitHealthy,
} from '../testkit/docker.ts';
import { REPO } from '../testkit/stack.ts';

const { values: opts } = parseArgs({
  options: {
    requests: { type: 'string', default: '10000' },
    concurrency: { type: 'string', default: '16' },
    'with-base': { type: 'boolean', default: false },
    'no-build': { type: 'boolean', default: false },
  },
});
const REQUESTS = Number(opts.requests);
const CONCURRENCY = Number(opts.concurrency);
const COLD_TAG = 'edge-sidecar:bench-cold';
const CODE_TAG = 'edge-sidecar:bench-code';
/** Idle means: healthy, then left alone this long (a measurement choice, not a readiness wait). */
const IDLE_SETTLE_MS = 5_000;
/**
 * The reference API needs Auth0 settings to start. A container cannot reach a stand-in on the host (the
 * stand-in serves the host's loopback only, and AUTH0_ISSUER accepts loopback issuers only), so the issuer is
 * a closed port inside the container and the load goes to GET /api/v1/items without a token: the API's 401
 * path (routing, auth dependency, JSON error, Caddy's CORS), which touches neither the JWKS nor the database.
 */
const AUTH_ENV = { AUTH0_ISSUER: 'http://127.0.0.1:9/', AUTH0_AUDIENCE: 'https://api.zebra.associates' };
const LOAD_PATH = '/api/v1/items';

const rows: [string, string][] = [];
const note = (what: string, value: string): void => {
  rows.push([what, value]);
  console.log(`    ${what}: ${value}`);
};
const secs = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;
const mb = (kb: number): string => `${(kb / 1024).toFixed(1)} MB`;

async function timed<T>(label: string, command: string, fn: () => Promise<T>): Promise<{ ms: number; value: T }> {
  console.log(`==> ${label}: ${command}`);
  const start = Date.now();
  const value = await fn();
  return { ms: Date.now() - start, value };
}

/** A copy of what the build context admits (see .dockerignore), to change code without touching the repo. */
function copyContext(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'edge-sidecar-ctx-'));
  const skip = (src: string): boolean => !src.split(path.sep).includes('__pycache__');
  for (const rel of [
    '.dockerignore',
    'requirements.lock',
    'requirements-build.lock',
    'deploy',
    path.join('backend', 'edge_api'),
  ]) {
    cpSync(path.join(REPO, rel), path.join(dir, rel), { recursive: true, filter: skip });
  }
  return dir;
}

interface Mem {
  rss: number;
  anon: number;
  file: number;
  pss: number;
}
/** Memory (kB) of each role's processes, summed per role, plus "all". */
async function mem(c: Container): Promise<Record<string, Mem>> {
  const out: Record<string, Mem> = {};
  const add = (role: string, p: { rssKb: number; rssAnonKb: number; rssFileKb: number; pssKb: number }): void => {
    const m = (out[role] ??= { rss: 0, anon: 0, file: 0, pss: 0 });
    m.rss += p.rssKb;
    m.anon += p.rssAnonKb;
    m.file += p.rssFileKb;
    m.pss += p.pssKb;
  };
  for (const p of await containerProcesses(c)) {
    add(p.role, p);
    add('all', p);
  }
  return out;
}
const fmtMem = (a: Mem, b: Mem | undefined): string =>
  `RSS ${mb(a.rss)} → ${mb(b?.rss ?? 0)} (anon ${mb(a.anon)} → ${mb(b?.anon ?? 0)}, file ${mb(a.file)} → ${mb(b?.file ?? 0)}); PSS ${mb(a.pss)} → ${mb(b?.pss ?? 0)}`;

/** The cgroup's view (docker stats: usage without page cache) in MB. */
async function cgroupMb(c: Container): Promise<number> {
  const raw = (await dockerOk(['stats', '--no-stream', '--format', '{{.MemUsage}}', c.id])).split('/')[0]!.trim();
  const m = /^([\d.]+)\s*([KMG]i?B|B)$/.exec(raw);
  if (!m) throw new Error(`unexpected docker stats MemUsage ${JSON.stringify(raw)}`);
  const unit = { B: 1 / 2 ** 20, KiB: 1 / 1024, KB: 1 / 1024, MiB: 1, MB: 1, GiB: 1024, GB: 1024 }[m[2]!] ?? NaN;
  return Number(m[1]) * unit;
}

/** Exactly `total` GETs over `concurrency` keep-alive connections; every request bounded by a timeout. */
async function load(
  url: string,
  total: number,
  concurrency: number,
): Promise<{ ms: number; statuses: Record<number, number>; errors: number }> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
  const statuses: Record<number, number> = {};
  let errors = 0;
  let issued = 0;
  const one = (): Promise<void> =>
    new Promise((resolve) => {
      const req = http.get(url, { agent, timeout: 10_000 }, (res) => {
        res.resume();
        res.on('end', () => {
          statuses[res.statusCode ?? 0] = (statuses[res.statusCode ?? 0] ?? 0) + 1;
          resolve();
        });
        res.on('error', () => {
          errors++;
          resolve();
        });
      });
      req.on('timeout', () => req.destroy(new Error('timeout')));
      req.on('error', () => {
        errors++;
        resolve();
      });
    });
  const start = Date.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (issued < total) {
        issued++;
        await one();
      }
    }),
  );
  agent.destroy();
  return { ms: Date.now() - start, statuses, errors };
}

/** Known roles first (in `order`), then the rest, "all" last. */
const rank = (order: string[], role: string): number =>
  role === 'all' ? 1e9 : order.includes(role) ? order.indexOf(role) : order.length;

interface ModeMemory {
  idle: Record<string, Mem>;
  after: Record<string, Mem>;
  cgroupIdle: number;
  cgroupAfter: number;
}

async function memory(mode: 'sidecar' | 'direct'): Promise<ModeMemory> {
  const port = 20_000 + Math.floor(Math.random() * 40_000);
  const env: Record<string, string> = { ...AUTH_ENV, ...(mode === 'direct' ? { PROXY_MODE: 'direct' } : {}) };
  const envArgs = Object.entries(env)
    .map(([k, v]) => ` -e ${k}=${v}`)
    .join('');
  console.log(`==> ${mode}: docker run -d -p 127.0.0.1::${port} -e PORT=${port}${envArgs} ${IMAGE}`);
  const c = await startContainer({ what: `bench-${mode}`, port, env });
  try {
    await waitHealthy(c);
    await new Promise((r) => setTimeout(r, IDLE_SETTLE_MS));
    const idle = await mem(c);
    const cgroupIdle = await cgroupMb(c);
    console.log(`==> ${mode}: ${REQUESTS} x GET ${LOAD_PATH} without a token (401), ${CONCURRENCY} keep-alive connections`);
    const r = await load(`${c.base}${LOAD_PATH}`, REQUESTS, CONCURRENCY);
    const after = await mem(c);
    const cgroupAfter = await cgroupMb(c);
    note(
      `${mode}: ${REQUESTS} requests`,
      `${secs(r.ms)} (${Math.round((REQUESTS / r.ms) * 1000)} req/s), statuses ${JSON.stringify(r.statuses)}, errors ${r.errors}`,
    );
    const order = ['entrypoint', 'supervisord', 'uvicorn', 'caddy'];
    const roles = Object.keys(idle).sort((a, b) => rank(order, a) - rank(order, b));
    for (const role of roles) note(`${mode}: ${role}, idle → after`, fmtMem(idle[role]!, after[role]));
    note(`${mode}: container (docker stats), idle → after`, `${cgroupIdle.toFixed(1)} MiB → ${cgroupAfter.toFixed(1)} MiB`);
    return { idle, after, cgroupIdle, cgroupAfter };
  } finally {
    await c.remove();
  }
}

async function main(): Promise<void> {
  console.log(`==> engine: deploy/image/docker-engine.sh`);
  await ensureEngine();
  if (!opts['no-build']) {
    if (opts['with-base']) {
      const base = await timed('base image from nothing', 'REBUILD=1 deploy/image/base-image.sh', () =>
        run(path.join(REPO, 'deploy', 'image', 'base-image.sh'), [], { env: { REBUILD: '1' }, timeoutMs: 10 * 60_000 }),
      );
      if (base.value.code !== 0) throw new Error(`base-image.sh failed:\n${base.value.stdout}${base.value.stderr}`);
      note('base image debootstrap + slim + import', secs(base.ms));
    }
    const current = await timed('image as make image builds it', `deploy/image/build.sh (IMAGE=${IMAGE})`, () => buildImage());
    note(`build.sh, cache warm (${IMAGE})`, secs(current.ms));
    const dangling = async (): Promise<string[]> =>
      (await dockerOk(['images', '-q', '--no-trunc', '-f', 'dangling=true'])).split(/\s+/).filter(Boolean);
    const danglingBefore = new Set(await dangling());
    const ctx = copyContext();
    try {
      const cold = await timed('cold build', `NO_CACHE=1 IMAGE=${COLD_TAG} deploy/image/build.sh`, () =>
        buildImage({ image: COLD_TAG, noCache: true }),
      );
      note('cold build (base present, no layer cache)', secs(cold.ms));
      const same = await timed(
        'unchanged copy of the context',
        `BUILD_CONTEXT=<copy> IMAGE=${CODE_TAG} deploy/image/build.sh`,
        () => buildImage({ image: CODE_TAG, context: ctx }),
      );
      note('rebuild, nothing changed', secs(same.ms));
      appendFileSync(path.join(ctx, 'backend', 'edge_api', '__init__.py'), `# bench-image ${Date.now()}\n`);
      const code = await timed(
        'code-only change',
        `(edit backend/edge_api/__init__.py in the copy) BUILD_CONTEXT=<copy> deploy/image/build.sh`,
        () => buildImage({ image: CODE_TAG, context: ctx }),
      );
      note('code-only rebuild (backend/ edit)', secs(code.ms));
    } finally {
      rmSync(ctx, { recursive: true, force: true });
      await docker(['image', 'rm', COLD_TAG, CODE_TAG]);
      // The uncached build stage stays behind untagged: remove what these builds left, nothing older.
      const left = (await dangling()).filter((id) => !danglingBefore.has(id));
      if (left.length) await docker(['image', 'rm', ...left]);
    }
  }
  note(`image size (${IMAGE})`, `${Math.round((await imageSize(IMAGE)) / 1e6)} MB`);
  note('base image size (debian:trixie-slim)', `${Math.round((await imageSize('debian:trixie-slim')) / 1e6)} MB`);

  const s = await memory('sidecar');
  const d = await memory('direct');
  const added = (a: ModeMemory, b: ModeMemory, when: 'idle' | 'after'): string =>
    `PSS ${mb(a[when].all!.pss - b[when].all!.pss)}, container ${(when === 'idle' ? a.cgroupIdle - b.cgroupIdle : a.cgroupAfter - b.cgroupAfter).toFixed(1)} MiB` +
    ` (RSS sum ${mb(a[when].all!.rss - b[when].all!.rss)}, counts shared pages twice)`;
  note('memory the sidecar adds (sidecar − direct), idle', added(s, d, 'idle'));
  note(`memory the sidecar adds, after ${REQUESTS} requests`, added(s, d, 'after'));

  console.log(`\n| measure | value |\n| --- | --- |`);
  for (const [k, v] of rows) console.log(`| ${k} | ${v} |`);
  console.log(
    `\n(${os.cpus().length} cores, ${Math.round(os.totalmem() / 2 ** 30)} GB. RSS/PSS: /proc/<pid>/status and smaps_rollup inside the container; MB = 2^20 bytes, image sizes 10^6)`,
  );
}

try {
  await main();
} catch (err) {
  console.error(`bench-image: ${(err as Error).message}`);
  process.exitCode = 1;
} finally {
  await removeRunContainers();
}
