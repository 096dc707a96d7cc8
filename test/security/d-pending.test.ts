/**
 * Checklist D (reliability.md §6): the pending BindID login kept between the callback and the
 * confirm POST — server-side only, bound to the session, single-use, expiring, never taken from the
 * browser.
 */
import { createHash } from 'node:crypto';
import session from 'express-session';
import type { LinkedEvent } from '../../src/confirm/confirm-options.js';
import type { RecognizedEvent } from '../../src/flow/flow-events.js';
import {
  APP_ORIGIN,
  appPath,
  authorizeAt,
  bindIdSignIn,
  confirmPage,
  type Flow,
  type FlowOptions,
  freshUser,
  sessionCookie,
  startLogin,
  submitConfirm,
  type TestUser,
  useFlowPerTest,
  whoami,
} from '../helpers/flow.js';
import { FAKE_CLOCK, until } from '../helpers/fake-clock.js';
import { KeyListingStore } from '../helpers/key-listing-store.js';

const { start, verifyCalls } = useFlowPerTest({ shareEmulator: true });
afterEach(() => {
  jest.useRealTimers(); // after the one test that fakes the clock
});

/** The pending login of the agent's session, as the test app's /whoami shows the session. */
async function pendingOf(agent: ReturnType<Flow['agent']>): Promise<{ id: string; accessToken: string; failures?: number; claims: { sub: string } } | undefined> {
  return ((await whoami(agent)).session.bindid as { pending?: never } | undefined)?.pending;
}

/** Every session in a MemoryStore, serialised. */
function dump(store: session.MemoryStore): Promise<string> {
  return new Promise((resolve, reject) => {
    store.all((err, sessions) => (err ? reject(err) : resolve(JSON.stringify(sessions ?? {}))));
  });
}

