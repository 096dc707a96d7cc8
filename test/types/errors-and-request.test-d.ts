/**
 * Type tests (checked by `tsc -p tsconfig.json`, never run) of what the library adds to Express and
 * express-session, and of its errors: the types must say what the runtime does.
 *
 * - `req.session.bindid` comes from express-session's `SessionData` (augmented), and is optional;
 * - `req.bindid` exists only after `sendAuthenticationPerformed` (or the router) ran: optional;
 * - `err.code` is the union of the documented codes, and `isBindIdError` narrows;
 * - each error subclass is built with its own codes only (`ErrorCodeOf`), and every code has one owner.
 */
import type { Request } from 'express';
import type { SessionData } from 'express-session';
import { expectTypeOf } from 'expect-type';
import type { ErrorCodeOf } from '../../src/errors.js';
import { type BindIdClaims, BindIdError, type BindIdRequestState, ErrorCode, getPendingLogin, isBindIdError, type PendingLogin } from '../../src/index.js';
import { BindIdArgumentError, BindIdFeedbackError, BindIdStateError, type ErrorCodeValue } from '../../src/errors.js';
import type { BindIdSessionState } from '../../src/session/pending-login.js';

declare const req: Request;

// Session state: through express-session's SessionData, optional at every level.
expectTypeOf<SessionData['bindid']>().toEqualTypeOf<BindIdSessionState | undefined>();
expectTypeOf(req.session.bindid).toEqualTypeOf<BindIdSessionState | undefined>();
expectTypeOf(req.session.bindid?.pending).toEqualTypeOf<PendingLogin | undefined>();
expectTypeOf(getPendingLogin(req)).toEqualTypeOf<PendingLogin | undefined>();
// @ts-expect-error bindid may be absent from the session
req.session.bindid.pending;

// The request state set by the confirmation middleware: optional, never assumed.
expectTypeOf(req.bindid).toEqualTypeOf<BindIdRequestState | undefined>();
expectTypeOf<BindIdRequestState>().toEqualTypeOf<{ alias: string; sub: string; claims: BindIdClaims; report: 'sent' | 'queued' | 'unchanged' | 'possibly-applied' }>();
// @ts-expect-error req.bindid may be undefined
req.bindid.alias;
if (req.bindid) expectTypeOf(req.bindid.alias).toEqualTypeOf<string>();

// Error codes: a closed union of string literals, the same as the values of ErrorCode.
expectTypeOf<ErrorCodeValue>().toEqualTypeOf<(typeof ErrorCode)[keyof typeof ErrorCode]>();
expectTypeOf(ErrorCode.UNAUTHORIZED).toEqualTypeOf<'ERR_BINDID_UNAUTHORIZED'>();
expectTypeOf<'ERR_BINDID_LOGIN_STATE_MISSING'>().toExtend<ErrorCodeValue>();
expectTypeOf<'ERR_BINDID_NOT_A_CODE'>().not.toExtend<ErrorCodeValue>();
expectTypeOf<BindIdError['code']>().toEqualTypeOf<ErrorCodeValue>();
expectTypeOf<BindIdError['status']>().toEqualTypeOf<number>();
expectTypeOf<BindIdError['expose']>().toEqualTypeOf<boolean>();
expectTypeOf<BindIdError['retryable']>().toEqualTypeOf<boolean>();
expectTypeOf<BindIdError['upstreamStatus']>().toEqualTypeOf<number | undefined>();
expectTypeOf<BindIdError['option']>().toEqualTypeOf<string | undefined>();
expectTypeOf<BindIdArgumentError>().toExtend<BindIdError>();
expectTypeOf<BindIdFeedbackError>().toExtend<BindIdError>();
expectTypeOf<BindIdStateError>().toExtend<BindIdError>();
expectTypeOf<BindIdError>().toExtend<Error>();

// isBindIdError narrows an unknown error; a `case` that is no code of the library does not compile.
declare const err: unknown;
if (isBindIdError(err, ErrorCode.UNAUTHORIZED)) expectTypeOf(err).toEqualTypeOf<BindIdError>();
if (isBindIdError(err)) {
  expectTypeOf(err.code).toEqualTypeOf<ErrorCodeValue>();
  switch (err.code) {
    case 'ERR_BINDID_UNAVAILABLE':
    case 'ERR_BINDID_TIMEOUT':
      break;
    // @ts-expect-error not a code of this library
    case 'ERR_BINDID_UNKNOWN':
      break;
  }
}
// @ts-expect-error the code must be one of ErrorCode's
isBindIdError(err, 'ERR_BINDID_NOPE');
// @ts-expect-error code is read-only
new BindIdError(ErrorCode.CSRF, 'x').code = ErrorCode.TIMEOUT;

// Each subclass takes its own codes only: a code another class owns does not compile.
new BindIdArgumentError(ErrorCode.INVALID_OPTION, 'x');
new BindIdFeedbackError(ErrorCode.TIMEOUT, 'x');
new BindIdStateError(ErrorCode.CSRF, 'x');
// @ts-expect-error TIMEOUT belongs to BindIdFeedbackError
new BindIdArgumentError(ErrorCode.TIMEOUT, 'x');
// @ts-expect-error INVALID_ALIAS belongs to BindIdArgumentError
new BindIdFeedbackError(ErrorCode.INVALID_ALIAS, 'x');
// @ts-expect-error CSRF belongs to BindIdStateError
new BindIdFeedbackError(ErrorCode.CSRF, 'x');
// @ts-expect-error UNAVAILABLE belongs to BindIdFeedbackError
new BindIdStateError(ErrorCode.UNAVAILABLE, 'x');
// @ts-expect-error INVALID_OPTION belongs to BindIdArgumentError
new BindIdStateError(ErrorCode.INVALID_OPTION, 'x');
// Every code has exactly one owner: the three sets cover ErrorCode and do not overlap.
expectTypeOf<ErrorCodeOf<'BindIdArgumentError'> | ErrorCodeOf<'BindIdFeedbackError'> | ErrorCodeOf<'BindIdStateError'>>().toEqualTypeOf<ErrorCodeValue>();
expectTypeOf<Extract<ErrorCodeOf<'BindIdArgumentError'>, ErrorCodeOf<'BindIdFeedbackError'> | ErrorCodeOf<'BindIdStateError'>>>().toBeNever();
expectTypeOf<Extract<ErrorCodeOf<'BindIdFeedbackError'>, ErrorCodeOf<'BindIdStateError'>>>().toBeNever();
expectTypeOf<ErrorCodeOf<'BindIdFeedbackError'>>().toEqualTypeOf<
  'ERR_BINDID_REJECTED' | 'ERR_BINDID_UNAUTHORIZED' | 'ERR_BINDID_UNAVAILABLE' | 'ERR_BINDID_TIMEOUT' | 'ERR_BINDID_CONFIGURATION'
>();
