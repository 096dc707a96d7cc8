/**
 * The emulator's ID-token signing key: one RS256 key pair generated at start with `jose`, its
 * public half published at `/jwks` under a `kid` (the JWK thumbprint).
 *
 * @module
 */
import { calculateJwkThumbprint, exportJWK, generateKeyPair, type JWK, type JWTPayload, SignJWT } from 'jose';

/** A JSON Web Key Set with the public signing key only. */
export interface PublicJwks {
  keys: JWK[];
}

/** Signs ID tokens. */
export interface SigningKey {
  /** The key id, in the JWKS and in every token header. */
  readonly kid: string;
  /** The JWKS served at `/jwks`: the public key only. */
  readonly jwks: PublicJwks;
  /** Sign `claims` as an RS256 JWT with header `{ alg: 'RS256', kid, typ: 'JWT' }`. */
  sign(claims: JWTPayload): Promise<string>;
}

/** Generate a fresh RS256 key pair. */
export async function createSigningKey(): Promise<SigningKey> {
  const { publicKey, privateKey } = await generateKeyPair('RS256', { extractable: true });
  const { kty, n, e } = await exportJWK(publicKey);
  const kid = await calculateJwkThumbprint({ kty, n, e } as JWK);
  const publicJwk: JWK = { kty, n, e, kid, use: 'sig', alg: 'RS256' };
  return {
    kid,
    jwks: { keys: [publicJwk] },
    sign: (claims) => new SignJWT(claims).setProtectedHeader({ alg: 'RS256', kid, typ: 'JWT' }).sign(privateKey),
  };
}
