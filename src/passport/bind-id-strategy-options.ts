/** The options of `BindIdStrategy`, checked once when it is built. @module */
import { FLOW_OPTIONS, type FlowSettings, type FlowUserTypes, readAppPath, readFlowSettings } from '../flow/flow-options.js';
import type { OptionReader } from '../internal/option-reader.js';
import { option, type OptionsOf, pick, readSchema, schemaReader, type SettingsOf } from '../internal/option-schema.js';

/** The sign-in flow's options (as `bindIdRouter`'s) and the strategy's own; the callback URL's origin is the app's, which `returnTo` stays on. */
export const STRATEGY_OPTIONS = {
  ...FLOW_OPTIONS,
  /** Strategy name for `passport.use()`/`passport.authenticate()`. Default `bindid`. */
  name: option.string('bindid'),
  /** The redirect URI registered at BindID, e.g. `https://app.example.com/bindid/callback`. */
  callbackURL: option.together<string>('`baseUrl` + `callbackPath`'),
  /** The app's public origin, e.g. `https://app.example.com`. */
  baseUrl: option.together<string>('required unless `callbackURL`'),
  /** Path of the callback route, with `baseUrl`. Default `/bindid/callback`. */
  callbackPath: option.together<string>("`'/bindid/callback'`"),
  /**
   * A new BindID user's pending login is kept, then `redirect` to `confirmPath`, or `fail` with
   * `{ bindidPending: true }` as info, for apps that route themselves (`failureRedirect`, a custom callback).
   */
  pending: option.oneOf(['redirect', 'fail'] as const, 'redirect'),
  /** The app's confirm page, for `pending: 'redirect'`. Default `/bindid/confirm`. */
  confirmPath: option.together<string>("`'/bindid/confirm'`"),
};

/** Options of `new BindIdStrategy(options)`. */
export interface BindIdStrategyOptions<U = Express.User> extends OptionsOf<typeof STRATEGY_OPTIONS, FlowUserTypes<U>> {}

/** @internal */
export interface StrategyConfig<U> extends Pick<SettingsOf<typeof STRATEGY_OPTIONS>, 'name' | 'pending'> {
  confirmPath: string;
  flow: FlowSettings<U>;
}

export function readBindIdStrategyOptions<U>(options: BindIdStrategyOptions<U>): StrategyConfig<U> {
  const o = schemaReader('BindIdStrategy', options, STRATEGY_OPTIONS);
  const { name } = readSchema(o, pick(STRATEGY_OPTIONS, ['name']));
  const { baseUrl, callbackURL } = readCallback(o);
  const { pending } = readSchema(o, pick(STRATEGY_OPTIONS, ['pending']));
  if (pending === 'fail' && o.has('confirmPath')) {
    throw o.error('confirmPath', "is only used with pending: 'redirect'; with pending: 'fail' the app routes new users itself");
  }
  const confirmPath = readAppPath(o, 'confirmPath', '/bindid/confirm');
  return { name, pending, confirmPath, flow: readFlowSettings<U>(o, { baseUrl, redirectUri: callbackURL }) };
}

/** Exactly one of the two forms. */
function readCallback(o: OptionReader): { baseUrl: string; callbackURL: string } {
  if (o.has('callbackURL')) {
    if (o.has('baseUrl') || o.has('callbackPath')) {
      throw o.error('callbackURL', 'cannot be combined with baseUrl/callbackPath: give one or the other');
    }
    const callbackURL = o.baseUrl('callbackURL', 'https://app.example.com/bindid/callback');
    const url = new URL(callbackURL);
    if (url.pathname === '/') throw o.error('callbackURL', 'must include the path of the callback route, such as /bindid/callback');
    return { baseUrl: url.origin, callbackURL };
  }
  if (!o.has('baseUrl')) {
    throw o.error('callbackURL', 'is required (or baseUrl), for example https://app.example.com/bindid/callback');
  }
  const baseUrl = o.baseUrl('baseUrl', 'https://app.example.com');
  return { baseUrl, callbackURL: `${baseUrl}${readAppPath(o, 'callbackPath', '/bindid/callback')}` };
}
