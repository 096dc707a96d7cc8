/**
 * Checklist K (reliability.md §6, cases 99-108): failure policy, outbox, circuit breaker, through the
 * router against the emulator. Runs on Express 4 and 5.
 *
 * "BindID down" is the emulator's session-feedback fault (503). Reports are counted at the emulator:
 * `emulator.reports()` records every request it received, faulted ones included, so "no network
 * I/O" is "no new record". Each test builds its own flow (own stores and clock, on the file's emulator
 * reset to look new: no faults, reports or aliases). The
 * outbox worker is not started on a timer (`outboxWorker: { start: false }`): tests run it with
 * `runOnce()`. The clock is Jest's fake one (test/helpers/fake-clock.ts): the client's deadline
 * and the breaker's reset pass only when a test moves time, never because the machine is slow.
 */
import { createEmulator, type Emulator } from '../../src/emulator/index.js';
import { type BindIdRouterOptions, ErrorCode, MemoryBindIdStore, SessionFeedbackClient, type SessionFeedbackClientOptions } from '../../src/index.js';
import type { FeedbackErrorEvent } from '../../src/confirm/confirm-options.js';
import { LinkRegistry } from '../../src/confirm/link-registry.js';
import { type Outbox, type OutboxDeadLetterEvent, type OutboxItem, outboxId, StoreOutbox } from '../../src/fail-open/index.js';
import type { RecognizedEvent } from '../../src/flow/flow-events.js';
import type { ReportQueuedEvent } from '../../src/fail-open/failure-policy.js';
import type { SessionFeedbackReport } from '../../src/feedback/index.js';
import {
  type Agent,
  APP_ORIGIN,
  type AtConfirmPage,
  atConfirmPage,
  bindIdSignIn,
  confirmPage,
  createFlow,
  type Flow,
  type FlowOptions,
  freshUser,
  pendingAccessToken,
  resetEmulator,
  submitConfirm,
  type TestUser,
  whoami,
} from '../helpers/flow.js';
import { until, useFakeClock } from '../helpers/fake-clock.js';
import { KeyListingStore } from '../helpers/key-listing-store.js';
import { captureDebug } from '../helpers/leaks.js';
import { createMiddlewareApp } from '../helpers/middleware-app.js';
import { acceptedPerSub } from '../helpers/outbox.js';

const DOWN = { status: 503 } as const;

useFakeClock();

/** A feedback client that records how long each report took on the (fake) clock: the breaker's fast failure. */
class TimedClient extends SessionFeedbackClient {
  readonly durations: number[] = [];
  override async send(accessToken: string, report: SessionFeedbackReport) {
    const started = performance.now();
    try {
      return await super.send(accessToken, report);
    } finally {
      this.durations.push(performance.now() - started);
    }
  }
}

const clients: SessionFeedbackClient[] = [];
function clientFor(emulator: Emulator, overrides: Partial<SessionFeedbackClientOptions> = {}): TimedClient {
  const client = new TimedClient({
    clientSecret: emulator.clientSecret,
    apiUrl: emulator.apiUrl,
    retries: 0,
    timeoutMs: 1500,
    circuitBreaker: false,
    ...overrides,
  });
  clients.push(client);
  return client;
}

let flows: Flow[] = [];
const verifyCalls: string[] = [];
beforeEach(() => {
  verifyCalls.length = 0;
});
afterEach(async () => {
  for (const flow of flows) await flow.close();
  flows = [];
  for (const client of clients.splice(0)) client.close();
});

type RouterOptions = Partial<BindIdRouterOptions<TestUser>>;

/** The file's emulator (one RSA key for all tests), reset to look new at each `start()`. */
let emulator: Promise<Emulator> | undefined;
afterAll(async () => {
  await (await emulator)?.close();
});

/**
 * A flow whose router gets `router(emulator)` (a fast client without breaker unless given), on the
 * file's emulator reset (no faults, reports or aliases), unless `options` bring their own.
 */
async function start(router: (emulator: Emulator) => RouterOptions = () => ({}), options: FlowOptions = {}): Promise<Flow> {
  let sharedEmulator = options.sharedEmulator;
  if (sharedEmulator === undefined && options.emulator === undefined) {
    emulator ??= createEmulator({ redirectUris: [`${APP_ORIGIN}/bindid/callback`] });
    sharedEmulator = await emulator;
    resetEmulator(sharedEmulator);
  }
  const flow = await createFlow({
    verifyCalls,
    ...options,
    ...(sharedEmulator ? { sharedEmulator } : {}),
    router: (emulator) => {
      const extra = router(emulator);
      return { client: clientFor(emulator), ...extra };
    },
  });
  flows.push(flow);
  return flow;
}

