/**
 * What the schema delta (schema-delta.ts) knows, as each statement sees it: the states of
 * tables, columns, constraints, indexes, enum values and domains the migration created or
 * changed, the `SchemaView` interface the statement facts and rules read, and the view class
 * that reads the delta's histories as of one statement. Keys are schema-qualified and
 * case-correct (src/sql/names.ts).
 */
import type { ConstraintKind, TypeFact } from './alter.js';
import type { RelationKey } from './names.js';
import type { SchemaDelta } from './schema-delta.js';
import { partitionPoint } from '../core/search.js';

export interface ColumnState {
  name: string;
  /** Null when the migration changes the column without saying its type (e.g. `SET NOT NULL` on a column it did not add). */
  type: TypeFact | null;
  /** Null when unknown (the migration never said). */
  notNull: boolean | null;
  /** Added (or its table created) by the migration: no existing rows have it. */
  addedInUnit: boolean;
  /** The key its type resolves to (`public.positive_amount`) with its statement's search_path, for a type the SQL names; null for an array or when unknown. */
  typeKey?: RelationKey | null;
  /**
   * The record changes a column the migration found in place (ALTER COLUMN TYPE, SET / DROP NOT NULL, a
   * PRIMARY KEY), so what it leaves unknown (null) is as it was before the migration: see `keepsPrior`.
   */
  fromBefore?: boolean;
}

/** A domain the migration created (`CREATE DOMAIN`), still in place. */
export interface DomainState {
  key: RelationKey;
  /** The key of the type it is over (a domain over a domain chains). */
  base: RelationKey | null;
}

/** The tables of the delta with a column of a domain, and whether the delta knows all the migration's tables' columns. */
export interface DomainUsers {
  /** Tables with storage (not partitioned tables) that have a column of the domain or of a domain over it, in the order first seen. */
  tables: RelationKey[];
  /** False when the migration created a table whose columns the delta does not know (AS SELECT, LIKE, PARTITION OF, INHERITS, a materialized view). */
  complete: boolean;
}

export interface ConstraintState {
  name: string;
  kind: ConstraintKind;
  /** False after `NOT VALID` until a `VALIDATE CONSTRAINT`. */
  validated: boolean;
  /** A CHECK `col IS NOT NULL`: that column. */
  checksNotNull: string | null;
  /** The columns it is on, as declared (PRIMARY KEY, UNIQUE, FOREIGN KEY); empty when not known. */
  columns: readonly string[];
  /** The transaction block it was added in (facts' `transaction.id`), to tell a VALIDATE in the same one. */
  transaction: string | null;
  /** A FOREIGN KEY: the key of the table it references (resolved with its statement's search_path). */
  references?: RelationKey | null;
}

export interface IndexState {
  key: RelationKey;
  table: RelationKey;
  unique: boolean;
  concurrently: boolean;
}

export interface EnumValueState {
  value: string;
  /** `create-type`: listed in the unit's `CREATE TYPE ... AS ENUM`; `add-value`: added by `ALTER TYPE ... ADD VALUE`. */
  source: 'create-type' | 'add-value';
  /** The transaction block the `ADD VALUE` ran in (null in autocommit). */
  transaction: string | null;
}

/** What the delta knows before one statement. */
export interface SchemaView {
  /** Whether the table was created by the migration before this statement (and not dropped since). */
  tableCreated(table: RelationKey): boolean;
  /**
   * Whether the state from before the migration still holds for `table` before this statement, as far as
   * the migration goes: it did not create, drop, rename, move or forget the table, and (with `part`) did not
   * add, drop or rename that column or constraint. A column it only retyped or made (not) NULL keeps the
   * rest of its prior state (`column()` says what changed).
   */
  keepsPrior(table: RelationKey, part?: { column: string } | { constraint: string }): boolean;
  /** A column the migration created or changed, as it is before this statement; undefined when the migration has not touched it. */
  column(table: RelationKey, column: string): ColumnState | undefined;
  /** The columns of a table created in the migration, in order (empty for other tables). */
  columns(table: RelationKey): ColumnState[];
  constraint(table: RelationKey, name: string): ConstraintState | undefined;
  /** Constraints the migration added to the table, still in place. */
  constraints(table: RelationKey): ConstraintState[];
  index(key: RelationKey): IndexState | undefined;
  /** Enum values added by `ALTER TYPE ... ADD VALUE` (or created with `CREATE TYPE ... AS ENUM`), keyed by the type's key. */
  enumValues(type: RelationKey): EnumValueState[];
  /** Tables with a FOREIGN KEY the migration added (still in place) that references `table`, in the order first seen. */
  referencing(table: RelationKey): RelationKey[];
  /** A table the migration created, still in place, as the delta has it (its columns by name, whether it is partitioned or a partition). */
  table(key: RelationKey): TableState | undefined;
  /** A domain the migration created, still in place. */
  domain(key: RelationKey): DomainState | undefined;
  /** The tables the migration created or changed that have a column of domain `key` (see `DomainUsers`). */
  domainUsers(key: RelationKey): DomainUsers;
}

