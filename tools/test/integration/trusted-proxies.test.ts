// TRUSTED_PROXIES through the real stack: X-Forwarded-For/-Proto are believed only from the configured
// edge. Sidecar mode: Caddy's access log (client_ip) and the API (scheme, client) show the forwarded
// client; from any other peer Caddy replaces them. Direct mode: uvicorn itself trusts the same list.
// Every request goes to 127.0.0.1; other peers are loopback source addresses (127.0.0.2 on Linux).
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import { after, before, describe, test } from 'node:test';
import { type Stack, startStack, waitFor } from '../../testkit/stack.ts';

type Entry = Record<string, unknown>;
type Echo = { headers: Record<string, string>; client: [string, number] | null; scheme: string };

const CLIENT = '203.0.113.7'; // TEST-NET-3: what the edge says the browser's address is
const FORGED = { 'X-Forwarded-For': CLIENT, 'X-Forwarded-Proto': 'https' };

/** GET the fake app's /fake/echo from source address `from`, as an edge would forward it. */
function echo(stack: Stack, from: string): Promise<{ id: string; echo: Echo }> {
  const id = `tp-${randomBytes(6).toString('hex')}`;
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: '127.0.0.1',
        port: stack.port,
        path: '/fake/echo',
        localAddress: from,
        headers: { ...FORGED, 'X-Request-ID': id },
        agent: false,
        timeout: 15_000,
      },
      (res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += c.toString()));
        res.on('end', () => {
          if (res.statusCode !== 200) return reject(new Error(`status ${res.statusCode}: ${body}`));
          resolve({ id, echo: JSON.parse(body) as Echo });
        });
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end();
  });
}

/** Caddy's JSON access-log line for request `id` (it is written once the response is sent). */
async function accessLine(stack: Stack, id: string): Promise<Entry> {
  const find = () =>
    stack
      .logs()
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as Entry)
      .find((e) => String(e.logger ?? '').startsWith('http.log.access') && e.request_id === id);
  await waitFor(async () => find() !== undefined, 10_000).catch(() => assert.fail(`no access line for ${id}:\n${stack.logs()}`));
  return find()!;
}

/** What the API saw: its scheme and client, and the X-Forwarded-* Caddy sent it. */
function seen(e: Echo) {
  return { scheme: e.scheme, client: e.client?.[0], xff: e.headers['x-forwarded-for'], xfp: e.headers['x-forwarded-proto'] };
}

function stackFor(mode: 'sidecar' | 'direct', trusted: string | undefined): () => Stack {
  let stack: Stack | undefined;
  before(async () => {
    stack = await startStack({ mode, env: trusted === undefined ? {} : { TRUSTED_PROXIES: trusted } });
  });
  after(async () => {
    await stack?.stop();
  });
  return () => stack!;
}

describe('sidecar, TRUSTED_PROXIES=127.0.0.1', () => {
  const stack = stackFor('sidecar', '127.0.0.1');

  test('from the trusted edge: Caddy logs the forwarded client, the API sees https and that client', async () => {
    const { id, echo: e } = await echo(stack(), '127.0.0.1');
    const request = (await accessLine(stack(), id)).request as Entry;
    assert.deepEqual(
      { client_ip: request.client_ip, remote_ip: request.remote_ip },
      { client_ip: CLIENT, remote_ip: '127.0.0.1' },
    );
    // Caddy appends the edge's own address; uvicorn (trusting only Caddy, loopback) walks back to the client.
    assert.deepEqual(seen(e), { scheme: 'https', client: CLIENT, xff: `${CLIENT}, 127.0.0.1`, xfp: 'https' });
  });

  test('from another peer (127.0.0.2): the forged headers are replaced', async () => {
    const { id, echo: e } = await echo(stack(), '127.0.0.2');
    const request = (await accessLine(stack(), id)).request as Entry;
    assert.deepEqual(
      { client_ip: request.client_ip, remote_ip: request.remote_ip },
      { client_ip: '127.0.0.2', remote_ip: '127.0.0.2' },
    );
    assert.deepEqual(seen(e), { scheme: 'http', client: '127.0.0.2', xff: '127.0.0.2', xfp: 'http' });
  });
});

describe('sidecar, default TRUSTED_PROXIES (100.64.0.0/10)', () => {
  const stack = stackFor('sidecar', undefined);

  test('loopback is not the edge: client_ip 127.0.0.1, the API sees http', async () => {
    const { id, echo: e } = await echo(stack(), '127.0.0.1');
    const request = (await accessLine(stack(), id)).request as Entry;
    assert.deepEqual(
      { client_ip: request.client_ip, remote_ip: request.remote_ip },
      { client_ip: '127.0.0.1', remote_ip: '127.0.0.1' },
    );
    assert.deepEqual(seen(e), { scheme: 'http', client: '127.0.0.1', xff: '127.0.0.1', xfp: 'http' });
  });
});

describe('direct, TRUSTED_PROXIES=127.0.0.1', () => {
  const stack = stackFor('direct', '127.0.0.1');

  test('uvicorn trusts the edge: the API sees https and the forwarded client', async () => {
    const { echo: e } = await echo(stack(), '127.0.0.1');
    assert.deepEqual(seen(e), { scheme: 'https', client: CLIENT, xff: CLIENT, xfp: 'https' });
  });

  test('and nobody else: from 127.0.0.2 the API sees http and the peer', async () => {
    const { echo: e } = await echo(stack(), '127.0.0.2');
    assert.deepEqual({ scheme: e.scheme, client: e.client?.[0] }, { scheme: 'http', client: '127.0.0.2' });
  });
});

describe('direct, TRUSTED_PROXIES=127.0.0.2', () => {
  const stack = stackFor('direct', '127.0.0.2');

  test('the configured edge (not loopback 127.0.0.1, which direct mode always trusts) is believed', async () => {
    const { echo: e } = await echo(stack(), '127.0.0.2');
    assert.deepEqual({ scheme: e.scheme, client: e.client?.[0] }, { scheme: 'https', client: CLIENT });
  });

  test('a peer outside it (127.0.0.3) is not', async () => {
    const { echo: e } = await echo(stack(), '127.0.0.3');
    assert.deepEqual({ scheme: e.scheme, client: e.client?.[0] }, { scheme: 'http', client: '127.0.0.3' });
  });
});

describe("sidecar, TRUSTED_PROXIES=127.0.0.2 (an edge that is not Caddy's loopback peer)", () => {
  const stack = stackFor('sidecar', '127.0.0.2');

  test('the API sees the browser, not the edge: uvicorn walks X-Forwarded-For back past the edge too', async () => {
    const { id, echo: e } = await echo(stack(), '127.0.0.2');
    const request = (await accessLine(stack(), id)).request as Entry;
    assert.equal(request.client_ip, CLIENT);
    assert.deepEqual(seen(e), { scheme: 'https', client: CLIENT, xff: `${CLIENT}, 127.0.0.2`, xfp: 'https' });
  });
});
