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
 * - `DROP TABLE t` takes ACCESS EXCLUSIVE on every table `t` references by foreign
 *   key (the key's triggers on that table are dropped too); with `CASCADE`, on every
 *   table referencing `t` as well (its foreign key is dropped), one level: those
 *   tables stay. Without CASCADE a referenced table is not dropped at all
 *   (dependent_objects_still_exist, 2BP01). sql-droptable.html; the lock levels are
 *   explicit-locking.html#LOCKING-TABLES (ACCESS EXCLUSIVE: DROP TABLE).
 */
import type { Node } from 'libpg-query';
import { quoteName } from './describe.js';
import type { LockFact } from './facts.js';
import type { LockMode } from './lock-modes.js';
import type { Reach } from './locks.js';
import type { RelationKey } from './names.js';
import type { SchemaView } from './schema-delta.js';

const DROP_TABLE = 'sql-droptable.html';

/** How a reach set reads in messages and in `migrun plan`: `tables referencing "accounts"`. */
export function reachText(r: Reach): string {
  const name = quoteName(r.of);
  if (r.via === 'referencing') return `tables referencing ${name}${r.recursive ? ', and the tables referencing those' : ''}`;
  if (r.via === 'referenced') return `tables ${name} references`;
  return `tables using domain ${name}`;
}

function unnamed(reach: Reach, mode: LockMode, operation: string, manual: string): LockFact {
  return { relation: reachText(reach), target: null, relationKind: 'table', mode, operation, manual, reach, key: null, existing: true };
}

function named(key: RelationKey, mode: LockMode, operation: string, manual: string, view: SchemaView): LockFact {
  return { relation: key, target: null, relationKind: 'table', mode, operation, manual, key, existing: !view.tableCreated(key) };
}

/**
 * The locks `node` takes on tables it does not name, given the locks it names
 * (`locks`, resolved), the schema delta before it and whether it says CASCADE.
 * A set the delta knows in full (every table involved was created by the unit) has
 * no unnamed lock. Never throws.
 */
export function reachedLocks(node: Node, locks: readonly LockFact[], view: SchemaView, cascade: boolean): LockFact[] {
  const out: LockFact[] = [];
  const namedKeys = new Set(locks.flatMap((l) => (l.key !== null ? [l.key] : [])));
  const push = (l: LockFact) => {
    if (l.key !== null && namedKeys.has(l.key)) return;
    if (l.key !== null) namedKeys.add(l.key);
    out.push(l);
  };
  if ('DropStmt' in node && node.DropStmt.removeType === 'OBJECT_TABLE') {
    const dropped = locks.filter((l) => l.key !== null && l.operation === 'DROP TABLE').map((l) => l.key!);
    for (const t of dropped) {
      const complete = view.tableCreated(t);
      for (const c of view.constraints(t)) {
        if (c.kind === 'foreign-key' && c.references) push(named(c.references, 'ACCESS EXCLUSIVE', 'DROP TABLE', DROP_TABLE, view));
      }
      if (!complete) push(unnamed({ via: 'referenced', of: t }, 'ACCESS EXCLUSIVE', 'DROP TABLE', DROP_TABLE));
      if (!cascade) continue;
      for (const r of view.referencing(t)) push(named(r, 'ACCESS EXCLUSIVE', 'DROP TABLE ... CASCADE', DROP_TABLE, view));
      if (!complete) push(unnamed({ via: 'referencing', of: t }, 'ACCESS EXCLUSIVE', 'DROP TABLE ... CASCADE', DROP_TABLE));
    }
  }
  return out;
}
