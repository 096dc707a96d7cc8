/**
 * ID tokens with chosen claims, for the callback's validation tests (checklist E48, F56, E39).
 *
 * `trustTestKey(emulator)` makes the emulator's `/jwks` publish a test RSA key next to its own (a
 * permanent `jwks` fault), so the app's openid-client accepts the signature of tokens signed here and
 * each test exercises exactly one claim check (`aud`, `iss`, `nonce`, `bindid_alias`...), not the
 * signature check. Call it before the app's first sign-in (openid-client caches the JWKS), and do not
 * `clearFaults()` before that first sign-in.
 *
 * `forgedCallback(...)` walks a real login start and authorize step, then has the emulator's `/token`
 * answer (once) with an ID token built from the claims given, and returns the app's callback response.
 */
import { randomUUID } from 'node:crypto';
import { exportJWK, generateKeyPair, type JWK, type JWTPayload, SignJWT } from 'jose';
import type { Emulator } from '../../src/emulator/index.js';
import { type Agent, appPath, authorizeAt, startLogin } from './flow.js';

const KID = 'test-forger';

/** Signs ID tokens with a key the emulator's JWKS publishes. */
export interface Forger {
  /** RS256 JWT of `claims` under the published test key. */
  sign(claims: JWTPayload): Promise<string>;
}

/** The test key: one per test file (an RSA key costs about 200 ms of CPU; which key signs makes no difference to a claim check). */
let testKey: ReturnType<typeof generateKeyPair> | undefined;

/** Publish the test key in the emulator's JWKS (see the module notes). */
export async function trustTestKey(emulator: Emulator): Promise<Forger> {
  testKey ??= generateKeyPair('RS256', { extractable: true });
  const { publicKey, privateKey } = await testKey;
  const own = (await (await fetch(`${emulator.issuer}/jwks`)).json()) as { keys: JWK[] };
  const jwk: JWK = { ...(await exportJWK(publicKey)), kid: KID, use: 'sig', alg: 'RS256' };
  emulator.setFault('jwks', { status: 200, body: JSON.stringify({ keys: [...own.keys, jwk] }) });
  return {
    sign: (claims) => new SignJWT(claims).setProtectedHeader({ alg: 'RS256', kid: KID, typ: 'JWT' }).sign(privateKey),
  };
}

/** An unsigned (`alg: none`) JWT of `claims`. */
export function unsignedJwt(claims: JWTPayload): string {
  const part = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
  return `${part({ alg: 'none', typ: 'JWT' })}.${part(claims)}.`;
}

/** What the forged token is built from: the nonce and the emulator's issuer and client id are given. */
export interface ForgeContext {
  nonce: string;
  issuer: string;
  clientId: string;
}

/** Valid claims of a new BindID user for `ctx`; override or (with `undefined`) drop any of them. */
export function claimsFor(ctx: ForgeContext, overrides: Record<string, unknown> = {}): JWTPayload {
  const now = Math.floor(Date.now() / 1000);
  const claims: Record<string, unknown> = {
    iss: ctx.issuer,
    aud: ctx.clientId,
    sub: randomUUID(),
    nonce: ctx.nonce,
    iat: now,
    exp: now + 600,
    auth_time: now,
    email: 'forged@example.com',
    email_verified: true,
    ...overrides,
  };
  for (const [key, value] of Object.entries(claims)) if (value === undefined) delete claims[key];
  return claims as JWTPayload;
}

/**
 * Start a login on `agent`, pass BindID's authorize step, then let `/token` answer once with the ID
 * token `idToken(ctx)` returns (and a syntactically valid access token); the app's callback response.
 */
export async function forgedCallback(
  agent: Agent,
  emulator: Emulator,
  idToken: (ctx: ForgeContext) => Promise<string> | string,
): Promise<Awaited<ReturnType<Agent['get']>>> {
  const authorize = new URL(await startLogin(agent));
  const callback = await authorizeAt(authorize.href, 'new');
  const ctx: ForgeContext = { nonce: authorize.searchParams.get('nonce') ?? '', issuer: emulator.issuer, clientId: emulator.clientId };
  const body = { access_token: 'A'.repeat(43), token_type: 'Bearer', expires_in: 3600, id_token: await idToken(ctx) };
  emulator.setFault('token', { status: 200, times: 1, body: JSON.stringify(body) });
  return agent.get(appPath(callback));
}
