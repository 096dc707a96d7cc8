/**
 * Minting real BindID logins from the emulator, through its ordinary code flow: `/authorize` with
 * the `identity=new` shortcut (a fresh BindID user, no alias yet), then `/token`. Done before any
 * measured run. The tokens are handed to the app processes over IPC and never printed.
 *
 * @module
 */
import type { BindIdClaims } from 'express-bindid';
import { inParallel, request } from './http.js';

/** The redirect URI registered at the emulator for minting (never opened). */
export const MINT_REDIRECT_URI = 'http://localhost:3000/bindid/callback';

/** One minted login: the access token and the ID token's claims. */
export interface MintedLogin {
  accessToken: string;
  claims: BindIdClaims;
}

/** What minting needs to know about the emulator. */
export interface MintTarget {
  issuer: string;
  clientId: string;
  clientSecret: string;
}

/** Mint `count` logins of fresh BindID users. */
export function mintLogins(target: MintTarget, count: number): Promise<MintedLogin[]> {
  return inParallel(count, 8, async () => {
    const authorize = new URL(`${target.issuer}/authorize`);
    authorize.search = new URLSearchParams({
      client_id: target.clientId,
      redirect_uri: MINT_REDIRECT_URI,
      response_type: 'code',
      scope: 'openid email',
      identity: 'new',
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
    return { accessToken, claims: JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as BindIdClaims };
  });
}
