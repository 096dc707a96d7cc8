/**
 * The confirmation step (src/confirm/confirm-pending-login.ts) through `sendAuthenticationPerformed`:
 * single use of the pending login (its claim), the link reserved then recorded or released, and what
 * the app is told (`req.bindid`, `onLinked`, `onFeedbackError`, `onReportQueued`) for each answer of
 * BindID, fail-closed and fail-open.
 */
import express, { type NextFunction, type Request, type Response } from 'express';
import session from 'express-session';
import passport from 'passport';
import request from 'supertest';
import { createEmulator, type Emulator } from '../../src/emulator/index.js';
import { ErrorCode, MemoryBindIdStore, SessionFeedbackClient, type SendAuthenticationPerformedOptions, sendAuthenticationPerformed } from '../../src/index.js';
import type { LinkedEvent } from '../../src/confirm/confirm-options.js';
import { BindIdFeedbackError } from '../../src/errors.js';
import { healKey, type ReportQueuedEvent } from '../../src/fail-open/failure-policy.js';
import type { SessionFeedbackReport } from '../../src/feedback/session-feedback-report.js';
import type { FeedbackResult } from '../../src/feedback/session-feedback-client.js';
import { captureDebug } from '../helpers/leaks.js';
import { APP_ORIGIN, freshUser, mintLogin, type TestUser } from '../helpers/flow.js';
import { createMiddlewareApp } from '../helpers/middleware-app.js';

let emulator: Emulator;
beforeAll(async () => {
  emulator = await createEmulator({ redirectUris: [`${APP_ORIGIN}/bindid/callback`] });
});
afterAll(() => emulator.close());
beforeEach(() => {
  emulator.clearReports();
  emulator.clearFaults();
});

type Options = Partial<SendAuthenticationPerformedOptions<TestUser>>;

/** A client whose `send` fails with `error` (once, then as usual). */
class FailingClient extends SessionFeedbackClient {
  failures: unknown[];
  constructor(...failures: unknown[]) {
    super({ clientSecret: emulator.clientSecret, apiUrl: emulator.apiUrl, retries: 0, circuitBreaker: false });
    this.failures = failures;
  }
  override send(accessToken: string, report: SessionFeedbackReport): Promise<FeedbackResult> {
    if (this.failures.length > 0) return Promise.reject(this.failures.shift());
    return super.send(accessToken, report);
  }
}

function events() {
  const linked: LinkedEvent<TestUser>[] = [];
  const queued: ReportQueuedEvent[] = [];
  const feedbackErrors: unknown[] = [];
  const options: Options = {
    onLinked: (e) => void linked.push(e),
    onFeedbackError: (e) => void feedbackErrors.push(e.error),
  };
  const open: Options = {
    ...options,
    failureMode: 'open',
    outboxWorker: { start: false },
    onReportQueued: (e) => void queued.push(e),
  };
  return { linked, queued, feedbackErrors, options, open };
}

/** What `req.bindid.report` said when `onLinked` fired. */
const reportOf = (e: LinkedEvent<TestUser>) => (e.req as Request & { bindid?: { report?: string } }).bindid?.report;

