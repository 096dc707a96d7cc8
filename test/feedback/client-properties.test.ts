/**
 * Properties (fast-check) of the retry machinery: backoff bounds (checklist J 96), `Retry-After`
 * parsing (J 88) and random fault sequences against a model of the retry policy (M 120). Property
 * runs are time-boxed and replayable (test/helpers/fuzz.ts: FC_SEED, FC_PATH, FC_RUNS).
 */
import fc from 'fast-check';
import { ErrorCode, SessionFeedbackClient } from '../../src/index.js';
import { assertAlias, MAX_ALIAS_LENGTH } from '../../src/feedback/assert-alias.js';
import { parseRetryAfter } from '../../src/feedback/classify-response.js';
import { FakeBindId, type Reply, reply } from '../helpers/fake-bindid.js';
import { until, type Watched, watch, withFakeClock } from '../helpers/fake-clock.js';
import { closeClients, makeClient, newToken, SECRET } from '../helpers/feedback.js';
import { fuzzParameters } from '../helpers/fuzz.js';

afterEach(() => closeClients());

function clientWith(random: () => number, baseMs: number, maxMs: number): SessionFeedbackClient {
  return makeClient('http://127.0.0.1:9', { random, backoff: { baseMs, maxMs } });
}

describe('backoffDelay', () => {
  const bounds = fc
    .tuple(fc.integer({ min: 0, max: 60_000 }), fc.integer({ min: 0, max: 60_000 }))
    .map(([a, b]) => [Math.min(a, b), Math.max(a, b)] as const);
  const anyAttempt = fc.oneof(
    fc.integer({ min: 1, max: 12 }),
    fc.integer({ min: -5, max: 5_000 }),
    fc.double(),
    fc.constantFrom(Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY),
  );
  const anyRandom = fc.oneof(
    fc.constantFrom(0, 1, 0.999_999, Number.NaN, -1, 2, Number.POSITIVE_INFINITY),
    fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
  );

  it('J96 stays in [0, min(maxMs, baseMs × 2^(attempt-1))] and is finite, for any attempt and any random()', () => {
    fc.assert(
      fc.property(bounds, anyAttempt, anyRandom, ([baseMs, maxMs], attempt, r) => {
        const delay = clientWith(() => r, baseMs, maxMs).backoffDelay(attempt);
        expect(Number.isFinite(delay)).toBe(true);
        expect(delay).toBeGreaterThanOrEqual(0);
        expect(delay).toBeLessThanOrEqual(maxMs);
        if (Number.isInteger(attempt) && attempt >= 1 && attempt <= 12) {
          expect(delay).toBeLessThanOrEqual(baseMs * 2 ** (attempt - 1));
        }
      }),
      fuzzParameters(500, 5000),
    );
  });

  it('J96 random 0 gives 0 and random 1 gives the bound: full jitter over the whole range', () => {
    for (const attempt of [1, 2, 3, 4, 5, 6]) {
      expect(clientWith(() => 0, 100, 2000).backoffDelay(attempt)).toBe(0);
      expect(clientWith(() => 1, 100, 2000).backoffDelay(attempt)).toBe(Math.min(2000, 100 * 2 ** (attempt - 1)));
    }
  });

  it('J96 100 clients with the default random() spread their retries instead of retrying together', () => {
    const backoff = { baseMs: 100, maxMs: 2000 };
    const delays = Array.from({ length: 100 }, () => makeClient('http://127.0.0.1:9', { backoff }).backoffDelay(3));
    expect(new Set(delays.map((d) => Math.round(d))).size).toBeGreaterThan(50);
    expect(Math.max(...delays) - Math.min(...delays)).toBeGreaterThan(200); // bound is 400 ms
  });
});

