/**
 * Checklist L (reliability.md §6): session store and dependency faults. Runs on Express 4 and 5.
 *
 * Faults are injected into a real express-session store (test/helpers/session-store.ts), into
 * passport (a serializer that fails) and into the app's hooks; the app's error handler counts
 * every error it receives (`onError`).
 */
import { runInThisContext } from 'node:vm';
import type { RequestListener } from 'node:http';
import type { Request, Response } from 'express';
import request from 'supertest';
import { createLocalStrategy, isBindIdError, renderDefaultConfirmPage } from '../../src/index.js';
import {
  type Agent,
  APP_ORIGIN,
  type AtConfirmPage,
  appPath,
  atConfirmPage,
  authorizeAt,
  bindIdSignIn,
  confirmPage,
  createFlow,
  type Flow,
  type FlowOptions,
  startLogin,
  submitConfirm,
  type TestUser,
  USERS,
  useSharedEmulator,
  whoami,
} from '../helpers/flow.js';
import { turns } from '../helpers/fake-clock.js';
import { FaultySessionStore } from '../helpers/session-store.js';
import { expressUnderTest } from '../integration/helpers.js';

const { major, version } = expressUnderTest();

/** The emulator of every flow here (one RSA key for the file), reset before each test; L112 and L114 sign in as its identities. */
const emulator = useSharedEmulator({
  identities: ['l112-regenerate', 'l112-serializeUser', 'l112-save', 'l114-returning', 'l114-new'].map((id) => ({ id, email: `${id}@example.com` })),
});

/** A flow with a faulty session store whose error handler records what it gets. */
async function faultyFlow(options: FlowOptions = {}): Promise<{ flow: Flow; store: FaultySessionStore; errors: unknown[] }> {
  const store = new FaultySessionStore();
  const errors: unknown[] = [];
  const flow = await createFlow({ store, onError: (err) => errors.push(err), sharedEmulator: emulator(), ...options });
  return { flow, store, errors };
}

/** The ids of the stored sessions that hold a pending login, or a signed-in user. */
async function storedWith(store: FaultySessionStore, what: 'pending' | 'user'): Promise<string[]> {
  const all = await store.dump();
  return Object.keys(all).filter((sid) => {
    const data = all[sid] as { bindid?: { pending?: unknown }; passport?: { user?: unknown } };
    return what === 'pending' ? data.bindid?.pending !== undefined : data.passport?.user !== undefined;
  });
}

/** Watch the store from now on: `added()` lists the sessions holding `what` that were not there at the start. */
async function watchStore(store: FaultySessionStore, what: 'pending' | 'user'): Promise<{ added(): Promise<string[]> }> {
  const before = new Set(await storedWith(store, what));
  return { added: async () => (await storedWith(store, what)).filter((sid) => !before.has(sid)) };
}

/** A stack trace line in a response body (`at fn (file.ts:1:2)`). */
const STACK_LINE = /\bat .*\.[cm]?[jt]s:\d+/;

/**
 * Let late callbacks (a second next(), a stray rejection) happen before counting: turns of the
 * event loop, not milliseconds (the stores answer through setImmediate), so a slow machine lets
 * as much happen as a fast one.
 */
const settle = () => turns();