describe('N132 confirmPendingLogin: what the app is told', () => {
  it('N132 a first link: the report is sent, with the confirmation\'s time in unix seconds; req.bindid.report "sent"; onLinked with the result, not queued', async () => {
    const at = Date.now() + 1_500;
    const e = events();
    const app = createMiddlewareApp(emulator, { ...e.options, now: () => at });
    const user = freshUser();
    await app.seed();
    const res = await app.confirm(user);
    expect(res.status).toBe(200);
    expect(emulator.reports().map((r) => [r.type, r.alias, r.time])).toEqual([['authentication_performed', String(user.id), Math.floor(at / 1000)]]);
    expect(e.linked).toHaveLength(1);
    expect(e.linked[0]).toMatchObject({ alias: String(user.id), queued: false, result: { status: 200 } });
    expect(reportOf(e.linked[0] as LinkedEvent<TestUser>)).toBe('sent');
  });

  it('N132 a re-link with the alias BindID already has: nothing sent, req.bindid.report "unchanged", onLinked without a result', async () => {
    const e = events();
    const app = createMiddlewareApp(emulator, e.options);
    const user = freshUser();
    const login = await mintLogin(emulator);
    emulator.setAlias(login.claims.sub, String(user.id));
    await app.seed({ ...login, claims: { ...login.claims, bindid_alias: String(user.id) } });
    expect((await app.confirm(user)).status).toBe(200);
    expect(emulator.reports()).toEqual([]);
    expect(e.linked).toHaveLength(1);
    expect('result' in (e.linked[0] as object)).toBe(false);
    expect(e.linked[0]).toMatchObject({ queued: false });
    expect(reportOf(e.linked[0] as LinkedEvent<TestUser>)).toBe('unchanged');
  });

  it.each([
    ['empty', ''],
    ['not a string', 42],
  ])('N132 an ID token whose bindid_alias is %s: the user has no alias yet, authentication_performed is sent', async (_name, previous) => {
    const app = createMiddlewareApp(emulator);
    const user = freshUser();
    const login = await mintLogin(emulator);
    await app.seed({ ...login, claims: { ...login.claims, bindid_alias: previous } as typeof login.claims });
    expect((await app.confirm(user)).status).toBe(200);
    expect(emulator.reports().map((r) => [r.type, r.alias])).toEqual([['authentication_performed', String(user.id)]]);
  });

  it('N132 no confirmed user (the middleware mounted without passport.authenticate in front): 401 NOT_AUTHENTICATED saying where to mount it', async () => {
    const middleware = sendAuthenticationPerformed<TestUser>({ clientSecret: emulator.clientSecret, apiUrl: emulator.apiUrl });
    const instance = new passport.Passport();
    const app = express();
    app.use(session({ secret: 'no-user-test', resave: false, saveUninitialized: false }));
    app.use(instance.initialize());
    app.use(instance.session());
    app.post('/confirm', middleware, (_req: Request, res: Response) => void res.json({ ok: true }));
    app.post(
      '/confirm-null',
      (req: Request, _res: Response, next: NextFunction) => {
        (req as { user?: unknown }).user = null;
        next();
      },
      middleware,
      (_req: Request, res: Response) => void res.json({ ok: true }),
    );
    let err: unknown;
    app.use((error: unknown, _req: Request, res: Response, _next: NextFunction) => {
      err = error;
      res.status(500).end();
    });
    await request(app).post('/confirm-null').expect(500);
    expect(err).toMatchObject({ code: ErrorCode.NOT_AUTHENTICATED, status: 401 });
    await request(app).post('/confirm').expect(500);
    expect(err).toMatchObject({ code: ErrorCode.NOT_AUTHENTICATED, status: 401 });
    expect(emulator.reports()).toEqual([]);
    expect((err as Error).message).toMatch(/req\.user is empty.*mount this middleware after passport\.authenticate\('<your local strategy>', \{ session: false \}\)/s);
  });

  it('N132 its debug lines, under express-bindid:confirm (docs/troubleshooting.md), say how the report went', async () => {
    const debug = captureDebug();
    try {
      const sent = createMiddlewareApp(emulator);
      await sent.seed();
      expect((await sent.confirm(freshUser())).status).toBe(200);
      const queued = createMiddlewareApp(emulator, {
        ...events().open,
        client: new FailingClient(new BindIdFeedbackError(ErrorCode.UNAVAILABLE, 'down', { status: 503, retryable: true })),
      });
      await queued.seed();
      expect((await queued.confirm(freshUser())).status).toBe(200);
      const unchanged = createMiddlewareApp(emulator);
      const user = freshUser();
      const login = await mintLogin(emulator);
      emulator.setAlias(login.claims.sub, String(user.id));
      await unchanged.seed({ ...login, claims: { ...login.claims, bindid_alias: String(user.id) } });
      expect((await unchanged.confirm(user)).status).toBe(200);
    } finally {
      debug.stop();
    }
    const linked = debug.entries.filter((entry) => entry.namespace === 'express-bindid:confirm' && /linked BindID sub/.test(entry.line));
    // A line is its format, then its arguments: the sub, then the status and attempts, or how the report went.
    expect(linked.map((entry) => entry.line)).toEqual([
      expect.stringMatching(/\(HTTP %d, %d attempt\(s\)\) \S+ 200 1$/),
      expect.stringMatching(/report %s \S+ queued \(fail-open\)$/),
      expect.stringMatching(/report %s \S+ unchanged$/),
    ]);
  });

  it('N132 a hook that throws is logged by its name (onFeedbackError, onReportQueued, onLinked), and changes nothing', async () => {
    const debug = captureDebug();
    const app = createMiddlewareApp(emulator, {
      ...events().open,
      client: new FailingClient(new BindIdFeedbackError(ErrorCode.UNAVAILABLE, 'down', { status: 503, retryable: true })),
      onFeedbackError: () => {
        throw new Error('hook');
      },
      onReportQueued: () => {
        throw new Error('hook');
      },
      onLinked: () => {
        throw new Error('hook');
      },
    });
    try {
      await app.seed();
      expect((await app.confirm(freshUser())).status).toBe(200);
    } finally {
      debug.stop();
    }
    const failed = debug.lines.filter((line) => / hook failed/.test(line)).map((line) => /hook failed (\w+)/.exec(line)?.[1]);
    expect(failed).toEqual(['onFeedbackError', 'onReportQueued', 'onLinked']);
  });

  it('N124 the store failing after BindID answered (giving back the claim and the link, recording the link) is logged, never thrown over the answer', async () => {
    const store = new MemoryBindIdStore();
    store.deleteIf = () => Promise.reject(new Error('store down'));
    const debug = captureDebug();
    try {
      const refused = createMiddlewareApp(emulator, {
        store,
        client: new FailingClient(new BindIdFeedbackError(ErrorCode.UNAVAILABLE, 'down', { status: 503, retryable: true })),
      });
      await refused.seed();
      const res = await refused.confirm(freshUser());
      expect(res.status).toBe(503);
      expect(res.body).toEqual({ code: ErrorCode.UNAVAILABLE });
      const recordFails = new MemoryBindIdStore();
      recordFails.set = () => Promise.reject(new Error('store down'));
      const linked = createMiddlewareApp(emulator, { store: recordFails });
      await linked.seed();
      expect((await linked.confirm(freshUser())).status).toBe(200);
    } finally {
      debug.stop();
    }
    const text = debug.lines.join('\n');
    expect(text).toMatch(/could not release a link reservation/);
    expect(text).toMatch(/could not release a claim/);
    expect(text).toMatch(/could not record the link of sub/);
  });
});

