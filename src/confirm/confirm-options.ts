/** The confirmation's options (`bindIdRouter`'s extend them), its settings, request state and events. @module */
import type { Request } from 'express';
import type { BindIdError } from '../errors.js';
import { defaultAlias } from './alias.js';
import { type FeedbackResult, SessionFeedbackClient } from '../feedback/session-feedback-client.js';
import { isAmrList } from '../feedback/session-feedback-report.js';
import { type FailureMode, type FailurePolicy, type OutboxWorkerSettings, type ReportQueuedEvent, readFailurePolicy } from '../fail-open/failure-policy.js';
import { LinkRegistry } from './link-registry.js';
import type { OptionReader } from '../internal/option-reader.js';
import { option, type OptionsOf, pick, readSchemaOf, type SettingsOf } from '../internal/option-schema.js';
import type { Outbox } from '../fail-open/outbox.js';
import type { BindIdClaims } from '../session/pending-login.js';
import { type BindIdStore, MemoryBindIdStore } from '../stores/bindid-store.js';

/** What the middleware leaves on `req.bindid` for the handlers after it. */
export interface BindIdRequestState {
  alias: string;
  sub: string;
  claims: BindIdClaims;
  /**
   * `sent`: BindID accepted it. `queued`: BindID was down, it waits in the outbox (fail-open). `unchanged`: a re-link whose ID token
   * already carries this alias, nothing sent. `possibly-applied`: refused after an unanswered attempt that may have set the alias; the next
   * sign-in's ID token settles it.
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
  /** Absent when the report was queued (fail-open) or not needed. */
  result?: FeedbackResult;
  queued: boolean;
}

/** Payload of the `onFeedbackError` event. */
export interface FeedbackErrorEvent {
  req: Request;
  error: BindIdError;
  sub: string;
}

/** The confirmation's options whose type names the app's user type `U`. */
export interface ConfirmUserTypes<U> {
  alias: (user: U, req: Request) => string | Promise<string>;
  onLinked: (event: LinkedEvent<U>) => unknown;
}

/** The options of reporting to BindID, shared with the sign-in flow (which reports when it self-heals or unlinks). */
export const REPORT_OPTIONS = {
  /** BindID's API host (`BINDID_HOSTS.<environment>.apiUrl`); not with `client`. */
  apiUrl: option.together<string>('required unless `client`'),
  /** The confirmed user's alias (default `String(user.id)`): an immutable, never-reused id, never a username or email. */
  alias: option.userFn('alias', '`String(user.id)`'),
  /** Clock in ms since 1970. Default `Date.now`. */
  now: option.fn<() => number>('`Date.now`'),
  /** Shared state (claims, attempt counters, links, the outbox). Default: in memory; several instances share a `RedisBindIdStore`. */
  store: option.custom<BindIdStore, BindIdStore>('a private `MemoryBindIdStore`', readStoreOption),
  /**
   * BindID unreachable or timed out: `'closed'` signs nobody in and keeps the pending login (503,
   * try again); `'open'` persists the report in `outbox`, signs the user in, and self-heals at a later
   * sign-in whose ID token still lacks `bindid_alias`. An outbox that cannot persist fails closed.
   */
  failureMode: option.together<FailureMode>("`'closed'`"),
  /** Where fail-open keeps reports; one that does not survive a restart is refused when `NODE_ENV=production`. */
  outbox: option.together<Outbox>('`StoreOutbox` on `store`'),
  /** A report was queued and the user signed in (fail-open). */
  onReportQueued: option.together<(event: ReportQueuedEvent) => unknown>('none'),
};

/** The options of {@link sendAuthenticationPerformed}. Hooks' errors are logged, not thrown. */
export const CONFIRM_OPTIONS = {
  /** The client to send reports with, or give `clientSecret` and `apiUrl`. */
  client: option.together<SessionFeedbackClient>('built from `clientSecret` + `apiUrl`'),
  /** BindID client secret, or a function returning the current one. */
  clientSecret: option.together<string | (() => string)>('required unless `client`'),
  ...REPORT_OPTIONS,
  /** AMR values of the app's password check, sent with the report (e.g. `['pwd']`). */
  amr: option.custom<string[], string[] | undefined>('none', readAmrOption),
  /** `req.login` (a new session id, only `returnTo` kept) once BindID accepted; `false` to call it yourself. */
  logIn: option.boolean(true),
  /** After a link, e.g. to notify the account owner or write an audit event. */
  onLinked: option.userFn('onLinked'),
  /** The report to BindID failed (before `next(err)`). */
  onFeedbackError: option.fn<(event: FeedbackErrorEvent) => unknown>(),
  /** The worker delivering queued reports (`.outboxWorker`, started at once), or `false` to run your own. */
  outboxWorker: option.together<OutboxWorkerSettings | false>('started, every 5000 ms'),
};

/** Options of {@link sendAuthenticationPerformed}. */
export interface SendAuthenticationPerformedOptions<U = Express.User> extends OptionsOf<typeof CONFIRM_OPTIONS, ConfirmUserTypes<U>> {}

export interface ConfirmSettings<U>
  extends Pick<SettingsOf<typeof CONFIRM_OPTIONS, ConfirmUserTypes<U>>, 'amr' | 'logIn' | 'onLinked' | 'onFeedbackError' | 'store'> {
  client: SessionFeedbackClient;
  deriveAlias: ConfirmUserTypes<U>['alias'];
  now: () => number;
  registry: LinkRegistry;
  failure: FailurePolicy;
}

/** `client`, or `clientSecret` + `apiUrl`, are read unless the caller has a client. */
export function readConfirmSettings<U>(o: OptionReader, client?: SessionFeedbackClient): ConfirmSettings<U> {
  const names = ['logIn', 'onLinked', 'onFeedbackError', 'amr', 'alias', 'now', 'store'] as const;
  const { alias, now, ...read } = readSchemaOf<ConfirmUserTypes<U>>()(o, pick(CONFIRM_OPTIONS, names));
  const feedback = client ?? readClient(o);
  const clock = now ?? Date.now;
  const failure = readFailurePolicy(o, feedback, clock, read.store);
  return { ...read, client: feedback, deriveAlias: alias ?? defaultAlias, now: clock, registry: new LinkRegistry(read.store), failure };
}

function readStoreOption(o: OptionReader, key: string): BindIdStore {
  const given = o.raw(key);
  if (given === undefined) return new MemoryBindIdStore();
  if (isStore(given)) return given;
  throw o.error(key, 'must be a BindIdStore (MemoryBindIdStore, RedisBindIdStore, or get/set/add/delete/increment/deleteIf/setIf)');
}

export function isStore(value: unknown): value is BindIdStore {
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
  // Its errors name `clientSecret` and `apiUrl` as options of this factory.
  return o.within(undefined, () => new SessionFeedbackClient({ clientSecret: o.raw('clientSecret') as string, apiUrl: o.raw('apiUrl') as string }));
}

function readAmrOption(o: OptionReader, key: string): string[] | undefined {
  const amr = o.raw(key);
  if (amr === undefined) return undefined;
  if (!isAmrList(amr)) throw o.error(key, "must be an array of AMR values such as ['pwd']");
  return [...amr];
}

