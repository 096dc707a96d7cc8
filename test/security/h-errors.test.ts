/**
 * Checklist H, the errors and objects (reliability §3.7; cases 62–65): what reaches `next(err)`, the
 * hooks, the logs and `util.inspect` holds no access token, client secret, HMAC or upstream body;
 * every error is a coded `BindIdError` that serialises to a few known fields; no error of the HTTP
 * layer leaves the library as it is.
 *
 * Both public entry points are exercised: the router (`bindIdRouter`, which renders its own pages
 * and hands errors to `next()` and to the `onFeedbackError`/`onLinkFailed` hooks) and the lower-level
 * `sendAuthenticationPerformed` middleware (which hands every failure to `next(err)`).
 */
import { inspect } from 'node:util';
import express, { type NextFunction, type Request, type Response } from 'express';
import session from 'express-session';
import passport from 'passport';
import request from 'supertest';
import { type BindIdError, bindIdRouter, createLocalStrategy, ErrorCode, isBindIdError, SessionFeedbackClient, sendAuthenticationPerformed } from '../../src/index.js';
import type { ErrorCodeValue } from '../../src/errors.js';
import {
  APP_ORIGIN,
  appPath,
  authorizeAt,
  bindIdSignIn,
  confirmPage,
  createFlow,
  type Flow,
  freshUser,
  pendingAccessToken,
  mintLogin,
  startLogin,
  submitConfirm,
  USERS,
} from '../helpers/flow.js';
import { FAKE_CLOCK, until } from '../helpers/fake-clock.js';
import { closedPort, FakeBindId } from '../helpers/fake-bindid.js';
import { expectedAuthorization, hmac, newToken, SECRET } from '../helpers/feedback.js';
import { captureDebug, leaksIn, leaksInTexts, type Needles } from '../helpers/leaks.js';
import { createMiddlewareApp } from '../helpers/middleware-app.js';

/** Errors that reached the router app's error handler. */
const routerErrors: unknown[] = [];
/** Errors handed to the router's hooks. */
const hookErrors: unknown[] = [];
let flow: Flow;
beforeAll(async () => {
  flow = await createFlow({
    errors: routerErrors,
    emulator: { clientSecret: SECRET, aliasConflict: 'allow' },
    router: {
      clientSecret: SECRET,
      onFeedbackError: (e) => void hookErrors.push(e.error),
      onLinkFailed: (e) => void (e.error && hookErrors.push(e.error)),
    },
  });
});
afterAll(() => flow.close());
beforeEach(() => {
  flow.emulator.clearFaults();
  routerErrors.length = 0;
  hookErrors.length = 0;
});

const alice = { username: 'alice', password: USERS[0]?.password ?? '' };


/** The credentials of a run, named. */
function needlesFor(token: string, extra: Needles = {}): Needles {
  return { 'access token': token, 'client secret': SECRET, HMAC: hmac(SECRET, token), ...extra };
}

/** Fields `BindIdError#toJSON` may produce. */
const JSON_FIELDS = ['name', 'code', 'message', 'status', 'retryable', 'upstreamStatus', 'attempts', 'option', 'cause'];
/** Keys that would mean a request or response got serialised. */
const FORBIDDEN_KEYS = ['config', 'headers', 'body', 'data', 'request', 'response', 'stack'];

function deepKeys(value: unknown, out: string[] = []): string[] {
  if (value !== null && typeof value === 'object') {
    for (const [key, inner] of Object.entries(value)) {
      out.push(key);
      deepKeys(inner, out);
    }
  }
  return out;
}

/** H63: a coded BindIdError, `expose` only below 500, JSON with known fields only, nothing secret. */
function expectSafeError(err: unknown, needles: Needles = { 'client secret': SECRET }): void {
  expect(isBindIdError(err)).toBe(true);
  const e = err as BindIdError;
  expect(Object.values(ErrorCode)).toContain(e.code);
  expect(e.expose).toBe(e.status < 500);
  const json = JSON.parse(JSON.stringify(e)) as Record<string, unknown>;
  expect(Object.keys(json).filter((k) => !JSON_FIELDS.includes(k))).toEqual([]);
  expect(deepKeys(json).filter((k) => FORBIDDEN_KEYS.includes(k))).toEqual([]);
  expect(leaksIn(e, [], needles)).toEqual([]);
}

