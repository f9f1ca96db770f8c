// Attack suite, docs/security.md §7: information and hygiene. Through the real stacks, in both modes:
// no response names the server software (Server, Via), whoever made it (the API, uvicorn itself, Caddy's
// own 4xx, its 502/503/504); no redirect is ever built from the caller's Host (a trailing-slash redirect
// used to send `/api/v1/items/` to any host the caller named); the OpenAPI docs are off unless API_DOCS
// turns them on; cleartext HTTP/2 (h2c) is not offered on $PORT, neither with prior knowledge nor by
// Upgrade: the edge speaks HTTP/1.1 to the container, so h2c would only be another parser to attack.
import assert from 'node:assert/strict';
import net from 'node:net';
import { describe, test } from 'node:test';
import { type RawResponse, request, values } from '../../testkit/http.ts';
import { POLICY_ENV } from '../../testkit/policy.ts';
import { freePorts, runEntrypoint, supervisorctl } from '../../testkit/stack.ts';
import { MODES, stacksInBothModes } from './both-modes.ts';

const ORIGIN = 'http://localhost:3001';
const FOREIGN = 'https://evil.test';

/** Response headers that name the software or the hops that made the answer. */
const TELLING = ['server', 'via', 'x-powered-by'];

function assertAnonymous(res: RawResponse, what: string): void {
  const told = res.headers.filter(([k]) => TELLING.includes(k)).map(([k, v]) => `${k}: ${v}`);
  assert.deepEqual(told, [], `${what}: no Server/Via/X-Powered-By`);
}

/** Bytes written as given on a fresh connection; everything read until the server closes (or `enough`). */
function rawExchange(port: number, bytes: Buffer, enough: (got: Buffer) => boolean = () => false): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const sock = net.connect(port, '127.0.0.1', () => sock.write(bytes));
    const done = () => {
      sock.destroy();
      resolve(Buffer.concat(chunks));
    };
    sock.setTimeout(15_000, () => sock.destroy(new Error('no answer and no close within 15 s')));
    sock.on('data', (c: Buffer) => {
      chunks.push(c);
      if (enough(Buffer.concat(chunks))) done();
    });
    sock.on('end', done);
    sock.on('close', done);
    sock.on('error', (err: NodeJS.ErrnoException) => (err.code === 'ECONNRESET' ? done() : reject(err)));
  });
}

/** The header block of a raw HTTP/1.x answer, as [name, value] lines (lower-case names). */
function rawHeaders(answer: Buffer): { status: number; headers: [string, string][] } {
  const head = answer.toString('latin1').split('\r\n\r\n')[0] ?? '';
  const [statusLine, ...lines] = head.split('\r\n');
  const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(statusLine ?? '')?.[1] ?? 0);
  return { status, headers: lines.map((l) => [l.slice(0, l.indexOf(':')).toLowerCase(), l.slice(l.indexOf(':') + 1).trim()]) };
}

const headComplete = (got: Buffer) => got.includes('\r\n\r\n');

interface Case {
  name: string;
  method: string;
  path: string;
  headers?: Record<string, string>;
  status: number;
}

/** Answers of every kind the reference API and the proxy give, none of which may name the software. */
const ANSWERS: Case[] = [
  { name: 'success: /health/live', method: 'GET', path: '/health/live', status: 200 },
  {
    name: 'success with CORS: /health/live from the allowed origin',
    method: 'GET',
    path: '/health/live',
    headers: { Origin: ORIGIN },
    status: 200,
  },
  { name: 'success: /health (readiness, through the proxy)', method: 'GET', path: '/health', status: 200 },
  { name: '405: HEAD /health/live (the API declares GET only)', method: 'HEAD', path: '/health/live', status: 405 },
  { name: '401: /api/v1/items without a token', method: 'GET', path: '/api/v1/items', headers: { Origin: ORIGIN }, status: 401 },
  { name: '404: unknown path', method: 'GET', path: '/no/such/path', status: 404 },
  { name: '405: DELETE /health/live', method: 'DELETE', path: '/health/live', status: 405 },
  {
    name: '403: cookie-bound POST without X-Requested-With',
    method: 'POST',
    path: '/api/v1/auth/refresh',
    headers: { Origin: ORIGIN },
    status: 403,
  },
  {
    name: 'preflight granted (204)',
    method: 'OPTIONS',
    path: '/api/v1/items',
    headers: { Origin: ORIGIN, 'Access-Control-Request-Method': 'POST' },
    status: 204,
  },
  {
    name: 'preflight refused (403)',
    method: 'OPTIONS',
    path: '/api/v1/items',
    headers: { Origin: FOREIGN, 'Access-Control-Request-Method': 'POST' },
    status: 403,
  },
];

