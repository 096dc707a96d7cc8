/**
 * The chaos run's users: user `n` is BindID identity `chaos-<n>` (new to the app) and app account
 * `user<n>` (password `pw-<n>`, alias `"<n>"`). Each goes through new-user → confirm with its own
 * browser (one cookie jar), every request to a random instance, until `/whoami` shows it signed in
 * or its attempts run out. An attempt that fails (an instance killed mid-request, Redis or BindID
 * down...) starts again from the BindID login, as a user would.
 *
 * Right after a confirm answered 303, the run looks for the user's report in the outbox (the
 * parent's own client on the cluster): it is there (queued), or it must have been accepted by BindID
 * before that look (checked at the end). That is "nobody signed in without a persisted report".
 *
 * @module
 */
import { outboxId, type Outbox } from '../../src/fail-open/index.js';
import { Browser, type Page, sleep } from '../redis/instances.js';
import type { Fleet } from './fleet.js';

/** What happened to one user. */
export interface UserOutcome {
  n: number;
  sub: string;
  alias: string;
  /** `/whoami` showed the user signed in: after a confirm that answered 303, or a recognized BindID login. */
  signedIn: 'confirm' | 'recognized' | false;
  /** After the confirm's 303: whether the report was in the outbox, and when that look ended. */
  outboxAtSignIn?: { queued: boolean; at: number };
  attempts: number;
  /** Why each failed attempt failed. */
  failures: string[];
}

/** How users run. */
export interface JourneyContext {
  fleet: Fleet;
  outbox: Outbox;
  subs: Readonly<Record<string, string>>;
  maxAttempts: number;
}

const MAX_STEP_TRIES = 4;

/** One request on a random instance, tried again on another when the connection fails. */
async function onAny<T>(fleet: Fleet, request: (instance: Awaited<ReturnType<Fleet['pick']>>) => Promise<T>): Promise<T> {
  for (let tries = 1; ; tries++) {
    try {
      return await request(await fleet.pick());
    } catch (err) {
      if (tries >= MAX_STEP_TRIES) throw err;
      await sleep(100);
    }
  }
}

/** Whether the report of `sub`/`alias` is in the outbox now (tried again while Redis fails). */
async function inOutbox(outbox: Outbox, sub: string, alias: string): Promise<boolean> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      const found = await Promise.race([
        outbox.get(outboxId(sub, alias)),
        sleep(2000).then(() => Promise.reject(new Error('outbox read timed out'))),
      ]);
      return found !== undefined;
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await sleep(200);
    }
  }
}

function fail(what: string, page: Page): never {
  throw new Error(`${what} answered ${page.status}`);
}

/** One attempt: BindID login, confirm if asked, then /whoami. */
async function attempt(ctx: JourneyContext, browser: Browser, user: UserOutcome): Promise<void> {
  const { fleet } = ctx;
  const back = await browser.bindIdSignIn(await fleet.pick(), await fleet.pick(), `chaos-${user.n}`);
  if (back.status !== 303 || !back.location) fail('the callback', back);
  let via: 'confirm' | 'recognized' = 'recognized';
  if (new URL(back.location, 'http://app').pathname === '/bindid/confirm') {
    const { page, csrf } = await onAny(fleet, (i) => browser.confirmPage(i));
    if (page.status !== 200 || !csrf) fail('the confirm page', page);
    const confirmed = await browser.confirm(await fleet.pick(), csrf, `user${user.n}`, `pw-${user.n}`);
    if (confirmed.status !== 303) fail('the confirm', confirmed);
    user.outboxAtSignIn = { queued: await inOutbox(ctx.outbox, user.sub, user.alias), at: Date.now() };
    via = 'confirm';
  }
  const me = await onAny(fleet, (i) => browser.whoami(i));
  if (me?.id !== user.n) throw new Error(`/whoami shows ${me ? me.username : 'nobody'} after the ${via === 'confirm' ? 'confirm' : 'callback'}`);
  user.signedIn = via;
}

/** Run user `n` to the end. */
export async function journey(ctx: JourneyContext, n: number): Promise<UserOutcome> {
  const sub = ctx.subs[`chaos-${n}`];
  if (!sub) throw new Error(`the emulator has no identity chaos-${n}`);
  const user: UserOutcome = { n, sub, alias: String(n), signedIn: false, attempts: 0, failures: [] };
  const browser = new Browser();
  while (user.attempts < ctx.maxAttempts && user.signedIn === false) {
    user.attempts += 1;
    try {
      await attempt(ctx, browser, user);
    } catch (err) {
      user.failures.push(err instanceof Error ? err.message : String(err));
      await sleep(250 + Math.random() * 750);
    }
  }
  return user;
}

/**
 * Run users 1…`count`, `concurrency` at a time, user `n` starting no sooner than `(n - 1) × spreadMs / count`
 * after the first (so the run lasts at least `spreadMs`, long enough for the supervisor's rounds);
 * `onDone` after each.
 */
export async function runUsers(
  ctx: JourneyContext,
  count: number,
  concurrency: number,
  spreadMs: number,
  onDone: (u: UserOutcome) => void,
): Promise<UserOutcome[]> {
  const outcomes: UserOutcome[] = [];
  const start = Date.now();
  let next = 1;
  const lane = async () => {
    while (next <= count) {
      const n = next++;
      const wait = start + ((n - 1) * spreadMs) / count - Date.now();
      if (wait > 0) await sleep(wait);
      const outcome = await journey(ctx, n);
      outcomes.push(outcome);
      onDone(outcome);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, lane));
  return outcomes.sort((a, b) => a.n - b.n);
}
