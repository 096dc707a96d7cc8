/** The options of `bindIdRouter`, declared once, their reading when the router is built, and what its routes share. @module */
import type { Request } from 'express';
import passportDefault, { type Authenticator } from 'passport';
import { ATTEMPT_GUARD_OPTIONS, type AttemptGuardSettings, readAttemptGuardSettings } from '../confirm/attempt-guard.js';
import { CONFIRM_OPTIONS } from '../confirm/confirm-options.js';
import { SessionFeedbackClient } from '../feedback/session-feedback-client.js';
import { FLOW_OPTIONS, type FlowSettings, type FlowUserTypes, readAppPath, readFlowSettings } from '../flow/flow-options.js';
import type { SignInFlow } from '../flow/sign-in-flow.js';
import { OptionReader } from '../internal/option-reader.js';
import { option, type OptionRule, type OptionsOf, pick, readSchema, type SettingsOf } from '../internal/option-schema.js';
import { hasStrategy } from './strategy-check.js';
import { type ConfirmPageMessages, DEFAULT_CONFIRM_MESSAGES, type RenderConfirmPage } from './confirm-page.js';
import type { RouterResponses } from './router-responses.js';

/** The part of a passport instance the router uses. */
export type PassportLike = Pick<Authenticator, 'authenticate'>;

/** Absolute app paths: the redirect URI, form actions and redirects use them as they are. */
const PATH_OPTIONS = {
  /** Default `/login/bindid`. */
  login: routePath('/login/bindid'),
  /** Default `/bindid/callback`. Registered at BindID as `baseUrl + callback`. */
  callback: routePath('/bindid/callback'),
  /** Default `/bindid/confirm`. */
  confirm: routePath('/bindid/confirm'),
  /** Default `/bindid/confirm/cancel`. */
  cancel: routePath('/bindid/confirm/cancel'),
  /** Default `/bindid/unlink`: POST (CSRF token `_csrf`) by the signed-in user, to unlink BindID after a fresh BindID sign-in. */
  unlink: routePath('/bindid/unlink'),
};

const MESSAGE_OPTIONS = Object.fromEntries(
  Object.entries(DEFAULT_CONFIRM_MESSAGES).map(([key, text]) => [key, option.string(text)]),
) as { readonly [K in keyof ConfirmPageMessages]: OptionRule<string, string> };

// All but `logIn` (the router always logs the user in) and `clientSecret` (the flow's).
const { logIn: _logIn, clientSecret: _secret, ...ROUTER_CONFIRM_OPTIONS } = CONFIRM_OPTIONS;

/** The options of `bindIdRouter`: the sign-in flow's, the confirmation's, the attempt limits and the router's own. */
export const ROUTER_OPTIONS = {
  ...FLOW_OPTIONS,
  ...ROUTER_CONFIRM_OPTIONS,
  ...ATTEMPT_GUARD_OPTIONS,
  /** The app's public origin, e.g. `https://app.example.com`: the redirect URI is `baseUrl + paths.callback`, `returnTo` stays on it. */
  baseUrl: option.baseUrl('https://app.example.com'),
  /** A ready session-feedback client (to set its timeout or retries), instead of the one built from `clientSecret` + `apiUrl`; then no `apiUrl`. */
  client: option.instance(SessionFeedbackClient, 'a SessionFeedbackClient', 'built from `clientSecret` + `apiUrl`'),
  /** The passport instance the app configured, when it is not the singleton; it must already have the `strategy`. */
  passport: option.custom<PassportLike, PassportLike>('the `passport` singleton', readPassport),
  /** Name of the passport-local strategy that checks passwords (see `createLocalStrategy`). Default `bindid-local`. */
  strategy: option.string('bindid-local'),
  /** Route paths. */
  paths: option.nested(PATH_OPTIONS, '`/login/bindid`, `/bindid/callback`, `/bindid/confirm`, `/bindid/confirm/cancel`, `/bindid/unlink`'),
  /** Replace the default confirm page (status and security headers are set). */
  render: option.fn<RenderConfirmPage>('built-in page'),
  /** Override strings of the default page (i18n). */
  messages: option.nested(MESSAGE_OPTIONS, 'English'),
};

/** Options of {@link bindIdRouter} (see `ROUTER_OPTIONS`). */
export interface BindIdRouterOptions<U = Express.User> extends OptionsOf<typeof ROUTER_OPTIONS, FlowUserTypes<U>> {}

/** @internal */
export interface RouterConfig<U> extends Pick<SettingsOf<typeof ROUTER_OPTIONS>, 'passport' | 'strategy' | 'paths' | 'render' | 'messages'> {
  flow: FlowSettings<U>;
  /** The app gave `passport` (checked at start-up), or the singleton is used (checked at the first confirm request). */
  passportGiven: boolean;
  /** The attempt limits handed to the strategy for each confirm request. */
  guard: AttemptGuardSettings;
}

/** @internal */
export interface RouterContext<U> extends RouterConfig<U> {
  readonly signIn: SignInFlow<U>;
  readonly responses: RouterResponses;
  /** Throws `ERR_BINDID_STRATEGY_MISSING` while the passport instance has no password strategy (`strategy-check.ts`). */
  readonly checkStrategy: (req: Request) => void;
}

/** Throws `ERR_BINDID_INVALID_OPTION` naming the first bad option. */
export function readRouterOptions<U>(options: BindIdRouterOptions<U>): RouterConfig<U> {
  const o = new OptionReader('bindIdRouter', options, ROUTER_OPTIONS);
  const names = ['passport', 'strategy', 'paths', 'baseUrl', 'client', 'render', 'messages'] as const;
  const { passport, strategy, paths, baseUrl, client, render, messages } = readSchema(o, pick(ROUTER_OPTIONS, names));
  const passportGiven = o.has('passport');
  if (passportGiven && hasStrategy(passport, strategy) === false) {
    const fix = 'register createLocalStrategy on this instance before bindIdRouter() (passport.use(createLocalStrategy({ verify })))';
    throw o.error('passport', `has no strategy "${strategy}": ${fix}, or pass \`passport: yourInstance\`, the instance you registered it on`);
  }
  if (client && o.has('apiUrl')) throw o.error('client', 'cannot be combined with apiUrl: give one or the other');
  const flow = readFlowSettings<U>(o, { baseUrl, redirectUri: `${baseUrl}${paths.callback}` }, client);
  const guard = readAttemptGuardSettings(o, flow.link.store, flow.link.now);
  return { flow, passport, passportGiven, strategy, paths, render, messages, guard };
}

function routePath(fallback: string): OptionRule<string, string> {
  return option.custom<string, string>(`\`'${fallback}'\``, (o, key) => readAppPath(o, key, fallback));
}

function readPassport(o: OptionReader, key: string): PassportLike {
  const value = o.raw(key);
  if (value === undefined) return passportDefault;
  if (typeof (value as { authenticate?: unknown } | null)?.authenticate !== 'function') {
    throw o.error(key, 'must be a passport instance (import passport from "passport")');
  }
  return value as PassportLike;
}
