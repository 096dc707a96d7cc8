/**
 * The options of the confirmation step, shared by `sendAuthenticationPerformed` and `bindIdRouter`
 * (whose options extend these): their types, their names, and reading them once into
 * {@link ConfirmSettings}. Also the request state and event payloads of a confirmation.
 *
 * @module
 */
import type { Request } from 'express';
import type {} from 'express-session';
import type { BindIdError } from '../errors.js';
import { defaultAlias } from './alias.js';
import { type FeedbackResult, SessionFeedbackClient } from '../feedback/session-feedback-client.js';
import { isAmrList } from '../feedback/session-feedback-report.js';
import {
  type FailureMode,
  type FailurePolicy,
  type OutboxWorkerSettings,
  type ReportQueuedEvent,
  readFailurePolicy,
} from '../fail-open/failure-policy.js';
import { LinkRegistry } from './link-registry.js';
import type { OptionReader } from '../internal/option-reader.js';
import { option, type OptionsOf, pick, readSchemaOf, type SettingsOf } from '../internal/option-schema.js';
import type { Outbox } from '../fail-open/outbox.js';
import type { BindIdClaims } from '../session/pending-login.js';
import { type BindIdStore, MemoryBindIdStore } from '../stores/bindid-store.js';

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
   * outbox (`failureMode: 'open'` only). `unchanged`: a re-link (`CONFIRM_AGAIN`) whose ID token
   * already carries this alias: nothing was sent. `possibly-applied`: BindID refused the report after
   * an earlier attempt went unanswered, which may have set the alias (`onFeedbackError` got the error,
   * with `possiblyApplied: true`); the next sign-in's ID token settles it.
   */
  report: 'sent' | 'queued' | 'unchanged' | 'possibly-applied';
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

/** The confirmation's options whose type names the app's user type `U` (declared once, here). */
export interface ConfirmUserTypes<U> {
  alias: (user: U, req: Request) => string | Promise<string>;
  onLinked: (event: LinkedEvent<U>) => unknown;
}

/**
 * The options of reporting to BindID, shared by the confirmation and the sign-in flow (which reports
 * itself when it self-heals or unlinks): declared once, here.
 */
export const REPORT_OPTIONS = {
  /** BindID's API host, e.g. `https://api.bindid-sandbox.io` (`BINDID_HOSTS.<environment>.apiUrl`); not with `client`, which has its own. */
  apiUrl: option.together<string>('required unless `client`'),
  /**
   * The alias to report for the confirmed user. Default: `String(user.id)`. Use an immutable,
   * never-reused internal id, not a username or email (those change and get recycled); `opaqueAlias(secret)`
   * hides the id from BindID.
   */
  alias: option.userFn('alias', '`String(user.id)`'),
  /** Clock in ms since 1970, for expiry checks and the report's `time`. Default `Date.now`. */
  now: option.fn<() => number>('`Date.now`'),
  /**
   * Shared state: single-use claims and states, attempt counters, the one-to-one link registry, the
   * default outbox. Default: a private in-memory store (one process). With several instances, give
   * every instance the same `RedisBindIdStore`.
   */
  store: option.custom<BindIdStore, BindIdStore>('a private `MemoryBindIdStore`', readStoreOption),
  /**
   * What to do when BindID is unreachable or times out. `'closed'` (default): nobody is signed in and
   * the pending login is kept (the password is asked again): the middleware passes
   * `ERR_BINDID_UNAVAILABLE`/`ERR_BINDID_TIMEOUT` to `next(err)`, the router's confirm page answers 503
   * "try again". `'open'`: the report is persisted in `outbox` and the user is signed in; the outbox
   * worker delivers it later. If the outbox cannot persist it, this falls back to fail closed. In open
   * mode the sign-in flow also self-heals: a later BindID sign-in of a user linked this way whose ID
   * token still lacks `bindid_alias` re-sends the report with the new token, without the password.
   */
  failureMode: option.together<FailureMode>("`'closed'`"),
  /**
   * Where fail-open keeps reports. Default: a `StoreOutbox` on `store` (in Redis with a
   * `RedisBindIdStore`). One that does not survive a restart is refused when `NODE_ENV=production`.
   * Only with `failureMode: 'open'`.
   */
  outbox: option.together<Outbox>('`StoreOutbox` on `store`'),
  /** A report was queued and the user signed in (fail-open). Errors are logged, not thrown. */
  onReportQueued: option.together<(event: ReportQueuedEvent) => unknown>('none'),
};

