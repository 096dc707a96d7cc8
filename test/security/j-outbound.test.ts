/**
 * Checklist J (reliability §4; cases 79–98): faults of the outbound session-feedback call.
 *
 * The client-level cases live in test/feedback/ and carry their case ids there: retries.test.ts
 * (J82–J90, J94), faults.test.ts (J79–J81, J91–J93, J95, J97, J98), properties.test.ts (J88, J96).
 * This file shows what the user and the operator get when those faults happen during a real
 * confirmation: the fail-closed page in bounded time, the operator events, `next(err)` exactly once,
 * no hung or doubled response; and the retry-layer cases that need many clients.
 */
import { type BindIdError, ErrorCode, type FeedbackErrorEvent, SessionFeedbackClient } from '../../src/index.js';
import { type FakeBindId, reply } from '../helpers/fake-bindid.js';
import { closeClients, makeClient, newToken, rejection, SECRET, useFakeBindId } from '../helpers/feedback.js';
import { type Agent, bindIdSignIn, confirmPage, createFlow, type Flow, freshUser, submitConfirm, whoami } from '../helpers/flow.js';
import { captureDebug } from '../helpers/leaks.js';
import { stubLookup } from '../helpers/lookup.js';
import { createMiddlewareApp } from '../helpers/middleware-app.js';

/** Deadline of the router's client here: short, so that a hang costs little. */
const DEADLINE_MS = 400;
/** What "bounded" means on a busy machine: the deadline plus the rest of the request. */
const BOUNDED_MS = DEADLINE_MS + 3000;

const feedbackErrors: FeedbackErrorEvent[] = [];
const appErrors: unknown[] = [];
let flow: Flow;
beforeAll(async () => {
  flow = await createFlow({
    errors: appErrors,
    emulator: { clientSecret: SECRET },
    router: (emulator) => ({
      clientSecret: SECRET,
      client: new SessionFeedbackClient({
        clientSecret: SECRET,
        apiUrl: emulator.apiUrl,
        timeoutMs: DEADLINE_MS,
        retries: 2,
        backoff: { baseMs: 1, maxMs: 5 },
        circuitBreaker: false,
      }),
      onFeedbackError: (e) => void feedbackErrors.push(e),
    }),
  });
});
afterAll(() => flow.close());
beforeEach(() => {
  flow.emulator.clearFaults();
  flow.emulator.clearReports();
  feedbackErrors.length = 0;
  appErrors.length = 0;
});

/** A browser at the confirm page of a new BindID user, with the credentials of a fresh local user. */
async function atConfirmPage(): Promise<{ agent: Agent; fields: Record<string, string>; user: { id: number; username: string } }> {
  const agent = flow.agent();
  await bindIdSignIn(agent, 'new');
  const { csrf } = await confirmPage(agent);
  const u = freshUser();
  return { agent, fields: { _csrf: csrf, username: u.username, password: u.password }, user: { id: u.id, username: u.username } };
}

