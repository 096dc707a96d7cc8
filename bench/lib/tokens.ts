/**
 * Minting real BindID logins from the emulator, through its ordinary code flow: `/authorize` with
 * the scripted shortcut `identity=<id>` (one of the emulator's named identities), then `/token`.
 * Done before each measured run, never during one. The tokens are handed to the app processes over
 * IPC and never printed.
 *
 * Each app process signs its own range of named identities in (`c<first>`...`c<first + size - 1>`,
 * created by the emulator process with `BENCH_IDENTITIES`), in turn: login n is identity
 * `n % size` of the range, whose user in the app is `u<base + n % size>` (the alias it reports), so
 * an identity always gets the same alias. Named identities are never evicted, unlike the last 1,000
 * created by `identity=new`.
 *
 * @module
 */
import type { BindIdClaims } from 'express-bindid';
import { inParallel, request } from './http.js';

/** The redirect URI registered at the emulator for minting (never opened). */
export const MINT_REDIRECT_URI = 'http://localhost:3000/bindid/callback';

/**
 * Password checks allowed per pending login by the library's attempt guard (`maxAttempts`, default
 * 5), counted per access token and never given back: a minted token serves at most this many
 * confirm attempts in all, over all the sessions that hold it.
 */
export const ATTEMPTS_PER_TOKEN = 5;

/** Named identities per app process (far more than the concurrency of any run). */
export const IDENTITIES_PER_APP = 500;

/** The id of the emulator's named identity `n` (see `BENCH_IDENTITIES` in servers/emulator.ts). */
export function identityId(n: number): string {
  return `c${n}`;
}

/** One minted login: the access token, the ID token's claims, and which user of the app it is. */
export interface MintedLogin {
  accessToken: string;
  claims: BindIdClaims;
  /** The app's user for this identity: `u<base + user>`. */
  user: number;
}

/** What minting needs to know about the emulator. */
export interface MintTarget {
  issuer: string;
  clientId: string;
  clientSecret: string;
}

/** Mints logins of one app's range of named identities, in turn. */
export class LoginMinter {
  #next = 0;

  constructor(
    private readonly target: MintTarget,
    /** The first identity of the range. */
    private readonly first: number,
    private readonly size = IDENTITIES_PER_APP,
  ) {}

  /** Mint `count` fresh logins (8 at a time). */
  mint(count: number): Promise<MintedLogin[]> {
    const start = this.#next;
    this.#next += count;
    return inParallel(count, 8, (i) => {
      const user = (start + i) % this.size;
      return mintOne(this.target, identityId(this.first + user), user);
    });
  }
}

/** Mint `count` logins of fresh BindID users (`identity=new`; the emulator keeps the last 1,000 of them). */
export function mintLogins(target: MintTarget, count: number): Promise<MintedLogin[]> {
  return inParallel(count, 8, (i) => mintOne(target, 'new', i));
}

async function mintOne(target: MintTarget, identity: string, user: number): Promise<MintedLogin> {
  const authorize = new URL(`${target.issuer}/authorize`);
  authorize.search = new URLSearchParams({
    client_id: target.clientId,
    redirect_uri: MINT_REDIRECT_URI,
    response_type: 'code',
    scope: 'openid email',
    identity,
  }).toString();
  const redirect = await request(authorize.href);
  const location = redirect.headers.location;
  const code = location ? new URL(location).searchParams.get('code') : null;
  if (redirect.status !== 302 || !code) throw new Error(`/authorize answered HTTP ${redirect.status} without a code`);
  const token = await request(`${target.issuer}/token`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'authorization_code',
      code,
      redirect_uri: MINT_REDIRECT_URI,
      client_id: target.clientId,
      client_secret: target.clientSecret,
    }).toString(),
  });
  if (token.status !== 200) throw new Error(`/token answered HTTP ${token.status}`);
  const { access_token: accessToken, id_token: idToken } = JSON.parse(token.body) as { access_token: string; id_token: string };
  const payload = idToken.split('.')[1] ?? '';
  return { accessToken, claims: JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as BindIdClaims, user };
}