describe('L. Session store and dependency faults', () => {
  let flow: Flow;
  let store: FaultySessionStore;
  let errors: unknown[];
  const verifyCalls: string[] = [];

  beforeAll(async () => {
    ({ flow, store, errors } = await faultyFlow({
      verifyCalls,
      // An app page that starts a session before sign-in (a cart, a consent banner): a browser that
      // has been there sends its session cookie with BindID's callback, so the callback loads it.
      afterRouter: (app) =>
        app.get('/test/visit', (req, res) => {
          (req.session as unknown as Record<string, unknown>).visited = true;
          res.sendStatus(204);
        }),
    }));
  });
  afterAll(() => flow.close());
  beforeEach(() => {
    store.heal();
    store.reconnect();
    errors.length = 0;
    verifyCalls.length = 0;
    flow.emulator.clearReports();
  });

  it('L109 store.get fails at the callback: next(err) once, a 500 without a stack, no pending login, nothing sent', async () => {
    const agent = flow.agent();
    // The login start writes no session (the sign-in in flight is its sealed cookie): the callback
    // loads one only for a browser that already has one, as here.
    expect((await agent.get('/test/visit')).status).toBe(204);
    const callback = await authorizeAt(await startLogin(agent), 'new');
    const pending = await watchStore(store, 'pending');
    store.fail('get');
    const res = await agent.get(appPath(callback));
    await settle();
    expect(res.status).toBe(500);
    expect(res.text).not.toMatch(STACK_LINE);
    expect(errors).toHaveLength(1);
    expect(isBindIdError(errors[0])).toBe(false); // the store's own error, from express-session
    expect((errors[0] as { code?: string }).code).toBe('EINJECTED');
    expect(await pending.added()).toEqual([]);
    expect(flow.emulator.reports()).toHaveLength(0);
    // Nothing was used up: once the store answers, the very same callback goes through.
    const retry = await agent.get(appPath(callback));
    expect(retry.headers.location).toBe('/bindid/confirm');
  });

  it('L109 store.get fails at the confirm POST: next(err) once, no password check, nothing sent; the retry confirms', async () => {
    const agent = flow.agent();
    const { fields } = await atConfirmPage(agent);
    store.fail('get');
    const res = await submitConfirm(agent, fields);
    await settle();
    expect(res.status).toBe(500);
    expect(res.text).not.toMatch(STACK_LINE);
    expect(errors).toHaveLength(1);
    expect(verifyCalls).toEqual([]);
    expect(flow.emulator.reports()).toHaveLength(0);
    expect((await submitConfirm(agent, fields)).status).toBe(303);
    expect(flow.emulator.reports()).toHaveLength(1);
  });

  it('L110 behind passport.session() (the usual order) a disconnected store is reported by passport first: one plain error, no TypeError, nothing sent', async () => {
    const agent = flow.agent();
    const { fields } = await atConfirmPage(agent);
    store.disconnect();
    const res = await submitConfirm(agent, fields);
    await settle();
    expect(res.status).toBe(500);
    expect(errors).toHaveLength(1);
    expect(errors[0]).not.toBeInstanceOf(TypeError);
    expect((errors[0] as Error).message).toMatch(/Login sessions require session support/);
    expect(verifyCalls).toEqual([]);
    expect(flow.emulator.reports()).toHaveLength(0);
  });

  it('L111 regenerate fails at the callback: ERR_BINDID_LOGIN_FAILED, no pending login, nobody signed in, nothing sent', async () => {
    const agent = flow.agent();
    const callback = await authorizeAt(await startLogin(agent), 'new');
    const pending = await watchStore(store, 'pending');
    store.fail('destroy'); // express-session's regenerate destroys the old session first
    const res = await agent.get(appPath(callback));
    await settle();
    expect(res.status).toBe(500);
    expect(res.body.code).toBe('ERR_BINDID_LOGIN_FAILED');
    expect(res.text).not.toMatch(STACK_LINE);
    expect(errors).toHaveLength(1);
    // The app's error handler gets a retryable 500 that names the step, the store's error as its cause.
    expect(errors[0]).toMatchObject({ status: 500, retryable: true, message: 'Renewing the session failed (session store error?).' });
    expect((errors[0] as Error).cause).toBeInstanceOf(Error);
    expect(await pending.added()).toEqual([]);
    expect((await whoami(agent)).user).toBeNull();
    expect((await confirmPage(agent)).res.status).toBe(400);
    expect(flow.emulator.reports()).toHaveLength(0);
    // Starting again works.
    expect((await bindIdSignIn(agent, 'new')).headers.location).toBe('/bindid/confirm');
  });

  it('L113 verify throws, calls done(err) or rejects: next(err) once with that error, no report, no stack in the response', async () => {
    const thrown: Record<string, Error> = {
      throws: new Error('verify threw'),
      'done-error': new Error('verify called done(err)'),
      rejects: new Error('verify rejected'),
    };
    const failing = await faultyFlow({
      passport: (p) =>
        p.use(
          createLocalStrategy<TestUser>({
            name: 'l113',
            verify: (username: string, password: string, done: (err: unknown, user?: TestUser | false) => void) => {
              if (username === 'throws') throw thrown.throws;
              if (username === 'done-error') return done(thrown['done-error']);
              if (username === 'rejects') return Promise.reject(thrown.rejects);
              const user = USERS.find((x) => x.username === username && x.password === password);
              return done(null, user ? { id: user.id, username: user.username } : false);
            },
          }),
        ),
      router: { strategy: 'l113' },
    });
    try {
      const agent = failing.flow.agent();
      const { csrf, fields } = await atConfirmPage(agent);
      for (const username of Object.keys(thrown)) {
        failing.errors.length = 0;
        const res = await submitConfirm(agent, { _csrf: csrf, username, password: 'whatever' });
        await settle();
        expect([username, res.status, failing.errors.length]).toEqual([username, 500, 1]);
        expect(failing.errors[0]).toBe(thrown[username]);
        expect(res.text).not.toMatch(STACK_LINE);
      }
      expect(failing.flow.emulator.reports()).toHaveLength(0);
      // A broken password check burns nothing: the right password still confirms.
      expect((await submitConfirm(agent, fields)).status).toBe(303);
      expect(failing.flow.emulator.reports()).toHaveLength(1);
    } finally {
      await failing.flow.close();
    }
  });
});

