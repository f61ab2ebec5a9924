/**
 * What a statement costs beyond its lock: whether it rewrites a table (new
 * relfilenode, every row copied, indexes rebuilt), scans one under its lock
 * (validation), builds an index, or replaces a relation's storage, on the target
 * PostgreSQL version; each with the versions where the answer differs.
 *
 * PostgreSQL behaviour relied on (sql-altertable.html, Notes):
 * - `ADD COLUMN` with a non-volatile DEFAULT does not rewrite from 11 on; a
 *   volatile DEFAULT, a STORED generated column, an identity or serial column
 *   rewrites; a VIRTUAL generated column (18+) does not;
 * - `ALTER COLUMN ... TYPE` rewrites unless the old type is binary coercible to
 *   the new one and USING does not change the value (varchar(n) → varchar(m ≥ n)
 *   or text, numeric precision up with the same scale, cidr → inet, ...);
 *   from 12, `timestamp` ↔ `timestamptz` when the session's TimeZone is UTC
 *   (release-12.html: the conversion is then binary coercible; any other zone rewrites);
 * - `ADD COLUMN ... NOT NULL` without DEFAULT is quick either way: on an empty
 *   table nothing to check, on any other it fails (not_null_violation) at the first row;
 * - `SET NOT NULL` scans unless a valid CHECK (col IS NOT NULL) proves it (12+);
 * - `ADD CONSTRAINT` CHECK / FOREIGN KEY without NOT VALID scans (the FK the
 *   referencing table); UNIQUE / PRIMARY KEY / EXCLUDE without USING INDEX build an index;
 * - `SET TABLESPACE`, `SET LOGGED/UNLOGGED`, `CLUSTER`, `VACUUM FULL`, `REFRESH
 *   MATERIALIZED VIEW` (without CONCURRENTLY) write the relation anew; TRUNCATE
 *   gives it new, empty storage.
 */
import type { Node } from 'libpg-query';
import type { AlterSubcommand, TypeFact } from './alter.js';
import type { DmlFact } from './dml.js';
import type { SchemaView } from './schema-view.js';
import type { KnownColumn } from './prior.js';
import { fromRangeVar, type RelationKey } from './names.js';

export interface Effect {
  /**
   * `rewrite`: every row copied to new storage (relfilenode changes) and the indexes rebuilt;
   * `scan`: every row read (or written, for a whole-table UPDATE/DELETE) under the statement's lock;
   * `index-build`: an index is built under the lock; `new-storage`: new, empty storage (TRUNCATE).
   */
  kind: 'rewrite' | 'scan' | 'index-build' | 'new-storage';
  /** The table (or materialized view) it is on, keyed as in names.ts; null when unnamed. */
  table: RelationKey | null;
  /** Why, in one clause, for notes: `the DEFAULT calls gen_random_uuid(), which is VOLATILE`. */
  reason: string;
  /** The PostgreSQL versions where this holds; unset ends mean "all". */
  versions?: { since?: number; before?: number };
  /** Set when the statement may not do it: the facts lack what decides (an ALTER COLUMN TYPE whose old type the unit does not say). */
  maybe?: true;
  /** Index into the facts' `alter` subcommands when an ALTER TABLE subcommand causes it. */
  subcommand?: number;
  manual: string;
}

const ALTER = 'sql-altertable.html';

const LENGTH_TYPES = new Set(['varchar', 'varbit', 'bit varying']);
const PRECISION_TYPES = new Set(['timestamp', 'timestamptz', 'time', 'timetz', 'interval']);

/**
 * Whether changing a column from `from` to `to` needs no rewrite (sql-altertable.html, Notes:
 * binary coercible, or a typmod that only relaxes). Conservative: false when unsure.
 */
