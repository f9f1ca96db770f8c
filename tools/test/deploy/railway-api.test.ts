// Railway API transport against a scripted local server: headers per token kind, errors as one line, retries, timeout.
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import { RailwayApiError, type RailwayAuth, railwayApi } from '../../src/deploy/railway-api.ts';

const TOKEN = 'a1b2c3d4-0000-4000-8000-secret000001';
const BEARER: RailwayAuth = { kind: 'bearer', token: TOKEN, source: 'RAILWAY_API_TOKEN' };
const PROJECT: RailwayAuth = { kind: 'project', token: TOKEN, source: 'RAILWAY_TOKEN' };

interface Seen {
  headers: http.IncomingHttpHeaders;
  body: { query: string; variables: unknown; operationName: string };
}

/** Each request takes the next answer; `hang` never answers. */
type Answer = { status?: number; headers?: Record<string, string>; body: unknown } | 'hang';
let answers: Answer[] = [];
const seen: Seen[] = [];
let server: http.Server;
let url: string;

before(async () => {
  server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      seen.push({ headers: req.headers, body: JSON.parse(Buffer.concat(chunks).toString('utf8')) });
      const a = answers.shift() ?? { status: 500, body: 'no answer scripted' };
      if (a === 'hang') return;
      res
        .writeHead(a.status ?? 200, { 'Content-Type': 'application/json', ...a.headers })
        .end(typeof a.body === 'string' ? a.body : JSON.stringify(a.body));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql/v2`;
});
after(() => {
  server.closeAllConnections();
  server.close();
});

const Q = 'query EdgeDeployThing($id: String!) { thing(id: $id) }';
const M = 'mutation EdgeDeployDo($id: String!) { doIt(id: $id) }';

/** Runs one request with fresh answers; resolves to data or the error. */
async function call(
  doc: string,
  scripted: Answer[],
  auth: RailwayAuth = BEARER,
  extra: { timeoutMs?: number } = {},
): Promise<{ data?: unknown; error?: RailwayApiError }> {
  answers = scripted;
  seen.length = 0;
  const api = railwayApi({ url, auth, retryDelayMs: 1, ...extra });
  try {
    return { data: await api.request(doc, { id: 'x' }) };
  } catch (err) {
    assert.ok(err instanceof RailwayApiError, String(err));
    assert.ok(!err.message.includes(TOKEN), 'the token is in the message');
    assert.ok(!err.message.includes('\n'), 'one line');
    return { error: err };
  }
}

test('headers: a bearer token as Authorization only, a project token as Project-Access-Token only', async () => {
  for (const [auth, present, absent, value] of [
    [BEARER, 'authorization', 'project-access-token', `Bearer ${TOKEN}`],
    [PROJECT, 'project-access-token', 'authorization', TOKEN],
  ] as const) {
    const r = await call(Q, [{ body: { data: { thing: 1 } } }], auth);
    assert.deepEqual(r.data, { thing: 1 });
    assert.equal(seen[0]!.headers[present], value);
    assert.equal(seen[0]!.headers[absent], undefined);
    assert.equal(seen[0]!.headers['content-type'], 'application/json');
    assert.deepEqual(seen[0]!.body, { query: Q, variables: { id: 'x' }, operationName: 'EdgeDeployThing' });
  }
});

const ERRORS: [name: string, answers: Answer[], message: RegExp, extra?: { unauthorized?: boolean; attempts?: number }][] = [
  [
    'GraphQL errors are joined',
    [{ body: { data: null, errors: [{ message: 'Problem one' }, { message: 'Problem two' }] } }],
    /^Railway API EdgeDeployThing: Problem one; Problem two$/,
    { attempts: 1 },
  ],
  [
    '"Not Authorized" names the variable to check',
    [{ body: { data: null, errors: [{ message: 'Not Authorized' }] } }],
    /the token was refused \(Not Authorized\): check RAILWAY_API_TOKEN/,
    { unauthorized: true },
  ],
  ['HTTP 401', [{ status: 401, body: '' }], /the token was refused \(HTTP 401\)/, { unauthorized: true, attempts: 1 }],
  ['an echoed token is redacted', [{ body: { errors: [{ message: `bad token ${TOKEN}` }] } }], /bad token \*\*\*/],
  ['not JSON', [{ body: '<html>oops</html>' }], /not a GraphQL answer: <html>oops<\/html>/],
  [
    'HTTP 5xx, three times: retried, then the last error',
    [
      { status: 502, body: 'bad gateway' },
      { status: 502, body: 'bad gateway' },
      { status: 503, body: 'unavailable' },
    ],
    /HTTP 503: unavailable/,
    { attempts: 3 },
  ],
  [
    '429 says so',
    [
      { status: 429, headers: { 'Retry-After': '30' }, body: '' },
      { status: 429, body: '' },
      { status: 429, headers: { 'Retry-After': '7' }, body: '' },
    ],
    /rate limited \(HTTP 429, retry after 7\)/,
  ],
];
for (const [name, scripted, message, extra] of ERRORS) {
  test(`errors: ${name}`, async () => {
    const r = await call(Q, scripted);
    assert.ok(r.error, 'rejected');
    assert.match(r.error.message, message);
    if (extra?.unauthorized !== undefined) assert.equal(r.error.unauthorized, extra.unauthorized);
    if (extra?.attempts !== undefined) assert.equal(seen.length, extra.attempts);
  });
}

test('a query is retried after a 5xx and then succeeds; a mutation is sent once (it may have acted)', async () => {
  const q = await call(Q, [{ status: 502, body: 'x' }, { body: { data: { thing: 2 } } }]);
  assert.deepEqual(q.data, { thing: 2 });
  assert.equal(seen.length, 2);
  const m = await call(M, [{ status: 502, body: 'x' }, { body: { data: { doIt: true } } }]);
  assert.match(m.error!.message, /^Railway API EdgeDeployDo: HTTP 502/);
  assert.equal(seen.length, 1);
});

test('no answer within the timeout: one clear line', async () => {
  const r = await call(M, ['hang'], BEARER, { timeoutMs: 200 });
  assert.match(
    r.error!.message,
    /^Railway API EdgeDeployDo: cannot reach http:\/\/127\.0\.0\.1:\d+\/graphql\/v2: no answer within 0\.2 s$/,
  );
});

test('nothing listening: the socket error, not "fetch failed"', async () => {
  const dead = http.createServer();
  await new Promise<void>((resolve) => dead.listen(0, '127.0.0.1', resolve));
  const port = (dead.address() as AddressInfo).port;
  await new Promise<void>((resolve) => dead.close(() => resolve()));
  const api = railwayApi({ url: `http://127.0.0.1:${port}/graphql/v2`, auth: BEARER, queryAttempts: 1 });
  await assert.rejects(api.request(Q), /cannot reach .*: ECONNREFUSED$/);
});

test('a document without a named operation is a programming error', async () => {
  const api = railwayApi({ url, auth: BEARER });
  await assert.rejects(api.request('{ me { id } }'), /named query or mutation/);
});
