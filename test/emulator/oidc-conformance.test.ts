/**
 * The emulator is a conformant OIDC provider for openid-client v6: discovery, the code flow with
 * PKCE, state and nonce, both client authentication methods, ID-token validation and userinfo.
 */
import { decodeProtectedHeader } from 'jose';
import * as client from 'openid-client';
import type { Emulator } from '../../src/emulator/index.js';
import { get, location, REDIRECT_URI, startEmulator } from './helpers.js';

let emu: Emulator;
beforeAll(async () => {
  emu = await startEmulator();
});
afterAll(() => emu.close());

/**
 * Discover the emulator. Signature checks of ID tokens from the token endpoint are switched on
 * (openid-client skips them by default, relying on TLS: OIDC Core §3.1.3.7 step 6), so every flow
 * below also verifies the emulator's RS256 signature against its JWKS.
 */
function discover(auth?: client.ClientAuth): Promise<client.Configuration> {
  return client.discovery(new URL(emu.issuer), emu.clientId, emu.clientSecret, auth, {
    execute: [client.allowInsecureRequests, client.enableNonRepudiationChecks],
  });
}

/** Run the browser part of the flow with `identity` and return the callback URL plus the checks. */
async function authorize(config: client.Configuration, identity: string) {
  const pkceCodeVerifier = client.randomPKCECodeVerifier();
  const expectedState = client.randomState();
  const expectedNonce = client.randomNonce();
  const url = client.buildAuthorizationUrl(config, {
    redirect_uri: REDIRECT_URI,
    scope: 'openid email',
    code_challenge: await client.calculatePKCECodeChallenge(pkceCodeVerifier),
    code_challenge_method: 'S256',
    state: expectedState,
    nonce: expectedNonce,
  });
  url.searchParams.set('identity', identity);
  const callback = location(await get(url));
  return { callback, checks: { pkceCodeVerifier, expectedState, expectedNonce } };
}

describe('openid-client v6 against the emulator', () => {
  it('discovers the issuer and its endpoints', async () => {
    const config = await discover();
    const meta = config.serverMetadata();
    expect(meta.issuer).toBe(emu.issuer);
    expect(meta.authorization_endpoint).toBe(`${emu.issuer}/authorize`);
    expect(meta.token_endpoint).toBe(`${emu.issuer}/token`);
    expect(meta.jwks_uri).toBe(`${emu.issuer}/jwks`);
    expect(meta.code_challenge_methods_supported).toEqual(['S256']);
    expect(meta.token_endpoint_auth_methods_supported).toEqual(['client_secret_post']);
  });

  it('publishes only the public RS256 key, with kid, use and alg', async () => {
    const jwks = (await (await fetch(`${emu.issuer}/jwks`)).json()) as { keys: Record<string, unknown>[] };
    expect(jwks.keys).toHaveLength(1);
    const key = jwks.keys[0] as Record<string, unknown>;
    expect(Object.keys(key).sort()).toEqual(['alg', 'e', 'kid', 'kty', 'n', 'use']);
    expect(key).toMatchObject({ kty: 'RSA', use: 'sig', alg: 'RS256' });
  });

  it('completes the code flow with PKCE, state and nonce (identity=new, client_secret_post)', async () => {
    const config = await discover();
    const { callback, checks } = await authorize(config, 'new');
    const tokens = await client.authorizationCodeGrant(config, callback, checks);
    const claims = tokens.claims();
    expect(claims).toBeDefined();
    expect(claims?.sub).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(claims?.iss).toBe(emu.issuer);
    expect(claims?.aud).toBe(emu.clientId);
    expect(claims?.nonce).toBe(checks.expectedNonce);
    expect(claims).not.toHaveProperty('bindid_alias');
    expect(claims).not.toHaveProperty('acr');
    expect(claims?.amr).toEqual(['ts.bind_id.mfca']);
    expect(claims).not.toHaveProperty('email');
    const info = claims?.bindid_info as Record<string, number>;
    expect(Object.keys(info).sort()).toEqual([
      'capp_first_login',
      'capp_first_login_from_authenticating_device',
      'capp_last_login',
      'capp_last_login_from_authenticating_device',
    ]);
    expect(info.capp_first_login).toBe(claims?.auth_time);
    const { keys } = (await (await fetch(`${emu.issuer}/jwks`)).json()) as { keys: { kid: string }[] };
    expect(decodeProtectedHeader(tokens.id_token as string)).toEqual({ alg: 'RS256', kid: keys[0]?.kid, typ: 'JWT' });
    expect(tokens.token_type).toBe('bearer');
    expect(tokens.access_token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(tokens.expires_in).toBe(3600);
  });

  it('refuses client_secret_basic by default: invalid_client', async () => {
    const config = await discover(client.ClientSecretBasic(emu.clientSecret));
    const { callback, checks } = await authorize(config, 'bob');
    await expect(client.authorizationCodeGrant(config, callback, checks)).rejects.toMatchObject({
      status: 401,
      code: 'OAUTH_WWW_AUTHENTICATE_CHALLENGE',
    });
  });

  it('with allowClientSecretBasic, advertises and accepts client_secret_basic, and userinfo answers for the token', async () => {
    const strict = emu;
    emu = await startEmulator({ allowClientSecretBasic: true });
    try {
      const config = await discover(client.ClientSecretBasic(emu.clientSecret));
      expect(config.serverMetadata().token_endpoint_auth_methods_supported).toEqual(['client_secret_post', 'client_secret_basic']);
      const { callback, checks } = await authorize(config, 'bob');
      const tokens = await client.authorizationCodeGrant(config, callback, checks);
      const sub = tokens.claims()?.sub as string;
      expect(sub).toBe(emu.subOf('bob'));
      const userinfo = await client.fetchUserInfo(config, tokens.access_token, sub);
      expect(userinfo).toMatchObject({ sub, email: 'bob@example.com', email_verified: true });
      expect(userinfo).not.toHaveProperty('acr');
    } finally {
      await emu.close();
      emu = strict;
    }
  });

  it('rejects a wrong nonce (openid-client checks what the emulator signed)', async () => {
    const config = await discover();
    const { callback, checks } = await authorize(config, 'alice');
    await expect(
      client.authorizationCodeGrant(config, callback, { ...checks, expectedNonce: 'another-nonce' }),
    ).rejects.toMatchObject({ code: 'OAUTH_JWT_CLAIM_COMPARISON_FAILED', cause: { cause: { claim: 'nonce' } } });
  });

  it('rejects a tampered ID token (the signature covers the claims)', async () => {
    const config = await discover();
    const { callback, checks } = await authorize(config, 'alice');
    const tamper: typeof fetch = async (input, init) => {
      const res = await fetch(input, init);
      if (!String(input instanceof Request ? input.url : input).endsWith('/token')) return res;
      const body = (await res.json()) as { id_token: string };
      const [header, payload, signature] = body.id_token.split('.') as [string, string, string];
      const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Record<string, unknown>;
      claims.bindid_alias = 'someone-else';
      body.id_token = [header, Buffer.from(JSON.stringify(claims)).toString('base64url'), signature].join('.');
      return new Response(JSON.stringify(body), { status: 200, headers: res.headers });
    };
    config[client.customFetch] = tamper;
    await expect(client.authorizationCodeGrant(config, callback, checks)).rejects.toMatchObject({
      cause: { message: 'JWT signature verification failed' },
    });
  });
});
