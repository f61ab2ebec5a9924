/**
 * Lock knowledge: which lock mode a statement takes on which relation.
 * Written once; miglint's rules and migrun's planner both read it.
 *
 * Sources, in the PostgreSQL manual (current version):
 * - "Explicit Locking" § Table-Level Locks (explicit-locking.html#LOCKING-TABLES)
 * - ALTER TABLE, Notes and per-subcommand lock levels (sql-altertable.html)
 * - CREATE INDEX § Building Indexes Concurrently (sql-createindex.html#SQL-CREATEINDEX-CONCURRENTLY)
 * - DROP INDEX (sql-dropindex.html), REINDEX (sql-reindex.html), CREATE TRIGGER (sql-createtrigger.html)
 * Lock levels that changed between major versions are in src/sql/versions.ts, and
 * test/sql-locks.test.ts checks a sample against pg_locks on real servers.
 */
import type { Node, RangeVar } from 'libpg-query';
import type { LockMode } from './lock-modes.js';
import { fromNameList, fromRangeVar, sqlName, type RelationName } from './names.js';
import { lockOn, VERSIONED_LOCKS } from './versions.js';

export interface LockRequirement {
  /** The relation as written, as SQL (quoted where needed), e.g. `public.leads`, `leads`, `"Leads"`; `?` when unnamed. */
  relation: string;
  /** The same name as the parser gives it, for schema-qualified keys (src/sql/names.ts); null when unnamed. */
  target: RelationName | null;
  /** What the relation is, as far as the statement tells. */
  relationKind: 'table' | 'index' | 'relation';
  mode: LockMode;
  /**
   * For an index: the lock taken on its table, which the statement does not name
   * (DROP INDEX: the same ACCESS EXCLUSIVE; REINDEX INDEX: SHARE); null when the
   * table is not locked (ALTER INDEX ... RENAME, SET (...)); unset when not known.
   */
  tableMode?: LockMode | null;
  /** The statement form that takes it, e.g. `ALTER TABLE ... ADD COLUMN`. */
  operation: string;
  /** The manual page the lock level comes from. */
  manual: string;
  /**
   * Set on a lock the statement takes on tables it does not name, which the catalog
   * decides (src/sql/reach.ts): `relation` then says which (`tables referencing "leads"`)
   * and `target` is null.
   */
  reach?: Reach;
}

/**
 * A set of tables a statement locks without naming them, as the catalog defines it:
 * - `referencing`: tables with a FOREIGN KEY to `of`; `recursive`: and the tables
 *   referencing those, in turn (TRUNCATE ... CASCADE);
 * - `referenced`: the tables `of`'s foreign keys reference (DROP TABLE drops those keys' triggers on them);
 * - `partition-parent`: the partitioned table `of` is a partition of, if it is one;
 * - `partitions`: `of`'s partitions, and theirs in turn, if it is partitioned;
 * - `domain`: tables and materialized views with a column of domain `of`, or of a
 *   domain over it (ALTER DOMAIN checking a constraint; a partitioned table's partitions,
 *   not the partitioned table, which has no rows of its own).
 * test/rule-locks.test.ts resolves the set in the catalog and checks each member's lock.
 */
export interface Reach {
  via: 'referencing' | 'referenced' | 'partition-parent' | 'partitions' | 'domain';
  /** The table's (or the domain's) schema-qualified, case-correct key. */
  of: string;
  recursive?: boolean;
}

const MANUAL = {
  locking: 'explicit-locking.html#LOCKING-TABLES',
  alterTable: 'sql-altertable.html',
  createIndex: 'sql-createindex.html',
  dropIndex: 'sql-dropindex.html',
  reindex: 'sql-reindex.html',
  trigger: 'sql-createtrigger.html',
  vacuum: 'sql-vacuum.html',
  refresh: 'sql-refreshmaterializedview.html',
} as const;

/** A RangeVar's name as SQL, quoted where needed (`public."Leads"`), or `?` when it has none. */
export function relationName(rv: RangeVar | undefined): string {
  const n = fromRangeVar(rv);
  return n ? sqlName(n) : '?';
}

