/** BindID's custom user data (`/custom-user-data`, per alias): the checks of what is sent, the reading of what BindID answers. */
import { BindIdFeedbackError, ErrorCode, invalidArgument, safeCause } from '../errors.js';
import { describeType } from '../internal/describe-type.js';
import type { HttpBody } from '../http/http-client.js';
import { reworded } from './classify-response.js';
import type { FeedbackResult } from './session-feedback-client.js';

/** A JSON value. */
export type CustomUserDataValue = string | number | boolean | null | CustomUserDataValue[] | { [key: string]: CustomUserDataValue };

/** The custom user data of one alias: a JSON object. In a merge patch, `null` deletes a member. */
export type CustomUserData = { [key: string]: CustomUserDataValue };

/** Largest request body sent, in bytes. BindID's own limit is unknown. */
export const MAX_CUSTOM_USER_DATA_BYTES = 65_536;

/** What a custom user data call resolves. */
export interface CustomUserDataResult extends FeedbackResult {
  /** `undefined` when a POST or PATCH answer carried none. */
  data: CustomUserData | undefined;
}

/** The body `{"data": …}`: plain JSON within the bound, else `ERR_BINDID_INVALID_ARGUMENT` (never repeating the data). */
export function customUserDataBody(data: unknown, what: string): string {
  if (!isPlainObject(data)) throw invalidArgument(`${what} must be a plain object of JSON values (got ${describeType(data)})`);
  const problem = jsonProblem(data, 0, new Set());
  if (problem) throw invalidArgument(`${what} ${problem}`);
  const body = JSON.stringify({ data });
  if (Buffer.byteLength(body) > MAX_CUSTOM_USER_DATA_BYTES) {
    throw invalidArgument(`${what} is larger than ${MAX_CUSTOM_USER_DATA_BYTES} bytes as JSON`);
  }
  return body;
}

function jsonProblem(value: unknown, depth: number, seen: Set<object>): string | undefined {
  if (depth > 32) return 'is nested more than 32 levels deep';
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return undefined;
  if (typeof value === 'number') return Number.isFinite(value) ? undefined : 'holds a non-finite number';
  if (typeof value !== 'object') return `holds a value JSON cannot carry (${describeType(value)})`;
  if (seen.has(value)) return 'holds a cycle';
  if (!Array.isArray(value) && !isPlainObject(value)) return `holds an object that is not plain JSON (${describeType(value)})`;
  seen.add(value);
  for (const item of Array.isArray(value) ? value : Object.values(value)) {
    const problem = jsonProblem(item, depth + 1, seen);
    if (problem) return problem;
  }
  seen.delete(value);
  return undefined;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}

const PROTOTYPE_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

/** The `data` of BindID's answer; a GET (`required`) without a usable one is `ERR_BINDID_REJECTED`. */
export function readCustomUserData(body: HttpBody | undefined, required: boolean, status: number, attempts: number): CustomUserData | undefined {
  const unexpected = (why: string) =>
    new BindIdFeedbackError(ErrorCode.REJECTED, `BindID's custom user data answer (HTTP ${status}) ${why}`, {
      status: 502,
      upstreamStatus: status,
      attempts,
      cause: safeCause(undefined, 'unexpected custom user data answer'),
    });
  if (body?.truncated) {
    if (required) throw unexpected('is larger than maxResponseBytes: raise the client option maxResponseBytes');
    return undefined;
  }
  let parsed: unknown;
  try {
    // No `__proto__`, `constructor` or `prototype` member at any depth: an app's deep merge would follow JSON.parse's own `__proto__`.
    parsed = body && body.bytes.length > 0 ? JSON.parse(body.bytes.toString('utf8'), (key, value: unknown) => (PROTOTYPE_KEYS.has(key) ? undefined : value)) : undefined;
  } catch {
    // not JSON: no data
  }
  const data = (parsed as { data?: unknown } | undefined)?.data;
  if (isPlainObject(data)) return data as CustomUserData; // JSON.parse makes plain objects only
  if (!required) return undefined;
  const bare = bareData(parsed);
  if (bare) return bare;
  throw unexpected('is not a JSON object (with a "data" object), nor null');
}

/** BindID's GET answer is undocumented: `null` or `{"data": null}` is `{}`, an object without `data` is the data. */
function bareData(parsed: unknown): CustomUserData | undefined {
  if (parsed === null) return {};
  if (!isPlainObject(parsed)) return undefined;
  if (!Object.hasOwn(parsed, 'data')) return parsed as CustomUserData;
  return parsed.data === null ? {} : undefined;
}

/** A transport error (whose message speaks of a report) reworded for `what`; anything else as it is. */
export function renameError(err: unknown, what: string): unknown {
  if (!(err instanceof BindIdFeedbackError)) return err;
  return reworded(err, err.message.replace('session feedback', what).replace('the report', 'the request'));
}