export function binaryCoercible(from: TypeFact, to: TypeFact): boolean {
  if (from.array !== to.array) return false;
  const same = from.name === to.name;
  const loosens = (i: number) => to.typmods.length === 0 || (from.typmods[i] != null && to.typmods[i] != null && to.typmods[i]! >= from.typmods[i]!);
  if (same && from.typmods.length === to.typmods.length && from.typmods.every((m, i) => m !== null && m === to.typmods[i])) return true;
  if (same && LENGTH_TYPES.has(from.name)) return from.typmods.length === 0 ? to.typmods.length === 0 : loosens(0);
  if (same && PRECISION_TYPES.has(from.name)) return from.typmods.length === 0 ? to.typmods.length === 0 : loosens(0);
  if (same && from.name === 'numeric') {
    if (to.typmods.length === 0) return true;
    if (from.typmods.length === 0) return false;
    const scale = (t: TypeFact) => t.typmods[1] ?? 0;
    return scale(from) === scale(to) && loosens(0);
  }
  if (from.name === 'varchar' && to.name === 'text') return true;
  if (from.name === 'text' && to.name === 'varchar' && to.typmods.length === 0) return true;
  if (from.name === 'cidr' && to.name === 'inet') return true;
  return false;
}

/** Zones whose UTC offset is always zero (no daylight saving): the ones under which timestamp ↔ timestamptz needs no rewrite. */
const ZERO_OFFSET_ZONES = new Set(['utc', 'etc/utc', 'gmt', 'etc/gmt', 'universal', 'etc/universal', 'zulu', 'etc/zulu', 'uct', 'etc/uct', 'greenwich', 'etc/greenwich', 'z']);

/** Whether a `TimeZone` setting's value (as written, `'UTC'`) names a zone with a constant zero offset. */
export function isUtcZone(value: string | null): boolean {
  return value !== null && ZERO_OFFSET_ZONES.has(value.replace(/^'|'$/g, '').trim().toLowerCase());
}

/** timestamp ↔ timestamptz with the typmods kept: binary coercible on 12+ when the session's TimeZone is UTC (release-12.html). */
export function utcTimestampSwap(from: TypeFact, to: TypeFact, pgVersion: number, timeZone: string | null): boolean {
  const names = new Set([from.name, to.name]);
  const sameMods = from.typmods.length === to.typmods.length && from.typmods.every((m, i) => m === to.typmods[i]);
  return pgVersion >= 12 && isUtcZone(timeZone) && names.has('timestamp') && names.has('timestamptz') && from.array === to.array && sameMods;
}

/**
 * The effects of a statement on PostgreSQL `pgVersion`.
 * @param alter its typed subcommands (alter.ts), `oldType` filled in; @param table the altered table's key;
 * @param schema the delta before it (a column or table the migration created has no rows to rewrite or scan);
 * @param session `timeZone`: the session's `TimeZone` setting in force (as written), null when the migration does not set it;
 * `dml`: its data-change fact (dml.ts): an UPDATE/DELETE or INSERT ... SELECT not bounded to a batch scans.
 */
