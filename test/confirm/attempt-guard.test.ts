/**
 * The attempt guard (src/confirm/attempt-guard.ts, src/passport/guarded-verify.ts) on its own:
 * reservation, refusal, release, store failures, no pending login, the router's hand-over, and the
 * wait of a locked attempt.
 */
import diagnostics from 'node:diagnostics_channel';
import express, { type NextFunction, type Request, type Response } from 'express';
import session from 'express-session';
import passport from 'passport';
import request from 'supertest';
import {
  type AttemptGuardSettings,
  releaseAttempt,
  reserveAttempt,
  setAttemptGuardContext,
  VerifyTiming,
} from '../../src/confirm/attempt-guard.js';
import {
  type BindIdStore,
  createLocalStrategy,
  DIAGNOSTICS_CHANNELS,
  ErrorCode,
  type LocalStrategyOptions,
  MemoryBindIdStore,
  storePendingLogin,
} from '../../src/index.js';
import { DEFAULT_FAILURE_MESSAGE } from '../../src/passport/local-strategy.js';
import { settlesAt, until, watch, withFakeClock } from '../helpers/fake-clock.js';
import type { PendingLogin } from '../../src/session/pending-login.js';
import { KeyListingStore } from '../helpers/key-listing-store.js';

const now = () => 1_000_000;
const pending = (token: string): PendingLogin => ({ id: 'p', accessToken: token, createdAt: 0, expiresAt: now() + 60_000, tokenExpiresAt: now() + 3_600_000, claims: { sub: 's' } });
const fromIp = (ip: string) => ({ ip }) as Request;

function settings(store: BindIdStore, maxAttempts = 3, perAccount = 4, perIp = 5): AttemptGuardSettings {
  return { store, now, maxAttempts, limits: { perAccount, perIp, windowSeconds: 60 } };
}

