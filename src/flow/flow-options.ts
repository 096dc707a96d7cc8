/** The options of the sign-in flow, the same for every door (`bindIdRouter`, `BindIdStrategy`). */
import type { Request } from 'express';
import { type ConfirmSettings, type ConfirmUserTypes, REPORT_OPTIONS, readConfirmSettings } from '../confirm/confirm-options.js';
import { SessionFeedbackClient } from '../feedback/session-feedback-client.js';
import { readStaticClientSecret } from '../feedback/session-feedback-client-options.js';
import type { OptionReader } from '../internal/option-reader.js';
import { option, type OptionsOf, pick, readSchemaOf, type SettingsOf } from '../internal/option-schema.js';
import { type AuthorizationParams, readAuthorizationParams } from '../oidc/authorization-params.js';
import { assertOneEnvironment } from '../oidc/bindid-hosts.js';
import { BindIdOidcClient } from '../oidc/bindid-oidc-client.js';
import { readStaticMetadata, type StaticOidcMetadata } from '../oidc/static-metadata.js';
import { TransactionCookie } from '../oidc/transaction-cookie.js';
import { type BindIdClaims, DEFAULT_PENDING_TTL_SECONDS } from '../session/pending-login.js';
import { sanitizeReturnTo } from '../session/return-to.js';
import type { LinkFailedEvent, RecognizedEvent, UnlinkedEvent } from './flow-events.js';

/** Return this from `findUserByAlias` when the app revoked the link (after a password reset, say): the user confirms with their password again. */
export const CONFIRM_AGAIN: unique symbol = Symbol.for('express-bindid.confirm-again');

/** What `findUserByAlias` may return. */
export type AliasLookup<U> = U | typeof CONFIRM_AGAIN | null | undefined | false;

/** The flow's options whose type names the app's user type `U` (declared once, here). */
export interface FlowUserTypes<U> extends ConfirmUserTypes<U> {
  lookup: (alias: string, claims: BindIdClaims, req: Request) => AliasLookup<U> | Promise<AliasLookup<U>>;
  onRecognized: (event: RecognizedEvent<U>) => unknown;
  onUnlinked: (event: UnlinkedEvent<U>) => unknown;
}

/** The flow's options; the report options are the confirmation's (self-heal and unlinking report too). */
export const FLOW_OPTIONS = {
  /** BindID's sign-in host, e.g. `BINDID_HOSTS.sandbox.issuer`, or the emulator's `emu.issuer`. `https:` (plain `http:` only for localhost). */
  issuer: option.baseUrl('https://signin.bindid-sandbox.io'),
  /** The BindID client ID of the app (from the BindID admin portal). */
  clientId: option.requiredString('the client ID from the BindID admin portal'),
  /** The BindID client secret (token endpoint and report signing), from the BindID admin portal. */
  clientSecret: option.requiredCustom<string, string>(readStaticClientSecret),
  ...REPORT_OPTIONS,
  /** The user of the alias BindID returned; `null`/`undefined`/`false` for none (refused: `ERR_BINDID_UNKNOWN_ALIAS`); {@link CONFIRM_AGAIN} if revoked. */
  findUserByAlias: option.requiredUserFn('lookup', '(alias) => the user whose alias it is, or null'),
  /** OIDC scopes. Default `openid email`; must include `openid`. Or give `authorizationParams.scope` (not both). */
  scope: option.together<string>("`'openid email'`"),
  /**
   * Extra parameters of every authorization request, allow-listed (`AuthorizationParams`); the protocol's own
   * (`state`, `nonce`, PKCE...) cannot be set. `acr_values: 'ts.bindid.iac.email'` makes BindID verify the email.
   */
  authorizationParams: option.together<AuthorizationParams>('none'),
  /**
   * This login's parameters (same allow-list), overriding `authorizationParams` key by key; checked at
   * each login (`ERR_BINDID_INVALID_AUTHORIZATION_PARAMS`, 400). Return `undefined` for none.
   */
  authorizationParamsFor: option.fn<(req: Request) => AuthorizationParams | undefined | Promise<AuthorizationParams | undefined>>(),
  /** PKCE S256 (`code_challenge` at /authorize, `code_verifier` at /token). Default `true`. */
  pkce: option.boolean(true),
  /** BindID's endpoints by hand, instead of discovery: all four or none, `https:` (plain `http:` only for localhost). */
  metadata: option.together<StaticOidcMetadata>('discovery at `issuer`'),
  /** Where to go after sign-in when no valid `returnTo` was given (a path on this site). Default `/`. */
  defaultReturnTo: option.string('/'),
  /** Time a new user has to confirm, in seconds (never beyond the access token's lifetime). Default 600. */
  pendingTtlSeconds: option.integer(DEFAULT_PENDING_TTL_SECONDS, 10, 3600),
  /** Deadline of each OIDC request (discovery, token), in ms. Default 5000. */
  httpTimeoutMs: option.integer(5000, 500, 60_000),
  /** A returning BindID user was recognised by alias (or self-healed). Errors are logged, not thrown. */
  onRecognized: option.userFn('onRecognized'),
  /** A sign-in or confirmation did not link (at sign-in: an unusable `bindid_alias`). Errors are logged, not thrown. */
  onLinkFailed: option.fn<(event: LinkFailedEvent) => unknown>(),
  /** The signed-in user unlinked BindID: BindID accepted `alias_deleted`, the link is forgotten. Errors are logged, not thrown. */
  onUnlinked: option.userFn('onUnlinked'),
};