describe('D. Pending-link state', () => {
  it('D29 a confirm POST without a pending login fails generically: no verify call, no report', async () => {
    const f = await start({ router: { maxAttempts: 1 } });
    const u = freshUser();
    // (a) A browser that never signed in with BindID has no session and no CSRF token: 403.
    const stranger = f.agent();
    const none = await submitConfirm(stranger, { _csrf: 'x'.repeat(43), username: u.username, password: u.password });
    expect(none.status).toBe(403);
    // (b) A session with a valid CSRF token whose pending login is gone: the "start again" page.
    const agent = f.agent();
    await bindIdSignIn(agent, 'new');
    const { csrf } = await confirmPage(agent);
    expect((await submitConfirm(agent, { _csrf: csrf, username: u.username, password: 'wrong' })).status).toBe(400);
    verifyCalls.length = 0;
    const res = await submitConfirm(agent, { _csrf: csrf, username: u.username, password: u.password });
    expect(res.status).toBe(400);
    expect(res.text).toContain('This sign-in can no longer be confirmed');
    expect(res.text).not.toContain('name="password"');
    expect(verifyCalls).toEqual([]);
    expect(f.emulator.reports()).toHaveLength(0);
    expect((await whoami(agent)).user).toBeNull();
  });

  it('D30 after the TTL (+1 s) the pending login is expired: start again, it is deleted, nothing is sent', async () => {
    let clock = Date.now();
    const f = await start({ router: { now: () => clock, pendingTtlSeconds: 60 } });
    const u = freshUser();
    const agent = f.agent();
    await bindIdSignIn(agent, 'new');
    const { csrf } = await confirmPage(agent);
    clock += 61_000;
    const res = await submitConfirm(agent, { _csrf: csrf, username: u.username, password: u.password });
    expect(res.status).toBe(400);
    expect(res.text).toContain('This sign-in can no longer be confirmed');
    expect(await pendingOf(agent)).toBeUndefined();
    expect(verifyCalls).toEqual([]);
    expect(f.emulator.reports()).toHaveLength(0);
    // Even with the clock turned back, the deleted pending login does not come back.
    clock -= 61_000;
    expect((await submitConfirm(agent, { _csrf: csrf, username: u.username, password: u.password })).status).toBe(400);
    expect(f.emulator.reports()).toHaveLength(0);
  });

  it('D31 a pending login older than the access token (expires_in) is expired even inside the TTL', async () => {
    let clock = Date.now();
    const f = await start({ router: { now: () => clock, pendingTtlSeconds: 600 }, emulator: { accessTokenTtlSeconds: 60 } });
    const early = freshUser();
    const late = freshUser();
    // Control: at 59 s (inside both limits) the link works.
    const a = f.agent();
    await bindIdSignIn(a, 'new');
    const pageA = await confirmPage(a);
    clock += 59_000;
    expect((await submitConfirm(a, { _csrf: pageA.csrf, username: early.username, password: early.password })).status).toBe(303);
    // At 61 s: past the token's 60 s, far inside the 600 s TTL.
    const b = f.agent();
    await bindIdSignIn(b, 'new');
    const pending = await pendingOf(b);
    expect(pending).toBeDefined();
    const pageB = await confirmPage(b);
    clock += 61_000;
    const res = await submitConfirm(b, { _csrf: pageB.csrf, username: late.username, password: late.password });
    expect(res.status).toBe(400);
    expect(res.text).toContain('This sign-in can no longer be confirmed');
    expect(verifyCalls).toEqual([early.username]);
    expect(f.emulator.reports()).toHaveLength(1);
  });

  it('D32 replaying the successful confirm POST (same cookie jar, or the old cookie) is rejected: one report in total', async () => {
    const f = await start();
    const u = freshUser();
    const agent = f.agent();
    const oldCookie = sessionCookie(await bindIdSignIn(agent, 'new')) ?? '';
    const page = await confirmPage(agent);
    const fields = { _csrf: page.csrf, username: u.username, password: u.password };
    expect((await submitConfirm(agent, fields)).status).toBe(303);
    const sameJar = await submitConfirm(agent, fields);
    const oldSession = await f.agent().post('/bindid/confirm').type('form').set('Origin', APP_ORIGIN).set('Cookie', oldCookie).send(fields);
    for (const replay of [sameJar, oldSession]) expect(replay.status).toBe(403);
    expect(f.emulator.reports()).toHaveLength(1);
    expect(verifyCalls).toEqual([u.username]);
  });

  it('D33 two concurrent confirm POSTs in one session: exactly one success and exactly one report', async () => {
    // Both requests are held inside verify until both arrived, so both loaded the session with the
    // pending login: only the single-use claim can stop the second one. (Should one be answered
    // without reaching verify, its answer opens the gate for the other, and `arrived` says so.)
    let arrived = 0;
    let release: () => void = () => {};
    const bothIn = new Promise<void>((resolve) => {
      release = resolve;
    });
    const users = new Map(Array.from({ length: 2 }, () => freshUser()).map((u) => [u.username, u]));
    const linked: Array<LinkedEvent<TestUser>> = [];
    const f = await start({
      verify: async (username, password) => {
        if (++arrived === 2) release();
        await bothIn;
        const user = users.get(username);
        return user && user.password === password ? { id: user.id, username } : false;
      },
      router: { onLinked: (e) => void linked.push(e) },
    });
    const agent = f.agent();
    await bindIdSignIn(agent, 'new');
    const { csrf } = await confirmPage(agent);
    const [a, b] = [...users.values()] as [ReturnType<typeof freshUser>, ReturnType<typeof freshUser>];
    const results = await Promise.all(
      [a, b].map((u) => Promise.resolve(submitConfirm(agent, { _csrf: csrf, username: u.username, password: u.password })).finally(release)),
    );
    expect(arrived).toBe(2);
    expect(results.map((r) => r.status).sort()).toEqual([303, 409]);
    expect(f.emulator.reports()).toHaveLength(1);
    expect(linked).toHaveLength(1);
    const winner = results[0]?.status === 303 ? a : b;
    expect(f.emulator.reports()[0]?.alias).toBe(String(winner.id));
    expect((await whoami(agent)).user).toEqual({ id: winner.id, username: winner.username });
  });

  it('D34 a pending-login id of session B submitted in session A is ignored: A confirms only its own, B is untouched', async () => {
    const attempts = new KeyListingStore();
    const f = await start({ router: { store: attempts } });
    const ua = freshUser();
    const ub = freshUser();
    const a = f.agent();
    const b = f.agent();
    const cookieA = sessionCookie(await bindIdSignIn(a, 'new')) ?? '';
    await bindIdSignIn(b, 'new');
    const pendingA = await pendingOf(a);
    const pendingB = await pendingOf(b);
    const pageA = await confirmPage(a);
    const pageB = await confirmPage(b);
    const bId = pendingB?.id ?? '';
    // B's CSRF token is refused in A (the token is per session).
    expect((await submitConfirm(a, { _csrf: pageB.csrf, username: ua.username, password: ua.password })).status).toBe(403);
    // B's id as a body field and in the query: a wrong password counts against A's link, not B's.
    const wrong = await f
      .agent()
      .post(`/bindid/confirm?pending=${bId}&id=${bId}`)
      .type('form')
      .set('Origin', APP_ORIGIN)
      .set('Cookie', cookieA)
      .send({ _csrf: pageA.csrf, pending: bId, id: bId, pendingId: bId, username: ua.username, password: 'wrong' });
    expect(wrong.status).toBe(401);
    // One attempt counted, on A's pending login (its counter is keyed on a hash of its access token).
    const linkKey = (token = '') => `attempts:link:${createHash('sha256').update(token).digest('base64url')}`;
    expect(await attempts.keys('attempts:link:')).toEqual([linkKey(pendingA?.accessToken)]);
    expect(await attempts.get(linkKey(pendingA?.accessToken))).toBe('1');
    const right = await submitConfirm(a, { _csrf: pageA.csrf, pending: bId, id: bId, pendingId: bId, username: ua.username, password: ua.password });
    expect(right.status).toBe(303);
    expect(f.emulator.reports().map((r) => r.sub)).toEqual([pendingA?.claims.sub]);
    // B's own link is intact and confirms B's BindID identity.
    expect(await pendingOf(b)).toEqual(pendingB);
    expect((await submitConfirm(b, { _csrf: pageB.csrf, username: ub.username, password: ub.password })).status).toBe(303);
    expect(f.emulator.reports().map((r) => r.sub)).toEqual([pendingA?.claims.sub, pendingB?.claims.sub]);
  });

  it('D35 an access token, alias or sub in the confirm form is ignored: only the server-side pending login is used', async () => {
    const f = await start();
    const u = freshUser();
    const victim = f.agent();
    await bindIdSignIn(victim, 'new');
    const victimPending = await pendingOf(victim);
    const agent = f.agent();
    await bindIdSignIn(agent, 'new');
    const own = await pendingOf(agent);
    const { csrf } = await confirmPage(agent);
    const res = await submitConfirm(agent, {
      _csrf: csrf,
      username: u.username,
      password: u.password,
      access_token: victimPending?.accessToken ?? '',
      accessToken: victimPending?.accessToken ?? '',
      alias: '999',
      bindid_alias: '999',
      sub: victimPending?.claims.sub ?? '',
      claims: '{"sub":"x"}',
    });
    expect(res.status).toBe(303);
    const reports = f.emulator.reports();
    expect(reports).toHaveLength(1);
    // The emulator resolves the sub from the access token it received: it was this session's.
    expect(reports[0]).toMatchObject({ accepted: true, alias: String(u.id), sub: own?.claims.sub });
    expect(f.emulator.aliasOf(victimPending?.claims.sub ?? '')).toBeUndefined();
  });

  describe('D36 what the session store holds', () => {
    const password = `pw-${Date.now()}-unique`;

    async function storeFlow(options: FlowOptions['router'] = {}) {
      const store = new session.MemoryStore();
      const u = { ...freshUser() };
      const f = await start({
        store,
        verify: (username, typed) => (username === u.username && typed === password ? { id: u.id, username } : false),
        router: options,
      });
      const agent = f.agent();
      await bindIdSignIn(agent, 'new');
      const token = (await pendingOf(agent))?.accessToken ?? '';
      expect(token).not.toBe('');
      const { csrf } = await confirmPage(agent);
      return { f, store, agent, csrf, token, u };
    }

    it('D36 no password is ever stored; the access token is gone after success', async () => {
      const { store, agent, csrf, token, u } = await storeFlow();
      expect((await submitConfirm(agent, { _csrf: csrf, username: u.username, password: `${password}-wrong` })).status).toBe(401);
      expect((await dump(store)).includes(password)).toBe(false);
      expect((await submitConfirm(agent, { _csrf: csrf, username: u.username, password })).status).toBe(303);
      const after = await dump(store);
      expect(after.includes(password)).toBe(false);
      expect(after.includes(token)).toBe(false);
    });

    it('D36 the access token is gone after a terminal failure (too many attempts; BindID refusing the report)', async () => {
      const tooMany = await storeFlow({ maxAttempts: 1 });
      expect((await submitConfirm(tooMany.agent, { _csrf: tooMany.csrf, username: tooMany.u.username, password: 'x' })).status).toBe(400);
      expect((await dump(tooMany.store)).includes(tooMany.token)).toBe(false);

      const refused = await storeFlow();
      refused.f.emulator.expireAccessTokens();
      expect((await submitConfirm(refused.agent, { _csrf: refused.csrf, username: refused.u.username, password })).status).toBe(502);
      expect((await dump(refused.store)).includes(refused.token)).toBe(false);
    });

    it('D36 a retryable failure (BindID down) keeps the pending login by design: fail closed, the user may retry', async () => {
      const { f, store, agent, csrf, token, u } = await storeFlow();
      f.emulator.setFault('session-feedback', { status: 503 });
      expect((await submitConfirm(agent, { _csrf: csrf, username: u.username, password })).status).toBe(503);
      expect((await whoami(agent)).user).toBeNull();
      expect((await dump(store)).includes(token)).toBe(true);
      f.emulator.clearFaults();
      expect((await submitConfirm(agent, { _csrf: csrf, username: u.username, password })).status).toBe(303);
      expect((await dump(store)).includes(token)).toBe(false);
    });
  });

  it('D37 BindID answering error=access_denied stores no pending login and answers a 403 coded error, not a 500', async () => {
    const f = await start();
    const agent = f.agent();
    const callback = await authorizeAt(await startLogin(agent), 'cancel');
    expect(new URL(callback).searchParams.get('error')).toBe('access_denied');
    const res = await agent.get(appPath(callback));
    expect(res.status).toBe(403);
    expect(res.body.code).toBe('ERR_BINDID_ACCESS_DENIED');
    expect(await pendingOf(agent)).toBeUndefined();
    expect((await confirmPage(agent)).res.status).toBe(400);
    // A hand-made error callback (no login started here) is refused as well.
    const forged = await f.agent().get('/bindid/callback?error=access_denied&state=x');
    expect(forged.status).toBe(400);
    expect(forged.body.code).toBe('ERR_BINDID_LOGIN_STATE_MISSING');
    expect(f.emulator.reports()).toHaveLength(0);
  });

  it('D38 a BindID user whose ID token has bindid_alias is signed in directly: no confirm step, no password, no report', async () => {
    const recognized: Array<RecognizedEvent<TestUser>> = [];
    const f = await start({ router: { onRecognized: (e) => void recognized.push(e) } });
    const u = freshUser();
    f.emulator.setAlias(f.emulator.subOf('bob') ?? '', String(u.id));
    const agent = f.agent();
    const res = await bindIdSignIn(agent, 'bob', '/account');
    expect(res.status).toBe(303);
    expect(res.headers.location).toBe('/account');
    expect((await whoami(agent)).user).toEqual({ id: u.id, username: u.username });
    expect(await pendingOf(agent)).toBeUndefined();
    expect(verifyCalls).toEqual([]);
    expect(f.emulator.reports()).toHaveLength(0);
    expect(recognized.map((e) => e.alias)).toEqual([String(u.id)]);
  });
});