describe('L110 the router reached without req.session (store disconnected)', () => {
  it('L110 every route answers a coded 503 ERR_BINDID_SESSION_MISSING (no TypeError, nothing sent) and works again after reconnect', async () => {
    // passport.session() after the router, so the router is what meets the missing session.
    const verifyCalls: string[] = [];
    const { flow, store, errors } = await faultyFlow({ verifyCalls, mount: ['session', 'initialize', 'router', 'passport-session'] });
    try {
      const agent = flow.agent();
      const callback = await authorizeAt(await startLogin(agent), 'new');
      const before = flow.agent();
      const { csrf, fields, user } = await atConfirmPage(before);

      store.disconnect();
      const answers: Array<[string, number, unknown]> = [];
      const record = async (name: string, res: Promise<{ status: number; body: { code?: unknown } }>) => {
        const r = await res;
        answers.push([name, r.status, r.body.code]);
      };
      await record('GET /login/bindid', agent.get('/login/bindid'));
      await record('GET /bindid/callback', agent.get(appPath(callback)));
      await record('GET /bindid/confirm', before.get('/bindid/confirm'));
      await record('POST /bindid/confirm', submitConfirm(before, fields));
      await record('POST /bindid/confirm/cancel', before.post('/bindid/confirm/cancel').type('form').set('Origin', APP_ORIGIN).send({ _csrf: csrf }));
      await settle();
      const missing = [503, 'ERR_BINDID_SESSION_MISSING'];
      expect(answers).toEqual(answers.map(([name]) => [name, ...missing]));
      expect(errors).toHaveLength(answers.length);
      expect(errors.every((e) => isBindIdError(e, 'ERR_BINDID_SESSION_MISSING') && e.retryable && !(e instanceof TypeError))).toBe(true);
      expect(verifyCalls).toEqual([]);
      expect(flow.emulator.reports()).toHaveLength(0);

      store.reconnect();
      expect((await submitConfirm(before, fields)).status).toBe(303);
      expect((await whoami(before)).user).toEqual(user);
    } finally {
      await flow.close();
    }
  });
});

describe('L112 a session step fails inside req.login after BindID accepted the report', () => {
  let flow: Flow;
  let store: FaultySessionStore;
  let errors: unknown[];
  let failSerialize = 0;

  beforeAll(async () => {
    ({ flow, store, errors } = await faultyFlow({
      passport: (p) =>
        p.serializeUser((_user, done) => {
          if (failSerialize > 0) {
            failSerialize -= 1;
            return done(new Error('injected serializeUser failure'));
          }
          done('pass');
        }),
    }));
  });
  afterAll(() => flow.close());

  const inject: Record<string, () => void> = {
    regenerate: () => store.fail('destroy'),
    serializeUser: () => {
      failSerialize = 1;
    },
    save: () => store.fail('set'),
  };

  it.each(Object.keys(inject))(
    'L112 %s fails once: ERR_BINDID_LOGIN_FAILED, nobody signed in (even after the store recovers); the next BindID sign-in goes straight in by alias',
    async (step) => {
      const identity = `l112-${step}`;
      const agent = flow.agent();
      const { fields, user } = await atConfirmPage(agent, identity);
      errors.length = 0;
      flow.emulator.clearReports();
      const signedIn = await watchStore(store, 'user');
      inject[step]?.();
      const res = await submitConfirm(agent, fields);
      await settle();
      expect(res.status).toBe(500);
      expect(res.body.code).toBe('ERR_BINDID_LOGIN_FAILED');
      expect(errors).toHaveLength(1);
      expect(errors[0]).toMatchObject({ status: 500, retryable: true, message: 'Signing the user in failed (session store error?).' });
      // The failure came after BindID's 200: the alias is set there.
      expect(flow.emulator.reports().map((r) => [r.accepted, r.alias])).toEqual([[true, String(user.id)]]);
      // Nobody is signed in: not this browser, not any stored session (the fault was one-shot, so
      // express-session's own save at the end of the response succeeded).
      expect((await whoami(agent)).user).toBeNull();
      expect(await signedIn.added()).toEqual([]);

      // BindID now returns the alias: a new sign-in is recognised, no password, no second report.
      const again = flow.agent();
      const direct = await bindIdSignIn(again, identity, '/account');
      expect(direct.status).toBe(303);
      expect(direct.headers.location).toBe('/account');
      expect((await whoami(again)).user).toEqual(user);
      expect(flow.emulator.reports()).toHaveLength(1);
    },
  );
});

