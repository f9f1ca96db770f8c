// Signing keys for the Auth0 stand-in: RSA private JWKs with caller-chosen, stable `kid`s, and their public JWKS.
import { createPrivateKey, createPublicKey, generateKeyPairSync, type JsonWebKey, type KeyObject } from 'node:crypto';

/** An RS256 private key as a JWK; `kid` is what tokens name in their header and the JWKS publishes. */
export interface SigningKey {
  kty: 'RSA';
  kid: string;
  alg: 'RS256';
  use: 'sig';
  n: string;
  e: string;
  d: string;
  p: string;
  q: string;
  dp: string;
  dq: string;
  qi: string;
}

/** The public half as the JWKS endpoint serves it (what Auth0 publishes: kty, kid, alg, use, n, e). */
export interface PublicJwk {
  kty: 'RSA';
  kid: string;
  alg: 'RS256';
  use: 'sig';
  n: string;
  e: string;
}

/** A fresh 2048-bit RSA key named `kid` (about 50-200 ms). */
export function generateSigningKey(kid: string): SigningKey {
  if (!kid) throw new Error('generateSigningKey: kid must be a non-empty string');
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const jwk = privateKey.export({ format: 'jwk' });
  const field = (name: keyof JsonWebKey): string => {
    const value = jwk[name];
    if (typeof value !== 'string') throw new Error(`generated RSA JWK lacks ${String(name)}`);
    return value;
  };
  return {
    kty: 'RSA',
    kid,
    alg: 'RS256',
    use: 'sig',
    n: field('n'),
    e: field('e'),
    d: field('d'),
    p: field('p'),
    q: field('q'),
    dp: field('dp'),
    dq: field('dq'),
    qi: field('qi'),
  };
}

export function publicJwk(key: SigningKey): PublicJwk {
  return { kty: 'RSA', kid: key.kid, alg: 'RS256', use: 'sig', n: key.n, e: key.e };
}

/** The JWKS document for a key list (order kept: the first key is the one that signs). */
export function publicJwks(keys: readonly SigningKey[]): { keys: PublicJwk[] } {
  return { keys: keys.map(publicJwk) };
}

export function publicKeyObject(key: SigningKey | PublicJwk): KeyObject {
  return createPublicKey({ key: { kty: key.kty, n: key.n, e: key.e }, format: 'jwk' });
}

export function privateKeyObject(key: SigningKey): KeyObject {
  return createPrivateKey({ key: { ...key }, format: 'jwk' });
}

/** Throws unless the list is non-empty, every key is a complete RSA private JWK, and kids are unique. */
export function assertKeySet(keys: readonly SigningKey[]): void {
  if (keys.length === 0) throw new Error('at least one signing key is required');
  const seen = new Set<string>();
  for (const key of keys) {
    if (key.kty !== 'RSA' || !key.kid || !key.n || !key.d)
      throw new Error(`key ${JSON.stringify(key.kid)} is not an RSA private JWK with a kid`);
    if (seen.has(key.kid)) throw new Error(`duplicate kid ${JSON.stringify(key.kid)}`);
    seen.add(key.kid);
    privateKeyObject(key); // parses, or throws on a malformed key
  }
}