const HOSTS = ['evil.example', 'evil.example:8443', 'app.zebra.associates', '127.0.0.1'];
/** Paths a framework might "fix" with a redirect: trailing slashes, doubled slashes, a host in the path. */
const REDIRECT_BAIT = [
  '/api/v1/items/',
  '/api/v1/items/42/',
  '/api/v1/auth/me/',
  '/api/v1/auth/auth0-url/?redirect_uri=http://localhost:3001/',
  '/health/',
  '/health/live/',
  '//evil.example/api/v1/items/',
  '//evil.example/health/live/',
  '/docs/',
  '/docs/oauth2-redirect',
];
const DOCS = ['/docs', '/redoc', '/openapi.json', '/docs/oauth2-redirect'];

/** A Location that leaves the site: absolute (scheme://), protocol-relative (//host) or a backslash trick. */
function offSite(location: string): boolean {
  return /^[a-z][a-z0-9+.-]*:/i.test(location) || /^[/\\]{2}/.test(location) || location.includes('\\');
}

/** HTTP/2 connection preface and an empty SETTINGS frame, as a prior-knowledge h2c client sends them. */
const H2_PREFACE = Buffer.concat([
  Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1'),
  Buffer.from([0, 0, 0, 4, 0, 0, 0, 0, 0]),
]);

/** Whether an answer begins with an HTTP/2 SETTINGS frame (type 4 on stream 0): an h2c server's first words. */
function isH2Settings(answer: Buffer): boolean {
  return answer.length >= 9 && answer[3] === 0x04 && answer.readUInt32BE(5) === 0;
}

