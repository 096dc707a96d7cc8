/**
 * Checklist J (reliability §4; cases 79–98): faults of the outbound session-feedback call.
 *
 * The client-level cases live in test/feedback/ and carry their case ids there: retries.test.ts
 * (J82–J90, J94), faults.test.ts (J79–J81, J91–J93, J95, J97, J98), properties.test.ts (J88, J96).
 * This file shows what the user and the operator get when those faults happen during a real
 * confirmation: the fail-closed page in bounded time, the operator events, `next(err)` exactly once,
 * no hung or doubled response; and the retry-layer cases that need many clients.
 */
import { type BindIdError, ErrorCode, SessionFeedbackClient } from '../../src/index.js';
import type { FeedbackErrorEvent } from '../../src/confirm/confirm-options.js';
import { type FakeBindId, reply } from '../helpers/fake-bindid.js';
import { closeClients, makeClient, newToken, rejection, SECRET, useFakeBindId } from '../helpers/feedback.js';
import { type Agent, bindIdSignIn, confirmPage, createFlow, type Flow, freshUser, submitConfirm, whoami } from '../helpers/flow.js';
import { httpTraffic, turns, until, useFakeClock } from '../helpers/fake-clock.js';
import { captureDebug } from '../helpers/leaks.js';
import { stubLookup } from '../helpers/lookup.js';
import { createMiddlewareApp } from '../helpers/middleware-app.js';

/**
 * The deadline of the router's client here. The clock is Jest's fake one (test/helpers/fake-clock.ts):
 * the deadline passes only when a test moves time to it, never because the machine is slow, and no
 * test waits for it in real time. The backoff between retries is 0 (`random: () => 0`), so retries
 * need no clock either.
 */
const DEADLINE_MS = 400;
useFakeClock();

/** A request sent now (supertest sends only once awaited), and whether its answer has come. */
function sent<T>(request: PromiseLike<T>): { answer: Promise<T>; answered: () => boolean } {
  let done = false;
  const answer = Promise.resolve(request).finally(() => {
    done = true;
  });
  return { answer, answered: () => done };
}

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
        random: () => 0,
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
      const started = performance.now(); // the fake clock
      const confirm = sent(submitConfirm(agent, fields));
      if (fault?.hang) {
        // BindID holds the report: nothing is answered one ms before the deadline, the page comes at it.
        await until(() => flow.emulator.reports().length === 1, 'the report reached BindID');
        await jest.advanceTimersByTimeAsync(DEADLINE_MS - 1);
        await turns();
        expect([confirm.answered(), feedbackErrors]).toEqual([false, []]);
        await jest.advanceTimersByTimeAsync(1);
        await until(confirm.answered, 'the answer at the deadline');
      }
      const res = await confirm.answer;
      expect(performance.now() - started).toBeLessThanOrEqual(DEADLINE_MS);
      expect(res.status).toBe(503);
      expect(res.text).toContain('BindID could not be reached');
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
    const client = makeClient('http://localhost:1', { retries: 2, random: () => 0 });
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
    await turns(); // room for a second next()
    expect(res.status).toBe(503);
    expect(app.nexts).toHaveLength(1);
    expect(app.errors).toEqual(app.nexts);
    expect(app.nexts[0]).toMatchObject({ code: ErrorCode.UNAVAILABLE, retryable: false, attempts: 1 });
    expect(flow.emulator.reports()).toEqual([]);
    closeClients();
  });

  describe('J98 an answer after the deadline changes nothing', () => {
    /** How much later than the deadline BindID answers (fake time). */
    const LATE_MS = 2500;
    /**
     * A client whose one report BindID (the emulator, on the fake clock) answers only LATE_MS after
     * the deadline. The client cuts the connection at its deadline, so the late answer has nowhere
     * to go: what these tests check is that nothing of it (a second response, an error, a login)
     * reaches the app.
     */
    function lateClient(emulator: Flow['emulator']): SessionFeedbackClient {
      emulator.setFault('session-feedback', { delayMs: DEADLINE_MS + LATE_MS, times: 1 });
      return makeClient(emulator.apiUrl, { timeoutMs: DEADLINE_MS, retries: 0 });
    }

    /**
     * Once BindID holds the report, move the fake clock to the deadline (the answer is then due) and
     * wait for the answer; then past the time of the late answer.
     */
    async function deadlineThenLateAnswer(emulator: Flow['emulator'], answered: () => boolean): Promise<void> {
      const traffic = httpTraffic();
      try {
        await until(() => traffic.received.includes('/session-feedback'), 'the report reached BindID');
      } finally {
        traffic.stop();
      }
      await jest.advanceTimersByTimeAsync(DEADLINE_MS);
      await until(answered, 'the answer at the deadline');
      // The answer came while BindID still held its 200: it did not wait for it.
      expect(emulator.reports()).toEqual([]);
      await jest.advanceTimersByTimeAsync(LATE_MS); // the late answer is due now
      await turns();
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
        const confirm = sent(submitConfirm(agent, { _csrf: csrf, username: u.username, password: u.password }));
        await deadlineThenLateAnswer(local.emulator, confirm.answered);
        const res = await confirm.answer;
        expect(res.status).toBe(503);
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
      const confirm = sent(app.confirm({ username: 'alice', password: 'alice-password' }));
      await deadlineThenLateAnswer(flow.emulator, confirm.answered);
      expect((await confirm.answer).status).toBe(504);
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
    // The clock is fake: each attempt's time is read as the client signs it, just before it leaves
    // (its secret is read then), so a wait is what the client chose.
    bindid.setDefault((request) => (bindid.requests.filter((r) => r.body.equals(request.body)).length === 1 ? reply.status(503) : reply.json(200, {})));
    const sentAt = Array.from({ length: 100 }, (): number[] => []);
    const clients = sentAt.map((times) =>
      makeClient(bindid.url, {
        clientSecret: () => {
          times.push(performance.now());
          return SECRET;
        },
        timeoutMs: 5000,
        backoff: { baseMs: 400, maxMs: 400 },
      }),
    );
    const all = Promise.all(clients.map((client) => client.aliasDeleted({ accessToken: newToken() })));
    // Every client got its 503 and waits to retry: each then holds two timers, its deadline and its backoff.
    await until(() => jest.getTimerCount() === 2 * clients.length, 'every client waiting to retry');
    await jest.advanceTimersByTimeAsync(400);
    const results = await all;
    expect(results.every((r) => r.attempts === 2)).toBe(true);
    expect(sentAt.every((times) => times.length === 2)).toBe(true);
    const waits = sentAt.map(([first, second]) => (second ?? Number.NaN) - (first ?? Number.NaN));
    expect(waits.filter((w) => !(w >= 0 && w <= 400))).toEqual([]);
    const spread = Math.max(...waits) - Math.min(...waits);
    expect(spread).toBeGreaterThan(200);
    expect(new Set(waits.map((w) => Math.floor(w / 50))).size).toBeGreaterThanOrEqual(5);
  });

  it('J97 the client takes no caller HTTP instance, so there is no second retry layer: a reset is sent twice (its one ambiguous retry), never more', async () => {
    bindid.setDefault(reply.drop());
    // (Its backoff is 0: the clock is fake.)
    const err = await rejection(makeClient(bindid.url, { retries: 3, random: () => 0 }).aliasDeleted({ accessToken: newToken() }));
    expect(err).toMatchObject({ code: ErrorCode.UNAVAILABLE, attempts: 2 });
    expect(bindid.requests).toHaveLength(2);
  });
});
