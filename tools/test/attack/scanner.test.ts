// Attack suite (docs/security.md): a public CORS scanner against the real stack, its verdicts asserted. The scanner
// is corsair_scan (PyPI, Santander's, pinned in requirements-dev.lock), driven through its library API by
// tools/test/fixtures/corsair_driver.py: for each path x verb x allowed origin it sends its own foreign
// origin and the sub-domain, pre-domain and post-domain variants of the allowed one, and calls a response
// misconfigured when its Access-Control-Allow-Origin is that origin, `*` or `null`.
// - The default policy (the integration policy), both modes: 0 findings.
// - The seeded fault, the deploy drills' reflect-any-origin Caddyfile (CORS_FAULT, tools/src/platform/images.ts:
//   the response origin matcher becomes `.+`), run natively through a `caddy` first on PATH that swaps the
//   config for the faulty copy: at least one finding, naming the reflected foreign origin. So the test can fail.
// Traffic: the driver refuses and records every name resolution but 127.0.0.1 (the attack origins are
// header values only); each request has a timeout, and the whole scan a bound.
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { CORS_FAULT } from '../../src/platform/images.ts';
import { run } from '../../testkit/docker.ts';
import { ALLOWED, POLICY_ENV } from '../../testkit/policy.ts';
import { FIXTURES, type Stack, startStack, VENV_BIN } from '../../testkit/stack.ts';

const DRIVER = path.join(FIXTURES, 'corsair_driver.py');
const PATHS = ['/fake/echo', '/fake/status/404', '/health/live'];
const VERBS = ['get', 'head', 'post', 'put', 'delete', 'options', 'patch'];
const SCANNER_FOREIGN = 'https://scarymonster.com'; // corsair_scan's own attack origin (SM_ORIGIN)

interface Probe {
  Origin: string;
  'Access-Control-Allow-Origin': string | null;
  credentials: boolean;
  status_code: number;
  misconfigured: boolean;
}
interface Finding {
  url: string;
  verb: string;
  status_code: number;
  misconfigured_test: string[];
  credentials?: boolean;
}
interface Scan {
  summary: { misconfigured?: Finding[]; error?: Finding[] };
  report: Array<Record<string, unknown> & { url: string; verb: string }>;
  targets: number;
  refused_hosts: string[];
}

async function scan(stack: Stack): Promise<Scan> {
  const args = { base: stack.base, paths: PATHS, verbs: VERBS, origins: ALLOWED, timeout: 10 };
  const res = await run(path.join(VENV_BIN, 'python'), [DRIVER, JSON.stringify(args)], { timeoutMs: 180_000 });
  assert.equal(res.code, 0, `corsair driver failed (exit ${res.code}):\n${res.stderr}`);
  const out = JSON.parse(res.stdout) as Scan;
  assert.equal(out.targets, PATHS.length * VERBS.length * ALLOWED.length);
  assert.equal(out.report.length, out.targets, 'corsair scanned every target');
  assert.deepEqual(out.refused_hosts, [], 'the scanner tried to contact only 127.0.0.1');
  assert.deepEqual(out.summary.error ?? [], [], 'no probe ended in an error status');
  return out;
}

/** Every probe corsair judged misconfigured, one line each (the failure message lists them). */
function flagged(out: Scan): string[] {
  return out.report.flatMap((r) =>
    Object.entries(r)
      .filter(([, v]) => typeof v === 'object' && v !== null && (v as Probe).misconfigured)
      .map(([name, v]) => {
        const p = v as Probe;
        return `${r.verb.toUpperCase()} ${r.url} [${name}] Origin ${p.Origin} -> ${p.status_code} ACAO ${p['Access-Control-Allow-Origin']}${p.credentials ? ' +credentials' : ''}`;
      }),
  );
}

/** A directory holding a `caddy` that runs the real one on the seeded-fault Caddyfile instead of deploy/'s. */
function faultyCaddyDir(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'edge-sidecar-corsfault-'));
  const caddyfile = path.join(dir, 'Caddyfile');
  writeFileSync(caddyfile, CORS_FAULT.files!['/app/deploy/Caddyfile']!);
  const q = (s: string) => `'${s.replaceAll("'", `'\\''`)}'`;
  writeFileSync(
    path.join(dir, 'caddy'),
    [
      '#!/bin/sh',
      '# The seeded reflect-any-origin fault: the real caddy, with any --config swapped for the faulty copy.',
      `cfg=${q(caddyfile)}`,
      'prev=',
      'for a in "$@"; do',
      '  shift',
      '  if [ "$prev" = --config ]; then set -- "$@" "$cfg"; else set -- "$@" "$a"; fi',
      '  prev=$a',
      'done',
      `exec ${q(path.join(VENV_BIN, 'caddy'))} "$@"`,
      '',
    ].join('\n'),
  );
  chmodSync(path.join(dir, 'caddy'), 0o755);
  return dir;
}

describe('corsair_scan against the real stack', () => {
  const stacks: Stack[] = [];
  let sidecar: Stack;
  let direct: Stack;
  let faulty: Stack;
  let faultDir: string;

  before(async () => {
    faultDir = faultyCaddyDir();
    const faultPath = `${faultDir}:${VENV_BIN}:${process.env.PATH ?? ''}`;
    const started = await Promise.allSettled([
      startStack({ mode: 'sidecar', env: POLICY_ENV }),
      startStack({ mode: 'direct', env: POLICY_ENV }),
      startStack({ mode: 'sidecar', env: { ...POLICY_ENV, PATH: faultPath } }),
    ]);
    for (const s of started) if (s.status === 'fulfilled') stacks.push(s.value);
    const failed = started.find((s) => s.status === 'rejected');
    if (failed) throw (failed as PromiseRejectedResult).reason;
    [sidecar, direct, faulty] = stacks as [Stack, Stack, Stack];
  });
  after(async () => {
    await Promise.all(stacks.map((s) => s.stop()));
    if (faultDir) rmSync(faultDir, { recursive: true, force: true });
  });

  for (const mode of ['sidecar', 'direct'] as const) {
    test(`default policy, ${mode} mode: 0 findings`, async () => {
      const out = await scan(mode === 'sidecar' ? sidecar : direct);
      const findings = out.summary.misconfigured ?? [];
      assert.equal(findings.length, 0, `corsair findings against the default policy:\n${flagged(out).join('\n')}`);
      // The scan exercised CORS: the allowed origins themselves are granted (the scanner never sends them).
      const ok = await fetch(`${(mode === 'sidecar' ? sidecar : direct).base}/fake/echo`, { headers: { Origin: ALLOWED[0]! } });
      assert.equal(ok.headers.get('access-control-allow-origin'), ALLOWED[0]);
    });
  }

  test('seeded reflect-any-origin fault (sidecar): corsair reports origin reflection', async () => {
    const out = await scan(faulty);
    const findings = out.summary.misconfigured ?? [];
    assert.ok(findings.length >= 1, 'corsair found nothing against the reflect-any-origin stack');
    assert.ok(
      findings.some((f) => f.misconfigured_test.includes('fake_origin')),
      `no fake_origin finding: ${JSON.stringify(findings)}`,
    );
    const reflected = flagged(out).filter(
      (l) => l.includes(`Origin ${SCANNER_FOREIGN} `) && l.includes(`ACAO ${SCANNER_FOREIGN}`),
    );
    assert.ok(reflected.length >= 1, `no finding names the reflected foreign origin:\n${flagged(out).join('\n')}`);
  });
});
