/**
 * The options that take objects (`store`, `client`) are checked when the router is built: an object
 * that only looks like a store, or a feedback client given together with its own `apiUrl`, is an
 * ERR_BINDID_INVALID_OPTION naming the option, not a TypeError at the first sign-in.
 */
import {
  type BindIdRouterOptions,
  bindIdRouter,
  ErrorCode,
  isBindIdError,
  MemoryBindIdStore,
  SessionFeedbackClient,
} from '../../src/index.js';
import { type TestUser, VALID_ROUTER_OPTIONS } from '../helpers/flow.js';

const valid = VALID_ROUTER_OPTIONS;

function optionError(overrides: Record<string, unknown>): Error & { option?: string } {
  try {
    bindIdRouter({ ...valid, ...overrides } as BindIdRouterOptions<TestUser>);
  } catch (err) {
    expect(isBindIdError(err, ErrorCode.INVALID_OPTION)).toBe(true);
    return err as Error & { option?: string };
  }
  throw new Error('expected bindIdRouter to throw');
}

const client = () => new SessionFeedbackClient({ clientSecret: 'secret', apiUrl: 'https://api.bindid-sandbox.io' });
const { apiUrl: _apiUrl, ...withoutApiUrl } = valid;

describe('bindIdRouter object options', () => {
  it.each<[string, unknown]>([
    ['null', null],
    ['a string', 'redis://localhost'],
    ['a Map (get/set/delete but no add or increment)', new Map()],
    ['a store missing increment', { get() {}, set() {}, add() {}, delete() {}, deleteIf() {}, setIf() {} }],
  ])('store: %s is refused, naming the option', (_what, store) => {
    expect(optionError({ store }).message).toMatch(/`store` must be a BindIdStore/);
  });

  it('store: a MemoryBindIdStore, or any object with the eight methods, is taken', () => {
    expect(typeof bindIdRouter({ ...valid, store: new MemoryBindIdStore() })).toBe('function');
    const duck = { get: async () => undefined, set: async () => {}, add: async () => true, delete: async () => {}, increment: async () => 1, keys: async () => [], deleteIf: async () => true, setIf: async () => true };
    expect(typeof bindIdRouter({ ...valid, store: duck })).toBe('function');
  });

  it('client: an object that is not a SessionFeedbackClient is refused', () => {
    expect(optionError({ ...withoutApiUrl, apiUrl: undefined, client: { authenticationPerformed: async () => ({}) } }).message).toMatch(
      /`client` must be a SessionFeedbackClient/,
    );
  });

  it('client: together with apiUrl it is refused (one or the other, never a report to an unexpected host)', () => {
    expect(optionError({ client: client() }).message).toMatch(/`client` cannot be combined with apiUrl/);
  });

  it('client: alone, without apiUrl, it is taken', () => {
    expect(typeof bindIdRouter({ ...withoutApiUrl, client: client() } as BindIdRouterOptions<TestUser>)).toBe('function');
  });
});
