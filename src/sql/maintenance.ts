/**
 * Facts about maintenance and object statements that the ALTER TABLE facts do not
 * cover: REINDEX, VACUUM, CLUSTER, REFRESH MATERIALIZED VIEW, domains and
 * `ALTER TYPE ... ADD VALUE`, read from libpg-query's node once so rules do not
 * walk the AST. Each returns null for a statement of another kind.
 *
 * PostgreSQL behaviour relied on:
 * - REINDEX: `CONCURRENTLY` exists from 12; `REINDEX SYSTEM` has no concurrent form; `REINDEX
 *   SCHEMA/DATABASE/SYSTEM` cannot run inside a transaction block (sql-reindex.html);
 * - VACUUM `FULL` (and CLUSTER) rewrite the table under ACCESS EXCLUSIVE (sql-vacuum.html, sql-cluster.html);
 *   CLUSTER without a table re-clusters every table clustered before, and then cannot run in a transaction block;
 * - REFRESH MATERIALIZED VIEW `CONCURRENTLY` cannot be combined with `WITH NO DATA`
 *   and needs a unique index on the view (sql-refreshmaterializedview.html);
 * - `ALTER DOMAIN ... ADD CONSTRAINT` checks every column of the domain unless `NOT VALID` (sql-alterdomain.html);
 * - `ALTER TYPE ... ADD VALUE` cannot run inside a transaction block before 12 (sql-altertype.html, 12's release notes).
 */
import type { Node } from 'libpg-query';
import { constraintFact, type ConstraintFact } from './alter.js';
import { stringList } from './locks.js';
import { fromNameList, fromRangeVar, type RelationName } from './names.js';

export interface ReindexFact {
  /** What it rebuilds: one index, a table's indexes, or every index of a schema, database or the system catalogs. */
  target: 'index' | 'table' | 'schema' | 'database' | 'system';
  /** The index or table; null for schema/database/system. */
  relation: RelationName | null;
  /** The schema or database name, as written, when the target is one. */
  name: string | null;
  concurrently: boolean;
  /** Where ` CONCURRENTLY` goes in the statement's SQL text (right after the target keyword), or null when not found or not possible. */
  concurrentlyAt: number | null;
}

const REINDEX_TARGETS: Record<string, ReindexFact['target']> = {
  REINDEX_OBJECT_INDEX: 'index',
  REINDEX_OBJECT_TABLE: 'table',
  REINDEX_OBJECT_SCHEMA: 'schema',
  REINDEX_OBJECT_DATABASE: 'database',
  REINDEX_OBJECT_SYSTEM: 'system',
};

/** The facts of a `REINDEX`; `sql` is the statement's text (for the insertion point). */
export function reindexFact(node: Node, sql: string): ReindexFact | null {
  if (!('ReindexStmt' in node)) return null;
  const s = node.ReindexStmt;
  const target = REINDEX_TARGETS[s.kind ?? ''] ?? 'index';
  const concurrently = (s.params ?? []).some((p) => 'DefElem' in p && p.DefElem.defname === 'concurrently');
  // REINDEX [ ( option, ... ) ] { INDEX | TABLE | SCHEMA | DATABASE | SYSTEM } [ CONCURRENTLY ] name
  const m = target === 'system' || concurrently ? null : new RegExp(`^REINDEX\\s*(?:\\([^)]*\\)\\s*)?${target}\\b`, 'i').exec(sql);
  return { target, relation: fromRangeVar(s.relation), name: s.name ?? null, concurrently, concurrentlyAt: m ? m[0].length : null };
}

export interface VacuumFact {
  /** `VACUUM FULL`, or `VACUUM (FULL)` (not `FULL false`). */
  full: boolean;
  /** The tables it names; empty: every table of the database. */
  relations: RelationName[];
}

function boolOption(o: Node, name: string): boolean {
  if (!('DefElem' in o) || o.DefElem.defname !== name) return false;
  const arg = o.DefElem.arg;
  if (!arg) return true;
  if ('Boolean' in arg) return !!arg.Boolean.boolval;
  if ('A_Const' in arg && arg.A_Const.boolval) return !!arg.A_Const.boolval.boolval;
  if ('String' in arg) return !/^(false|off|0|no)$/i.test(arg.String.sval ?? '');
  if ('Integer' in arg) return (arg.Integer.ival ?? 0) !== 0;
  return true;
}

