/** Shared by the column rules: the altered table's lock, when the table existed before the migration. */
import { flatMapped } from '../../src/core/collect.js';
import { FileMemo } from '../../src/core/file-memo.js';
import type { MigrationUnit, Statement } from '../../src/core/unit.js';
import { factsOf, type AlterSubcommand, type Effect, type LockFact, type StatementFacts } from '../../src/sql/facts.js';

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

/** One ALTER TABLE subcommand on a table that existed before the migration, with what the rules need about it. */
export interface ExistingAlter {
  statement: Statement;
  facts: StatementFacts;
  /** The statement's lock on the altered table (`existingTableLock`). */
  lock: LockFact;
  sub: AlterSubcommand;
  /** The subcommand's position in `facts.alter`, as `Effect.subcommand` counts. */
  index: number;
}

/**
 * Every ALTER TABLE subcommand of `unit` on a table the migration did not create, in order:
 * the walk the column and constraint rules share (one entry per subcommand, so
 * `ALTER TABLE t ADD a ..., ADD b ...` gives two).
 */
export function existingTableAlters(unit: MigrationUnit): readonly ExistingAlter[] {
  // A dozen rules walk this per unit: once per computation of its facts is enough.
  const first = unit.statements[0]?.facts;
  const kept = walked.get(unit);
  if (kept && kept.first === first) return kept.alters;
  const alters = flatMapped(unit.statements, (statement) => {
    const facts = factsOf(statement);
    const lock = existingTableLock(facts);
    return lock ? facts.alter.map((sub, index) => ({ statement, facts, lock, sub, index })) : [];
  });
  walked.set(unit, { first, alters });
  return alters;
}

/** The walk of each unit, with the facts object of its first statement it was made from (recomputed facts: a new walk). */
const walked = new FileMemo<MigrationUnit, { first: StatementFacts | undefined; alters: readonly ExistingAlter[] }>();

/** The effect of that kind the subcommand at `index` has on `f.pgVersion` (a rewrite, a scan), if any. */
export function subcommandEffect(f: StatementFacts, index: number, kind: Effect['kind']): Effect | undefined {
  return f.effects.find((e) => e.subcommand === index && e.kind === kind);
}

/**
 * The columns the unit's `up` direction adds to tables that existed before it, as `table.column`
 * keys (schema-qualified table key, then the column name): a `down` that drops one of them
 * undoes this migration, and the code that used it is rolled back with it.
 */
export function columnsAddedByUp(unit: MigrationUnit): Set<string> {
  const out = new Set<string>();
  for (const { statement, facts, sub } of existingTableAlters(unit)) {
    if (statement.phase === 'up' && sub.kind === 'add-column') out.add(`${facts.table}.${sub.column.name}`);
  }
  return out;
}