describe('N124 confirmPendingLogin: single use of the pending login', () => {
  it('N124 a confirmation of a pending login another one holds: 409 CONFIRM_IN_PROGRESS, nothing sent, nobody signed in', async () => {
    const store = new MemoryBindIdStore();
    const add = store.add.bind(store);
    jest.spyOn(store, 'add').mockImplementation(async (key, value, ttl) => (key.startsWith('claim:') ? false : add(key, value, ttl)));
    const app = createMiddlewareApp(emulator, { store });
    await app.seed();
    const res = await app.confirm(freshUser());
    expect(res.status).toBe(409);
    expect(res.body).toEqual({ code: ErrorCode.CONFIRM_IN_PROGRESS });
    expect((app.errors[0] as Error).message).toMatch(/already being confirmed/);
    expect(emulator.reports()).toEqual([]);
    expect((await app.agent.get('/whoami')).body).toEqual({ user: null });
  });

  it('N124 BindID unreachable (fail-closed): the claim and the link are given back, so the same pending login confirms later, by another account too', async () => {
    const e = events();
    const app = createMiddlewareApp(emulator, { ...e.options, client: new FailingClient(new BindIdFeedbackError(ErrorCode.UNAVAILABLE, 'down', { status: 503, retryable: true })) });
    await app.seed();
    const first = freshUser();
    const res = await app.confirm(first);
    expect(res.status).toBe(503);
    expect(e.feedbackErrors).toHaveLength(1);
    const second = freshUser();
    expect((await app.confirm(second)).status).toBe(200);
    expect(e.linked.map((l) => l.alias)).toEqual([String(second.id)]);
  });

  it('N124 a failure that is no BindID answer (a bug in a client): thrown as is, no onFeedbackError, the pending login kept', async () => {
    const e = events();
    const bug = new TypeError('a bug');
    const app = createMiddlewareApp(emulator, { ...e.options, client: new FailingClient(bug) });
    await app.seed();
    const user = freshUser();
    expect((await app.confirm(user)).status).toBe(500);
    expect(app.errors).toEqual([bug]);
    expect(e.feedbackErrors).toEqual([]);
    // The pending login is still there: a second try is told it is being confirmed, not "start again".
    expect((await app.confirm(user)).body).toEqual({ code: ErrorCode.CONFIRM_IN_PROGRESS });
  });
});