/** The options of {@link sendAuthenticationPerformed}, declared once. */
export const CONFIRM_OPTIONS = {
  /** The client to send reports with. Give either this, or `clientSecret` and `apiUrl`. */
  client: option.together<SessionFeedbackClient>('built from `clientSecret` + `apiUrl`'),
  /** BindID client secret (a string, or a function that returns the current one), when `client` is not given. */
  clientSecret: option.together<string | (() => string)>('required unless `client`'),
  ...REPORT_OPTIONS,
  /** AMR values describing the app's password check, sent with the report (e.g. `['pwd']`). Default: none. */
  amr: option.custom<string[], string[] | undefined>('none', readAmrOption),
  /**
   * Log the user in with `req.login` once BindID accepted the report (passport regenerates the
   * session; only `returnTo` is carried over). Default `true`. Set `false` to call `req.login` yourself.
   */
  logIn: option.boolean(true),
  /** Called after a successful link, e.g. to notify the account owner or write an audit event. Errors are logged, not thrown. */
  onLinked: option.userFn('onLinked'),
  /** Called when the report to BindID failed (before `next(err)`). Errors are logged, not thrown. */
  onFeedbackError: option.fn<(event: FeedbackErrorEvent) => unknown>(),
  /**
   * The worker that delivers queued reports from this process (started when the middleware or router
   * is built: its `.outboxWorker`), or `false` to run your own `OutboxWorker` elsewhere. Only with
   * `failureMode: 'open'`.
   */
  outboxWorker: option.together<OutboxWorkerSettings | false>('started, every 5000 ms'),
};

/** Options of {@link sendAuthenticationPerformed}. */
export interface SendAuthenticationPerformedOptions<U = Express.User> extends OptionsOf<typeof CONFIRM_OPTIONS, ConfirmUserTypes<U>> {}

/** The confirmation settings, read once from a factory's options (shared with the login router). */
export interface ConfirmSettings<U>
  extends Pick<SettingsOf<typeof CONFIRM_OPTIONS, ConfirmUserTypes<U>>, 'amr' | 'logIn' | 'onLinked' | 'onFeedbackError' | 'store'> {
  client: SessionFeedbackClient;
  deriveAlias: ConfirmUserTypes<U>['alias'];
  now: () => number;
  registry: LinkRegistry;
  /** `failureMode` and its outbox and worker. */
  failure: FailurePolicy;
}

/**
 * Read the confirmation options (`alias`, `amr`, `logIn`, hooks, `now`, `store`, fail-open, and
 * `client` or `clientSecret` + `apiUrl` unless the caller already has a client) from `o`, a reader
 * that knows them.
 */
export function readConfirmSettings<U>(o: OptionReader, client?: SessionFeedbackClient): ConfirmSettings<U> {
  const names = ['logIn', 'onLinked', 'onFeedbackError', 'amr', 'alias', 'now', 'store'] as const;
  const { alias, now, ...read } = readSchemaOf<ConfirmUserTypes<U>>()(o, pick(CONFIRM_OPTIONS, names));
  const feedback = client ?? readClient(o);
  const clock = now ?? Date.now;
  const failure = readFailurePolicy(o, feedback, clock, read.store);
  return { ...read, client: feedback, deriveAlias: alias ?? defaultAlias, now: clock, registry: new LinkRegistry(read.store), failure };
}

/** The `store` option: a {@link BindIdStore}, default a private in-memory one. */
export function readStoreOption(o: OptionReader, key: string): BindIdStore {
  const given = o.raw(key);
  if (given === undefined) return new MemoryBindIdStore();
  if (isStore(given)) return given;
  throw o.error(key, 'must be a BindIdStore (MemoryBindIdStore, RedisBindIdStore, or get/set/add/delete/increment/deleteIf/setIf)');
}

function isStore(value: unknown): value is BindIdStore {
  if (value === null || typeof value !== 'object') return false;
  const v = value as Record<string, unknown>;
  return ['get', 'set', 'add', 'delete', 'increment', 'deleteIf', 'setIf'].every((m) => typeof v[m] === 'function');
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

function readAmrOption(o: OptionReader, key: string): string[] | undefined {
  const amr = o.raw(key);
  if (amr === undefined) return undefined;
  if (!isAmrList(amr)) throw o.error(key, "must be an array of AMR values such as ['pwd']");
  return [...amr];
}