/** The ALTER TABLE subcommand's name as written in SQL, for messages. */
const SUBCOMMAND_NAMES: Record<string, string> = {
  AT_AddColumn: 'ADD COLUMN',
  AT_DropColumn: 'DROP COLUMN',
  AT_AlterColumnType: 'ALTER COLUMN ... TYPE',
  AT_SetNotNull: 'ALTER COLUMN ... SET NOT NULL',
  AT_DropNotNull: 'ALTER COLUMN ... DROP NOT NULL',
  AT_ColumnDefault: 'ALTER COLUMN ... SET DEFAULT',
  AT_AddConstraint: 'ADD CONSTRAINT',
  AT_DropConstraint: 'DROP CONSTRAINT',
  AT_ValidateConstraint: 'VALIDATE CONSTRAINT',
  AT_SetStatistics: 'ALTER COLUMN ... SET STATISTICS',
  AT_SetOptions: 'ALTER COLUMN ... SET (...)',
  AT_ResetOptions: 'ALTER COLUMN ... RESET (...)',
  AT_SetRelOptions: 'SET (...)',
  AT_ResetRelOptions: 'RESET (...)',
  AT_ClusterOn: 'CLUSTER ON',
  AT_DropCluster: 'SET WITHOUT CLUSTER',
  AT_AttachPartition: 'ATTACH PARTITION',
  AT_DetachPartition: 'DETACH PARTITION',
  AT_DetachPartitionFinalize: 'DETACH PARTITION ... FINALIZE',
  AT_AlterConstraint: 'ALTER CONSTRAINT',
  AT_EnableTrig: 'ENABLE TRIGGER',
  AT_DisableTrig: 'DISABLE TRIGGER',
  AT_EnableAlwaysTrig: 'ENABLE ALWAYS TRIGGER',
  AT_EnableReplicaTrig: 'ENABLE REPLICA TRIGGER',
  AT_EnableTrigAll: 'ENABLE TRIGGER ALL',
  AT_DisableTrigAll: 'DISABLE TRIGGER ALL',
  AT_EnableTrigUser: 'ENABLE TRIGGER USER',
  AT_DisableTrigUser: 'DISABLE TRIGGER USER',
  AT_AddIndexConstraint: 'ADD CONSTRAINT ... USING INDEX',
  AT_SetLogged: 'SET LOGGED',
  AT_SetUnLogged: 'SET UNLOGGED',
  AT_ReplicaIdentity: 'REPLICA IDENTITY',
  AT_EnableRowSecurity: 'ENABLE ROW LEVEL SECURITY',
  AT_DisableRowSecurity: 'DISABLE ROW LEVEL SECURITY',
  AT_ChangeOwner: 'OWNER TO',
  AT_SetTableSpace: 'SET TABLESPACE',
  AT_AddIdentity: 'ALTER COLUMN ... ADD GENERATED',
  AT_SetIdentity: 'ALTER COLUMN ... SET GENERATED',
  AT_DropIdentity: 'ALTER COLUMN ... DROP IDENTITY',
  AT_SetStorage: 'ALTER COLUMN ... SET STORAGE',
  AT_SetCompression: 'ALTER COLUMN ... SET COMPRESSION',
  AT_DropExpression: 'ALTER COLUMN ... DROP EXPRESSION',
  AT_SetExpression: 'ALTER COLUMN ... SET EXPRESSION',
  AT_AlterColumnGenericOptions: 'ALTER COLUMN ... OPTIONS',
  AT_AddInherit: 'INHERIT',
  AT_DropInherit: 'NO INHERIT',
};

export function alterTableSubcommandName(subtype: string | undefined): string {
  return (subtype && SUBCOMMAND_NAMES[subtype]) ?? (subtype ?? '?').replace(/^AT_/, '');
}

export interface AlterTableCmdLike {
  subtype?: string;
  def?: Node;
  concurrent?: boolean;
}

