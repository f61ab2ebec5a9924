/**
 * What depends on the target PostgreSQL major version (the `pgVersion` setting):
 * statements that do not exist before a version, and lock levels that changed.
 * libpg-query parses with the newest grammar, so a statement that an older
 * server rejects as a syntax error parses here; this table says which.
 *
 * Each entry names the manual page of the version that introduced it (the
 * page's "Compatibility" or release notes of that version say since when).
 */
import type { Node } from 'libpg-query';
import type { MigrationUnit, SyntaxErrorFact } from '../core/unit.js';
import type { LockMode } from './lock-modes.js';

/** Oldest and newest major versions the `pgVersion` setting accepts. */
export const PG_VERSIONS = { oldest: 10, newest: 19 } as const;

export interface VersionedStatement {
  /** The form, in the manual's words, e.g. `REINDEX ... CONCURRENTLY`. */
  form: string;
  /** The first major version that has it. */
  since: number;
  /** The manual page that documents it. */
  manual: string;
  /** Where it shows in a statement's text, to place the diagnostic (first match; else the statement's start). */
  keyword: RegExp;
  uses(node: Node): boolean;
}

type AlterCmd = { subtype?: string; def?: Node };

function alterCmds(node: Node): AlterCmd[] {
  if (!('AlterTableStmt' in node)) return [];
  return (node.AlterTableStmt.cmds ?? []).map((c) => ('AlterTableCmd' in c ? (c.AlterTableCmd as AlterCmd) : {}));
}

function partitionCmd(c: AlterCmd): { concurrent?: boolean; name?: unknown } | undefined {
  return c.def && 'PartitionCmd' in c.def ? c.def.PartitionCmd : undefined;
}

/** Statement forms that do not exist before a version. */
export const VERSIONED_STATEMENTS: readonly VersionedStatement[] = [
  {
    form: 'REINDEX ... CONCURRENTLY',
    since: 12,
    manual: 'sql-reindex.html#SQL-REINDEX-CONCURRENTLY',
    keyword: /\bconcurrently\b/i,
    uses: (n) => 'ReindexStmt' in n && (n.ReindexStmt.params ?? []).some((p) => 'DefElem' in p && p.DefElem.defname === 'concurrently'),
  },
  {
    form: 'ALTER TABLE ... DETACH PARTITION ... CONCURRENTLY',
    since: 14,
    manual: 'sql-altertable.html#SQL-ALTERTABLE-DETACH-PARTITION',
    keyword: /\bconcurrently\b/i,
    uses: (n) => alterCmds(n).some((c) => c.subtype === 'AT_DetachPartition' && !!partitionCmd(c)?.concurrent),
  },
  {
    form: 'ALTER TABLE ... DETACH PARTITION ... FINALIZE',
    since: 14,
    manual: 'sql-altertable.html#SQL-ALTERTABLE-DETACH-PARTITION',
    keyword: /\bfinalize\b/i,
    uses: (n) => alterCmds(n).some((c) => c.subtype === 'AT_DetachPartitionFinalize'),
  },
  {
    form: 'ALTER TABLE ... ALTER COLUMN ... DROP EXPRESSION',
    since: 13,
    manual: 'sql-altertable.html',
    keyword: /\bdrop\s+expression\b/i,
    uses: (n) => alterCmds(n).some((c) => c.subtype === 'AT_DropExpression'),
  },
  {
    form: 'ALTER TABLE ... ALTER COLUMN ... SET COMPRESSION',
    since: 14,
    manual: 'sql-altertable.html',
    keyword: /\bcompression\b/i,
    uses: (n) => alterCmds(n).some((c) => c.subtype === 'AT_SetCompression'),
  },
  {
    form: 'ALTER TABLE ... ALTER COLUMN ... SET EXPRESSION',
    since: 17,
    manual: 'sql-altertable.html',
    keyword: /\bset\s+expression\b/i,
    uses: (n) => alterCmds(n).some((c) => c.subtype === 'AT_SetExpression'),
  },
  {
    form: 'CREATE INDEX ... NULLS NOT DISTINCT',
    since: 15,
    manual: 'sql-createindex.html',
    keyword: /\bnulls\s+not\s+distinct\b/i,
    uses: (n) => 'IndexStmt' in n && !!n.IndexStmt.nulls_not_distinct,
  },
  {
    // 17 gave domain NOT NULL constraints a catalog entry and this spelling; before it, only SET NOT NULL (release-17.html).
    form: 'ALTER DOMAIN ... ADD NOT NULL',
    since: 17,
    manual: 'sql-alterdomain.html',
    keyword: /\bnot\s+null\b/i,
    uses: (n) => 'AlterDomainStmt' in n && n.AlterDomainStmt.subtype === 'C' && !!n.AlterDomainStmt.def && 'Constraint' in n.AlterDomainStmt.def && n.AlterDomainStmt.def.Constraint.contype === 'CONSTR_NOTNULL',
  },
  {
    form: 'MERGE',
    since: 15,
    manual: 'sql-merge.html',
    keyword: /\bmerge\b/i,
    uses: (n) => 'MergeStmt' in n,
  },
];

