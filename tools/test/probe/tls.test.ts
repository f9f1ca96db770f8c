// HTTPS targets: certificates are verified by default, --insecure (insecure: true) skips that.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { runProbe, TargetUnreachableError } from '../../src/probe/index.ts';

const run = promisify(execFile);

/** A throwaway self-signed certificate for 127.0.0.1, made with openssl (no key is kept in the repo). */
async function selfSigned(): Promise<{ key: string; cert: string } | undefined> {
  const dir = await mkdtemp(join(tmpdir(), 'cors-probe-tls-'));
  try {
    await run(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:prime256v1',
        '-nodes',
        '-days',
        '1',
        '-subj',
        '/CN=127.0.0.1',
        '-addext',
        'subjectAltName=IP:127.0.0.1',
        '-keyout',
        join(dir, 'key.pem'),
        '-out',
        join(dir, 'cert.pem'),
      ],
      { timeout: 30_000 },
    );
    return { key: await readFile(join(dir, 'key.pem'), 'utf8'), cert: await readFile(join(dir, 'cert.pem'), 'utf8') };
  } catch {
    return undefined;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

const ORIGIN = 'https://app.zebra.associates';

describe('https target with a self-signed certificate', async () => {
  const pair = await selfSigned();
  let server: https.Server;
  let url = '';
  before(async () => {
    if (!pair) return;
    // Minimal correct CORS answers, enough for the probe to pass when it may connect at all.
    server = https.createServer(pair, (req, res) => {
      const origin = req.headers.origin;
      const ok = origin === ORIGIN;
      const preflight =
        req.method === 'OPTIONS' && origin !== undefined && req.headers['access-control-request-method'] !== undefined;
      res.setHeader('Vary', 'Origin');
      if (
        preflight &&
        ok &&
        req.headers['access-control-request-method'] === 'PUT' &&
        req.headers['access-control-request-headers'] === 'content-type'
      ) {
        res.setHeader('Access-Control-Allow-Methods', 'GET, PUT');
        res.setHeader('Access-Control-Allow-Headers', 'Content-Type');
        res.setHeader('Access-Control-Max-Age', '600');
      }
      if (ok && (!preflight || res.hasHeader('Access-Control-Max-Age'))) {
        res.setHeader('Access-Control-Allow-Origin', ORIGIN);
        res.setHeader('Access-Control-Allow-Credentials', 'true');
      }
      res.writeHead(preflight ? 204 : 200).end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => {
    if (!pair) return;
    server.closeAllConnections();
    return new Promise<void>((resolve) => server.close(() => resolve()));
  });

  const skip = pair ? false : 'openssl is not available to make a test certificate';
  test('is refused by default (certificate verified)', { skip }, async () => {
    await assert.rejects(
      runProbe({ baseUrl: url, origins: [ORIGIN] }),
      (err: unknown) => err instanceof TargetUnreachableError && /self[- ]signed/i.test(err.message),
    );
  });
  test('is probed with insecure: true', { skip }, async () => {
    const report = await runProbe({ baseUrl: url, origins: [ORIGIN], insecure: true });
    assert.deepEqual(
      report.cases.filter((c) => !c.ok),
      [],
    );
  });
});