/** Lock level of one ALTER TABLE subcommand on the altered table on PostgreSQL `pgVersion`, per sql-altertable.html. */
export function alterTableCmdMode(cmd: AlterTableCmdLike, pgVersion: number): LockMode {
  switch (cmd.subtype) {
    case 'AT_ValidateConstraint':
    case 'AT_SetStatistics':
    case 'AT_SetOptions':
    case 'AT_ResetOptions':
    case 'AT_ClusterOn':
    case 'AT_DropCluster':
      return 'SHARE UPDATE EXCLUSIVE';
    case 'AT_AttachPartition':
      return lockOn(VERSIONED_LOCKS.attachPartition, pgVersion);
    case 'AT_DetachPartitionFinalize':
      return 'SHARE UPDATE EXCLUSIVE';
    case 'AT_DetachPartition':
      return cmd.def && 'PartitionCmd' in cmd.def && cmd.def.PartitionCmd.concurrent
        ? 'SHARE UPDATE EXCLUSIVE'
        : 'ACCESS EXCLUSIVE';
    case 'AT_SetRelOptions':
    case 'AT_ResetRelOptions':
      // Storage parameters such as fillfactor and autovacuum settings take SHARE UPDATE EXCLUSIVE.
      return 'SHARE UPDATE EXCLUSIVE';
    case 'AT_EnableTrig':
    case 'AT_DisableTrig':
    case 'AT_EnableAlwaysTrig':
    case 'AT_EnableReplicaTrig':
    case 'AT_EnableTrigAll':
    case 'AT_DisableTrigAll':
    case 'AT_EnableTrigUser':
    case 'AT_DisableTrigUser':
      return 'SHARE ROW EXCLUSIVE';
    case 'AT_AlterConstraint':
      // ACCESS EXCLUSIVE, as pg_locks shows on 15 and 18 (test/sql-locks.test.ts); the manual names no lesser lock for it.
      return 'ACCESS EXCLUSIVE';
    case 'AT_AddConstraint': {
      const c = cmd.def && 'Constraint' in cmd.def ? cmd.def.Constraint : undefined;
      if (c?.contype === 'CONSTR_FOREIGN') return 'SHARE ROW EXCLUSIVE';
      return 'ACCESS EXCLUSIVE';
    }
    default:
      return 'ACCESS EXCLUSIVE';
  }
}

const STRENGTH: Record<LockMode, number> = {
  'ACCESS SHARE': 0,
  'ROW SHARE': 1,
  'ROW EXCLUSIVE': 2,
  'SHARE UPDATE EXCLUSIVE': 3,
  SHARE: 4,
  'SHARE ROW EXCLUSIVE': 5,
  EXCLUSIVE: 6,
  'ACCESS EXCLUSIVE': 7,
};

/** The strongest of several modes (ALTER TABLE takes the strongest its subcommands need). */
export function strongest(modes: LockMode[]): LockMode {
  return modes.reduce((a, b) => (STRENGTH[b] > STRENGTH[a] ? b : a), 'ACCESS SHARE' as LockMode);
}

/**
 * Table-level locks a statement takes on PostgreSQL `pgVersion` (a major version,
 * e.g. 15), strongest per relation, in statement order. Row-level locks and locks
 * on catalogs are not listed. Where the lock changed between versions, see
 * `VERSIONED_LOCKS` (src/sql/versions.ts). Never throws.
 */
