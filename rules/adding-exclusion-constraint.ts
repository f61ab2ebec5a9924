import { flatMapped } from '../src/core/collect.js';
import { defineRule } from '../src/core/rule.js';
import { lockSentence, quoteName } from '../src/sql/describe.js';
import { claim } from '../src/sql/facts.js';
import { existingTableAlters } from './support/existing.js';

/**
 * `ALTER TABLE ... ADD CONSTRAINT ... EXCLUDE` on a table the migration did not create:
 * the constraint's index is built and every row checked under ACCESS EXCLUSIVE, and
 * PostgreSQL has neither a `NOT VALID` nor a `USING INDEX` form for it (sql-altertable.html).
 */
export default defineRule({
  meta: {
    id: 'adding-exclusion-constraint',
    description: 'ADD CONSTRAINT ... EXCLUDE on an existing table blocks reads and writes while its index is built.',
    fixable: 'none',
    recommended: true,
    category: 'locking',
    appliesTo: ['sql', 'code'],
  },
  check(unit) {
    return flatMapped(existingTableAlters(unit), ({ statement: s, facts: f, lock, sub }) => {
      if (sub.kind !== 'add-constraint' || sub.constraint.kind !== 'exclude') return [];
      const k = sub.constraint;
      return [
        {
          ruleId: 'adding-exclusion-constraint',
          message: `ADD CONSTRAINT${k.name ? ` ${quoteName(k.name)}` : ''} EXCLUDE on existing table ${quoteName(lock.relation)}.`,
          note: `${lockSentence(lock)}, held while the constraint's index is built and every row checked; there is no NOT VALID or USING INDEX form to shorten it.`,
          help: 'Create the constraint with the table (a new table, filled and swapped in), or add it in a maintenance window with a short lock_timeout; on a small table the build is brief.',
          span: s.span,
          lock: claim(lock, f.effects),
        },
      ];
    });
  },
});
