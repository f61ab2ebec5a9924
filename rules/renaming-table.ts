import { defineRule } from '../src/core/rule.js';
import { lockSentence, quoteName } from '../src/sql/describe.js';
import { claim } from '../src/sql/facts.js';
import { existingTableAlters } from './support/existing.js';

/**
 * `ALTER TABLE ... RENAME TO` of a table the migration did not create: running code
 * that uses the old name fails with undefined_table (42P01) (sql-altertable.html, RENAME).
 */
export default defineRule({
  meta: {
    id: 'renaming-table',
    description: 'Renaming a table breaks application code that uses the old name.',
    fixable: 'none',
    recommended: true,
    category: 'compatibility',
    appliesTo: ['sql', 'code'],
  },
  check(unit) {
    return existingTableAlters(unit).flatMap(({ statement: s, facts: f, lock, sub }) => {
      if (sub.kind !== 'rename-table') return [];
      return [
        {
          ruleId: 'renaming-table',
          message: `RENAME TO ${quoteName(sub.to)} of existing table ${quoteName(lock.relation)}.`,
          note: `Application code that is still running uses the old name and fails with undefined_table (42P01) once this commits. ${lockSentence(lock)}.`,
          help: `Rename it and, in the same transaction, CREATE VIEW ${quoteName(lock.relation.replace(/^.*\./, ''))} AS SELECT * FROM ${quoteName(sub.to)} (a simple view accepts INSERT, UPDATE and DELETE), then drop the view once no code uses the old name; or expand and contract with a new table.`,
          span: s.span,
          lock: claim(lock, f.effects),
        },
      ];
    });
  },
});