export function locksOf(node: Node, pgVersion: number): LockRequirement[] {
  const out: LockRequirement[] = [];
  const add = (target: RelationName | null, relationKind: LockRequirement['relationKind'], mode: LockMode, operation: string, manual: string, tableMode?: LockMode | null) => {
    const l: LockRequirement = { relation: target ? sqlName(target) : '?', target, relationKind, mode, operation, manual };
    if (tableMode !== undefined) l.tableMode = tableMode;
    out.push(l);
  };

  if ('IndexStmt' in node) {
    const s = node.IndexStmt;
    const concurrent = !!s.concurrent;
    add(fromRangeVar(s.relation), 'table', concurrent ? 'SHARE UPDATE EXCLUSIVE' : 'SHARE', concurrent ? 'CREATE INDEX CONCURRENTLY' : 'CREATE INDEX', MANUAL.createIndex);
  } else if ('DropStmt' in node) {
    const s = node.DropStmt;
    const names = dropObjectRelations(s.objects);
    if (s.removeType === 'OBJECT_INDEX') {
      const mode = s.concurrent ? 'SHARE UPDATE EXCLUSIVE' : 'ACCESS EXCLUSIVE';
      for (const n of names) add(n, 'index', mode, s.concurrent ? 'DROP INDEX CONCURRENTLY' : 'DROP INDEX', MANUAL.dropIndex, mode);
    } else if (s.removeType === 'OBJECT_TABLE' || s.removeType === 'OBJECT_MATVIEW' || s.removeType === 'OBJECT_VIEW') {
      for (const n of names) add(n, 'table', 'ACCESS EXCLUSIVE', `DROP ${s.removeType.replace('OBJECT_', '').replace('MATVIEW', 'MATERIALIZED VIEW')}`, MANUAL.locking);
    } else if (s.removeType === 'OBJECT_TRIGGER' || s.removeType === 'OBJECT_RULE' || s.removeType === 'OBJECT_POLICY') {
      // DROP TRIGGER t ON tbl: objects are [tbl..., t]; the table is all but the last name.
      for (const list of s.objects ?? []) {
        const parts = stringList(list);
        if (parts.length >= 2) add(fromNameList(parts.slice(0, -1)), 'table', 'ACCESS EXCLUSIVE', `DROP ${s.removeType.replace('OBJECT_', '')}`, MANUAL.locking);
      }
    }
  } else if ('AlterTableStmt' in node) {
    const s = node.AlterTableStmt;
    const cmds = (s.cmds ?? []).map((c) => ('AlterTableCmd' in c ? (c.AlterTableCmd as AlterTableCmdLike) : {}));
    const isIndex = s.objtype === 'OBJECT_INDEX';
    const mode = isIndex ? 'SHARE UPDATE EXCLUSIVE' : strongest(cmds.map((c) => alterTableCmdMode(c, pgVersion)));
    const kind = isIndex ? 'ALTER INDEX' : s.objtype === 'OBJECT_MATVIEW' ? 'ALTER MATERIALIZED VIEW' : 'ALTER TABLE';
    const sub = cmds.map((c) => alterTableSubcommandName(c.subtype));
    // ALTER INDEX ... SET (...) / RESET (...) leave the table unlocked (test/sql-locks.test.ts); for its other forms it is not known here.
    const indexTableMode = isIndex && cmds.every((c) => c.subtype === 'AT_SetRelOptions' || c.subtype === 'AT_ResetRelOptions') ? null : undefined;
    add(fromRangeVar(s.relation), isIndex ? 'index' : 'table', mode, `${kind} ... ${sub.join(', ')}`, MANUAL.alterTable, indexTableMode);
    for (const c of cmds) {
      const con = c.def && 'Constraint' in c.def ? c.def.Constraint : undefined;
      const part = c.def && 'PartitionCmd' in c.def ? c.def.PartitionCmd : undefined;
      if ((c.subtype === 'AT_AttachPartition' || c.subtype === 'AT_DetachPartition' || c.subtype === 'AT_DetachPartitionFinalize') && part?.name) {
        // The partition itself: ACCESS EXCLUSIVE (DETACH ... CONCURRENTLY takes it in its second transaction).
        add(fromRangeVar(part.name), 'table', 'ACCESS EXCLUSIVE', `${alterTableSubcommandName(c.subtype)} (the partition)`, MANUAL.alterTable);
      }
      if (c.subtype === 'AT_AddConstraint' && con?.contype === 'CONSTR_FOREIGN' && con.pktable) {
        add(fromRangeVar(con.pktable), 'table', 'SHARE ROW EXCLUSIVE', 'ADD FOREIGN KEY (referenced table)', MANUAL.alterTable);
      }
      if (c.subtype === 'AT_AddColumn' && c.def && 'ColumnDef' in c.def) {
        for (const cc of c.def.ColumnDef.constraints ?? []) {
          if ('Constraint' in cc && cc.Constraint.contype === 'CONSTR_FOREIGN' && cc.Constraint.pktable) {
            add(fromRangeVar(cc.Constraint.pktable), 'table', 'SHARE ROW EXCLUSIVE', 'ADD COLUMN ... REFERENCES (referenced table)', MANUAL.alterTable);
          }
        }
      }
    }
  } else if ('RenameStmt' in node) {
    const s = node.RenameStmt;
    const isIndex = s.renameType === 'OBJECT_INDEX';
    const mode = isIndex ? lockOn(VERSIONED_LOCKS.renameIndex, pgVersion) : 'ACCESS EXCLUSIVE';
    if (s.relation) add(fromRangeVar(s.relation), isIndex ? 'index' : 'table', mode, `ALTER ${isIndex ? 'INDEX' : 'TABLE'} ... RENAME`, isIndex ? VERSIONED_LOCKS.renameIndex.manual : MANUAL.alterTable, isIndex ? null : undefined);
  } else if ('TruncateStmt' in node) {
    for (const r of node.TruncateStmt.relations ?? []) if ('RangeVar' in r) add(fromRangeVar(r.RangeVar), 'table', 'ACCESS EXCLUSIVE', 'TRUNCATE', MANUAL.locking);
  } else if ('ReindexStmt' in node) {
    const s = node.ReindexStmt;
    const concurrent = (s.params ?? []).some((p) => 'DefElem' in p && p.DefElem.defname === 'concurrently');
    if (s.relation) {
      const isIndex = s.kind === 'REINDEX_OBJECT_INDEX';
      const tableMode = concurrent ? 'SHARE UPDATE EXCLUSIVE' : 'SHARE';
      add(fromRangeVar(s.relation), isIndex ? 'index' : 'table', concurrent ? 'SHARE UPDATE EXCLUSIVE' : isIndex ? 'ACCESS EXCLUSIVE' : 'SHARE', concurrent ? 'REINDEX CONCURRENTLY' : 'REINDEX', MANUAL.reindex, isIndex ? tableMode : undefined);
    }
  } else if ('CreateTrigStmt' in node) {
    add(fromRangeVar(node.CreateTrigStmt.relation), 'table', 'SHARE ROW EXCLUSIVE', 'CREATE TRIGGER', MANUAL.trigger);
  } else if ('CreateStmt' in node) {
    for (const elt of node.CreateStmt.tableElts ?? []) {
      const constraints = 'ColumnDef' in elt ? (elt.ColumnDef.constraints ?? []).map((c) => ('Constraint' in c ? c.Constraint : undefined)) : 'Constraint' in elt ? [elt.Constraint] : [];
      for (const c of constraints) {
        if (c?.contype === 'CONSTR_FOREIGN' && c.pktable) add(fromRangeVar(c.pktable), 'table', 'SHARE ROW EXCLUSIVE', 'CREATE TABLE ... REFERENCES (referenced table)', MANUAL.locking);
      }
    }
    for (const p of node.CreateStmt.inhRelations ?? []) {
      if ('RangeVar' in p && node.CreateStmt.partbound) add(fromRangeVar(p.RangeVar), 'table', 'ACCESS EXCLUSIVE', 'CREATE TABLE ... PARTITION OF', MANUAL.locking);
    }
  } else if ('LockStmt' in node) {
    const mode = lockStmtMode(node.LockStmt.mode);
    for (const r of node.LockStmt.relations ?? []) if ('RangeVar' in r) add(fromRangeVar(r.RangeVar), 'table', mode, `LOCK TABLE IN ${mode} MODE`, MANUAL.locking);
  } else if ('VacuumStmt' in node) {
    const s = node.VacuumStmt;
    const full = (s.options ?? []).some((o) => 'DefElem' in o && o.DefElem.defname === 'full');
    for (const r of s.rels ?? []) {
      if ('VacuumRelation' in r && r.VacuumRelation.relation) {
        add(fromRangeVar(r.VacuumRelation.relation), 'table', full ? 'ACCESS EXCLUSIVE' : 'SHARE UPDATE EXCLUSIVE', s.is_vacuumcmd ? (full ? 'VACUUM FULL' : 'VACUUM') : 'ANALYZE', MANUAL.vacuum);
      }
    }
  } else if ('ClusterStmt' in node) {
    if (node.ClusterStmt.relation) add(fromRangeVar(node.ClusterStmt.relation), 'table', 'ACCESS EXCLUSIVE', 'CLUSTER', MANUAL.locking);
  } else if ('RefreshMatViewStmt' in node) {
    const s = node.RefreshMatViewStmt;
    add(fromRangeVar(s.relation), 'table', s.concurrent ? 'EXCLUSIVE' : 'ACCESS EXCLUSIVE', s.concurrent ? 'REFRESH MATERIALIZED VIEW CONCURRENTLY' : 'REFRESH MATERIALIZED VIEW', MANUAL.refresh);
  } else if ('CommentStmt' in node) {
    const s = node.CommentStmt;
    if (s.objtype === 'OBJECT_TABLE' || s.objtype === 'OBJECT_COLUMN') {
      const parts = s.object ? stringList(s.object) : [];
      const table = s.objtype === 'OBJECT_COLUMN' ? parts.slice(0, -1) : parts;
      if (table.length) add(fromNameList(table), 'table', 'SHARE UPDATE EXCLUSIVE', 'COMMENT ON', MANUAL.locking);
    }
  } else if ('UpdateStmt' in node) {
    add(fromRangeVar(node.UpdateStmt.relation), 'table', 'ROW EXCLUSIVE', 'UPDATE', MANUAL.locking);
  } else if ('DeleteStmt' in node) {
    add(fromRangeVar(node.DeleteStmt.relation), 'table', 'ROW EXCLUSIVE', 'DELETE', MANUAL.locking);
  } else if ('InsertStmt' in node) {
    add(fromRangeVar(node.InsertStmt.relation), 'table', 'ROW EXCLUSIVE', 'INSERT', MANUAL.locking);
  }
  return dedupe(out);
}

