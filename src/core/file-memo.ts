/**
 * Caches of what is worked out about one file's objects (its unit, statements, parse nodes), kept
 * while that file is linted (`withFileMemo`, around each `lintText`) and dropped with it.
 *
 * Why not one module-level `WeakMap` per cache, as before: such a map lives in V8's old generation,
 * and its entries keep what they point to alive through V8's young-generation collections (the
 * scavenges, every few MB of allocation), which do not apply the weak-key rule to the values; only
 * a full collection does. So every file's cached facts, and the statements and trees they point to,
 * were copied by each scavenge, moved to the old generation, and freed only by a full collection.
 * Measured on the 2,105-file SQL set with one rule that caches per unit: 42 MB of objects survived
 * scavenges with its cache in a module-level map, 19 MB with it here.
 *
 * A memo's table made during a file's lint is young, like the objects it is keyed by, and dies with
 * them. Outside any `withFileMemo` (a library caller asking for facts directly) one table is kept, as
 * a module-level `WeakMap` would be. The language server lints one document again and again with
 * most of its parse nodes kept (src/lsp/parse-cache.ts): it hands each lint of a document the same
 * `MemoStore`, so what was worked out about a kept node is not worked out again.
 */

/** Bumped when the outermost `withFileMemo` starts and ends: a table made in another epoch is dropped. */
let epoch = 0;
/** `withFileMemo` calls under way. */
let depth = 0;
/** Every memo made (a few dozen, module-level): their tables are let go when the outermost lint ends. */
const memos: FileMemo<object, unknown>[] = [];
/** The store of the outermost `withFileMemo` under way, if it was given one. */
let store: MemoStore | null = null;

/** Tables kept from one lint to the next of the same document (see the module comment); dropped with the store. */
export class MemoStore {
  /** @internal Each memo's table. */
  readonly tables = new Map<object, WeakMap<object, unknown>>();
}

/**
 * Runs `fn` (one file's lint) with fresh `FileMemo` tables, or those of `kept` when given, let go
 * when it returns or throws. A call inside another shares the outer call's tables (the values are
 * the same functions of the same keys), whatever store it is given.
 */
export function withFileMemo<T>(fn: () => T, kept: MemoStore | null = null): T {
  if (depth++ === 0) {
    epoch++;
    store = kept;
  }
  try {
    return fn();
  } finally {
    if (--depth === 0) {
      epoch++;
      store = null;
      // Not kept until each memo's next use: a collection before it would find them still reachable.
      for (const m of memos) m.drop();
    }
  }
}

/** A cache keyed by object identity, emptied at each outermost `withFileMemo` (see the module comment). */
export class FileMemo<K extends object, V> {
  private table: WeakMap<K, V> | null = null;
  private madeIn = epoch;

  constructor() {
    memos.push(this as FileMemo<object, unknown>);
  }

  private current(): WeakMap<K, V> {
    if (this.table === null || this.madeIn !== epoch) {
      let t = store?.tables.get(this) as WeakMap<K, V> | undefined;
      if (t === undefined) {
        t = new WeakMap();
        store?.tables.set(this, t as WeakMap<object, unknown>);
      }
      this.table = t;
      this.madeIn = epoch;
    }
    return this.table;
  }

  /** Lets the table go (the end of a lint): the next use makes a new one. */
  drop(): void {
    this.table = null;
  }

  get(key: K): V | undefined {
    return this.current().get(key);
  }

  /** Sets `key`'s value; returns `value`. */
  set(key: K, value: V): V {
    this.current().set(key, value);
    return value;
  }
}