describe('N130 reserveAttempt / releaseAttempt', () => {
  it('N130 counts each attempt once on the pending login, the account and the client, and refuses past a limit (the value returned decides)', async () => {
    const store = new MemoryBindIdStore({ now });
    const s = settings(store);
    const results = [];
    for (let i = 0; i < 4; i++) results.push(await reserveAttempt(s, fromIp('198.51.100.1'), 'Alice', pending('token-1')));
    expect(results).toEqual([
      { refused: false, linkCount: 1 },
      { refused: false, linkCount: 2 },
      { refused: false, linkCount: 3 },
      { refused: true, reason: 'link', linkCount: 4 },
    ]);
    // The account (normalised) has 4 now: a fifth attempt from another pending login is locked.
    expect(await reserveAttempt(s, fromIp('198.51.100.2'), ' ALICE ', pending('token-2'))).toEqual({ refused: true, reason: 'locked', linkCount: 1 });
    // The client .1 has 4 of 5: one more is allowed, then it is locked.
    expect(await reserveAttempt(s, fromIp('198.51.100.1'), 'bob', pending('token-3'))).toEqual({ refused: false, linkCount: 1 });
    expect(await reserveAttempt(s, fromIp('198.51.100.1'), 'carol', pending('token-4'))).toEqual({ refused: true, reason: 'locked', linkCount: 1 });
  });

  it('N130 100 concurrent reservations on one pending login: exactly maxAttempts are let through', async () => {
    const store = new MemoryBindIdStore({ now });
    const s = settings(store, 5, 1000, 1000);
    const all = await Promise.all(Array.from({ length: 100 }, () => reserveAttempt(s, fromIp('203.0.113.9'), 'dave', pending('t'))));
    expect(all.filter((r) => !r.refused)).toHaveLength(5);
  });

  it('N130 release after a right password forgets the account and gives the client slot back', async () => {
    const store = new MemoryBindIdStore({ now });
    const s = settings(store, 10, 2, 2);
    await reserveAttempt(s, fromIp('192.0.2.1'), 'erin', pending('a'));
    await reserveAttempt(s, fromIp('192.0.2.1'), 'erin', pending('a'));
    await releaseAttempt(s, fromIp('192.0.2.1'), 'erin');
    // Account forgotten (1 of 2), client back at 1 of 2: the next attempt passes.
    expect((await reserveAttempt(s, fromIp('192.0.2.1'), 'ERIN', pending('b'))).refused).toBe(false);
  });

  it('N130 a store failure rejects with ERR_BINDID_STORE_UNAVAILABLE (503); release never rejects', async () => {
    const store = new MemoryBindIdStore({ now });
    store.increment = () => Promise.reject(new Error('connection lost'));
    store.delete = () => Promise.reject(new Error('connection lost'));
    await expect(reserveAttempt(settings(store), fromIp('192.0.2.1'), 'x', pending('a'))).rejects.toMatchObject({
      code: ErrorCode.STORE_UNAVAILABLE,
      status: 503,
    });
    await expect(releaseAttempt(settings(store), fromIp('192.0.2.1'), 'x')).resolves.toBeUndefined();
  });

  it('N130 VerifyTiming: the mean of the recent checks, 0 before any', () => {
    const timing = new VerifyTiming(3);
    expect(timing.typical()).toBe(0);
    for (const ms of [10, 20, 30, 40]) timing.record(ms);
    expect(timing.typical()).toBe(30);
  });

  it('N130 VerifyTiming ignores a reading that is not a duration (NaN, infinite, negative) and counts one of 0 ms', () => {
    const timing = new VerifyTiming(4);
    for (const ms of [10, Number.NaN, Number.POSITIVE_INFINITY, -5, 0]) timing.record(ms);
    expect(timing.typical()).toBe(5);
    for (const ms of [20, 30, 40]) timing.record(ms); // 10 is the oldest of four: replaced by 40
    expect(timing.typical()).toBe(22.5);
    timing.record(50); // then 0, the next oldest
    expect(timing.typical()).toBe(35);
  });

  it('N130 each refusal is published on the attemptsLocked diagnostics channel with the limit used up and its count', async () => {
    const seen: unknown[] = [];
    const handler = (message: unknown) => seen.push(message);
    diagnostics.subscribe(DIAGNOSTICS_CHANNELS.attemptsLocked, handler);
    try {
      const s = settings(new MemoryBindIdStore({ now }), 1, 1, 3);
      await reserveAttempt(s, fromIp('198.51.100.1'), 'alice', pending('t1'));
      await reserveAttempt(s, fromIp('198.51.100.1'), 'bob', pending('t1')); // the pending login's 2nd of 1
      await reserveAttempt(s, fromIp('198.51.100.1'), 'alice', pending('t2')); // alice's 2nd of 1
      await reserveAttempt(s, fromIp('198.51.100.1'), 'carol', pending('t3')); // the client's 4th of 3
    } finally {
      diagnostics.unsubscribe(DIAGNOSTICS_CHANNELS.attemptsLocked, handler);
    }
    expect(seen).toEqual([
      { limit: 'pending-login', count: 2 },
      { limit: 'account', count: 2 },
      { limit: 'client', count: 4 },
    ]);
  });

  it("N130 the pending login's counter lasts as long as the pending login, not less and not longer; the others the window", async () => {
    let at = 1_000_000;
    const clock = () => at;
    const store = new MemoryBindIdStore({ now: clock });
    const s: AttemptGuardSettings = { store, now: clock, maxAttempts: 1, limits: { perAccount: 100, perIp: 100, windowSeconds: 60 } };
    const login = { ...pending('t'), expiresAt: at + 10_000 };
    await reserveAttempt(s, fromIp('192.0.2.1'), 'alice', login);
    expect(await reserveAttempt(s, fromIp('192.0.2.1'), 'alice', login)).toMatchObject({ refused: true, reason: 'link' });
    at += 5_000; // still within the pending login's life: its attempts stay used up
    expect(await reserveAttempt(s, fromIp('192.0.2.1'), 'alice', login)).toMatchObject({ refused: true, reason: 'link', linkCount: 3 });
    at += 5_001; // the pending login expired: its counter is gone, the account's and the client's remain
    expect(store.size).toBe(2);
  });

  it('N130 a request without req.ip is counted by its socket address (or as one unknown client)', async () => {
    const s = settings(new MemoryBindIdStore({ now }), 100, 100, 1);
    const bySocket = { socket: { remoteAddress: '192.0.2.7' } } as Request;
    expect(await reserveAttempt(s, bySocket, 'a', pending('a'))).toEqual({ refused: false, linkCount: 1 });
    expect(await reserveAttempt(s, bySocket, 'b', pending('b'))).toMatchObject({ refused: true, reason: 'locked' });
    expect(await reserveAttempt(s, {} as Request, 'c', pending('c'))).toEqual({ refused: false, linkCount: 1 });
  });

  it('N130 the account is the username lowercased after NFKC: failures on "strasse" do not lock "straße"', async () => {
    const s = settings(new MemoryBindIdStore({ now }), 100, 1, 100);
    await reserveAttempt(s, fromIp('192.0.2.1'), 'strasse', pending('a'));
    expect(await reserveAttempt(s, fromIp('192.0.2.2'), 'STRASSE', pending('b'))).toMatchObject({ refused: true, reason: 'locked' });
    expect(await reserveAttempt(s, fromIp('192.0.2.3'), 'straße', pending('c'))).toEqual({ refused: false, linkCount: 1 });
  });
});