/** Fail-open router options with events recorded and the worker run by hand. */
function open(events: { queued?: ReportQueuedEvent[]; dead?: OutboxDeadLetterEvent[] } = {}, extra: RouterOptions = {}): RouterOptions {
  return {
    failureMode: 'open',
    outboxWorker: { start: false, ...(events.dead ? { onDeadLetter: (e: OutboxDeadLetterEvent) => void events.dead?.push(e) } : {}) },
    ...(events.queued ? { onReportQueued: (e: ReportQueuedEvent) => void events.queued?.push(e) } : {}),
    ...extra,
  };
}

/**
 * Every report queued in `outbox`: what is due an hour after `now`, when every token queued by then
 * has expired but no item has passed its retention yet (so the read drops nothing).
 */
function queuedIn(outbox: Outbox, now = Date.now()): Promise<OutboxItem[]> {
  return outbox.due(now + 3_600_000, 100);
}

function worker(flow: Flow) {
  const w = flow.router?.outboxWorker;
  if (!w) throw new Error('no outbox worker');
  return w;
}

function pendingOf(me: { session: Record<string, unknown> }): unknown {
  return (me.session as { bindid?: { pending?: unknown } }).bindid?.pending;
}

/** The emulator's sub of the BindID user the agent is signing in as (from its pending login). */
function subOf(me: { session: Record<string, unknown> }): string {
  return ((me.session as { bindid: { pending: { claims: { sub: string } } } }).bindid.pending.claims.sub);
}