describe('attack: information and hygiene (docs/security.md §7), reference API, sidecar and direct', () => {
  const stacks = stacksInBothModes({ fakeApp: false, env: POLICY_ENV });

  for (const c of ANSWERS) {
    test(`no Server/Via: ${c.name}`, async () => {
      for (const stack of stacks) {
        const res = await request(stack.base + c.path, { method: c.method, headers: c.headers });
        assert.equal(res.status, c.status, `${stack.mode}: ${c.name}: status`);
        assertAnonymous(res, `${stack.mode}: ${c.name}`);
      }
    });
  }

  test('no Server/Via on the 400 the HTTP layer itself makes for a malformed request line', async () => {
    for (const stack of stacks) {
      const answer = await rawExchange(
        stack.port,
        Buffer.from('GET /health/live HTTP/1.1\r\nHost: x\r\nno colon here\r\n\r\n', 'latin1'),
        headComplete,
      );
      const { status, headers } = rawHeaders(answer);
      assert.equal(
        status,
        400,
        `${stack.mode}: malformed request: 400 (${JSON.stringify(answer.toString('latin1').slice(0, 80))})`,
      );
      assertAnonymous({ status, headers, body: '' }, `${stack.mode}: malformed request`);
    }
  });

  test('no redirect ever leaves the site, whatever Host the caller names', async () => {
    const bad: string[] = [];
    for (const stack of stacks) {
      for (const host of HOSTS) {
        for (const p of REDIRECT_BAIT) {
          for (const method of ['GET', 'POST']) {
            const headers = { Host: host, Origin: ORIGIN, 'X-Forwarded-Host': 'evil.example' };
            const res = await request(stack.base + p, { method, headers });
            const location = values(res, 'location');
            assertAnonymous(res, `${stack.mode}: ${method} ${p} (Host ${host})`);
            if (location.some(offSite) || (res.status >= 300 && res.status < 400)) {
              bad.push(`${stack.mode}: ${method} ${p} Host ${host} -> ${res.status} ${location.join(' ')}`);
            }
          }
        }
      }
    }
    assert.deepEqual(bad, [], 'no 3xx and no off-site Location');
  });

  test('a trailing slash is not the route: /api/v1/items/ is a 404 (no redirect), /api/v1/items the 401', async () => {
    for (const stack of stacks) {
      assert.equal((await request(`${stack.base}/api/v1/items/`, { headers: { Host: 'evil.example' } })).status, 404, stack.mode);
      assert.equal((await request(`${stack.base}/api/v1/items`)).status, 401, stack.mode);
    }
  });

  for (const p of DOCS) {
    test(`OpenAPI docs are off by default: ${p} is a 404`, async () => {
      for (const stack of stacks) {
        const res = await request(stack.base + p);
        assert.equal(res.status, 404, `${stack.mode}: ${p}`);
        assert.doesNotMatch(res.body, /swagger|redoc|openapi/i, `${stack.mode}: ${p}: nothing of the docs`);
        assertAnonymous(res, `${stack.mode}: ${p}`);
      }
    });
  }

  test('h2c with prior knowledge is refused: no HTTP/2 SETTINGS frame comes back', async () => {
    for (const stack of stacks) {
      const answer = await rawExchange(stack.port, H2_PREFACE, (got) => got.length >= 9);
      assert.ok(!isH2Settings(answer), `${stack.mode}: the server spoke HTTP/2 (${answer.subarray(0, 24).toString('hex')})`);
      // Either nothing (closed) or an HTTP/1.x error, never a 2xx.
      const text = answer.toString('latin1');
      assert.ok(
        text === '' || /^HTTP\/1\.[01] [45]\d\d /.test(text),
        `${stack.mode}: answer ${JSON.stringify(text.slice(0, 60))}`,
      );
    }
  });

  test('h2c by Upgrade is refused: an ordinary HTTP/1.1 answer, never 101 Switching Protocols', async () => {
    for (const stack of stacks) {
      const res = await request(`${stack.base}/health/live`, {
        headers: { Connection: 'Upgrade, HTTP2-Settings', Upgrade: 'h2c', 'HTTP2-Settings': 'AAMAAABkAARAAAAAAAIAAAAA' },
      });
      assert.equal(res.status, 200, `${stack.mode}: answered as HTTP/1.1`);
      assert.deepEqual(values(res, 'upgrade'), [], `${stack.mode}: no Upgrade offered`);
      assertAnonymous(res, `${stack.mode}: Upgrade: h2c`);
    }
  });
});

describe('attack: API_DOCS=true turns the OpenAPI docs on (local use), sidecar and direct', () => {
  const stacks = stacksInBothModes({ fakeApp: false, env: { ...POLICY_ENV, API_DOCS: 'true' } });

  test('/docs, /redoc and /openapi.json answer 200, and still name no server', async () => {
    for (const stack of stacks) {
      for (const p of ['/docs', '/redoc']) {
        const res = await request(stack.base + p);
        assert.equal(res.status, 200, `${stack.mode}: ${p}`);
        assert.match(values(res, 'content-type')[0] ?? '', /text\/html/, `${stack.mode}: ${p}`);
        assertAnonymous(res, `${stack.mode}: ${p}`);
      }
      const spec = await request(`${stack.base}/openapi.json`);
      assert.equal(spec.status, 200, `${stack.mode}: /openapi.json`);
      const doc = JSON.parse(spec.body) as { openapi?: string; paths?: Record<string, unknown> };
      assert.match(doc.openapi ?? '', /^3\./, stack.mode);
      assert.ok(doc.paths?.['/api/v1/items'], `${stack.mode}: the spec lists the items route`);
    }
  });

  test('even with the docs on, no redirect leaves the site', async () => {
    for (const stack of stacks) {
      for (const p of ['/docs/', '/api/v1/items/', '//evil.example/docs/']) {
        const res = await request(stack.base + p, { headers: { Host: 'evil.example' } });
        assert.ok(
          res.status < 300 || res.status >= 400,
          `${stack.mode}: ${p} -> ${res.status} ${values(res, 'location').join(' ')}`,
        );
        assert.ok(!values(res, 'location').some(offSite), `${stack.mode}: ${p}`);
      }
    }
  });
});

