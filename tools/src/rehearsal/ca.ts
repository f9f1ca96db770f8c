// The rehearsal's certificate authority: a CA and one server certificate for the edge's names (openssl), and an NSS database Chromium trusts it from.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export interface RehearsalCa {
  /** PEM file of the CA: what the API trusts (SSL_CERT_FILE) and the browser's NSS database holds. */
  caFile: string;
  /** The edge's certificate and key (PEM), valid for every name in `names`. */
  cert: Buffer;
  key: Buffer;
}

const run = (cmd: string, args: string[], cwd: string): void => {
  try {
    execFileSync(cmd, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (err) {
    const e = err as { stderr?: Buffer; message: string };
    throw new Error(`${cmd} ${args.slice(0, 3).join(' ')} failed: ${e.stderr?.toString().trim() || e.message}`);
  }
};

/**
 * A fresh CA (valid 2 days, constrained to CA use) and a leaf for `names`, in `dir`. openssl from Debian:
 * the well-kept tool for this, and `.ci/run` installs it; nothing is downloaded. Keys never leave `dir`.
 */
export function makeCa(dir: string, names: readonly string[]): RehearsalCa {
  mkdirSync(dir, { recursive: true });
  run(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      'ca.key',
      '-out',
      'ca.pem',
      '-days',
      '2',
      '-subj',
      '/CN=edge-sidecar rehearsal CA',
      '-addext',
      'basicConstraints=critical,CA:TRUE,pathlen:0',
      '-addext',
      'keyUsage=critical,keyCertSign,cRLSign',
    ],
    dir,
  );
  run(
    'openssl',
    ['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'edge.key', '-out', 'edge.csr', '-subj', `/CN=${names[0]}`],
    dir,
  );
  writeFileSync(
    path.join(dir, 'edge.ext'),
    [
      'basicConstraints=critical,CA:FALSE',
      'keyUsage=critical,digitalSignature,keyEncipherment',
      'extendedKeyUsage=serverAuth',
      `subjectAltName=${names.map((n) => `DNS:${n}`).join(',')}`,
    ].join('\n') + '\n',
  );
  run(
    'openssl',
    [
      'x509',
      '-req',
      '-in',
      'edge.csr',
      '-CA',
      'ca.pem',
      '-CAkey',
      'ca.key',
      '-CAcreateserial',
      '-days',
      '2',
      '-extfile',
      'edge.ext',
      '-out',
      'edge.pem',
    ],
    dir,
  );
  return {
    caFile: path.join(dir, 'ca.pem'),
    cert: readFileSync(path.join(dir, 'edge.pem')),
    key: readFileSync(path.join(dir, 'edge.key')),
  };
}

/**
 * `home`/.pki/nssdb trusting only the rehearsal's CA for TLS servers: Chromium on Linux reads locally trusted
 * roots from there (https://chromium.googlesource.com/chromium/src/+/main/docs/linux/cert_management.md),
 * so the browser is started with HOME=`home` instead of being told to ignore certificate errors.
 */
export function trustInNss(home: string, caFile: string): void {
  const db = path.join(home, '.pki', 'nssdb');
  mkdirSync(db, { recursive: true });
  run('certutil', ['-d', `sql:${db}`, '-N', '--empty-password'], home);
  run('certutil', ['-d', `sql:${db}`, '-A', '-t', 'C,,', '-n', 'edge-sidecar rehearsal CA', '-i', caFile], home);
}