describe('J outbound call faults, as the user and the operator see them', () => {
  describe('J80 fail closed in bounded time (router)', () => {
    it.each<[string, Parameters<Flow['emulator']['setFault']>[1], string]>([
      ['BindID never answers', { hang: true }, ErrorCode.TIMEOUT],
      ['BindID answers 503 every time', { status: 503 }, ErrorCode.UNAVAILABLE],
      ['BindID answers 503 with Retry-After: 3600', { status: 503, retryAfter: '3600' }, ErrorCode.UNAVAILABLE],
    ])('J80 %s: the "try again" page within the deadline, nobody logged in, the pending login kept; a retry then links', async (_what, fault, code) => {
      const { agent, fields, user } = await atConfirmPage();
      flow.emulator.setFault('session-feedback', fault);
      const started = performance.now();
      const res = await submitConfirm(agent, fields);
      const elapsed = performance.now() - started;
      expect(res.status).toBe(503);
      expect(res.text).toContain('BindID could not be reached');
      expect(elapsed).toBeLessThan(BOUNDED_MS);
      expect(feedbackErrors.map((e) => e.error.code)).toEqual([code]);
      expect((await whoami(agent)).user).toBeNull();
      expect((await confirmPage(agent)).res.status).toBe(200); // still pending, same form
      flow.emulator.clearFaults();
      const retry = await submitConfirm(agent, fields);
      expect(retry.status).toBe(303);
      expect((await whoami(agent)).user).toEqual(user);
      expect(flow.emulator.reports().filter((r) => r.accepted)).toHaveLength(1);
    });
  });

  it('J83 a name that does not resolve: the code (ENOTFOUND) reaches the operator event', async () => {
    const events: FeedbackErrorEvent[] = [];
    const client = makeClient('http://localhost:1', { retries: 2 });
    const app = createMiddlewareApp(flow.emulator, { client, onFeedbackError: (e) => void events.push(e) });
    await app.seed();
    // A lookup that fails like getaddrinfo, so no DNS query leaves the machine.
    const lookup = stubLookup((name) => Object.assign(new Error(`getaddrinfo ENOTFOUND ${name}`), { code: 'ENOTFOUND' }));
    try {
      expect((await app.confirm({ username: 'alice', password: 'alice-password' })).status).toBe(503);
    } finally {
      lookup.restore();
    }
    expect(events).toHaveLength(1);
    expect(events[0]?.error).toMatchObject({ code: ErrorCode.UNAVAILABLE, attempts: 3, retryable: true });
    expect((events[0]?.error.cause as (Error & { code?: string }) | undefined)?.code).toBe('ENOTFOUND');
    closeClients();
  });

  describe('J89 J90 a refusal ends the sign-in (router)', () => {
    it('J89 BindID answers 400: one request, no login, the pending login is gone, the operator event says REJECTED', async () => {
      const { agent, fields } = await atConfirmPage();
      flow.emulator.setFault('session-feedback', { status: 400 });
      const res = await submitConfirm(agent, fields);
      expect(res.status).toBe(502);
      expect(flow.emulator.reports()).toHaveLength(1);
      expect(feedbackErrors.map((e) => e.error.code)).toEqual([ErrorCode.REJECTED]);
      expect((await whoami(agent)).user).toBeNull();
      expect((await confirmPage(agent)).res.status).toBe(400);
    });

    it.each([401, 403])('J90 BindID answers %d: one request, no login, an operator event that says to check the client secret and the token age', async (status) => {
      const { agent, fields } = await atConfirmPage();
      flow.emulator.setFault('session-feedback', { status });
      const res = await submitConfirm(agent, fields);
      expect(res.status).toBe(502);
      expect(flow.emulator.reports()).toHaveLength(1);
      expect(feedbackErrors).toHaveLength(1);
      const error = feedbackErrors[0]?.error as BindIdError;
      expect(error).toMatchObject({ code: ErrorCode.UNAUTHORIZED, upstreamStatus: status, retryable: false });
      expect(error.message).toMatch(/client secret/);
      expect(error.message).toMatch(/hour/);
      expect((await whoami(agent)).user).toBeNull();
    });
  });

  it('J95 a throw inside the HTTP client (an egress proxy setting that is no URL): next(err) once, coded, nothing sent', async () => {
    const client = makeClient(flow.emulator.apiUrl);
    const app = createMiddlewareApp(flow.emulator, { client });
    await app.seed();
    const saved = process.env.HTTP_PROXY;
    process.env.HTTP_PROXY = 'socks5://127.0.0.1:1';
    let res: Awaited<ReturnType<typeof app.confirm>>;
    try {
      res = await app.confirm({ username: 'alice', password: 'alice-password' });
    } finally {
      if (saved === undefined) delete process.env.HTTP_PROXY;
      else process.env.HTTP_PROXY = saved;
    }
    await new Promise((resolve) => setTimeout(resolve, 50)); // room for a second next()
    expect(res.status).toBe(503);
    expect(app.nexts).toHaveLength(1);
    expect(app.errors).toEqual(app.nexts);
    expect(app.nexts[0]).toMatchObject({ code: ErrorCode.UNAVAILABLE, retryable: false, attempts: 1 });
    expect(flow.emulator.reports()).toEqual([]);
    closeClients();
  });

  describe('J98 an answer after the deadline changes nothing', () => {
    /** How much later than the deadline the answer reaches the process. */
    const LATE_MS = 2500;
    /** A client whose one report BindID answers only LATE_MS after the deadline (the client has cut the connection by then). */
    function lateClient(emulator: Flow['emulator']): SessionFeedbackClient {
      emulator.setFault('session-feedback', { delayMs: DEADLINE_MS + LATE_MS, times: 1 });
      return makeClient(emulator.apiUrl, { timeoutMs: DEADLINE_MS, retries: 0 });
    }

    it('J98 router: one fail-closed page at the deadline; the late 200 causes no second response, no error, no login', async () => {
      const unhandled: unknown[] = [];
      const onUnhandled = (reason: unknown) => unhandled.push(reason);
      process.on('unhandledRejection', onUnhandled);
      const errors: unknown[] = [];
      const events: FeedbackErrorEvent[] = [];
      const local = await createFlow({
        errors,
        emulator: { clientSecret: SECRET },
        router: (emulator) => ({ clientSecret: SECRET, client: lateClient(emulator), onFeedbackError: (e) => void events.push(e) }),
      });
      const debug = captureDebug();
      try {
        const agent = local.agent();
        await bindIdSignIn(agent, 'new');
        const { csrf } = await confirmPage(agent);
        const u = freshUser();
        const started = performance.now();
        const res = await submitConfirm(agent, { _csrf: csrf, username: u.username, password: u.password });
        expect(res.status).toBe(503);
        expect(performance.now() - started).toBeLessThan(DEADLINE_MS + LATE_MS - 1000);
        await new Promise((resolve) => setTimeout(resolve, LATE_MS + 300)); // the late answer would have come
        expect(errors).toEqual([]);
        expect(unhandled).toEqual([]);
        expect(debug.lines.filter((l) => l.includes('after the response started'))).toEqual([]);
        expect(events.map((e) => e.error.code)).toEqual([ErrorCode.TIMEOUT]);
        expect((await whoami(agent)).user).toBeNull();
      } finally {
        debug.stop();
        process.off('unhandledRejection', onUnhandled);
        closeClients();
        await local.close();
      }
    });

    it('J98 middleware: next(err) exactly once, at the deadline, even after the late answer arrived', async () => {
      const app = createMiddlewareApp(flow.emulator, { client: lateClient(flow.emulator) });
      await app.seed();
      const started = performance.now();
      const res = await app.confirm({ username: 'alice', password: 'alice-password' });
      expect(res.status).toBe(504);
      expect(performance.now() - started).toBeLessThan(DEADLINE_MS + LATE_MS - 1000);
      await new Promise((resolve) => setTimeout(resolve, LATE_MS + 300));
      expect(app.nexts).toHaveLength(1);
      expect((app.nexts[0] as BindIdError).code).toBe(ErrorCode.TIMEOUT);
      expect(app.errors).toHaveLength(1);
      closeClients();
    });
  });
});

