/**
 * Random values and comparisons of secrets for the emulator.
 *
 * @module
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** A fresh opaque value of 32 random bytes as 43 base64url characters (codes, access tokens). */
export function randomToken(): string {
  return randomBytes(32).toString('base64url');
}

/** 8 random hex characters, for names of new test identities. */
export function randomHex8(): string {
  return randomBytes(4).toString('hex');
}

/**
 * Whether two strings are equal, compared in constant time for equal lengths. Unequal lengths
 * return false (after a comparison of the same cost, so the length is the only thing that leaks).
 */
export function safeEqual(given: string, expected: string): boolean {
  const a = Buffer.from(given, 'utf8');
  const b = Buffer.from(expected, 'utf8');
  if (a.length !== b.length) {
    timingSafeEqual(b, b);
    return false;
  }
  return timingSafeEqual(a, b);
}

/** The PKCE S256 challenge of a verifier: base64url(SHA-256(ASCII verifier)), RFC 7636 §4.2. */
export function s256(verifier: string): string {
  return createHash('sha256').update(verifier, 'ascii').digest('base64url');
}