export function effectsOf(
  node: Node,
  alter: readonly AlterSubcommand[],
  table: RelationKey | null,
  schema: SchemaView,
  pgVersion: number,
  keyOf: (rv: Parameters<typeof fromRangeVar>[0]) => RelationKey | null,
  session: { timeZone?: string | null; dml?: DmlFact | null; columnBefore?: (t: RelationKey, c: string) => KnownColumn; notNullCheckBefore?: (t: RelationKey, c: string) => { name: string; from: string } | null } = {},
): Effect[] {
  const timeZone = session.timeZone ?? null;
  const columnBefore = session.columnBefore ?? ((t: RelationKey, c: string): KnownColumn => ({ type: schema.column(t, c)?.type ?? null, notNull: schema.column(t, c)?.notNull ?? null }));
  const dml = session.dml ?? null;
  const out: Effect[] = [];
  const inRange = (v?: { since?: number; before?: number }) => !v || ((v.since === undefined || pgVersion >= v.since) && (v.before === undefined || pgVersion < v.before));
  const add = (e: Effect) => {
    if (inRange(e.versions)) out.push(e);
  };
  if (alter.length) {
    const created = table !== null && schema.tableCreated(table);
    alter.forEach((sub, i) => {
      const at = { table, subcommand: i, manual: ALTER };
      switch (sub.kind) {
        case 'add-column': {
          const c = sub.column;
          if (c.generated === 'stored') add({ ...at, kind: 'rewrite', reason: 'a STORED generated column is computed for every existing row' });
          else if (c.identity) add({ ...at, kind: 'rewrite', reason: 'an identity column fills every existing row from its sequence' });
          else if (c.serial) add({ ...at, kind: 'rewrite', reason: `a ${c.type?.name ?? 'serial'} column's DEFAULT nextval() is VOLATILE, evaluated for every existing row` });
          else if (c.default?.volatility === 'volatile') add({ ...at, kind: 'rewrite', ...(c.default.note ? { maybe: true as const } : {}), reason: `the DEFAULT is VOLATILE (${c.default.note ?? `it calls ${c.default.functions.filter(Boolean).join(', ') || 'a volatile function'}`}), so it is evaluated for every existing row` });
          else if (c.default) add({ ...at, kind: 'rewrite', reason: 'before PostgreSQL 11, any DEFAULT is written into every existing row', versions: { before: 11 } });
          // A NOT NULL column without DEFAULT costs no scan: the check fails at the first existing row (adding-required-field reports it).
          for (const k of c.constraints) {
            if (k.kind === 'foreign-key' || k.kind === 'check') add({ ...at, kind: 'scan', reason: `the ${k.kind === 'check' ? 'CHECK' : 'FOREIGN KEY'} is validated against every existing row` });
            if (k.kind === 'unique' || k.kind === 'primary-key') add({ ...at, kind: 'index-build', reason: `the ${k.kind === 'unique' ? 'UNIQUE' : 'PRIMARY KEY'} constraint builds its index` });
          }
          break;
        }
        case 'alter-column-type': {
          if (sub.using) add({ ...at, kind: 'rewrite', reason: 'USING computes a new value for every row' });
          else if (!sub.oldType && sub.type && (sub.type.name === 'timestamptz' || sub.type.name === 'timestamp') && pgVersion >= 12 && isUtcZone(timeZone))
            add({ ...at, kind: 'rewrite', maybe: true, reason: `the session's TimeZone is UTC, so a change between timestamp and timestamptz would not rewrite, but the column's old type is not known from this migration, and from any other type the table is rewritten and its indexes rebuilt` });
          else if (!sub.oldType) add({ ...at, kind: 'rewrite', maybe: true, reason: "the column's old type is not known from this migration, and a change that is not binary coercible rewrites the table and rebuilds its indexes" });
          else if (sub.type && utcTimestampSwap(sub.oldType, sub.type, pgVersion, timeZone)) break;
          else if (sub.type && sub.oldType.name === 'timestamp' && sub.type.name === 'timestamptz' && pgVersion >= 12) add({ ...at, kind: 'rewrite', ...(timeZone === null ? { maybe: true as const } : {}), reason: `${sub.oldType.text} to ${sub.type.text} rewrites unless the session's TimeZone is UTC (${timeZone === null ? "this migration does not set it, so the server's default decides" : `it is ${timeZone}`})` });
          else if (!sub.type || !binaryCoercible(sub.oldType, sub.type)) add({ ...at, kind: 'rewrite', reason: `${sub.oldType.text}${sub.oldTypeFrom ? ` (its type since the earlier migration ${sub.oldTypeFrom})` : ''} is not binary coercible to ${sub.type?.text ?? 'the new type'}: every row is rewritten and the indexes rebuilt` });
          break;
        }
        case 'set-not-null': {
          // A column that already is NOT NULL: nothing to check (sql-altertable.html, SET NOT NULL).
          if (table !== null && columnBefore(table, sub.column).notNull === true) break;
          const proof = table !== null && (schema.constraints(table).some((k) => k.kind === 'check' && k.validated && k.checksNotNull === sub.column) || !!session.notNullCheckBefore?.(table, sub.column));
          if (!(proof && pgVersion >= 12)) add({ ...at, kind: 'scan', reason: proof ? 'before PostgreSQL 12 a valid CHECK (col IS NOT NULL) does not spare the scan' : 'every row is checked for NULLs' });
          break;
        }
        case 'add-constraint': {
          const k = sub.constraint;
          if ((k.kind === 'check' || k.kind === 'foreign-key' || k.kind === 'not-null') && !k.notValid) add({ ...at, kind: 'scan', reason: `the ${k.kind === 'check' ? 'CHECK' : k.kind === 'foreign-key' ? 'FOREIGN KEY' : 'NOT NULL'} constraint is validated against every existing row` });
          if ((k.kind === 'unique' || k.kind === 'primary-key') && !k.usingIndex) add({ ...at, kind: 'index-build', reason: `${k.kind === 'unique' ? 'UNIQUE' : 'PRIMARY KEY'} without USING INDEX builds its index` });
          if (k.kind === 'exclude') add({ ...at, kind: 'index-build', reason: 'an EXCLUDE constraint builds its index' });
          if (k.kind === 'primary-key' && table !== null) {
            const nullable = k.columns.filter((c) => columnBefore(table, c).notNull !== true);
            if (nullable.length) add({ ...at, kind: 'scan', reason: `PRIMARY KEY sets NOT NULL on ${nullable.join(', ')}, which checks every row` });
          }
          break;
        }
        case 'validate-constraint':
          add({ ...at, kind: 'scan', reason: 'VALIDATE CONSTRAINT checks every existing row (under SHARE UPDATE EXCLUSIVE)' });
          break;
        case 'set-tablespace':
          add({ ...at, kind: 'rewrite', reason: 'SET TABLESPACE copies the table to the new tablespace' });
          break;
        case 'set-logged':
          add({ ...at, kind: 'rewrite', reason: `SET ${sub.logged ? 'LOGGED' : 'UNLOGGED'} rewrites the table` });
          break;
        default:
          break;
      }
    });
    // A table the migration created has no rows: nothing to rewrite or scan (the lock is still taken).
    return created ? [] : out;
  }
  if ('ClusterStmt' in node && node.ClusterStmt.relation) add({ kind: 'rewrite', table: keyOf(node.ClusterStmt.relation), reason: 'CLUSTER rewrites the table in index order', manual: 'sql-cluster.html' });
  if ('VacuumStmt' in node && (node.VacuumStmt.options ?? []).some((o) => 'DefElem' in o && o.DefElem.defname === 'full')) {
    for (const r of node.VacuumStmt.rels ?? []) if ('VacuumRelation' in r && r.VacuumRelation.relation) add({ kind: 'rewrite', table: keyOf(r.VacuumRelation.relation), reason: 'VACUUM FULL rewrites the table', manual: 'sql-vacuum.html' });
  }
  if ('RefreshMatViewStmt' in node && !node.RefreshMatViewStmt.concurrent) add({ kind: 'rewrite', table: keyOf(node.RefreshMatViewStmt.relation), reason: 'REFRESH MATERIALIZED VIEW replaces the contents with new storage', manual: 'sql-refreshmaterializedview.html' });
  if ('TruncateStmt' in node) for (const r of node.TruncateStmt.relations ?? []) if ('RangeVar' in r) add({ kind: 'new-storage', table: keyOf(r.RangeVar), reason: 'TRUNCATE gives the table new, empty storage', manual: 'sql-truncate.html' });
  if ('IndexStmt' in node) {
    const t = keyOf(node.IndexStmt.relation);
    if (!(t && schema.tableCreated(t))) add({ kind: 'index-build', table: t, reason: node.IndexStmt.concurrent ? 'the index is built in two scans without blocking writes' : 'the index is built under the lock', manual: 'sql-createindex.html' });
  }
  if ('ReindexStmt' in node && node.ReindexStmt.relation) add({ kind: 'index-build', table: keyOf(node.ReindexStmt.relation), reason: 'REINDEX rebuilds the index from the table', manual: 'sql-reindex.html' });
  if (dml && dml.verb !== 'INSERT ... SELECT' && dml.existing && dml.bound !== 'bounded') {
    const what = dml.verb === 'UPDATE' ? 'an UPDATE' : 'a DELETE';
    add({ kind: 'scan', table: dml.table, reason: dml.bound === 'none' ? `${what} without WHERE writes every row in one transaction` : `${what} whose WHERE bounds no key range writes every matching row in one transaction`, manual: dml.verb === 'UPDATE' ? 'sql-update.html' : 'sql-delete.html' });
  }
  if (dml && dml.verb === 'INSERT ... SELECT' && dml.bound !== 'bounded') {
    for (const src of dml.sources) add({ kind: 'scan', table: src.key, reason: 'INSERT ... SELECT reads every matching row of it in one transaction', manual: 'sql-insert.html' });
  }
  return out;
}
