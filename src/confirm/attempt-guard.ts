/**
 * The failed-password limits of the confirm step, reserved atomically in a {@link BindIdStore}
 * before the app's password check runs, so they hold under concurrent requests and across instances:
 *
 * - per pending login (`maxAttempts`), keyed on a SHA-256 of its access token, for its remaining life;
 * - per account, keyed on the normalised username typed (NFKC, trimmed, lower-cased, hashed), for
 *   existing and unknown usernames alike (no "never locks" oracle);
 * - per client IP (`req.ip`, so `trust proxy` decides whether `X-Forwarded-For` counts; IPv6 keyed by
 *   its /64).
 *
 * Each attempt adds 1 to the three counters with `store.increment` and only the values that call
 * returns decide (never a read followed by a write): a value over its limit refuses the attempt
 * before the password is checked. A store failure fails closed (`ERR_BINDID_STORE_UNAVAILABLE`).
 *
 * @module
 */
import { isIPv6 } from 'node:net';
import type { Request } from 'express';
import { type AttemptsLocked, publish } from '../internal/diagnostics.js';
import { logger } from '../internal/log.js';
import type { OptionReader } from '../internal/option-reader.js';
import { option, type OptionsOf, pick, readSchema, type SettingsOf } from '../internal/option-schema.js';
import { REPORT_OPTIONS } from './confirm-options.js';
import { digest } from './link-registry.js';
import type { PendingLogin } from '../session/pending-login.js';
import { type BindIdStore, failClosed } from '../stores/bindid-store.js';

const log = logger('attempts');

/** The failed-password limits per account and per client, declared once. */
const LIMIT_OPTIONS = {
  /** Password checks per account (normalised username) within the window before it is locked. Default 10. */
  perAccount: option.integer(10, 1, 10_000),
  /** Password checks per client IP (or IPv6 /64) within the window. Default 100. */
  perIp: option.integer(100, 1, 1_000_000),
  /** The window (and lock duration), in seconds. Default 900. */
  windowSeconds: option.integer(900, 1, 86_400),
};

/** Failed-password limits per account and per client. */
export interface AttemptLimits extends SettingsOf<typeof LIMIT_OPTIONS> {}

/**
 * Where attempts are counted and how many are allowed, declared once: options of `createLocalStrategy`,
 * and of `bindIdRouter`, which hands its own to the strategy for each confirm request.
 */
export const ATTEMPT_GUARD_OPTIONS = {
  store: REPORT_OPTIONS.store,
  /** Password checks allowed per pending login; the last failed one destroys it. Default 5. */
  maxAttempts: option.integer(5, 1, 100),
  /** Limits per account (normalised username) and per client IP. Defaults `{ perAccount: 10, perIp: 100, windowSeconds: 900 }`. */
  attemptLimits: option.nested(LIMIT_OPTIONS, '`{ perAccount: 10, perIp: 100, windowSeconds: 900 }`'),
};

/** The options of the attempt limits (see {@link ATTEMPT_GUARD_OPTIONS}). */
export interface AttemptGuardOptions extends OptionsOf<typeof ATTEMPT_GUARD_OPTIONS> {}

/** The guard's settings, read once at a factory. */
export interface AttemptGuardSettings {
  store: BindIdStore;
  maxAttempts: number;
  limits: AttemptLimits;
  /** Clock in ms since 1970. */
  now: () => number;
}

/** Read `maxAttempts` and `attemptLimits` from `o`, with the factory's store and clock. */
export function readAttemptGuardSettings(o: OptionReader, store: BindIdStore, now: () => number): AttemptGuardSettings {
  const { maxAttempts, attemptLimits } = readSchema(o, pick(ATTEMPT_GUARD_OPTIONS, ['maxAttempts', 'attemptLimits']));
  return { store, now, maxAttempts, limits: attemptLimits };
}

/**
 * How a guarded attempt ended for its pending login: `exhausted` when this failed attempt used the
 * last one (exactly one request per pending login sees it), `refused` when none was left.
 */
export type LinkOutcome = 'exhausted' | 'refused';

/**
 * The request-scoped hand-over from `bindIdRouter` to the strategy: the router's settings (its
 * store and limits, preferred to the strategy's own), and what the strategy reports back.
 */
export interface AttemptGuardContext {
  readonly settings: AttemptGuardSettings;
  /** Set by the strategy when it ran (so the router knows the attempt was guarded). */
  guarded?: boolean;
  /** Set by the strategy when the pending login was used up. */
  link?: LinkOutcome;
}

/** `Symbol.for`, so a router and a strategy from two copies of the package (ESM and CommonJS) still meet. */
const CONTEXT = Symbol.for('express-bindid.attempt-guard');
type WithContext = Request & { [CONTEXT]?: AttemptGuardContext };

