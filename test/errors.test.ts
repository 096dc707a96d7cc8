/**
 * One error model: every ErrorCode belongs to exactly one subclass, the subclasses refuse a code
 * that is not theirs, and one `errorCode` helper reads a safe code off any thrown value.
 */
import {
  BindIdArgumentError,
  BindIdError,
  BindIdFeedbackError,
  BindIdStateError,
  ERROR_CODE_CLASS,
  ErrorCode,
  type ErrorCodeValue,
  errorCode,
  errorCodes,
  safeCause,
} from '../src/errors.js';

const CLASSES = { BindIdArgumentError, BindIdFeedbackError, BindIdStateError } as const;

describe('the code → class table', () => {
  it('is total: every ErrorCode value has exactly one class, and the table has no other code', () => {
    expect(Object.keys(ERROR_CODE_CLASS).sort()).toEqual(Object.values(ErrorCode).sort());
    for (const owner of Object.values(ERROR_CODE_CLASS)) expect(Object.keys(CLASSES)).toContain(owner);
  });

  it.each(Object.entries(ERROR_CODE_CLASS))('%s is built by %s, which is a BindIdError with that code', (code, owner) => {
    const Owner = CLASSES[owner] as unknown as new (code: ErrorCodeValue, message: string) => BindIdError;
    const err = new Owner(code as ErrorCodeValue, 'm');
    expect(err).toBeInstanceOf(BindIdError);
    expect(err.code).toBe(code);
    expect(err.name).toBe(owner);
  });

  it.each(Object.entries(ERROR_CODE_CLASS))('%s is refused by the other classes (TypeError naming both)', (code, owner) => {
    for (const [name, Other] of Object.entries(CLASSES)) {
      if (name === owner) continue;
      const build = () => new (Other as unknown as new (code: string, message: string) => BindIdError)(code, 'm');
      expect(build).toThrow(TypeError);
      expect(build).toThrow(new RegExp(`${name} cannot carry code ${code} \\(it belongs to ${owner}\\)`));
    }
  });

  it('refuses a code that is not an ErrorCode at all', () => {
    const build = () => new (BindIdStateError as unknown as new (code: string, message: string) => BindIdError)('ERR_BINDID_NOPE', 'm');
    expect(build).toThrow(/BindIdStateError cannot carry code ERR_BINDID_NOPE \(an unknown code\)/);
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
  });
});