describe('K. Failure policy, queue, circuit breaker', () => {
  describe('fail closed (the default)', () => {
    it('K99 fail-closed + BindID down: no req.login, no session user, generic retryable 503 page, pending link kept and still single-use', async () => {
      const flow = await start();
      const agent = flow.agent();
      const at = await atConfirmPage(agent);
      const sub = subOf(await whoami(agent));
      flow.emulator.setFault('session-feedback', DOWN);

      const res = await submitConfirm(agent, at.fields);
      expect(res.status).toBe(503);
      expect(res.text).toContain('try again');
      expect(res.headers.location).toBeUndefined();
      expect(res.headers['cache-control']).toBe('no-store');
      const me = await whoami(agent);
      expect(me.user).toBeNull();
      expect((me.session as { passport?: unknown }).passport).toBeUndefined();
      expect(pendingOf(me)).toBeDefined();
      expect(flow.emulator.reports().filter((r) => r.accepted)).toHaveLength(0);

      // Still single-use once BindID is back: of two concurrent confirmations exactly one links, and
      // a replay afterwards signs nothing in and sends nothing.
      flow.emulator.setFault('session-feedback', undefined);
      const { csrf } = await confirmPage(agent);
      const both = await Promise.all([1, 2].map(() => submitConfirm(agent, { ...at.fields, _csrf: csrf })));
      // The loser is 409 (in progress) when it overlaps, 400/403 when its session is already gone.
      expect(both.filter((r) => r.status === 303)).toHaveLength(1);
      expect([400, 403, 409]).toContain(both.find((r) => r.status !== 303)?.status);
      const replay = await submitConfirm(agent, { ...at.fields, _csrf: csrf });
      expect(replay.status).not.toBe(303);
      expect(acceptedPerSub(flow.emulator).get(sub)).toBe(1);
      expect(flow.emulator.reports().filter((r) => r.sub === sub && r.accepted)).toHaveLength(1);
    });

    it('K100 fail-closed retry after the outage: the password is asked again (no "verified" marker survives the failure)', async () => {
      const flow = await start();
      const agent = flow.agent();
      const at = await atConfirmPage(agent);
      flow.emulator.setFault('session-feedback', DOWN);
      expect((await submitConfirm(agent, at.fields)).status).toBe(503);
      flow.emulator.setFault('session-feedback', undefined);

      // The retry page is the password form again.
      const page = await confirmPage(agent);
      expect(page.res.status).toBe(200);
      expect(page.res.text).toMatch(/type="password"/);
      // Without the password (or with a wrong one) nothing is sent and nobody is signed in.
      const before = flow.emulator.reports().length;
      expect((await submitConfirm(agent, { _csrf: page.csrf, username: at.fields.username as string })).status).toBe(401);
      expect((await submitConfirm(agent, { ...at.fields, _csrf: page.csrf, password: 'wrong' })).status).toBe(401);
      expect(flow.emulator.reports()).toHaveLength(before);
      expect((await whoami(agent)).user).toBeNull();
      // The right password, checked again, links and signs in.
      const calls = verifyCalls.length;
      expect((await submitConfirm(agent, { ...at.fields, _csrf: page.csrf })).status).toBe(303);
      expect(verifyCalls.length).toBe(calls + 1);
      expect((await whoami(agent)).user).toEqual(at.user);
    });
  });

  describe('fail open', () => {
    it('K101 fail-open + BindID down: signed in, the report persisted once in the outbox, onReportQueued fired without the token', async () => {
      const outbox = new StoreOutbox(new MemoryBindIdStore());
      const queued: ReportQueuedEvent[] = [];
      const flow = await start(() => open({ queued }, { outbox }));
      const agent = flow.agent();
      const at = await atConfirmPage(agent);
      const token = await pendingAccessToken(agent);
      const sub = subOf(await whoami(agent));
      flow.emulator.setFault('session-feedback', DOWN);
      const debug = captureDebug();
      let res: Awaited<ReturnType<typeof submitConfirm>>;
      try {
        res = await submitConfirm(agent, at.fields);
      } finally {
        debug.stop();
      }

      expect(res.status).toBe(303);
      expect(res.headers.location).toBe('/');
      expect((await whoami(agent)).user).toEqual(at.user);
      const items = await queuedIn(outbox);
      expect(items).toHaveLength(1);
      expect(items[0]).toMatchObject({ id: outboxId(sub, String(at.user.id)), sub, accessToken: token, attempts: 0 });
      expect(items[0]?.report).toMatchObject({ type: 'authentication_performed', alias: String(at.user.id) });
      expect(queued).toHaveLength(1);
      expect(queued[0]).toMatchObject({ sub, alias: String(at.user.id), code: ErrorCode.UNAVAILABLE, added: true });
      expect(Object.keys(queued[0]?.item ?? {})).not.toContain('accessToken');
      expect(queued[0]?.req.session.bindid?.pending).toBeUndefined(); // fired once the token left the session
      expect(JSON.stringify(queued[0]?.item)).not.toContain(token);
      expect(debug.lines.join('\n')).not.toContain(token);
      expect(debug.lines.join('\n')).not.toContain(flow.emulator.clientSecret);
      expect(res.headers.location).not.toContain(token);

      // BindID back: the worker delivers it once, and the outbox is empty.
      flow.emulator.setFault('session-feedback', undefined);
      expect(await worker(flow).runOnce()).toMatchObject({ delivered: 1 });
      expect(await worker(flow).runOnce()).toMatchObject({ delivered: 0 });
      expect(acceptedPerSub(flow.emulator).get(sub)).toBe(1);
      expect(await queuedIn(outbox)).toHaveLength(0);
    });

    it('K101 sendAuthenticationPerformed in fail-open mode: next() once without error, req.bindid.report "queued", the report in the given outbox', async () => {
      const flow = await start();
      const outbox = new StoreOutbox(new MemoryBindIdStore());
      const queued: ReportQueuedEvent[] = [];
      const app = createMiddlewareApp(flow.emulator, {
        client: clientFor(flow.emulator),
        failureMode: 'open',
        outbox,
        outboxWorker: { start: false },
        onReportQueued: (e) => void queued.push(e),
        onLinked: (e) => void linked.push(e.queued),
      });
      const linked: boolean[] = [];
      const login = await app.seed();
      flow.emulator.setFault('session-feedback', DOWN);
      const res = await app.confirm({ username: 'alice', password: 'alice-password' });
      expect(res.status).toBe(200);
      expect(res.body.user).toMatchObject({ id: 1 });
      expect(app.nexts).toEqual([undefined]);
      expect(queued).toHaveLength(1);
      expect(linked).toEqual([true]);
      const items = await outbox.due(Date.now() + 1, 10);
      expect(items).toHaveLength(1);
      expect(items[0]).toMatchObject({ sub: login.claims.sub, accessToken: login.accessToken, report: { alias: '1' } });
    });

    it('K102 fail-open queue across a process restart: instance 2 on the same shared BindIdStore delivers it before any request reaches it; exactly one 200 at BindID', async () => {
      const shared = new MemoryBindIdStore(); // stands for Redis: it outlives both instances
      const options = () => open({}, { store: shared, outbox: new StoreOutbox(shared) });
      const first = await start(options);
      const emulator = first.emulator;
      const agent = first.agent();
      const at = await atConfirmPage(agent);
      const sub = subOf(await whoami(agent));
      emulator.setFault('session-feedback', DOWN);
      expect((await submitConfirm(agent, at.fields)).status).toBe(303);
      await worker(first).stop();
      flows = flows.filter((f) => f !== first);

      const second = await start(options, { sharedEmulator: emulator });
      flows.push(first);
      emulator.setFault('session-feedback', undefined);
      expect(await worker(second).runOnce()).toMatchObject({ delivered: 1, retried: 0 });
      expect(await worker(second).runOnce()).toMatchObject({ delivered: 0 });
      expect(emulator.reports().filter((r) => r.sub === sub && r.status === 200)).toHaveLength(1);
      expect(acceptedPerSub(emulator).get(sub)).toBe(1);
      expect(emulator.aliasOf(sub)).toBe(String(at.user.id));
      expect(await queuedIn(new StoreOutbox(shared))).toEqual([]); // nothing left in the outbox
      // The link (one-to-one) survived the restart in the shared store too.
      expect(await new LinkRegistry(shared).isLinked(String(at.user.id), sub)).toBe(true);
    });

    it('K103 an item past its access-token expiry is not sent: dead-letter event, removed, no further retries (injected clock)', async () => {
      let clock = Date.now();
      const outbox = new StoreOutbox(new MemoryBindIdStore({ now: () => clock }), { now: () => clock });
      const dead: OutboxDeadLetterEvent[] = [];
      const flow = await start(() => open({ dead }, { now: () => clock, outbox }));
      const agent = flow.agent();
      const at = await atConfirmPage(agent);
      const token = await pendingAccessToken(agent);
      flow.emulator.setFault('session-feedback', DOWN);
      expect((await submitConfirm(agent, at.fields)).status).toBe(303);
      const [item] = await queuedIn(outbox, clock);
      // The item lives exactly as long as the access token (emulator: 3600 s).
      expect(item?.expiresAt).toBe(clock + 3_600_000);

      // A retry while the token is valid, BindID still down.
      expect(await worker(flow).runOnce()).toMatchObject({ retried: 1 });
      const sent = flow.emulator.reports().length;
      flow.emulator.setFault('session-feedback', undefined);
      clock += 3_600_000;
      expect(await worker(flow).runOnce()).toMatchObject({ deadLettered: 1, delivered: 0 });
      expect(flow.emulator.reports()).toHaveLength(sent);
      expect(dead).toHaveLength(1);
      expect(dead[0]).toMatchObject({ reason: 'expired', item: { attempts: 1 } });
      expect(JSON.stringify(dead[0])).not.toContain(token);
      expect(await queuedIn(outbox, clock)).toHaveLength(0);
      clock += 3_600_000;
      expect(await worker(flow).runOnce()).toEqual({ delivered: 0, retried: 0, deadLettered: 0, skipped: 0, failed: 0 });
      expect(flow.emulator.reports()).toHaveLength(sent);
    });

    it('K104 queued retries keep the original time; two queue attempts for one (sub, alias) make one item and one report', async () => {
      let clock = Date.now();
      const original = Math.floor(clock / 1000);
      const outbox = new StoreOutbox(new MemoryBindIdStore({ now: () => clock }), { now: () => clock });
      const queued: ReportQueuedEvent[] = [];
      const flow = await start(() => open({ queued }, { now: () => clock, outbox }));
      const user = freshUser();
      const fields = (csrf: string) => ({ _csrf: csrf, username: user.username, password: user.password });
      flow.emulator.setFault('session-feedback', DOWN);

      // The BindID user confirms the account while BindID is down; a minute later signs in again from
      // another browser (self-heal queues the same (sub, alias) again).
      const agent = flow.agent();
      expect((await bindIdSignIn(agent, 'alice')).headers.location).toBe('/bindid/confirm');
      const { csrf } = await confirmPage(agent);
      expect((await submitConfirm(agent, fields(csrf))).status).toBe(303);
      clock += 60_000;
      const other = flow.agent();
      expect((await bindIdSignIn(other, 'alice')).headers.location).toBe('/');
      expect((await whoami(other)).user).toEqual({ id: user.id, username: user.username });
      expect(queued.map((e) => e.added)).toEqual([true, false]);
      expect(await queuedIn(outbox, clock)).toHaveLength(1);

      // Retries (down, then up) long after: the report keeps the time of the first confirmation.
      expect(await worker(flow).runOnce()).toMatchObject({ retried: 1 });
      const [retried] = await queuedIn(outbox, clock);
      expect(retried).toMatchObject({ attempts: 1, report: { time: original } });
      clock += 10 * 60_000;
      flow.emulator.setFault('session-feedback', undefined);
      expect(await worker(flow).runOnce()).toMatchObject({ delivered: 1 });
      const sub = queued[0]?.sub as string;
      const accepted = flow.emulator.reports().filter((r) => r.accepted && r.sub === sub);
      expect(accepted).toHaveLength(1);
      expect(accepted[0]?.time).toBe(original);
    });

    describe('K105 self-heal', () => {
      /** Link `user` to BindID identity `alice` while BindID is down (fail-open); returns the sub. */
      async function linkWhileDown(flow: Flow, agent: Agent): Promise<{ at: AtConfirmPage; sub: string }> {
        flow.emulator.setFault('session-feedback', DOWN);
        expect((await bindIdSignIn(agent, 'alice')).headers.location).toBe('/bindid/confirm');
        const { csrf } = await confirmPage(agent);
        const u = freshUser();
        const at: AtConfirmPage = {
          csrf,
          fields: { _csrf: csrf, username: u.username, password: u.password },
          user: { id: u.id, username: u.username },
        };
        const sub = subOf(await whoami(agent));
        expect((await submitConfirm(agent, at.fields)).status).toBe(303);
        return { at, sub };
      }

      it('K105 the next BindID sign-in without bindid_alias re-sends the report with the NEW token and signs in without the password', async () => {
        const recognized: Array<RecognizedEvent<TestUser>> = [];
        const flow = await start(() => open({}, { onRecognized: (e) => void recognized.push(e) }));
        const { at, sub } = await linkWhileDown(flow, flow.agent());
        // BindID is back, the queued report not delivered yet, and the old token no longer valid.
        flow.emulator.setFault('session-feedback', undefined);
        flow.emulator.expireAccessTokens();
        const calls = verifyCalls.length;

        const agent = flow.agent();
        const res = await bindIdSignIn(agent, 'alice', '/account');
        expect(res.status).toBe(303);
        expect(res.headers.location).toBe('/account');
        expect(verifyCalls.length).toBe(calls);
        expect((await whoami(agent)).user).toEqual(at.user);
        expect(recognized).toHaveLength(1);
        expect(recognized[0]).toMatchObject({ healed: true, alias: String(at.user.id) });
        // Only a report signed with the new token could be accepted; the old queued one is gone.
        expect(acceptedPerSub(flow.emulator).get(sub)).toBe(1);
        expect(flow.emulator.aliasOf(sub)).toBe(String(at.user.id));
        expect(await worker(flow).runOnce()).toMatchObject({ delivered: 0, retried: 0 });
        // BindID now knows the alias: the next sign-in is an ordinary recognized one.
        const later = flow.agent();
        expect((await bindIdSignIn(later, 'alice')).status).toBe(303);
        expect(recognized[1]).toMatchObject({ healed: false });
      });

      it('K105 heals after a dead letter too, and re-queues (still signing in) while BindID is down', async () => {
        let clock = Date.now();
        const dead: OutboxDeadLetterEvent[] = [];
        const queued: ReportQueuedEvent[] = [];
        const flow = await start(() => open({ dead, queued }, { now: () => clock }));
        const { at, sub } = await linkWhileDown(flow, flow.agent());
        clock += 3_600_000;
        expect(await worker(flow).runOnce()).toMatchObject({ deadLettered: 1 });
        expect(dead).toHaveLength(1);
        flow.emulator.expireAccessTokens();

        // Still down: the report is queued again with the new token and the user signed in.
        const agent = flow.agent();
        expect((await bindIdSignIn(agent, 'alice')).headers.location).toBe('/');
        expect((await whoami(agent)).user).toEqual(at.user);
        expect(queued.map((e) => [e.added, e.code])).toEqual([
          [true, ErrorCode.UNAVAILABLE], // the first confirmation
          [true, ErrorCode.UNAVAILABLE], // the self-heal, with the new token
        ]);
        flow.emulator.setFault('session-feedback', undefined);
        expect(await worker(flow).runOnce()).toMatchObject({ delivered: 1 });
        expect(acceptedPerSub(flow.emulator).get(sub)).toBe(1);
      });

      it('K105 a self-heal BindID refuses (400) or an unreadable self-heal record falls back to the password', async () => {
        const store = new KeyListingStore();
        const flow = await start(() => open({}, { store }));
        const linked = await linkWhileDown(flow, flow.agent());
        flow.emulator.setFault('session-feedback', { status: 400 });
        const before = flow.emulator.reports().length;
        expect((await bindIdSignIn(flow.agent(), 'alice')).headers.location).toBe('/bindid/confirm');
        expect(flow.emulator.reports()).toHaveLength(before + 1);

        flow.emulator.setFault('session-feedback', undefined);
        const keys = await store.keys('heal:');
        expect(keys).toHaveLength(1);
        await store.set(keys[0] as string, '{not json');
        expect((await bindIdSignIn(flow.agent(), 'alice')).headers.location).toBe('/bindid/confirm');
        await store.set(keys[0] as string, JSON.stringify({ alias: String(linked.at.user.id), time: -1 }));
        expect((await bindIdSignIn(flow.agent(), 'alice')).headers.location).toBe('/bindid/confirm');
        expect(flow.emulator.reports()).toHaveLength(before + 1);
      });

      it('K105 no self-heal in fail-closed mode, nor once the app forgot the link: the password is asked', async () => {
        // Fail closed: a link BindID lost (alias removed) means the confirm page again.
        const closed = await start();
        const a = closed.agent();
        const at = await atConfirmPage(a, 'alice');
        expect((await submitConfirm(a, at.fields)).status).toBe(303);
        const sub = closed.emulator.subOf('alice') as string;
        closed.emulator.setAlias(sub, undefined);
        expect((await bindIdSignIn(closed.agent(), 'alice')).headers.location).toBe('/bindid/confirm');

        // Fail open, but the app revoked the link (password reset): no heal.
        const store = new MemoryBindIdStore();
        const flow = await start(() => open({}, { store }));
        const linked = await linkWhileDown(flow, flow.agent());
        await new LinkRegistry(store).forget(String(linked.at.user.id), linked.sub);
        flow.emulator.setFault('session-feedback', undefined);
        const before = flow.emulator.reports().length;
        expect((await bindIdSignIn(flow.agent(), 'alice')).headers.location).toBe('/bindid/confirm');
        expect(flow.emulator.reports()).toHaveLength(before);
      });
    });
  });

  describe('circuit breaker', () => {
    it('K106 after K consecutive failures the breaker opens: the next confirm fails at once (no time passes, no request) closed, or enqueues without I/O open', async () => {
      for (const mode of ['closed', 'open'] as const) {
        let client: TimedClient | undefined;
        const errors: FeedbackErrorEvent[] = [];
        const flow = await start((emulator) => {
          client = clientFor(emulator, { timeoutMs: 1500, circuitBreaker: { failureThreshold: 2, resetMs: 60_000 } });
          return {
            client,
            onFeedbackError: (e) => void errors.push(e),
            ...(mode === 'open' ? open() : {}),
          };
        });
        flow.emulator.setFault('session-feedback', DOWN);
        for (let i = 0; i < 2; i++) {
          const agent = flow.agent();
          await submitConfirm(agent, (await atConfirmPage(agent)).fields);
        }
        // BindID now hangs: without the breaker the next report would wait for the whole deadline
        // (which, on the fake clock, never comes by itself): the test ends as soon as it reaches BindID.
        flow.emulator.setFault('session-feedback', { hang: true });
        const agent = flow.agent();
        const at = await atConfirmPage(agent);
        const before = flow.emulator.reports().length;
        let answered = false;
        const answer = submitConfirm(agent, at.fields).then((res) => {
          answered = true;
          return res;
        });
        await until(() => answered || flow.emulator.reports().length > before, 'the answer, or the report reaching BindID');
        expect(flow.emulator.reports()).toHaveLength(before);
        const res = await answer;
        expect(client?.durations.at(-1)).toBe(0); // no deadline or backoff waited on
        expect(errors.at(-1)?.error).toMatchObject({ code: ErrorCode.UNAVAILABLE, attempts: 0 });
        if (mode === 'closed') {
          expect(res.status).toBe(503);
          expect((await whoami(agent)).user).toBeNull();
        } else {
          expect(res.status).toBe(303);
          expect((await whoami(agent)).user).toEqual(at.user);
        }
        flow.emulator.setFault('session-feedback', undefined);
      }
    });

    it('K107 after the reset timeout exactly one half-open probe goes out: success closes the breaker, failure reopens it', async () => {
      const RESET_MS = 1000;
      const flow = await start((emulator) => ({
        client: clientFor(emulator, { circuitBreaker: { failureThreshold: 1, resetMs: RESET_MS } }),
      }));
      const count = () => flow.emulator.reports().length;
      // Browsers wait at the confirm page before the clock matters, so only the POSTs are timed.
      type Browser = { agent: Agent; at: AtConfirmPage };
      const browser = async (): Promise<Browser> => {
        const agent = flow.agent();
        return { agent, at: await atConfirmPage(agent) };
      };
      const submit = ({ agent, at }: Browser) => submitConfirm(agent, at.fields);
      // The breaker reads the fake clock: the circuit stays open until the test moves it by RESET_MS.
      const rest = () => jest.advanceTimersByTimeAsync(RESET_MS);

      // Failure reopens: one failure opens the circuit; after the reset, of two concurrent
      // confirmations only one probes (and fails), and the next one sends nothing.
      const [a, b, c, d, e] = await Promise.all([browser(), browser(), browser(), browser(), browser()]);
      flow.emulator.setFault('session-feedback', DOWN);
      expect((await submit(a)).status).toBe(503);
      let before = count();
      expect((await submit(b)).status).toBe(503);
      expect(count()).toBe(before);
      await jest.advanceTimersByTimeAsync(RESET_MS - 1);
      expect((await submit(b)).status).toBe(503); // one ms before the reset: still open
      expect(count()).toBe(before);
      await jest.advanceTimersByTimeAsync(1);
      before = count();
      expect((await Promise.all([submit(c), submit(d)])).map((r) => r.status)).toEqual([503, 503]);
      expect(count()).toBe(before + 1);
      expect((await submit(e)).status).toBe(503);
      expect(count()).toBe(before + 1);

      // Success closes: one probe after the reset, then reports flow again.
      const [f, g] = await Promise.all([browser(), browser()]);
      await rest();
      flow.emulator.setFault('session-feedback', undefined);
      before = count();
      expect((await submit(f)).status).toBe(303);
      expect(count()).toBe(before + 1);
      expect((await whoami(f.agent)).user).toEqual(f.at.user);
      expect((await submit(g)).status).toBe(303);
      expect(count()).toBe(before + 2);
    });
  });

  describe('outbox failures', () => {
    it('K108 the outbox cannot persist in fail-open mode: falls back to fail closed (not signed in, 503, pending kept), never "signed in and report lost"', async () => {
      const queued: ReportQueuedEvent[] = [];
      let broken = true;
      const inner = new StoreOutbox(new MemoryBindIdStore());
      const outbox: Outbox = {
        enqueue: (item) => (broken ? Promise.reject(new Error('ECONNREFUSED store')) : inner.enqueue(item)),
        due: (now, limit) => inner.due(now, limit),
        claim: (id, ms) => inner.claim(id, ms),
        get: (id) => inner.get(id),
        update: (item, lease) => inner.update(item, lease),
        remove: (id, lease) => inner.remove(id, lease),
      };
      const flow = await start(() => open({ queued }, { outbox }));
      const agent = flow.agent();
      const at = await atConfirmPage(agent);
      const sub = subOf(await whoami(agent));
      flow.emulator.setFault('session-feedback', DOWN);

      const token = await pendingAccessToken(agent);
      const res = await submitConfirm(agent, at.fields);
      expect(res.status).toBe(503);
      expect(res.text).toContain('try again');
      expect(res.text).not.toContain(token);
      expect(JSON.stringify(res.headers)).not.toContain(token);
      const me = await whoami(agent);
      expect(me.user).toBeNull();
      expect(pendingOf(me)).toBeDefined();
      expect(queued).toHaveLength(0);
      expect(await inner.due(Date.now() + 1, 10)).toHaveLength(0);

      // The kept pending login still works (password again) once the outbox or BindID is back.
      broken = false;
      const { csrf } = await confirmPage(agent);
      expect((await submitConfirm(agent, { ...at.fields, _csrf: csrf })).status).toBe(303);
      expect((await whoami(agent)).user).toEqual(at.user);
      expect(queued).toHaveLength(1);
      flow.emulator.setFault('session-feedback', undefined);
      expect(await worker(flow).runOnce()).toMatchObject({ delivered: 1 });
      expect(acceptedPerSub(flow.emulator).get(sub)).toBe(1);
    });

    it('K108 sendAuthenticationPerformed with a failing outbox: next(err) once with the retryable 503 error, nobody signed in', async () => {
      const flow = await start();
      const store = new KeyListingStore();
      const outbox = new StoreOutbox(store);
      const queued: ReportQueuedEvent[] = [];
      const app = createMiddlewareApp(flow.emulator, {
        client: clientFor(flow.emulator),
        failureMode: 'open',
        outbox: {
          enqueue: () => Promise.reject(new Error('store down')),
          due: (now, limit) => outbox.due(now, limit),
          claim: (id, ms) => outbox.claim(id, ms),
          get: (id) => outbox.get(id),
          update: (item, lease) => outbox.update(item, lease),
          remove: (id, lease) => outbox.remove(id, lease),
        },
        outboxWorker: false,
        onReportQueued: (e) => void queued.push(e),
      });
      await app.seed();
      flow.emulator.setFault('session-feedback', DOWN);
      const res = await app.confirm({ username: 'alice', password: 'alice-password' });
      expect(res.status).toBe(503);
      expect(res.body).toEqual({ code: ErrorCode.UNAVAILABLE });
      expect(app.nexts).toHaveLength(1);
      expect(app.nexts[0]).toMatchObject({ code: ErrorCode.UNAVAILABLE, retryable: true });
      expect(app.errors).toHaveLength(1);
      expect(queued).toHaveLength(0);
      expect(await store.keys('')).toEqual([]);
      // The pending login was kept: with BindID back the same confirmation goes through.
      flow.emulator.setFault('session-feedback', undefined);
      expect((await app.confirm({ username: 'alice', password: 'alice-password' })).status).toBe(200);
    });
  });

  describe('options', () => {
    const base = {
      issuer: 'https://signin.bindid-sandbox.io',
      clientId: 'c',
      clientSecret: 's',
      apiUrl: 'https://api.bindid-sandbox.io',
      baseUrl: APP_ORIGIN,
      findUserByAlias: () => null,
    };

    it('validates failureMode, outbox and outboxWorker at factory time, naming the option', async () => {
      const { bindIdRouter, sendAuthenticationPerformed } = await import('../../src/index.js');
      const bad: Array<[Record<string, unknown>, RegExp]> = [
        [{ failureMode: 'half' }, /option `failureMode` must be one of "closed", "open"/],
        [{ failureMode: 'open', outbox: {} }, /option `outbox` must be an Outbox/],
        [{ outbox: new StoreOutbox(new MemoryBindIdStore()) }, /option `outbox` is only used with failureMode: 'open'/],
        [{ outboxWorker: { start: false } }, /option `outboxWorker` is only used with failureMode: 'open'/],
        [{ onReportQueued: () => undefined }, /option `onReportQueued` is only used/],
        [{ failureMode: 'open', outboxWorker: { intervalMs: 1 } }, /option `outboxWorker.intervalMs` must be a whole number/],
        [{ failureMode: 'open', outboxWorker: { every: 5 } }, /`outboxWorker.every` is not a known option/],
      ];
      for (const [options, message] of bad) {
        expect(() => bindIdRouter({ ...base, ...options } as never)).toThrow(message);
        expect(() => sendAuthenticationPerformed({ clientSecret: 's', apiUrl: 'https://api.bindid-sandbox.io', ...options } as never)).toThrow(message);
      }
      const router = bindIdRouter({ ...base, failureMode: 'open', outboxWorker: { start: false } });
      expect(router.outboxWorker).toBeDefined();
      expect(bindIdRouter(base).outboxWorker).toBeUndefined();
      expect(bindIdRouter({ ...base, failureMode: 'open', outboxWorker: false }).outboxWorker).toBeUndefined();
    });
  });
});
