/**
 * Seeding pending BindID logins into app sessions before a measured run (not measured itself).
 *
 * Each seeded session is what the BindID callback leaves behind for a new BindID user: a pending
 * login holding a real access token of the emulator, minted for this seeding (bench-only route
 * `GET /__bench/seed`, which calls the library's `storePendingLogin`). For the router, the confirm
 * page is then loaded once, as a browser would, to get the form's CSRF token.
 *
 * The library's attempt guard allows {@link ATTEMPTS_PER_TOKEN} confirm attempts per access token,
 * whatever their outcome, and never gives one back; the caller says how many sessions share a token
 * (`sessionsPerToken`), and must not send more attempts on a token than that in all.
 *
 * @module
 */
import type { Request } from 'autocannon';
import type { Child } from '../lib/children.js';
import { cookieOf, inParallel, request } from '../lib/http.js';
import type { LoginMinter } from '../lib/tokens.js';
import { urlOf } from './context.js';

/** One seeded session, ready to be confirmed. */
export interface SeededSession {
  cookie: string;
  /** The confirm form's body: `username=u<n>&password=pw` (and `_csrf` for the router). */
  body: string;
}

/** How to seed. */
export interface SeedOptions {
  /** The app's minter: `ceil(count / sessionsPerToken)` logins are minted for this seeding. */
  minter: LoginMinter;
  /** Sessions holding the same token (1: a token per session). */
  sessionsPerToken: number;
  /** The router's confirm page, loaded to get the CSRF token. */
  confirmPage?: string;
}

/** Seed `count` sessions on `app`, each pending login holding a freshly minted token. */
export async function seedSessions(app: Child, count: number, { minter, sessionsPerToken, confirmPage }: SeedOptions): Promise<SeededSession[]> {
  const logins = await minter.mint(Math.ceil(count / sessionsPerToken));
  await app.call('setPool', { logins, sessionsPerToken });
  return inParallel(count, 8, async () => {
    const seeded = await request(`${urlOf(app)}/__bench/seed`);
    if (seeded.status !== 200) throw new Error(`seeding answered HTTP ${seeded.status}`);
    const cookie = cookieOf(seeded);
    const { username } = JSON.parse(seeded.body) as { username: string };
    const form = new URLSearchParams({ username, password: 'pw' });
    if (confirmPage !== undefined) {
      const page = await request(`${urlOf(app)}${confirmPage}`, { headers: { cookie } });
      const csrf = /name="_csrf" value="([^"]+)"/.exec(page.body)?.[1];
      if (page.status !== 200 || !csrf) throw new Error(`the confirm page answered HTTP ${page.status} without a CSRF token`);
      form.set('_csrf', csrf);
    }
    return { cookie, body: form.toString() };
  });
}

/** The confirm POST of one seeded session, as sent by a browser on the app's origin. */
export function confirmRequest(path: string, origin: string, session: SeededSession): Request {
  return {
    method: 'POST',
    path,
    headers: {
      cookie: session.cookie,
      'content-type': 'application/x-www-form-urlencoded',
      origin,
    },
    body: session.body,
  };
}
