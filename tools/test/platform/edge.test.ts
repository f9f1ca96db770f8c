// The replica's edge alone: switching deployments keeps requests in flight, drops hop-by-hop headers, says 503 when empty,
// sends a bodiless GET on to another replica when its own refuses (a POST never).
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import { type Edge, startEdge } from '../../src/platform/edge.ts';
import { request } from '../../testkit/http.ts';
import { freePort } from '../../testkit/stack.ts';

interface Upstream {
  port: number;
  seen: Record<string, string | string[] | undefined>[];
  close: () => void;
}

/** A deployment stand-in: answers its name; /slow waits 1 s first. */
async function upstream(name: string): Promise<Upstream> {
  const seen: Upstream['seen'] = [];
  const server = http.createServer((req, res) => {
    seen.push(req.headers);
    const answer = () =>
      res.writeHead(200, { 'Content-Type': 'text/plain', Connection: 'close, X-Secret', 'X-Secret': 'hop' }).end(name);
    if (req.url === '/slow') setTimeout(answer, 1_000);
    else answer();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { port: (server.address() as AddressInfo).port, seen, close: () => server.close() };
}

let edge: Edge;
let a: Upstream;
let b: Upstream;
before(async () => {
  [edge, a, b] = await Promise.all([startEdge(), upstream('a'), upstream('b')]);
});
after(async () => {
  await edge.stop();
  a.close();
  b.close();
});

test('no deployment live: 503 JSON', async () => {
  const res = await request(edge.base);
  assert.equal(res.status, 503);
  assert.match(res.body, /no deployment is live/);
});

test('a switch sends new requests to the new deployment while one in flight on the old finishes', async () => {
  await edge.route([a.port]);
  const inFlight = request(`${edge.base}/slow`);
  await new Promise((r) => setTimeout(r, 200));
  await edge.route([b.port]);
  assert.equal((await request(`${edge.base}/now`)).body, 'b');
  assert.equal((await inFlight).body, 'a', 'the old deployment answered what it had accepted');
});

test('hop-by-hop headers are dropped both ways (those Connection names too); forwarded headers added', async () => {
  await edge.route([b.port]);
  const res = await request(`${edge.base}/h`, { headers: { Connection: 'X-Tenant-ID', 'X-Tenant-ID': 't1', 'X-Kept': 'yes' } });
  const seen = b.seen.at(-1)!;
  assert.equal(seen['x-tenant-id'], undefined);
  assert.equal(seen['x-kept'], 'yes');
  assert.equal(seen['x-forwarded-proto'], 'https');
  assert.deepEqual(
    res.headers.filter(([k]) => k === 'x-secret'),
    [],
  );
});

test('round robin over the replicas of one deployment', async () => {
  await edge.route([a.port, b.port]);
  const bodies = await Promise.all([1, 2, 3, 4].map(() => request(`${edge.base}/rr`).then((r) => r.body)));
  assert.deepEqual([...bodies].sort(), ['a', 'a', 'b', 'b']);
});

test('a replica that refuses: a GET goes on to the other one, a POST does not, and the refuser is left out', async () => {
  const before = edge.stats();
  await edge.route([await freePort(), a.port]); // nothing listens on the first: connection refused
  const gets = [];
  for (let i = 0; i < 4; i++) gets.push((await request(`${edge.base}/get`)).body);
  assert.deepEqual(gets, ['a', 'a', 'a', 'a']);
  assert.equal(edge.stats().retried - before.retried, 1, 'one retry, then the refuser is out of the rotation');

  // Two POSTs in a row on a fresh pair: one of them draws the refuser, and gets the 502 (never sent again).
  await edge.route([await freePort(), a.port]);
  const posts = [];
  for (let i = 0; i < 2; i++) posts.push((await request(`${edge.base}/post`, { method: 'POST', body: 'x' })).status);
  assert.deepEqual(posts.sort(), [200, 502]);
  assert.equal(edge.stats().failed - before.failed, 1);
});
