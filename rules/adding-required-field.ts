import { flatMapped } from '../src/core/collect.js';
import { defineRule } from '../src/core/rule.js';
import { lockSentence, quoteName } from '../src/sql/describe.js';
import { claim } from '../src/sql/facts.js';
import { existingTableAlters } from './support/existing.js';

/**
 * `ALTER TABLE ... ADD COLUMN ... NOT NULL` without a DEFAULT on a table the
 * migration did not create: PostgreSQL fills the new column with NULL for every
 * existing row, so the statement fails with not_null_violation (23502) on a table
 * with rows (sql-altertable.html, ADD COLUMN), and running application code that
 * inserts without the column fails from then on.
 */
export default defineRule({
  meta: {
    id: 'adding-required-field',
    description: 'ADD COLUMN ... NOT NULL needs a DEFAULT on an existing table.',
    fixable: 'none',
    recommended: true,
    category: 'locking',
    appliesTo: ['sql', 'code'],
  },
  check(unit) {
    return flatMapped(existingTableAlters(unit), ({ statement: s, facts: f, lock, sub }) => {
      if (sub.kind !== 'add-column') return [];
      const c = sub.column;
      if (!c.notNull || c.default || c.identity || c.serial || c.generated) return [];
      return [
        {
          ruleId: 'adding-required-field',
          message: `ADD COLUMN ${quoteName(c.name)} NOT NULL without a DEFAULT on existing table ${quoteName(lock.relation)}.`,
          note: `Every existing row gets NULL in the new column, so on a table with rows the statement fails with not_null_violation (23502); where it succeeds, application code still running that inserts without the column fails. ${lockSentence(lock)}.`,
          help: 'Add the column nullable (or with a non-volatile DEFAULT), backfill it in batches, then enforce NOT NULL: CHECK (col IS NOT NULL) NOT VALID, VALIDATE CONSTRAINT, SET NOT NULL (12+, no scan).',
          span: s.span,
          lock: claim(lock, f.effects),
        },
      ];
    });
  },
});
