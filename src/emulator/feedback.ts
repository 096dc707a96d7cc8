/**
 * `POST /session-feedback` on the API side: strict checks of BindID's session-feedback request,
 * its effects on the user's alias, and the record of every request received.
 *
 * `Authorization` is `BindIdBackend AccessToken <token>; <hmac>` or `BindIdBackend AccessToken <hmac>`
 * (the token then comes from `subject_session_at`), where `<hmac>` is the padded base64 of
 * HMAC-SHA256 keyed with the UTF-8 client secret over the UTF-8 token, compared in constant time.
 *
 * Order of the checks (the first failure answers, as JSON `{ error, error_description }`):
 * 1. 413: body larger than 64 KiB (the body is read before anything else is looked at).
 * 2. 401: no `Authorization` header, or not exactly one of the two forms.
 * 3. 401, `token-and-hmac` form only (needs no body): wrong HMAC; unknown or expired token.
 * 4. 415: `Content-Type` not `application/json`. 400: body not JSON, or not an object;
 *    `subject_session_at` missing, not a string or empty.
 * 5. 401: `token-and-hmac` form: header token ≠ `subject_session_at`. `hmac-only` form: wrong HMAC
 *    over `subject_session_at`; unknown or expired token.
 * 6. 400: `reports` not an array of exactly one object; unknown `type`; `time` not a non-negative
 *    integer; `alias` missing, empty, not a string or longer than {@link MAX_ALIAS_LENGTH} (required
 *    for `authentication_performed` and `alias_updated`, checked when present on `alias_deleted`);
 *    `amr` on another type than `authentication_performed`, or not an array of at most 16 strings
 *    of 1 to 64 characters.
 * 7. 409: another user of this client holds the alias and `aliasConflict` is `reject`. 400
 *    `invalid_request`: `authentication_performed` for a user who already has an alias, when
 *    `repeatedAuthenticationPerformed` is `reject` ("an alias can be set once", D-SF; 400 because
 *    BindID's documented errors are 400 for a request it refuses and 401 for credentials, and no
 *    source shows a 409); `alias_updated` with the alias the user already has, when
 *    `unchangedAliasUpdated` is `reject`.
 * 8. 200 `{}`. `authentication_performed` sets the alias, confirms the user and binds the device of
 *    the access token's login (`ts.bindid.app_bound_cred` on later logins from it); `alias_updated`
 *    replaces the alias; `alias_deleted` removes it and unbinds the user's devices.
 *
 * The HMAC is computed here with `node:crypto` (a few lines, on purpose not the library's signing
 * code, so the emulator checks the library independently).
 *
 * Every request is recorded as a {@link ReceivedReport}, without the token, the HMAC or the header.
 *
 * @module
 */
import { createHmac } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { logger } from '../internal/log.js';
import type { Context } from './config.js';
import { HttpError, isJsonObject, mediaType, NOT_JSON, parseJson, readBody, sendError } from './http.js';
import { safeEqual } from './secrets.js';
import type { AppUser, Session } from './state.js';
import type { HeaderForm, ReceivedReport } from './types.js';

const log = logger('emulator');

/** Longest alias accepted, in characters (a bound of the emulator; BindID's own limit is unknown). */
export const MAX_ALIAS_LENGTH = 1024;

const REPORT_TYPES: ReadonlySet<string> = new Set(['authentication_performed', 'alias_updated', 'alias_deleted']);

/** `<token>` is an RFC 6750 b64token; `<hmac>` is 32 bytes in padded standard base64 (44 characters). */
const TOKEN_AND_HMAC = /^BindIdBackend AccessToken ([A-Za-z0-9\-._~+/]+=*); ([A-Za-z0-9+/]{43}=)$/;
const HMAC_ONLY = /^BindIdBackend AccessToken ([A-Za-z0-9+/]{43}=)$/;

