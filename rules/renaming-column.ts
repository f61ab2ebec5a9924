import { flatMapped } from '../src/core/collect.js';
import { defineRule } from '../src/core/rule.js';
import { lockSentence, quoteName } from '../src/sql/describe.js';
import { claim } from '../src/sql/facts.js';
import { columnAddedInUnit, existingTableAlters } from './support/existing.js';

/**
 * `ALTER TABLE ... RENAME COLUMN` on a column the migration did not add: running code
 * that uses the old name fails with undefined_column (42703) (sql-altertable.html, RENAME).
 */
export default defineRule({
  meta: {
    id: 'renaming-column',
    description: 'RENAME COLUMN breaks application code that uses the old name.',
    fixable: 'none',
    recommended: true,
    category: 'compatibility',
    appliesTo: ['sql', 'code'],
  },
  check(unit) {
    return flatMapped(existingTableAlters(unit), ({ statement: s, facts: f, lock, sub }) => {
      if (sub.kind !== 'rename-column' || columnAddedInUnit(f, sub.from)) return [];
      return [
        {
          ruleId: 'renaming-column',
          message: `RENAME COLUMN ${quoteName(sub.from)} TO ${quoteName(sub.to)} on existing table ${quoteName(lock.relation)}.`,
          note: `Application code that is still running uses the old name and fails with undefined_column (42703) once this commits; the new code cannot run before it. ${lockSentence(lock)}.`,
          help: `Expand and contract: add ${quoteName(sub.to)}, write both, backfill it in batches, move the readers, then drop ${quoteName(sub.from)} in a later migration.`,
          span: s.span,
          lock: claim(lock, f.effects),
        },
      ];
    });
  },
});
