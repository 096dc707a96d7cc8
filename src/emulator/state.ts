/**
 * The emulator's in-memory state, every part of it bounded.
 *
 * - Identities: the known test identities (fixed) and those created by `identity=new` (the last
 *   {@link Limits.newIdentities}; evicting one also drops its alias).
 * - Per user of the one registered client (the emulator has a single client, so "per (sub, client)"
 *   is "per sub"): app login times, confirmation time and alias, plus an index alias → holders for
 *   the conflict check.
 * - Authorization codes and access-token sessions: capped, oldest evicted first, expired ones swept
 *   whenever a new one is stored.
 * - Received session-feedback reports: a ring of the last {@link Limits.reports}.
 *
 * @module
 */
import { randomUUID } from 'node:crypto';
import { randomHex8 } from './secrets.js';
import type { EmulatorIdentity, ReceivedReport } from './types.js';

/** Caps of the stores. */
export interface Limits {
  /** Authorization codes kept (unused, unexpired). */
  codes: number;
  /** Access-token sessions kept. */
  accessTokens: number;
  /** Identities created by `identity=new` kept. */
  newIdentities: number;
  /** Received reports kept. */
  reports: number;
}

/** The caps used by `createEmulator`. */
export const DEFAULT_LIMITS: Readonly<Limits> = {
  codes: 1000,
  accessTokens: 10_000,
  newIdentities: 1000,
  reports: 1000,
};

/** A test identity with its `sub`. */
export interface Identity extends Readonly<EmulatorIdentity> {
  /** The BindID user id: a UUID, stable for the life of the emulator. */
  readonly sub: string;
}

/** One device a user authenticated from. Times are unix seconds. */
export interface DeviceRecord {
  /** First login from this device (its registration, as the emulator has one client). */
  readonly firstLogin: number;
  /** Latest login from this device. */
  lastLogin: number;
  /**
   * Whether an `authentication_performed` report bound this device's authenticator to the client
   * (`ts.bindid.app_bound_cred` in `acr` when signing in from it).
   */
  bound: boolean;
}

/** What BindID keeps about one user of the client application. Times are unix seconds. */
export interface AppUser {
  /** Who this user is. */
  readonly identity: Identity;
  /** The email address BindID holds (from the identity, a `login_hint`, or a verification). */
  email?: string;
  /** Whether `email` is verified. */
  emailVerified: boolean;
  /** The phone number BindID holds. */
  phoneNumber?: string;
  /** Whether `phoneNumber` is verified. */
  phoneNumberVerified: boolean;
  /** The devices the user signed in from, by device id. */
  readonly devices: Map<string, DeviceRecord>;
  /** The alias the client set by session feedback. */
  alias?: string;
  /** When the user first signed in to this client. */
  firstLogin?: number;
  /** When the user last signed in to this client. */
  lastLogin?: number;
  /** When the first `authentication_performed` report was accepted. */
  firstConfirmedLogin?: number;
}

/** An issued authorization code. */
export interface CodeGrant {
  /** The client it was issued to. */
  readonly clientId: string;
  /** The exact `redirect_uri` of the authorization request. */
  readonly redirectUri: string;
  /** The requested scope (contains `openid`). */
  readonly scope: string;
  /** The user who signed in. */
  readonly sub: string;
  /** Unix seconds of the login. */
  readonly authTime: number;
  /** The `nonce` of the authorization request, if any. */
  readonly nonce?: string;
  /** The S256 PKCE challenge, when one was sent. */
  readonly codeChallenge?: string;
  /** The device the user authenticated from. */
  readonly device: string;
  /** The `ts.bindid.iac.*` ACR values this authentication satisfied (verifications asked for and done). */
  readonly verified: readonly string[];
  /** Expiry, ms since 1970. */
  readonly expiresAt: number;
}

/** What an access token stands for. */
export interface Session {
  /** The user signed in. */
  readonly sub: string;
  /** The granted scope. */
  readonly scope: string;
  /** Unix seconds of the login. */
  readonly authTime: number;
  /** The `nonce` of the authorization request, if any. */
  readonly nonce?: string;
  /** The device the user authenticated from. */
  readonly device: string;
  /** The `ts.bindid.iac.*` ACR values this authentication satisfied. */
  readonly verified: readonly string[];
  /** Expiry, ms since 1970. */
  expiresAt: number;
}

/** A Map with a capacity: storing past it evicts the oldest entry. */
export class BoundedMap<K, V> {
  private readonly map = new Map<K, V>();

  /**
   * @param capacity most entries kept
   * @param onEvict called for each entry evicted by the cap (not for `delete`/`take`)
   */
  constructor(
    readonly capacity: number,
    private readonly onEvict?: (key: K, value: V) => void,
  ) {}

