/**
 * `GET|POST|PATCH /custom-user-data` on the API side: BindID's custom user data store (D-CUD), kept
 * per alias (BindID keeps it per alias, which a provider's apps may share) for the app's user of the
 * access token.
 *
 * - `Authorization` as for session feedback: `BindIdBackend AccessToken <token>; <hmac>`, or
 *   `BindIdBackend AccessToken <hmac>` with the token in the body's `subject_session_at` (so not on
 *   a GET, which has no body). The HMAC is computed here with its own few lines (`node:crypto`), not
 *   with the library's signing code. 401 for a missing or malformed header, a wrong HMAC, an unknown
 *   or expired token, or a header token other than `subject_session_at`.
 * - 404 `alias_not_set` when the user of the token has no alias yet: BindID documents that the store
 *   works only once an alias is set; its status for this case is unverified.
 * - `GET`: 200 `{ "data": {…} }` (`{}` when nothing is stored).
 * - `POST` `{ "data": {…} }`: replaces the store. `PATCH` `{ "data": {…} }`: RFC 7386 JSON merge patch
 *   (`null` deletes a member, objects merge, anything else replaces). Both answer 200 with the stored
 *   `{ "data": {…} }`. 415 for another content type than `application/json`; 400 when the body is not
 *   JSON or `data` is not an object; 413 over 64 KiB (the body cap of every route).
 *
 * @module
 */
import { createHmac } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Context } from './config.js';
import { HttpError, isJsonObject, mediaType, NOT_JSON, parseJson, readBody, sendJson } from './http.js';
import { safeEqual } from './secrets.js';
import type { EmulatorState } from './state.js';

type JsonObject = Record<string, unknown>;

/** Most aliases whose data is kept per emulator; the oldest is dropped past it. */
const MAX_STORES = 10_000;

const TOKEN_AND_HMAC = /^BindIdBackend AccessToken ([A-Za-z0-9\-._~+/]+=*); ([A-Za-z0-9+/]{43}=)$/;
const HMAC_ONLY = /^BindIdBackend AccessToken ([A-Za-z0-9+/]{43}=)$/;

/** The stores of each running emulator (its state), by alias. */
const stores = new WeakMap<EmulatorState, Map<string, JsonObject>>();

/** Handle `GET`, `POST` and `PATCH /custom-user-data`. */
export async function handleCustomUserData(req: IncomingMessage, res: ServerResponse, ctx: Context): Promise<void> {
  const isGet = req.method === 'GET';
  const raw = isGet ? undefined : await readBody(req);
  const payload = raw === undefined ? undefined : parseJson(raw);
  const alias = authenticate(req.headers.authorization, payload, ctx);
  const byAlias = storesOf(ctx.state);
  if (isGet) return sendJson(res, 200, { data: byAlias.get(alias) ?? {} });

  if (mediaType(req) !== 'application/json') throw new HttpError(415, 'unsupported_media_type', 'the Content-Type must be application/json');
  if (payload === NOT_JSON || !isJsonObject(payload)) throw new HttpError(400, 'invalid_request', 'the body must be a JSON object');
  const data = payload.data;
  if (!isJsonObject(data)) throw new HttpError(400, 'invalid_request', 'data must be a JSON object');
  const next = req.method === 'PATCH' ? (mergePatch(byAlias.get(alias) ?? {}, data) as JsonObject) : (mergePatch({}, data) as JsonObject);
  byAlias.delete(alias); // re-inserted last: the oldest store is the first one dropped
  byAlias.set(alias, next);
  if (byAlias.size > MAX_STORES) byAlias.delete(byAlias.keys().next().value as string);
  sendJson(res, 200, { data: next });
}

/** The alias of the token's user; 401 or 404 otherwise. */
function authenticate(header: string | undefined, payload: unknown, ctx: Context): string {
  const full = header === undefined ? null : TOKEN_AND_HMAC.exec(header);
  const short = header === undefined || full !== null ? null : HMAC_ONLY.exec(header);
  if (full === null && short === null) {
    throw unauthorized('the Authorization header must be "BindIdBackend AccessToken [<access token>; ]<auth value>"');
  }
  const subject = isJsonObject(payload) && typeof payload.subject_session_at === 'string' ? payload.subject_session_at : undefined;
  const token = full !== null ? (full[1] as string) : subject;
  const hmac = full !== null ? (full[2] as string) : (short?.[1] as string);
  if (token === undefined) throw unauthorized('no access token: in the header, or in subject_session_at');
  if (full !== null && subject !== undefined && subject !== token) throw unauthorized('the access token in the header differs from subject_session_at');
  const expected = createHmac('sha256', Buffer.from(ctx.config.clientSecret, 'utf8')).update(token, 'utf8').digest('base64');
  if (!safeEqual(hmac, expected)) throw unauthorized('the auth value is not the HMAC-SHA256 of the access token keyed with the client secret');
  const session = ctx.state.session(token);
  if (session === undefined || session.expiresAt <= ctx.config.now()) throw unauthorized('the access token is unknown or expired');
  const alias = ctx.state.user(session.sub)?.alias;
  if (alias === undefined) throw new HttpError(404, 'alias_not_set', 'custom user data needs an alias: report one with session feedback first');
  return alias;
}

function storesOf(state: EmulatorState): Map<string, JsonObject> {
  let byAlias = stores.get(state);
  if (byAlias === undefined) {
    byAlias = new Map();
    stores.set(state, byAlias);
  }
  return byAlias;
}

/** RFC 7386 §2 MergePatch(target, patch), into fresh null-prototype objects (a `__proto__` member stays data). */
function mergePatch(target: unknown, patch: unknown): unknown {
  if (!isJsonObject(patch)) return patch;
  const out: JsonObject = Object.create(null);
  if (isJsonObject(target)) for (const [key, value] of Object.entries(target)) out[key] = value;
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete out[key];
    else out[key] = mergePatch(out[key], value);
  }
  return out;
}

function unauthorized(description: string): HttpError {
  return new HttpError(401, 'unauthorized', description);
}
