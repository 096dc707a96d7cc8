/**
 * Checklist J (reliability §4; cases 79–98): faults of the outbound session-feedback call.
 *
 * The client-level cases live in test/feedback/ and carry their case ids there: retries.test.ts
 * (J82–J90, J94), faults.test.ts (J79–J81, J91–J93, J95, J97, J98), properties.test.ts (J88, J96).
 * This file shows what the user and the operator get when those faults happen during a real
 * confirmation: the fail-closed page in bounded time, the operator events, `next(err)` exactly once,
 * no hung or doubled response; and the retry-layer cases that need many clients or an axios
 * instance with a retry interceptor of its own.
 */
import axios, { type AxiosError, type AxiosInstance } from 'axios';
import { type BindIdError, ErrorCode, SessionFeedbackClient } from '../../src/index.js';
import type { FeedbackErrorEvent } from '../../src/confirm/confirm-options.js';
import { type FakeBindId, reply } from '../helpers/fake-bindid.js';
import { closeClients, makeClient, newToken, rejection, SECRET, useFakeBindId } from '../helpers/feedback.js';
import { type Agent, bindIdSignIn, confirmPage, createFlow, type Flow, freshUser, submitConfirm, whoami } from '../helpers/flow.js';
import { turns, until, useFakeClock } from '../helpers/fake-clock.js';
import { captureDebug } from '../helpers/leaks.js';
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
    const instance = axios.create({
      lookup: async () => {
        throw Object.assign(new Error('getaddrinfo ENOTFOUND api.bindid.invalid'), { code: 'ENOTFOUND' });
      },
    });
    const events: FeedbackErrorEvent[] = [];
    const client = makeClient('http://localhost:1', { axios: instance, retries: 2, random: () => 0 });
    const app = createMiddlewareApp(flow.emulator, { client, onFeedbackError: (e) => void events.push(e) });
    await app.seed();
    expect((await app.confirm({ username: 'alice', password: 'alice-password' })).status).toBe(503);
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

  it('J95 a synchronous throw inside the HTTP client (an interceptor): next(err) once, coded, nothing sent', async () => {
    const instance = axios.create();
    instance.interceptors.request.use(
      () => {
        throw new TypeError('interceptor exploded');
      },
      undefined,
      { synchronous: true },
    );
    const client = makeClient(flow.emulator.apiUrl, { axios: instance });
    const app = createMiddlewareApp(flow.emulator, { client });
    await app.seed();
    const res = await app.confirm({ username: 'alice', password: 'alice-password' });
    await turns(); // room for a second next()
    expect(res.status).toBe(503);
    expect(app.nexts).toHaveLength(1);
    expect(app.errors).toEqual(app.nexts);
    expect(app.nexts[0]).toMatchObject({ code: ErrorCode.UNAVAILABLE, retryable: false, attempts: 1 });
    expect(flow.emulator.reports()).toEqual([]);
    closeClients();
  });

  describe('J98 an answer after the deadline changes nothing', () => {
    /** How much later than the deadline the answer reaches the process (fake time). */
    const LATE_MS = 2500;
    /**
     * An axios instance whose adapter ignores the deadline: it sends the report for real (BindID
     * processes it), then hands the 200 back only LATE_MS after the deadline, as a custom adapter or
     * a slow interceptor that does not watch the abort signal would. `held` resolves once BindID
     * answered and the adapter holds the answer; `handedBack()` says whether it has let it go.
     */
    function lateClient(apiUrl: string): { client: SessionFeedbackClient; held: Promise<void>; handedBack: () => boolean } {
      const http = axios.getAdapter('http');
      let holding: () => void = () => {};
      const held = new Promise<void>((resolve) => {
        holding = resolve;
      });
      let handedBack = false;
      const instance = axios.create({
        adapter: async (config) => {
          const response = await http({ ...config, signal: undefined });
          holding();
          await new Promise((resolve) => setTimeout(resolve, DEADLINE_MS + LATE_MS));
          handedBack = true;
          return response;
        },
      });
      const client = makeClient(apiUrl, { axios: instance, timeoutMs: DEADLINE_MS, retries: 0 });
      return { client, held, handedBack: () => handedBack };
    }

    /** Move the fake clock to the deadline (the answer is then due), then past the late answer. */
    async function deadlineThenLateAnswer(late: ReturnType<typeof lateClient>, answered: () => boolean): Promise<void> {
      await late.held;
      await jest.advanceTimersByTimeAsync(DEADLINE_MS);
      await until(answered, 'the answer at the deadline');
      // The answer came while the adapter still held BindID's 200: it did not wait for it.
      expect(late.handedBack()).toBe(false);
    }

    it('J98 router: one fail-closed page at the deadline; the late 200 causes no second response, no error, no login', async () => {
      const unhandled: unknown[] = [];
      const onUnhandled = (reason: unknown) => unhandled.push(reason);
      process.on('unhandledRejection', onUnhandled);
      const errors: unknown[] = [];
      const events: FeedbackErrorEvent[] = [];
      let late: ReturnType<typeof lateClient> | undefined;
      const local = await createFlow({
        errors,
        emulator: { clientSecret: SECRET },
        router: (emulator) => {
          late = lateClient(emulator.apiUrl);
          return { clientSecret: SECRET, client: late.client, onFeedbackError: (e) => void events.push(e) };
        },
      });
      const debug = captureDebug();
      try {
        const agent = local.agent();
        await bindIdSignIn(agent, 'new');
        const { csrf } = await confirmPage(agent);
        const u = freshUser();
        const confirm = sent(submitConfirm(agent, { _csrf: csrf, username: u.username, password: u.password }));
        await deadlineThenLateAnswer(late as ReturnType<typeof lateClient>, confirm.answered);
        const res = await confirm.answer;
        expect(res.status).toBe(503);
        expect(local.emulator.reports().map((r) => r.status)).toEqual([200]); // BindID did get it
        await jest.advanceTimersByTimeAsync(LATE_MS); // the late answer arrives
        expect(late?.handedBack()).toBe(true);
        await turns();
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
      const late = lateClient(flow.emulator.apiUrl);
      const app = createMiddlewareApp(flow.emulator, { client: late.client });
      await app.seed();
      const confirm = sent(app.confirm({ username: 'alice', password: 'alice-password' }));
      await deadlineThenLateAnswer(late, confirm.answered);
      expect((await confirm.answer).status).toBe(504);
      await jest.advanceTimersByTimeAsync(LATE_MS);
      expect(late.handedBack()).toBe(true);
      await turns();
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
    // The clock is fake: each request's time is read as it leaves, so a wait is what the client chose.
    bindid.setDefault((request) => (bindid.requests.filter((r) => r.body.equals(request.body)).length === 1 ? reply.status(503) : reply.json(200, {})));
    const sentAt = new Map<string, number[]>();
    const instance = axios.create();
    instance.interceptors.request.use(
      (config) => {
        const token = (JSON.parse(String(config.data)) as { subject_session_at: string }).subject_session_at;
        sentAt.set(token, [...(sentAt.get(token) ?? []), performance.now()]);
        return config;
      },
      undefined,
      { synchronous: true },
    );
    const clients = Array.from({ length: 100 }, () => makeClient(bindid.url, { axios: instance, timeoutMs: 5000, backoff: { baseMs: 400, maxMs: 400 } }));
    const tokens = clients.map(() => newToken());
    const all = Promise.all(clients.map((client, i) => client.aliasDeleted({ accessToken: tokens[i] as string })));
    // Every client got its 503 and waits to retry: each then holds two timers, its deadline and its backoff.
    await until(() => jest.getTimerCount() === 2 * clients.length, 'every client waiting to retry');
    await jest.advanceTimersByTimeAsync(400);
    const results = await all;
    expect(results.every((r) => r.attempts === 2)).toBe(true);
    const waits = tokens.map((token) => {
      const [first, second] = sentAt.get(token) ?? [];
      return (second ?? Number.NaN) - (first ?? Number.NaN);
    });
    expect(waits.filter((w) => !(w >= 0 && w <= 400))).toEqual([]);
    const spread = Math.max(...waits) - Math.min(...waits);
    expect(spread).toBeGreaterThan(200);
    expect(new Set(waits.map((w) => Math.floor(w / 50))).size).toBeGreaterThanOrEqual(5);
  });

  /** An axios instance with a retry interceptor of its own, as axios-retry installs (network errors, up to `times`). */
  function withRetryInterceptor(times: number): { instance: AxiosInstance; retried: () => number } {
    const instance = axios.create();
    let retried = 0;
    instance.interceptors.response.use(undefined, async (error: AxiosError) => {
      const config = error.config as (typeof error.config & { retryCount?: number }) | undefined;
      if (!config || error.response || (config.retryCount ?? 0) >= times) throw error;
      config.retryCount = (config.retryCount ?? 0) + 1;
      retried += 1;
      return instance.request(config);
    });
    return { instance, retried: () => retried };
  }

  it('J97 a caller-supplied axios that retries by itself, with retries: 0: attempts stay within its own cap (1 + 3), no second layer', async () => {
    bindid.setDefault(reply.drop());
    const { instance, retried } = withRetryInterceptor(3);
    const err = await rejection(makeClient(bindid.url, { axios: instance, retries: 0 }).aliasDeleted({ accessToken: newToken() }));
    expect(err).toMatchObject({ code: ErrorCode.UNAVAILABLE, attempts: 1 });
    expect(retried()).toBe(3);
    expect(bindid.requests).toHaveLength(4);
  });

  it('J97 (documented) the library cannot see that an instance retries: with its default retries the two layers multiply, hence the `retries: 0` rule', async () => {
    bindid.setDefault(reply.drop());
    const { instance } = withRetryInterceptor(3);
    // (Its backoff is 0: the clock is fake.)
    await rejection(makeClient(bindid.url, { axios: instance, random: () => 0 }).aliasDeleted({ accessToken: newToken() }));
    // A reset is ambiguous, so the client itself retries it once: 2 × (1 + 3) requests.
    expect(bindid.requests).toHaveLength(8);
  });

  it('J97 HTTP statuses never reach such an interceptor as errors (every status is read by the client), so a 503 is not retried twice over', async () => {
    bindid.setDefault(reply.status(503));
    const { instance, retried } = withRetryInterceptor(3);
    await rejection(makeClient(bindid.url, { axios: instance, retries: 0 }).aliasDeleted({ accessToken: newToken() }));
    expect(retried()).toBe(0);
    expect(bindid.requests).toHaveLength(1);
  });
});
