// make rehearse can fail: a seeded fault (the production origin missing from the CORS list) fails it, and the report names the step and the browser's message.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { REPO } from '../../testkit/stack.ts';

test('a CORS list without https://app.zebra.associates fails the rehearsal, and the report says where and why', {
  timeout: 600_000,
}, async () => {
  const out = mkdtempSync(path.join(os.tmpdir(), 'rehearse-test-'));
  try {
    const child = spawn(path.join(REPO, 'tools/node_modules/.bin/tsx'), [path.join(REPO, 'tools/src/rehearsal/cli.ts')], {
      env: {
        ...process.env,
        CORS_ALLOW_ORIGINS: 'http://localhost:3001',
        REHEARSE_MODES: 'sidecar',
        REHEARSE_LOGINS: '0',
        REHEARSE_OUT: out,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.resume();
    const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
    const lines = stdout.trim().split('\n');
    assert.equal(code, 1, stdout);
    const last = lines.at(-1)!;
    assert.match(last, /^rehearse: report .*index\.html$/);
    const html = readFileSync(path.resolve(last.replace(/^rehearse: report /, '')), 'utf8');
    assert.match(html, /NOT SAFE TO PRESENT/);
    assert.match(html, /<li><a href="#[^"]+">log in<\/a> \(sidecar, https:\/\/app\.zebra\.associates\)/);
    assert.match(html, /from origin &#39;https:\/\/app\.zebra\.associates&#39; has been blocked by CORS policy/);
    // The development origin is still allowed: its journey passes, so the report tells the two apart.
    assert.match(stdout, /pass +sidecar +http:\/\/localhost:3001 +log in again/);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});
