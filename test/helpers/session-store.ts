/**
 * A session store for fault tests (checklist A and L): express-session's `MemoryStore` with
 * injectable failures of `get` (loading a session), `set` (`req.session.save()`) and `destroy`
 * (`req.session.regenerate()` destroys the old session first), and the `disconnect`/`connect`
 * events after which express-session runs requests without `req.session`.
 *
 * ```ts
 * const store = new FaultySessionStore();
 * const flow = await createFlow({ store });
 * store.fail('destroy');            // the next regenerate fails (once)
 * store.disconnect();               // requests get no req.session until store.reconnect()
 * ```
 */
import session, { type SessionData } from 'express-session';

/** The store operations a fault can be injected into. */
export type SessionStoreOperation = 'get' | 'set' | 'destroy';

/** The error an injected fault fails with (a plain Error with a code, as a store driver would give). */
export function injectedStoreError(operation: SessionStoreOperation): Error {
  return Object.assign(new Error(`injected session store failure (${operation})`), { code: 'EINJECTED' });
}

/** The data of every stored session, by session id. */
export type StoredSessions = Record<string, SessionData & Record<string, unknown>>;

export class FaultySessionStore extends session.MemoryStore {
  readonly #faults = new Map<SessionStoreOperation, number>();

  /** Make the next `times` calls of `operation` fail (default once; `Infinity` until {@link heal}). */
  fail(operation: SessionStoreOperation, times = 1): void {
    this.#faults.set(operation, times);
  }

  /** Clear every injected fault. */
  heal(): void {
    this.#faults.clear();
  }

  /** Emit `disconnect`: express-session then leaves `req.session` unset. */
  disconnect(): void {
    this.emit('disconnect');
  }

  /** Emit `connect`: sessions work again. */
  reconnect(): void {
    this.emit('connect');
  }

  /** Every stored session (read without a request, so it triggers no fault). */
  dump(): Promise<StoredSessions> {
    return new Promise((resolve, reject) => {
      super.all((err, all) => (err ? reject(err) : resolve((all ?? {}) as StoredSessions)));
    });
  }

  /** One stored session, or `undefined` (read without a request, so it triggers no fault). */
  async peek(sid: string): Promise<(SessionData & Record<string, unknown>) | undefined> {
    return (await this.dump())[sid];
  }

  override get(sid: string, callback: (err: unknown, session?: SessionData | null) => void): void {
    if (this.#trip('get')) return void setImmediate(callback, injectedStoreError('get'));
    super.get(sid, callback);
  }

  override set(sid: string, data: SessionData, callback?: (err?: unknown) => void): void {
    if (this.#trip('set')) return void setImmediate(() => callback?.(injectedStoreError('set')));
    super.set(sid, data, callback);
  }

  override destroy(sid: string, callback?: (err?: unknown) => void): void {
    if (this.#trip('destroy')) return void setImmediate(() => callback?.(injectedStoreError('destroy')));
    super.destroy(sid, callback);
  }

  #trip(operation: SessionStoreOperation): boolean {
    const left = this.#faults.get(operation) ?? 0;
    if (left <= 0) return false;
    if (left === 1) this.#faults.delete(operation);
    else this.#faults.set(operation, left - 1);
    return true;
  }
}

/** The session id inside a `connect.sid=s%3A<id>.<signature>` cookie pair. */
export function sessionIdOf(cookie: string | undefined): string | undefined {
  if (!cookie) return undefined;
  const value = decodeURIComponent(cookie.slice(cookie.indexOf('=') + 1));
  if (!value.startsWith('s:')) return undefined;
  return value.slice(2, value.lastIndexOf('.'));
}
