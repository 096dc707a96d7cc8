/**
 * Checklist C (reliability.md §6): the password check of the confirm step — one generic failure,
 * hardened inputs, and failed-attempt limits per pending login, per account and per client IP.
 * Case 17 (timing) is `c-timing.timing.ts`, run by `npm run test:timing`.
 */
import express from 'express';
import session from 'express-session';
import passport from 'passport';
import request from 'supertest';
import { type BindIdStore, createLocalStrategy, MemoryBindIdStore, storePendingLogin } from '../../src/index.js';
import type { LinkedEvent } from '../../src/confirm/confirm-options.js';
import { DEFAULT_FAILURE_MESSAGE } from '../../src/passport/local-strategy.js';
import type { LinkFailedEvent } from '../../src/flow/flow-events.js';
import { clientKey } from '../../src/confirm/attempt-guard.js';
import {
  APP_ORIGIN,
  type Agent,
  bindIdSignIn,
  comparable,
  confirmPage,
  type Flow,
  freshUser,
  submitConfirm,
  type TestUser,
  useFlowPerTest,
  whoami,
} from '../helpers/flow.js';

const { start, verifyCalls } = useFlowPerTest({ shareEmulator: true });

/** A fresh browser with a pending BindID login on the confirm page; its CSRF token. */
async function pendingAt(f: Flow, identity = 'new'): Promise<{ agent: Agent; csrf: string }> {
  const agent = f.agent();
  const callback = await bindIdSignIn(agent, identity);
  if (callback.headers.location !== '/bindid/confirm') throw new Error(`expected the confirm page, got ${callback.status}`);
  const { csrf } = await confirmPage(agent);
  return { agent, csrf };
}

/** One confirm POST from a fresh pending login. */
async function attempt(f: Flow, username: string, password: string, headers?: Record<string, string>, identity = 'new') {
  const { agent, csrf } = await pendingAt(f, identity);
  const res = await submitConfirm(agent, { _csrf: csrf, username, password }, headers);
  return { agent, res };
}

/** An app user table with a disabled account, for a custom verify. All usernames are 8 characters. */
function userTable() {
  const users = new Map<string, { id: number; password: string; disabled?: boolean }>([
    ['member01', { id: 101, password: 'member-password' }],
    ['locked01', { id: 102, password: 'locked-password' }],
    ['disabl01', { id: 103, password: 'disabled-password', disabled: true }],
  ]);
  const verify = (username: string, password: string): TestUser | false => {
    const user = users.get(username);
    return user && !user.disabled && user.password === password ? { id: user.id, username } : false;
  };
  return { users, verify };
}

