/**
 * `sendAuthenticationPerformed(options)`: the confirmation middleware.
 *
 * Mount it on the confirm route after `passport.authenticate('<local strategy>', { session: false })`
 * (which sets `req.user` after the app's own password check). It reads the pending BindID login from
 * the session, derives the alias from `req.user`, sends the signed `authentication_performed`
 * report and, only once BindID answered 2xx, clears the pending login, logs the user in (regenerating
 * the session) and calls `next()`. Every failure goes to `next(err)` exactly once.
 *
 * @module
 */
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type {} from 'express-session';
import { BindIdError, BindIdStateError, ErrorCode } from '../errors.js';
import { assertAlias, defaultAlias } from './alias.js';
import { type FeedbackResult, SessionFeedbackClient } from '../feedback/session-feedback-client.js';
import { isAmrList, type SessionFeedbackReport } from '../feedback/session-feedback-report.js';
import { emit } from '../internal/events.js';
import {
  FAILURE_OPTION_KEYS,
  type FailureMode,
  type FailurePolicy,
  type OutboxWorkerSettings,
  type ReportQueuedEvent,
  readFailurePolicy,
  writeHealRecord,
} from '../fail-open/failure-policy.js';
import { cancelledMeanwhile, finishClaim, releaseClaim as giveBackClaim, takeClaim } from './confirm-claim.js';
import { LinkRegistry, type LinkReservation } from './link-registry.js';
import { logger, printable } from '../internal/log.js';
import { type KnownKeys, OptionReader } from '../internal/option-reader.js';
import { itemInfo, type Outbox, type OutboxItem, outboxId } from '../fail-open/outbox.js';
import type { OutboxWorker } from '../fail-open/outbox-worker.js';
import {
  type BindIdClaims,
  clearPendingLogin,
  type PendingLogin,
  requirePendingLogin,
} from '../session/pending-login.js';
import { requirePassport, requireServerSession } from '../session/require-session.js';
import { logIn } from '../session/regenerate-session.js';
import { type BindIdStore, failClosed, MemoryBindIdStore } from '../stores/bindid-store.js';

const log = logger('confirm');

/** What the middleware leaves on `req.bindid` for the handlers after it. */
export interface BindIdRequestState {
  /** The alias reported to BindID. */
  alias: string;
  /** The BindID `sub` of the confirmed login. */
  sub: string;
  /** The ID-token claims of the confirmed login. */
  claims: BindIdClaims;
  /**
   * `sent`: BindID accepted the report. `queued`: BindID was down and the report waits in the
   * outbox (`failureMode: 'open'` only).
   */
  report: 'sent' | 'queued';
}

declare global {
  namespace Express {
    interface Request {
      /** Set by express-bindid once a BindID login is confirmed and reported. */
      bindid?: BindIdRequestState;
    }
  }
}

/** Payload of the `onLinked` event. */
export interface LinkedEvent<U> {
  req: Request;
  user: U;
  alias: string;
  sub: string;
  claims: BindIdClaims;
  /** How the report went (status, attempts, duration); absent when it was queued instead (fail-open). */
  result?: FeedbackResult;
  /** True when BindID was down and the report was queued in the outbox (`failureMode: 'open'`). */
  queued: boolean;
}

/** Payload of the `onFeedbackError` event. */
export interface FeedbackErrorEvent {
  req: Request;
  /** The coded error (secret-free). */
  error: BindIdError;
  sub: string;
}

