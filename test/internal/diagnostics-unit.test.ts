/**
 * src/internal/diagnostics.ts on its own: what a subscriber receives when the traced operation
 * fails with an error that is not a BindIdError, when an error carries no code, and that nothing
 * is built or published while nobody listens.
 */
import diagnostics from 'node:diagnostics_channel';
import { DIAGNOSTICS_CHANNELS, ErrorCode } from '../../src/index.js';
import { BindIdFeedbackError } from '../../src/errors.js';
import { publish, traceSessionFeedback, traceTokenExchange } from '../../src/internal/diagnostics.js';

function subscribeTracing(name: string): { events: Array<[string, Record<string, unknown>]>; stop(): void } {
  const events: Array<[string, Record<string, unknown>]> = [];
  const handlers = Object.fromEntries(
    (['start', 'end', 'asyncStart', 'asyncEnd', 'error'] as const).map((event) => [event, (context: object) => events.push([event, { ...context }])]),
  ) as unknown as diagnostics.TracingChannelSubscribers<object>;
  diagnostics.tracingChannel(name).subscribe(handlers);
  return { events, stop: () => diagnostics.tracingChannel(name).unsubscribe(handlers) };
}

describe('diagnostics tracing', () => {
  it('publishes a plain Error naming the class when the failure is not a BindIdError; the caller gets the original', async () => {
    const sub = subscribeTracing(DIAGNOSTICS_CHANNELS.tokenExchange);
    try {
      const original = new RangeError('token eyJhbGciOi.secret.part in a message');
      await expect(traceTokenExchange(() => Promise.reject(original), () => true)).rejects.toBe(original);
      const [, errorContext] = sub.events.find(([event]) => event === 'error') ?? [];
      const published = errorContext?.error as Error;
      expect(published).toBeInstanceOf(Error);
      expect(published.message).toBe('RangeError (not a BindIdError)');
      expect(errorContext).not.toHaveProperty('code');
      expect(JSON.stringify(sub.events)).not.toContain('secret.part');
    } finally {
      sub.stop();
    }
  });

  it('a rejection with something that is not an Error is named by its type', async () => {
    const sub = subscribeTracing(DIAGNOSTICS_CHANNELS.tokenExchange);
    try {
      await expect(traceTokenExchange(() => Promise.reject('a string'), () => true)).rejects.toBe('a string');
      const [, errorContext] = sub.events.find(([event]) => event === 'error') ?? [];
      expect((errorContext?.error as Error | undefined)?.message).toBe('string (not a BindIdError)');
    } finally {
      sub.stop();
    }
  });

  it('publishes a BindIdError as it is, with its code, and only the safe fields on the report context', async () => {
    const sub = subscribeTracing(DIAGNOSTICS_CHANNELS.sessionFeedback);
    try {
      const err = new BindIdFeedbackError(ErrorCode.REJECTED, 'BindID refused the report', { status: 502, attempts: 2, upstreamStatus: 400 });
      await expect(traceSessionFeedback('alias_updated', () => Promise.reject(err))).rejects.toBe(err);
      const end = sub.events.find(([event]) => event === 'asyncEnd')?.[1];
      expect(end).toMatchObject({ type: 'alias_updated', code: 'ERR_BINDID_REJECTED', status: 400, attempts: 2, error: err });
      expect(end).not.toHaveProperty('result');
    } finally {
      sub.stop();
    }
  });

  it('an error without code, status or attempts adds none of them; a success resolves with nothing for Node to attach', async () => {
    const sub = subscribeTracing(DIAGNOSTICS_CHANNELS.sessionFeedback);
    try {
      await expect(traceSessionFeedback('alias_deleted', () => Promise.reject(new BindIdFeedbackError(ErrorCode.REJECTED, 'x')))).rejects.toThrow('x');
      const failed = sub.events.filter(([event]) => event === 'asyncEnd').at(-1)?.[1];
      expect(Object.keys(failed ?? {}).sort()).toEqual(['code', 'durationMs', 'error', 'type']);

      await expect(traceSessionFeedback('alias_deleted', async () => ({ status: 200, attempts: 1, accessToken: 'never-published' }))).resolves.toMatchObject({
        accessToken: 'never-published',
      });
      const succeeded = sub.events.filter(([event]) => event === 'asyncEnd').at(-1)?.[1];
      expect(succeeded).toMatchObject({ type: 'alias_deleted', status: 200, attempts: 1 });
      expect(succeeded?.result).toBeUndefined();
      expect(JSON.stringify(succeeded)).not.toContain('never-published');
    } finally {
      sub.stop();
    }
  });

  it('a failed token exchange carries the error code and no returningUser', async () => {
    const sub = subscribeTracing(DIAGNOSTICS_CHANNELS.tokenExchange);
    try {
      const err = new BindIdFeedbackError(ErrorCode.UNAVAILABLE, 'down', { status: 503, retryable: true });
      await expect(traceTokenExchange(() => Promise.reject(err), () => true)).rejects.toBe(err);
      const end = sub.events.find(([event]) => event === 'asyncEnd')?.[1];
      expect(end).toMatchObject({ code: 'ERR_BINDID_UNAVAILABLE' });
      expect(end).not.toHaveProperty('returningUser');
    } finally {
      sub.stop();
    }
  });

  it('without subscribers: the operation runs untraced, and no message is even built', async () => {
    await expect(traceTokenExchange(async () => 'tokens', () => false)).resolves.toBe('tokens');
    const build = jest.fn(() => ({ limit: 'account' as const, count: 11 }));
    publish('attemptsLocked', build);
    expect(build).not.toHaveBeenCalled();

    const seen: unknown[] = [];
    const handler = (message: unknown) => seen.push(message);
    diagnostics.subscribe(DIAGNOSTICS_CHANNELS.attemptsLocked, handler);
    try {
      publish('attemptsLocked', build);
      expect(seen).toEqual([{ limit: 'account', count: 11 }]);
    } finally {
      diagnostics.unsubscribe(DIAGNOSTICS_CHANNELS.attemptsLocked, handler);
    }
  });
});
