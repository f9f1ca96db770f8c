// The rehearsal's TLS edge through real sockets: host routing, X-Forwarded-* it sets, its 502, the egress CONNECT proxy, and Chromium trusting its CA only through the NSS database.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import tls from 'node:tls';
import { chromium } from 'playwright-core';
import { makeCa, type RehearsalCa, trustInNss } from '../../src/rehearsal/ca.ts';
import { type Edge, forwardedHeaders, startEdge } from '../../src/rehearsal/edge.ts';
import { freePort } from '../../testkit/stack.ts';

describe('forwardedHeaders', () => {
  const cases: [string, Record<string, string>, string, 'http' | 'https', Record<string, string | undefined>][] = [
    [
      'sets the client and the scheme',
      { host: 'api.example' },
      '127.0.0.1',
      'https',
      { 'x-forwarded-for': '127.0.0.1', 'x-forwarded-proto': 'https', 'x-forwarded-host': 'api.example' },
    ],
    [
      'replaces what the client claims',
      { host: 'a', 'x-forwarded-for': '203.0.113.9', 'x-forwarded-proto': 'https' },
      '127.0.0.1',
      'http',
      { 'x-forwarded-for': '127.0.0.1', 'x-forwarded-proto': 'http' },
    ],
    [
      'drops hop-by-hop and Connection-named fields',
      { host: 'a', connection: 'keep-alive, x-secret', 'x-secret': '1', te: 'trailers', 'keep-alive': '5' },
      '::1',
      'https',
      { connection: undefined, 'x-secret': undefined, te: undefined, 'keep-alive': undefined },
    ],
    [
      'keeps end-to-end fields',
      { host: 'a', origin: 'https://app.example', cookie: 'c=1' },
      '127.0.0.1',
      'https',
      { origin: 'https://app.example', cookie: 'c=1' },
    ],
  ];
  for (const [name, incoming, ip, proto, expected] of cases) {
    test(name, () => {
      const out = forwardedHeaders(incoming, ip, proto);
      for (const [k, v] of Object.entries(expected)) assert.equal(out[k], v, k);
    });
  }
});

describe('the edge', () => {
  let dir: string;
  let ca: RehearsalCa;
  let edge: Edge;
  let upstream: http.Server;
  const names = ['app.test.example', 'api.test.example'];

  before(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'edge-test-'));
    ca = makeCa(path.join(dir, 'ca'), names);
    upstream = http.createServer((req, res) => {
      res.writeHead(200, { 'Content-Type': 'application/json' }).end(
        JSON.stringify({
          host: req.headers.host,
          xff: req.headers['x-forwarded-for'],
          proto: req.headers['x-forwarded-proto'],
          path: req.url,
        }),
      );
    });
    await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', () => r()));
    edge = await startEdge({ [names[0]!]: (upstream.address() as AddressInfo).port, [names[1]!]: await freePort() }, ca);
  });
  after(async () => {
    await edge.close();
    await new Promise((r) => upstream.close(r));
    rmSync(dir, { recursive: true, force: true });
  });

  const get = (name: string, pathname = '/x'): Promise<{ status: number; body: string }> =>
    new Promise((resolve, reject) => {
      https
        .get(
          {
            host: '127.0.0.1',
            port: edge.httpsPort,
            servername: name,
            path: pathname,
            headers: { host: name, 'x-forwarded-for': '198.51.100.1' },
            ca: [readFileSync(ca.caFile)],
            agent: false,
          },
          (res) => {
            let body = '';
            res.on('data', (c: Buffer) => (body += c.toString()));
            res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
          },
        )
        .on('error', reject);
    });

  test('terminates TLS with a certificate the rehearsal CA signed, and forwards plain HTTP with X-Forwarded-*', async () => {
    const res = await get(names[0]!, '/a?b=1');
    assert.equal(res.status, 200);
    assert.deepEqual(JSON.parse(res.body), { host: names[0], xff: '127.0.0.1', proto: 'https', path: '/a?b=1' });
  });

  test('answers 421 for a name it does not route', async () => {
    const res = await new Promise<number>((resolve, reject) => {
      http
        .get({ host: '127.0.0.1', port: edge.httpPort, path: '/', headers: { host: 'other.example' } }, (r) => {
          r.resume();
          resolve(r.statusCode ?? 0);
        })
        .on('error', reject);
    });
    assert.equal(res, 421);
  });

  test('answers its own 502 when the upstream is down', async () => {
    assert.equal((await get(names[1]!)).status, 502);
  });

  test('egress: CONNECT to a routed name on :443 reaches the edge, anything else is refused', async () => {
    const connect = (target: string): Promise<{ status: number; socket: import('node:net').Socket }> =>
      new Promise((resolve, reject) => {
        http
          .request({ host: '127.0.0.1', port: edge.egressPort, method: 'CONNECT', path: target })
          .on('connect', (res, socket) => resolve({ status: res.statusCode ?? 0, socket }))
          .on('error', reject)
          .end();
      });
    const refused = await connect('example.com:443');
    assert.equal(refused.status, 403);
    refused.socket.destroy();
    const wrongPort = await connect(`${names[0]}:80`);
    assert.equal(wrongPort.status, 403);
    wrongPort.socket.destroy();
    const ok = await connect(`${names[0]}:443`);
    assert.equal(ok.status, 200);
    // TLS through the tunnel, verified against the rehearsal CA under the name, as the API's urllib does.
    const secure = tls.connect({ socket: ok.socket, servername: names[0], ca: [readFileSync(ca.caFile)] });
    await new Promise<void>((resolve, reject) => secure.once('secureConnect', () => resolve()).once('error', reject));
    assert.equal(secure.authorized, true);
    secure.write(`GET /t HTTP/1.1\r\nHost: ${names[0]}\r\nConnection: close\r\n\r\n`);
    const raw = await new Promise<string>((resolve) => {
      let s = '';
      secure.on('data', (c: Buffer) => (s += c.toString()));
      secure.on('end', () => resolve(s));
    });
    assert.match(raw, /^HTTP\/1\.1 200/);
    assert.match(raw, /"proto":"https"/);
  });

  test('Chromium trusts the edge only through the NSS database that holds the CA', async () => {
    const rules = `MAP ${names[0]}:443 127.0.0.1:${edge.httpsPort}, MAP * ~NOTFOUND`;
    const visit = async (home: string): Promise<string> => {
      const browser = await chromium.launch({
        executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
        env: { ...process.env, HOME: home },
        args: [`--host-resolver-rules=${rules}`],
      });
      try {
        const page = await browser.newPage();
        return await page.goto(`https://${names[0]}/seen`).then(
          async (r) => `status ${r?.status()}`,
          (e: Error) => e.message.split('\n')[0]!,
        );
      } finally {
        await browser.close();
      }
    };
    const trusted = path.join(dir, 'trusted');
    trustInNss(trusted, ca.caFile);
    assert.equal(await visit(trusted), 'status 200');
    const untrusted = mkdtempSync(path.join(dir, 'untrusted-'));
    assert.match(await visit(untrusted), /ERR_CERT_AUTHORITY_INVALID/);
  });
});
