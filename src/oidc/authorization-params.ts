/** The allow-listed parameters an app may add to BindID's `/authorize` request; those security rests on are the library's (protocol notes §2). */
import { BindIdArgumentError, ErrorCode } from '../errors.js';
import { describeType } from '../internal/describe-type.js';
import { isLoopback } from '../internal/is-loopback.js';
import type { OptionReader } from '../internal/option-reader.js';
import { option, type OptionsOf, readSchema } from '../internal/option-schema.js';

/** Parameters set by the library only: each carries a check of the sign-in (or the client's identity). */
const RESERVED: ReadonlySet<string> = new Set([
  'client_id', 'client_secret', 'redirect_uri', 'response_type', 'response_mode', 'state', 'nonce',
  'code_challenge', 'code_challenge_method', 'request', 'request_uri',
]);

/** One allowed parameter of at most `maxLength` characters, checked by {@link authorizationParamProblem}. */
function param<T extends string = string>(maxLength: number) {
  return {
    ...option.custom<T, T | undefined>('none', (o, key) => {
      if (!o.has(key)) return undefined;
      const problem = authorizationParamProblem(key as keyof AuthorizationParams, o.raw(key));
      if (problem !== undefined) throw o.error(key, problem);
      return o.raw(key) as T;
    }),
    maxLength,
  };
}

/** The allow-list, declared once: the type, the static option's schema (errors name `authorizationParams.<key>`) and the length limits. */
const AUTHORIZATION_PARAMS = {
  /**
   * Space-separated ACR values: `ts.bindid.iac.email` and/or `ts.bindid.iac.phone_number` ask BindID to collect and verify the user's email
   * or phone number (without them a new user's email is often absent).
   */
  acr_values: param(512),
  /** A hint of who signs in, e.g. `email:alice@example.com` (format unverified at BindID). At most 256 characters. */
  login_hint: param(256),
  /** Space-separated: `login`, `consent`, `select_account`, or `none` alone. */
  prompt: param(64),
  /** `page`, `popup`, `touch` or `wap`. */
  display: param<'page' | 'popup' | 'touch' | 'wap'>(16),
  /** A message BindID shows on its sign-in page. At most 1000 characters. */
  bindid_custom_message: param(1000),
  /** An extra link on BindID's page: an absolute `https:` URL (plain `http:` for localhost only). */
  bindid_aux_link: param(2048),
  /** The text of `bindid_aux_link`. At most 256 characters. */
  bindid_aux_link_title: param(256),
  /** Space-separated scopes; must include `openid` (BindID: `openid`, `email`, `phone`, `bindid_network_info`). */
  scope: param(512),
};

/** Extra parameters of the authorization request: non-empty strings without control characters; the library's own cannot be set here. */
export interface AuthorizationParams extends OptionsOf<typeof AUTHORIZATION_PARAMS> {}

/** RFC 6749 scope-token characters (also used for ACR values): printable ASCII but space, `"` and `\`. */
const TOKEN = /^[\x21\x23-\x5b\x5d-\x7e]+$/;
const CONTROL = /\p{Cc}/u;
/**
 * Invisible and bidirectional formatting characters (category Cf: zero-width spaces and joiners, bidi embeddings, overrides and
 * isolates, the BOM...) and the line and paragraph separators: shown at BindID, they can make a message or address misread.
 */
const INVISIBLE = /[\p{Cf}\u2028\u2029]/u;
const PROMPTS: ReadonlySet<string> = new Set(['none', 'login', 'consent', 'select_account']);
const DISPLAYS: ReadonlySet<string> = new Set(['page', 'popup', 'touch', 'wap']);