/** Options of {@link sendAuthenticationPerformed}. */
export interface SendAuthenticationPerformedOptions<U = Express.User> {
  /** The client to send reports with. Give either this, or `clientSecret` and `apiUrl`. */
  client?: SessionFeedbackClient;
  /** BindID client secret, when `client` is not given. */
  clientSecret?: string | (() => string);
  /** BindID API base URL (e.g. `https://api.bindid-sandbox.io`), when `client` is not given. */
  apiUrl?: string;
  /**
   * The alias to report for the confirmed user. Default: `String(user.id)`. Use an immutable,
   * never-reused internal id, not a username or email (those change and get recycled).
   */
  alias?: (user: U, req: Request) => string | Promise<string>;
  /** AMR values describing the app's password check, sent with the report (e.g. `['pwd']`). Default: none. */
  amr?: string[];
  /**
   * Log the user in with `req.login` once BindID accepted the report (passport regenerates the
   * session; only `returnTo` is carried over). Default `true`. Set `false` to call `req.login` yourself.
   */
  logIn?: boolean;
  /** Called after a successful link, e.g. to notify the account owner or write an audit event. Errors are logged, not thrown. */
  onLinked?: (event: LinkedEvent<U>) => unknown;
  /** Called when the report to BindID failed (before `next(err)`). Errors are logged, not thrown. */
  onFeedbackError?: (event: FeedbackErrorEvent) => unknown;
  /** Clock in ms since 1970, for expiry checks and the report's `time`. Default `Date.now`. */
  now?: () => number;
  /**
   * Shared state: the single-use claim on each pending login and the one-to-one link registry. Default:
   * a private in-memory store (one process). With several instances, pass a `RedisBindIdStore`.
   */
  store?: BindIdStore;
  /**
   * What to do when BindID is unreachable or times out. `'closed'` (default): nobody is signed in and
   * the pending login is kept (the password is asked again): the middleware passes
   * `ERR_BINDID_UNAVAILABLE`/`ERR_BINDID_TIMEOUT` to `next(err)`, the router's confirm page answers 503
   * "try again". `'open'`: the report is persisted in `outbox` and the user is signed in; the outbox
   * worker delivers it later. If the outbox cannot persist it, this falls back to fail closed. The
   * router in open mode also self-heals: a later BindID sign-in of a user linked this way whose ID
   * token still lacks `bindid_alias` re-sends the report with the new token, without the password.
   */
  failureMode?: FailureMode;
  /**
   * Where fail-open keeps reports. Default: a `SessionStoreOutbox` on the app's express-session store
   * (`req.sessionStore`, known from the first request). With several instances: `new StoreOutbox(new RedisBindIdStore(redis))`.
   * Only with `failureMode: 'open'`.
   */
  outbox?: Outbox;
  /**
   * The worker that delivers queued reports from this process (started when the middleware or router
   * is built: its `.outboxWorker`), or `false` to run your own `OutboxWorker` elsewhere. Only with
   * `failureMode: 'open'`.
   */
  outboxWorker?: OutboxWorkerSettings | false;
  /** A report was queued and the user signed in (fail-open). Errors are logged, not thrown. */
  onReportQueued?: (event: ReportQueuedEvent) => unknown;
}

const KNOWN: KnownKeys<SendAuthenticationPerformedOptions> = {
  client: true,
  clientSecret: true,
  apiUrl: true,
  alias: true,
  amr: true,
  logIn: true,
  onLinked: true,
  onFeedbackError: true,
  now: true,
  store: true,
  ...FAILURE_OPTION_KEYS,
};
/** @internal The option names, checked against the README by test/readme-options.test.ts (not in the package root). */
export { KNOWN as CONFIRM_OPTION_KEYS };

/** The confirmation settings, read once from a factory's options (shared with the login router). */
export interface ConfirmSettings<U> {
  client: SessionFeedbackClient;
  deriveAlias: (user: U, req: Request) => string | Promise<string>;
  amr: string[] | undefined;
  logIn: boolean;
  onLinked: ((event: LinkedEvent<U>) => void | Promise<void>) | undefined;
  onFeedbackError: ((event: FeedbackErrorEvent) => void | Promise<void>) | undefined;
  now: () => number;
  store: BindIdStore;
  registry: LinkRegistry;
  /** `failureMode` and its outbox and worker. */
  failure: FailurePolicy;
}

/**
 * Read the confirmation options (`alias`, `amr`, `logIn`, hooks, `now`, and `client` or
 * `clientSecret` + `apiUrl` unless the caller already has a client).
 */
export function readConfirmSettings<U>(o: OptionReader, logInDefault: boolean, client?: SessionFeedbackClient): ConfirmSettings<U> {
  const feedback = client ?? readClient(o);
  const now = o.fn<() => number>('now') ?? Date.now;
  const { store, registry } = readStore(o);
  return {
    client: feedback,
    deriveAlias: o.fn<(user: U, req: Request) => string | Promise<string>>('alias') ?? defaultAlias,
    amr: o.has('amr') ? readAmrOption(o) : undefined,
    logIn: o.has('logIn') ? o.boolean('logIn', logInDefault) : logInDefault,
    onLinked: o.fn<(event: LinkedEvent<U>) => void | Promise<void>>('onLinked'),
    onFeedbackError: o.fn<(event: FeedbackErrorEvent) => void | Promise<void>>('onFeedbackError'),
    now,
    store,
    registry,
    failure: readFailurePolicy(o, feedback, now, store),
  };
}

/** The `store` option (a {@link BindIdStore}; default a private in-memory one) and its link registry. */
export function readStore(o: OptionReader): { store: BindIdStore; registry: LinkRegistry } {
  const given = o.raw('store');
  let store: BindIdStore;
  if (given === undefined) store = new MemoryBindIdStore();
  else if (isStore(given)) store = given;
  else throw o.error('store', 'must be a BindIdStore (MemoryBindIdStore, RedisBindIdStore, or get/set/add/delete/increment/keys/deleteIf/setIf)');
  return { store, registry: new LinkRegistry(store) };
}