/** The facts of a `VACUUM` (not `ANALYZE`). */
export function vacuumFact(node: Node): VacuumFact | null {
  if (!('VacuumStmt' in node) || !node.VacuumStmt.is_vacuumcmd) return null;
  const s = node.VacuumStmt;
  const relations = (s.rels ?? []).flatMap((r) => {
    const n = 'VacuumRelation' in r ? fromRangeVar(r.VacuumRelation.relation) : null;
    return n ? [n] : [];
  });
  return { full: (s.options ?? []).some((o) => boolOption(o, 'full')), relations };
}

/** The table a `CLUSTER` names (null: every table clustered before); undefined for another statement. */
export function clusterTarget(node: Node): RelationName | null | undefined {
  if (!('ClusterStmt' in node)) return undefined;
  return fromRangeVar(node.ClusterStmt.relation);
}

export interface RefreshFact {
  view: RelationName | null;
  concurrently: boolean;
  /** `WITH NO DATA`: empties the view (cannot be concurrent). */
  noData: boolean;
}

/** The facts of a `REFRESH MATERIALIZED VIEW`. */
export function refreshFact(node: Node): RefreshFact | null {
  if (!('RefreshMatViewStmt' in node)) return null;
  const s = node.RefreshMatViewStmt;
  return { view: fromRangeVar(s.relation), concurrently: !!s.concurrent, noData: !!s.skipData };
}

export interface DomainFact {
  /** `CREATE DOMAIN`, `ALTER DOMAIN ... ADD CONSTRAINT`, `ALTER DOMAIN ... SET NOT NULL` (which checks like an added NOT NULL); other ALTER DOMAIN forms: `alter-other`. */
  action: 'create' | 'add-constraint' | 'set-not-null' | 'alter-other';
  domain: RelationName | null;
  /** The CHECK / NOT NULL constraints it creates or adds. */
  constraints: ConstraintFact[];
}

/** The facts of a `CREATE DOMAIN` / `ALTER DOMAIN`. */
export function domainFact(node: Node): DomainFact | null {
  const facts = (list: Node[]) => list.flatMap((n) => ('Constraint' in n ? (constraintFact(n.Constraint) ?? []) : []));
  if ('CreateDomainStmt' in node) {
    const s = node.CreateDomainStmt;
    return { action: 'create', domain: fromNameList(stringList({ List: { items: s.domainname ?? [] } })), constraints: facts(s.constraints ?? []) };
  }
  if ('AlterDomainStmt' in node) {
    const s = node.AlterDomainStmt;
    const domain = fromNameList(stringList({ List: { items: s.typeName ?? [] } }));
    if (s.subtype === 'C' && s.def) return { action: 'add-constraint', domain, constraints: facts([s.def]) };
    // Subtype 'O': SET NOT NULL.
    if (s.subtype === 'O') return { action: 'set-not-null', domain, constraints: [{ kind: 'not-null', name: null, notValid: false, usingIndex: null, columns: [], references: null, checksNotNull: null, indexOptions: [] }] };
    return { action: 'alter-other', domain, constraints: [] };
  }
  return null;
}

/** `ALTER TYPE ... ADD VALUE` (not `RENAME VALUE`): the type; null for any other statement. */
export function enumValueAdded(node: Node): { type: RelationName | null; value: string } | null {
  if (!('AlterEnumStmt' in node)) return null;
  const s = node.AlterEnumStmt;
  if (!s.newVal || s.oldVal) return null;
  return { type: fromNameList(stringList({ List: { items: s.typeName ?? [] } })), value: s.newVal };
}

/**
 * A default partition the statement creates (`CREATE TABLE d PARTITION OF p DEFAULT`) or
 * attaches (`ALTER TABLE p ATTACH PARTITION d DEFAULT`): its parent; null otherwise.
 * `DETACH PARTITION ... CONCURRENTLY` is refused while the parent has one (sql-altertable.html).
 */
export function defaultPartitionParent(node: Node): RelationName | null {
  if ('CreateStmt' in node) {
    const s = node.CreateStmt;
    const parent = s.inhRelations?.[0];
    return s.partbound?.is_default && parent && 'RangeVar' in parent ? fromRangeVar(parent.RangeVar) : null;
  }
  if ('AlterTableStmt' in node) {
    for (const c of node.AlterTableStmt.cmds ?? []) {
      const cmd = 'AlterTableCmd' in c ? c.AlterTableCmd : undefined;
      const part = cmd?.def && 'PartitionCmd' in cmd.def ? cmd.def.PartitionCmd : undefined;
      if (cmd?.subtype === 'AT_AttachPartition' && part?.bound?.is_default) return fromRangeVar(node.AlterTableStmt.relation);
    }
  }
  return null;
}
