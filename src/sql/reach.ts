/**
 * Locks a statement takes on tables it does not name: the tables its foreign keys
 * tie it to, the tables whose columns use a domain. The unit's schema delta names
 * those the migration itself created or changed; the rest only the catalog knows,
 * so they are one unnamed lock fact each, with a `reach` (src/sql/locks.ts) that
 * says which set it is (`tables referencing "accounts"`), and that
 * test/rule-locks.test.ts resolves in the catalog to check against pg_locks.
 *
 * PostgreSQL behaviour relied on, as pg_locks shows it on 15 and 18
 * (test/rule-locks.test.ts):
 * - `ALTER DOMAIN d ADD CONSTRAINT ... CHECK (...)` (without NOT VALID), `ADD NOT NULL`
 *   (17+), `SET NOT NULL` and `VALIDATE CONSTRAINT` check the rows of every column of
 *   `d` (or of a domain over it) under a SHARE lock on its table, materialized view or
 *   partition (none on a partitioned table, a view, or a composite type); the other
 *   forms lock no table. sql-alterdomain.html says the columns are checked; the lock
 *   level is not in explicit-locking.html, it is what pg_locks shows. A column of an
 *   array or composite over `d` makes those forms fail instead (`cannot alter type`).
 * - `TRUNCATE ... CASCADE` takes ACCESS EXCLUSIVE on every table with a foreign key
 *   to a truncated one, recursively (sql-truncate.html: CASCADE "Automatically truncate
 *   all tables that have foreign-key references to any of the named tables"); without
 *   CASCADE no other table is locked (a referencing table outside the list makes it fail).
 * - `DROP TABLE t` of a partition takes ACCESS EXCLUSIVE on its partitioned table; of a
 *   partitioned table, on each partition (dropped with it), and theirs in turn.
 * - `DROP TABLE t` takes ACCESS EXCLUSIVE on every table `t` references by foreign
 *   key (the key's triggers on that table are dropped too); with `CASCADE`, on every
 *   table referencing `t` as well (its foreign key is dropped), one level: those
 *   tables stay. Without CASCADE a referenced table is not dropped at all
 *   (dependent_objects_still_exist, 2BP01). sql-droptable.html; the lock levels are
 *   explicit-locking.html#LOCKING-TABLES (ACCESS EXCLUSIVE: DROP TABLE).
 */
import type { Node } from 'libpg-query';
import { quoteName } from './describe.js';
import type { Effect } from './costs.js';
import type { LockFact } from './facts.js';
import type { LockMode } from './lock-modes.js';
import type { Reach } from './locks.js';
import { constraintFact } from './alter.js';
import { stringList } from './locks.js';
import { fromNameList, splitKey, type RelationKey, type RelationName } from './names.js';
import type { SchemaView } from './schema-view.js';

const DROP_TABLE = 'sql-droptable.html';
const TRUNCATE = 'sql-truncate.html';
const ALTER_DOMAIN = 'sql-alterdomain.html';

/** The version that has `ALTER DOMAIN ... ADD [CONSTRAINT c] NOT NULL` (before it, a syntax error; src/sql/versions.ts). */
export const DOMAIN_ADD_NOT_NULL_SINCE = 17;

/**
 * The form of an `ALTER DOMAIN` that checks the domain's columns (so locks their
 * tables), or null: `ADD` a CHECK without NOT VALID, `ADD NOT NULL` (17+),
 * `SET NOT NULL`, `VALIDATE CONSTRAINT`. The others (defaults, DROP, RENAME,
 * OWNER, SET SCHEMA, NOT VALID) check nothing.
 */
export function domainCheck(node: Node, pgVersion: number): string | null {
  if (!('AlterDomainStmt' in node)) return null;
  const s = node.AlterDomainStmt;
  if (s.subtype === 'O') return 'ALTER DOMAIN ... SET NOT NULL';
  if (s.subtype === 'V') return 'ALTER DOMAIN ... VALIDATE CONSTRAINT';
  if (s.subtype !== 'C' || !s.def || !('Constraint' in s.def)) return null;
  const c = constraintFact(s.def.Constraint);
  if (!c || c.notValid) return null;
  if (c.kind === 'check') return 'ALTER DOMAIN ... ADD CHECK';
  if (c.kind === 'not-null') return pgVersion >= DOMAIN_ADD_NOT_NULL_SINCE ? 'ALTER DOMAIN ... ADD NOT NULL' : null;
  return null;
}

/** How a reach set reads in messages and in `migrun plan`: `tables referencing "accounts"`. */
export function reachText(r: Reach): string {
  const name = quoteName(r.of);
  if (r.via === 'referencing') return `tables referencing ${name}${r.recursive ? ', and the tables referencing those' : ''}`;
  if (r.via === 'referenced') return `tables ${name} references`;
  if (r.via === 'partition-parent') return `the partitioned table ${name} is a partition of`;
  if (r.via === 'partitions') return `partitions of ${name}`;
  return `tables using domain ${name}`;
}

function unnamed(reach: Reach, mode: LockMode, operation: string, manual: string): LockFact {
  return { relation: reachText(reach), target: null, relationKind: 'table', mode, operation, manual, reach, key: null, existing: true };
}

