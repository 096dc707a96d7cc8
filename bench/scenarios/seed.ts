/**
 * Seeding pending BindID logins into app sessions before a measured run (not measured itself).
 *
 * Each seeded session is what the BindID callback leaves behind for a new BindID user: a pending
 * login holding a real access token of the emulator (bench-only route `GET /__bench/seed`, which calls
 * the library's `storePendingLogin`). For the router, the confirm page is then loaded once, as a
 * browser would, to get the form's CSRF token.
 *
 * @module
 */
import type { Request } from 'autocannon';
import type { Child } from '../lib/children.js';
import { cookieOf, inParallel, request } from '../lib/http.js';
import { urlOf } from './context.js';

/** One seeded session, ready to be confirmed. */
export interface SeededSession {
  cookie: string;
  /** The confirm form's body: `username=u<n>&password=pw` (and `_csrf` for the router). */
  body: string;
}

/** Seed `count` sessions on `app`; with `confirmPage`, load it to get the CSRF token too. */
export function seedSessions(app: Child, count: number, confirmPage?: string): Promise<SeededSession[]> {
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