/** One requirement per relation, the strongest (the first of equal ones); the same array when there is nothing to merge. */
function dedupe(locks: LockRequirement[]): LockRequirement[] {
  // Most statements lock one relation or none.
  if (locks.length < 2) return locks;
  const by = new Map<string, LockRequirement>();
  for (const l of locks) {
    const prev = by.get(l.relation);
    if (!prev || STRENGTH[l.mode] > STRENGTH[prev.mode]) by.set(l.relation, l);
  }
  return [...by.values()];
}

function lockStmtMode(mode: number | undefined): LockMode {
  // LOCK TABLE's mode is the lmgr number: 1 = AccessShare ... 8 = AccessExclusive; default 8.
  const modes: LockMode[] = ['ACCESS SHARE', 'ROW SHARE', 'ROW EXCLUSIVE', 'SHARE UPDATE EXCLUSIVE', 'SHARE', 'SHARE ROW EXCLUSIVE', 'EXCLUSIVE', 'ACCESS EXCLUSIVE'];
  return modes[(mode ?? 8) - 1] ?? 'ACCESS EXCLUSIVE';
}

/** The strings of a `List` of `String` nodes (a qualified name), e.g. `['public', 'idx']`. */
export function stringList(node: Node): string[] {
  const items = 'List' in node ? (node.List.items ?? []) : [node];
  return items.flatMap((i) => ('String' in i && i.String.sval !== undefined ? [i.String.sval] : []));
}

/** The names a DROP statement lists, as written (`public.idx`), for messages. */
export function dropObjectNames(objects: Node[] | undefined): string[] {
  return (objects ?? []).map((o) => stringList(o).join('.')).filter((n) => n.length > 0);
}

/** The relations a DROP statement lists (`DROP INDEX a.b, c`), as the parser gives them. */
export function dropObjectRelations(objects: Node[] | undefined): RelationName[] {
  return (objects ?? []).flatMap((o) => {
    const n = fromNameList(stringList(o));
    return n ? [n] : [];
  });
}
