/**
 * The options of {@link bindIdRouter}: their types, and `readRouterOptions`, which checks them once,
 * when the router is built.
 *
 * @module
 */
import type { Request } from 'express';
import passportDefault, { type Authenticator } from 'passport';
import { ATTEMPT_GUARD_KEYS, type AttemptGuardOptions, type AttemptGuardSettings, readAttemptGuardSettings } from '../confirm/attempt-guard.js';
import {
  CONFIRM_OPTION_KEYS,
  type ConfirmSettings,
  readConfirmSettings,
  type SendAuthenticationPerformedOptions,
} from '../confirm/confirm-options.js';
import { SessionFeedbackClient } from '../feedback/session-feedback-client.js';
import { type KnownKeys, OptionReader } from '../internal/option-reader.js';
import { type AuthorizationParams, readAuthorizationParams } from '../oidc/authorization-params.js';
import { readStaticMetadata, type StaticOidcMetadata } from '../oidc/static-metadata.js';
import { type BindIdClaims, DEFAULT_PENDING_TTL_SECONDS } from '../session/pending-login.js';
import { sanitizeReturnTo } from '../session/return-to.js';
import { hasStrategy } from './strategy-check.js';
import {
  type ConfirmPageMessages,
  DEFAULT_CONFIRM_MESSAGES,
  type RenderConfirmPage,
} from './confirm-page.js';

import type { LinkFailedEvent, RecognizedEvent, UnlinkedEvent } from './router-events.js';

export type { AuthorizationParams } from '../oidc/authorization-params.js';
export type { LinkFailedEvent, RecognizedEvent, UnlinkedEvent } from './router-events.js';
export { BINDID_HOSTS, type BindIdEnvironment, type BindIdHosts } from '../oidc/bindid-hosts.js';
export type { StaticOidcMetadata } from '../oidc/static-metadata.js';

/**
 * Return this from `findUserByAlias` when the app revoked the link of this alias (for example after a
 * password reset): instead of signing in, the router asks for the password again and re-reports.
 */
export const CONFIRM_AGAIN: unique symbol = Symbol.for('express-bindid.confirm-again');

/** What `findUserByAlias` may return. */
export type AliasLookup<U> = U | typeof CONFIRM_AGAIN | null | undefined | false;

/** The part of a passport instance the router uses. */
export type PassportLike = Pick<Authenticator, 'authenticate'>;

/** Paths of the router's routes (absolute app paths). */
export interface BindIdRouterPaths {
  /** Default `/login/bindid`. */
  login?: string;
  /** Default `/bindid/callback`. Registered at BindID as `baseUrl + callback`. */
  callback?: string;
  /** Default `/bindid/confirm`. */
  confirm?: string;
  /** Default `/bindid/confirm/cancel`. */
  cancel?: string;
  /** Default `/bindid/unlink`: POST (CSRF token `_csrf`) by the signed-in user, to unlink BindID after a fresh BindID sign-in. */
  unlink?: string;
}

/**
 * Options of {@link bindIdRouter}: those of {@link sendAuthenticationPerformed} that report the link
 * (`alias`, `amr`, `apiUrl`, hooks, `now`, `store`, `failureMode`, `outbox`, `outboxWorker`...), and
 * the sign-in flow's own. The router always logs the user in (no `logIn`), and needs `clientSecret`
 * for the token endpoint even with a ready `client`.
 */