describe('parseRetryAfter', () => {
  const now = Date.parse('2026-01-01T00:00:00Z');
  it.each<[string, string, number | undefined]>([
    ['delta-seconds', '120', 120_000],
    ['zero', '0', 0],
    ['surrounding spaces', ' 3 ', 3000],
    ['IMF-fixdate', 'Thu, 01 Jan 2026 00:00:30 GMT', 30_000],
    ['RFC 850 date', 'Thursday, 01-Jan-26 00:00:30 GMT', 30_000],
    ['asctime date (always GMT)', 'Thu Jan  1 00:00:30 2026', 30_000],
    ['a past date', 'Sun, 06 Nov 1994 08:49:37 GMT', 0],
    ['a huge delta', '9'.repeat(400), Number.MAX_SAFE_INTEGER],
    ['negative', '-5', undefined],
    ['a fraction', '1.5', undefined],
    ['a word', 'soon', undefined],
    ['ISO 8601', '2026-01-01T00:00:30Z', undefined],
    ['an impossible time', 'Thu, 01 Jan 2026 25:00:00 GMT', undefined],
    ['missing', undefined as unknown as string, undefined],
    // Each format is matched whole: text before or after it (a zone, a second date) is malformed, not read
    // by Date.parse, which would take a zone offset or skip a leading word.
    ['an IMF-fixdate after other text', 'xThu, 01 Jan 2026 00:00:30 GMT', undefined],
    ['an IMF-fixdate with a zone offset after GMT', 'Thu, 01 Jan 2026 00:00:30 GMT+0100', undefined],
    ['an RFC 850 date after other text', 'x Thursday, 01-Jan-26 00:00:30 GMT', undefined],
    ['an RFC 850 date with a zone offset after GMT', 'Thursday, 01-Jan-26 00:00:30 GMT+0100', undefined],
    ['an asctime date after other text', 'x Thu Jan  1 00:00:30 2026', undefined],
    ['an asctime date with a zone offset', 'Thu Jan  1 00:00:30 2026 +0100', undefined],
    ['an asctime date with a two-digit day', 'Thu Jan 11 00:00:30 2026', 10 * 86_400_000 + 30_000],
  ])('J88 %s', (_what, value, expected) => {
    expect(parseRetryAfter(value, now)).toBe(expected);
  });

  it('J88 never returns NaN or a negative number, whatever the header', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.stringMatching(/^-?\d{0,20}(\.\d+)?$/), fc.date().map((d) => d.toUTCString())), (value) => {
        const ms = parseRetryAfter(value, now);
        if (ms !== undefined) {
          expect(Number.isNaN(ms)).toBe(false);
          expect(ms).toBeGreaterThanOrEqual(0);
        }
      }),
      fuzzParameters(1000, 5000),
    );
  });
});

describe('random fault sequences follow the policy (model check against the fake server, on a fake clock)', () => {
  type Fault =
    | 'ok'
    | 'slow-ok'
    | 'bad-request'
    | 'unauthorized'
    | 'redirect'
    | 'throttled'
    | 'unavailable'
    | 'slow-unavailable'
    | 'server-error'
    | 'reset'
    | 'hang';
  /** How long a slow reply takes, on the fake clock. */
  const SLOW_MS = 20;
  /** The deadline: a hang reaches it; nothing else comes near it (at most 6 slow replies). */
  const TIMEOUT_MS = 600;
  const replies: Record<Fault, () => Reply> = {
    ok: () => reply.json(200, {}),
    'slow-ok': () => reply.json(200, {}, { delayMs: SLOW_MS }),
    'bad-request': () => reply.status(400),
    unauthorized: () => reply.status(401),
    redirect: () => reply.redirect(307, 'http://127.0.0.1:9/elsewhere'),
    throttled: () => reply.status(429, { headers: { 'Retry-After': '0' } }),
    unavailable: () => reply.status(503),
    'slow-unavailable': () => reply.status(503, { delayMs: SLOW_MS }),
    'server-error': () => reply.status(500),
    reset: () => reply.drop(),
    hang: () => reply.hang(),
  };
  /** Faults, each as likely (a hang costs no real time on the fake clock). */
  const faultArbitrary = fc.constantFrom(...(Object.keys(replies) as Fault[]));

  /**
   * What the policy of reliability §4.2 says should happen: the outcome, the number of attempts, and
   * the time it takes on the fake clock (the slow replies it waits for, or the deadline for a hang;
   * the backoff here is 0 and Retry-After 0).
   */
  function model(faults: Fault[], retries: number): { outcome: string; attempts: number; elapsed: number } {
    let ambiguousRetries = 0;
    let elapsed = 0;
    for (let attempt = 1; ; attempt++) {
      const fault = faults[attempt - 1] ?? 'ok';
      const end = (outcome: string) => ({ outcome, attempts: attempt, elapsed });
      if (fault === 'hang') return { outcome: ErrorCode.TIMEOUT, attempts: attempt, elapsed: TIMEOUT_MS };
      if (fault === 'slow-ok' || fault === 'slow-unavailable') elapsed += SLOW_MS;
      if (fault === 'ok' || fault === 'slow-ok') return end('ok');
      if (fault === 'bad-request' || fault === 'redirect') return end(ErrorCode.REJECTED);
      if (fault === 'unauthorized') return end(ErrorCode.UNAUTHORIZED);
      const ambiguous = fault === 'server-error' || fault === 'reset';
      if (attempt - 1 >= retries || (ambiguous && ambiguousRetries >= 1)) return end(ErrorCode.UNAVAILABLE);
      if (ambiguous) ambiguousRetries += 1;
    }
  }

  /**
   * Play the faults on the fake clock: as each attempt reaches the server, let a slow reply go
   * SLOW_MS later, and a hang run into the deadline, until the call settles.
   */
  async function play(bindid: FakeBindId, faults: Fault[], call: Watched<unknown>, since: number): Promise<void> {
    for (let attempt = 1; attempt <= 10 && !call.settled; attempt++) {
      await until(() => call.settled || bindid.requests.length >= attempt, `attempt ${attempt} reached the server, or the call settled`);
      if (call.settled) return;
      const fault = faults[attempt - 1] ?? 'ok';
      if (fault === 'slow-ok' || fault === 'slow-unavailable') await jest.advanceTimersByTimeAsync(SLOW_MS);
      if (fault === 'hang') await jest.advanceTimersByTimeAsync(since + TIMEOUT_MS - jest.now());
    }
    await until(() => call.settled, 'the call settled, with no more time passing');
  }

  it('M120 outcome and attempts match the model; attempts ≤ 1 + retries; elapsed ≤ the deadline (+ margin)', async () => {
    const bindid = await FakeBindId.start();
    try {
      await withFakeClock(() =>
        fc.assert(
          fc.asyncProperty(fc.array(faultArbitrary, { maxLength: 6 }), fc.integer({ min: 0, max: 4 }), async (faults, retries) => {
            bindid.reset().script(...faults.map((f) => replies[f]()));
            const expected = model(faults, retries);
            const client = new SessionFeedbackClient({
              clientSecret: SECRET,
              apiUrl: bindid.url,
              retries,
              timeoutMs: TIMEOUT_MS,
              backoff: { baseMs: 0, maxMs: 2 },
              circuitBreaker: false,
            });
            const since = jest.now();
            const call = watch(
              client.aliasDeleted({ accessToken: newToken() }).then(
                (result) => ({ outcome: 'ok', attempts: result.attempts }),
                (err: { code: string; attempts?: number }) => ({ outcome: err.code, attempts: err.attempts }),
              ),
            );
            try {
              await play(bindid, faults, call, since);
            } finally {
              client.close();
            }
            const elapsed = jest.now() - since;
            expect({ ...(await call.promise), elapsed }).toEqual(expected);
            expect(bindid.requests).toHaveLength(expected.attempts);
            expect(expected.attempts).toBeLessThanOrEqual(1 + retries);
            expect(elapsed).toBeLessThanOrEqual(TIMEOUT_MS);
          }),
          fuzzParameters(60, 20_000),
        ),
      );
    } finally {
      await bindid.close();
    }
  });
});

