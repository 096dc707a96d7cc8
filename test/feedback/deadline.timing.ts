/**
 * The overall deadline of `SessionFeedbackClient` in real time (checklist J 80–81), against a fake
 * BindID that hangs or trickles: `npm run test:timing` (one worker), not `npm test`.
 *
 * client-faults.test.ts checks the same deadlines on a fake clock, to the millisecond; this suite
 * checks that they hold on the real clock too, with real sockets: the call ends no earlier than
 * `timeoutMs` (minus 5 ms: a timer may fire a hair early against `performance.now()`) and no later
 * than `timeoutMs` + SLACK_MS. SLACK_MS (250 ms) is what a loaded CI machine adds to a timer and a
 * socket teardown; a client that waited for the socket, for the end of a trickling body, for a
 * backoff past the deadline would overshoot it by far more (a second or more
 * in each case below).
 */
import { ErrorCode } from '../../src/index.js';
import { type FakeBindId, reply } from '../helpers/fake-bindid.js';
import { makeClient, newToken, timed, useFakeBindId } from '../helpers/feedback.js';

let bindid: FakeBindId;
useFakeBindId((server) => (bindid = server));

const SLACK_MS = 250;
const report = () => ({ accessToken: newToken(), alias: 'user-1' });

/** The call ended between `timeoutMs` and `timeoutMs` + SLACK_MS after it started. */
function expectAtDeadline(ms: number, timeoutMs: number): void {
  expect(ms).toBeGreaterThanOrEqual(timeoutMs - 5);
  expect(ms).toBeLessThan(timeoutMs + SLACK_MS);
}

describe('the overall deadline, in real time', () => {
  it('J80 a server that never answers → ERR_BINDID_TIMEOUT at timeoutMs', async () => {
    bindid.setDefault(reply.hang());
    const { ms, error } = await timed(() => makeClient(bindid.url, { timeoutMs: 300 }).authenticationPerformed(report()));
    expect(error).toMatchObject({ code: ErrorCode.TIMEOUT, attempts: 1 });
    expectAtDeadline(ms, 300);
  });

  it('J81 a 503 whose body trickles (a byte every 20 ms, for ever) is cut at the deadline', async () => {
    bindid.setDefault(reply.trickle(503, 20));
    const { ms, error } = await timed(() => makeClient(bindid.url, { timeoutMs: 300 }).aliasDeleted({ accessToken: newToken() }));
    expect(error).toMatchObject({ code: ErrorCode.TIMEOUT, attempts: 1 });
    expectAtDeadline(ms, 300);
  });

  it('J81 a 200 whose body trickles returns at the deadline, as a success', async () => {
    bindid.setDefault(reply.trickle(200, 20));
    const { ms, value } = await timed(() => makeClient(bindid.url, { timeoutMs: 300 }).aliasDeleted({ accessToken: newToken() }));
    expect(value).toMatchObject({ status: 200, attempts: 1 });
    expectAtDeadline(ms, 300);
  });

  it('J80 a 503 and then a hang: TIMEOUT after 2 attempts, at the deadline', async () => {
    bindid.script(reply.status(503), reply.hang());
    const { ms, error } = await timed(() => makeClient(bindid.url, { timeoutMs: 400 }).aliasDeleted({ accessToken: newToken() }));
    expect(error).toMatchObject({ code: ErrorCode.TIMEOUT, attempts: 2 });
    expectAtDeadline(ms, 400);
  });
});
