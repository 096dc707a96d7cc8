/**
 * The emulator's signing key (`src/emulator/keys.ts`, plain node:crypto): its JWKS and `kid` agree
 * with an independent JOSE implementation (jose, a dev dependency), its tokens verify with the
 * published key, and a `signingKey` option is used as given or refused with a reason.
 */
import { generateKeyPairSync } from 'node:crypto';
import { calculateJwkThumbprint, createLocalJWKSet, jwtVerify } from 'jose';
import { createEmulator, type Emulator } from '../../src/emulator/index.js';
import { createSigningKey, generateSigningKey } from '../../src/emulator/keys.js';
import { errorCode } from '../../src/errors.js';

const rsa = (modulusLength: number) => generateKeyPairSync('rsa', { modulusLength }).privateKey;

describe('the signing key', () => {
  it('signs RS256 JWTs that jose verifies against the published JWKS, under the RFC 7638 thumbprint as kid', async () => {
    const key = createSigningKey(await generateSigningKey());
    const [jwk] = key.jwks.keys;
    expect(jwk).toEqual({ kty: 'RSA', n: expect.any(String), e: 'AQAB', kid: key.kid, use: 'sig', alg: 'RS256' });
    expect(key.kid).toBe(await calculateJwkThumbprint({ kty: 'RSA', n: jwk?.n, e: jwk?.e }));
    const token = key.sign({ sub: 'alice', aud: 'client', n: 1 });
    const { payload, protectedHeader } = await jwtVerify(token, createLocalJWKSet(key.jwks as Parameters<typeof createLocalJWKSet>[0]));
    expect(protectedHeader).toEqual({ alg: 'RS256', kid: key.kid, typ: 'JWT' });
    expect(payload).toEqual({ sub: 'alice', aud: 'client', n: 1 });
  });

  it('a signature made with another key does not verify', async () => {
    const mine = createSigningKey(rsa(2048));
    const other = createSigningKey(rsa(2048));
    const forged = other.sign({ sub: 'alice' }).split('.');
    const token = mine.sign({ sub: 'alice' }).split('.');
    const spliced = [token[0], token[1], forged[2]].join('.');
    await expect(jwtVerify(spliced, createLocalJWKSet(mine.jwks as Parameters<typeof createLocalJWKSet>[0]))).rejects.toThrow(/signature/);
  });
});

describe('createEmulator({ signingKey })', () => {
  const started: Emulator[] = [];
  afterAll(() => Promise.all(started.map((e) => e.close())));
  const jwks = async (emu: Emulator) => (await (await fetch(`${emu.issuer}/jwks`)).json()) as { keys: Array<{ kid: string; n: string }> };

  it('publishes the given key (a KeyObject or a PEM): two emulators with one key share its kid; without one each has its own', async () => {
    const key = rsa(2048);
    const pem = key.export({ type: 'pkcs8', format: 'pem' }) as string;
    const [a, b, fresh] = await Promise.all([createEmulator({ signingKey: key }), createEmulator({ signingKey: pem }), createEmulator()]);
    started.push(a, b, fresh);
    const [ka, kb, kf] = await Promise.all([jwks(a), jwks(b), jwks(fresh)]);
    expect(ka.keys[0]?.kid).toBe(createSigningKey(key).kid);
    expect(kb.keys[0]?.kid).toBe(ka.keys[0]?.kid);
    expect(kf.keys[0]?.kid).not.toBe(ka.keys[0]?.kid);
  });

  it.each([
    ['an EC key', () => generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey, /must be an RSA private key/],
    ['a 1024-bit RSA key', () => rsa(1024), /at least 2048 bits/],
    ['a public key', () => generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey, /must be an RSA private key/],
    ['text that is not a PEM', () => 'not a key', /is not a PEM private key/],
    ['a number', () => 42, /must be a KeyObject or a PEM string/],
  ])('refuses %s with ERR_BINDID_INVALID_OPTION naming signingKey, before listening', async (_what, make, message) => {
    const err = await createEmulator({ signingKey: make() as never }).catch((e: unknown) => e);
    expect(errorCode(err)).toBe('ERR_BINDID_INVALID_OPTION');
    expect((err as Error).message).toMatch(/signingKey/);
    expect((err as Error).message).toMatch(message);
  });
});