export interface BindIdRouterOptions<U = Express.User>
  extends Omit<SendAuthenticationPerformedOptions<U>, 'client' | 'clientSecret' | 'logIn'>,
    AttemptGuardOptions {
  /**
   * BindID's issuer (sign-in host, no trailing slash: one is removed), e.g. `BINDID_HOSTS.sandbox.issuer`
   * (`https://signin.bindid-sandbox.io`); for the emulator `emu.issuer`.
   */
  issuer: string;
  /** The BindID client ID of the app. */
  clientId: string;
  /** The BindID client secret (token endpoint and report signing). */
  clientSecret: string;
  /** A ready session-feedback client (to set its timeout or retries); then no `apiUrl`. Default: built from `clientSecret` + `apiUrl`. */
  client?: SessionFeedbackClient;
  /** The app's public origin, e.g. `https://app.example.com`: the redirect URI is `baseUrl + paths.callback`, and `returnTo` must stay on it. */
  baseUrl: string;
  /**
   * Find the app user whose alias BindID returned. Return `null`/`undefined`/`false` for none (deleted,
   * disabled): the sign-in is refused. Return {@link CONFIRM_AGAIN} when the app revoked this link
   * (after a password reset, say): the user must confirm with their password again.
   */
  findUserByAlias: (alias: string, claims: BindIdClaims, req: Request) => AliasLookup<U> | Promise<AliasLookup<U>>;
  /** The passport instance the app configured (`serializeUser`...). Default: the `passport` module's singleton. */
  passport?: PassportLike;
  /** Name of the passport-local strategy that checks passwords (see `createLocalStrategy`). Default `bindid-local`. */
  strategy?: string;
  /** OIDC scopes. Default `openid email`. Or give `authorizationParams.scope` (not both). */
  scope?: string;
  /**
   * Extra parameters of every authorization request (`acr_values`, `login_hint`, `prompt`, `display`,
   * `bindid_custom_message`, `bindid_aux_link`, `bindid_aux_link_title`, `scope`), checked here.
   * `state`, `nonce`, `redirect_uri`, PKCE, `client_id` and `response_type` cannot be set.
   */
  authorizationParams?: AuthorizationParams;
  /**
   * This login's parameters (same allow-list), overriding `authorizationParams` key by key; checked at
   * each login (`ERR_BINDID_INVALID_AUTHORIZATION_PARAMS`, 400). Return `undefined` for none.
   */
  authorizationParamsFor?: (req: Request) => AuthorizationParams | undefined | Promise<AuthorizationParams | undefined>;
  /** PKCE S256 (`code_challenge` at /authorize, `code_verifier` at /token). Default `true`. */
  pkce?: boolean;
  /** BindID's endpoints by hand, instead of discovery: all four or none, `https:` (plain `http:` only for localhost). */
  metadata?: StaticOidcMetadata;
  /** Route paths. */
  paths?: BindIdRouterPaths;
  /** Where to go after sign-in when no valid `returnTo` was given. Default `/`. */
  defaultReturnTo?: string;
  /** Replace the default confirm page. */
  render?: RenderConfirmPage;
  /** Override strings of the default page (i18n). */
  messages?: Partial<ConfirmPageMessages>;
  /** Time a user has to confirm, in seconds (never beyond the access token's lifetime). Default 600. */
  pendingTtlSeconds?: number;
  /** Deadline of each OIDC request (discovery, token), in ms. Default 5000. */
  httpTimeoutMs?: number;
  /** A confirmation attempt did not link. Errors are logged, not thrown. */
  onLinkFailed?: (event: LinkFailedEvent) => unknown;
  /** A returning BindID user was recognised by alias and signed in. Errors are logged, not thrown. */
  onRecognized?: (event: RecognizedEvent<U>) => unknown;
  /** The signed-in user unlinked BindID (`POST paths.unlink`): BindID accepted `alias_deleted`, the link is forgotten. Errors are logged, not thrown. */
  onUnlinked?: (event: UnlinkedEvent<U>) => unknown;
}

/** The options the router shares with `sendAuthenticationPerformed` (all of its but `logIn`). */
const { logIn: _logIn, ...SHARED_OPTION_KEYS } = CONFIRM_OPTION_KEYS;

/** @internal The option names, checked against the README by test/readme-options.test.ts (not in the package root). */
export const ROUTER_OPTION_KEYS: KnownKeys<BindIdRouterOptions> = {
  ...SHARED_OPTION_KEYS,
  ...ATTEMPT_GUARD_KEYS,
  issuer: true,
  clientId: true,
  baseUrl: true,
  findUserByAlias: true,
  passport: true,
  strategy: true,
  scope: true,
  authorizationParams: true,
  authorizationParamsFor: true,
  pkce: true,
  metadata: true,
  paths: true,
  defaultReturnTo: true,
  render: true,
  messages: true,
  pendingTtlSeconds: true,
  httpTimeoutMs: true,
  onLinkFailed: true,
  onRecognized: true,
  onUnlinked: true,
};
const KNOWN_PATHS: KnownKeys<BindIdRouterPaths> = { login: true, callback: true, confirm: true, cancel: true, unlink: true };
const KNOWN_MESSAGES: KnownKeys<ConfirmPageMessages> = {
  lang: true,
  title: true,
  intro: true,
  identity: true,
  usernameLabel: true,
  passwordLabel: true,
  submit: true,
  cancel: true,
  invalidCredentials: true,
  unavailable: true,
  rejected: true,
  alreadyLinked: true,
  expiredTitle: true,
  expired: true,
  startOver: true,
};