describe(`L114 on Express ${major} (${version})`, () => {
  type Mode =
    | ''
    | 'lookup-rejects'
    | 'lookup-throws'
    | 'render-rejects'
    | 'render-sends-then-throws'
    | 'verify-rejects'
    | 'alias-throws'
    | 'linked-hook-throws'
    | 'recognized-hook-rejects';
  let mode: Mode = '';
  const returning = { identity: 'l114-returning', user: USERS[0] as TestUser };
  let flow: Flow;
  let store: FaultySessionStore;
  let errors: unknown[];
  const ends: number[] = [];

  // The app behind a wrapper that counts res.end() per request (a double send shows as 2), even
  // for errors raised before any route (express-session's).
  const counting: RequestListener = (req, res) => {
    const i = ends.push(0) - 1;
    const end = res.end.bind(res) as (...args: unknown[]) => unknown;
    res.end = ((...args: unknown[]) => {
      ends[i] = (ends[i] ?? 0) + 1;
      return end(...args);
    }) as typeof res.end;
    flow.app(req as Request, res as Response);
  };
  const browser = (): Agent => request.agent(counting);
  const fail = (what: string) => new Error(`injected: ${what}`);

  beforeAll(async () => {
    ({ flow, store, errors } = await faultyFlow({
      passport: (p) =>
        p.use(
          createLocalStrategy<TestUser>({
            name: 'l114',
            verify: async (username, password) => {
              if (mode === 'verify-rejects') throw fail('verify');
              const user = USERS.find((x) => x.username === username && x.password === password);
              return user ? { id: user.id, username: user.username } : false;
            },
          }),
        ),
      router: {
        strategy: 'l114',
        findUserByAlias: (alias) => {
          if (mode === 'lookup-throws') throw fail('findUserByAlias threw');
          if (mode === 'lookup-rejects') return Promise.reject(fail('findUserByAlias rejected'));
          const user = USERS.find((x) => String(x.id) === alias);
          return user ? { id: user.id, username: user.username } : null;
        },
        render: async (model, _req, res) => {
          if (mode === 'render-rejects') throw fail('render');
          if (mode === 'render-sends-then-throws') {
            res.send('rendered by the app');
            throw fail('render after sending');
          }
          res.type('html').send(renderDefaultConfirmPage(model));
        },
        alias: (user) => {
          if (mode === 'alias-throws') throw fail('alias');
          return String(user.id);
        },
        onLinked: () => {
          if (mode === 'linked-hook-throws') throw fail('onLinked');
        },
        onRecognized: async () => {
          if (mode === 'recognized-hook-rejects') throw fail('onRecognized');
        },
      },
    }));
  });
  beforeEach(() => {
    // After the file's reset of the emulator: the returning user is linked at BindID.
    flow.emulator.setAlias(flow.emulator.subOf(returning.identity) as string, String(returning.user.id));
  });
  afterAll(() => flow.close());

  it(`L114 every failure reaches next(err) exactly once, with no unhandled rejection and no double send (Express ${major})`, async () => {
    // Jest's own process object is a copy; listen on the real one.
    const realProcess = runInThisContext('process') as NodeJS.Process;
    let unhandled = 0;
    const onUnhandled = () => {
      unhandled += 1;
    };
    realProcess.on('unhandledRejection', onUnhandled);
    const seen: Array<[string, number, number, number, number]> = [];
    const run = async (label: string, m: Mode, act: () => Promise<{ status: number }>, before?: () => void) => {
      mode = m;
      before?.();
      errors.length = 0;
      ends.length = 0;
      const { status } = await act();
      await settle();
      mode = '';
      store.heal();
      seen.push([label, status, errors.length, Math.max(0, ...ends), unhandled]);
    };
    const newAtConfirm = async (): Promise<AtConfirmPage & { agent: Agent }> => {
      const agent = browser();
      return { agent, ...(await atConfirmPage(agent)) };
    };
    try {
      await run('findUserByAlias rejects', 'lookup-rejects', () => bindIdSignIn(browser(), returning.identity));
      await run('findUserByAlias throws', 'lookup-throws', () => bindIdSignIn(browser(), returning.identity));
      await run('onRecognized rejects', 'recognized-hook-rejects', () => bindIdSignIn(browser(), returning.identity));
      let at = await newAtConfirm();
      await run('render rejects', 'render-rejects', () => at.agent.get('/bindid/confirm'));
      await run('render sends, then throws', 'render-sends-then-throws', () => at.agent.get('/bindid/confirm'));
      await run('verify rejects', 'verify-rejects', () => submitConfirm(at.agent, at.fields));
      await run('alias throws', 'alias-throws', () => submitConfirm(at.agent, at.fields));
      await run('onLinked throws', 'linked-hook-throws', () => submitConfirm(at.agent, at.fields));
      at = await newAtConfirm();
      await run('store.get fails', '', () => submitConfirm(at.agent, at.fields), () => store.fail('get'));
      // The login start writes no session (its sealed transaction cookie holds the sign-in): a failing
      // save cannot reach it. The callback is where the session is first saved.
      await run('session save failing at login start (nothing saved there)', '', () => browser().get('/login/bindid'), () => store.fail('set'));
      await run('session save fails at the callback', '', () => bindIdSignIn(browser(), 'l114-new'), () => store.fail('set'));
      await run('regenerate fails at login', '', () => submitConfirm(at.agent, at.fields), () => store.fail('destroy'));
    } finally {
      realProcess.off('unhandledRejection', onUnhandled);
    }
    // [what, status, errors reaching the app's handler, res.end() calls in one request, unhandled rejections so far]
    expect(seen).toEqual([
      ['findUserByAlias rejects', 500, 1, 1, 0],
      ['findUserByAlias throws', 500, 1, 1, 0],
      ['onRecognized rejects', 303, 0, 1, 0],
      ['render rejects', 500, 1, 1, 0],
      ['render sends, then throws', 200, 0, 1, 0],
      ['verify rejects', 500, 1, 1, 0],
      ['alias throws', 500, 1, 1, 0],
      ['onLinked throws', 303, 0, 1, 0],
      ['store.get fails', 500, 1, 1, 0],
      ['session save failing at login start (nothing saved there)', 303, 0, 1, 0],
      ['session save fails at the callback', 500, 1, 1, 0],
      ['regenerate fails at login', 500, 1, 1, 0],
    ]);
  });
});

