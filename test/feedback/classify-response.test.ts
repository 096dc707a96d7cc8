/**
 * How one session-feedback attempt ended (src/feedback/classify-response.ts): which answers are
 * retried and how (never delivered, BindID asked to wait, possibly applied), and which fail at once
 * with which code, HTTP status and message. The client's suites (client-retries, client-faults) see the
 * same decisions through a fake BindID; this table pins each boundary on its own.
 */
import { BindIdFeedbackError } from '../../src/errors.js';
import { type AttemptOutcome, classifyError, classifyStatus, reworded } from '../../src/feedback/classify-response.js';

const NOW = Date.parse('2026-01-01T00:00:00Z');

function head(status: number, retryAfter?: string) {
  const headers = new Headers();
  if (retryAfter !== undefined) headers.set('retry-after', retryAfter);
  return { status, headers };
}

function failure(outcome: AttemptOutcome, attempts = 1): BindIdFeedbackError {
  if (outcome.kind !== 'fail') throw new Error(`expected a failure, got ${outcome.kind}`);
  return outcome.error(attempts);
}

describe('classifyStatus', () => {
  it.each([200, 201, 204, 299])('HTTP %i is delivered', (status) => {
    expect(classifyStatus(head(status), NOW)).toEqual({ kind: 'ok', status });
  });

  it.each([429, 503])('HTTP %i: BindID asked to wait, with its Retry-After when it sent one', (status) => {
    const cause = expect.objectContaining({ message: `BindID answered HTTP ${status}` });
    expect(classifyStatus(head(status), NOW)).toEqual({ kind: 'retry', why: 'wait', status, cause, label: `HTTP ${status}` });
    expect(classifyStatus(head(status, '7'), NOW)).toEqual({
      kind: 'retry',
      why: 'wait',
      status,
      cause,
      label: `HTTP ${status}`,
      retryAfterMs: 7000,
    });
    // A malformed Retry-After is the default backoff, not an immediate retry.
    expect(classifyStatus(head(status, 'soon'), NOW)).not.toHaveProperty('retryAfterMs');
  });

  it.each([500, 502, 504, 599, 408])('HTTP %i may have been processed: retried as ambiguous', (status) => {
    expect(classifyStatus(head(status, '5'), NOW)).toEqual({
      kind: 'retry',
      why: 'ambiguous',
      status,
      cause: expect.objectContaining({ message: `BindID answered HTTP ${status}` }),
      label: `HTTP ${status}`,
    });
  });

  it.each([401, 403])('HTTP %i: the credentials were refused, ERR_BINDID_UNAUTHORIZED 502, with what to check', (status) => {
    const error = failure(classifyStatus(head(status), NOW), 2);
    expect(error).toBeInstanceOf(BindIdFeedbackError);
    expect(error).toMatchObject({ code: 'ERR_BINDID_UNAUTHORIZED', status: 502, upstreamStatus: status, attempts: 2 });
    expect(error.message).toContain(`(HTTP ${status})`);
    expect(error.message).toMatch(/client secret.*access token.*apiUrl is not the API host of another environment than issuer \(sandbox and production, EU and US\)$/);
    expect(error.cause).toMatchObject({ message: `BindID answered HTTP ${status}` });
  });

  it.each([
    [400, 'rejected the report'],
    [404, 'rejected the report'],
    [409, 'rejected the report'],
    [199, 'rejected the report'],
    [300, 'answered with a redirect, which is not followed'],
    [302, 'answered with a redirect, which is not followed'],
    [399, 'answered with a redirect, which is not followed'],
  ])('HTTP %i: ERR_BINDID_REJECTED 502, "%s", not retried', (status, what) => {
    const error = failure(classifyStatus(head(status), NOW), 3);
    expect(error).toMatchObject({ code: 'ERR_BINDID_REJECTED', status: 502, upstreamStatus: status, attempts: 3 });
    expect(error.message).toBe(`BindID ${what} (HTTP ${status})`);
  });
});