describe('H secrets and token leakage: errors and objects', () => {
  describe('H62 an upstream body that echoes the credentials goes nowhere', () => {
    it('H62 router: BindID answers 500 echoing token, secret and HMAC; the page, the hook errors and the log hold none of it', async () => {
      const agent = flow.agent();
      await bindIdSignIn(agent, 'new');
      const { csrf } = await confirmPage(agent);
      const token = await pendingAccessToken(agent);
      const body = JSON.stringify({ error: 'upstream-body-marker', token, secret: SECRET, hmac: hmac(SECRET, token) });
      flow.emulator.setFault('session-feedback', { status: 500, body });
      const u = freshUser();
      const debug = captureDebug();
      let res: request.Response;
      try {
        res = await submitConfirm(agent, { _csrf: csrf, username: u.username, password: u.password });
      } finally {
        debug.stop();
      }
      expect(res.status).toBe(503);
      const needles = needlesFor(token, { 'upstream body': 'upstream-body-marker' });
      expect(hookErrors.length).toBe(2); // onFeedbackError and onLinkFailed
      for (const err of hookErrors) expectSafeError(err, needles);
      expect(leaksIn(undefined, debug.lines, needles)).toEqual([]);
      expect(leaksInTexts([['the page', res.text], ['the headers', JSON.stringify(res.headers)]], needles)).toEqual([]);
    });

    it('H62 middleware: the same 500 reaches next(err) as a coded error without the body, the token or the secret', async () => {
      const app = createMiddlewareApp(flow.emulator);
      const login = await app.seed();
      const body = JSON.stringify({ error: 'upstream-body-marker', token: login.accessToken, secret: SECRET });
      flow.emulator.setFault('session-feedback', { status: 500, body });
      const res = await app.confirm(alice);
      expect(res.status).toBe(503);
      expect(app.nexts).toHaveLength(1);
      expectSafeError(app.nexts[0], needlesFor(login.accessToken, { 'upstream body': 'upstream-body-marker' }));
      expect(app.nexts[0]).toMatchObject({ code: ErrorCode.UNAVAILABLE, upstreamStatus: 500 });
      expect(leaksInTexts([['the response', res.text]], needlesFor(login.accessToken))).toEqual([]);
    });
  });

  describe('H63 every error passed to next() is coded, exposed only below 500, and serialises to known fields', () => {
    it('H63 router: each failure reaches next() once, as a safe coded error', async () => {
      const scenarios: Array<[string, ErrorCodeValue, () => Promise<request.Response>]> = [
        [
          "another browser's callback",
          ErrorCode.LOGIN_STATE_MISSING,
          async () => flow.agent().get(appPath(await authorizeAt(await startLogin(flow.agent()), 'new'))),
        ],
        [
          'a forged state',
          ErrorCode.CALLBACK_INVALID,
          async () => {
            const agent = flow.agent();
            const url = new URL(await authorizeAt(await startLogin(agent), 'new'));
            url.searchParams.set('state', 'forged');
            return agent.get(appPath(url.href));
          },
        ],
        ['cancelled at BindID', ErrorCode.ACCESS_DENIED, () => bindIdSignIn(flow.agent(), 'cancel')],
        [
          'the token endpoint down',
          ErrorCode.UNAVAILABLE,
          async () => {
            const agent = flow.agent();
            const back = await authorizeAt(await startLogin(agent), 'new');
            flow.emulator.setFault('token', { status: 503, times: 1 });
            return agent.get(appPath(back));
          },
        ],
        [
          'an alias of nobody',
          ErrorCode.UNKNOWN_ALIAS,
          async () => {
            const bob = flow.emulator.subOf('bob') ?? '';
            flow.emulator.setAlias(bob, '999');
            try {
              return await bindIdSignIn(flow.agent(), 'bob');
            } finally {
              flow.emulator.setAlias(bob, undefined);
            }
          },
        ],
        [
          'a confirm POST without the CSRF token',
          ErrorCode.CSRF,
          async () => {
            const agent = flow.agent();
            await bindIdSignIn(agent, 'new');
            return submitConfirm(agent, alice);
          },
        ],
        ['a cancel POST without the CSRF token', ErrorCode.CSRF, () => flow.agent().post('/bindid/confirm/cancel').set('Origin', APP_ORIGIN)],
      ];
      for (const [what, code, run] of scenarios) {
        routerErrors.length = 0;
        const res = await run();
        expect({ what, errors: routerErrors.length }).toEqual({ what, errors: 1 });
        expectSafeError(routerErrors[0]);
        expect({ what, code: (routerErrors[0] as BindIdError).code, status: res.status }).toEqual({
          what,
          code,
          status: (routerErrors[0] as BindIdError).status,
        });
      }
    });

    it('H63 router: discovery down, and no session mounted → coded 503s', async () => {
      const errors: unknown[] = [];
      const router = () =>
        bindIdRouter({
          issuer: flow.emulator.issuer,
          apiUrl: flow.emulator.apiUrl,
          clientId: flow.emulator.clientId,
          clientSecret: SECRET,
          baseUrl: APP_ORIGIN,
          findUserByAlias: () => null,
        });
      const onError = (err: unknown, _req: Request, res: Response, _next: NextFunction) => {
        errors.push(err);
        res.status(500).end();
      };
      const withSession = express()
        .use(session({ secret: 's', resave: false, saveUninitialized: false }))
        .use(passport.initialize())
        .use(router())
        .use(onError);
      const withoutSession = express().use(router()).use(onError);
      flow.emulator.setFault('discovery', { status: 500, times: 1 });
      await request(withSession).get('/login/bindid');
      await request(withoutSession).get('/login/bindid');
      expect(errors.map((e) => (e as BindIdError).code)).toEqual([ErrorCode.UNAVAILABLE, ErrorCode.SESSION_MISSING]);
      for (const err of errors) expectSafeError(err);
    });

    it('H63 middleware: each failure reaches next(err) once, as a safe coded error', async () => {
      const { emulator } = flow;
      const scenarios: Array<[string, ErrorCodeValue, () => Promise<{ nexts: unknown[]; token?: string }>]> = [
        [
          'no pending login',
          ErrorCode.NO_PENDING_LOGIN,
          async () => {
            const app = createMiddlewareApp(emulator);
            await app.confirm(alice);
            // The strategy refuses it before the middleware runs: its error reaches the app's handler.
            return { nexts: app.errors };
          },
        ],
        ...(
          [
            ['BindID answers 400', ErrorCode.REJECTED, { status: 400 }],
            ['BindID answers 401', ErrorCode.UNAUTHORIZED, { status: 401 }],
            ['BindID answers 500 twice', ErrorCode.UNAVAILABLE, { status: 500 }],
          ] as const
        ).map(
          ([what, code, fault]) =>
            [
              what,
              code,
              async () => {
                const app = createMiddlewareApp(emulator);
                const login = await app.seed();
                emulator.setFault('session-feedback', fault);
                await app.confirm(alice);
                emulator.clearFaults();
                return { nexts: app.nexts, token: login.accessToken };
              },
            ] as [string, ErrorCodeValue, () => Promise<{ nexts: unknown[]; token?: string }>],
        ),
        [
          'BindID hangs past the deadline',
          ErrorCode.TIMEOUT,
          async () => {
            const client = new SessionFeedbackClient({ clientSecret: SECRET, apiUrl: emulator.apiUrl, timeoutMs: 300 });
            const app = createMiddlewareApp(emulator, { client });
            const login = await app.seed();
            emulator.setFault('session-feedback', { hang: true });
            // The deadline on Jest's fake clock (test/helpers/fake-clock.ts): it passes when the test
            // moves the clock, once BindID holds the report, without a real wait.
            jest.useFakeTimers(FAKE_CLOCK);
            try {
              const held = emulator.reports().length + 1;
              const confirm = Promise.resolve(app.confirm(alice));
              await until(() => emulator.reports().length === held, 'the report held by BindID');
              await jest.advanceTimersByTimeAsync(300);
              await confirm;
            } finally {
              jest.useRealTimers();
            }
            emulator.clearFaults();
            client.close();
            return { nexts: app.nexts, token: login.accessToken };
          },
        ],
        [
          'an alias the app derives badly',
          ErrorCode.INVALID_ALIAS,
          async () => {
            const app = createMiddlewareApp(emulator, { alias: () => 'a\nb' });
            const login = await app.seed();
            await app.confirm(alice);
            return { nexts: app.nexts, token: login.accessToken };
          },
        ],
        [
          'a second BindID identity for the same account',
          ErrorCode.ALREADY_LINKED,
          async () => {
            const app = createMiddlewareApp(emulator);
            await app.seed();
            await app.confirm(alice);
            app.nexts.length = 0;
            const second = await app.seed(await mintLogin(emulator, 'new'));
            await app.confirm(alice);
            return { nexts: app.nexts, token: second.accessToken };
          },
        ],
        [
          'an expired pending login',
          ErrorCode.PENDING_LOGIN_EXPIRED,
          async () => {
            const app = createMiddlewareApp(emulator, { now: () => Date.now() + 2 * 3600_000 });
            const login = await app.seed();
            await app.confirm(alice);
            return { nexts: app.nexts, token: login.accessToken };
          },
        ],
      ];
      for (const [what, code, run] of scenarios) {
        const { nexts, token } = await run();
        expect({ what, nexts: nexts.length }).toEqual({ what, nexts: 1 });
        expect({ what, code: (nexts[0] as BindIdError).code }).toEqual({ what, code });
        expectSafeError(nexts[0], token ? needlesFor(token) : undefined);
      }
    });

    it('H63 middleware mounted without session, passport or a password check: coded errors, not TypeErrors', async () => {
      const middleware = sendAuthenticationPerformed({ clientSecret: SECRET, apiUrl: flow.emulator.apiUrl });
      const fakeSession = { regenerate: () => {}, save: () => {} };
      const requests: Array<[ErrorCodeValue, unknown]> = [
        [ErrorCode.SESSION_MISSING, {}],
        [ErrorCode.PASSPORT_MISSING, { session: fakeSession }],
        [ErrorCode.NOT_AUTHENTICATED, { session: fakeSession, login: () => {} }],
      ];
      for (const [code, req] of requests) {
        const nexts: unknown[] = [];
        await new Promise<void>((resolve) => {
          middleware(req as Request, {} as Response, (err?: unknown) => {
            nexts.push(err);
            resolve();
          });
        });
        expect(nexts).toHaveLength(1);
        expect((nexts[0] as BindIdError).code).toBe(code);
        expectSafeError(nexts[0]);
      }
    });

    it("H63 (scope) an error thrown by the app's own verify callback reaches next() once, as the app's own error", async () => {
      // The library codes its own errors; an error of the app's own code stays the app's (its error
      // handler knows it), and the library adds nothing to it.
      const own = new Error('user database unreachable');
      const throwing = new passport.Passport();
      throwing.use(createLocalStrategy({ name: 'throwing', verify: () => Promise.reject(own) }));
      const errors: unknown[] = [];
      const local = await createFlow({ errors, router: { passport: throwing, strategy: 'throwing' } });
      try {
        const agent = local.agent();
        await bindIdSignIn(agent, 'new');
        const { csrf } = await confirmPage(agent);
        const res = await submitConfirm(agent, { _csrf: csrf, ...alice });
        expect(res.status).toBe(500);
        expect(errors).toEqual([own]);
        expect(Object.keys(own)).toEqual([]);
        expect(local.emulator.reports()).toEqual([]);
      } finally {
        await local.close();
      }
    });
  });

  describe('H64 no error of the HTTP layer (Node\'s, the egress proxy\'s) reaches next(), a hook or a log line as it is', () => {
    const PROXY_PASSWORD = 'proxy-password-marker';
    const saved = process.env.HTTP_PROXY;
    /** How the request fails, per scenario (set after the sign-in, before the confirmation). */
    const scenarios: Array<[string, () => void | Promise<void>]> = [
      [
        'the egress proxy variable is no http(s) URL and holds a password',
        () => {
          process.env.HTTP_PROXY = `socks5://u:${PROXY_PASSWORD}@127.0.0.1:1`;
        },
      ],
      [
        'the egress proxy refuses the connection',
        async () => {
          process.env.HTTP_PROXY = `http://u:${PROXY_PASSWORD}@127.0.0.1:${await closedPort()}`;
        },
      ],
      ['BindID drops the connection', () => flow.emulator.setFault('session-feedback', { drop: true, times: 1 })],
    ];
    afterEach(() => {
      if (saved === undefined) delete process.env.HTTP_PROXY;
      else process.env.HTTP_PROXY = saved;
      flow.emulator.clearFaults();
    });

    it.each(scenarios)('H64 router, %s: the hook errors and the log are clean', async (_what, arrange) => {
      const client = new SessionFeedbackClient({ clientSecret: SECRET, apiUrl: flow.emulator.apiUrl, retries: 0 });
      const errors: unknown[] = [];
      const local = await createFlow({
        emulator: { clientSecret: SECRET },
        router: {
          clientSecret: SECRET,
          client,
          onFeedbackError: (e) => void errors.push(e.error),
          onLinkFailed: (e) => void (e.error && errors.push(e.error)),
        },
        errors,
      });
      try {
        const agent = local.agent();
        await bindIdSignIn(agent, 'new');
        const { csrf } = await confirmPage(agent);
        const token = await pendingAccessToken(agent);
        await arrange();
        const debug = captureDebug();
        try {
          const res = await submitConfirm(agent, { _csrf: csrf, ...alice });
          expect(res.status).toBeGreaterThanOrEqual(500);
        } finally {
          debug.stop();
        }
        expect(errors).toHaveLength(2);
        for (const err of errors) expectSafeError(err, needlesFor(token, { scheme: 'BindIdBackend', 'proxy password': PROXY_PASSWORD }));
        expect(leaksIn(undefined, debug.lines, needlesFor(token, { scheme: 'BindIdBackend', 'proxy password': PROXY_PASSWORD }))).toEqual([]);
      } finally {
        client.close();
        await local.close();
      }
    });

    it.each(scenarios)('H64 middleware, %s: next(err) gets a coded error', async (_what, arrange) => {
      const client = new SessionFeedbackClient({ clientSecret: SECRET, apiUrl: flow.emulator.apiUrl, retries: 0 });
      const events: unknown[] = [];
      const app = createMiddlewareApp(flow.emulator, { client, onFeedbackError: (e) => void events.push(e.error) });
      const login = await app.seed();
      await arrange();
      await app.confirm(alice);
      client.close();
      expect(app.nexts).toHaveLength(1);
      expect(events).toEqual([app.nexts[0]]);
      expectSafeError(app.nexts[0], needlesFor(login.accessToken, { scheme: 'BindIdBackend', 'proxy password': PROXY_PASSWORD }));
    });
  });

  describe('H65 inspecting the options and the objects built from them does not show the secret', () => {
    const options = () => ({
      issuer: flow.emulator.issuer,
      clientId: flow.emulator.clientId,
      clientSecret: SECRET,
      apiUrl: flow.emulator.apiUrl,
      baseUrl: APP_ORIGIN,
      findUserByAlias: () => null,
    });
    /** Every usual way of printing a value. */
    const renderings = (value: unknown): Array<[string, string]> => [
      ['util.inspect', inspect(value, { depth: Number.POSITIVE_INFINITY, showHidden: true })],
      ['util.inspect without custom inspect', inspect(value, { depth: Number.POSITIVE_INFINITY, showHidden: true, customInspect: false })],
      ['JSON.stringify', JSON.stringify(value) ?? ''],
      ['String', String(value)],
    ];

    it('H65 the router, the middleware and the client never show the secret', () => {
      const router = bindIdRouter(options());
      const middleware = sendAuthenticationPerformed({ clientSecret: SECRET, apiUrl: flow.emulator.apiUrl });
      const client = new SessionFeedbackClient({ clientSecret: SECRET, apiUrl: flow.emulator.apiUrl });
      const texts: Array<[string, string]> = [];
      for (const [name, value] of [
        ['bindIdRouter(options)', router],
        ['sendAuthenticationPerformed(options)', middleware],
        ['SessionFeedbackClient', client],
      ] as const) {
        for (const [how, text] of renderings(value)) texts.push([`${how}(${name})`, text]);
      }
      client.close();
      expect(leaksInTexts(texts, { 'client secret': SECRET })).toEqual([]);
    });

    it('H65 (design) the options object is the app\'s own: never changed nor kept, so it can be frozen and dropped', async () => {
      // util.inspect(options) shows what the app put there; the library cannot redact an object it
      // does not own. It reads the options once and never writes to them: a frozen object is accepted.
      expect(() => bindIdRouter(Object.freeze(options()))).not.toThrow();
      expect(() => sendAuthenticationPerformed(Object.freeze({ clientSecret: SECRET, apiUrl: flow.emulator.apiUrl }))).not.toThrow();
      // And it keeps no reference: overwriting the secret in the object afterwards changes nothing.
      const bindid = await FakeBindId.start();
      const clientOptions = { clientSecret: SECRET, apiUrl: bindid.url };
      const client = new SessionFeedbackClient(clientOptions);
      clientOptions.clientSecret = 'overwritten';
      try {
        const token = newToken();
        await client.aliasDeleted({ accessToken: token });
        expect(bindid.requests[0]?.headers.authorization === expectedAuthorization(SECRET, token)).toBe(true);
      } finally {
        client.close();
        await bindid.close();
      }
    });

    it('H65 an option error about the secret does not repeat it', () => {
      const errors: unknown[] = [];
      for (const build of [
        () => bindIdRouter({ ...options(), clientSecret: `${SECRET}\n` }),
        () => bindIdRouter({ ...options(), clientSecret: [SECRET] as unknown as string }),
        () => sendAuthenticationPerformed({ clientSecret: `${SECRET} `, apiUrl: flow.emulator.apiUrl }),
        () => new SessionFeedbackClient({ clientSecret: `\t${SECRET}`, apiUrl: flow.emulator.apiUrl }),
      ]) {
        try {
          build();
        } catch (err) {
          errors.push(err);
        }
      }
      expect(errors).toHaveLength(4);
      for (const err of errors) expectSafeError(err);
    });
  });
});
