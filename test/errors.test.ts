/**
 * One error model: three subclasses of BindIdError, each named for its class (which codes each may
 * carry is checked when compiling: test/types/errors-and-request.test-d.ts), and one `errorCode`
 * helper that reads a safe code off any thrown value.
 */
import {
  BindIdArgumentError,
  BindIdError,
  BindIdFeedbackError,
  BindIdStateError,
  ErrorCode,
  errorCode,
  errorCodes,
  safeCause,
} from '../src/errors.js';

describe('the subclasses', () => {
  it.each<[string, BindIdError, string]>([
    ['BindIdArgumentError', new BindIdArgumentError(ErrorCode.INVALID_OPTION, 'm'), 'ERR_BINDID_INVALID_OPTION'],
    ['BindIdFeedbackError', new BindIdFeedbackError(ErrorCode.TIMEOUT, 'm'), 'ERR_BINDID_TIMEOUT'],
    ['BindIdStateError', new BindIdStateError(ErrorCode.CSRF, 'm'), 'ERR_BINDID_CSRF'],
  ])('%s is a BindIdError named for its class, with the code it was given', (name, err, code) => {
    expect(err).toBeInstanceOf(BindIdError);
    expect(err.name).toBe(name);
    expect(err.code).toBe(code);
    expect(err.toJSON()).toMatchObject({ name, code });
  });
});

describe('errorCode / errorCodes', () => {
  it('read a safe code off errors, plain objects and system errors', () => {
    expect(errorCode(new BindIdFeedbackError(ErrorCode.TIMEOUT, 'm'))).toBe('ERR_BINDID_TIMEOUT');
    expect(errorCode(Object.assign(new Error('connect'), { code: 'ECONNREFUSED' }))).toBe('ECONNREFUSED');
    expect(errorCode({ code: 'EPIPE' })).toBe('EPIPE');
  });

  it('give nothing for values without a code, or with a code that could carry text', () => {
    for (const value of [undefined, null, 42, 'ECONNRESET', new Error('x'), { code: 12 }, { code: 'has spaces' }, { code: 'secret=abc' }, { code: 'lower_case' }, { code: 'A'.repeat(65) }]) {
      expect(errorCode(value)).toBeUndefined();
    }
  });

  it('follow the cause chain only as deep as asked, outermost first, skipping unsafe codes', () => {
    const inner = Object.assign(new Error('inner'), { code: 'ECONNREFUSED' });
    const middle = Object.assign(new Error('middle', { cause: inner }), { code: 'bad code' });
    const outer = Object.assign(new Error('outer', { cause: middle }), { code: 'ERR_NETWORK' });
    expect(errorCodes(outer)).toEqual(['ERR_NETWORK']);
    expect(errorCodes(outer, 4)).toEqual(['ERR_NETWORK', 'ECONNREFUSED']);
    expect(errorCode(middle)).toBeUndefined();
  });

  it('are what safeCause keeps: the code, never the message', () => {
    const cause = safeCause(Object.assign(new Error('token=abc'), { code: 'ECONNRESET' }), 'request failed');
    expect(cause.message).toBe('request failed');
    expect((cause as Error & { code?: string }).code).toBe('ECONNRESET');
    expect((safeCause({ code: 'no good' }, 'd') as Error & { code?: string }).code).toBeUndefined();
    // No code to keep: the cause has no `code` at all (a log or toJSON shows none).
    for (const err of [new Error('token=abc'), { code: 'no good' }, 'ECONNRESET', undefined, null]) {
      expect(Object.hasOwn(safeCause(err, 'd'), 'code')).toBe(false);
    }
  });
});
