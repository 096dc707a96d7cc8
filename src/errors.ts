/**
 * Every error raised or passed to `next(err)` is a {@link BindIdError}: match on `err.code` (bundlers can
 * duplicate classes). Messages never hold a secret, token, password or upstream body; `cause` is always a
 * plain error built here (an HTTP client's error would carry the request).
 * @module
 */

/** Stable error codes. Each is documented in docs/errors.md with what to do about it. */
export const ErrorCode = {
  /** An argument passed to a function of this library has the wrong type or value. */
  INVALID_ARGUMENT: 'ERR_BINDID_INVALID_ARGUMENT',
  /** An option passed to a factory or constructor is missing, unknown or invalid. Thrown at start-up. */
  INVALID_OPTION: 'ERR_BINDID_INVALID_OPTION',
  /** BindID answered the session-feedback request with a 4xx other than 401/403/429, or a redirect. */
  REJECTED: 'ERR_BINDID_REJECTED',
  /** BindID answered 401 or 403: wrong client secret, or an expired or unknown access token. */
  UNAUTHORIZED: 'ERR_BINDID_UNAUTHORIZED',
  /** BindID could not be reached or kept failing (5xx, 429, connection errors) within the deadline. */
  UNAVAILABLE: 'ERR_BINDID_UNAVAILABLE',
  /** The overall deadline of a session-feedback call passed before BindID answered. */
  TIMEOUT: 'ERR_BINDID_TIMEOUT',
  /** Discovery at `issuer` shows a wrong configuration (another issuer, a redirect, a 4xx, no endpoint). Not retryable. */
  CONFIGURATION: 'ERR_BINDID_CONFIGURATION',
  /** The per-login `authorizationParamsFor` returned a parameter BindID cannot take (unknown, reserved or malformed). */
  INVALID_AUTHORIZATION_PARAMS: 'ERR_BINDID_INVALID_AUTHORIZATION_PARAMS',
  /** `req.session` is missing: express-session is not mounted before this middleware. */
  SESSION_MISSING: 'ERR_BINDID_SESSION_MISSING',
  /** `req.login` is missing: `passport.initialize()` (or `passport.session()`) is not mounted. */
  PASSPORT_MISSING: 'ERR_BINDID_PASSPORT_MISSING',
  /** The passport instance the router authenticates with has no password strategy (`createLocalStrategy`) of the configured name. */
  STRATEGY_MISSING: 'ERR_BINDID_STRATEGY_MISSING',
  /** The confirmation middleware ran without `req.user`: the password check did not run or failed. */
  NOT_AUTHENTICATED: 'ERR_BINDID_NOT_AUTHENTICATED',
  /** There is no pending BindID login in the session (none started, already used, or cancelled). */
  NO_PENDING_LOGIN: 'ERR_BINDID_NO_PENDING_LOGIN',
  /** The pending BindID login is older than its time-to-live or than its access token. */
  PENDING_LOGIN_EXPIRED: 'ERR_BINDID_PENDING_LOGIN_EXPIRED',
  /** The `alias` option returned a value BindID cannot take (empty, too long, control characters). */
  INVALID_ALIAS: 'ERR_BINDID_INVALID_ALIAS',
  /** BindID accepted the report but `req.login` failed (session store error). */
  LOGIN_FAILED: 'ERR_BINDID_LOGIN_FAILED',
  /** A confirm or cancel POST failed the CSRF token or same-origin check. */
  CSRF: 'ERR_BINDID_CSRF',
  /** The BindID callback arrived without the sign-in started by this browser session (lost cookie, direct hit, another browser). */
  LOGIN_STATE_MISSING: 'ERR_BINDID_LOGIN_STATE_MISSING',
  /** The BindID callback failed validation: state, nonce, code, ID token or an OAuth error from BindID. */
  CALLBACK_INVALID: 'ERR_BINDID_CALLBACK_INVALID',
  /** The user cancelled at BindID (`error=access_denied`). */
  ACCESS_DENIED: 'ERR_BINDID_ACCESS_DENIED',
  /** The account is already linked to another BindID user, or the BindID user to another account. */
  ALREADY_LINKED: 'ERR_BINDID_ALREADY_LINKED',
  /** Another request is confirming the same pending sign-in right now. */
  CONFIRM_IN_PROGRESS: 'ERR_BINDID_CONFIRM_IN_PROGRESS',
  /** A shared store (attempt counters, link registry, outbox) failed: the flow fails closed. */
  STORE_UNAVAILABLE: 'ERR_BINDID_STORE_UNAVAILABLE',
  /** `MemoryBindIdStore` is full and would have to drop security state: the write is refused, the flow fails closed. */
  STORE_FULL: 'ERR_BINDID_STORE_FULL',
  /** The ID token's `bindid_alias` maps to no user of the app (deleted or disabled): no auto-provisioning. */
  UNKNOWN_ALIAS: 'ERR_BINDID_UNKNOWN_ALIAS',
  /** The ID token's `bindid_alias` is unusable. Never "fixed": another app of the same BindID tenant may have set it. */
  ALIAS_UNUSABLE: 'ERR_BINDID_ALIAS_UNUSABLE',
  /** An unlink's fresh BindID sign-in came back with another user's alias. Nothing changed. */
  UNLINK_MISMATCH: 'ERR_BINDID_UNLINK_MISMATCH',
  /** An unlink's ID token has no numeric `auth_time`, or one from before the unlink started (an earlier authentication). Nothing changed; unlink again. */
  UNLINK_NOT_FRESH: 'ERR_BINDID_UNLINK_NOT_FRESH',
  /** The form posted to the router's confirm or cancel route is larger than 16 kB. */
  BODY_TOO_LARGE: 'ERR_BINDID_BODY_TOO_LARGE',
  /** The form posted to the router's confirm or cancel route has a charset or content-encoding it cannot read. */
  UNSUPPORTED_BODY: 'ERR_BINDID_UNSUPPORTED_BODY',
  /** The form posted to the router's confirm or cancel route cannot be read: too many fields, malformed or cut short. */
  INVALID_BODY: 'ERR_BINDID_INVALID_BODY',
  /** The form posted to the router's confirm, cancel or unlink route did not arrive within 10 s (a stalled or trickled body). */
  BODY_TIMEOUT: 'ERR_BINDID_BODY_TIMEOUT',
} as const;

