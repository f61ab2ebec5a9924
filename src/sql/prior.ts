/**
 * What was true of the schema before a migration ran, known from outside its own text: for a
 * plain-SQL migration, from the earlier files of its folder in its runner's order
 * (src/sources/sql-history.ts). Every fact is either known, with the file that says it, or
 * unknown (null); never guessed. The statement facts read it only where the unit's own schema
 * delta does not say (src/sql/context.ts), through `knownColumn` and `priorNotNullCheck`,
 * which also drop it where the migration itself changed the table or column before.
 */
import type { TypeFact } from './alter.js';
import type { RelationKey } from './names.js';
import type { SchemaView } from './schema-view.js';

/** A column as it was before the migration, where earlier migrations say it. */
export interface PriorColumn {
  /** Its type, or null when not known. */
  type: TypeFact | null;
  /** The earlier migration that gave it that type (its file name, e.g. `0007_users.up.sql`); null with `type`. */
  typeFrom: string | null;
  /** Whether it is NOT NULL (a valid NOT NULL), or null when not known. */
  notNull: boolean | null;
  /** The earlier migration that made it so; null with `notNull`. */
  notNullFrom: string | null;
}

/** The state before a migration. Implementations may read it lazily: the first call may be costly. */
export interface PriorSchema {
  /** The column `column` of `table` (schema-qualified key), or null when nothing is known of it. */
  column(table: RelationKey, column: string): PriorColumn | null;
  /** A valid `CHECK (column IS NOT NULL)` on the table: its name and the file that added (or validated) it; null when none is known. */
  notNullCheck(table: RelationKey, column: string): { name: string; from: string } | null;
}

/** What the facts know of a column before a statement: from the migration itself, or from before it. */
export interface KnownColumn {
  type: TypeFact | null;
  /** Set when the type is known from an earlier migration: that file. */
  typeFrom?: string;
  notNull: boolean | null;
  /** Set when the nullability is known from an earlier migration: that file. */
  notNullFrom?: string;
}

/**
 * The column before a statement: the unit's schema delta first, then what the frontend stated
 * (`Statement.priorColumnTypes`), then the prior schema, which is asked only for what the
 * delta leaves unknown and only while the migration has kept the column's prior state.
 */
export function knownColumn(view: SchemaView, prior: PriorSchema | null | undefined, stated: Record<string, TypeFact> | undefined, table: RelationKey, column: string): KnownColumn {
  const own = view.column(table, column);
  let type = own?.type ?? null;
  let notNull = own?.notNull ?? null;
  if (type === null && !own?.addedInUnit) type = stated?.[column] ?? null;
  const out: KnownColumn = { type, notNull };
  if ((type !== null && notNull !== null) || !prior || own?.addedInUnit || !view.keepsPrior(table, { column })) return out;
  const p = prior.column(table, column);
  if (!p) return out;
  if (type === null && p.type !== null) {
    out.type = p.type;
    out.typeFrom = p.typeFrom ?? undefined;
  }
  if (notNull === null && p.notNull !== null) {
    out.notNull = p.notNull;
    out.notNullFrom = p.notNullFrom ?? undefined;
  }
  if (out.typeFrom === undefined) delete out.typeFrom;
  if (out.notNullFrom === undefined) delete out.notNullFrom;
  return out;
}

/** A valid `CHECK (column IS NOT NULL)` known from before the migration that the migration has not dropped or renamed, or null. */
export function priorNotNullCheck(view: SchemaView, prior: PriorSchema | null | undefined, table: RelationKey, column: string): { name: string; from: string } | null {
  if (!prior || !view.keepsPrior(table)) return null;
  const k = prior.notNullCheck(table, column);
  return k && view.keepsPrior(table, { constraint: k.name }) ? k : null;
}
