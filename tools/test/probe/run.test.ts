// runProbe edge cases: unusable options, unreachable and silent targets, unsendable origins, slow bodies.
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { type ProbeOptions, ProbeUsageError, runProbe, TargetUnreachableError } from '../../src/probe/index.ts';
import { send } from '../../src/probe/transport.ts';
import { type FakeSidecar, OK_PATH, startFakeSidecar } from './fake-sidecar.ts';

async function listen(handler: http.RequestListener): Promise<{ url: string; close(): Promise<void> }> {
  const server = http.createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A port that was just bound and released: nothing listens there. */
async function closedPort(): Promise<string> {
  const s = await listen(() => undefined);
  await s.close();
  return s.url;
}

describe('usage errors reject with ProbeUsageError', () => {
  const base: ProbeOptions = { baseUrl: 'http://127.0.0.1:9', origins: ['https://app.example.com'] };
  const ROWS: [label: string, opts: Partial<ProbeOptions>, message: RegExp][] = [
    ['bad URL', { baseUrl: 'not a url' }, /not a URL/],
    ['ftp target', { baseUrl: 'ftp://127.0.0.1/' }, /only http and https/],
    ['no origins', { origins: [] }, /at least one allowed origin/],
    ['origin with a path', { origins: ['https://app.example.com/x'] }, /not an origin/],
    ['relative path', { path: 'api' }, /path must start with "\/"/],
    ['method not a token', { method: 'P UT' }, /not an HTTP token/],
    ['deny method equals method', { denyMethod: 'PUT' }, /must differ/],
    ['deny method safelisted', { denyMethod: 'POST' }, /must differ from --method and not be GET, HEAD or POST/],
    ['deny header requested', { denyHeader: 'content-type' }, /also a requested header/],
    ['zero timeout', { timeoutMs: 0 }, /timeout must be positive/],
  ];
  for (const [label, opts, message] of ROWS) {
    test(label, async () => {
      await assert.rejects(
        runProbe({ ...base, ...opts }),
        (err: unknown) => err instanceof ProbeUsageError && message.test(err.message),
      );
    });
  }
});

describe('unreachable targets reject with TargetUnreachableError', () => {
  test('connection refused', async () => {
    const url = await closedPort();
    await assert.rejects(
      runProbe({ baseUrl: url, origins: ['https://app.example.com'] }),
      (err: unknown) => err instanceof TargetUnreachableError && /ECONNREFUSED/.test(err.message) && err.message.includes(url),
    );
  });
  test('no answer within the timeout', async () => {
    const silent = await listen(() => undefined);
    try {
      await assert.rejects(
        runProbe({ baseUrl: silent.url, origins: ['https://app.example.com'], timeoutMs: 200 }),
        (err: unknown) => err instanceof TargetUnreachableError && /no response within 200 ms/.test(err.message),
      );
    } finally {
      await silent.close();
    }
  });
});

describe('transport', () => {
  test('a head followed by an endless body still yields the head', async () => {
    const s = await listen((_req, res) => {
      res.writeHead(200, { 'Access-Control-Allow-Origin': 'x' });
      res.write('partial');
    });
    try {
      const r = await send({ method: 'GET', url: s.url, headers: [], timeoutMs: 300, insecure: false });
      assert.equal(r.status, 200);
      assert.equal(r.body, 'partial');
    } finally {
      await s.close();
    }
  });
  test('a large body is cut, the request still resolves', async () => {
    const s = await listen((_req, res) => res.end('x'.repeat(1 << 20)));
    try {
      const r = await send({ method: 'GET', url: s.url, headers: [], timeoutMs: 5000, insecure: false });
      assert.equal(r.body.length, 4096);
    } finally {
      await s.close();
    }
  });
});

describe('origins node refuses to send', () => {
  let server: FakeSidecar;
  before(async () => {
    server = await startFakeSidecar();
  });
  after(() => server.close());
  test('are reported as skipped, not failed', async () => {
    const bad = 'https://evil.test\r\nX-Injected: 1';
    const report = await runProbe({ baseUrl: server.url, origins: ['https://app.zebra.associates'], deny: [bad], path: OK_PATH });
    assert.ok(report.ok);
    const skipped = report.cases.filter((c) => c.skipped);
    assert.deepEqual(skipped.map((c) => c.name).sort(), ['get-denied-origin', 'preflight-denied-origin']);
    for (const c of skipped) {
      assert.equal(c.origin, bad);
      assert.equal(c.ok, true);
      assert.match(c.reason ?? '', /^skipped: node refuses to send Origin/);
    }
  });
});
