/** One record of a queue, as written. */
export interface QueueRecord {
  /** Unique in its queue. */
  id: string;
  /** What is kept (the outbox keeps an item's JSON). */
  value: string;
  /** When the record is due, in ms since 1970: the index is ordered by it. */
  dueAt: number;
  /** When the record may be dropped unread, in ms since 1970 (a retention, not a due time). */
  keepUntil: number;
}

/** A due record. */
export interface QueueEntry extends Pick<QueueRecord, 'id' | 'value'> {}

/**
 * Ordered queues with exclusive leases, where `StoreOutbox` keeps the fail-open reports. Indexed by due time: reading what is due
 * costs what is due, never what is queued. Each method is one atomic step across every instance (record, index place and lease together).
 */
export interface BindIdQueueStore {
  /** Add `record` unless a record with its id is there (one past its `keepUntil` counts as gone). True if added. */
  queueAdd(queue: string, record: QueueRecord, now: number): Promise<boolean>;
  /** At most `limit` records whose `dueAt` ≤ `now`, earliest first, reading only those. */
  queueDue(queue: string, now: number, limit: number): Promise<QueueEntry[]>;
  /** The value of record `id`, or `undefined`. */
  queueGet(queue: string, id: string): Promise<string | undefined>;
  /** Lease record `id` to `token` for `leaseMs` unless someone holds it. True if leased. */
  queueClaim(queue: string, id: string, token: string, leaseMs: number): Promise<boolean>;
  /** Only while `token` holds the lease: replace the record if still there, and release the lease. True if written. */
  queueUpdate(queue: string, record: QueueRecord, token: string): Promise<boolean>;
  /** Remove record `id` (no error when missing) and, if `token` holds its lease, release it: one step. */
  queueRemove(queue: string, id: string, token?: string): Promise<void>;
}

export const QUEUE_METHODS = ['queueAdd', 'queueDue', 'queueGet', 'queueClaim', 'queueUpdate', 'queueRemove'] as const;

export function isQueueStore(store: unknown): store is BindIdQueueStore {
  return store !== null && typeof store === 'object' && QUEUE_METHODS.every((m) => typeof (store as Record<string, unknown>)[m] === 'function');
}

/** Ties on the score keep insertion order. */
type Slot = readonly [score: number, seq: number, id: string];

/** A sorted array: binary search to insert and remove, a prefix read for "score ≤ max". */
export class SortedIndex {
  readonly #slots: Slot[] = [];

  insert(slot: Slot): void {
    this.#slots.splice(this.#find(slot), 0, slot);
  }

  remove(slot: Slot): void {
    const at = this.#find(slot);
    if (this.#slots[at]?.[2] === slot[2]) this.#slots.splice(at, 1);
  }

  upTo(max: number, limit: number): string[] {
    const out: string[] = [];
    for (const [score, , id] of this.#slots) {
      if (score > max || out.length >= limit) break;
      out.push(id);
    }
    return out;
  }

  #find(slot: Slot): number {
    let lo = 0;
    let hi = this.#slots.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const s = this.#slots[mid] as Slot;
      if (s[0] < slot[0] || (s[0] === slot[0] && s[1] < slot[1])) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}

export interface Held {
  value: string;
  due: Slot;
  keep: Slot;
}

export interface Queue {
  records: Map<string, Held>;
  due: SortedIndex;
  keep: SortedIndex;
  leases: Map<string, { token: string; until: number }>;
}

/** Records past their retention dropped per `queueDue`, at most. */
export const PURGE_BATCH = 100;
