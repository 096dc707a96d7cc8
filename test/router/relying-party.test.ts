/**
 * The router as an OpenID Connect relying party, seen from the wire (issue 3 §2): the authorization
 * request carries PKCE S256, `state` and `nonce`; the code exchange proves the PKCE verifier;
 * discovery and the JWKS are fetched once and cached across sign-ins; and only RS256 ID tokens are
 * accepted, so a token "signed" HS256 with the client secret (a public value for no one but the
 * app and BindID, yet the classic algorithm-confusion attack) or with another RSA algorithm is
 * refused before any lookup.
 */
import { createHash } from 'node:crypto';
import { exportJWK, generateKeyPair, type JWK, SignJWT } from 'jose';
import { ErrorCode } from '../../src/index.js';
import { claimsFor, forgedCallback, trustTestKey } from '../helpers/forged-tokens.js';
import { appPath, authorizeAt, bindIdSignIn, startLogin, useFlowPerTest, whoami } from '../helpers/flow.js';
import { recordOutbound } from '../helpers/outbound.js';

const flows = useFlowPerTest({ shareEmulator: true });

it('sends PKCE S256 with state and nonce, and proves the verifier at /token', async () => {
  const f = await flows.start();
  const agent = f.agent();
  const outbound = recordOutbound();
  try {
    const authorize = new URL(await startLogin(agent));
    expect(authorize.origin + authorize.pathname).toBe(`${f.emulator.issuer}/authorize`);
    const q = authorize.searchParams;
    expect(q.get('response_type')).toBe('code');
    expect(q.get('code_challenge_method')).toBe('S256');
    const challenge = q.get('code_challenge') ?? '';
    expect(challenge).toMatch(/^[A-Za-z0-9_-]{43}$/);
    for (const name of ['state', 'nonce']) expect(q.get(name) ?? '').toMatch(/^[A-Za-z0-9_-]{20,}$/);
    expect(q.get('state')).not.toBe(q.get('nonce'));

    const callback = await agent.get(appPath(await authorizeAt(authorize.href, 'new')));
    expect(callback.headers.location).toBe('/bindid/confirm');
    const token = outbound.requests.find((r) => r.origin === f.emulator.issuer && r.path === '/token');
    const verifier = new URLSearchParams(token?.body ?? '').get('code_verifier') ?? '';
    expect(verifier).toMatch(/^[A-Za-z0-9_~.-]{43,128}$/);
    expect(createHash('sha256').update(verifier).digest('base64url')).toBe(challenge);
    // The verifier never went to the browser.
    expect(authorize.href).not.toContain(verifier);
  } finally {
    outbound.stop();
  }
});

it('a second login start gets a new state, nonce and PKCE challenge', async () => {
  const f = await flows.start();
  const agent = f.agent();
  const first = new URL(await startLogin(agent)).searchParams;
  const second = new URL(await startLogin(agent)).searchParams;
  for (const name of ['state', 'nonce', 'code_challenge']) expect(second.get(name)).not.toBe(first.get(name));
});

it('fetches discovery and the JWKS once, then validates later ID tokens from the cache (3 sign-ins)', async () => {
  const f = await flows.start();
  const outbound = recordOutbound();
  try {
    for (let i = 0; i < 3; i++) {
      const res = await bindIdSignIn(f.agent(), 'new');
      expect(res.headers.location).toBe('/bindid/confirm');
    }
    const at = (path: string) => outbound.requests.filter((r) => r.origin === f.emulator.issuer && r.path === path).length;
    expect(at('/.well-known/openid-configuration')).toBe(1);
    expect(at('/jwks')).toBe(1);
    expect(at('/token')).toBe(3);
  } finally {
    outbound.stop();
  }
});

describe('only RS256 ID tokens', () => {
  it('E48 control: an RS256 token under a key the JWKS publishes is accepted', async () => {
    const f = await flows.start();
    const forger = await trustTestKey(f.emulator);
    const res = await forgedCallback(f.agent(), f.emulator, (ctx) => forger.sign(claimsFor(ctx)));
    expect(res.headers.location).toBe('/bindid/confirm');
  });

  it('E48 an HS256 token keyed with the client secret is refused (ERR_BINDID_CALLBACK_INVALID), nobody signed in', async () => {
    const lookups: string[] = [];
    const f = await flows.start({
      router: {
        findUserByAlias: (alias) => {
          lookups.push(alias);
          return { id: 1, username: 'alice' };
        },
      },
    });
    const agent = f.agent();
    const secret = new TextEncoder().encode(f.emulator.clientSecret);
    const res = await forgedCallback(agent, f.emulator, (ctx) =>
      new SignJWT(claimsFor(ctx, { bindid_alias: '1' })).setProtectedHeader({ alg: 'HS256', typ: 'JWT' }).sign(secret),
    );
    expect(res.status).toBe(400);
    expect(res.body.code).toBe(ErrorCode.CALLBACK_INVALID);
    expect(lookups).toEqual([]);
    expect((await whoami(agent)).user).toBeNull();
  });

  it.each(['RS384', 'PS256'])('E48 a %s token under a key the JWKS publishes is refused', async (alg) => {
    const f = await flows.start();
    const { publicKey, privateKey } = await generateKeyPair(alg, { extractable: true });
    const own = (await (await fetch(`${f.emulator.issuer}/jwks`)).json()) as { keys: JWK[] };
    const jwk: JWK = { ...(await exportJWK(publicKey)), kid: `other-${alg}`, use: 'sig', alg };
    f.emulator.setFault('jwks', { status: 200, body: JSON.stringify({ keys: [...own.keys, jwk] }) });
    const agent = f.agent();
    const res = await forgedCallback(agent, f.emulator, (ctx) =>
      new SignJWT(claimsFor(ctx)).setProtectedHeader({ alg, kid: `other-${alg}`, typ: 'JWT' }).sign(privateKey),
    );
    expect(res.status).toBe(400);
    expect(res.body.code).toBe(ErrorCode.CALLBACK_INVALID);
    expect((await whoami(agent)).session.bindid ?? {}).not.toHaveProperty('pending');
  });
});