/** One of the {@link ErrorCode} values. */
export type ErrorCodeValue = (typeof ErrorCode)[keyof typeof ErrorCode];
/** `ErrorCodeValue` under the constant's name. */
export type ErrorCode = ErrorCodeValue;

/** Extra, non-secret facts an error can carry: each as the {@link BindIdError} field of the same name. */
export interface BindIdErrorDetails {
  status?: number;
  retryable?: boolean;
  /** The underlying error, already stripped of anything secret. */
  cause?: Error;
  upstreamStatus?: number;
  attempts?: number;
  option?: string;
  possiblyApplied?: boolean;
}

/** Base class of every error of express-bindid. `status` and `expose` follow `http-errors`, which Express's default error handler reads. */
export class BindIdError extends Error {
  /** Stable machine-readable code, e.g. `ERR_BINDID_UNAVAILABLE`. */
  readonly code: ErrorCodeValue;
  /** HTTP status to answer with (500 when not stated). */
  readonly status: number;
  /** Alias of `status`, for frameworks that read `statusCode`. */
  readonly statusCode: number;
  /** Whether the same operation may succeed if tried again later. */
  readonly retryable: boolean;
  /** Whether `message` may be shown to the end user (true for 4xx statuses only). */
  readonly expose: boolean;
  /** For upstream errors: the status BindID answered with. */
  declare readonly upstreamStatus?: number;
  /** For upstream errors: how many HTTP attempts were made. */
  declare readonly attempts?: number;
  /** For option errors: the option's dotted name (`apiUrl`, `backoff.maxMs`). */
  declare readonly option?: string;
  /** BindID refused a report after an unanswered attempt it may have applied: the user is signed in; the next ID token settles it. */
  declare readonly possiblyApplied?: true;

  constructor(code: ErrorCodeValue, message: string, details: BindIdErrorDetails = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = new.target.name;
    this.code = code;
    this.status = details.status ?? 500;
    this.statusCode = this.status;
    this.retryable = details.retryable ?? false;
    this.expose = this.status < 500;
    if (details.upstreamStatus !== undefined) this.upstreamStatus = details.upstreamStatus;
    if (details.attempts !== undefined) this.attempts = details.attempts;
    if (details.option !== undefined) this.option = details.option;
    if (details.possiblyApplied === true) this.possiblyApplied = true;
  }

