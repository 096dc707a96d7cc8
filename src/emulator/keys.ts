/**
 * The emulator's ID-token signing key: an RS256 key pair (generated at start unless one is given),
 * its public half published at `/jwks` under a `kid` (the RFC 7638 JWK thumbprint). Plain
 * `node:crypto`: a JWT is three base64url parts and one RSA-SHA256 signature, so no JOSE library
 * is needed here (and none is bundled for the emulator).
 *
 * @module
 */
import { createHash, createPrivateKey, createPublicKey, generateKeyPair, type KeyObject, sign } from 'node:crypto';
import { promisify } from 'node:util';

/** The claims of a JWT: JSON values by name. */
export type JwtClaims = Record<string, unknown>;

/** A public RSA signing key as a JWK. */
export interface PublicJwk {
  kty: 'RSA';
  n: string;
  e: string;
  kid: string;
  use: 'sig';
  alg: 'RS256';
}

/** A JSON Web Key Set with the public signing key only. */
export interface PublicJwks {
  keys: PublicJwk[];
}

/** Signs ID tokens. */
export interface SigningKey {
  /** The key id, in the JWKS and in every token header. */
  readonly kid: string;
  /** The JWKS served at `/jwks`: the public key only. */
  readonly jwks: PublicJwks;
  /** Sign `claims` as an RS256 JWT with header `{ alg: 'RS256', kid, typ: 'JWT' }`. */
  sign(claims: JwtClaims): string;
}

const generateRsa = promisify(generateKeyPair);

/** Fresh RS256 key material (2048-bit RSA), as a private `KeyObject`. */
export async function generateSigningKey(): Promise<KeyObject> {
  const { privateKey } = await generateRsa('rsa', { modulusLength: 2048 });
  return privateKey;
}

/** The signing key for `privateKey` (an RSA private key of at least 2048 bits). */
export function createSigningKey(privateKey: KeyObject): SigningKey {
  const { n, e } = createPublicKey(privateKey).export({ format: 'jwk' });
  if (typeof n !== 'string' || typeof e !== 'string') throw new TypeError('not an RSA key');
  // RFC 7638: the SHA-256 of the required members, in lexicographic order, without whitespace.
  const kid = createHash('sha256').update(JSON.stringify({ e, kty: 'RSA', n })).digest('base64url');
  const header = base64url({ alg: 'RS256', kid, typ: 'JWT' });
  return {
    kid,
    jwks: { keys: [{ kty: 'RSA', n, e, kid, use: 'sig', alg: 'RS256' }] },
    sign(claims) {
      const input = `${header}.${base64url(claims)}`;
      return `${input}.${sign('sha256', Buffer.from(input), privateKey).toString('base64url')}`;
    },
  };
}

/** An RSA private key of at least 2048 bits from a `KeyObject` or a PEM, or the reason it is not one. */
export function readPrivateKey(value: KeyObject | string | Buffer): KeyObject | string {
  let key: KeyObject;
  try {
    key = typeof value === 'string' || Buffer.isBuffer(value) ? createPrivateKey(value) : value;
  } catch {
    return 'is not a PEM private key';
  }
  if (key.type !== 'private' || key.asymmetricKeyType !== 'rsa') return 'must be an RSA private key (RS256)';
  if ((key.asymmetricKeyDetails?.modulusLength ?? 0) < 2048) return 'must be at least 2048 bits (RS256)';
  return key;
}

function base64url(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}