describe('N124 "not me" while the confirmation waits on BindID', () => {
  it('N124 the report already sent stands (BindID links the identity), but nobody is signed in: not the cancelling browser, not the abandoned session', async () => {
    const linked: Array<LinkedEvent<TestUser>> = [];
    const failed: string[] = [];
    const f = await start({
      emulator: { identities: [{ id: 'carol', email: 'carol@example.com' }] },
      router: { onLinked: (e) => void linked.push(e), onLinkFailed: (e) => void failed.push(e.reason) },
    });
    const agent = f.agent();
    await bindIdSignIn(agent, 'carol');
    const page = await confirmPage(agent);
    const abandoned = sessionCookie(page.res) ?? '';
    const u = freshUser();
    // BindID takes 600 ms to answer the report, on Jest's fake clock (test/helpers/fake-clock.ts):
    // it answers only when the test moves the clock, so "not me" surely comes while it waits.
    jest.useFakeTimers(FAKE_CLOCK);
    f.emulator.setFault('session-feedback', { delayMs: 600 });
    // (`then` sends it now: supertest sends a request only once it is awaited.)
    const confirming = submitConfirm(agent, { _csrf: page.csrf, username: u.username, password: u.password }).then((res) => res);
    // The password was checked and the report is at BindID when the user clicks "This is not me":
    // two timers run then, the client's deadline and BindID's 600 ms.
    await until(() => verifyCalls.length === 1 && jest.getTimerCount() === 2, 'the report waiting at BindID');
    const cancel = await agent.post('/bindid/confirm/cancel').type('form').set('Origin', APP_ORIGIN).send({ _csrf: page.csrf });
    expect(cancel.status).toBe(303);
    expect(f.emulator.reports()).toHaveLength(0); // still waiting on BindID
    await jest.advanceTimersByTimeAsync(600);
    const confirm = await confirming;

    // The report was sent before the cancel: BindID linked the identity, and the app is told so.
    expect(f.emulator.reports().filter((r) => r.accepted)).toHaveLength(1);
    expect(failed).toEqual(['cancelled']);
    expect(linked.map((e) => e.user)).toEqual([{ id: u.id, username: u.username }]);
    // The confirmation ends on the "start again" page, signing nobody in.
    expect(confirm.status).toBe(400);
    expect(confirm.text).toContain('This sign-in can no longer be confirmed');
    expect((await whoami(agent)).user).toBeNull();
    for (const cookie of [sessionCookie(cancel), sessionCookie(confirm), abandoned]) {
      const me = (await f.agent().get('/whoami').set('Cookie', cookie ?? '')).body;
      expect([cookie === abandoned ? 'abandoned' : 'answered', me.user, me.session.bindid?.pending]).toEqual([
        cookie === abandoned ? 'abandoned' : 'answered',
        null,
        undefined,
      ]);
    }
    // The link stands: the next "Sign in with BindID" as carol goes straight in, as the confirmed user.
    f.emulator.clearFaults();
    const next = f.agent();
    expect((await bindIdSignIn(next, 'carol')).status).toBe(303);
    expect((await whoami(next)).user).toEqual({ id: u.id, username: u.username });
  });

  it('N124 "not me" while the password is still being checked: nothing is reported, nobody is signed in', async () => {
    const u = freshUser();
    let checking!: () => void;
    const checked = new Promise<void>((resolve) => {
      checking = resolve;
    });
    let cancelled!: () => void;
    const cancelAnswered = new Promise<void>((resolve) => {
      cancelled = resolve;
    });
    const f = await start({
      verify: async (username, password) => {
        checking();
        await cancelAnswered; // a slow password hash: still running when "not me" has been answered
        return username === u.username && password === u.password ? { id: u.id, username } : false;
      },
    });
    const agent = f.agent();
    await bindIdSignIn(agent, 'new');
    const page = await confirmPage(agent);
    const confirming = submitConfirm(agent, { _csrf: page.csrf, username: u.username, password: u.password }).then((res) => res);
    await checked;
    const cancel = await Promise.resolve(agent.post('/bindid/confirm/cancel').type('form').set('Origin', APP_ORIGIN).send({ _csrf: page.csrf })).finally(cancelled);
    expect(cancel.status).toBe(303);
    const confirm = await confirming;
    expect(confirm.status).toBe(409);
    expect(confirm.text).toContain('This sign-in can no longer be confirmed');
    expect(f.emulator.reports()).toHaveLength(0);
    expect((await whoami(agent)).user).toBeNull();
    const answered = sessionCookie(confirm);
    if (answered) expect((await f.agent().get('/whoami').set('Cookie', answered)).body.user).toBeNull();
  });
});
