// docs/auth0-setup.md's settings table and the rehearsal's tenant (tools/src/rehearsal/tenant.ts) cannot drift apart.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { MemoryStore } from '../../src/auth0-standin/adapter.ts';
import { providerConfiguration, resolveOptions } from '../../src/auth0-standin/config.ts';
import { generateSigningKey } from '../../src/auth0-standin/keys.ts';
import * as tenant from '../../src/rehearsal/tenant.ts';
import { REPO } from '../../testkit/stack.ts';

const DOC = path.join(REPO, 'docs', 'auth0-setup.md');
const HEADER = ['Setting', 'Auth0 tenant', 'rehearsal stand-in (tools/src/rehearsal/tenant.ts)'];
/** A code span naming a tenant.ts export or a field of one, e.g. `TENANT.audience`. */
const REFERENCE = /^(?:(?:TENANT|HOSTS)(?:\.[A-Za-z]\w*)+|APP_ORIGINS|REHEARSAL_ACCESS_TOKEN_TTL)$/;

/** The cells of one Markdown table row; a `|` inside a code span or escaped as `\|` does not split. */
function cells(line: string): string[] {
  const out: string[] = [];
  let cell = '';
  let inCode = false;
  const body = line.trim().replace(/^\|/, '').replace(/\|$/, '');
  for (let i = 0; i < body.length; i++) {
    const c = body[i]!;
    if (c === '\\' && body[i + 1] === '|') {
      cell += '|';
      i++;
    } else if (c === '`') {
      inCode = !inCode;
      cell += c;
    } else if (c === '|' && !inCode) {
      out.push(cell.trim());
      cell = '';
    } else {
      cell += c;
    }
  }
  out.push(cell.trim());
  return out;
}

interface Row {
  setting: string;
  /** Code spans of the stand-in cell that are values, in order. */
  values: string[];
  /** Code spans of the stand-in cell that name a tenant.ts field. */
  references: string[];
}

/** The rows of the one table whose header is HEADER. */
function settingsTable(markdown: string): Row[] {
  const lines = markdown.split('\n');
  const starts = lines.flatMap((l, i) =>
    l.trim().startsWith('|') && JSON.stringify(cells(l)) === JSON.stringify(HEADER) ? [i] : [],
  );
  assert.equal(starts.length, 1, `exactly one table headed | ${HEADER.join(' | ')} | in ${DOC}`);
  const start = starts[0]!;
  assert.match(lines[start + 1] ?? '', /^\|(?:\s*:?-+:?\s*\|){3}\s*$/, 'the header is followed by a separator row');
  const rows: Row[] = [];
  for (const line of lines.slice(start + 2)) {
    if (!line.trim().startsWith('|')) break;
    const row = cells(line);
    assert.equal(row.length, 3, `three cells: ${line}`);
    const spans = [...row[2]!.matchAll(/`([^`]+)`/g)].map((m) => m[1]!);
    rows.push({
      setting: row[0]!,
      values: spans.filter((s) => !REFERENCE.test(s)),
      references: spans.filter((s) => REFERENCE.test(s)),
    });
  }
  return rows;
}

/** The value a reference names, walked from tenant.ts's exports. */
function resolve(reference: string): unknown {
  let value: unknown = tenant;
  for (const key of reference.split('.')) {
    assert.ok(value !== null && typeof value === 'object' && key in value, `${reference}: tenant.ts has no ${key} there`);
    value = (value as Record<string, unknown>)[key];
  }
  return value;
}

const rows = settingsTable(readFileSync(DOC, 'utf8'));

test('every stand-in value in the table equals the tenant.ts field it names', () => {
  assert.ok(rows.length >= 10, `the table has its rows (${rows.length})`);
  for (const row of rows) {
    if (row.references.length === 0) {
      // A stand-in cell without a field (e.g. the secret, generated per run) must not carry values either.
      assert.deepEqual(row.values, [], `${row.setting}: values in backticks need the tenant.ts field they come from`);
      continue;
    }
    assert.equal(row.references.length, 1, `${row.setting}: one tenant.ts field per row (${row.references.join(', ')})`);
    const reference = row.references[0]!;
    const value = resolve(reference);
    const expected = Array.isArray(value) ? value.map(String) : [String(value)];
    assert.ok(
      Array.isArray(value) || (typeof value !== 'object' && value !== undefined),
      `${reference} is a value or a list of values`,
    );
    assert.deepEqual(
      row.values,
      expected,
      `${row.setting}: the doc says ${JSON.stringify(row.values)}, ${reference} is ${JSON.stringify(value)}`,
    );
  }
});

test('every field of the rehearsal tenant is in the table', () => {
  const referenced = rows.flatMap((r) => r.references);
  const required = [...Object.keys(tenant.TENANT).map((k) => `TENANT.${k}`), 'HOSTS.tenant', 'REHEARSAL_ACCESS_TOKEN_TTL'];
  for (const field of required) {
    assert.ok(
      referenced.some((r) => r === field || r.startsWith(`${field}.`)),
      `${field} is not documented in the settings table of docs/auth0-setup.md`,
    );
  }
});

test("tenant.ts's descriptive fields match what the stand-in and the API really do", () => {
  const { TENANT, REHEARSAL_ACCESS_TOKEN_TTL, tenantOptions } = tenant;
  const options = resolveOptions(tenantOptions('rehearsal-secret-for-the-test'), 0);
  const config = providerConfiguration(options, {
    adapter: new MemoryStore().factory,
    keys: [generateSigningKey('doc-test')],
    cookieKeys: ['k'],
  });
  const client = config.clients?.[0];
  assert.ok(client, 'the stand-in has its client');
  assert.equal(client.token_endpoint_auth_method, TENANT.tokenEndpointAuthMethod);
  assert.equal(client.id_token_signed_response_alg, TENANT.signingAlg);
  assert.equal(client.application_type, 'web', 'a regular web application is a web client');
  assert.deepEqual(client.grant_types, ['authorization_code', 'refresh_token']);
  assert.deepEqual(client.redirect_uris, [...TENANT.redirectUris]);
  assert.deepEqual(client.post_logout_redirect_uris, [...TENANT.logoutUrls]);
  assert.equal(config.rotateRefreshToken, TENANT.refreshTokenRotation);
  assert.equal(config.ttl?.RefreshToken, TENANT.refreshTokenTtl);
  assert.equal(config.ttl?.AccessToken, REHEARSAL_ACCESS_TOKEN_TTL);
  assert.equal(options.issuer, `https://${tenant.HOSTS.tenant}/`);

  const backend = (file: string): string => readFileSync(path.join(REPO, 'backend', 'edge_api', 'auth', file), 'utf8');
  assert.equal(
    /^SCOPE = "([^"]*)"$/m.exec(backend('session.py'))?.[1],
    TENANT.scope,
    'the scope the API asks for (session.py SCOPE)',
  );
  assert.equal(
    /^DEFAULT_TENANT_CLAIM = "([^"]*)"$/m.exec(backend('settings.py'))?.[1],
    TENANT.tenantClaim,
    "the API's default AUTH0_TENANT_CLAIM",
  );
  // client_secret_post: the secret travels as a form field, never as HTTP Basic.
  assert.match(backend('idp.py'), /"client_secret": client_secret/);
  assert.doesNotMatch(backend('idp.py'), /Basic /);
});
