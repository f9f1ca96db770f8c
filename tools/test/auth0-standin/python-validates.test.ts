// The two foundations agree: the backend's validate_access_token accepts the stand-in's access tokens, refuses its ID tokens.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { CookieJar, exchangeCode, refreshTokens } from '../../src/auth0-standin/client.ts';
import { type Standin, startStandin } from '../../src/auth0-standin/standin.ts';
import { authorizeAtStandin } from '../../testkit/auth.ts';
import { REPO, VENV_BIN } from '../../testkit/stack.ts';

const CALLBACK = 'http://localhost:3001/callback';

// Reads tokens (one per line) on stdin, prints one JSON verdict per token.
const VALIDATE = `
import json, sys
from edge_api.auth import AuthError, load_auth_settings, validate_access_token
settings = load_auth_settings()
for line in sys.stdin.read().split():
    try:
        c = validate_access_token(line, settings)
        print(json.dumps({"ok": True, "sub": c.sub, "tenant": c.tenant_id, "scopes": sorted(c.scopes), "permissions": sorted(c.permissions), "aud": list(c.audience)}))
    except AuthError as e:
        print(json.dumps({"ok": False, "status": e.status_code, "why": e.description}))
`;

function validateInPython(standin: Standin, tokens: string[]): Promise<Record<string, unknown>[]> {
  const child = spawn(path.join(VENV_BIN, 'python'), ['-c', VALIDATE], {
    env: {
      PATH: process.env.PATH ?? '',
      PYTHONPATH: path.join(REPO, 'backend'),
      AUTH0_ISSUER: standin.issuer,
      AUTH0_AUDIENCE: standin.audience,
      AUTH0_CLIENT_ID: standin.clientId,
    },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr.on('data', (c: Buffer) => (err += c.toString()));
  child.stdin.end(tokens.join('\n'));
  const killer = setTimeout(() => child.kill('SIGKILL'), 30_000);
  return new Promise((resolve, reject) =>
    child.on('exit', (code) => {
      clearTimeout(killer);
      if (code !== 0) return reject(new Error(`python exited ${code}: ${err}`));
      resolve(
        out
          .trim()
          .split('\n')
          .map((l) => JSON.parse(l) as Record<string, unknown>),
      );
    }),
  );
}

let standin: Standin;
before(async () => {
  standin = await startStandin({ redirectUris: [CALLBACK] });
});
after(async () => {
  await standin.stop();
});

test('validate_access_token accepts the stand-in access tokens (login and refreshed) and refuses the ID token', async () => {
  const { cb, verifier } = await authorizeAtStandin(standin, CALLBACK, new CookieJar());
  const client = { clientId: standin.clientId, clientSecret: standin.clientSecret };
  const login = await exchangeCode(standin.issuer, client, {
    code: String(cb.code),
    redirectUri: CALLBACK,
    codeVerifier: verifier,
  });
  assert.equal(login.status, 200);
  const refreshed = await refreshTokens(standin.issuer, client, String(login.body.refresh_token));
  assert.equal(refreshed.status, 200);

  const jwksBefore = standin.stats().jwksRequests;
  const [fromLogin, fromRefresh, idToken] = await validateInPython(standin, [
    String(login.body.access_token),
    String(refreshed.body.access_token),
    String(login.body.id_token),
  ]);
  const expected = {
    ok: true,
    sub: 'auth0|dev-user',
    tenant: 'demo',
    scopes: ['email', 'offline_access', 'openid', 'profile'],
    permissions: ['read:items', 'write:items'],
    aud: [standin.audience, `${standin.issuer}userinfo`],
  };
  assert.deepEqual(fromLogin, expected);
  assert.deepEqual(fromRefresh, expected);
  assert.equal(idToken?.ok, false);
  assert.equal(idToken?.status, 401);
  assert.equal(standin.stats().jwksRequests - jwksBefore, 1, 'one JWKS fetch for three tokens');
});
