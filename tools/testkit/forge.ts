// Signs JWTs in tests with keys the test holds (RS256, HS256, alg none): forged tokens the API must accept or refuse.
import { createHmac, randomBytes, sign } from 'node:crypto';
import { privateKeyObject, publicKeyObject, type SigningKey } from '../src/auth0-standin/keys.ts';
import type { Standin } from '../src/auth0-standin/standin.ts';

export type Signer = { alg: 'RS256'; key: SigningKey } | { alg: 'HS256'; secret: string | Buffer } | { alg: 'none' };

const b64 = (v: unknown): string => Buffer.from(JSON.stringify(v)).toString('base64url');

/** A compact JWS; `header` is merged over {alg, typ: 'JWT', kid of the RS256 key}. */
export function signJwt(signer: Signer, payload: Record<string, unknown>, header: Record<string, unknown> = {}): string {
  const head = { alg: signer.alg, typ: 'JWT', ...(signer.alg === 'RS256' ? { kid: signer.key.kid } : {}), ...header };
  const input = `${b64(head)}.${b64(payload)}`;
  if (signer.alg === 'none') return `${input}.`;
  const signature =
    signer.alg === 'RS256'
      ? sign('RSA-SHA256', Buffer.from(input), privateKeyObject(signer.key))
      : createHmac('sha256', signer.secret).update(input).digest();
  return `${input}.${signature.toString('base64url')}`;
}

/** The public key as PEM (SPKI): the "secret" of the classic RS256 → HS256 confusion attack. */
export const publicPem = (key: SigningKey): string => publicKeyObject(key).export({ format: 'pem', type: 'spki' }).toString();

/** What access-token claims are made of (a Standin has all of it). */
export type Tenant = Pick<Standin, 'issuer' | 'audience' | 'clientId' | 'tenantClaim' | 'devUser'>;

/** Claims of an access token the stand-in would issue to its dev user, valid for `ttlSec` from now. */
export function accessClaims(standin: Tenant, ttlSec = 600): Record<string, unknown> {
  const now = Math.floor(Date.now() / 1000);
  return {
    iss: standin.issuer,
    sub: standin.devUser.sub,
    aud: [standin.audience, `${standin.issuer}userinfo`],
    azp: standin.clientId,
    iat: now,
    exp: now + ttlSec,
    jti: randomBytes(8).toString('base64url'),
    scope: 'openid profile email offline_access',
    permissions: [...standin.devUser.permissions],
    [standin.tenantClaim]: standin.devUser.tenantId,
  };
}

/** The same token with one signature byte flipped (a middle byte: the last character may only carry padding bits). */
export function tamperSignature(token: string): string {
  const [h, p, s = ''] = token.split('.');
  const sig = Buffer.from(s, 'base64url');
  if (sig.length === 0) throw new Error('tamperSignature: token has no signature');
  const i = sig.length >> 1;
  sig.writeUInt8(sig.readUInt8(i) ^ 0x01, i);
  return `${h}.${p}.${sig.toString('base64url')}`;
}
