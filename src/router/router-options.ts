/**
 * The options of {@link bindIdRouter}: their types, and `readRouterOptions`, which checks them once,
 * when the router is built.
 *
 * @module
 */
import passportDefault, { type Authenticator } from 'passport';
import { ATTEMPT_GUARD_KEYS, type AttemptGuardOptions, type AttemptGuardSettings, readAttemptGuardSettings } from '../confirm/attempt-guard.js';
import { CONFIRM_OPTION_KEYS, type SendAuthenticationPerformedOptions } from '../confirm/confirm-options.js';
import { SessionFeedbackClient } from '../feedback/session-feedback-client.js';
import { type KnownKeys, OptionReader } from '../internal/option-reader.js';
import { FLOW_OPTION_KEYS, type FlowOptions, type FlowSettings, readFlowSettings } from '../flow/flow-options.js';
import { hasStrategy } from './strategy-check.js';
import {
  type ConfirmPageMessages,
  DEFAULT_CONFIRM_MESSAGES,
  type RenderConfirmPage,
} from './confirm-page.js';

export type { AuthorizationParams } from '../oidc/authorization-params.js';
export type { LinkFailedEvent, RecognizedEvent, UnlinkedEvent } from '../flow/flow-events.js';
export { type AliasLookup, CONFIRM_AGAIN } from '../flow/flow-options.js';
export { BINDID_HOSTS, type BindIdEnvironment, type BindIdHosts } from '../oidc/bindid-hosts.js';
export type { StaticOidcMetadata } from '../oidc/static-metadata.js';

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

/** The confirmation's options the router takes besides the flow's (it always logs the user in: no `logIn`). */
type RouterConfirmOptions<U> = Omit<SendAuthenticationPerformedOptions<U>, 'client' | 'clientSecret' | 'logIn' | keyof FlowOptions<U>>;

/**
 * Options of {@link bindIdRouter}: the sign-in flow's (`issuer`, `apiUrl`, `clientId`, `clientSecret`,
 * `baseUrl`, `findUserByAlias`, the authorization request, fail-open...), those of
 * {@link sendAuthenticationPerformed} that confirm a new user (`amr`, `onLinked`, `outboxWorker`...),
 * the attempt limits, and the router's own (passport, paths, the confirm page).
 */
export interface BindIdRouterOptions<U = Express.User> extends FlowOptions<U>, RouterConfirmOptions<U>, AttemptGuardOptions {
  /** The app's public origin, e.g. `https://app.example.com`: the redirect URI is `baseUrl + paths.callback`, and `returnTo` must stay on it. */
  baseUrl: string;
  /** A ready session-feedback client (to set its timeout or retries), instead of the one built from `clientSecret` + `apiUrl`; then no `apiUrl`. */
  client?: SessionFeedbackClient;
  /** The passport instance the app configured (`serializeUser`...). Default: the `passport` module's singleton. */
  passport?: PassportLike;
  /** Name of the passport-local strategy that checks passwords (see `createLocalStrategy`). Default `bindid-local`. */
  strategy?: string;
  /** Route paths. */
  paths?: BindIdRouterPaths;
  /** Replace the default confirm page. */
  render?: RenderConfirmPage;
  /** Override strings of the default page (i18n). */
  messages?: Partial<ConfirmPageMessages>;
}

/** @internal The option names, checked against the README by test/readme-options.test.ts (not in the package root). */
export const ROUTER_OPTION_KEYS: KnownKeys<BindIdRouterOptions> = {
  ...CONFIRM_OPTION_KEYS,
  ...FLOW_OPTION_KEYS,
  ...ATTEMPT_GUARD_KEYS,
  baseUrl: true,
  passport: true,
  strategy: true,
  paths: true,
  render: true,
  messages: true,
};
// `logIn` is the middleware's alone (the router always logs in), `clientSecret` the flow's.
delete (ROUTER_OPTION_KEYS as Record<string, unknown>).logIn;

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
  /** The sign-in flow's settings (and through them the confirmation's: client, store, fail-open...). */
  flow: FlowSettings<U>;
  passport: PassportLike;
  /** Whether the app gave `passport` (checked at start-up) or the router uses the singleton (checked at the first confirm request). */
  passportGiven: boolean;
  strategy: string;
  paths: Required<BindIdRouterPaths>;
  render: RenderConfirmPage | undefined;
  messages: ConfirmPageMessages;
  /** The attempt limits the router hands to the strategy for each confirm request (store shared with the flow). */
  guard: AttemptGuardSettings;
}

/** Check every option of `bindIdRouter` (throws `ERR_BINDID_INVALID_OPTION` naming the first bad one). */
export function readRouterOptions<U>(options: BindIdRouterOptions<U>): RouterConfig<U> {
  const o = new OptionReader('bindIdRouter', options, ROUTER_OPTION_KEYS);
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
  const baseUrl = o.baseUrl('baseUrl', 'https://app.example.com');
  const flow = readFlowSettings<U>(o, { baseUrl, redirectUri: `${baseUrl}${paths.callback}` }, readFeedbackClient(o));
  const maxAttempts = o.integer('maxAttempts', 5, 1, 100);
  return {
    flow,
    passport,
    passportGiven,
    strategy,
    paths,
    render: o.fn<RenderConfirmPage>('render'),
    messages: readMessages(o),
    guard: readAttemptGuardSettings(o, flow.link.store, flow.link.now, maxAttempts),
  };
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

/** The `client` option: a ready session-feedback client, instead of `apiUrl` (the flow builds one from `apiUrl` without it). */
function readFeedbackClient(o: OptionReader): SessionFeedbackClient | undefined {
  const given = o.raw('client');
  if (given === undefined) return undefined;
  if (!(given instanceof SessionFeedbackClient)) throw o.error('client', 'must be a SessionFeedbackClient');
  if (o.has('apiUrl')) throw o.error('client', 'cannot be combined with apiUrl: give one or the other');
  return given;
}

function readMessages(o: OptionReader): ConfirmPageMessages {
  const m = o.nested('messages', KNOWN_MESSAGES);
  const out = { ...DEFAULT_CONFIRM_MESSAGES };
  for (const key of Object.keys(KNOWN_MESSAGES) as Array<keyof ConfirmPageMessages>) {
    out[key] = m.string(key, DEFAULT_CONFIRM_MESSAGES[key]);
  }
  return out;
}
