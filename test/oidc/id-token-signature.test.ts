/**
 * The ID token's RS256 signature against BindID's JWKS (src/oidc/id-token-signature.ts): the keys it
 * accepts, the JWKS cache and its refetch rules, and the errors. The whole callback's refusals of a
 * token under an unpublished key, RS384 and PS256 are in test/router (options-and-pages,
 * relying-party), `alg: none` in test/security/e-linking.
 */
import { createHmac, generateKeyPairSync, type KeyObject, sign } from 'node:crypto';
import { isBindIdError } from '../../src/errors.js';
import { IdTokenSignature, JWKS_COOLDOWN_MS, JWKS_MAX_AGE_MS } from '../../src/oidc/id-token-signature.js';

const rsa = (bits = 2048) => generateKeyPairSync('rsa', { modulusLength: bits });
const main = rsa();
const rotated = rsa();
const b64 = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
const CLAIMS = { iss: 'https://signin.bindid-sandbox.io', sub: 's', aud: 'c', nonce: 'n', exp: 2_000_000_000 };

function jws(header: object, privateKey: KeyObject = main.privateKey, claims: object = CLAIMS): string {
  const input = `${b64(header)}.${b64(claims)}`;
  return `${input}.${sign('sha256', Buffer.from(input), privateKey).toString('base64url')}`;
}

function jwk(publicKey: KeyObject, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { ...publicKey.export({ format: 'jwk' }), use: 'sig', alg: 'RS256', ...extra };
}

/** A verifier over a JWKS the test can change, counting fetches, with its own clock. */
function setup(keys: Record<string, unknown>[], status = 200) {
  const state = { keys, status, fetches: 0, now: 1_000_000, fail: false };
  const verifier = new IdTokenSignature(
    async () => {
      state.fetches += 1;
      if (state.fail) throw new TypeError('fetch failed');
      return new Response(JSON.stringify({ keys: state.keys }), { status: state.status });
    },
    () => state.now,
  );
  return { state, verifier };
}

const INVALID = 'The BindID sign-in could not be verified. Start again.';

async function refusal(promise: Promise<void>): Promise<{ code: string; status: number; label: string; retryable: boolean; message: string }> {
  const err: unknown = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!isBindIdError(err)) throw new Error(`expected a BindIdError, got ${String(err)}`);
  return { code: err.code, status: err.status, label: String((err.cause as Error | undefined)?.message), retryable: err.retryable, message: err.message };
}

