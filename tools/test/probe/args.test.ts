// Case tables for CLI argument parsing and durations (pure, no process spawning).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseCommand, parseDuration } from '../../src/probe/args.ts';
import { type ProbeOptions, ProbeUsageError } from '../../src/probe/index.ts';

describe('parseDuration', () => {
  const ROWS: [string, number | null][] = [
    ['10s', 10_000],
    ['500ms', 500],
    ['1m', 60_000],
    ['2', 2000],
    ['1.5s', 1500],
    ['0', null],
    ['-1s', null],
    ['10h', null],
    ['soon', null],
  ];
  for (const [text, ms] of ROWS) {
    test(text, () => {
      if (ms === null) assert.throws(() => parseDuration(text), ProbeUsageError);
      else assert.equal(parseDuration(text), ms);
    });
  }
});

describe('parseCommand', () => {
  const U = 'https://api.example.com';
  const ROWS: [label: string, argv: string[], expect: Partial<ProbeOptions> | 'help' | RegExp][] = [
    ['help', ['--help'], 'help'],
    ['unknown flags are errors even with -h', ['-h', '--bogus'], /Unknown option/],
    [
      'minimal',
      [U, '--origin', 'https://app.example.com'],
      { baseUrl: U, origins: ['https://app.example.com'], credentials: true, insecure: false, deny: [] },
    ],
    [
      'origin lists split',
      [U, '--origin', 'https://a.example.com, http://localhost:3001', '--origin', 'https://b.example.com'],
      { origins: ['https://a.example.com', 'http://localhost:3001', 'https://b.example.com'] },
    ],
    [
      'every flag',
      [
        U,
        '--origin',
        'https://a.example.com',
        '--deny',
        'https://x.test',
        '--path',
        '/p',
        '--error-path',
        '/e',
        '--method',
        'PATCH',
        '--request-header',
        'X-Tenant-ID',
        '--request-header',
        'Authorization',
        '--deny-method',
        'PURGE',
        '--deny-header',
        'X-No',
        '--no-credentials',
        '--timeout',
        '3s',
        '--insecure',
      ],
      {
        deny: ['https://x.test'],
        path: '/p',
        errorPath: '/e',
        method: 'PATCH',
        requestHeaders: ['X-Tenant-ID', 'Authorization'],
        denyMethod: 'PURGE',
        denyHeader: 'X-No',
        credentials: false,
        timeoutMs: 3000,
        insecure: true,
      },
    ],
    ['missing base URL', ['--origin', 'https://a.example.com'], /missing <base-url>/],
    ['two base URLs', [U, U, '--origin', 'https://a.example.com'], /expected one base URL, got 2/],
    ['missing origin', [U], /at least one --origin/],
    ['unknown flag', [U, '--origin', 'https://a.example.com', '--frobnicate'], /Unknown option/],
    ['flag without value', [U, '--origin'], /argument missing/],
    ['bad timeout', [U, '--origin', 'https://a.example.com', '--timeout', 'fast'], /--timeout/],
  ];
  for (const [label, argv, expect] of ROWS) {
    test(label, () => {
      if (expect instanceof RegExp) {
        assert.throws(
          () => parseCommand(argv),
          (err: unknown) => err instanceof ProbeUsageError && expect.test(err.message),
        );
        return;
      }
      const cmd = parseCommand(argv);
      if (expect === 'help') return assert.equal(cmd.kind, 'help');
      assert.equal(cmd.kind, 'run');
      if (cmd.kind !== 'run') return;
      for (const [k, v] of Object.entries(expect)) assert.deepEqual(cmd.options[k as keyof ProbeOptions], v, k);
    });
  }
  test('--json is a display flag, not a probe option', () => {
    const cmd = parseCommand([U, '--origin', 'https://a.example.com', '--json']);
    assert.ok(cmd.kind === 'run' && cmd.json);
  });
});
