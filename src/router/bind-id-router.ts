/**
 * `bindIdRouter(options)`: the whole BindID sign-in flow as an Express router.
 *
 * - `GET  /login/bindid`           start: state, nonce and PKCE kept in the session, redirect to BindID.
 * - `GET  /bindid/callback`        code exchange + ID-token validation (openid-client); session regenerated.
 *                                  Known alias → `findUserByAlias` → `req.login` → `returnTo`.
 *                                  No alias → pending login kept → redirect to the confirm page.
 * - `GET  /bindid/confirm`         the confirm page (render hook; CSRF token; masked BindID identity).
 * - `POST /bindid/confirm`         CSRF + same-origin check → passport-local strategy → report to BindID
 *                                  → `req.login` → `returnTo`. A wrong password re-renders the page with
 *                                  one generic message and sends nothing to BindID.
 * - `POST /bindid/confirm/cancel`  discard the pending login.
 *
 * Mount it at the root of the app, after express-session and passport:
 * `app.use(bindIdRouter({ ... }))`.
 *
 * @module
 */
import express, { type NextFunction, type Request, type RequestHandler, type Response, type Router } from 'express';
import type {} from 'express-session';
import passportDefault, { type Authenticator } from 'passport';
import {
  type ConfirmSettings,
  type FeedbackErrorEvent,
  type LinkedEvent,
  confirmPendingLogin,
  isOutage,
  readConfirmSettings,
} from '../confirm/send-authentication-performed.js';
import {
  FAILURE_OPTION_KEYS,
  type FailureMode,
  type OutboxWorkerSettings,
  type ReportQueuedEvent,
  healKey,
  readHealRecord,
} from '../fail-open/failure-policy.js';
import { type Outbox, type OutboxWorker, outboxId } from '../fail-open/outbox.js';
import {
  type ConfirmPageMessages,
  type ConfirmPageModel,
  DEFAULT_CONFIRM_MESSAGES,
  maskIdentity,
  type RenderConfirmPage,
  renderDefaultConfirmPage,
} from './confirm-page.js';
import { type AttemptGuardOptions, readAttemptGuardSettings, setAttemptGuardContext } from '../confirm/attempt-guard.js';
import { assertSameOriginRequest, csrfToken } from '../session/csrf.js';
import { emit } from '../internal/events.js';
import { BindIdError, BindIdStateError, ErrorCode } from '../errors.js';
import { assertAlias, SessionFeedbackClient } from '../feedback/session-feedback-client.js';
import { logger, printable } from '../internal/log.js';
import { BindIdOidcClient } from '../oidc/bindid-oidc-client.js';
import { type KnownKeys, OptionReader } from '../internal/option-reader.js';
import {
  type BindIdClaims,
  clearPendingLogin,
  DEFAULT_PENDING_TTL_SECONDS,
  getPendingLogin,
  requirePassport,
  requireServerSession,
  storePendingLogin,
} from '../session/pending-login.js';
import { sanitizeReturnTo } from '../session/return-to.js';
import type { BindIdStore } from '../stores/bindid-store.js';
import { logIn, regenerateSession, saveSession } from '../session/regenerate-session.js';

const log = logger('login');

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
}

/** Payload of the `onRecognized` event: a returning BindID user signed in by alias. */
export interface RecognizedEvent<U> {
  req: Request;
  user: U;
  alias: string;
  claims: BindIdClaims;
  /**
   * True when the ID token had no `bindid_alias` but this app had linked the user in fail-open mode:
   * the router re-sent (or re-queued) the report with the new access token (self-heal).
   */
  healed: boolean;
}

/** Payload of the `onLinkFailed` event: a confirmation attempt did not link. */
export interface LinkFailedEvent {
  req: Request;
  /** Why: a failed password check, the attempt limit, BindID refusing or unreachable, a one-to-one conflict, or "not me". */
  reason: 'bad_credentials' | 'too_many_attempts' | 'feedback_failed' | 'already_linked' | 'cancelled';
  sub: string;
  /** The coded error, for `feedback_failed`. */
  error?: BindIdError;
}

