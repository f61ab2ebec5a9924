/**
 * An add-only set of strings whose snapshot (the members so far) costs O(1) to take
 * and O(1) to query: a unit's tables created so far are handed to every statement,
 * and copying the set per statement made a schema dump of 10,000 tables quadratic.
 */
export class AddOnlySet {
  /** Each member with the order it was added in. */
  private readonly order = new Map<string, number>();
  /** The members in the order they were added. */
  private readonly list: string[] = [];

  add(value: string): this {
    if (!this.order.has(value)) {
      this.order.set(value, this.order.size);
      this.list.push(value);
    }
    return this;
  }

  has(value: string): boolean {
    return this.order.has(value);
  }

  get size(): number {
    return this.order.size;
  }

  /** The members added so far; later additions do not show in it. */
  snapshot(): ReadonlySet<string> {
    return new Snapshot(this.order, this.list, this.order.size);
  }
}

class Snapshot implements ReadonlySet<string> {
  constructor(
    private readonly order: ReadonlyMap<string, number>,
    private readonly list: readonly string[],
    readonly size: number,
  ) {}

  has(value: string): boolean {
    const i = this.order.get(value);
    return i !== undefined && i < this.size;
  }

  /** The members so far, as an iterator over a copy (members added while it is read do not show). */
  private members(): ArrayIterator<string> {
    return this.list.slice(0, this.size).values();
  }

  values(): SetIterator<string> {
    return this.members() as unknown as SetIterator<string>;
  }

  keys(): SetIterator<string> {
    return this.values();
  }

  entries(): SetIterator<[string, string]> {
    const it = this.members();
    return (function* () {
      for (const k of it) yield [k, k] as [string, string];
    })() as unknown as SetIterator<[string, string]>;
  }

  forEach(callback: (value: string, key: string, set: ReadonlySet<string>) => void, thisArg?: unknown): void {
    for (const k of this.members()) callback.call(thisArg, k, k, this);
  }

  [Symbol.iterator](): SetIterator<string> {
    return this.values();
  }
}