function isStore(value: unknown): value is BindIdStore {
  if (value === null || typeof value !== 'object') return false;
  const v = value as Record<string, unknown>;
  return ['get', 'set', 'add', 'delete', 'increment', 'keys', 'deleteIf', 'setIf'].every((m) => typeof v[m] === 'function');
}

/**
 * Confirm the pending BindID login of `req` as `user`: derive and check the alias, send
 * `authentication_performed`, and only after a 2xx clear the pending login and (if `logIn`) log
 * the user in. Throws coded errors; the pending login is kept when the report failed.
 */
export async function confirmPendingLogin<U>(req: Request, user: U, settings: ConfirmSettings<U>): Promise<BindIdRequestState> {
  requireServerSession(req);
  requirePassport(req);
  if (user === undefined || user === null) {
    throw new BindIdStateError(
      ErrorCode.NOT_AUTHENTICATED,
      'No confirmed user (req.user is empty): mount this middleware after ' +
        "passport.authenticate('<your local strategy>', { session: false }).",
      { status: 401 },
    );
  }
  const started = settings.now();
  const pending = requirePendingLogin(req, started);
  const sub = pending.claims.sub;

  const alias = await settings.deriveAlias(user, req);
  assertAlias(alias);

  // Single use across concurrent requests (and instances): only one confirmation may report.
  const claimed = await failClosed(() => takeClaim(settings.store, pending, started));
  if (!claimed) {
    throw new BindIdStateError(ErrorCode.CONFIRM_IN_PROGRESS, 'This BindID sign-in is already being confirmed.', {
      status: 409,
    });
  }
  const releaseClaim = () => giveBackClaim(settings.store, pending).catch(() => log('could not release a claim'));
  // One to one, atomically: reserve the link before reporting it, so that two confirmations of one
  // BindID user (or of one account) at the same moment cannot both report. A refusal (409) keeps the
  // pending login usable, as before anything is sent.
  let reservation: LinkReservation;
  try {
    reservation = await failClosed(() => settings.registry.reserve(alias, sub));
  } catch (err) {
    await releaseClaim();
    throw err;
  }
  const releaseLink = () => settings.registry.release(reservation).catch(() => log('could not release a link reservation'));

  const reportToSend = buildReport(settings, pending, alias, Math.floor(started / 1000));
  let result: FeedbackResult | undefined;
  let queued: Omit<ReportQueuedEvent, 'req'> | undefined;
  try {
    result = await settings.client.send(pending.accessToken, reportToSend);
  } catch (err) {
    if (!(err instanceof BindIdError)) {
      await releaseLink();
      throw err;
    }
    emit('onFeedbackError', settings.onFeedbackError, { req, error: err, sub });
    // Fail-open: BindID is down, so persist the report and sign the user in. Only when it is persisted.
    queued = isOutage(err) && settings.failure.mode === 'open' ? await queueReport(req, settings, pending, reportToSend, err) : undefined;
    if (!queued) {
      // Nothing was linked: free the link for any pair, this one's next try included. A retryable
      // failure leaves the pending login usable for another try; a refusal does not.
      await releaseLink();
      if (err.retryable) await releaseClaim();
      throw err;
    }
  }
  await settings.registry.record(alias, sub).catch(() => log('could not record the link of sub %s', printable(sub)));
  clearPendingLogin(req);
  if (result) log('linked BindID sub %s (HTTP %d, %d attempt(s))', printable(sub), result.status, result.attempts);
  else log('linked BindID sub %s; report queued (fail-open)', printable(sub));

  // Events after the pending login (and its token) left the session.
  const linked = () => {
    if (queued) emit('onReportQueued', settings.failure.onReportQueued, { req, ...queued });
    emit('onLinked', settings.onLinked, { req, user, alias, sub, claims: pending.claims, ...(result ? { result } : {}), queued: !result });
  };
  if (!(await finishClaim(settings.store, pending, settings.now()))) {
    // A "not me" while BindID was answering: the link stands (the app is told), nobody is signed in.
    linked();
    return cancelledMeanwhile(req, sub);
  }
  if (settings.logIn) await logIn(req, user);
  const state: BindIdRequestState = { alias, sub, claims: pending.claims, report: result ? 'sent' : 'queued' };
  req.bindid = state;
  linked();
  return state;
}

/** BindID could not be reached or did not answer in time (an open circuit included): the failures fail-open queues. */
export function isOutage(err: BindIdError): boolean {
  return err.retryable && (err.code === ErrorCode.UNAVAILABLE || err.code === ErrorCode.TIMEOUT);
}

/**
 * Persist the report of `pending` in the outbox (fail-open). Resolves the `onReportQueued` event
 * (without `req`) when it is persisted (now, or already by an earlier attempt for the same
 * (sub, alias)); `undefined` when the outbox is unknown or failed: the caller then fails closed.
 */