/** What is wrong with one parameter's value (never quoting it), or `undefined`. */
export function authorizationParamProblem(key: keyof AuthorizationParams, value: unknown): string | undefined {
  if (typeof value !== 'string' || value === '') return `must be a non-empty string (got ${value === '' ? 'an empty string' : describeType(value)})`;
  const { maxLength } = AUTHORIZATION_PARAMS[key];
  if (value.length > maxLength) return `must be at most ${maxLength} characters`;
  if (CONTROL.test(value)) return 'must not contain control characters';
  if (INVISIBLE.test(value)) return 'must not contain invisible or bidirectional formatting characters';
  if (key === 'acr_values' || key === 'scope' || key === 'prompt') return tokenListProblem(key, value);
  if (key === 'display') return DISPLAYS.has(value) ? undefined : 'must be one of page, popup, touch, wap';
  return key === 'bindid_aux_link' ? linkProblem(value) : undefined;
}

function tokenListProblem(key: 'acr_values' | 'scope' | 'prompt', value: string): string | undefined {
  const tokens = value.split(' ');
  if (!tokens.every((t) => TOKEN.test(t))) return 'must be values separated by single spaces (no quotes or backslashes)';
  if (key === 'scope' && !tokens.includes('openid')) return 'must include openid';
  if (key === 'prompt') {
    if (!tokens.every((t) => PROMPTS.has(t))) return 'must be made of login, consent, select_account (or none alone)';
    if (tokens.includes('none') && tokens.length > 1) return 'cannot combine none with another value';
  }
  return undefined;
}

function linkProblem(value: string): string | undefined {
  if (!URL.canParse(value)) return 'must be an absolute https: URL';
  const url = new URL(value);
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && isLoopback(url.hostname))) {
    return 'must be an absolute https: URL (plain http: only for localhost)';
  }
  if (url.username || url.password) return 'must not contain credentials';
  return undefined;
}

/** Read the static `authorizationParams` option (at the factory; errors name `authorizationParams.<key>`). */
export function readAuthorizationParams(o: OptionReader, key: string): AuthorizationParams {
  const raw = o.raw(key);
  const reserved = raw !== null && typeof raw === 'object' ? Object.keys(raw).find((name) => RESERVED.has(name)) : undefined;
  if (reserved !== undefined) throw o.error(`${key}.${reserved}`, reservedMessage(reserved));
  const read = readSchema(o.nested(key, AUTHORIZATION_PARAMS), AUTHORIZATION_PARAMS);
  return Object.fromEntries(Object.entries(read).filter(([, value]) => value !== undefined)) as AuthorizationParams;
}

/** Check what a per-login function returned (`undefined`/`null`: none): `ERR_BINDID_INVALID_AUTHORIZATION_PARAMS` (400) never quotes a value. */
export function checkAuthorizationParams(value: unknown): AuthorizationParams {
  if (value === undefined || value === null) return {};
  if (typeof value !== 'object' || Array.isArray(value)) throw invalidParams(`The sign-in parameters must be an object (got ${describeType(value)}).`);
  const out: AuthorizationParams = {};
  for (const [name, v] of Object.entries(value)) {
    if (v === undefined) continue;
    if (RESERVED.has(name)) throw invalidParams(`The sign-in parameter ${name} ${reservedMessage(name)}.`);
    if (!Object.hasOwn(AUTHORIZATION_PARAMS, name)) {
      throw invalidParams(`The sign-in parameter ${safeName(name)} is not allowed (allowed: ${Object.keys(AUTHORIZATION_PARAMS).join(', ')}).`);
    }
    const problem = authorizationParamProblem(name as keyof AuthorizationParams, v);
    if (problem !== undefined) throw invalidParams(`The sign-in parameter ${name} ${problem}.`);
    (out as Record<string, string>)[name] = v as string;
  }
  return out;
}

function reservedMessage(name: string): string {
  return `is set by express-bindid itself and cannot be overridden (${name} carries a check of the sign-in)`;
}

function invalidParams(message: string): BindIdArgumentError {
  return new BindIdArgumentError(ErrorCode.INVALID_AUTHORIZATION_PARAMS, message, { status: 400 });
}

/** A parameter name as it may appear in a message: short identifier characters only. */
function safeName(name: string): string {
  return /^[A-Za-z0-9_.-]{1,40}$/.test(name) ? name : 'given';
}
