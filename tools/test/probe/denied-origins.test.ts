// Case tables for deniedOriginsFor (the generated attack origins) and for allowed-origin validation.
import assert from 'node:assert/strict';
import { validateHeaderValue } from 'node:http';
import { describe, test } from 'node:test';
import { deniedOriginCandidates, deniedOriginsFor, ProbeUsageError } from '../../src/probe/index.ts';
import { parseOriginPattern, patternAllows } from '../../src/probe/origin.ts';

describe('deniedOriginsFor: exact output', () => {
  const EXACT: [allowed: string, denied: string[]][] = [
    [
      'https://app.example.com',
      [
        'https://app.example.com.evil.test',
        'https://evilapp.example.com',
        'https://evil.app.example.com',
        'https://appxexample.com',
        'https://app.examplexcom',
        'https://app.example.com_.evil.test',
        'https://app.example.com`.evil.test',
        'http://app.example.com',
        'https://app.example.com:444',
        'https://app.example.com/',
        'https://APP.EXAMPLE.COM',
        'null',
        'https://app.example.com https://evil.test',
        'https://app.example.com, https://evil.test',
      ],
    ],
    [
      'http://localhost:3001',
      [
        'http://localhost.evil.test:3001',
        'http://localhost:3001.evil.test',
        'http://evillocalhost:3001',
        'http://evil.localhost:3001',
        'http://localhost_.evil.test:3001',
        'http://localhost`.evil.test:3001',
        'https://localhost:3001',
        'http://localhost:3002',
        'http://localhost:3001/',
        'http://LOCALHOST:3001',
        'null',
        'http://localhost:3001 https://evil.test',
        'http://localhost:3001, https://evil.test',
      ],
    ],
  ];
  for (const [allowed, denied] of EXACT) {
    test(allowed, () => assert.deepEqual(deniedOriginsFor(allowed), denied));
  }
});

describe('deniedOriginsFor: properties', () => {
  const ROWS: [allowed: string, mustContain: string[]][] = [
    [
      'https://app.zebra.associates',
      [
        'https://app.zebra.associates.evil.test',
        'https://evilapp.zebra.associates',
        'https://appxzebra.associates',
        'http://app.zebra.associates',
      ],
    ],
    [
      'https://*.preview.zebra.associates',
      [
        'https://preview.zebra.associates',
        'https://evilpreview.zebra.associates',
        'https://evil.cors-probe.preview.zebra.associates',
        'https://cors-probe.preview.zebra.associates.evil.test',
        'https://cors-probe.previewxzebra.associates',
        'http://cors-probe.preview.zebra.associates',
      ],
    ],
    ['http://127.0.0.1:65535', ['http://127.0.0.1:65534', 'http://127x0.0.1:65535', 'https://127.0.0.1:65535']],
    ['http://[::1]:8080', ['http://[::1]:8081', 'http://[::1]:8080/']],
    ['http://localhost', ['http://localhost:81', 'https://localhost']],
  ];
  for (const [allowed, mustContain] of ROWS) {
    test(allowed, () => {
      const denied = deniedOriginsFor(allowed);
      for (const o of mustContain) assert.ok(denied.includes(o), `missing ${o}`);
      assert.equal(new Set(denied).size, denied.length, 'no duplicates');
      const p = parseOriginPattern(allowed);
      for (const o of denied) {
        assert.ok(!patternAllows(p, o), `${o} is allowed by ${allowed}`);
        assert.doesNotThrow(() => validateHeaderValue('Origin', o), `${o} must be sendable`);
      }
      assert.ok(denied.includes('null'));
      assert.ok(deniedOriginCandidates(allowed).every((d) => d.kind.length > 0));
    });
  }
  test("the wildcard's own sample and one-label prefix attacks are never generated", () => {
    const denied = deniedOriginsFor('https://*.preview.zebra.associates');
    assert.ok(!denied.includes('https://cors-probe.preview.zebra.associates'));
    assert.ok(!denied.includes('https://evilcors-probe.preview.zebra.associates'));
  });
});

describe('allowed origins are validated', () => {
  const BAD = [
    'https://app.example.com/',
    'https://app.example.com/path',
    'app.example.com',
    'ftp://app.example.com',
    'https://APP.example.com',
    'null',
    '*',
    'https://*',
    'https://*.*.example.com',
    'https://x.*.example.com',
    'https://app.example.com:0',
    'https://app.example.com:70000',
    'https://app..example.com',
    ' https://app.example.com',
  ];
  for (const origin of BAD) {
    test(`rejects ${JSON.stringify(origin)}`, () => assert.throws(() => deniedOriginsFor(origin), ProbeUsageError));
  }
});