function named(key: RelationKey, mode: LockMode, operation: string, manual: string, view: SchemaView): LockFact {
  return { relation: key, target: splitKey(key), relationKind: 'table', mode, operation, manual, key, existing: !view.tableCreated(key) };
}

/**
 * The locks `node` takes on tables it does not name, given the locks it names
 * (`locks`, resolved), the schema delta before it and whether it says CASCADE.
 * A set the delta knows in full (every table involved was created by the unit) has
 * no unnamed lock. Never throws.
 */
export function reachedLocks(node: Node, locks: readonly LockFact[], view: SchemaView, cascade: boolean, resolve: (n: RelationName) => RelationKey, pgVersion: number): LockFact[] {
  // Only these three kinds reach tables they do not name: for any other statement, no set of its names is made.
  const drop = 'DropStmt' in node && node.DropStmt.removeType === 'OBJECT_TABLE';
  if (!drop && !('TruncateStmt' in node && cascade) && !('AlterDomainStmt' in node)) return [];
  const out: LockFact[] = [];
  const namedKeys = new Set(locks.flatMap((l) => (l.key !== null ? [l.key] : [])));
  const push = (l: LockFact) => {
    if (l.key !== null && namedKeys.has(l.key)) return;
    if (l.key !== null) namedKeys.add(l.key);
    out.push(l);
  };
  if (drop) {
    const dropped = locks.filter((l) => l.key !== null && l.operation === 'DROP TABLE').map((l) => l.key!);
    for (const t of dropped) {
      const complete = view.tableCreated(t);
      for (const c of view.constraints(t)) {
        if (c.kind === 'foreign-key' && c.references) push(named(c.references, 'ACCESS EXCLUSIVE', 'DROP TABLE', DROP_TABLE, view));
      }
      if (!complete) push(unnamed({ via: 'referenced', of: t }, 'ACCESS EXCLUSIVE', 'DROP TABLE', DROP_TABLE));
      // A partition: its partitioned table; a partitioned table: its partitions, which go with it.
      const st = view.table(t);
      if (st?.partitionOf) push(named(st.partitionOf, 'ACCESS EXCLUSIVE', 'DROP TABLE', DROP_TABLE, view));
      else if (!complete) push(unnamed({ via: 'partition-parent', of: t }, 'ACCESS EXCLUSIVE', 'DROP TABLE', DROP_TABLE));
      // Partitions of a new partitioned table may be existing tables it attached: never known in full.
      if (!complete || st?.partitioned) push({ ...unnamed({ via: 'partitions', of: t }, 'ACCESS EXCLUSIVE', 'DROP TABLE', DROP_TABLE), existing: !complete });
      if (!cascade) continue;
      for (const r of view.referencing(t)) push(named(r, 'ACCESS EXCLUSIVE', 'DROP TABLE ... CASCADE', DROP_TABLE, view));
      if (!complete) push(unnamed({ via: 'referencing', of: t }, 'ACCESS EXCLUSIVE', 'DROP TABLE ... CASCADE', DROP_TABLE));
    }
  } else if ('TruncateStmt' in node && cascade) {
    const truncated = locks.filter((l) => l.key !== null).map((l) => l.key!);
    // The tables the delta shows referencing them, in turn.
    const seen = new Set<RelationKey>(truncated);
    const queue = [...truncated];
    while (queue.length) {
      const t = queue.shift()!;
      for (const r of view.referencing(t)) {
        if (seen.has(r)) continue;
        seen.add(r);
        queue.push(r);
        push(named(r, 'ACCESS EXCLUSIVE', 'TRUNCATE ... CASCADE', TRUNCATE, view));
      }
    }
    // Only when every table involved is new can no other table reference them.
    if (![...seen].every((t) => view.tableCreated(t))) {
      for (const t of truncated) push(unnamed({ via: 'referencing', of: t, recursive: true }, 'ACCESS EXCLUSIVE', 'TRUNCATE ... CASCADE', TRUNCATE));
    }
  } else if ('AlterDomainStmt' in node) {
    const form = domainCheck(node, pgVersion);
    const n = fromNameList(stringList({ List: { items: node.AlterDomainStmt.typeName ?? [] } }));
    if (form && n) {
      const domain = resolve(n);
      const users = view.domainUsers(domain);
      for (const t of users.tables) push(named(t, 'SHARE', form, ALTER_DOMAIN, view));
      // A domain the migration created is used by the migration's tables only: all in the delta unless one of them hides its columns.
      // Such a hidden table is one the migration created, though: no one else's rows.
      if (!(view.domain(domain) && users.complete)) push({ ...unnamed({ via: 'domain', of: domain }, 'SHARE', form, ALTER_DOMAIN), existing: !view.domain(domain) });
    }
  }
  return out;
}

/**
 * The scans behind `reachedLocks`' ALTER DOMAIN locks: one per table (or set of tables) whose rows it checks,
 * in the locks' order, pushed onto `out` (most statements have none: no array is made for them).
 * @returns `out`
 */
export function reachedEffects(locks: readonly LockFact[], out: Effect[] = []): Effect[] {
  for (const l of locks) {
    if (l.manual === ALTER_DOMAIN) out.push({ kind: 'scan' as const, table: l.key, reason: `${l.operation} checks every row of the columns that use the domain`, manual: ALTER_DOMAIN });
  }
  return out;
}
