/**
 * Argument checks shared by the helpers: the `TestBindId`, the agent, identities and app paths.
 * Each failure is an `ERR_BINDID_INVALID_ARGUMENT` naming the helper and the argument.
 *
 * @module
 */
import { invalidArgument } from '../errors.js';
import { isIdentityId } from '../emulator/config.js';
import { describeType } from '../internal/describe-type.js';
import type { TestAgent, TestBindId, TestResponse } from './types.js';

/** Check that `bindid` is what {@link startTestBindId} returned. */
export function checkTestBindId(helper: string, bindid: unknown): asserts bindid is TestBindId {
  const b = bindid as Partial<TestBindId> | null;
  const emulator = b?.emulator as Partial<TestBindId['emulator']> | undefined;
  if (
    b === null ||
    typeof b !== 'object' ||
    typeof b.issuer !== 'string' ||
    typeof b.redirectUri !== 'string' ||
    typeof emulator?.subOf !== 'function' ||
    typeof emulator.addIdentity !== 'function'
  ) {
    throw invalidArgument(`${helper}: bindid must be the TestBindId that startTestBindId() resolved with (got ${describeType(bindid)})`);
  }
}

/** Check that `agent` has `get` and `post` (supertest's `request.agent(app)`). */
export function checkAgent<R extends TestResponse>(helper: string, agent: unknown): asserts agent is TestAgent<R> {
  const a = agent as Partial<TestAgent> | null;
  if (a === null || typeof a !== 'object' || typeof a.get !== 'function' || typeof a.post !== 'function') {
    throw invalidArgument(`${helper}: agent must be a supertest agent, request.agent(app) (got ${describeType(agent)})`);
  }
}

/** Check an options object: a plain object with only the `known` keys. */
export function checkOptions(helper: string, name: string, value: unknown, known: readonly string[]): void {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw invalidArgument(`${helper}: ${name} must be an object (got ${describeType(value)})`);
  }
  const unknown = Object.keys(value).find((key) => !known.includes(key));
  if (unknown !== undefined) {
    throw invalidArgument(`${helper}: ${name} has an unknown property (known: ${known.join(', ')})`);
  }
}

/** A path of the app: a string starting with one `/` (never a URL: supertest requests the app itself). */
export function checkPath(helper: string, name: string, value: unknown, fallback: string): string {
  if (value === undefined) return fallback;
  if (typeof value !== 'string' || !/^\/(?![/\\])[^\s#]*$/.test(value)) {
    throw invalidArgument(`${helper}: ${name} must be a path of the app such as ${fallback} (got ${describeType(value)})`);
  }
  return value;
}

/** A string argument (any, the empty one too unless `nonEmpty`). */
export function checkString(helper: string, name: string, value: unknown, nonEmpty = false): string {
  if (typeof value !== 'string' || (nonEmpty && value === '')) {
    throw invalidArgument(`${helper}: ${name} must be a ${nonEmpty ? 'non-empty ' : ''}string (got ${describeType(value)})`);
  }
  return value;
}

/**
 * The `identity=` value for `/authorize`: `new` (a fresh BindID user) when no name is given;
 * otherwise the name, added to the emulator on its first use.
 */
export function identityParam(helper: string, bindid: TestBindId, identity: unknown): string {
  if (identity === undefined) return 'new';
  if (!isIdentityId(identity)) {
    throw invalidArgument(
      `${helper}: options.identity must be a name of 1 to 64 letters, digits, ".", "_" or "-", not "new" or "cancel" (got ${describeType(identity)}); leave it out for a fresh BindID user`,
    );
  }
  if (bindid.emulator.subOf(identity) === undefined) bindid.emulator.addIdentity({ id: identity });
  return identity;
}
