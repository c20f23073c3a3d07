/**
 * A map that keeps at most `maxEntries`, forgetting the least recently used first, in two
 * generations of half the size each: entries go into the current one (a hit in the older one
 * moves there), and when the current one is full it becomes the older one and the older one is
 * dropped whole. Constant work per call, however many keys pass through. (Evicting a Map's first
 * key one at a time is not: V8 skips the deleted slots at the front of the table on every
 * `keys().next()`, so a full map under a stream of new keys turns quadratic.)
 */
export class BoundedMap<K, V> {
  #current = new Map<K, V>();
  #older = new Map<K, V>();
  readonly #generationSize: number;

  constructor(maxEntries: number) {
    this.#generationSize = Math.max(1, Math.floor(maxEntries / 2));
  }

  /** The value, marked as just used. */
  use(key: K): V | undefined {
    const value = this.#current.get(key);
    if (value !== undefined) return value;
    const old = this.#older.get(key);
    if (old === undefined) return undefined;
    this.#older.delete(key);
    this.#insert(key, old);
    return old;
  }

  /**
   * Marks `key` used, as `use` would, when the caller already holds its value; puts `value` back if
   * the key was forgotten or now holds another value.
   */
  touch(key: K, value: V): void {
    if (this.#current.get(key) === value) return;
    this.set(key, value);
  }

  /** The value, without marking it used. */
  peek(key: K): V | undefined {
    return this.#current.get(key) ?? this.#older.get(key);
  }

  set(key: K, value: V): void {
    if (this.#current.has(key)) {
      this.#current.set(key, value);
      return;
    }
    this.#older.delete(key);
    this.#insert(key, value);
  }

  delete(key: K): void {
    this.#current.delete(key);
    this.#older.delete(key);
  }

  get size(): number {
    return this.#current.size + this.#older.size;
  }

  #insert(key: K, value: V): void {
    this.#current.set(key, value);
    if (this.#current.size >= this.#generationSize) {
      this.#older = this.#current;
      this.#current = new Map();
    }
  }
}
