/**
 * `/token` (client authentication, code binding, PKCE, response shape) and `/userinfo`.
 */
import { decodeJwt } from 'jose';
import type { Emulator } from '../../src/emulator/index.js';
import { authorizeCode, exchangeCode, get, login, pkce, postToken, REDIRECT_URI, startEmulator } from './helpers.js';

/** Added to the real clock: tests move time forward to expire codes and tokens. */
let clockOffset = 0;
let emu: Emulator;
beforeAll(async () => {
  emu = await startEmulator({ now: () => Date.now() + clockOffset });
});
afterAll(() => emu.close());

/** A token request for `code` authenticated with client_secret_post. */
function exchange(code: string, extra: Record<string, string | undefined> = {}): Promise<Response> {
  return exchangeCode(emu, code, extra);
}

/** `Authorization: Basic` per RFC 6749 §2.3.1 (form-urlencode each part, then base64). */
function basic(id: string, secret: string): string {
  const encode = (value: string): string => encodeURIComponent(value).replace(/%20/g, '+');
  return `Basic ${Buffer.from(`${encode(id)}:${encode(secret)}`).toString('base64')}`;
}

/** Expect an OAuth JSON error, never cached. */
async function expectOAuthError(res: Response, status: number, error: string): Promise<void> {
  const body = (await res.json()) as Record<string, unknown>;
  expect({ status: res.status, error: body.error }).toEqual({ status, error });
  expect(body.error_description).toEqual(expect.any(String));
  expect(res.headers.get('cache-control')).toBe('no-store');
}