/** Options of {@link bindIdRouter}. */
export interface BindIdRouterOptions<U = Express.User> extends AttemptGuardOptions {
  /** BindID's issuer (signin host), e.g. `https://signin.bindid-sandbox.io`; for the emulator `emu.issuer`. */
  issuer: string;
  /** The BindID client ID of the app. */
  clientId: string;
  /** The BindID client secret (token endpoint and report signing). */
  clientSecret: string;
  /** BindID's API base URL for session feedback, e.g. `https://api.bindid-sandbox.io`. Required unless `client` is given. */
  apiUrl?: string;
  /** A ready session-feedback client (to set its timeout, retries or axios instance). Default: built from `clientSecret` + `apiUrl`. */
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
  /** The alias to report for a confirmed user. Default `String(user.id)`. */
  alias?: (user: U, req: Request) => string | Promise<string>;
  /** AMR values of the password check, sent with the report. Default: none. */
  amr?: string[];
  /** OIDC scopes. Default `openid email`. */
  scope?: string;
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
  /** A user was linked (notify the account owner, audit). Errors are logged, not thrown. */
  onLinked?: (event: LinkedEvent<U>) => unknown;
  /** The report to BindID failed. Errors are logged, not thrown. */
  onFeedbackError?: (event: FeedbackErrorEvent) => unknown;
  /** A confirmation attempt did not link. Errors are logged, not thrown. */
  onLinkFailed?: (event: LinkFailedEvent) => unknown;
  /** A returning BindID user was recognised by alias and signed in. Errors are logged, not thrown. */
  onRecognized?: (event: RecognizedEvent<U>) => unknown;
  /** Clock in ms since 1970. Default `Date.now`. */
  now?: () => number;
  /**
   * Shared state: failed-attempt counters, single-use claims, the link registry. Default: a private
   * in-memory store (one process). With several instances, pass a `RedisBindIdStore`. The router
   * hands it, `maxAttempts` and `attemptLimits` to the strategy for each confirm request.
   */
  store?: BindIdStore;
  /**
   * What to do when BindID is unreachable or times out at confirm time. `'closed'` (default): nobody
   * is signed in, the confirm page answers 503 "try again" and the pending login is kept (the password
   * is asked again). `'open'`: the report is persisted in `outbox`, the user is signed in, and the
   * outbox worker delivers it later; if the outbox cannot persist it, the router fails closed. Open
   * mode also self-heals: a later BindID sign-in of a user linked this way whose ID token still lacks
   * `bindid_alias` re-sends the report with the new token and signs in without the password.
   */
  failureMode?: FailureMode;
  /**
   * Where fail-open keeps reports. Default: a `SessionStoreOutbox` on the app's express-session store
   * (`req.sessionStore`, known from the first request). With several instances:
   * `new StoreOutbox(new RedisBindIdStore(redis))`. Only with `failureMode: 'open'`.
   */
  outbox?: Outbox;
  /**
   * The worker that delivers queued reports from this process, started when the router is built
   * (`router.outboxWorker`), or `false` to run your own `OutboxWorker` elsewhere. Only with
   * `failureMode: 'open'`.
   */
  outboxWorker?: OutboxWorkerSettings | false;
  /** A report was queued and the user signed in (fail-open). Errors are logged, not thrown. */
  onReportQueued?: (event: ReportQueuedEvent) => unknown;
}

/** What {@link bindIdRouter} returns: the Express router, and the worker of its outbox. */
export type BindIdRouter = Router & {
  /**
   * The worker delivering reports queued by `failureMode: 'open'` (already started unless
   * `outboxWorker.start` is false); `undefined` in fail-closed mode or with `outboxWorker: false`.
   * Stop it on shutdown: `await router.outboxWorker?.stop()`.
   */
  readonly outboxWorker: OutboxWorker | undefined;
};