  /** A plain, secret-free description of the error for structured logs. */
  toJSON(): Record<string, unknown> {
    const out: Record<string, unknown> = {
      name: this.name,
      code: this.code,
      message: this.message,
      status: this.status,
      retryable: this.retryable,
    };
    if (this.upstreamStatus !== undefined) out.upstreamStatus = this.upstreamStatus;
    if (this.attempts !== undefined) out.attempts = this.attempts;
    if (this.option !== undefined) out.option = this.option;
    if (this.possiblyApplied === true) out.possiblyApplied = true;
    if (this.cause instanceof Error) {
      const cause = this.cause as Error & { code?: unknown };
      out.cause = { name: cause.name, message: cause.message, code: cause.code };
    }
    return out;
  }
}

/** The codes of each subclass, checked when compiling: each code belongs to one subclass, so `instanceof` and `code` agree. */
export type ErrorCodeOf<C extends 'BindIdArgumentError' | 'BindIdFeedbackError' | 'BindIdStateError'> = C extends 'BindIdArgumentError'
  ? (typeof ErrorCode)['INVALID_ARGUMENT' | 'INVALID_OPTION' | 'INVALID_ALIAS' | 'INVALID_AUTHORIZATION_PARAMS']
  : C extends 'BindIdFeedbackError'
    ? (typeof ErrorCode)['REJECTED' | 'UNAUTHORIZED' | 'UNAVAILABLE' | 'TIMEOUT' | 'CONFIGURATION']
    : Exclude<ErrorCodeValue, ErrorCodeOf<'BindIdArgumentError' | 'BindIdFeedbackError'>>;

/** A bad argument or option: the caller's mistake, raised before any I/O. */
export class BindIdArgumentError extends BindIdError {
  constructor(code: ErrorCodeOf<'BindIdArgumentError'>, message: string, details?: BindIdErrorDetails) {
    super(code, message, details);
  }
}

/** BindID answered, or could not be reached, in a way that stops the request. */
export class BindIdFeedbackError extends BindIdError {
  constructor(code: ErrorCodeOf<'BindIdFeedbackError'>, message: string, details?: BindIdErrorDetails) {
    super(code, message, details);
  }
}

/** The request is not in a state where this middleware can run (no session, no pending login...). */
export class BindIdStateError extends BindIdError {
  constructor(code: ErrorCodeOf<'BindIdStateError'>, message: string, details?: BindIdErrorDetails) {
    super(code, message, details);
  }
}

/** True when `err` is an error raised by express-bindid (optionally with the given code). */
export function isBindIdError(err: unknown, code?: ErrorCodeValue): err is BindIdError {
  if (!(err instanceof Error)) return false;
  const c = (err as { code?: unknown }).code;
  if (typeof c !== 'string' || !c.startsWith('ERR_BINDID_')) return false;
  return code === undefined || c === code;
}

/** Raise an argument error (status 500: it is a programming error, not the end user's). */
export function invalidArgument(message: string): BindIdArgumentError {
  return new BindIdArgumentError(ErrorCode.INVALID_ARGUMENT, message);
}

/** A code shaped like `ECONNREFUSED` or `ERR_BINDID_X`: safe to log, it cannot carry a secret. */
const SAFE_CODE = /^[A-Z0-9_]{2,64}$/;

/** The safe codes (see `SAFE_CODE`) on `err` and its `cause` chain, at most `depth` levels, outermost first. */
export function errorCodes(err: unknown, depth = 1): string[] {
  const codes: string[] = [];
  let current: unknown = err;
  for (let level = 0; level < depth && current !== null && typeof current === 'object'; level++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && SAFE_CODE.test(code)) codes.push(code);
    current = (current as { cause?: unknown }).cause;
  }
  return codes;
}

/** The error's own code when it is safe to log (see {@link errorCodes}), else `undefined`. */
export function errorCode(err: unknown): string | undefined {
  return errorCodes(err)[0];
}

/** A secret-free `cause` for any thrown value: a message we wrote and its safe code, never its own message or properties. */
export function safeCause(err: unknown, description: string): Error {
  const cause = new Error(description);
  const code = errorCode(err);
  if (code !== undefined) (cause as Error & { code?: string }).code = code;
  return cause;
}