/** The first form `node` uses that PostgreSQL `pgVersion` does not have, or null. */
export function missingOn(node: Node, pgVersion: number): VersionedStatement | null {
  return VERSIONED_STATEMENTS.find((f) => pgVersion < f.since && f.uses(node)) ?? null;
}

/**
 * A syntax error for each statement of the unit that uses a form PostgreSQL
 * `pgVersion` does not have: the server rejects it (SQLSTATE 42601, syntax_error)
 * before running anything. Placed at the form's keyword when the statement's text
 * maps back to the file, else at the statement. Message, e.g.: `REINDEX ...
 * CONCURRENTLY does not exist before PostgreSQL 12 (pgVersion is 11)`.
 */
export function versionErrors(unit: MigrationUnit, pgVersion: number): SyntaxErrorFact[] {
  const out: SyntaxErrorFact[] = [];
  for (const s of unit.statements) {
    const missing = missingOn(s.node, pgVersion);
    if (!missing) continue;
    const at = missing.keyword.exec(s.sql)?.index;
    const offset = (at !== undefined ? s.sqlToFile?.(at) : null) ?? s.span.start;
    out.push({ message: `${missing.form} does not exist before PostgreSQL ${missing.since} (pgVersion is ${pgVersion}; ${missing.manual})`, offset, language: 'sql' });
  }
  return out;
}

/** A lock level that changed in a major version. */
export interface VersionedLock {
  /** The form whose lock changed. */
  form: string;
  since: number;
  /** The lock from `since` on, and before it. */
  mode: LockMode;
  before: LockMode;
  manual: string;
}

/** Lock levels that changed between the versions `pgVersion` accepts. */
export const VERSIONED_LOCKS = {
  /** The partitioned table's lock; the table being attached (and a DEFAULT partition) take ACCESS EXCLUSIVE in every version. */
  attachPartition: { form: 'ALTER TABLE ... ATTACH PARTITION', since: 12, mode: 'SHARE UPDATE EXCLUSIVE', before: 'ACCESS EXCLUSIVE', manual: 'sql-altertable.html#SQL-ALTERTABLE-ATTACH-PARTITION' },
  renameIndex: { form: 'ALTER INDEX ... RENAME', since: 12, mode: 'SHARE UPDATE EXCLUSIVE', before: 'ACCESS EXCLUSIVE', manual: 'sql-alterindex.html' },
} as const satisfies Record<string, VersionedLock>;

/** The lock `lock` takes on PostgreSQL `pgVersion`. */
export function lockOn(lock: VersionedLock, pgVersion: number): LockMode {
  return pgVersion >= lock.since ? lock.mode : lock.before;
}
