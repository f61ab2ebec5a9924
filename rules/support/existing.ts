/** Shared by the column rules: the altered table's lock, when the table existed before the migration. */
import type { LockFact, StatementFacts } from '../../src/sql/facts.js';

/**
 * The lock an `ALTER TABLE` / `RENAME` statement takes on the table it alters, when the
 * migration did not create that table earlier (so it may have rows and readers); else undefined.
 */
export function existingTableLock(f: StatementFacts): LockFact | undefined {
  const lock = f.locks.find((l) => l.key === f.table && l.relationKind === 'table');
  return lock && lock.existing && f.table !== null ? lock : undefined;
}

/** Whether the migration added `column` to `f.table` (or created the table with it) before this statement. */
export function columnAddedInUnit(f: StatementFacts, column: string): boolean {
  return f.table !== null && f.schema.column(f.table, column)?.addedInUnit === true;
}