describe('C. Credential check, enumeration, brute force', () => {
  it('C16 unknown user, wrong password, locked account and disabled account answer byte-identically', async () => {
    const { verify } = userTable();
    const f = await start({ verify, router: { attemptLimits: { perAccount: 3, perIp: 1000 }, maxAttempts: 10 } });
    // Lock locked01 (three failures from other pending logins).
    for (let i = 0; i < 3; i++) expect((await attempt(f, 'locked01', `guess-${i}`)).res.status).toBe(401);

    // Each from a new pending login of the same BindID identity (so the masked identity shown is the same).
    const wrongPassword = (await attempt(f, 'member01', 'not-the-password', undefined, 'bob')).res;
    const unknownUser = (await attempt(f, 'ghost001', 'whatever-password', undefined, 'bob')).res;
    const locked = (await attempt(f, 'locked01', 'locked-password', undefined, 'bob')).res; // the right password, but locked
    const disabled = (await attempt(f, 'disabl01', 'disabled-password', undefined, 'bob')).res; // the right password, but disabled

    expect(wrongPassword.status).toBe(401);
    expect(wrongPassword.text).toContain('Invalid username or password.');
    const reference = comparable(wrongPassword, 'member01');
    expect(comparable(unknownUser, 'ghost001')).toEqual(reference);
    expect(comparable(locked, 'locked01')).toEqual(reference);
    expect(comparable(disabled, 'disabl01')).toEqual(reference);
    expect(f.emulator.reports()).toHaveLength(0);
  });

  it('C18 a missing or empty username or password fails like a wrong password (401, same page), before verify', async () => {
    const f = await start();
    const u = freshUser();
    const wrong = comparable((await attempt(f, u.username, 'wrong', undefined, 'bob')).res, u.username);
    verifyCalls.length = 0;
    const cases: Array<Record<string, string>> = [
      { username: u.username },
      { username: u.username, password: '' },
      { password: u.password },
      { username: '', password: u.password },
      {},
    ];
    for (const fields of cases) {
      const { agent, csrf } = await pendingAt(f, 'bob');
      const res = await submitConfirm(agent, { _csrf: csrf, ...fields });
      // passport-local alone would answer 400 "Missing credentials"; the strategy normalises it to the generic 401.
      expect(res.status).toBe(401);
      expect(res.text).not.toMatch(/missing/i);
      const page = comparable(res, u.username);
      expect(page.status).toBe(wrong.status);
      expect(page.headers).toEqual({ ...wrong.headers, 'content-length': page.headers['content-length'] });
      // Same page, except that a username that was not typed is not echoed back.
      expect(page.body.replace('value=""', 'value="…"')).toBe(wrong.body);
    }
    expect(verifyCalls).toEqual([]);
    expect(f.emulator.reports()).toHaveLength(0);
  });

  it('C18 for apps mounting the strategy themselves, missing credentials fail with 401 and the generic message, not passport-local\'s 400', async () => {
    const instance = new passport.Passport();
    const calls: string[] = [];
    instance.use(
      createLocalStrategy({
        verify: (username: string) => {
          calls.push(username);
          return false;
        },
      }),
    );
    const app = express();
    app.use(session({ secret: 'c18-session-secret', resave: false, saveUninitialized: false }));
    app.use(express.urlencoded({ extended: false }));
    app.use(instance.initialize());
    // A pending BindID login, as an app's own callback stores it (without one the strategy checks nothing).
    app.use((req, _res, next) => {
      storePendingLogin(req, { accessToken: 'c18-access-token', expiresIn: 3600, claims: { sub: 'c18-sub' } }, { baseUrl: 'http://127.0.0.1' });
      next();
    });
    app.post('/login', (req, res, next) => {
      instance.authenticate('bindid-local', { session: false }, (_err: unknown, _user: unknown, info: unknown, status: unknown) => {
        // passport itself answers a failure without a status as 401.
        res.json({ info, status: status ?? 401 });
      })(req, res, next);
    });
    const answers = [];
    for (const body of ['username=alice', 'password=secret', '', 'username=alice&password=', 'username=alice&password=wrong']) {
      answers.push((await request(app).post('/login').type('form').send(body)).body);
    }
    expect(answers).toEqual(Array(5).fill({ info: { message: DEFAULT_FAILURE_MESSAGE }, status: 401 }));
    expect(calls).toEqual(['alice']);
  });

  it('C19 a username or password that is an array, object or number fails generically before verify, never a 500', async () => {
    const f = await start({ configure: (app) => app.use(express.json()) });
    const u = freshUser();
    // Repeated form fields parse to arrays; `username[]` is not `username` with extended: false.
    for (const body of [
      `username=${u.username}&username=${u.username}&password=${u.password}`,
      `username[]=${u.username}&password=${u.password}`,
      `username=${u.username}&password=${u.password}&password=${u.password}`,
      `username[$ne]=x&password[$ne]=x`,
    ]) {
      const { agent, csrf } = await pendingAt(f);
      const res = await agent.post('/bindid/confirm').type('form').set('Origin', APP_ORIGIN).send(`_csrf=${csrf}&${body}`);
      expect(res.status).toBe(401);
      expect(res.text).toContain('Invalid username or password.');
    }
    // JSON bodies (an app with express.json() in front) can carry any type.
    for (const value of [{ $ne: null }, [u.username], 42, true, null]) {
      for (const fields of [
        { username: value, password: u.password },
        { username: u.username, password: value },
      ]) {
        const { agent, csrf } = await pendingAt(f);
        const res = await agent.post('/bindid/confirm').set('Origin', APP_ORIGIN).send({ _csrf: csrf, ...fields });
        expect(res.status).toBe(401);
        expect(res.text).toContain('Invalid username or password.');
      }
    }
    expect(verifyCalls).toEqual([]);
    expect(f.emulator.reports()).toHaveLength(0);
  });

  it('C20 a 10 KB username or password fails before verify; a 1 MB body is refused by the form parser (413), never a 500', async () => {
    const f = await start();
    const u = freshUser();
    for (const fields of [
      { username: 'u'.repeat(10 * 1024), password: u.password },
      { username: u.username, password: 'p'.repeat(10 * 1024) },
    ]) {
      const { agent, csrf } = await pendingAt(f);
      const res = await submitConfirm(agent, { _csrf: csrf, ...fields });
      expect(res.status).toBe(401);
      expect(res.text).toContain('Invalid username or password.');
    }
    // Over the router's 16 kB form limit: the form parser passes ERR_BINDID_BODY_TOO_LARGE (status 413)
    // to next(err) before anything reads the fields (N121: nothing of the body on the error).
    for (const fields of [
      { username: u.username, password: 'p'.repeat(1024 * 1024) },
      { username: 'u'.repeat(1024 * 1024), password: u.password },
    ]) {
      const { agent, csrf } = await pendingAt(f);
      const res = await submitConfirm(agent, { _csrf: csrf, ...fields });
      expect(res.status).toBe(413);
      expect(res.body.code).toBe('ERR_BINDID_BODY_TOO_LARGE');
      // The pending login is untouched: the right password still works afterwards.
      if (fields.username === 'u'.repeat(1024 * 1024)) {
        expect((await submitConfirm(agent, { _csrf: csrf, username: u.username, password: u.password })).status).toBe(303);
      }
    }
    expect(verifyCalls).toEqual([u.username]);
    expect(f.emulator.reports()).toHaveLength(1);
  });

  it('C21 a password (or username) in the query string is ignored: body only, generic failure, verify not called', async () => {
    const f = await start();
    const u = freshUser();
    const { agent, csrf } = await pendingAt(f);
    const query = `username=${u.username}&password=${encodeURIComponent(u.password)}`;
    const passwordInQuery = await agent
      .post(`/bindid/confirm?password=${encodeURIComponent(u.password)}`)
      .type('form')
      .set('Origin', APP_ORIGIN)
      .send({ _csrf: csrf, username: u.username });
    expect(passwordInQuery.status).toBe(401);
    const bothInQuery = await agent.post(`/bindid/confirm?${query}`).type('form').set('Origin', APP_ORIGIN).send({ _csrf: csrf });
    expect(bothInQuery.status).toBe(401);
    expect(bothInQuery.text).toContain('Invalid username or password.');
    expect(verifyCalls).toEqual([]);
    expect(f.emulator.reports()).toHaveLength(0);
    expect((await whoami(agent)).user).toBeNull();
  });

  it('C22 locks the pending link after maxAttempts failures: it is destroyed and a new BindID sign-in is needed', async () => {
    const failed: LinkFailedEvent[] = [];
    const f = await start({ router: { maxAttempts: 3, onLinkFailed: (e) => void failed.push(e) } });
    const u = freshUser();
    const { agent, csrf } = await pendingAt(f);
    for (let i = 1; i <= 2; i++) {
      expect((await submitConfirm(agent, { _csrf: csrf, username: u.username, password: `wrong-${i}` })).status).toBe(401);
    }
    const third = await submitConfirm(agent, { _csrf: csrf, username: u.username, password: 'wrong-3' });
    expect(third.status).toBe(400);
    expect(third.text).toContain('This sign-in can no longer be confirmed');
    expect(failed.map((e) => e.reason)).toEqual(['bad_credentials', 'bad_credentials', 'too_many_attempts']);
    expect((await whoami(agent)).session.bindid).not.toHaveProperty('pending');
    // The right password on the destroyed link: no verify, no report, still expired.
    verifyCalls.length = 0;
    const right = await submitConfirm(agent, { _csrf: csrf, username: u.username, password: u.password });
    expect(right.status).toBe(400);
    expect(verifyCalls).toEqual([]);
    expect(f.emulator.reports()).toHaveLength(0);
    // A new BindID sign-in in the same browser starts a new pending link, which works.
    await bindIdSignIn(agent, 'new');
    const again = await confirmPage(agent);
    expect((await submitConfirm(agent, { _csrf: again.csrf, username: u.username, password: u.password })).status).toBe(303);
    expect(f.emulator.reports()).toHaveLength(1);
  });

  it('C23 the per-account counter (normalised username) locks across fresh BindID sign-ins', async () => {
    const f = await start({ router: { maxAttempts: 5, attemptLimits: { perAccount: 4, perIp: 1000 } } });
    const u = freshUser();
    const other = freshUser();
    // Four failures, each from a new BindID identity and pending link, spelled differently.
    for (const spelling of [u.username.toUpperCase(), ` ${u.username} `, u.username.replace(/[a-z]/g, (c) => String.fromCharCode(c.charCodeAt(0) + 0xfee0)), u.username]) {
      expect((await attempt(f, spelling, 'wrong-password')).res.status).toBe(401);
    }
    // A fifth fresh sign-in with the right password: locked, answers like a wrong password.
    const locked = await attempt(f, u.username, u.password);
    expect(locked.res.status).toBe(401);
    expect(locked.res.text).toContain('Invalid username or password.');
    expect((await whoami(locked.agent)).user).toBeNull();
    expect(f.emulator.reports()).toHaveLength(0);
    // The lock is the account's, not the client's: another account from the same IP still links.
    expect((await attempt(f, other.username, other.password)).res.status).toBe(303);
  });

  it('C24 after lockout the right password gets exactly the wrong-password answer', async () => {
    const f = await start({ router: { attemptLimits: { perAccount: 2, perIp: 1000 } } });
    const u = freshUser();
    const first = await attempt(f, u.username, 'wrong-1', undefined, 'bob');
    const second = await attempt(f, u.username, 'wrong-2', undefined, 'bob');
    verifyCalls.length = 0;
    const right = await attempt(f, u.username, u.password, undefined, 'bob');
    expect(comparable(right.res, u.username)).toEqual(comparable(first.res, u.username));
    expect(comparable(second.res, u.username)).toEqual(comparable(first.res, u.username));
    // A locked attempt never reaches the password check (it waits about as long as one instead, C17).
    expect(verifyCalls).toEqual([]);
    expect(f.emulator.reports()).toHaveLength(0);
    expect((await whoami(right.agent)).user).toBeNull();
  });

  it('C25 unknown usernames are counted and locked too (no "never locks" oracle)', async () => {
    // The username does not exist while it is attacked; once it does, its counter is already full.
    const table = new Map<string, { id: number; password: string }>();
    const f = await start({
      verify: (username, password) => {
        const user = table.get(username);
        return user && user.password === password ? { id: user.id, username } : false;
      },
      router: { attemptLimits: { perAccount: 3, perIp: 1000 } },
    });
    for (let i = 0; i < 3; i++) expect((await attempt(f, 'newcomer', `guess-${i}`)).res.status).toBe(401);
    table.set('newcomer', { id: 777, password: 'newcomer-password' });
    table.set('control1', { id: 778, password: 'control-password' });
    const locked = await attempt(f, 'newcomer', 'newcomer-password');
    expect(locked.res.status).toBe(401);
    expect(f.emulator.reports()).toHaveLength(0);
    // Control: an account nobody attacked links at once.
    expect((await attempt(f, 'control1', 'control-password')).res.status).toBe(303);
  });

  describe('C26 client IP limit', () => {
    const limits = { router: { maxAttempts: 100, attemptLimits: { perAccount: 1000, perIp: 3 } } };
    const xff = (value: string) => ({ Origin: APP_ORIGIN, 'X-Forwarded-For': value });

    it('C26 with trust proxy off, a rotating X-Forwarded-For is ignored: the socket address is locked', async () => {
      const f = await start(limits);
      for (let i = 0; i < 3; i++) {
        const u = freshUser();
        expect((await attempt(f, u.username, 'wrong', xff(`203.0.113.${i + 1}`))).res.status).toBe(401);
      }
      const u = freshUser();
      const res = (await attempt(f, u.username, u.password, xff('203.0.113.99'))).res;
      expect(res.status).toBe(401);
      expect(f.emulator.reports()).toHaveLength(0);
    });

    it('C26 with trust proxy 1, only the last hop counts: rotating the forged left part does not help', async () => {
      const f = await start({ ...limits, configure: (app) => app.set('trust proxy', 1) });
      for (let i = 0; i < 3; i++) {
        const u = freshUser();
        expect((await attempt(f, u.username, 'wrong', xff(`10.0.${i}.1, 198.51.100.7`))).res.status).toBe(401);
      }
      const u = freshUser();
      expect((await attempt(f, u.username, u.password, xff('10.9.9.9, 198.51.100.7'))).res.status).toBe(401);
      // Another client (another last hop) is not affected.
      expect((await attempt(f, u.username, u.password, xff('10.9.9.9, 198.51.100.8'))).res.status).toBe(303);
    });

    it('C26 IPv6 clients are keyed by their /64: new interface ids do not reset the count', async () => {
      const f = await start({ ...limits, configure: (app) => app.set('trust proxy', 1) });
      for (const ip of ['2001:db8:1:2::1', '2001:db8:1:2::2', '2001:db8:1:2:abcd:ef01:2345:6789']) {
        const u = freshUser();
        expect((await attempt(f, u.username, 'wrong', xff(ip))).res.status).toBe(401);
      }
      const u = freshUser();
      expect((await attempt(f, u.username, u.password, xff('2001:db8:1:2:ffff:ffff:ffff:ffff'))).res.status).toBe(401);
      expect((await attempt(f, u.username, u.password, xff('2001:db8:1:3::1'))).res.status).toBe(303);
    });

    it('C26 clientKey: IPv4 as is, IPv4-mapped IPv6 as IPv4, IPv6 as its /64 in one canonical form', () => {
      expect(clientKey('198.51.100.7')).toBe('198.51.100.7');
      expect(clientKey('::ffff:198.51.100.7')).toBe('198.51.100.7');
      expect(clientKey('2001:db8:1:2::1')).toBe('2001:db8:1:2::/64');
      expect(clientKey('2001:0db8:0001:0002:ffff:ffff:ffff:ffff')).toBe('2001:db8:1:2::/64');
      expect(clientKey('2001:db8::1')).toBe('2001:db8:0:0::/64');
      expect(clientKey('2001:db8:0:0:1::1')).toBe(clientKey('2001:db8::1'));
      expect(clientKey('2001:db8:1:3::1')).not.toBe(clientKey('2001:db8:1:2::1'));
    });
  });

  describe('C27 a failing attempt store fails closed', () => {
    type Method = keyof BindIdStore;
    /** A MemoryBindIdStore whose listed methods reject. */
    class FailingStore extends MemoryBindIdStore {
      failing = new Set<Method>();
      private fail(method: Method): void {
        if (this.failing.has(method)) throw new Error(`store ${method} failed`);
      }
      override async get(key: string) {
        this.fail('get');
        return super.get(key);
      }
      override async add(key: string, value: string, ttlMs: number) {
        this.fail('add');
        return super.add(key, value, ttlMs);
      }
      override async set(key: string, value: string, ttlMs?: number) {
        this.fail('set');
        return super.set(key, value, ttlMs);
      }
      override async increment(key: string, ttlMs: number, by?: number) {
        this.fail('increment');
        return super.increment(key, ttlMs, by);
      }
      override async delete(key: string) {
        this.fail('delete');
        return super.delete(key);
      }
    }
    const WRITES: Method[] = ['add', 'set', 'increment', 'delete'];

    it.each([
      ['every operation fails', ['get', ...WRITES] as Method[]],
      ['writes fail', WRITES],
      ['increments fail', ['increment'] as Method[]],
    ])('C27 %s: right and wrong passwords both get the 503 page before any password check; nothing links', async (_name, methods) => {
      const store = new FailingStore();
      const linked: unknown[] = [];
      const f = await start({ router: { store, onLinked: (e) => void linked.push(e) } });
      const u = freshUser();
      const { agent, csrf } = await pendingAt(f);
      store.failing = new Set(methods);
      const wrong = await submitConfirm(agent, { _csrf: csrf, username: u.username, password: 'wrong' });
      const right = await submitConfirm(agent, { _csrf: csrf, username: u.username, password: u.password });
      expect(wrong.status).toBe(503);
      expect(wrong.text).toContain('BindID could not be reached');
      // No oracle: the right password gets the same answer as the wrong one.
      expect(comparable(right, u.username)).toEqual(comparable(wrong, u.username));
      // The attempt could not be counted, so the password was not checked.
      expect(verifyCalls).toHaveLength(0);
      expect(f.emulator.reports()).toHaveLength(0);
      expect(linked).toHaveLength(0);
      expect((await whoami(agent)).user).toBeNull();
      // Once the store recovers, the same pending link works.
      store.failing.clear();
      expect((await submitConfirm(agent, { _csrf: csrf, username: u.username, password: u.password })).status).toBe(303);
    });

    it('C27 reads fail (counting works): passwords are checked within the limits, and the right one links once (every decision is an atomic write)', async () => {
      const store = new FailingStore();
      const f = await start({ router: { store } });
      const u = freshUser();
      const { agent, csrf } = await pendingAt(f);
      store.failing = new Set<Method>(['get']);
      expect((await submitConfirm(agent, { _csrf: csrf, username: u.username, password: 'wrong' })).status).toBe(401);
      const right = await submitConfirm(agent, { _csrf: csrf, username: u.username, password: u.password });
      // Counting, the single-use claim and the link reservation are atomic writes (increment, add):
      // none of them reads, so the confirmation goes through, once.
      expect(right.status).toBe(303);
      expect(verifyCalls).toEqual([u.username, u.username]);
      expect(f.emulator.reports()).toHaveLength(1);
      expect((await whoami(agent)).user).not.toBeNull();
    });

    it('C27 counter increments failing: no attempt is ever checked, however many are sent (503 each, verify never called)', async () => {
      const store = new FailingStore();
      const f = await start({ router: { store, maxAttempts: 3 } });
      const u = freshUser();
      const { agent, csrf } = await pendingAt(f);
      store.failing = new Set<Method>(['increment']);
      for (let i = 0; i < 10; i++) {
        expect((await submitConfirm(agent, { _csrf: csrf, username: u.username, password: i === 9 ? u.password : 'wrong' })).status).toBe(503);
      }
      expect(verifyCalls).toEqual([]);
      expect(f.emulator.reports()).toHaveLength(0);
    });
  });

  it('C28 a link fires onLinked once (notify the owner, audit) with the user, alias and BindID identity; failures fire onLinkFailed', async () => {
    const linked: Array<LinkedEvent<TestUser>> = [];
    const failed: LinkFailedEvent[] = [];
    const f = await start({ router: { onLinked: (e) => void linked.push(e), onLinkFailed: (e) => void failed.push(e) } });
    const u = freshUser();
    const { agent, csrf } = await pendingAt(f);
    expect((await submitConfirm(agent, { _csrf: csrf, username: u.username, password: 'wrong' })).status).toBe(401);
    expect(linked).toHaveLength(0);
    expect(failed).toHaveLength(1);
    expect(failed[0]).toMatchObject({ reason: 'bad_credentials' });
    expect((await submitConfirm(agent, { _csrf: csrf, username: u.username, password: u.password })).status).toBe(303);
    expect(linked).toHaveLength(1);
    const event = linked[0] as LinkedEvent<TestUser>;
    const report = f.emulator.reports()[0];
    expect(event.user).toEqual({ id: u.id, username: u.username });
    expect(event.alias).toBe(String(u.id));
    expect(event.sub).toBe(report?.sub);
    expect(event.sub).toBe(failed[0]?.sub);
    // The BindID identity: the verified claims (a new BindID person has no email unless one is verified).
    expect(event.claims.sub).toBe(report?.sub);
    expect(event.result?.status).toBe(200);
    expect(failed).toHaveLength(1);
  });
});
