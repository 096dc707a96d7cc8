/**
 * Option errors of nested objects name the option by its dotted path from the factory's options
 * (`bindIdRouter() option \`paths.login\``), from the reader itself: `OptionReader.nested` and
 * `OptionReader.within` (another factory's reader, e.g. the outbox worker's) carry the prefix.
 */
import {
  type BindIdRouterOptions,
  bindIdRouter,
  ErrorCode,
  isBindIdError,
  type SendAuthenticationPerformedOptions,
  sendAuthenticationPerformed,
} from '../../src/index.js';
import { OptionReader } from '../../src/internal/option-reader.js';
import { type TestUser, VALID_ROUTER_OPTIONS } from '../helpers/flow.js';

const valid = VALID_ROUTER_OPTIONS;

function thrown(build: () => unknown): Error & { option?: string } {
  try {
    build();
  } catch (err) {
    expect(isBindIdError(err, ErrorCode.INVALID_OPTION)).toBe(true);
    return err as Error & { option?: string };
  }
  throw new Error('expected an option error');
}

const routerError = (overrides: Record<string, unknown>) =>
  thrown(() => bindIdRouter({ ...valid, ...overrides } as BindIdRouterOptions<TestUser>));
const middlewareError = (options: Record<string, unknown>) =>
  thrown(() => sendAuthenticationPerformed(options as SendAuthenticationPerformedOptions));

describe('nested option errors name the dotted path', () => {
  it.each<[string, Record<string, unknown>, string, RegExp]>([
    ['paths', { paths: { login: 'login' } }, 'paths.login', /^express-bindid: bindIdRouter\(\) option `paths\.login` must be an absolute path/],
    ['messages', { messages: { title: '' } }, 'messages.title', /^express-bindid: bindIdRouter\(\) option `messages\.title` must be a non-empty string/],
    ['attemptLimits', { attemptLimits: { perIp: 0 } }, 'attemptLimits.perIp', /^express-bindid: bindIdRouter\(\) option `attemptLimits\.perIp` must be a whole number/],
    [
      'outboxWorker (the worker reads it)',
      { failureMode: 'open', outboxWorker: { intervalMs: 1 } },
      'outboxWorker.intervalMs',
      /^express-bindid: bindIdRouter\(\) option `outboxWorker\.intervalMs` must be a whole number from 10/,
    ],
    [
      'outboxWorker.backoff (nested in the worker)',
      { failureMode: 'open', outboxWorker: { backoff: { baseMs: 5000, maxMs: 10 } } },
      'outboxWorker.backoff.maxMs',
      /^express-bindid: bindIdRouter\(\) option `outboxWorker\.backoff\.maxMs` must be at least backoff\.baseMs/,
    ],
    [
      'outboxWorker.backoff hint',
      { failureMode: 'open', outboxWorker: { backoff: { maxMz: 10 } } },
      'outboxWorker.backoff.maxMz',
      /`outboxWorker\.backoff\.maxMz` is not a known option\. Did you mean `outboxWorker\.backoff\.maxMs`\?/,
    ],
  ])('bindIdRouter %s', (_name, overrides, option, message) => {
    const err = routerError(overrides);
    expect(err.option).toBe(option);
    expect(err.message).toMatch(message);
    expect(err.message).not.toMatch(/OutboxWorker\(\)|SessionFeedbackClient\(\)/);
  });

  it('sendAuthenticationPerformed outboxWorker: the worker names its option under outboxWorker', () => {
    const err = middlewareError({
      clientSecret: 'secret',
      apiUrl: 'https://api.bindid-sandbox.io',
      failureMode: 'open',
      outboxWorker: { leaseMs: 2000 },
    });
    expect(err.option).toBe('outboxWorker.leaseMs');
    expect(err.message).toMatch(/^express-bindid: sendAuthenticationPerformed\(\) option `outboxWorker\.leaseMs` must be longer than/);
  });

  it('sendAuthenticationPerformed clientSecret/apiUrl: the client it builds names them as its own options', () => {
    const err = middlewareError({ clientSecret: 'secret', apiUrl: 'http://api.example.com' });
    expect(err.option).toBe('apiUrl');
    expect(err.message).toMatch(/^express-bindid: sendAuthenticationPerformed\(\) option `apiUrl` must use https:/);
  });

  it('OptionReader: error(key) of a nested reader names the dotted path; within() ends with its build', () => {
    const top = new OptionReader('factory', { a: { b: { c: 1 } } }, { a: true });
    const b = top.nested('a', { b: true }).nested('b', { c: true });
    expect(b.error('c', 'is wrong').option).toBe('a.b.c');
    expect(b.error('c', 'is wrong').message).toBe('express-bindid: factory() option `a.b.c` is wrong');
    const inner = top.within('a', () => new OptionReader('Other', {}, {}));
    expect(inner.error('x', 'is wrong').message).toBe('express-bindid: factory() option `a.x` is wrong');
    // Only the first top-level reader is taken in, and nothing after the build.
    const [first, second] = top.within('a', () => [new OptionReader('Other', {}, {}), new OptionReader('Next', {}, {})]);
    expect(first?.error('x', 'is wrong').option).toBe('a.x');
    expect(second?.error('x', 'is wrong').message).toBe('express-bindid: Next() option `x` is wrong');
    expect(new OptionReader('After', {}, {}).error('x', 'is wrong').message).toBe('express-bindid: After() option `x` is wrong');
    expect(() => top.within('a', () => new OptionReader('Other', 'no', {}))).toThrow(/factory\(\) option `a` must be an object/);
  });
});
