/**
 * A value in force for the duration of a call and the calls it makes (dynamic scope), for what a
 * caller hands deep into code that has no parameter for it: the language server's kept parses of an
 * open document (`withParseMemo`, src/sql/parse.ts) and its last syntax tree (`withScriptTrees`,
 * src/sources/typescript/script-trees.ts). Single-threaded and synchronous: `run` restores the outer
 * value when `fn` returns or throws, so runs nest.
 */
export interface Ambient<T> {
  /** The value in force: that of the innermost `run` under way, else the initial one. */
  readonly current: T;
  /** Runs `fn` with `value` in force; returns what it returns, throws what it throws. */
  run<R>(value: T, fn: () => R): R;
}

/** An ambient value, `initial` outside any run. */
export function ambient<T>(initial: T): Ambient<T> {
  let current = initial;
  return {
    get current() {
      return current;
    },
    run(value, fn) {
      const outer = current;
      current = value;
      try {
        return fn();
      } finally {
        current = outer;
      }
    },
  };
}
