/** Failed-password limits per pending login, per account (the normalised username, existing or not: no "never locks" oracle) and per
 * client IP (`req.ip`, IPv6 by its /64). Counted with `store.increment` before the check, only its results deciding (never a read then
 * a write), so the limits hold under concurrency and across instances; a store failure fails closed. @module */
import { isIPv6 } from 'node:net';
import type { Request } from 'express';
import { type AttemptsLocked, publish } from '../internal/diagnostics.js';
import { logger } from '../internal/log.js';
import type { OptionReader } from '../internal/option-reader.js';
import { option, pick, readSchema, type SettingsOf } from '../internal/option-schema.js';
import { REPORT_OPTIONS } from './confirm-options.js';
import { digest } from './link-registry.js';
import type { PendingLogin } from '../session/pending-login.js';
import { type BindIdStore, failClosed } from '../stores/bindid-store.js';

// Stryker disable next-line StringLiteral: the debug namespace, like the text of debug log lines no one relies on
const log = logger('attempts');

const LIMIT_OPTIONS = {
  /** Password checks per account (normalised username) within the window before it is locked. Default 10. */
  perAccount: option.integer(10, 1, 10_000),
  /** Password checks per client IP (or IPv6 /64) within the window. Default 100. */
  perIp: option.integer(100, 1, 1_000_000),
  /** The window (and lock duration), in seconds. Default 900. */
  windowSeconds: option.integer(900, 1, 86_400),
};

/** Options of `createLocalStrategy` and of `bindIdRouter` (which hands its own to the strategy per request). */
export const ATTEMPT_GUARD_OPTIONS = {
  store: REPORT_OPTIONS.store,
  /** Password checks allowed per pending login; the last failed one destroys it. Default 5. */
  maxAttempts: option.integer(5, 1, 100),
  /** Limits per account (normalised username) and per client IP. Defaults `{ perAccount: 10, perIp: 100, windowSeconds: 900 }`. */
  // Stryker disable next-line StringLiteral: the default as written in the option reference, text no one relies on
  attemptLimits: option.nested(LIMIT_OPTIONS, '`{ perAccount: 10, perIp: 100, windowSeconds: 900 }`'),
};

export interface AttemptGuardSettings {
  store: BindIdStore;
  maxAttempts: number;
  limits: SettingsOf<typeof LIMIT_OPTIONS>;
  now: () => number;
}

export function readAttemptGuardSettings(o: OptionReader, store: BindIdStore, now: () => number): AttemptGuardSettings {
  const { maxAttempts, attemptLimits } = readSchema(o, pick(ATTEMPT_GUARD_OPTIONS, ['maxAttempts', 'attemptLimits']));
  return { store, now, maxAttempts, limits: attemptLimits };
}

/** `exhausted`: this failed attempt used the pending login's last one (one request sees it); `refused`: none was left. */
export type LinkOutcome = 'exhausted' | 'refused';

/** The router's settings handed to the strategy for one request (preferred to its own), and what the strategy reports back. */
export interface AttemptGuardContext {
  readonly settings: AttemptGuardSettings;
  /** The pending login the router read for this request, with the session and this browser checked: not read again. */
  readonly pending?: PendingLogin;
  /** The strategy ran (so the router knows the attempt was guarded). */
  guarded?: boolean;
  link?: LinkOutcome;
}

/** `Symbol.for`, so a router and a strategy from two copies of the package (ESM and CommonJS) still meet. */
const CONTEXT = Symbol.for('express-bindid.attempt-guard');
type WithContext = Request & { [CONTEXT]?: AttemptGuardContext };

export function setAttemptGuardContext(req: Request, settings: AttemptGuardSettings, pending?: PendingLogin): AttemptGuardContext {
  const context: AttemptGuardContext = pending ? { settings, pending } : { settings };
  (req as WithContext)[CONTEXT] = context;
  return context;
}

export function attemptGuardContext(req: Request): AttemptGuardContext | undefined {
  return (req as WithContext)[CONTEXT];
}

/** `refused`: a limit was used up, the password must not be checked. `linkCount` includes this attempt. */
export interface Reservation {
  refused: boolean;
  reason?: 'link' | 'locked';
  linkCount: number;
}

/** Count one attempt on the pending login, the account and the client; a store failure rejects (no check). */
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

function locked(limit: AttemptsLocked['limit'], count: number, reservation: Reservation): Reservation {
  publish('attemptsLocked', () => ({ limit, count }));
  return reservation;
}

/** After a right password: forget the account's failures, give the client's slot back. A store failure only leaves them stricter. */
export async function releaseAttempt(settings: AttemptGuardSettings, req: Request, username: string): Promise<void> {
  // Stryker disable next-line ArithmeticOperator: equivalent for the limits, the window only sets the TTL of a -1 that release creates when the client's counter already expired (any TTL leaves the limits as strict or stricter)
  const window = settings.limits.windowSeconds * 1000;
  await Promise.all([
    settings.store.delete(accountKey(username)),
    settings.store.increment(ipKey(req), window, -1),
  ]).catch(
    // Stryker disable next-line ArrowFunction: equivalent, the catch only logs; release resolves either way
    () => log('could not reset the attempt counters after a confirmed password'),
  );
}

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
  // Stryker disable next-line StringLiteral: equivalent, any constant puts the clients without an address in one bucket
  return `attempts:ip:${digest(clientKey(req.ip ?? req.socket?.remoteAddress ?? 'unknown'))}`;
}

/** The client part that counts: the IPv4 address, or the /64 prefix of an IPv6 address. */
export function clientKey(ip: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  if (mapped) return mapped[1] as string;
  if (!isIPv6(ip)) return ip;
  // Stryker disable next-line StringLiteral: equivalent, split always gives a head, and a tail is only read when the address has ::
  const [head = '', tail = ''] = ip.split('::');
  // Stryker disable next-line ArrayDeclaration: equivalent, a made-up group parses as 0 and takes the place of one of the zeros :: stands for
  const left = head ? head.split(':') : [];
  // Stryker disable next-line ArrayDeclaration: equivalent, a made-up group after :: lands past the four groups of the /64
  const right = tail ? tail.split(':') : [];
  // Stryker disable next-line StringLiteral: equivalent, without :: the tail is empty and the zeros added are 8 - 8 = 0 (the fill value too: '' parses as 0)
  const groups = ip.includes('::') ? [...left, ...Array(8 - left.length - right.length).fill('0'), ...right] : left;
  return `${groups
    .slice(0, 4)
    .map(
      // Stryker disable next-line StringLiteral: equivalent, an empty group parses as NaN, then 0
      (g) => (Number.parseInt(g || '0', 16) || 0).toString(16),
    )
    .join(':')}::/64`;
}

/** A moving average of the app's password checks, so that a locked attempt (never checked) answers as late. */
export class VerifyTiming {
  readonly #samples: number[] = [];
  #next = 0;

  constructor(private readonly size = 16) {}

  record(ms: number): void {
    if (!Number.isFinite(ms) || ms < 0) return;
    // Stryker disable next-line ConditionalExpression: equivalent, while filling #next is the length, so assigning at #next appends too
    if (this.#samples.length < this.size) this.#samples.push(ms);
    else this.#samples[this.#next] = ms;
    this.#next = (this.#next + 1) % this.size;
  }

  /** In ms; 0 before the first check. */
  typical(): number {
    if (this.#samples.length === 0) return 0;
    return this.#samples.reduce((a, b) => a + b, 0) / this.#samples.length;
  }
}
