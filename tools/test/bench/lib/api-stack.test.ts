// The cells `make bench` measures and which of them carry the stack's bearer header (pure; nothing is started).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CELLS, withAuth } from '../../../bench/lib/api-stack.ts';

test('the four cells: two endpoints at 1 and 64 connections; the items list needs the bearer token', () => {
  assert.deepEqual(
    CELLS.map((c) => `${c.path}@${c.connections}`),
    ['/health/live@1', '/health/live@64', '/api/v1/items@1', '/api/v1/items@64'],
  );
  for (const c of CELLS) assert.equal(c.auth === true, c.path === '/api/v1/items', c.id);
  const auth = { Authorization: 'Bearer t' };
  assert.deepEqual(withAuth(CELLS[2]!, auth).headers, auth);
  assert.deepEqual(withAuth(CELLS[0]!, auth).headers, {}, '/health/live goes without');
});