describe('N130 the guarded strategy', () => {
  /** An app running the strategy; `seed()` stores a pending login (`pendingLogin: false`: it does not). */
  function appWith(options: LocalStrategyOptions, { pendingLogin = true, context }: { pendingLogin?: boolean; context?: AttemptGuardSettings } = {}) {
    const instance = new passport.Passport();
    instance.use(createLocalStrategy(options));
    const app = express();
    app.use(session({ secret: 'n130-session-secret', resave: false, saveUninitialized: false }));
    app.use(express.urlencoded({ extended: false }));
    app.use(instance.initialize());
    app.post('/seed', (req, res) => {
      storePendingLogin(req, { accessToken: 'n130-token', expiresIn: 3600, claims: { sub: 'n130' } }, { baseUrl: 'http://127.0.0.1' });
      res.json({});
    });
    app.post('/login', (req: Request, res: Response, next: NextFunction) => {
      if (context) setAttemptGuardContext(req, context);
      instance.authenticate('bindid-local', { session: false }, (err: { code?: string; status?: number } | null, user: unknown, info: unknown) => {
        if (err) return res.status(err.status ?? 500).json({ code: err.code });
        res.status(user ? 200 : 401).json({ user, info, pending: Boolean(req.session.bindid?.pending) });
      })(req, res, next);
    });
    const agent = request.agent(app);
    return { agent, seed: async () => (pendingLogin ? void (await agent.post('/seed').expect(200)) : undefined) };
  }

  it('N130 without a pending BindID login nothing is checked: ERR_BINDID_NO_PENDING_LOGIN (400), verify not called', async () => {
    const calls: string[] = [];
    const { agent } = appWith({ verify: (u: string) => {
      calls.push(u);
      return { id: 1 };
    } }, { pendingLogin: false });
    const res = await agent.post('/login').type('form').send({ username: 'alice', password: 'right' });
    expect(res.status).toBe(400);
    expect(res.body.code).toBe(ErrorCode.NO_PENDING_LOGIN);
    expect(calls).toEqual([]);
  });

  it('N130 the failure that uses the last attempt removes the pending login; later attempts are refused before verify', async () => {
    const calls: string[] = [];
    const { agent, seed } = appWith({ maxAttempts: 2, verify: (u: string) => {
      calls.push(u);
      return false;
    } });
    await seed();
    expect((await agent.post('/login').type('form').send({ username: 'a', password: 'x' })).body.pending).toBe(true);
    expect((await agent.post('/login').type('form').send({ username: 'a', password: 'y' })).body.pending).toBe(false);
    await seed(); // the same access token again: its attempts are still used up
    const refused = await agent.post('/login').type('form').send({ username: 'a', password: 'z' });
    expect(refused.body).toMatchObject({ pending: false, info: { message: DEFAULT_FAILURE_MESSAGE } });
    expect(calls).toEqual(['a', 'a']);
  });

  it("N130 a store failure during the reservation errors with ERR_BINDID_STORE_UNAVAILABLE (503) before verify", async () => {
    const calls: string[] = [];
    const store = new MemoryBindIdStore();
    store.increment = () => Promise.reject(new Error('down'));
    const { agent, seed } = appWith({ store, verify: (u: string) => {
      calls.push(u);
      return { id: 1 };
    } });
    await seed();
    const res = await agent.post('/login').type('form').send({ username: 'a', password: 'x' });
    expect(res.status).toBe(503);
    expect(res.body.code).toBe(ErrorCode.STORE_UNAVAILABLE);
    expect(calls).toEqual([]);
  });

  it("N130 the router's hand-over wins over the strategy's own store and limits", async () => {
    const own = new KeyListingStore();
    const routers = new KeyListingStore();
    const { agent, seed } = appWith({ store: own, maxAttempts: 100, verify: () => false }, { context: settings(routers, 1, 100, 100) });
    await seed();
    expect((await agent.post('/login').type('form').send({ username: 'a', password: 'x' })).body.pending).toBe(false);
    expect(await own.keys('attempts:')).toEqual([]);
    expect((await routers.keys('attempts:')).length).toBe(3);
  });

  it("N130 a router from another copy of the package (the same Symbol.for key) hands over too; an attempt with none left on the pending login is refused at once, reported as 'refused'", () =>
    withFakeClock(async () => {
      const calls: string[] = [];
      const verify = async (u: string) => {
        calls.push(u);
        await new Promise((resolve) => setTimeout(resolve, 120)); // a password check of 120 ms
        return false as const;
      };
      const own = new KeyListingStore();
      const routers = settings(new MemoryBindIdStore(), 1, 100, 100);
      const instance = new passport.Passport();
      instance.use(createLocalStrategy({ store: own, maxAttempts: 100, verify }));
      const app = express();
      app.use(session({ secret: 'n130-session-secret', resave: false, saveUninitialized: false }));
      app.use(express.urlencoded({ extended: false }));
      app.use(instance.initialize());
      app.post('/seed', (req, res) => {
        storePendingLogin(req, { accessToken: 'n130-copy', expiresIn: 3600, claims: { sub: 'n130' } }, { baseUrl: 'http://127.0.0.1' });
        res.json({});
      });
      app.post('/login', (req: Request, res: Response, next: NextFunction) => {
        // What setAttemptGuardContext of another copy (ESM beside CommonJS) leaves on the request.
        const context: { settings: AttemptGuardSettings; link?: string } = { settings: routers };
        (req as Request & Record<symbol, unknown>)[Symbol.for('express-bindid.attempt-guard')] = context;
        instance.authenticate('bindid-local', { session: false }, (err: { status?: number } | null, user: unknown) => {
          if (err) return res.status(err.status ?? 500).json({});
          res.status(user ? 200 : 401).json({ link: context.link ?? null });
        })(req, res, next);
      });
      const agent = request.agent(app);
      await agent.post('/seed').expect(200);
      const checked = watch(agent.post('/login').type('form').send({ username: 'gina', password: 'x' }));
      await until(() => calls.length === 1, 'the password is being checked');
      await jest.advanceTimersByTimeAsync(120);
      expect((await checked.promise).body).toEqual({ link: 'exhausted' });
      await agent.post('/seed').expect(200); // the same access token: its one attempt is used up
      const refused = watch(agent.post('/login').type('form').send({ username: 'gina', password: 'y' }));
      await until(() => refused.settled, 'answered with no fake time passing (no wait for a used-up pending login)');
      expect((await refused.promise).body).toEqual({ link: 'refused' });
      expect(calls).toEqual(['gina']);
      expect(await own.keys('attempts:')).toEqual([]);
    }, ['Date']));

  it('N130 a locked attempt skips verify but answers after about as long as recent checks took', () =>
    // The checks' timing (performance.now()) and the waits on a fake clock; the app's dates stay real.
    withFakeClock(async () => {
      const calls: string[] = [];
      const verify = async (u: string) => {
        calls.push(u);
        await new Promise((resolve) => setTimeout(resolve, 120)); // a password check of 120 ms
        return false as const;
      };
      const { agent, seed } = appWith({ verify, maxAttempts: 100, attemptLimits: { perAccount: 1, perIp: 100 } });
      await seed();
      const checked = watch(agent.post('/login').type('form').send({ username: 'frank', password: 'x' }));
      await until(() => calls.length === 1, 'the password is being checked');
      await jest.advanceTimersByTimeAsync(120);
      expect((await checked.promise).status).toBe(401);
      const since = jest.now();
      const locked = watch(agent.post('/login').type('form').send({ username: 'frank', password: 'y' }));
      await until(() => jest.getTimerCount() === 1, 'the locked attempt waits');
      expect((await settlesAt(locked, 120, since)).status).toBe(401); // as long as the one check took
      expect(calls).toEqual(['frank']);
    }, ['Date']));
});
