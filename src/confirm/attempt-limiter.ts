/**
 * Failed-password limits for the confirm step, kept in a {@link BindIdStore} so they hold across
 * instances and across fresh BindID sign-ins:
 *
 * - per account, keyed on the normalised username typed (NFKC, trimmed, lower-cased, hashed), for
 *   existing and unknown usernames alike (no "never locks" oracle);
 * - per client IP (`req.ip`, so `trust proxy` decides whether `X-Forwarded-For` counts; IPv6 keyed by
 *   its /64).
 *
 * A locked key fails exactly like a wrong password. A store failure fails closed.
 *
 * @module
 */
import { createHash } from 'node:crypto';
import { isIPv6 } from 'node:net';
import type { Request } from 'express';
import type { BindIdStore } from '../stores/bindid-store.js';

/** Limits of {@link AttemptLimiter}. */
export interface AttemptLimits {
  /** Failed passwords per account within the window before it is locked. Default 10. */
  perAccount: number;
  /** Failed passwords per client IP (or IPv6 /64) within the window. Default 100. */
  perIp: number;
  /** The window (and lock duration), in seconds. Default 900. */
  windowSeconds: number;
}

/** Default limits. */
export const DEFAULT_ATTEMPT_LIMITS: Readonly<AttemptLimits> = Object.freeze({ perAccount: 10, perIp: 100, windowSeconds: 900 });

/** Counts failed confirm attempts and tells whether a new attempt may count. */
export class AttemptLimiter {
  constructor(
    private readonly store: BindIdStore,
    private readonly limits: AttemptLimits,
  ) {}

  /** True when the account or the client is over its limit. Rejects if the store fails. */
  async isLocked(req: Request, username: string): Promise<boolean> {
    const [account, ip] = await Promise.all([this.store.get(accountKey(username)), this.store.get(ipKey(req))]);
    return Number(account ?? 0) >= this.limits.perAccount || Number(ip ?? 0) >= this.limits.perIp;
  }

  /** Record one failed attempt against the account and the client. Rejects if the store fails. */
  async recordFailure(req: Request, username: string): Promise<void> {
    const ttl = this.limits.windowSeconds * 1000;
    await Promise.all([this.store.increment(accountKey(username), ttl), this.store.increment(ipKey(req), ttl)]);
  }

  /** Forget the account's failures after a successful confirmation. */
  async reset(username: string): Promise<void> {
    await this.store.delete(accountKey(username));
  }
}

/** The normalised form of a username for counting: NFKC, trimmed, lower-cased. */
export function normaliseUsername(username: string): string {
  return username.normalize('NFKC').trim().toLowerCase();
}

function accountKey(username: string): string {
  return `attempts:account:${sha256(normaliseUsername(username))}`;
}

function ipKey(req: Request): string {
  return `attempts:ip:${sha256(clientKey(req.ip ?? req.socket?.remoteAddress ?? 'unknown'))}`;
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

function sha256(value: string): string {
  return createHash('sha256').update(value).digest('base64url');
}