describe('IdTokenSignature', () => {
  it('accepts an RS256 token under the key its kid names, and keeps the JWKS between sign-ins', async () => {
    const { state, verifier } = setup([jwk(rotated.publicKey, { kid: 'k2' }), jwk(main.publicKey, { kid: 'k1' })]);
    for (let i = 0; i < 3; i++) await expect(verifier.verify(jws({ alg: 'RS256', kid: 'k1' }))).resolves.toBeUndefined();
    await expect(verifier.verify(jws({ alg: 'RS256', kid: 'k2' }, rotated.privateKey))).resolves.toBeUndefined();
    expect(state.fetches).toBe(1);
  });

  it.each([
    ['a changed payload', () => jws({ alg: 'RS256', kid: 'k1' }).replace(/\.[^.]+\./, `.${b64({ ...CLAIMS, sub: 'other' })}.`)],
    ['a changed header', () => {
      const [, payload, signature] = jws({ alg: 'RS256', kid: 'k1' }).split('.');
      return `${b64({ alg: 'RS256', kid: 'k1', typ: 'JWT' })}.${payload}.${signature}`;
    }],
    ["another key's signature under this kid", () => jws({ alg: 'RS256', kid: 'k1' }, rotated.privateKey)],
    ['a signature cut short', () => jws({ alg: 'RS256', kid: 'k1' }).slice(0, -10)],
  ])('E48 refuses %s: ERR_BINDID_CALLBACK_INVALID (400), "signature invalid"', async (_name, token) => {
    const { verifier } = setup([jwk(main.publicKey, { kid: 'k1' })]);
    expect(await refusal(verifier.verify(token()))).toEqual({
      code: 'ERR_BINDID_CALLBACK_INVALID',
      status: 400,
      label: 'ID token signature invalid',
      retryable: false,
      message: INVALID,
    });
  });

  it.each([
    ['alg none', () => `${b64({ alg: 'none' })}.${b64(CLAIMS)}.`],
    ['alg none with a signature part', () => `${b64({ alg: 'none', kid: 'k1' })}.${b64(CLAIMS)}.AAAA`],
    ['RS384', () => jws({ alg: 'RS384', kid: 'k1' })],
    ['PS256', () => jws({ alg: 'PS256', kid: 'k1' })],
    ['HS256 keyed with the public key (algorithm confusion)', () => {
      const input = `${b64({ alg: 'HS256', kid: 'k1' })}.${b64(CLAIMS)}`;
      const pem = main.publicKey.export({ format: 'pem', type: 'spki' });
      return `${input}.${createHmac('sha256', pem).update(input).digest('base64url')}`;
    }],
    ['a crit header', () => jws({ alg: 'RS256', kid: 'k1', crit: ['exp'] })],
    ['a kid that is not a string', () => jws({ alg: 'RS256', kid: 1 })],
    ['a header that is not JSON', () => `bm90IGpzb24.${b64(CLAIMS)}.AAAA`],
    ['two parts', () => `${b64({ alg: 'RS256', kid: 'k1' })}.${b64(CLAIMS)}`],
    ['four parts', () => `${jws({ alg: 'RS256', kid: 'k1' })}.AAAA`],
    ['an empty signature', () => `${b64({ alg: 'RS256', kid: 'k1' })}.${b64(CLAIMS)}.`],
  ])('E48 refuses %s before any key is looked up', async (_name, token) => {
    const { state, verifier } = setup([jwk(main.publicKey, { kid: 'k1' })]);
    expect(await refusal(verifier.verify(token()))).toEqual({
      code: 'ERR_BINDID_CALLBACK_INVALID',
      status: 400,
      label: 'ID token not an RS256 JWS',
      retryable: false,
      message: INVALID,
    });
    expect(state.fetches).toBe(0);
  });

  it.each([
    ['an encryption key', jwk(main.publicKey, { kid: 'k1', use: 'enc' })],
    ['a key for RS384', jwk(main.publicKey, { kid: 'k1', alg: 'RS384' })],
    ['an EC key', { kty: 'EC', crv: 'P-256', kid: 'k1', x: 'AAAA', y: 'AAAA' }],
    ['an RSA key without n', { kty: 'RSA', kid: 'k1', e: 'AQAB' }],
    ['a 1024-bit key', 'small'],
    ["an RSA key's numbers labelled EC", jwk(main.publicKey, { kid: 'k1', kty: 'EC' })],
  ])('does not use %s', async (_name, key) => {
    const small = rsa(1024);
    const published = key === 'small' ? jwk(small.publicKey, { kid: 'k1' }) : (key as Record<string, unknown>);
    const { verifier } = setup([published]);
    const token = jws({ alg: 'RS256', kid: 'k1' }, key === 'small' ? small.privateKey : main.privateKey);
    expect((await refusal(verifier.verify(token))).label).toBe('ID token key not in the JWKS');
  });

  it('a key without use or alg is a signing key for RS256', async () => {
    const { use: _use, alg: _alg, ...bare } = jwk(main.publicKey, { kid: 'k1' });
    const { verifier } = setup([bare]);
    await expect(verifier.verify(jws({ alg: 'RS256', kid: 'k1' }))).resolves.toBeUndefined();
  });

  it('a token without kid: the only key of the JWKS, and refused when there are two', async () => {
    await expect(setup([jwk(main.publicKey, { kid: 'k1' })]).verifier.verify(jws({ alg: 'RS256' }))).resolves.toBeUndefined();
    const two = setup([jwk(main.publicKey), jwk(rotated.publicKey)]);
    expect((await refusal(two.verifier.verify(jws({ alg: 'RS256' })))).label).toBe('ID token key not in the JWKS');
    const named = setup([jwk(main.publicKey, { kid: 'k1' }), jwk(rotated.publicKey, { kid: 'k2' })]);
    expect((await refusal(named.verifier.verify(jws({ alg: 'RS256' })))).label).toBe('ID token key not in the JWKS');
  });

  it('E48 an unknown kid fetches the JWKS again only once the cooldown has passed (a flood of made-up kids costs BindID nothing)', async () => {
    const { state, verifier } = setup([jwk(main.publicKey, { kid: 'k1' })]);
    await verifier.verify(jws({ alg: 'RS256', kid: 'k1' }));
    state.keys = [jwk(main.publicKey, { kid: 'k1' }), jwk(rotated.publicKey, { kid: 'k2' })];
    const next = jws({ alg: 'RS256', kid: 'k2' }, rotated.privateKey);
    state.now += JWKS_COOLDOWN_MS - 1;
    for (let i = 0; i < 5; i++) expect((await refusal(verifier.verify(next))).label).toBe('ID token key not in the JWKS');
    expect(state.fetches).toBe(1);
    state.now += 1;
    await expect(verifier.verify(next)).resolves.toBeUndefined(); // BindID rotated its key: picked up
    expect(state.fetches).toBe(2);
    await expect(verifier.verify(jws({ alg: 'RS256', kid: 'k3' }))).rejects.toMatchObject({ code: 'ERR_BINDID_CALLBACK_INVALID' });
    expect(state.fetches).toBe(2);
  });

  it('a JWKS older than the maximum age is fetched again, so a key BindID withdrew stops being trusted', async () => {
    const { state, verifier } = setup([jwk(main.publicKey, { kid: 'k1' })]);
    const token = jws({ alg: 'RS256', kid: 'k1' });
    await verifier.verify(token);
    state.keys = [jwk(rotated.publicKey, { kid: 'k2' })];
    state.now += JWKS_MAX_AGE_MS - 1;
    await expect(verifier.verify(token)).resolves.toBeUndefined();
    expect(state.fetches).toBe(1);
    state.now += 1;
    expect((await refusal(verifier.verify(token))).label).toBe('ID token key not in the JWKS');
    expect(state.fetches).toBe(2);
  });

  it.each([
    ['unreachable', { fail: true }],
    ['answering 500', { status: 500 }],
  ])('a JWKS %s: ERR_BINDID_UNAVAILABLE (503, retryable), not kept: the next sign-in asks again', async (_name, broken) => {
    const { state, verifier } = setup([jwk(main.publicKey, { kid: 'k1' })]);
    Object.assign(state, broken);
    const token = jws({ alg: 'RS256', kid: 'k1' });
    expect(await refusal(verifier.verify(token))).toEqual({
      code: 'ERR_BINDID_UNAVAILABLE',
      status: 503,
      retryable: true,
      label: 'JWKS unavailable',
      message: 'BindID sign-in is unavailable. Try again in a moment.',
    });
    state.fail = false;
    state.status = 200;
    await expect(verifier.verify(token)).resolves.toBeUndefined();
    expect(state.fetches).toBe(2);
  });

  it('a JWKS that is not JSON: ERR_BINDID_UNAVAILABLE', async () => {
    const verifier = new IdTokenSignature(async () => new Response('<html>', { status: 200 }));
    expect((await refusal(verifier.verify(jws({ alg: 'RS256', kid: 'k1' })))).code).toBe('ERR_BINDID_UNAVAILABLE');
  });

  it.each([['{}'], ['null'], ['{"keys":"k1"}'], ['{"keys":[null,1,"k1"]}']])('a JWKS %s has no key', async (body) => {
    const verifier = new IdTokenSignature(async () => new Response(body, { status: 200 }));
    expect((await refusal(verifier.verify(jws({ alg: 'RS256', kid: 'k1' })))).label).toBe('ID token key not in the JWKS');
  });

  it('entries that are not keys are skipped, the rest used; a kid that is not a string names no key', async () => {
    const { verifier } = setup([null as unknown as Record<string, unknown>, jwk(rotated.publicKey, { kid: 5 }), jwk(main.publicKey, { kid: 'k1' })]);
    await expect(verifier.verify(jws({ alg: 'RS256', kid: 'k1' }))).resolves.toBeUndefined();
    expect((await refusal(verifier.verify(jws({ alg: 'RS256', kid: '5' }, rotated.privateKey)))).label).toBe('ID token key not in the JWKS');
    expect((await refusal(verifier.verify(jws({ alg: 'RS256' }, rotated.privateKey)))).label).toBe('ID token key not in the JWKS');
  });

  it('concurrent sign-ins share one JWKS request, and one refresh', async () => {
    const { state, verifier } = setup([jwk(main.publicKey, { kid: 'k1' })]);
    const token = jws({ alg: 'RS256', kid: 'k1' });
    await Promise.all(Array.from({ length: 10 }, () => verifier.verify(token)));
    expect(state.fetches).toBe(1);
    state.now += JWKS_MAX_AGE_MS;
    await Promise.all(Array.from({ length: 10 }, () => verifier.verify(token)));
    expect(state.fetches).toBe(2);
  });

  it('no part of the token reaches the error', async () => {
    const { verifier } = setup([jwk(main.publicKey, { kid: 'k1' })]);
    const token = jws({ alg: 'RS256', kid: 'k1' }, rotated.privateKey);
    const err = await verifier.verify(token).then(undefined, (e: unknown) => e as Error);
    const text = JSON.stringify({ ...err, message: err?.message, cause: String((err?.cause as Error)?.message), stack: err?.stack });
    for (const part of token.split('.')) expect(text).not.toContain(part.slice(0, 16));
  });
});