describe('K101 confirmPendingLogin: fail-open queues outages only', () => {
  const outage = (code: typeof ErrorCode.UNAVAILABLE | typeof ErrorCode.TIMEOUT) =>
    new BindIdFeedbackError(code, 'outage', { status: code === ErrorCode.TIMEOUT ? 504 : 503, retryable: true });

  it.each([ErrorCode.UNAVAILABLE, ErrorCode.TIMEOUT])('K101 %s, fail-open: signed in, the report queued, onReportQueued, onLinked queued', async (code) => {
    const e = events();
    const app = createMiddlewareApp(emulator, { ...e.open, client: new FailingClient(outage(code)) });
    await app.seed();
    const user = freshUser();
    expect((await app.confirm(user)).status).toBe(200);
    expect(e.queued).toHaveLength(1);
    expect(e.linked).toHaveLength(1);
    expect(e.linked[0]).toMatchObject({ queued: true });
    expect('result' in (e.linked[0] as object)).toBe(false);
    expect(reportOf(e.linked[0] as LinkedEvent<TestUser>)).toBe('queued');
    expect((await app.agent.get('/whoami')).body.user).toMatchObject({ id: user.id });
  });

  it.each([
    ['a retryable refusal that is no outage', new BindIdFeedbackError(ErrorCode.REJECTED, 'slow down', { status: 429, retryable: true }), 429],
    ['an outage code that is not retryable', new BindIdFeedbackError(ErrorCode.UNAVAILABLE, 'gone', { status: 503, retryable: false }), 503],
    ['a refusal', new BindIdFeedbackError(ErrorCode.REJECTED, 'no', { status: 400 }), 400],
  ])('K101 %s, fail-open: not queued, the error to the app, nobody signed in', async (_name, error, status) => {
    const e = events();
    const app = createMiddlewareApp(emulator, { ...e.open, client: new FailingClient(error) });
    await app.seed();
    expect((await app.confirm(freshUser())).status).toBe(status);
    expect(e.queued).toEqual([]);
    expect(e.linked).toEqual([]);
    expect((await app.agent.get('/whoami')).body).toEqual({ user: null });
  });

  it('K101 an outage, fail-closed: not queued, 503 to the app', async () => {
    const e = events();
    const app = createMiddlewareApp(emulator, { ...e.options, client: new FailingClient(outage(ErrorCode.UNAVAILABLE)) });
    await app.seed();
    const debug = captureDebug();
    try {
      expect((await app.confirm(freshUser())).status).toBe(503);
    } finally {
      debug.stop();
    }
    // Fail-closed never tries an outbox (no "fail-open: ... failing closed" line in the operator's log).
    expect(debug.lines.filter((line) => /fail-open/.test(line))).toEqual([]);
    expect(e.queued).toEqual([]);
    expect(e.linked).toEqual([]);
  });

  it.each([
    ['fail-closed', false],
    ['fail-open', true],
  ])('K101 refused after an unanswered attempt that may have applied it (%s): signed in, req.bindid.report "possibly-applied"', async (_name, open) => {
    const e = events();
    const store = new MemoryBindIdStore();
    const possibly = new BindIdFeedbackError(ErrorCode.REJECTED, 'maybe', { status: 400, possiblyApplied: true });
    const app = createMiddlewareApp(emulator, { ...(open ? e.open : e.options), store, client: new FailingClient(possibly) });
    const login = await app.seed();
    const user = freshUser();
    expect((await app.confirm(user)).status).toBe(200);
    expect(e.linked).toHaveLength(1);
    expect(e.linked[0]).toMatchObject({ queued: false });
    expect(reportOf(e.linked[0] as LinkedEvent<TestUser>)).toBe('possibly-applied');
    expect(e.queued).toEqual([]);
    // Fail-open writes the self-heal record of this sub; fail-closed writes none.
    const heal = await store.get(healKey(login.claims.sub));
    expect(heal !== undefined).toBe(open);
  });
});
