interface Expiring {
  readonly expiresAt: number;
}

interface Slot<E extends Expiring> {
  readonly key: string;
  readonly entry: E;
}

/**
 * The expiring keys of `MemoryBindIdStore` in a binary min-heap: purged earliest first in O(log n) each, never by a scan. Lazy: a
 * rewritten or deleted key leaves a slot that is stale when it reaches the top (its entry is no longer the store's); when stale
 * slots outnumber live ones, the heap is rebuilt from the store's entries (amortised O(1) per write).
 */
export class ExpiryIndex<E extends Expiring> {
  #heap: Slot<E>[] = [];

  /** Slots held, stale ones included (for tests). */
  get length(): number {
    return this.#heap.length;
  }

  /** An entry that never expires is not indexed. */
  add(key: string, entry: E): void {
    if (entry.expiresAt === Number.POSITIVE_INFINITY) return;
    this.#heap.push({ key, entry });
    this.#up(this.#heap.length - 1);
  }

  /** Pop every slot expired at `now`; `expire` deletes the key only if `entry` is still the store's. */
  purge(now: number, expire: (key: string, entry: E) => void): void {
    for (let top = this.#heap[0]; top !== undefined && top.entry.expiresAt <= now; top = this.#heap[0]) {
      const last = this.#heap.pop() as Slot<E>;
      if (this.#heap.length > 0) {
        this.#heap[0] = last;
        this.#down(0);
      }
      expire(top.key, top.entry);
    }
  }

  /** Rebuild from the store's `live` entries when stale slots outnumber them by more than `slack`. */
  compact(live: ReadonlyMap<string, E>, slack: number): void {
    if (this.#heap.length <= 2 * live.size + slack) return;
    this.#heap = [];
    for (const [key, entry] of live) this.add(key, entry);
  }

  #up(at: number): void {
    const heap = this.#heap;
    for (let i = at; i > 0; ) {
      const parent = (i - 1) >> 1;
      if (this.#before(parent, i)) return;
      [heap[parent], heap[i]] = [heap[i] as Slot<E>, heap[parent] as Slot<E>];
      i = parent;
    }
  }

  #down(at: number): void {
    const heap = this.#heap;
    for (let i = at; ; ) {
      const left = 2 * i + 1;
      const right = left + 1;
      let least = i;
      if (left < heap.length && !this.#before(least, left)) least = left;
      if (right < heap.length && !this.#before(least, right)) least = right;
      if (least === i) return;
      [heap[least], heap[i]] = [heap[i] as Slot<E>, heap[least] as Slot<E>];
      i = least;
    }
  }

  #before(a: number, b: number): boolean {
    return (this.#heap[a] as Slot<E>).entry.expiresAt <= (this.#heap[b] as Slot<E>).entry.expiresAt;
  }
}
