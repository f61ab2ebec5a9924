import { flatMapped } from '../src/core/collect.js';
import { defineRule } from '../src/core/rule.js';
import { quoteName } from '../src/sql/describe.js';
import { claim } from '../src/sql/facts.js';
import { columnAddedInUnit, existingTableAlters } from './support/existing.js';

/**
 * `ALTER COLUMN ... DROP NOT NULL` on a column the migration did not add, unless the facts know it is
 * nullable already (an earlier migration file made it so, src/sql/prior.ts): readers
 * written against the NOT NULL column (non-nullable fields in the application's
 * types, `NOT IN` subqueries) meet NULLs once new code writes them.
 */
export default defineRule({
  meta: {
    id: 'ban-drop-not-null',
    description: 'DROP NOT NULL lets NULLs reach code that assumes there are none.',
    fixable: 'none',
    recommended: true,
    defaultSeverity: 'warning',
    category: 'compatibility',
    appliesTo: ['sql', 'code'],
  },
  check(unit) {
    return flatMapped(existingTableAlters(unit), ({ statement: s, facts: f, lock, sub }) => {
      if (sub.kind !== 'drop-not-null' || columnAddedInUnit(f, sub.column)) return [];
      // A column known to be nullable already (from this migration or an earlier one): DROP NOT NULL changes nothing.
      if (f.table !== null && f.columnBefore(f.table, sub.column).notNull === false) return [];
      return [
        {
          ruleId: 'ban-drop-not-null',
          message: `DROP NOT NULL on column ${quoteName(sub.column)} of existing table ${quoteName(lock.relation)}.`,
          note: 'Code that reads the column was written for a column that is never NULL (non-nullable fields in the application\'s types, NOT IN subqueries, aggregates); once rows with NULL appear, it fails or silently returns wrong answers.',
          help: 'Keep the constraint until every reader handles NULL (migrate the readers first), then drop it; or keep NOT NULL with a DEFAULT.',
          span: s.span,
          lock: claim(lock, f.effects),
        },
      ];
    });
  },
});