const OK_HEADERS = { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': 2, 'Cache-Control': 'no-store' };

/** The `Authorization` header, taken apart. */
type ParsedAuth =
  | { form: 'token-and-hmac'; token: string; hmac: string }
  | { form: 'hmac-only'; hmac: string }
  | { form: 'none' }
  | { form: 'malformed' };

/** The user and session an access token stands for. */
interface Authenticated {
  user: AppUser;
  session: Session;
}

/** A report that passed every check. */
interface CheckedReport {
  type: 'authentication_performed' | 'alias_updated' | 'alias_deleted';
  alias?: string;
}

/** The parts of a {@link ReceivedReport} learnt while checking the request. */
type Draft = { -readonly [K in 'type' | 'alias' | 'time' | 'amr' | 'sub']?: ReceivedReport[K] } & {
  headerForm: HeaderForm;
};

/** Handle `POST /session-feedback`. */
export async function handleSessionFeedback(req: IncomingMessage, res: ServerResponse, ctx: Context): Promise<void> {
  const at = ctx.config.now();
  const auth = parseAuthorization(req.headers.authorization);
  const draft: Draft = { headerForm: auth.form };
  try {
    const payload = parseJson(await readBody(req));
    if (isJsonObject(payload)) capture(payload, draft, auth);
    const { report, user, session } = checkRequest(req, payload, auth, ctx, draft);
    applyReport(report, { user, session }, ctx);
  } catch (err) {
    const httpError = err instanceof HttpError ? err : undefined;
    record(ctx, at, httpError?.status ?? 500, draft, httpError?.message ?? 'internal error');
    if (httpError === undefined) throw err;
    return sendError(res, httpError);
  }
  record(ctx, at, 200, draft);
  res.writeHead(200, OK_HEADERS);
  res.end('{}');
}

/** Record a session-feedback request answered (or dropped, `status` 0) by a fault. */
export function recordFaulted(req: IncomingMessage, ctx: Context, status: number, what: string): void {
  const draft: Draft = { headerForm: parseAuthorization(req.headers.authorization).form };
  record(ctx, ctx.config.now(), status, draft, `fault injected: ${what}`);
}

function record(ctx: Context, at: number, status: number, draft: Draft, error?: string): void {
  const accepted = status === 200 && error === undefined;
  const report: ReceivedReport = { at, status, accepted, ...(error === undefined ? {} : { error }), ...draft };
  ctx.state.addReport(Object.freeze(report));
  if (!accepted) log('session-feedback: %d %s', status, error);
}

function parseAuthorization(header: string | undefined): ParsedAuth {
  if (header === undefined) return { form: 'none' };
  const full = TOKEN_AND_HMAC.exec(header);
  if (full !== null) return { form: 'token-and-hmac', token: full[1] as string, hmac: full[2] as string };
  const short = HMAC_ONLY.exec(header);
  if (short !== null) return { form: 'hmac-only', hmac: short[1] as string };
  return { form: 'malformed' };
}

/** Steps 2 to 7 of the module comment. */
function checkRequest(
  req: IncomingMessage,
  payload: unknown,
  auth: ParsedAuth,
  ctx: Context,
  draft: Draft,
): Authenticated & { report: CheckedReport } {
  if (auth.form === 'none') throw unauthorized('the Authorization header is missing');
  if (auth.form === 'malformed') {
    throw unauthorized('the Authorization header must be "BindIdBackend AccessToken [<access token>; ]<auth value>"');
  }
  if (auth.form === 'token-and-hmac') {
    const who = authenticate(auth.token, auth.hmac, ctx, draft);
    const { subjectToken, reports } = checkPayload(req, payload);
    if (auth.token !== subjectToken) throw unauthorized('the access token in the header differs from subject_session_at');
    return { report: checkReport(reports, who.user, ctx), ...who };
  }
  const { subjectToken, reports } = checkPayload(req, payload);
  const who = authenticate(subjectToken, auth.hmac, ctx, draft);
  return { report: checkReport(reports, who.user, ctx), ...who };
}

/** BindID's auth value: padded base64 of HMAC-SHA256 over the UTF-8 token, keyed with the UTF-8 secret. */
export function authValue(clientSecret: string, accessToken: string): string {
  return createHmac('sha256', Buffer.from(clientSecret, 'utf8')).update(Buffer.from(accessToken, 'utf8')).digest('base64');
}

/** Check the HMAC and the token; return the token's session and user. Records the `sub` in `draft`. */
function authenticate(token: string, hmac: string, ctx: Context, draft: Draft): Authenticated {
  const session = ctx.state.session(token);
  if (session !== undefined) draft.sub = session.sub;
  if (!safeEqual(hmac, authValue(ctx.config.clientSecret, token))) {
    throw unauthorized('the auth value is not the HMAC-SHA256 of the access token keyed with the client secret');
  }
  if (session === undefined) throw unauthorized('the access token is unknown');
  if (session.expiresAt <= ctx.config.now()) throw unauthorized('the access token has expired');
  const user = ctx.state.user(session.sub);
  if (user === undefined) throw unauthorized('the identity of this access token no longer exists');
  return { user, session };
}

/** Step 4 of the module comment: the content type, the body's shape and `subject_session_at`. */
function checkPayload(req: IncomingMessage, payload: unknown): { subjectToken: string; reports: unknown } {
  if (mediaType(req) !== 'application/json') {
    throw new HttpError(415, 'unsupported_media_type', 'the Content-Type must be application/json');
  }
  if (payload === NOT_JSON) throw badRequest('the body is not valid JSON');
  if (!isJsonObject(payload)) throw badRequest('the body must be a JSON object');
  const subject = payload.subject_session_at;
  if (typeof subject !== 'string' || subject === '') throw badRequest('subject_session_at must be a non-empty string');
  return { subjectToken: subject, reports: payload.reports };
}

/** Steps 6 and 7 of the module comment. */
function checkReport(reports: unknown, user: AppUser, ctx: Context): CheckedReport {
  if (!Array.isArray(reports) || reports.length !== 1 || !isJsonObject(reports[0])) {
    throw badRequest('reports must be an array of exactly one report object');
  }
  const { type, time, alias, amr } = reports[0];
  if (typeof type !== 'string' || !REPORT_TYPES.has(type)) {
    throw badRequest('type must be authentication_performed, alias_updated or alias_deleted');
  }
  if (typeof time !== 'number' || !Number.isSafeInteger(time) || time < 0) {
    throw badRequest('time must be a non-negative integer number of seconds since 1970');
  }
  if (alias !== undefined || type !== 'alias_deleted') {
    if (typeof alias !== 'string' || alias === '' || alias.length > MAX_ALIAS_LENGTH) {
      throw badRequest(`alias must be a non-empty string of at most ${MAX_ALIAS_LENGTH} characters`);
    }
  }
  if (amr !== undefined) {
    if (type !== 'authentication_performed') throw badRequest('amr is allowed only on authentication_performed reports');
    if (!isAmr(amr)) throw badRequest('amr must be an array of at most 16 strings of 1 to 64 characters');
  }
  if (
    typeof alias === 'string' &&
    type !== 'alias_deleted' &&
    ctx.config.aliasConflict === 'reject' &&
    ctx.state.aliasHeldByOther(user.identity.sub, alias)
  ) {
    throw new HttpError(409, 'alias_conflict', 'another user of this client already holds this alias');
  }
  if (
    type === 'authentication_performed' &&
    user.alias !== undefined &&
    ctx.config.repeatedAuthenticationPerformed === 'reject'
  ) {
    throw badRequest('an alias is already set for this user: it can be set once (use alias_updated to change it)');
  }
  if (type === 'alias_updated' && alias === user.alias && ctx.config.unchangedAliasUpdated === 'reject') {
    throw badRequest('the alias is unchanged: alias_updated changes an existing alias');
  }
  return { type: type as CheckedReport['type'], ...(typeof alias === 'string' ? { alias } : {}) };
}

function isAmr(amr: unknown): amr is string[] {
  return (
    Array.isArray(amr) &&
    amr.length <= 16 &&
    amr.every((value) => typeof value === 'string' && value.length >= 1 && value.length <= 64)
  );
}

/** Step 8 of the module comment. */
function applyReport(report: CheckedReport, { user, session }: Authenticated, ctx: Context): void {
  const { state, config } = ctx;
  if (report.type === 'alias_deleted') {
    state.setAlias(user, undefined);
    state.unbindDevices(user);
    return;
  }
  state.setAlias(user, report.alias);
  if (report.type === 'authentication_performed') {
    const now = Math.floor(config.now() / 1000);
    state.confirm(user, now);
    state.bindDevice(user, session.device, now);
  }
}

/**
 * Copy the fields of `reports[0]` into `draft` where they have the right JSON type, cut to bounded
 * lengths. A value containing the access token or the auth value is replaced by `[redacted]`.
 */
function capture(payload: Record<string, unknown>, draft: Draft, auth: ParsedAuth): void {
  const { reports, subject_session_at: subject } = payload;
  if (!Array.isArray(reports) || !isJsonObject(reports[0])) return;
  const secrets = [typeof subject === 'string' ? subject : '', 'token' in auth ? auth.token : '', 'hmac' in auth ? auth.hmac : ''];
  const clip = (value: string, max: number): string =>
    secrets.some((secret) => secret !== '' && value.includes(secret)) ? '[redacted]' : value.slice(0, max);
  const { type, alias, time, amr } = reports[0];
  if (typeof type === 'string') draft.type = clip(type, 64);
  if (typeof alias === 'string') draft.alias = clip(alias, MAX_ALIAS_LENGTH);
  if (typeof time === 'number') draft.time = time;
  if (Array.isArray(amr) && amr.every((value) => typeof value === 'string')) {
    draft.amr = Object.freeze(amr.slice(0, 16).map((value: string) => clip(value, 64)));
  }
}

function unauthorized(description: string): HttpError {
  return new HttpError(401, 'unauthorized', description);
}

function badRequest(description: string): HttpError {
  return new HttpError(400, 'invalid_request', description);
}