describe('J retry layers', () => {
  let bindid: FakeBindId;
  useFakeBindId((server) => (bindid = server));

  it('J96 100 failing clients with the default random(): their retries are spread over the backoff window, not synchronous', async () => {
    // Each client's first attempt gets a 503, its retry a 200; the retry comes after a full-jitter
    // wait in [0, 400 ms]. Without jitter every retry would come 400 ms after its first attempt.
    bindid.setDefault((request) => (bindid.requests.filter((r) => r.body.equals(request.body)).length === 1 ? reply.status(503) : reply.json(200, {})));
    const clients = Array.from({ length: 100 }, () => makeClient(bindid.url, { timeoutMs: 5000, backoff: { baseMs: 400, maxMs: 400 } }));
    const tokens = clients.map(() => newToken());
    const results = await Promise.all(clients.map((client, i) => client.aliasDeleted({ accessToken: tokens[i] as string })));
    expect(results.every((r) => r.attempts === 2)).toBe(true);
    const waits = tokens.map((token) => {
      const [first, second] = bindid.requests.filter((r) => r.body.includes(token));
      return (second?.at ?? 0) - (first?.at ?? 0);
    });
    const spread = Math.max(...waits) - Math.min(...waits);
    expect(spread).toBeGreaterThan(200);
    expect(new Set(waits.map((w) => Math.floor(w / 50))).size).toBeGreaterThanOrEqual(5);
  });

  it('J97 the client takes no caller HTTP instance, so there is no second retry layer: a reset is sent twice (its one ambiguous retry), never more', async () => {
    bindid.setDefault(reply.drop());
    const err = await rejection(makeClient(bindid.url, { retries: 3 }).aliasDeleted({ accessToken: newToken() }));
    expect(err).toMatchObject({ code: ErrorCode.UNAVAILABLE, attempts: 2 });
    expect(bindid.requests).toHaveLength(2);
  });
});
