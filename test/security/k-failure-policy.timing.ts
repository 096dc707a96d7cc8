/**
 * K106 on the real clock, run by `npm run test:timing` (jest.timing.config.js: one worker), not by
 * `npm test`. test/security/k-failure-policy.test.ts checks on Jest's fake clock that an open
 * breaker fails the report with no request and no time passing; this suite checks that, with real
 * timers and sockets, it fails fast: the report takes under 50 ms (docs/security.md, K106) while
 * BindID hangs and the client's deadline is 1.5 s. Margin: the refused report is a few synchronous
 * checks (well under a millisecond on an idle machine); 50 ms is 30 times less than the deadline.
 */
import { ErrorCode, SessionFeedbackClient } from '../../src/index.js';
import type { FeedbackErrorEvent } from '../../src/confirm/confirm-options.js';
import type { SessionFeedbackReport } from '../../src/feedback/index.js';
import { atConfirmPage, createFlow, type Flow, submitConfirm } from '../helpers/flow.js';

/** A feedback client that records how long each report took, in real ms. */
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

let flow: Flow | undefined;
let client: TimedClient | undefined;
afterEach(async () => {
  client?.close();
  await flow?.close();
});

it('K106 after 2 consecutive failures the breaker opens: with BindID hanging, the next report fails in under 50 ms, with no request', async () => {
  const errors: FeedbackErrorEvent[] = [];
  flow = await createFlow({
    router: (emulator) => {
      client = new TimedClient({
        clientSecret: emulator.clientSecret,
        apiUrl: emulator.apiUrl,
        retries: 0,
        timeoutMs: 1500,
        circuitBreaker: { failureThreshold: 2, resetMs: 60_000 },
      });
      return { client, onFeedbackError: (e) => void errors.push(e) };
    },
  });
  flow.emulator.setFault('session-feedback', { status: 503 });
  for (let i = 0; i < 2; i++) {
    const agent = flow.agent();
    expect((await submitConfirm(agent, (await atConfirmPage(agent)).fields)).status).toBe(503);
  }
  flow.emulator.setFault('session-feedback', { hang: true });
  const agent = flow.agent();
  const at = await atConfirmPage(agent);
  const before = flow.emulator.reports().length;
  expect((await submitConfirm(agent, at.fields)).status).toBe(503);
  const ms = client?.durations.at(-1) ?? Number.NaN;
  console.log(`K106: the refused report took ${ms.toFixed(2)} ms`);
  expect(flow.emulator.reports()).toHaveLength(before);
  expect(errors.at(-1)?.error).toMatchObject({ code: ErrorCode.UNAVAILABLE, attempts: 0 });
  expect(ms).toBeLessThan(50);
});