/** Hand `settings` to the strategy for this request; returns the context it reports back on. */
export function setAttemptGuardContext(req: Request, settings: AttemptGuardSettings): AttemptGuardContext {
  const context: AttemptGuardContext = { settings };
  (req as WithContext)[CONTEXT] = context;
  return context;
}

/** The context a router set on `req`, if any. */
export function attemptGuardContext(req: Request): AttemptGuardContext | undefined {
  return (req as WithContext)[CONTEXT];
}

/** What {@link reserveAttempt} decided. */
export interface Reservation {
  /** True when a limit was already used up: the password must not be checked. */
  refused: boolean;
  /** Why it was refused: the pending login's attempts, or the account's or client's. */
  reason?: 'link' | 'locked';
  /** Attempts counted on the pending login, this one included. */
  linkCount: number;
}

/**
 * Count one attempt on the pending login, the account and the client, atomically in the store, and
 * decide from the values the store returned. Rejects with `ERR_BINDID_STORE_UNAVAILABLE` (503) when
 * the store fails: the password is then not checked.
 */
export async function reserveAttempt(
  settings: AttemptGuardSettings,
  req: Request,
  username: string,
  pending: PendingLogin,
): Promise<Reservation> {
  const { store, limits, maxAttempts } = settings;
  const window = limits.windowSeconds * 1000;
  const life = Math.max(1000, pending.expiresAt - settings.now());
  const [link, account, ip] = await failClosed(() =>
    Promise.all([
      store.increment(linkKey(pending), life),
      store.increment(accountKey(username), window),
      store.increment(ipKey(req), window),
    ]),
  );
  if (link > maxAttempts) return locked('pending-login', link, { refused: true, reason: 'link', linkCount: link });
  if (account > limits.perAccount) return locked('account', account, { refused: true, reason: 'locked', linkCount: link });
  if (ip > limits.perIp) return locked('client', ip, { refused: true, reason: 'locked', linkCount: link });
  return { refused: false, linkCount: link };
}

/** Publish a refusal on the `attempts:locked` diagnostics channel (the limit and the count only). */
function locked(limit: AttemptsLocked['limit'], count: number, reservation: Reservation): Reservation {
  publish('attemptsLocked', () => ({ limit, count }));
  return reservation;
}

/**
 * After a right password: forget the account's failures and give the client's slot back. Never
 * rejects (a store failure only leaves the counters stricter).
 */
export async function releaseAttempt(settings: AttemptGuardSettings, req: Request, username: string): Promise<void> {
  const window = settings.limits.windowSeconds * 1000;
  await Promise.all([
    settings.store.delete(accountKey(username)),
    settings.store.increment(ipKey(req), window, -1),
  ]).catch(() => log('could not reset the attempt counters after a confirmed password'));
}

/** The normalised form of a username for counting: NFKC, trimmed, lower-cased. */
export function normaliseUsername(username: string): string {
  return username.normalize('NFKC').trim().toLowerCase();
}

function linkKey(pending: PendingLogin): string {
  return `attempts:link:${digest(pending.accessToken)}`;
}

function accountKey(username: string): string {
  return `attempts:account:${digest(normaliseUsername(username))}`;
}

function ipKey(req: Request): string {
  return `attempts:ip:${digest(clientKey(req.ip ?? req.socket?.remoteAddress ?? 'unknown'))}`;
}

/** The client part that counts: the IPv4 address, or the /64 prefix of an IPv6 address. */
export function clientKey(ip: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  if (mapped) return mapped[1] as string;
  if (!isIPv6(ip)) return ip;
  const [head = '', tail = ''] = ip.split('::');
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const groups = ip.includes('::') ? [...left, ...Array(8 - left.length - right.length).fill('0'), ...right] : left;
  return `${groups
    .slice(0, 4)
    .map((g) => (Number.parseInt(g || '0', 16) || 0).toString(16))
    .join(':')}::/64`;
}

/**
 * A small moving average of how long the app's password checks took, so that an attempt refused
 * without a check (account or client locked) answers after about the same time.
 */
export class VerifyTiming {
  readonly #samples: number[] = [];
  #next = 0;

  constructor(private readonly size = 16) {}

  /** Record one check's duration, in ms. */
  record(ms: number): void {
    if (!Number.isFinite(ms) || ms < 0) return;
    if (this.#samples.length < this.size) this.#samples.push(ms);
    else this.#samples[this.#next] = ms;
    this.#next = (this.#next + 1) % this.size;
  }

  /** The mean of the recent checks, in ms (0 before the first one). */
  typical(): number {
    if (this.#samples.length === 0) return 0;
    return this.#samples.reduce((a, b) => a + b, 0) / this.#samples.length;
  }
}