describe('L115 mounted in the wrong order', () => {
  it('L115 before session(): ERR_BINDID_SESSION_MISSING, "Did you forget app.use(session(...))", nobody sent to BindID', async () => {
    const { flow, errors } = await faultyFlow({ mount: ['router', 'session', 'initialize', 'passport-session'] });
    try {
      const agent = flow.agent();
      for (const res of [await agent.get('/login/bindid'), await agent.get('/bindid/confirm'), await submitConfirm(agent, { _csrf: 'x' })]) {
        expect(res.status).toBe(503);
        expect(res.body.code).toBe('ERR_BINDID_SESSION_MISSING');
        expect(res.body.message).toMatch(/Did you forget app\.use\(session\(/);
        expect(res.headers.location).toBeUndefined();
      }
      expect(errors).toHaveLength(3);
    } finally {
      await flow.close();
    }
  });

  it('L115 before passport.initialize(): ERR_BINDID_PASSPORT_MISSING, "Did you forget app.use(passport.initialize())", at the first step', async () => {
    const { flow } = await faultyFlow({ mount: ['session', 'router', 'initialize', 'passport-session'] });
    try {
      const res = await flow.agent().get('/login/bindid');
      expect(res.status).toBe(500);
      expect(res.body.code).toBe('ERR_BINDID_PASSPORT_MISSING');
      expect(res.body.message).toMatch(/Did you forget app\.use\(passport\.initialize\(\)\)/);
      expect(res.headers.location).toBeUndefined(); // not sent to BindID for a sign-in that cannot finish
    } finally {
      await flow.close();
    }
  });
});