/** The router's options as read once by {@link readRouterOptions}. @internal */
export interface RouterConfig<U> {
  baseUrl: string;
  /** The origin of `baseUrl`, for the same-origin check of the forms. */
  appOrigin: string;
  issuer: string;
  clientId: string;
  clientSecret: string;
  scope: string;
  /** Static authorization parameters, checked (without `scope`, which is in `scope`). */
  authorizationParams: AuthorizationParams;
  authorizationParamsFor: BindIdRouterOptions<U>['authorizationParamsFor'];
  pkce: boolean;
  metadata: StaticOidcMetadata | undefined;
  httpTimeoutMs: number;
  findUserByAlias: BindIdRouterOptions<U>['findUserByAlias'];
  passport: PassportLike;
  /** Whether the app gave `passport` (checked at start-up) or the router uses the singleton (checked at the first confirm request). */
  passportGiven: boolean;
  strategy: string;
  paths: Required<BindIdRouterPaths>;
  defaultReturnTo: string;
  render: RenderConfirmPage | undefined;
  messages: ConfirmPageMessages;
  pendingTtlSeconds: number;
  onLinkFailed: ((event: LinkFailedEvent) => void | Promise<void>) | undefined;
  onRecognized: ((event: RecognizedEvent<U>) => void | Promise<void>) | undefined;
  onUnlinked: ((event: UnlinkedEvent<U>) => void | Promise<void>) | undefined;
  /** The confirmation settings shared with `sendAuthenticationPerformed` (client, store, failure policy...). */
  settings: ConfirmSettings<U>;
  /** The attempt limits the router hands to the strategy for each confirm request (store shared with `settings`). */
  guard: AttemptGuardSettings;
}

/** Check every option of `bindIdRouter` (throws `ERR_BINDID_INVALID_OPTION` naming the first bad one). */
export function readRouterOptions<U>(options: BindIdRouterOptions<U>): RouterConfig<U> {
  const o = new OptionReader('bindIdRouter', options, ROUTER_OPTION_KEYS);
  const baseUrl = o.baseUrl('baseUrl', 'https://app.example.com');
  const issuer = o.baseUrl('issuer', 'https://signin.bindid-sandbox.io');
  const clientId = o.requiredString('clientId', 'the client ID from the BindID admin portal');
  const clientSecret = o.requiredString('clientSecret', 'process.env.BINDID_CLIENT_SECRET');
  if (clientSecret.trim() !== clientSecret) throw o.error('clientSecret', 'has leading or trailing whitespace; trim it');
  const findUserByAlias = o.fn<BindIdRouterOptions<U>['findUserByAlias']>('findUserByAlias');
  if (!findUserByAlias) throw o.error('findUserByAlias', 'is required: (alias) => the user whose alias it is, or null');
  const passport = readPassport(o);
  const strategy = o.string('strategy', 'bindid-local');
  const passportGiven = o.has('passport');
  if (passportGiven && hasStrategy(passport, strategy) === false) {
    throw o.error(
      'passport',
      `has no strategy "${strategy}": register createLocalStrategy on this instance before bindIdRouter() (passport.use(createLocalStrategy({ verify }))), or pass \`passport: yourInstance\`, the instance you registered it on`,
    );
  }
  const paths = readPaths(o);
  const defaultReturnTo = o.string('defaultReturnTo', '/');
  if (sanitizeReturnTo(defaultReturnTo, baseUrl, '') !== defaultReturnTo) {
    throw o.error('defaultReturnTo', 'must be a path on this site, such as /account');
  }
  const render = o.fn<RenderConfirmPage>('render');
  const messages = readMessages(o);
  const pendingTtlSeconds = o.integer('pendingTtlSeconds', DEFAULT_PENDING_TTL_SECONDS, 10, 3600);
  const maxAttempts = o.integer('maxAttempts', 5, 1, 100);
  const onLinkFailed = o.fn<(event: LinkFailedEvent) => void | Promise<void>>('onLinkFailed');
  const onRecognized = o.fn<(event: RecognizedEvent<U>) => void | Promise<void>>('onRecognized');
  const onUnlinked = o.fn<(event: UnlinkedEvent<U>) => void | Promise<void>>('onUnlinked');
  const { scope, authorizationParams } = readScopeAndParams(o);
  const authorizationParamsFor = o.fn<BindIdRouterOptions<U>['authorizationParamsFor']>('authorizationParamsFor');
  const pkce = o.boolean('pkce', true);
  const metadata = readStaticMetadata(o, 'metadata', issuer);
  const httpTimeoutMs = o.integer('httpTimeoutMs', 5000, 500, 60_000);
  const settings: ConfirmSettings<U> = readConfirmSettings<U>(o, true, readFeedbackClient(o, clientSecret));
  const guard = readAttemptGuardSettings(o, settings.store, settings.now, maxAttempts);
  return {
    baseUrl,
    appOrigin: new URL(baseUrl).origin,
    issuer,
    clientId,
    clientSecret,
    scope,
    authorizationParams,
    authorizationParamsFor,
    pkce,
    metadata,
    httpTimeoutMs,
    findUserByAlias,
    passport,
    passportGiven,
    strategy,
    paths,
    defaultReturnTo,
    render,
    messages,
    pendingTtlSeconds,
    onLinkFailed,
    onRecognized,
    onUnlinked,
    settings,
    guard,
  };
}

