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
  FAILURE_OPTION_KEYS,
  type FailureMode,
  type FailurePolicy,
  type OutboxWorkerSettings,
  type ReportQueuedEvent,
  readFailurePolicy,
} from '../fail-open/failure-policy.js';
import { LinkRegistry } from './link-registry.js';
import type { KnownKeys, OptionReader } from '../internal/option-reader.js';
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
   * Where fail-open keeps reports. Default: a `StoreOutbox` on `store` (in Redis with a
   * `RedisBindIdStore`). One that does not survive a restart is refused when `NODE_ENV=production`.
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
  else throw o.error('store', 'must be a BindIdStore (MemoryBindIdStore, RedisBindIdStore, or get/set/add/delete/increment/deleteIf/setIf)');
  return { store, registry: new LinkRegistry(store) };
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

function readAmrOption(o: OptionReader): string[] {
  const amr = o.raw('amr');
  if (!isAmrList(amr)) {
    throw o.error('amr', "must be an array of AMR values such as ['pwd']");
  }
  return [...amr];
}
