/** The session-feedback reports, the client's inputs, and the checks every report passes before it is signed. */
import { assertAlias } from './assert-alias.js';
import { invalidArgument } from '../errors.js';
import { describeType } from '../internal/describe-type.js';
import { printable } from '../internal/log.js';

/** One session-feedback report, as sent inside `reports: [...]`. */
export type SessionFeedbackReport =
  | { type: 'authentication_performed'; alias: string; time: number; amr?: string[] }
  | { type: 'alias_updated'; alias: string; time: number }
  | { type: 'alias_deleted'; alias?: string; time: number };

/** Input of `SessionFeedbackClient.authenticationPerformed`. */
export interface AuthenticationPerformedInput {
  /** The BindID access token of the session reported on (from `/token`). */
  accessToken: string;
  alias: string;
  /** When the app authenticated the user, in whole seconds since 1970. Default: now. */
  time?: number;
  /** AMR values of the app's own authentication, e.g. `['pwd']`. */
  amr?: string[];
}

/** Input of `SessionFeedbackClient.aliasUpdated`. */
export interface AliasUpdatedInput extends Omit<AuthenticationPerformedInput, 'amr'> {}

/** Input of `SessionFeedbackClient.aliasDeleted`. */
export interface AliasDeletedInput extends Omit<AliasUpdatedInput, 'alias'> {
  alias?: string;
}

const MAX_AMR_VALUES = 16;

/** At most 16 values of 1 to 64 printable ASCII characters: the client's `amr` input and the confirm middleware's option. */
export function isAmrList(amr: unknown): amr is string[] {
  return (
    Array.isArray(amr) &&
    amr.length <= MAX_AMR_VALUES &&
    amr.every((value) => typeof value === 'string' && /^[\x21-\x7e]{1,64}$/.test(value))
  );
}

/** `value` as an object holding none but `keys` (their values are checked with the report), else `ERR_BINDID_INVALID_ARGUMENT` about `what`. */
export function readInput(value: unknown, keys: readonly string[], what = 'the report input'): Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw invalidArgument(`${what} must be an object (got ${describeType(value)})`);
  }
  for (const key of Object.keys(value)) {
    if (!keys.includes(key)) throw invalidArgument(`${what} has an unknown field \`${printable(key, 64)}\``);
  }
  return value as Record<string, unknown>;
}

function assertTime(time: unknown): asserts time is number {
  if (typeof time !== 'number' || !Number.isSafeInteger(time) || time < 0) {
    throw invalidArgument('time must be whole seconds since 1970 (a non-negative integer)');
  }
}

function readAmr(amr: unknown): string[] {
  if (!Array.isArray(amr) || amr.length > MAX_AMR_VALUES) {
    throw invalidArgument('amr must be an array of at most 16 AMR values');
  }
  if (!isAmrList(amr)) {
    throw invalidArgument('amr values must be printable ASCII strings of 1 to 64 characters');
  }
  return [...amr];
}

const REPORT_KEYS: readonly string[] = ['type', 'alias', 'time', 'amr'];

/** A checked copy of the report: only its protocol fields, in protocol order, `undefined` ones left out. */
export function readReport(report: unknown): SessionFeedbackReport {
  const { type, alias, time, amr } = readInput(report, REPORT_KEYS, 'report');
  if (type !== 'authentication_performed' && type !== 'alias_updated' && type !== 'alias_deleted') {
    throw invalidArgument('report.type must be authentication_performed, alias_updated or alias_deleted');
  }
  if (type !== 'alias_deleted' || alias !== undefined) assertAlias(alias);
  assertTime(time);
  if (amr !== undefined && type !== 'authentication_performed') {
    throw invalidArgument('report.amr is only for authentication_performed');
  }
  const out: Record<string, unknown> = { type };
  if (alias !== undefined) out.alias = alias;
  out.time = time;
  if (amr !== undefined) out.amr = readAmr(amr);
  return out as SessionFeedbackReport;
}