const KNOWN: KnownKeys<BindIdRouterOptions> = {
  issuer: true,
  clientId: true,
  clientSecret: true,
  apiUrl: true,
  client: true,
  baseUrl: true,
  findUserByAlias: true,
  passport: true,
  strategy: true,
  alias: true,
  amr: true,
  scope: true,
  paths: true,
  defaultReturnTo: true,
  render: true,
  messages: true,
  pendingTtlSeconds: true,
  maxAttempts: true,
  httpTimeoutMs: true,
  onLinked: true,
  onFeedbackError: true,
  onLinkFailed: true,
  onRecognized: true,
  now: true,
  store: true,
  attemptLimits: true,
  ...FAILURE_OPTION_KEYS,
};
/** @internal The option names, checked against the README by test/readme-options.test.ts (not in the package root). */
export { KNOWN as ROUTER_OPTION_KEYS };
const KNOWN_PATHS: KnownKeys<BindIdRouterPaths> = { login: true, callback: true, confirm: true, cancel: true };
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
  expiredTitle: true,
  expired: true,
  startOver: true,
};

/**
 * Build the BindID sign-in router. Options are validated here, once; discovery happens at the first
 * sign-in (and is retried if BindID was unreachable).
 */
export function bindIdRouter<U = Express.User>(options: BindIdRouterOptions<U>): BindIdRouter {
  const o = new OptionReader('bindIdRouter', options, KNOWN);
  const baseUrl = o.baseUrl('baseUrl', 'https://app.example.com');
  const appOrigin = new URL(baseUrl).origin;
  const issuer = o.baseUrl('issuer', 'https://signin.bindid-sandbox.io');
  const clientId = o.requiredString('clientId', 'the client ID from the BindID admin portal');
  const clientSecret = o.requiredString('clientSecret', 'process.env.BINDID_CLIENT_SECRET');
  if (clientSecret.trim() !== clientSecret) throw o.error('clientSecret', 'has leading or trailing whitespace; trim it');
  const findUserByAlias = o.fn<BindIdRouterOptions<U>['findUserByAlias']>('findUserByAlias');
  if (!findUserByAlias) throw o.error('findUserByAlias', 'is required: (alias) => the user whose alias it is, or null');
  const lookUpAlias: NonNullable<typeof findUserByAlias> = findUserByAlias;
  const passport = readPassport(o);
  const strategy = o.string('strategy', 'bindid-local');
  const p = o.nested('paths', KNOWN_PATHS);
  const paths = {
    login: routePath(p, 'login', '/login/bindid'),
    callback: routePath(p, 'callback', '/bindid/callback'),
    confirm: routePath(p, 'confirm', '/bindid/confirm'),
    cancel: routePath(p, 'cancel', '/bindid/confirm/cancel'),
  };
  const defaultReturnTo = o.string('defaultReturnTo', '/');
  if (sanitizeReturnTo(defaultReturnTo, baseUrl, '') !== defaultReturnTo) {
    throw o.error('defaultReturnTo', 'must be a path on this site, such as /account');
  }
  const render = o.fn<RenderConfirmPage>('render');
  const messages = readMessages(o);
  const pendingTtlSeconds = o.integer('pendingTtlSeconds', DEFAULT_PENDING_TTL_SECONDS, 10, 3600);
  const onLinkFailed = o.fn<(event: LinkFailedEvent) => void | Promise<void>>('onLinkFailed');
  const onRecognized = o.fn<(event: RecognizedEvent<U>) => void | Promise<void>>('onRecognized');
  const scope = o.string('scope', 'openid email');
  if (!scope.split(' ').includes('openid')) throw o.error('scope', 'must include openid');
  const oidcClient = new BindIdOidcClient({
    issuer,
    clientId,
    clientSecret,
    redirectUri: `${baseUrl}${paths.callback}`,
    scope,
    timeoutMs: o.integer('httpTimeoutMs', 5000, 500, 60_000),
  });
  const settings: ConfirmSettings<U> = readConfirmSettings<U>(o, true, readFeedbackClient(o, clientSecret));
  const now = settings.now;
  const guard = readAttemptGuardSettings(o, settings.store, now, o.integer('maxAttempts', 5, 1, 100));

  const router = express.Router();
  const form = express.urlencoded({ extended: false, limit: '16kb', parameterLimit: 20 });
  let cookieChecked = false;
  const ownPaths = new Set(Object.values(paths).map((p) => p.toLowerCase()));
  /** The Router's own dispatch (`handle`: present in Express 4 and 5, not in their types). */
  const withHandle = router as Router & { handle: (req: Request, res: Response, next: NextFunction) => void };
  const dispatch = withHandle.handle.bind(router);
  // Every request of the app passes the router, most for none of its paths: those go straight on,
  // without the Router's walk over its layers (BENCHMARKS.md, pass-through). `router(req, res, next)`
  // calls `router.handle` in Express 4 and 5 alike; the paths are matched as the Router matches them
  // (case-insensitive, one optional trailing slash).
  withHandle.handle = (req: Request, res: Response, next: NextFunction): void => {
    if (!cookieChecked && req.session) {
      cookieChecked = true;
      warnAboutSessionCookie(req, baseUrl);
    }
    // Fail-open: learn the session store (the default outbox) from the first request, so the worker
    // delivers what an earlier process queued without waiting for a confirmation.
    if (settings.failure.mode === 'open') settings.failure.outboxFor(req);
    if (ownPaths.has(routerPath(req.path))) dispatch(req, res, next);
    else next();
  };

  router.get(paths.login, handle(async (req, res) => {
    const session = requireServerSession(req);
    requirePassport(req); // now, not after the user went through BindID
    const returnTo = sanitizeReturnTo(req.query.returnTo, baseUrl, defaultReturnTo);
    const { url, transaction } = await oidcClient.authorizationRequest(returnTo, now());
    session.bindid = { ...(session.bindid ?? {}), auth: transaction };
    await saveSession(req);
    noStore(res);
    res.redirect(303, url);
  }));

  router.get(paths.callback, handle(async (req, res) => {
    const session = requireServerSession(req);
    const transaction = session.bindid?.auth;
    // The transaction is single-use: remove it before anything else can fail.
    if (session.bindid) delete session.bindid.auth;
    if (!transaction) {
      throw new BindIdStateError(
        ErrorCode.LOGIN_STATE_MISSING,
        'This BindID sign-in was not started from this browser session (the session cookie was lost, or the ' +
          'callback was opened directly). Start again from "Sign in with BindID". If it keeps happening, check ' +
          'that the session cookie survives the redirect back from BindID (SameSite=Lax, Secure on https).',
        { status: 400 },
      );
    }
    const query = req.originalUrl.includes('?') ? req.originalUrl.slice(req.originalUrl.indexOf('?') + 1) : '';
    const result = await oidcClient.callback(query, transaction);
    // A new session id once BindID vouched for the browser (session fixation); carry over returnTo only.
    await regenerateSession(req, { returnTo: transaction.returnTo });

    const alias = result.claims.bindid_alias;
    if (alias !== undefined && alias !== null) {
      try {
        assertAlias(alias);
      } catch {
        throw new BindIdStateError(ErrorCode.CALLBACK_INVALID, 'BindID returned an alias this app cannot use.', { status: 400 });
      }
      const user = await findUserByAlias(alias, result.claims, req);
      if (user === CONFIRM_AGAIN) {
        // The app revoked this link (e.g. after a password reset): confirm with the password again.
        log('link of alias %s revoked by the app: confirming again', printable(alias));
        storePendingLogin(
          req,
          { accessToken: result.accessToken, expiresIn: result.expiresIn, claims: result.claims },
          { ttlSeconds: pendingTtlSeconds, now, relink: true },
        );
        await saveSession(req);
        noStore(res);
        res.redirect(303, paths.confirm);
        return;
      }
      if (!user) {
        log('alias %s maps to no user: sign-in refused', printable(alias));
        throw new BindIdStateError(
          ErrorCode.UNKNOWN_ALIAS,
          'This BindID account is not linked to an active account here.',
          { status: 403 },
        );
      }
      requirePassport(req);
      await logIn(req, user);
      emit('onRecognized', onRecognized, { req, user, alias, claims: result.claims, healed: false });
      finishAt(req, res, transaction.returnTo);
      return;
    }
    if (settings.failure.mode === 'open') {
      const healed = await selfHeal(req, result);
      if (healed) {
        await logIn(req, healed.user);
        emit('onRecognized', onRecognized, { req, user: healed.user, alias: healed.alias, claims: result.claims, healed: true });
        finishAt(req, res, transaction.returnTo);
        return;
      }
    }
    storePendingLogin(
      req,
      { accessToken: result.accessToken, expiresIn: result.expiresIn, claims: result.claims },
      { ttlSeconds: pendingTtlSeconds, now },
    );
    await saveSession(req);
    noStore(res);
    res.redirect(303, paths.confirm);
  }));

  router.get(paths.confirm, handle(async (req, res) => {
    noStore(res); // also on errors passed to the app's error handler
    requireServerSession(req);
    const pending = getPendingLogin(req, now());
    if (!pending && typeof req.isAuthenticated === 'function' && req.isAuthenticated()) {
      // Signed in already (e.g. the back button after confirming): nothing to confirm, go on.
      noStore(res);
      return res.redirect(303, defaultReturnTo);
    }
    if (!pending) return page(req, res, { view: 'expired', status: 400 });
    return page(req, res, { view: 'confirm', status: 200, identity: maskIdentity(pending.claims) });
  }));

  router.post(paths.confirm, form, handle(async (req, res) => {
    noStore(res); // also on errors passed to the app's error handler
    requireServerSession(req);
    assertSameOriginRequest(req, field(req, '_csrf'), appOrigin);
    const pending = getPendingLogin(req, now());
    if (!pending) return page(req, res, { view: 'expired', status: 400 });
    const identity = maskIdentity(pending.claims);
    const sub = pending.claims.sub;
    const typedField = field(req, 'username');
    const typed = typeof typedField === 'string' ? typedField.slice(0, 256) : '';
    const unavailable = () => page(req, res, { view: 'confirm', status: 503, identity, error: messages.unavailable });

    // The strategy counts the attempt in the store (atomically) before it checks the password.
    const context = setAttemptGuardContext(req, guard);
    let user: U | undefined;
    try {
      user = await authenticate<U>(passport, strategy, req, res);
    } catch (err) {
      if (err instanceof BindIdError && err.code === ErrorCode.STORE_UNAVAILABLE) return unavailable();
      throw err;
    }
    if (!context.guarded) {
      throw new BindIdStateError(ErrorCode.INVALID_OPTION, `The strategy "${strategy}" was not made by createLocalStrategy: its attempts cannot be limited.`, { status: 500 });
    }
    if (context.link) {
      // The pending login's attempts are used up (the strategy removed it).
      if (context.link === 'exhausted') emit('onLinkFailed', onLinkFailed, { req, reason: 'too_many_attempts', sub });
      return page(req, res, { view: 'expired', status: 400 });
    }
    if (!user) {
      emit('onLinkFailed', onLinkFailed, { req, reason: 'bad_credentials', sub });
      return page(req, res, { view: 'confirm', status: 401, identity, error: messages.invalidCredentials, ...(typed ? { username: typed } : {}) });
    }

    const returnTo = req.session.bindid?.returnTo ?? defaultReturnTo;
    try {
      await confirmPendingLogin(req, user, settings);
    } catch (err) {
      if (!(err instanceof BindIdError)) throw err;
      switch (err.code) {
        case ErrorCode.STORE_UNAVAILABLE:
          return unavailable();
        case ErrorCode.CONFIRM_IN_PROGRESS:
          return page(req, res, { view: 'expired', status: 409 });
        case ErrorCode.ALREADY_LINKED:
          clearPendingLogin(req);
          emit('onLinkFailed', onLinkFailed, { req, reason: 'already_linked', sub, error: err });
          return page(req, res, { view: 'expired', status: 409, error: messages.rejected });
        case ErrorCode.UNAVAILABLE:
        case ErrorCode.TIMEOUT:
        case ErrorCode.REJECTED:
        case ErrorCode.UNAUTHORIZED:
          emit('onLinkFailed', onLinkFailed, { req, reason: 'feedback_failed', sub, error: err });
          // Fail closed: nobody is logged in. A retryable failure keeps the pending login for another
          // try (password again); a refusal ends it.
          if (err.retryable) return unavailable();
          clearPendingLogin(req);
          return page(req, res, { view: 'expired', status: 502, error: messages.rejected });
        default:
          throw err;
      }
    }
    finishAt(req, res, returnTo);
  }));

  router.post(paths.cancel, form, handle(async (req, res) => {
    noStore(res); // also on errors passed to the app's error handler
    requireServerSession(req);
    assertSameOriginRequest(req, field(req, '_csrf'), appOrigin);
    const pending = getPendingLogin(req, now());
    if (pending) emit('onLinkFailed', onLinkFailed, { req, reason: 'cancelled', sub: pending.claims.sub });
    // "Not me": drop everything this browser session held (pending login, returnTo, CSRF token).
    await regenerateSession(req, {});
    noStore(res);
    res.redirect(303, defaultReturnTo);
  }));

  /**
   * Fail-open self-heal, at a callback whose ID token has no `bindid_alias`: if this app linked the
   * BindID user in fail-open mode (a self-heal record for the `sub`, confirmed by the link registry)
   * and the app still maps the alias to a user, re-send the report with the new access token. Resolves
   * the user to sign in once BindID accepted it, or once it is queued again while BindID is still down;
   * `undefined` (the password is asked, as for any new user) in every other case.
   */
  async function selfHeal(
    req: Request,
    result: { accessToken: string; expiresIn: number; claims: BindIdClaims },
  ): Promise<{ user: U; alias: string } | undefined> {
    const sub = result.claims.sub;
    const record = await readHealRecord(settings.store, sub);
    if (!record) return undefined;
    const linked = await settings.registry.isLinked(record.alias, sub).catch(() => false);
    if (!linked) return undefined;
    const user = await lookUpAlias(record.alias, result.claims, req);
    if (!user || user === CONFIRM_AGAIN) return undefined;
    requirePassport(req);
    const report = {
      type: 'authentication_performed' as const,
      alias: record.alias,
      time: record.time,
      ...(record.amr ? { amr: record.amr } : {}),
    };
    const outbox = settings.failure.outboxFor(req);
    try {
      await settings.client.send(result.accessToken, report);
    } catch (err) {
      if (!(err instanceof BindIdError) || !isOutage(err) || outbox === undefined) {
        log('self-heal of sub %s failed (%s): asking for the password', printable(sub), err instanceof BindIdError ? err.code : 'error');
        return undefined;
      }
      const at = now();
      const item = {
        id: outboxId(sub, record.alias),
        accessToken: result.accessToken,
        report,
        sub,
        expiresAt: at + Math.floor(result.expiresIn * 1000),
        attempts: 0,
        nextAttemptAt: at,
        createdAt: at,
      };
      let added: boolean;
      try {
        added = await outbox.enqueue(item);
      } catch {
        log('self-heal of sub %s: BindID down and the outbox failed: asking for the password', printable(sub));
        return undefined;
      }
      log('self-heal of sub %s: BindID down, report queued again', printable(sub));
      const { accessToken: _token, ...info } = item;
      emit('onReportQueued', settings.failure.onReportQueued, {
        req,
        item: { ...info, report: { ...report } },
        sub,
        alias: record.alias,
        code: err.code,
        added,
      });
      return { user, alias: record.alias };
    }
    // Delivered with the new token: the old queued report (if any) and the record are done with.
    await outbox?.remove(outboxId(sub, record.alias)).catch(() => log('could not remove a healed outbox item'));
    await settings.store.delete(healKey(sub)).catch(() => log('could not remove a self-heal record'));
    log('self-heal of sub %s: report re-sent with the new token', printable(sub));
    return { user, alias: record.alias };
  }

  /** Answer with the confirm page (default or the app's render hook), never cached. */
  async function page(
    req: Request,
    res: Response,
    model: Pick<ConfirmPageModel, 'view' | 'status'> & Partial<ConfirmPageModel>,
  ): Promise<void> {
    const full: ConfirmPageModel = {
      ...model,
      messages,
      action: paths.confirm,
      cancelAction: paths.cancel,
      startOverUrl: startOver(req),
      ...(model.view === 'confirm' ? { csrfToken: csrfToken(req) } : {}),
    };
    if (full.identity === undefined) delete full.identity;
    noStore(res);
    res.set('Referrer-Policy', 'no-referrer');
    res.set('X-Frame-Options', 'DENY');
    res.set('Content-Security-Policy', "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'");
    res.status(full.status);
    if (render) {
      await render(full, req, res);
      return;
    }
    res.type('html').send(renderDefaultConfirmPage(full));
  }

  /** "Sign in with BindID" again, keeping the return path of the sign-in that could not be confirmed. */
  function startOver(req: Request): string {
    const returnTo = req.session.bindid?.returnTo;
    return typeof returnTo === 'string' && returnTo !== defaultReturnTo
      ? `${paths.login}?returnTo=${encodeURIComponent(returnTo)}`
      : paths.login;
  }

  /** Redirect to the return path, forgetting it. */
  function finishAt(req: Request, res: Response, returnTo: string): void {
    if (req.session.bindid) delete req.session.bindid.returnTo;
    noStore(res);
    res.redirect(303, sanitizeReturnTo(returnTo, baseUrl, defaultReturnTo));
  }

  settings.failure.startWorker(); // last: a factory that throws leaves no timer behind
  return Object.defineProperty(router, 'outboxWorker', { value: settings.failure.worker, enumerable: true }) as BindIdRouter;
}

