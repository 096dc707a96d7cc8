/**
 * J80 and J98 on the real clock, run by `npm run test:timing` (jest.timing.config.js: one worker),
 * not by `npm test`. test/security/j-outbound.test.ts checks the same journeys on Jest's fake clock:
 * nothing is answered before the deadline and the page comes at it, whatever the machine's speed.
 * This suite checks that with real timers and real sockets the user waits about the deadline: no
 * more (BindID hangs), and not until an answer that comes after it.
 *
 * Margins, for a loaded 2-core machine: the deadline is 400 ms; the page must come after at least
 * 395 ms (a timer may fire up to a millisecond early against `performance.now()`) and within 1 s
 * more than the deadline (the request and the page take a few milliseconds on an idle machine).
 * The late answer comes 2.5 s after the deadline: the page must come at least 1 s before it.
 */
import { ErrorCode, SessionFeedbackClient } from '../../src/index.js';
import type { FeedbackErrorEvent } from '../../src/confirm/confirm-options.js';
import { closeClients, makeClient, SECRET } from '../helpers/feedback.js';
import { bindIdSignIn, confirmPage, createFlow, type Flow, freshUser, submitConfirm, whoami } from '../helpers/flow.js';

const DEADLINE_MS = 400;
/** What the page may take beyond the deadline. */
const SLACK_MS = 1000;
/** How much later than the deadline the late answer comes. */
const LATE_MS = 2500;

let flow: Flow | undefined;
afterEach(async () => {
  closeClients();
  await flow?.close();
  flow = undefined;
});

/** A browser at the confirm page of `f`, and the form of a fresh user. */
async function atConfirmPage(f: Flow) {
  const agent = f.agent();
  await bindIdSignIn(agent, 'new');
  const { csrf } = await confirmPage(agent);
  const u = freshUser();
  return { agent, fields: { _csrf: csrf, username: u.username, password: u.password } };
}

/** `fn`'s result and how long it took, in ms. */
async function timed<T>(fn: () => PromiseLike<T>): Promise<{ ms: number; value: T }> {
  const started = performance.now();
  const value = await fn();
  return { ms: performance.now() - started, value };
}

it('J80 BindID never answers: the "try again" page comes at the deadline (400 ms), not later', async () => {
  const events: FeedbackErrorEvent[] = [];
  flow = await createFlow({
    emulator: { clientSecret: SECRET },
    router: (emulator) => ({
      clientSecret: SECRET,
      client: new SessionFeedbackClient({ clientSecret: SECRET, apiUrl: emulator.apiUrl, timeoutMs: DEADLINE_MS, retries: 2, circuitBreaker: false }),
      onFeedbackError: (e) => void events.push(e),
    }),
  });
  const { agent, fields } = await atConfirmPage(flow);
  flow.emulator.setFault('session-feedback', { hang: true });
  const { ms, value: res } = await timed(() => submitConfirm(agent, fields));
  console.log(`J80: the page came after ${Math.round(ms)} ms (deadline ${DEADLINE_MS} ms)`);
  expect(res.status).toBe(503);
  expect(events.map((e) => e.error.code)).toEqual([ErrorCode.TIMEOUT]);
  expect(ms).toBeGreaterThanOrEqual(DEADLINE_MS - 5);
  expect(ms).toBeLessThan(DEADLINE_MS + SLACK_MS);
});

it('J98 an answer 2.5 s after the deadline: the page comes at the deadline, and the late answer changes nothing', async () => {
  const errors: unknown[] = [];
  flow = await createFlow({
    errors,
    emulator: { clientSecret: SECRET },
    router: (emulator) => {
      // BindID holds its answer until LATE_MS after the deadline.
      emulator.setFault('session-feedback', { delayMs: DEADLINE_MS + LATE_MS, times: 1 });
      return { clientSecret: SECRET, client: makeClient(emulator.apiUrl, { timeoutMs: DEADLINE_MS, retries: 0 }) };
    },
  });
  const { agent, fields } = await atConfirmPage(flow);
  const { ms, value: res } = await timed(() => submitConfirm(agent, fields));
  console.log(`J98: the page came after ${Math.round(ms)} ms (deadline ${DEADLINE_MS} ms, answer at ${DEADLINE_MS + LATE_MS} ms)`);
  expect(res.status).toBe(503);
  expect(ms).toBeLessThan(DEADLINE_MS + LATE_MS - 1000);
  await new Promise((resolve) => setTimeout(resolve, LATE_MS + 300)); // the late answer would have come
  expect(errors).toEqual([]);
  expect((await whoami(agent)).user).toBeNull();
});
