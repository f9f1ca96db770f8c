// Every rule of the contract's CORS semantics, through the real stack, in both modes (parity).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { request, tokens, values, type RawResponse } from '../../src/harness/http.ts';
import { startStack, type Stack } from '../../src/harness/stack.ts';
import { ALLOWED, DENIED, POLICY_ENV } from './policy.ts';


const cors = (res: RawResponse) => res.headers.filter(([k]) => k.startsWith('access-control-'));

/** What every non-preflight response must carry for an allowed origin, whatever its status. */
function assertAllowed(res: RawResponse, origin: string, what: string): void {
  assert.deepEqual(values(res, 'access-control-allow-origin'), [origin], `${what}: exactly one ACAO = origin`);
  assert.deepEqual(values(res, 'access-control-allow-credentials'), ['true'], `${what}: ACAC exactly "true"`);
  assert.deepEqual(tokens(res, 'access-control-expose-headers'), ['x-request-id'], `${what}: expose`);
  assert.deepEqual(values(res, 'access-control-allow-methods'), [], `${what}: the app's own ACAM is stripped`);
  assert.ok(tokens(res, 'vary').includes('origin'), `${what}: Vary contains Origin`);
}

function assertNoCors(res: RawResponse, what: string): void {
  assert.deepEqual(cors(res), [], `${what}: no Access-Control-* at all`);
}

const APP_STATUSES = [
  ['/fake/ok', 200],
  ['/fake/status/400', 400],
  ['/fake/status/401', 401],
  ['/fake/status/404', 404],
  ['/fake/status/500', 500],
  ['/fake/crash', 500], // unhandled exception: Starlette/uvicorn's own 500 page
] as const;

for (const mode of ['sidecar', 'direct'] as const) {
  describe(`CORS semantics, ${mode} mode`, () => {
    let stack: Stack;
    before(async () => {
      stack = await startStack({ mode, env: POLICY_ENV });
    });
    after(async () => {
      await stack?.stop();
    });

    test('allowed preflights are answered here with the full grant', async () => {
      for (const origin of ALLOWED) {
        const res = await request(`${stack.base}/fake/ok`, {
          method: 'OPTIONS',
          headers: { Origin: origin, 'Access-Control-Request-Method': 'PUT', 'Access-Control-Request-Headers': 'content-type,X-TENANT-ID' },
        });
        assert.equal(res.status, 204, origin);
        assert.ok(!res.body.includes('answered_by'), `${origin}: never forwarded to the app`);
        assert.deepEqual(values(res, 'access-control-allow-origin'), [origin]);
        assert.deepEqual(values(res, 'access-control-allow-credentials'), ['true']);
        assert.ok(tokens(res, 'access-control-allow-methods').includes('put'));
        assert.ok(tokens(res, 'access-control-allow-headers').includes('x-tenant-id'));
        assert.deepEqual(values(res, 'access-control-max-age'), ['600']);
        assert.deepEqual(tokens(res, 'vary'), ['origin', 'access-control-request-method', 'access-control-request-headers']);
      }
    });

    const refused: [string, Record<string, string>][] = [
      ...DENIED.map((o): [string, Record<string, string>] => [`origin ${o}`, { Origin: o, 'Access-Control-Request-Method': 'GET' }]),
      ['method not listed', { Origin: ALLOWED[0]!, 'Access-Control-Request-Method': 'PROPFIND' }],
      ['method in the wrong case', { Origin: ALLOWED[0]!, 'Access-Control-Request-Method': 'put' }],
      ['header not listed', { Origin: ALLOWED[0]!, 'Access-Control-Request-Method': 'POST', 'Access-Control-Request-Headers': 'content-type,x-evil' }],
    ];
    test('refused preflights carry no Access-Control-* and are not forwarded', async () => {
      for (const [name, headers] of refused) {
        const res = await request(`${stack.base}/fake/ok`, { method: 'OPTIONS', headers });
        assertNoCors(res, name);
        assert.ok(!res.body.includes('answered_by'), `${name}: never forwarded to the app`);
        assert.ok(res.status >= 400, `${name}: status ${res.status}`);
      }
    });

    test('OPTIONS without Access-Control-Request-Method goes to the app, with CORS', async () => {
      const res = await request(`${stack.base}/fake/ok`, { method: 'OPTIONS', headers: { Origin: ALLOWED[1]! } });
      assert.equal(res.status, 299);
      assert.match(res.body, /"answered_by": "app"/);
      assertAllowed(res, ALLOWED[1]!, 'non-preflight OPTIONS');
    });

    test('every app response (2xx, 4xx, 500, unhandled 500) carries exactly one ACAO for allowed origins', async () => {
      for (const [path, status] of APP_STATUSES) {
        for (const origin of ALLOWED) {
          const res = await request(stack.base + path, { headers: { Origin: origin } });
          assert.equal(res.status, status, path);
          assertAllowed(res, origin, `${path} from ${origin}`);
        }
      }
    });

    test('the app’s Vary is merged with Origin, never replaced', async () => {
      const res = await request(`${stack.base}/fake/ok`, { headers: { Origin: ALLOWED[0]! } });
      const vary = tokens(res, 'vary');
      assert.ok(vary.includes('origin') && vary.includes('accept-encoding'), `Vary: ${vary.join(', ')}`);
    });

    test('denied origins and requests without Origin get no CORS (the app’s `*` is stripped)', async () => {
      for (const [path] of APP_STATUSES) {
        for (const origin of [...DENIED, undefined]) {
          const res = await request(stack.base + path, { headers: origin ? { Origin: origin } : {} });
          assertNoCors(res, `${path} from ${origin ?? 'no origin'}`);
          assert.ok(tokens(res, 'vary').includes('origin'), `${path}: Vary contains Origin`);
        }
      }
    });
  });
}