describe('successful exchange', () => {
  it('answers 200 with the token response, no-store and no-cache', async () => {
    const res = await exchange(await authorizeCode(emu));
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(res.headers.get('pragma')).toBe('no-cache');
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    const body = (await res.json()) as Record<string, unknown>;
    expect(Object.keys(body).sort()).toEqual(['access_token', 'expires_in', 'id_token', 'token_type']);
    expect(body).toMatchObject({ token_type: 'Bearer', expires_in: 3600 });
    expect(body.access_token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const claims = decodeJwt(body.id_token as string);
    expect(claims.exp).toBe((claims.iat as number) + 3600);
    expect(claims.auth_time).toEqual(expect.any(Number));
    expect(claims).not.toHaveProperty('nonce');
  });

  it('carries the nonce; phone claims only with the phone scope; no email without the email scope', async () => {
    const code = await authorizeCode(emu, { scope: 'openid phone', nonce: 'nonce-1' });
    const body = (await (await exchange(code)).json()) as { id_token: string };
    const claims = decodeJwt(body.id_token);
    expect(claims).toMatchObject({ nonce: 'nonce-1', phone_number: '+15555550100', phone_number_verified: true });
    expect(claims).not.toHaveProperty('email');
    expect(claims).not.toHaveProperty('email_verified');
  });

  it('client_secret_basic decodes form-urlencoded credentials (RFC 6749 §2.3.1); expires_in follows accessTokenTtlSeconds', async () => {
    const odd = await startEmulator({
      clientId: 'client:1',
      clientSecret: 'sé cret+%/=',
      accessTokenTtlSeconds: 60,
      allowClientSecretBasic: true,
    });
    try {
      const code = await authorizeCode(odd);
      const form = { grant_type: 'authorization_code', code, redirect_uri: REDIRECT_URI };
      const res = await postToken(odd, form, { authorization: basic(odd.clientId, odd.clientSecret) });
      expect(res.status).toBe(200);
      expect(((await res.json()) as { expires_in: number }).expires_in).toBe(60);
    } finally {
      await odd.close();
    }
  });
});

describe('client authentication as BindID documents it', () => {
  it('client_secret_basic → 401 invalid_client by default, naming client_secret_post; the discovery lists only client_secret_post', async () => {
    const form = { grant_type: 'authorization_code', code: await authorizeCode(emu), redirect_uri: REDIRECT_URI };
    const res = await postToken(emu, form, { authorization: basic(emu.clientId, emu.clientSecret) });
    expect(res.status).toBe(401);
    const body = (await res.json()) as { error: string; error_description: string };
    expect(body.error).toBe('invalid_client');
    expect(body.error_description).toMatch(/client_secret_post/);
    const meta = (await (await fetch(`${emu.issuer}/.well-known/openid-configuration`)).json()) as Record<string, unknown>;
    expect(meta.token_endpoint_auth_methods_supported).toEqual(['client_secret_post']);
  });

  it('tokenResponseScope adds scope to the token response', async () => {
    const loose = await startEmulator({ tokenResponseScope: true });
    try {
      const res = await exchangeCode(loose, await authorizeCode(loose));
      expect(await res.json()).toMatchObject({ scope: 'openid email' });
    } finally {
      await loose.close();
    }
  });
});

describe('codes', () => {
  it('a code is single-use: the second exchange → invalid_grant', async () => {
    const code = await authorizeCode(emu);
    expect((await exchange(code)).status).toBe(200);
    await expectOAuthError(await exchange(code), 400, 'invalid_grant');
  });

  it('a code expires after 60 s (injected clock) → invalid_grant', async () => {
    const code = await authorizeCode(emu);
    clockOffset += 60_001;
    await expectOAuthError(await exchange(code), 400, 'invalid_grant');
  });

  it('an unknown code → invalid_grant', async () => {
    await expectOAuthError(await exchange('A'.repeat(43)), 400, 'invalid_grant');
  });

  it('a missing code → invalid_request', async () => {
    await expectOAuthError(await exchange('', { code: undefined }), 400, 'invalid_request');
  });

  it('a wrong redirect_uri → invalid_grant', async () => {
    const res = await exchange(await authorizeCode(emu), { redirect_uri: 'http://localhost:3000/other' });
    await expectOAuthError(res, 400, 'invalid_grant');
  });

  it('a missing redirect_uri → invalid_grant', async () => {
    await expectOAuthError(await exchange(await authorizeCode(emu), { redirect_uri: undefined }), 400, 'invalid_grant');
  });

  it('a failed attempt consumes the code (the right request afterwards → invalid_grant)', async () => {
    const code = await authorizeCode(emu);
    await expectOAuthError(await exchange(code, { redirect_uri: 'http://localhost:3000/other' }), 400, 'invalid_grant');
    await expectOAuthError(await exchange(code), 400, 'invalid_grant');
  });
});

describe('PKCE', () => {
  async function codeWithChallenge(): Promise<{ code: string; verifier: string }> {
    const { verifier, challenge } = pkce();
    const code = await authorizeCode(emu, { code_challenge: challenge, code_challenge_method: 'S256' });
    return { code, verifier };
  }

  it('the right verifier → 200', async () => {
    const { code, verifier } = await codeWithChallenge();
    expect((await exchange(code, { code_verifier: verifier })).status).toBe(200);
  });

  it('a wrong verifier → invalid_grant', async () => {
    const { code } = await codeWithChallenge();
    await expectOAuthError(await exchange(code, { code_verifier: pkce().verifier }), 400, 'invalid_grant');
  });

  it('a missing verifier → invalid_grant', async () => {
    const { code } = await codeWithChallenge();
    await expectOAuthError(await exchange(code), 400, 'invalid_grant');
  });

  it('a verifier without a challenge in the authorization request → invalid_grant', async () => {
    const code = await authorizeCode(emu);
    await expectOAuthError(await exchange(code, { code_verifier: pkce().verifier }), 400, 'invalid_grant');
  });
});

describe('client authentication', () => {
  it('a wrong client_secret (post) → 401 invalid_client', async () => {
    await expectOAuthError(await exchange(await authorizeCode(emu), { client_secret: 'wrong' }), 401, 'invalid_client');
  });

  it('a wrong client_secret (basic) → 401 invalid_client with WWW-Authenticate: Basic', async () => {
    const code = await authorizeCode(emu);
    const res = await postToken(
      emu,
      { grant_type: 'authorization_code', code, redirect_uri: REDIRECT_URI },
      { authorization: basic(emu.clientId, 'wrong') },
    );
    expect(res.headers.get('www-authenticate')).toMatch(/^Basic /);
    await expectOAuthError(res, 401, 'invalid_client');
  });

  it('an unknown client_id with the right secret → 401 invalid_client', async () => {
    await expectOAuthError(await exchange(await authorizeCode(emu), { client_id: 'other' }), 401, 'invalid_client');
  });

  it('both basic and client_secret in the body → 401 invalid_client', async () => {
    const code = await authorizeCode(emu);
    const res = await postToken(
      emu,
      { grant_type: 'authorization_code', code, redirect_uri: REDIRECT_URI, client_secret: emu.clientSecret },
      { authorization: basic(emu.clientId, emu.clientSecret) },
    );
    await expectOAuthError(res, 401, 'invalid_client');
  });

  it('no client authentication at all → 401 invalid_client', async () => {
    const res = await exchange(await authorizeCode(emu), { client_secret: undefined });
    await expectOAuthError(res, 401, 'invalid_client');
  });

  it('a malformed Basic header → 401 invalid_client', async () => {
    const code = await authorizeCode(emu);
    const res = await postToken(emu, { grant_type: 'authorization_code', code }, { authorization: 'Basic !!!' });
    await expectOAuthError(res, 401, 'invalid_client');
  });
});

describe('request shape', () => {
  it('grant_type=refresh_token → unsupported_grant_type', async () => {
    await expectOAuthError(await exchange('x', { grant_type: 'refresh_token' }), 400, 'unsupported_grant_type');
  });

  it('grant_type missing → invalid_request', async () => {
    await expectOAuthError(await exchange('x', { grant_type: undefined }), 400, 'invalid_request');
  });

  it('a JSON body → invalid_request', async () => {
    const res = await fetch(`${emu.issuer}/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ grant_type: 'authorization_code' }),
    });
    await expectOAuthError(res, 400, 'invalid_request');
  });

  it('GET /token → 405 with Allow: POST', async () => {
    const res = await get(`${emu.issuer}/token`);
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('POST');
  });
});

describe('/userinfo', () => {
  it('GET with a valid token → the user claims', async () => {
    const { accessToken, claims } = await login(emu, 'alice');
    const res = await get(`${emu.issuer}/userinfo`, { authorization: `Bearer ${accessToken}` });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({
      sub: claims.sub,
      auth_time: claims.auth_time,
      acr: claims.acr,
      amr: ['ts.bind_id.mfca'],
      email: 'alice@example.com',
      email_verified: true,
    });
  });

  it('POST with a valid token → 200', async () => {
    const { accessToken } = await login(emu, 'bob');
    const res = await fetch(`${emu.issuer}/userinfo`, { method: 'POST', headers: { authorization: `Bearer ${accessToken}` } });
    expect(res.status).toBe(200);
  });

  it('no token → 401 with WWW-Authenticate: Bearer', async () => {
    const res = await get(`${emu.issuer}/userinfo`);
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toMatch(/^Bearer /);
  });

  it('an unknown token → 401 error="invalid_token"', async () => {
    const res = await get(`${emu.issuer}/userinfo`, { authorization: `Bearer ${'x'.repeat(43)}` });
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toMatch(/error="invalid_token"/);
  });

  it('an expired token (injected clock) → 401 error="invalid_token"', async () => {
    const { accessToken } = await login(emu);
    const url = `${emu.issuer}/userinfo`;
    expect((await get(url, { authorization: `Bearer ${accessToken}` })).status).toBe(200);
    clockOffset += 3600 * 1000;
    const res = await get(url, { authorization: `Bearer ${accessToken}` });
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toMatch(/error="invalid_token"/);
  });
});

describe('auth_time, max_age and the ID-token faults (issue 23 item 5b)', () => {
  /** The emulator's clock, moved by the tests only. */
  let clock = Date.UTC(2026, 0, 1, 12, 0, 0, 250);
  let fixed: Emulator;
  beforeAll(async () => {
    fixed = await startEmulator({ now: () => clock });
  });
  afterAll(() => fixed.close());
  afterEach(() => fixed.clearFaults());

  /** Authorize now (with `max_age=0`), exchange the code `laterMs` after: the ID token's claims and the access token. */
  async function signIn(laterMs = 0): Promise<{ claims: Record<string, unknown>; accessToken: string; authorizedAt: number }> {
    const authorizedAt = clock;
    const code = await authorizeCode(fixed, { max_age: '0', nonce: 'nonce-5b' });
    clock += laterMs;
    const body = (await (await exchangeCode(fixed, code)).json()) as { id_token: string; access_token: string };
    return { claims: decodeJwt(body.id_token), accessToken: body.access_token, authorizedAt };
  }
  const userinfoAuthTime = async (accessToken: string) =>
    ((await (await get(`${fixed.issuer}/userinfo`, { authorization: `Bearer ${accessToken}` })).json()) as { auth_time?: number }).auth_time;

  it('N187 auth_time is the time of this authorization (the person is authenticated at every one, so max_age=0 is met), not of the token request or an earlier sign-in', async () => {
    const first = await signIn(5_000);
    expect(first.claims).toMatchObject({ auth_time: Math.floor(first.authorizedAt / 1000), iat: Math.floor(clock / 1000) });
    clock += 600_000;
    const second = await signIn();
    expect(second.claims.auth_time).toBe(Math.floor(second.authorizedAt / 1000));
    expect(await userinfoAuthTime(second.accessToken)).toBe(second.claims.auth_time);
  });

  it('N187 the staleAuthTime fault: auth_time that many seconds before the authorization (ID token and /userinfo), once with times: 1', async () => {
    fixed.setFault('token', { staleAuthTime: 3600, times: 1 });
    const stale = await signIn();
    expect(stale.claims).toMatchObject({ auth_time: Math.floor(stale.authorizedAt / 1000) - 3600, nonce: 'nonce-5b' });
    expect(await userinfoAuthTime(stale.accessToken)).toBe(stale.claims.auth_time);
    const next = await signIn();
    expect(next.claims.auth_time).toBe(Math.floor(next.authorizedAt / 1000));
  });

  it('N187 the omitAuthTime fault: an ID token without auth_time, otherwise the same', async () => {
    fixed.setFault('token', { omitAuthTime: true });
    const { claims } = await signIn();
    expect(claims).not.toHaveProperty('auth_time');
    expect(claims).toMatchObject({ sub: expect.any(String), nonce: 'nonce-5b', iss: fixed.issuer, aud: fixed.clientId });
  });
});