describe('assertAlias (the alias rules, against an oracle written another way)', () => {
  /** The rules spelled out code unit by code unit, not with the validator's own checks. */
  function acceptable(alias: string): boolean {
    if (alias.length < 1 || alias.length > MAX_ALIAS_LENGTH) return false;
    for (let i = 0; i < alias.length; i++) {
      const unit = alias.charCodeAt(i);
      if (unit < 0x20 || (unit >= 0x7f && unit <= 0x9f)) return false; // C0, DEL, C1
      const high = unit >= 0xd800 && unit <= 0xdbff;
      const low = unit >= 0xdc00 && unit <= 0xdfff;
      if (low) return false; // a low surrogate not taken by the high one before it
      if (high) {
        const next = alias.charCodeAt(i + 1);
        if (!(next >= 0xdc00 && next <= 0xdfff)) return false;
        i++;
      }
    }
    return !/^\s/u.test(alias) && !/\s$/u.test(alias);
  }

  const unit = fc.oneof(
    { weight: 6, arbitrary: fc.string({ unit: 'grapheme', minLength: 1, maxLength: 1 }) },
    { weight: 2, arbitrary: fc.constantFrom(' ', '\t', '\n', '\u00a0', '\u2028', '\u3000', '\ufeff') },
    { weight: 2, arbitrary: fc.integer({ min: 0, max: 0x9f }).map((c) => String.fromCharCode(c)) },
    { weight: 1, arbitrary: fc.integer({ min: 0xd800, max: 0xdfff }).map((c) => String.fromCharCode(c)) },
  );
  const alias = fc.oneof(
    fc.array(unit, { maxLength: 12 }).map((parts) => parts.join('')),
    fc.string({ minLength: 250, maxLength: 262 }),
    fc.constantFrom('', 'x'.repeat(MAX_ALIAS_LENGTH), 'x'.repeat(MAX_ALIAS_LENGTH + 1), '42', 'user-é-\u{1F600}'),
  );

  it('accepts exactly the strings of 1–256 code units, well-formed, without control characters or outer whitespace', () => {
    fc.assert(
      fc.property(alias, (value) => {
        let accepted = true;
        try {
          assertAlias(value);
        } catch (err) {
          expect(err).toMatchObject({ code: ErrorCode.INVALID_ALIAS });
          accepted = false;
        }
        expect(accepted).toBe(acceptable(value));
      }),
      fuzzParameters(2000, 5000),
    );
  });

  it('refuses every value that is not a string', () => {
    fc.assert(
      fc.property(fc.anything().filter((v) => typeof v !== 'string'), (value) => {
        expect(() => assertAlias(value)).toThrow(expect.objectContaining({ code: ErrorCode.INVALID_ALIAS }));
      }),
      fuzzParameters(300, 2000),
    );
  });
});