/** A request path as the router's routes compare it: lower-cased, without one trailing slash. */
function routerPath(path: string): string {
  const lower = path.toLowerCase();
  return lower.length > 1 && lower.endsWith('/') ? lower.slice(0, -1) : lower;
}

/**
 * Once per router, in production: warn (process warning `EXPRESS_BINDID_SESSION_COOKIE`) when the
 * session cookie that will carry the pending BindID sign-in lacks HttpOnly, Secure (on an https
 * site) or an explicit SameSite.
 */
export function warnAboutSessionCookie(req: Request, baseUrl: string): string[] {
  if (process.env.NODE_ENV !== 'production') return [];
  const cookie = req.session.cookie as { httpOnly?: boolean; secure?: boolean | 'auto'; sameSite?: unknown };
  const problems: string[] = [];
  if (cookie.httpOnly === false) problems.push('httpOnly is off');
  if (baseUrl.startsWith('https:') && !cookie.secure) problems.push('secure is off on an https site');
  if (cookie.sameSite === undefined || cookie.sameSite === false) problems.push("sameSite is not set (use 'lax')");
  if (cookie.sameSite === 'none' && !cookie.secure) problems.push("sameSite 'none' without secure");
  if (problems.length > 0) {
    process.emitWarning(`express-bindid: the session cookie is weak: ${problems.join('; ')}.`, {
      code: 'EXPRESS_BINDID_SESSION_COOKIE',
      detail: 'The session holds the pending BindID sign-in. Set cookie: { httpOnly: true, secure: true, sameSite: "lax" } in express-session.',
    });
  }
  return problems;
}