/** Options of the BindID sign-in flow, taken by `bindIdRouter` and `BindIdStrategy` alike. */
export interface FlowOptions<U = Express.User> extends OptionsOf<typeof FLOW_OPTIONS, FlowUserTypes<U>> {}

/** The options read here, in the order they are checked; the flow keeps their settings but its OIDC client's `pkce` and `httpTimeoutMs`. */
const READ = [
  'findUserByAlias', 'defaultReturnTo', 'pkce', 'pendingTtlSeconds', 'httpTimeoutMs',
  'authorizationParamsFor', 'onRecognized', 'onLinkFailed', 'onUnlinked',
] as const;

/** The flow's settings, read once. @internal */
export interface FlowSettings<U> extends Omit<Pick<SettingsOf<typeof FLOW_OPTIONS, FlowUserTypes<U>>, (typeof READ)[number]>, 'pkce' | 'httpTimeoutMs'> {
  readonly baseUrl: string;
  readonly appOrigin: string;
  readonly oidc: BindIdOidcClient;
  /** Where the sign-in in flight waits for BindID's callback: a sealed cookie, no server-side state. */
  readonly transactionCookie: TransactionCookie;
  /** The reports, the shared store, the link registry and fail-open: the confirmation's settings. */
  readonly link: ConfirmSettings<U>;
}

/** Read the flow's options from a door's reader, with the door's own `baseUrl`, redirect URI and report client (else one from `apiUrl`). */
export function readFlowSettings<U>(
  o: OptionReader,
  { baseUrl, redirectUri }: { baseUrl: string; redirectUri: string },
  client?: SessionFeedbackClient,
): FlowSettings<U> {
  const read = readSchemaOf<FlowUserTypes<U>>()(o, pick(FLOW_OPTIONS, ['issuer', 'clientId', 'clientSecret', ...READ]));
  const { issuer, clientId, clientSecret, pkce, httpTimeoutMs, ...kept } = read;
  if (sanitizeReturnTo(kept.defaultReturnTo, baseUrl, '') !== kept.defaultReturnTo) {
    throw o.error('defaultReturnTo', 'must be a path on this site, such as /account');
  }
  const { scope, authorizationParams } = readScopeAndParams(o);
  const metadata = readStaticMetadata(o, 'metadata', issuer);
  const oidc = new BindIdOidcClient({ issuer, clientId, clientSecret, redirectUri, scope, timeoutMs: httpTimeoutMs, authorizationParams, pkce, metadata });
  const link = readConfirmSettings<U>(o, client ?? new SessionFeedbackClient({ clientSecret, apiUrl: o.baseUrl('apiUrl', 'https://api.bindid-sandbox.io') }));
  assertOneEnvironment(o, issuer, link.client.apiUrl);
  const transactionCookie = new TransactionCookie(clientSecret, new URL(redirectUri).protocol === 'https:');
  return { ...kept, baseUrl, appOrigin: new URL(baseUrl).origin, oidc, transactionCookie, link };
}

/** An app path option (a door's routes): absolute, plain characters, no `//`. */
export function readAppPath(o: OptionReader, key: string, fallback: string): string {
  const value = o.string(key, fallback);
  if (!/^\/[A-Za-z0-9\-._~/]*$/.test(value) || value.includes('//')) {
    throw o.error(key, 'must be an absolute path such as /bindid/confirm');
  }
  return value;
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