describe('attack: API_DOCS must be a boolean', () => {
  for (const mode of MODES) {
    test(`${mode}: API_DOCS=maybe stops the start with one line naming API_DOCS and exit 2`, async () => {
      const [port, apiPort, issuerPort] = await freePorts(3);
      const res = await runEntrypoint(
        {
          PORT: String(port),
          API_PORT: String(apiPort),
          PROXY_MODE: mode,
          AUTH0_ISSUER: `http://127.0.0.1:${issuerPort}/`,
          AUTH0_AUDIENCE: 'https://api.zebra.associates',
          API_DOCS: 'maybe',
        },
        30_000,
      );
      assert.equal(res.code, 2, `${mode}: exit code\n${res.stderr.slice(-2000)}`);
      assert.match(res.stderr, /API_DOCS/, `${mode}: the refusal names the variable`);
      assert.doesNotMatch(res.stderr, /Traceback/, `${mode}: no traceback`);
    });
  }
});

describe('attack: no Server/Via on the answers the proxy and uvicorn make themselves (fake app)', () => {
  const stacks = stacksInBothModes({ env: { ...POLICY_ENV, UPSTREAM_TIMEOUT: '2' } });

  test("the app's unhandled 500 (uvicorn's own answer in direct mode)", async () => {
    for (const stack of stacks) {
      const res = await request(`${stack.base}/fake/crash`, { headers: { Origin: ORIGIN } });
      assert.equal(res.status, 500, stack.mode);
      assertAnonymous(res, `${stack.mode}: 500`);
    }
  });

  test("the API's own Server header (uvicorn's, upstream) is not passed on by the proxy", async () => {
    const sidecar = stacks.find((s) => s.mode === 'sidecar')!;
    const res = await request(`${sidecar.base}/fake/ok`, { headers: { Origin: ORIGIN } });
    assert.equal(res.status, 200);
    assertAnonymous(res, 'sidecar: app answer');
  });

  test("the proxy's 504 (API too slow)", async () => {
    const sidecar = stacks.find((s) => s.mode === 'sidecar')!;
    for (const origin of [ORIGIN, FOREIGN]) {
      const res = await request(`${sidecar.base}/fake/slow?seconds=8`, { headers: { Origin: origin } });
      assert.equal(res.status, 504, origin);
      assertAnonymous(res, `sidecar: 504 for ${origin}`);
    }
  });

  test("the proxy's 502 (API down) and /health's 503", async () => {
    const sidecar = stacks.find((s) => s.mode === 'sidecar')!;
    await supervisorctl(sidecar, 'stop', 'api');
    try {
      const res = await request(`${sidecar.base}/fake/ok`, { headers: { Origin: ORIGIN }, timeoutMs: 20_000 });
      assert.equal(res.status, 502);
      assertAnonymous(res, 'sidecar: 502');
      const health = await request(`${sidecar.base}/health`, { headers: { Origin: ORIGIN } });
      assert.equal(health.status, 503);
      assertAnonymous(health, 'sidecar: /health 503');
      const proxy = await request(`${sidecar.base}/health/proxy`);
      assert.equal(proxy.status, 200);
      assertAnonymous(proxy, 'sidecar: /health/proxy');
    } finally {
      await supervisorctl(sidecar, 'start', 'api');
    }
  });
});