export interface TableState {
  columns: string[];
  /** PARTITION BY: no rows of its own. */
  partitioned?: boolean;
  /** `PARTITION OF p` (or attached to p by the migration): p's key. */
  partitionOf?: RelationKey;
  /** Its columns are not all in the delta (AS SELECT, LIKE, PARTITION OF, INHERITS, materialized view). */
  opaque?: boolean;
}

/** One key's values over the statements, in sequence order (`value` null: gone from then on). */
export type History<T> = { seq: number; value: T | null }[];

/** The value of a history as of `seq` (the last entry recorded before it); undefined when it has none then. */
export function historyAt<T>(h: History<T> | undefined, seq: number): T | null | undefined {
  if (!h) return undefined;
  // Entries are in sequence order: the last before `seq` by binary search (a folder's history of one column may be long).
  const lo = partitionPoint(h, (e) => e.seq < seq);
  return lo === 0 ? undefined : h[lo - 1]!.value;
}

/** The history key of a table's column or constraint (`public.t`, `c` → `public.t\0c`). */
export const colKey = (t: string, c: string) => `${t}\0${c}`;

/**
 * The delta as it is before the statement of sequence number `seq`: reads the histories as of
 * then. A class rather than closures: every statement keeps its view in its facts.
 */
export class DeltaView implements SchemaView {
  constructor(
    private readonly d: SchemaDelta,
    private readonly seq: number,
  ) {}
  tableCreated(t: RelationKey): boolean {
    return !!historyAt(this.d.tables.get(t), this.seq);
  }
  keepsPrior(t: RelationKey, part?: { column: string } | { constraint: string }): boolean {
    const ev = this.d.tableEvents.get(t);
    if (ev && ev[0]! < this.seq) return false;
    if (!part) return true;
    if ('column' in part) {
      const c = historyAt(this.d.cols.get(colKey(t, part.column)), this.seq);
      return c === undefined || (c !== null && c.fromBefore === true);
    }
    return historyAt(this.d.cons.get(colKey(t, part.constraint)), this.seq) === undefined;
  }
  column(t: RelationKey, c: string): ColumnState | undefined {
    return historyAt(this.d.cols.get(colKey(t, c)), this.seq) ?? undefined;
  }
  columns(t: RelationKey): ColumnState[] {
    return (historyAt(this.d.tables.get(t), this.seq)?.columns ?? []).flatMap((c) => historyAt(this.d.cols.get(colKey(t, c)), this.seq) ?? []);
  }
  constraint(t: RelationKey, n: string): ConstraintState | undefined {
    return historyAt(this.d.cons.get(colKey(t, n)), this.seq) ?? undefined;
  }
  constraints(t: RelationKey): ConstraintState[] {
    return [...(this.d.consOf.get(t) ?? [])].flatMap((k) => historyAt(this.d.cons.get(k), this.seq) ?? []);
  }
  index(k: RelationKey): IndexState | undefined {
    return historyAt(this.d.idx.get(k), this.seq) ?? undefined;
  }
  enumValues(k: RelationKey): EnumValueState[] {
    return historyAt(this.d.enums.get(k), this.seq) ?? [];
  }
  table(k: RelationKey): TableState | undefined {
    return historyAt(this.d.tables.get(k), this.seq) ?? undefined;
  }
  domain(k: RelationKey): DomainState | undefined {
    return historyAt(this.d.domains.get(k), this.seq) ?? undefined;
  }
  domainUsers(k: RelationKey): DomainUsers {
    return this.d.domainUsers(k, this.seq);
  }
  referencing(t: RelationKey): RelationKey[] {
    const out = new Set<RelationKey>();
    for (const k of this.d.refBy.get(t) ?? []) if (historyAt(this.d.cons.get(k), this.seq)?.references === t) out.add(k.slice(0, k.indexOf('\0')));
    return [...out];
  }
}
