// Spawns the real tools/bin/cors-probe: --help text and exit codes 0/1/2 against the fake sidecar.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { ERROR_PATH, type FakeSidecar, type Fault, OK_PATH, POLICY, startFakeSidecar } from './fake-sidecar.ts';

const BIN = fileURLToPath(new URL('../../bin/cors-probe', import.meta.url));

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the CLI from an unrelated cwd (it must not depend on it), bounded by a timeout. */
function cli(args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(BIN, args, { cwd: tmpdir(), timeout: 60_000, env: { ...process.env, NO_COLOR: '1' } }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : -1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

/** A loopback URL where nothing listens: a port bound and released just now. */
async function closedUrl(): Promise<string> {
  const s = net.createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const { port } = s.address() as net.AddressInfo;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return `http://127.0.0.1:${port}`;
}

test('--help documents usage, every flag and the exit codes', async () => {
  const r = await cli(['--help']);
  assert.equal(r.code, 0);
  assert.equal(r.stderr, '');
  assert.match(r.stdout, /^Usage: cors-probe <base-url> --origin <allowed>/);
  const flags = [
    '--origin',
    '--deny',
    '--path',
    '--error-path',
    '--method',
    '--request-header',
    '--deny-method',
    '--deny-header',
    '--no-credentials',
    '--timeout',
    '--insecure',
    '--json',
    '--help',
  ];
  for (const flag of flags) assert.ok(r.stdout.includes(flag), `help mentions ${flag}`);
  assert.match(r.stdout, /Exit codes:\n\s+0 .*passed\n\s+1 .*conformance failure.*\n\s+2 .*usage error.*reached/);
  assert.match(r.stdout, /NO_COLOR/);
});

describe('exit codes against the fake sidecar', () => {
  let server: FakeSidecar;
  before(async () => {
    server = await startFakeSidecar();
  });
  after(() => server.close());

  const policyArgs = (): string[] => [
    server.url,
    ...POLICY.origins.flatMap((o) => ['--origin', o]),
    '--path',
    OK_PATH,
    '--error-path',
    ERROR_PATH,
    '--request-header',
    'X-Tenant-ID',
    '--timeout',
    '5s',
  ];

  const ROWS: [label: string, fault: Fault, args: () => string[], code: number, check: (r: Run) => void][] = [
    ['correct server → 0', 'none', policyArgs, 0, (r) => assert.match(r.stdout, /\nPASS: \d+ passed, 0 failed/)],
    [
      'correct server, --json → 0 and a ProbeReport',
      'none',
      () => [...policyArgs(), '--json'],
      0,
      (r) => assert.equal(JSON.parse(r.stdout).ok, true),
    ],
    [
      'suffix attack granted → 1',
      'suffix-attack',
      policyArgs,
      1,
      (r) => assert.match(r.stdout, /^FAIL get-denied-origin https:\/\/app\.zebra\.associates\.evil\.test: suffix attack/m),
    ],
    [
      'duplicate ACAO, --json → 1',
      'duplicate-acao',
      () => [...policyArgs(), '--json'],
      1,
      (r) => assert.equal(JSON.parse(r.stdout).ok, false),
    ],
    ['missing --origin → 2', 'none', () => [server.url], 2, (r) => assert.match(r.stderr, /at least one --origin.*\n.*--help/)],
    [
      'unknown flag → 2',
      'none',
      () => [...policyArgs(), '--bogus'],
      2,
      (r) => assert.match(r.stderr, /Unknown option '--bogus'/),
    ],
    [
      'invalid origin → 2',
      'none',
      () => [server.url, '--origin', 'https://app.zebra.associates/'],
      2,
      (r) => assert.match(r.stderr, /not an origin/),
    ],
  ];
  for (const [label, fault, args, code, check] of ROWS) {
    test(label, async () => {
      server.fault = fault;
      const r = await cli(args());
      assert.equal(r.code, code, `stderr: ${r.stderr}`);
      check(r);
    });
  }
});

test('unreachable target → 2', async () => {
  const url = await closedUrl();
  const r = await cli([url, '--origin', 'https://app.zebra.associates']);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /cannot reach .*ECONNREFUSED/);
  assert.equal(r.stdout, '');
});