/** `scope` or `authorizationParams.scope` (not both); the other parameters as they are. */
function readScopeAndParams(o: OptionReader): { scope: string; authorizationParams: AuthorizationParams } {
  const { scope: paramScope, ...authorizationParams } = readAuthorizationParams(o, 'authorizationParams');
  if (paramScope !== undefined && o.has('scope')) {
    throw o.error('authorizationParams.scope', 'cannot be combined with the scope option: give one or the other');
  }
  const scope = paramScope ?? o.string('scope', 'openid email');
  if (!scope.split(' ').includes('openid')) throw o.error('scope', 'must include openid');
  return { scope, authorizationParams };
}

function readPaths(o: OptionReader): Required<BindIdRouterPaths> {
  const p = o.nested('paths', KNOWN_PATHS);
  return {
    login: routePath(p, 'login', '/login/bindid'),
    callback: routePath(p, 'callback', '/bindid/callback'),
    confirm: routePath(p, 'confirm', '/bindid/confirm'),
    cancel: routePath(p, 'cancel', '/bindid/confirm/cancel'),
    unlink: routePath(p, 'unlink', '/bindid/unlink'),
  };
}

function routePath(o: OptionReader, key: string, fallback: string): string {
  const value = o.string(key, fallback);
  if (!/^\/[A-Za-z0-9\-._~/]*$/.test(value) || value.includes('//')) {
    throw o.error(key, 'must be an absolute path such as /bindid/confirm');
  }
  return value;
}

function readPassport(o: OptionReader): PassportLike {
  const value = o.raw('passport');
  if (value === undefined) return passportDefault;
  if (typeof (value as { authenticate?: unknown } | null)?.authenticate !== 'function') {
    throw o.error('passport', 'must be a passport instance (import passport from "passport")');
  }
  return value as PassportLike;
}

function readFeedbackClient(o: OptionReader, clientSecret: string): SessionFeedbackClient {
  const given = o.raw('client');
  if (given !== undefined) {
    if (!(given instanceof SessionFeedbackClient)) throw o.error('client', 'must be a SessionFeedbackClient');
    if (o.has('apiUrl')) throw o.error('client', 'cannot be combined with apiUrl: give one or the other');
    return given;
  }
  const apiUrl = o.baseUrl('apiUrl', 'https://api.bindid-sandbox.io');
  return new SessionFeedbackClient({ clientSecret, apiUrl });
}

function readMessages(o: OptionReader): ConfirmPageMessages {
  const m = o.nested('messages', KNOWN_MESSAGES);
  const out = { ...DEFAULT_CONFIRM_MESSAGES };
  for (const key of Object.keys(KNOWN_MESSAGES) as Array<keyof ConfirmPageMessages>) {
    out[key] = m.string(key, DEFAULT_CONFIRM_MESSAGES[key]);
  }
  return out;
}