  /** How many entries are stored. */
  get size(): number {
    return this.map.size;
  }

  /** The value of `key`, if stored. */
  get(key: K): V | undefined {
    return this.map.get(key);
  }

  /** Store `value` as the newest entry, evicting the oldest ones beyond the capacity. */
  set(key: K, value: V): void {
    this.map.delete(key);
    this.map.set(key, value);
    for (const [oldKey, oldValue] of this.map) {
      if (this.map.size <= this.capacity) break;
      this.map.delete(oldKey);
      this.onEvict?.(oldKey, oldValue);
    }
  }

  /** Remove and return an entry. */
  take(key: K): V | undefined {
    const value = this.map.get(key);
    this.map.delete(key);
    return value;
  }

  /** Remove entries from the oldest while `drop(value)` is true. */
  dropOldestWhile(drop: (value: V) => boolean): void {
    for (const [key, value] of this.map) {
      if (!drop(value)) break;
      this.map.delete(key);
    }
  }

  /** The values, oldest first. */
  values(): IterableIterator<V> {
    return this.map.values();
  }
}

/** A list that keeps only its last `capacity` items. */
export class RingBuffer<T> {
  private readonly items: T[] = [];
  private start = 0;

  /** @param capacity most items kept */
  constructor(readonly capacity: number) {}

  /** How many items are kept. */
  get size(): number {
    return this.items.length;
  }

  /** Append `item`, dropping the oldest one when full. */
  push(item: T): void {
    if (this.items.length < this.capacity) {
      this.items.push(item);
    } else {
      this.items[this.start] = item;
      this.start = (this.start + 1) % this.capacity;
    }
  }

  /** The items, oldest first (a copy). */
  toArray(): T[] {
    return [...this.items.slice(this.start), ...this.items.slice(0, this.start)];
  }

  /** Drop every item. */
  clear(): void {
    this.items.length = 0;
    this.start = 0;
  }
}

/** All mutable state of one emulator. */
export class EmulatorState {
  /** The known identities, in the order given. */
  readonly knownIdentities: readonly Identity[];
  private readonly knownUsers = new Map<string, AppUser>();
  private readonly newUsers: BoundedMap<string, AppUser>;
  private readonly subById = new Map<string, string>();
  private readonly aliasHolders = new Map<string, Set<string>>();
  private readonly codes: BoundedMap<string, CodeGrant>;
  private readonly sessions: BoundedMap<string, Session>;
  private readonly received: RingBuffer<ReceivedReport>;

  /**
   * @param identities the known identities (each gets a random UUID `sub`)
   * @param limits the caps of the stores
   */
  constructor(identities: readonly EmulatorIdentity[], limits: Limits = DEFAULT_LIMITS) {
    this.knownIdentities = identities.map((identity) => ({ ...identity, sub: randomUUID() }));
    for (const identity of this.knownIdentities) this.addUser(this.knownUsers, identity);
    this.newUsers = new BoundedMap(limits.newIdentities, (sub, user) => {
      this.removeAlias(sub, user);
      this.subById.delete(user.identity.id);
    });
    this.codes = new BoundedMap(limits.codes);
    this.sessions = new BoundedMap(limits.accessTokens);
    this.received = new RingBuffer(limits.reports);
  }

  // --- identities and users -------------------------------------------------------------------

  /** A known identity by id (not the `new` ones: see {@link identity}). */
  knownIdentity(id: string): Identity | undefined {
    return this.knownIdentities.find((identity) => identity.id === id);
  }

  /** An identity by id: a known one, or one created by `identity=new` and not evicted yet. */
  identity(id: string): Identity | undefined {
    const known = this.knownIdentity(id);
    if (known !== undefined) return known;
    const sub = this.subById.get(id);
    return sub === undefined ? undefined : this.newUsers.get(sub)?.identity;
  }

  /** The last `limit` identities created by `identity=new`, newest first. */
  createdIdentities(limit: number): Identity[] {
    return [...this.newUsers.values()].slice(-limit).reverse().map((user) => user.identity);
  }

  /**
   * Create a fresh identity: random UUID `sub`. A `named` one (`Emulator.addIdentity`) is taken as
   * given (the caller checks that its id is valid and not taken); otherwise id `new-<8 hex>`, and
   * BindID knows no email for a new person unless `email` is given (a `login_hint`), and then an
   * unverified one.
   */
  createIdentity(named?: EmulatorIdentity, email?: string): Identity {
    if (named) {
      const identity: Identity = { ...named, sub: randomUUID() };
      this.addUser(this.newUsers, identity);
      return identity;
    }
    const id = `new-${randomHex8()}`;
    const identity: Identity = {
      id,
      name: 'New BindID user',
      sub: randomUUID(),
      ...(email === undefined ? {} : { email, emailVerified: false }),
    };
    this.addUser(this.newUsers, identity);
    return identity;
  }

