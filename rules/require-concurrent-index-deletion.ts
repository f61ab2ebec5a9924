import { flatMapped } from '../src/core/collect.js';
import { defineRule } from '../src/core/rule.js';
import type { Phase, Statement } from '../src/core/unit.js';
import { quoteName } from '../src/sql/describe.js';
import { droppedIndexKey, dropsTableIn, indexCreations, tableDrops, tableOfIndex, type IndexCreation, type TableDrops } from '../src/sql/index-tables.js';
import { claim, factsOf } from '../src/sql/facts.js';
import { dropObjectNames, dropObjectRelations } from '../src/sql/locks.js';
import type { RelationName } from '../src/sql/names.js';
import { concurrentIndexFix } from '../src/fix/index-fixes.js';

/**
 * Whether dropping index `n` concurrently gains nothing: the unit says which table
 * it is on (see `tableOfIndex`), and that table is new in this direction or this
 * direction drops it too (before: the index is already gone; after: the table's
 * ACCESS EXCLUSIVE lock comes anyway).
 */
function goesWithItsTable(drops: Map<Phase, TableDrops>, drop: Statement, n: RelationName, creations: readonly IndexCreation[]): boolean {
  const table = tableOfIndex(droppedIndexKey(n, drop, creations), drop, creations);
  if (table === null) return false;
  if (drop.context.createdTables.has(table)) return true;
  // `drop` itself is a DROP INDEX, so it is never among the statements that drop a table.
  return dropsTableIn(drops.get(drop.phase), table);
}

export default defineRule({
  meta: {
    id: 'require-concurrent-index-deletion',
    description: 'DROP INDEX must use CONCURRENTLY.',
    fixable: 'sometimes',
    recommended: true,
    category: 'locking',
    appliesTo: ['sql', 'code'],
  },
  check(unit, context) {
    let creations: IndexCreation[] | null = null;
    let drops: Map<Phase, TableDrops> | null = null;
    return flatMapped(unit.statements, (s) => {
      if (!('DropStmt' in s.node)) return [];
      const d = s.node.DropStmt;
      if (d.removeType !== 'OBJECT_INDEX' || d.concurrent) return [];
      creations ??= indexCreations(unit);
      drops ??= tableDrops(unit);
      const dropped = dropObjectRelations(d.objects);
      if (dropped.length > 0 && dropped.every((n) => goesWithItsTable(drops!, s, n, creations!))) return [];
      const names = dropObjectNames(d.objects).map(quoteName).join(', ');
      // ACCESS EXCLUSIVE on the index and on its table (sql-dropindex.html; explicit-locking.html#LOCKING-TABLES).
      const f = factsOf(s);
      const lock = f.locks.find((l) => l.relationKind === 'index' && l.key !== null);
      return [
        {
          ruleId: 'require-concurrent-index-deletion',
          message: `DROP INDEX ${names} without CONCURRENTLY.`,
          note: 'DROP INDEX takes an ACCESS EXCLUSIVE lock on the index\'s table, which blocks all reads and writes, and queues behind any running query on it.',
          help: 'Use DROP INDEX CONCURRENTLY IF EXISTS (SHARE UPDATE EXCLUSIVE: blocks neither reads nor writes), outside a transaction block.',
          span: s.span,
          ...(lock ? { lock: claim(lock, f.effects) } : {}),
          ...concurrentIndexFix(unit, s, context.settings),
        },
      ];
    });
  },
});