describe('classifyError', () => {
  const coded = (code: string, message = `connect ${code} 10.0.0.1:443`) => Object.assign(new Error(message), { code });

  it.each(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ENETUNREACH', 'EHOSTUNREACH', 'EADDRNOTAVAIL'])(
    '%s never reached BindID: retried as safe',
    (code) => {
      expect(classifyError(coded(code))).toEqual({
        kind: 'retry',
        why: 'safe',
        cause: expect.objectContaining({ message: `request failed with ${code}`, code }),
        label: code,
      });
    },
  );

  it.each(['ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'ECONNABORTED', 'ESOCKETTIMEDOUT', 'ERR_STREAM_PREMATURE_CLOSE'])(
    '%s may have been processed: retried as ambiguous',
    (code) => {
      expect(classifyError(coded(code))).toEqual({
        kind: 'retry',
        why: 'ambiguous',
        cause: expect.objectContaining({ message: `request failed with ${code}`, code }),
        label: code,
      });
    },
  );

  it('finds a known code on the cause chain under an unknown outer one (fetch wraps the socket error)', () => {
    const wrapped = Object.assign(new Error('fetch failed', { cause: coded('ECONNREFUSED') }), { code: 'UND_ERR_SOCKET' });
    expect(classifyError(wrapped)).toMatchObject({ kind: 'retry', why: 'safe', label: 'ECONNREFUSED' });
    const deeper = new Error('a', { cause: new Error('b', { cause: new Error('c', { cause: coded('ECONNRESET') }) }) });
    expect(classifyError(deeper)).toMatchObject({ kind: 'retry', why: 'ambiguous', label: 'ECONNRESET' });
  });

  it('looks four levels down, no further', () => {
    const fifth = new Error('a', { cause: new Error('b', { cause: new Error('c', { cause: new Error('d', { cause: coded('ECONNRESET') }) }) }) });
    expect(classifyError(fifth)).toMatchObject({ kind: 'fail' });
  });

  it('an unknown code (TLS, a bad proxy) fails at once: ERR_BINDID_UNAVAILABLE 503 naming the code, not the message', () => {
    const error = failure(classifyError(coded('CERT_HAS_EXPIRED', 'certificate has expired for secret-host')), 4);
    expect(error).toMatchObject({ code: 'ERR_BINDID_UNAVAILABLE', status: 503, attempts: 4 });
    expect(error.message).toBe('BindID session feedback could not be sent: CERT_HAS_EXPIRED');
    expect(error.cause).toMatchObject({ message: 'request failed with CERT_HAS_EXPIRED', code: 'CERT_HAS_EXPIRED' });
    expect(JSON.stringify({ message: error.message, cause: String(error.cause) })).not.toContain('secret-host');
  });

  it('an error without a code fails at once as "unexpected error", its own message left out', () => {
    const error = failure(classifyError(new Error('token=abc')));
    expect(error).toMatchObject({ code: 'ERR_BINDID_UNAVAILABLE', status: 503 });
    expect(error.message).toBe('BindID session feedback could not be sent: unexpected error');
    expect(error.cause).toMatchObject({ message: 'request failed' });
    expect(error.cause).not.toHaveProperty('code');
  });
});

describe('reworded', () => {
  it('keeps the code, status, counts and cause, and says whether the report may have been applied', () => {
    const cause = new Error('BindID answered HTTP 500');
    const original = new BindIdFeedbackError('ERR_BINDID_UNAVAILABLE', 'first', {
      status: 503,
      retryable: true,
      upstreamStatus: 500,
      attempts: 3,
      cause,
    });
    const again = reworded(original, 'second', true);
    expect(again).toBeInstanceOf(BindIdFeedbackError);
    expect(again).toMatchObject({
      code: 'ERR_BINDID_UNAVAILABLE',
      message: 'second',
      status: 503,
      retryable: true,
      upstreamStatus: 500,
      attempts: 3,
      possiblyApplied: true,
    });
    expect(again.cause).toBe(cause);
    expect(reworded(original, 'third').possiblyApplied).toBeUndefined();
  });

  it('adds no upstream status, attempts or cause the original did not have', () => {
    const bare = reworded(new BindIdFeedbackError('ERR_BINDID_REJECTED', 'first', { status: 502 }), 'second');
    expect(bare).toMatchObject({ code: 'ERR_BINDID_REJECTED', status: 502, retryable: false });
    expect(bare.upstreamStatus).toBeUndefined();
    expect(bare.attempts).toBeUndefined();
    expect(bare.cause).toBeUndefined();
  });
});