async function queueReport<U>(
  req: Request,
  settings: ConfirmSettings<U>,
  pending: PendingLogin,
  report: SessionFeedbackReport,
  cause: BindIdError,
): Promise<Omit<ReportQueuedEvent, 'req'> | undefined> {
  const outbox = settings.failure.outboxFor(req);
  const sub = pending.claims.sub;
  const alias = report.alias as string;
  if (outbox === undefined) {
    log('fail-open: no outbox to persist the report in; failing closed');
    return undefined;
  }
  const now = settings.now();
  const item: OutboxItem = {
    id: outboxId(sub, alias),
    accessToken: pending.accessToken,
    report,
    sub,
    expiresAt: Math.max(now, Math.floor(pending.tokenExpiresAt ?? pending.expiresAt)),
    attempts: 0,
    nextAttemptAt: now,
    createdAt: now,
  };
  let added: boolean;
  try {
    added = await outbox.enqueue(item);
  } catch {
    log('fail-open: the outbox could not persist the report; failing closed');
    return undefined;
  }
  await writeHealRecord(settings.store, sub, report);
  log('fail-open: report for sub %s queued (%s)', printable(sub), added ? 'new' : 'already queued');
  return { item: itemInfo(item), sub, alias, code: cause.code, added };
}

/**
 * Build the confirmation middleware. Options are checked here, once.
 *
 * @example
 * ```ts
 * app.post('/bindid/confirm',
 *   passport.authenticate('bindid-local', { session: false, failureRedirect: '/bindid/confirm?failed=1' }),
 *   sendAuthenticationPerformed({ clientSecret: process.env.BINDID_CLIENT_SECRET!, apiUrl: 'https://api.bindid-sandbox.io' }),
 *   (req, res) => res.redirect('/account'));
 * ```
 */
export function sendAuthenticationPerformed<U = Express.User>(
  options: SendAuthenticationPerformedOptions<U>,
): ConfirmMiddleware {
  const o = new OptionReader('sendAuthenticationPerformed', options, KNOWN);
  const settings = readConfirmSettings<U>(o, true);
  settings.failure.startWorker();

  const middleware = function sendAuthenticationPerformedMiddleware(req: Request, _res: Response, next: NextFunction): void {
    let called = false;
    const done = (err?: unknown) => {
      if (called) return;
      called = true;
      next(err);
    };
    confirmPendingLogin(req, req.user as U, settings).then(
      () => done(),
      (err: unknown) => {
        if (err instanceof BindIdError) log('confirmation failed: %s', err.code);
        done(err);
      },
    );
  };
  return Object.defineProperty(middleware, 'outboxWorker', { value: settings.failure.worker, enumerable: true }) as ConfirmMiddleware;
}

/** What {@link sendAuthenticationPerformed} returns: the middleware, and the worker of its outbox. */
export type ConfirmMiddleware = RequestHandler & {
  /**
   * The worker delivering reports queued by `failureMode: 'open'` (already started unless
   * `outboxWorker.start` is false); `undefined` in fail-closed mode or with `outboxWorker: false`.
   * Stop it on shutdown: `await middleware.outboxWorker?.stop()`.
   */
  readonly outboxWorker: OutboxWorker | undefined;
};

/** The report to send: `authentication_performed`, or `alias_updated` when re-confirming under a new alias. */
function buildReport<U>(settings: ConfirmSettings<U>, pending: PendingLogin, alias: string, time: number): SessionFeedbackReport {
  const previous = pending.claims.bindid_alias;
  if (pending.relink && typeof previous === 'string' && previous !== alias) return { type: 'alias_updated', alias, time };
  return { type: 'authentication_performed', alias, time, ...(settings.amr ? { amr: [...settings.amr] } : {}) };
}

function readClient(o: OptionReader): SessionFeedbackClient {
  const given = o.raw('client');
  if (given !== undefined) {
    if (!(given instanceof SessionFeedbackClient)) {
      throw o.error('client', 'must be a SessionFeedbackClient (new SessionFeedbackClient({ clientSecret, apiUrl }))');
    }
    if (o.has('clientSecret') || o.has('apiUrl')) {
      throw o.error('client', 'cannot be combined with clientSecret/apiUrl: give one or the other');
    }
    return given;
  }
  if (!o.has('clientSecret') && !o.has('apiUrl')) {
    throw o.error('clientSecret', 'is required (or pass `client`), for example process.env.BINDID_CLIENT_SECRET');
  }
  // The client checks `clientSecret` and `apiUrl`; its errors name them as options of this factory.
  return o.within(undefined, () => new SessionFeedbackClient({ clientSecret: o.raw('clientSecret') as string, apiUrl: o.raw('apiUrl') as string }));
}

function readAmrOption(o: OptionReader): string[] {
  const amr = o.raw('amr');
  if (!isAmrList(amr)) {
    throw o.error('amr', "must be an array of AMR values such as ['pwd']");
  }
  return [...amr];
}
