// The stand-in's entry point: prints its URLs, serves, stops cleanly on SIGINT; bad configuration exits 2 with one line.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { test } from 'node:test';
import { request } from '../../testkit/http.ts';
import { REPO } from '../../testkit/stack.ts';

const TSX = path.join(REPO, 'tools/node_modules/.bin/tsx');
const SERVER = path.join(REPO, 'tools/src/auth0-standin/server.ts');

function run(args: string[], env: Record<string, string> = {}) {
  const child = spawn(TSX, [SERVER, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, exited, out: () => stdout, err: () => stderr };
}

test('server.ts prints the issuer, answers discovery, and exits 0 on SIGINT', async () => {
  const p = run(['--port', '0', '--tenant', 'acme']);
  const killer = setTimeout(() => p.child.kill('SIGKILL'), 30_000);
  try {
    // Readiness is the printed line, not a delay.
    const url = await new Promise<string>((resolve, reject) => {
      const check = (): void => {
        const m = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(p.out());
        if (m) resolve(m[1]!);
      };
      p.child.stdout.on('data', check);
      p.exited.then((code) => reject(new Error(`exited ${code} before listening: ${p.err()}`)));
    });
    assert.match(p.out(), /issuer +http:\/\/127\.0\.0\.1:\d+\//);
    assert.match(p.out(), /tenant acme/);
    const doc = await request(`${url}/.well-known/openid-configuration`);
    assert.equal(doc.status, 200);
    assert.equal((JSON.parse(doc.body) as { issuer: string }).issuer, `${url}/`);
  } finally {
    p.child.kill('SIGINT');
    assert.equal(await p.exited, 0, p.err());
    clearTimeout(killer);
  }
});

test('bad configuration exits 2 with one line naming the problem', async () => {
  const p = run(['--port', '0'], { AUTH0_STANDIN_ISSUER: 'http://tenant.auth0.com/' });
  assert.equal(await p.exited, 2);
  const lines = p
    .err()
    .split('\n')
    .filter((l) => l.startsWith('auth0-standin:'));
  assert.equal(lines.length, 1, p.err());
  assert.match(lines[0]!, /issuer/);
});
