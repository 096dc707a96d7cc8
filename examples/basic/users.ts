/**
 * The example's user store: in memory, passwords hashed with scrypt (a salt per user), compared in
 * constant time. A real app has its own; express-bindid only needs "check a password" and
 * "find a user by id".
 */
import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto';

export interface User {
  /** Immutable, never reused: the BindID alias is String(id). */
  id: number;
  username: string;
  displayName: string;
}

interface StoredUser extends User {
  salt: Buffer;
  hash: Buffer;
}

const KEY_LENGTH = 32;

function hash(password: string, salt: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(password, salt, KEY_LENGTH, (err, key) => (err ? reject(err) : resolve(key)));
  });
}

export class UserStore {
  private readonly byId = new Map<number, StoredUser>();
  private readonly byName = new Map<string, StoredUser>();
  /** A hash to compare against for unknown usernames, so they take as long as wrong passwords. */
  private readonly dummy = { salt: randomBytes(16), hash: Buffer.alloc(KEY_LENGTH) };
  private nextId = 1;

  async add(username: string, password: string, displayName = username): Promise<User> {
    const salt = randomBytes(16);
    const user: StoredUser = { id: this.nextId++, username, displayName, salt, hash: await hash(password, salt) };
    this.byId.set(user.id, user);
    this.byName.set(username.toLowerCase(), user);
    return publicUser(user);
  }

  /** The user if the password is right, else false (same work either way). */
  async checkPassword(username: string, password: string): Promise<User | false> {
    const user = this.byName.get(username.toLowerCase());
    const key = await hash(password, user?.salt ?? this.dummy.salt);
    const ok = timingSafeEqual(key, user?.hash ?? this.dummy.hash);
    return user && ok ? publicUser(user) : false;
  }

  findById(id: number): User | undefined {
    const user = this.byId.get(id);
    return user ? publicUser(user) : undefined;
  }

  /** The user whose BindID alias this is (the alias is String(user.id)). */
  findByAlias(alias: string): User | undefined {
    return /^[1-9][0-9]{0,9}$/.test(alias) ? this.findById(Number(alias)) : undefined;
  }
}

function publicUser(user: StoredUser): User {
  return { id: user.id, username: user.username, displayName: user.displayName };
}