  /** The `sub` of an identity id (known or created). */
  subOf(identityId: string): string | undefined {
    return this.subById.get(identityId);
  }

  /** The app user of `sub`, if it exists (created identities may have been evicted). */
  user(sub: string): AppUser | undefined {
    return this.knownUsers.get(sub) ?? this.newUsers.get(sub);
  }

  /** Record a login of `user` from `device` at `time` (unix seconds). */
  recordLogin(user: AppUser, time: number, device: string): void {
    user.firstLogin ??= time;
    user.lastLogin = time;
    const record = user.devices.get(device);
    if (record === undefined) user.devices.set(device, { firstLogin: time, lastLogin: time, bound: false });
    else record.lastLogin = time;
  }

  /** Bind `device` of `user` to the client (an accepted `authentication_performed` from it). */
  bindDevice(user: AppUser, device: string, time: number): void {
    const record = user.devices.get(device);
    if (record === undefined) user.devices.set(device, { firstLogin: time, lastLogin: time, bound: true });
    else record.bound = true;
  }

  /** Unbind every device of `user` (its alias was deleted). */
  unbindDevices(user: AppUser): void {
    for (const record of user.devices.values()) record.bound = false;
  }

  /** Mark `user` confirmed by the client at `time` (unix seconds), once. */
  confirm(user: AppUser, time: number): void {
    user.firstConfirmedLogin ??= time;
  }

  /** Whether a user other than `sub` holds `alias`. */
  aliasHeldByOther(sub: string, alias: string): boolean {
    const holders = this.aliasHolders.get(alias);
    if (holders === undefined) return false;
    return holders.size > (holders.has(sub) ? 1 : 0);
  }

  /** Set or (with `undefined`) remove the alias of `user`. */
  setAlias(user: AppUser, alias: string | undefined): void {
    this.removeAlias(user.identity.sub, user);
    if (alias === undefined) return;
    user.alias = alias;
    let holders = this.aliasHolders.get(alias);
    if (holders === undefined) {
      holders = new Set();
      this.aliasHolders.set(alias, holders);
    }
    holders.add(user.identity.sub);
  }

  private addUser(users: Map<string, AppUser> | BoundedMap<string, AppUser>, identity: Identity): void {
    users.set(identity.sub, {
      identity,
      ...(identity.email === undefined ? {} : { email: identity.email }),
      emailVerified: identity.emailVerified ?? true,
      ...(identity.phoneNumber === undefined ? {} : { phoneNumber: identity.phoneNumber }),
      phoneNumberVerified: identity.phoneNumberVerified ?? true,
      devices: new Map(),
    });
    this.subById.set(identity.id, identity.sub);
  }

  private removeAlias(sub: string, user: AppUser): void {
    if (user.alias === undefined) return;
    const holders = this.aliasHolders.get(user.alias);
    holders?.delete(sub);
    if (holders?.size === 0) this.aliasHolders.delete(user.alias);
    user.alias = undefined;
  }

  // --- authorization codes --------------------------------------------------------------------

  /** Store a code; expired codes are swept first. */
  putCode(code: string, grant: CodeGrant, now: number): void {
    this.codes.dropOldestWhile((old) => old.expiresAt <= now);
    this.codes.set(code, grant);
  }

  /** Remove and return a code (codes are single-use: any redemption attempt consumes it). */
  takeCode(code: string): CodeGrant | undefined {
    return this.codes.take(code);
  }

  /** How many codes are stored. */
  get codeCount(): number {
    return this.codes.size;
  }

  // --- access tokens --------------------------------------------------------------------------

  /** Store a session under its access token; sessions expired at `now` are swept first. */
  putSession(accessToken: string, session: Session, now: number): void {
    this.sessions.dropOldestWhile((old) => old.expiresAt <= now);
    this.sessions.set(accessToken, session);
  }

  /** The session of an access token, expired or not (callers check `expiresAt`). */
  session(accessToken: string): Session | undefined {
    return this.sessions.get(accessToken);
  }

  /** Make every stored session expired. */
  expireSessions(): void {
    for (const session of this.sessions.values()) session.expiresAt = 0;
  }

  /** How many sessions are stored. */
  get sessionCount(): number {
    return this.sessions.size;
  }

  // --- received reports -----------------------------------------------------------------------

  /** Record a received session-feedback request (the oldest is dropped past the cap). */
  addReport(report: ReceivedReport): void {
    this.received.push(report);
  }

  /** The recorded requests, oldest first. */
  reports(): ReceivedReport[] {
    return this.received.toArray();
  }

  /** Forget the recorded requests. */
  clearReports(): void {
    this.received.clear();
  }
}
