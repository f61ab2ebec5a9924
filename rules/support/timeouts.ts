/**
 * What `require-lock-timeout` and `require-statement-timeout` share: finding,
 * per migration direction, the first statement that takes a lock blocking reads
 * or writes of an existing relation while the timeout is not in force (the
 * statement facts' settings map, src/sql/settings.ts), and the statements like it
 * after it.
 *
 * PostgreSQL behaviour relied on: a lock request waits in the queue for as long as
 * lock_timeout allows (0 = forever), and while it waits every later request that
 * conflicts with it waits behind it (explicit-locking.html;
 * runtime-config-client.html#GUC-LOCK-TIMEOUT). `0` disables either timeout.
 */
import type { Fix } from '../../src/core/diagnostic.js';
import type { MigrationUnit, Statement } from '../../src/core/unit.js';
import { onFrameworkConnection } from '../../src/sql/context.js';
import { factsOf, timeoutInForce, type LockFact } from '../../src/sql/facts.js';
import { blocksReads, blocksWrites } from '../../src/sql/lock-modes.js';

export type Timeout = 'lock_timeout' | 'statement_timeout';

/** The first lock of `s` that blocks reads or writes of a relation that existed before the migration, or undefined. */
export function blockingLock(s: Statement): LockFact | undefined {
  return factsOf(s).locks.find((l) => (blocksReads(l.mode) || blocksWrites(l.mode)) && l.existing);
}

export interface Unguarded {
  statement: Statement;
  lock: LockFact;
  /** How many later statements of the same direction need the setting too. */
  later: number;
  /** A SET of the setting sent earlier through a pool (so it may have reached another connection). */
  pooledSet: Statement | undefined;
}

/**
 * The display-only fix when the frontend cannot insert `SET name = 'value'` before `s`: the
 * framework's way of running it first (its `runFirst` idiom) for a statement on the migration's
 * own connection, else setting it on the connection (a SET through a pool may land on another).
 */
export function displayTimeoutFix(unit: MigrationUnit, s: Statement, name: Timeout, value: string): Fix {
  const runFirst = unit.idioms?.runFirst;
  if (runFirst && onFrameworkConnection(s)) return { title: runFirst(`SET ${name} = '${value}'`, s.phase), applicability: 'display-only', edits: [] };
  const example = unit.idioms?.connectionSetting?.(name, value) ?? `the connection option options: '-c ${name}=${value}'`;
  return { title: `Set ${name} on the connection the migration runs on (a SET sent through a pool may land on another connection): e.g. ${example}`, applicability: 'display-only', edits: [] };
}

/** Per direction, the first statement with a blocking lock and no `name` in force. */
export function unguarded(unit: MigrationUnit, name: Timeout): Unguarded[] {
  const needs = (s: Statement) => !timeoutInForce(factsOf(s).settings, name) && blockingLock(s) !== undefined;
  const out: Unguarded[] = [];
  const seen = new Set<string>();
  for (const s of unit.statements) {
    if (seen.has(s.phase) || !needs(s)) continue;
    seen.add(s.phase);
    const later = unit.statements.filter((o) => o !== s && o.phase === s.phase && o.span.start > s.span.start && needs(o)).length;
    const pooledSet = unit.statements.find((o) => o.phase === s.phase && o.span.start < s.span.start && o.connection === null && s.connection === null && o.batch !== s.batch && factsOf(o).kind.setting?.name === name);
    out.push({ statement: s, lock: blockingLock(s)!, later, pooledSet });
  }
  return out;
}