/** Wrap an async route so its errors reach `next(err)` exactly once, in Express 4 and 5. */
function handle(fn: (req: Request, res: Response) => Promise<void>): RequestHandler {
  return (req: Request, res: Response, next: NextFunction): void => {
    fn(req, res).then(undefined, (err: unknown) => {
      if (err instanceof BindIdError) log('%s %s failed: %s', req.method, printable(req.path), err.code);
      if (res.headersSent) {
        log('error after the response started; not forwarded');
        return;
      }
      next(err);
    });
  };
}

/** Run the passport-local strategy without a login session; resolve the user, or `undefined` on failure. */
function authenticate<U>(passport: PassportLike, strategy: string, req: Request, res: Response): Promise<U | undefined> {
  return new Promise((resolve, reject) => {
    const middleware = passport.authenticate(strategy, { session: false }, (err: unknown, user: unknown) => {
      if (err) reject(err);
      else resolve(user ? (user as U) : undefined);
    }) as RequestHandler;
    middleware(req, res, (err?: unknown) => reject(err ?? new Error('passport.authenticate called next() without a result')));
  });
}

function noStore(res: Response): void {
  res.set('Cache-Control', 'no-store');
  res.set('Pragma', 'no-cache');
}

/** An own field of the parsed body. */
function field(req: Request, name: string): unknown {
  const body: unknown = req.body;
  if (body === null || typeof body !== 'object' || !Object.hasOwn(body, name)) return undefined;
  return (body as Record<string, unknown>)[name];
}

function routePath(o: OptionReader, key: string, fallback: string): string {
  const value = o.string(key, fallback);
  if (!/^\/[A-Za-z0-9\-._~/]*$/.test(value) || value.includes('//')) {
    throw o.error(o.name(key), 'must be an absolute path such as /bindid/confirm');
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
