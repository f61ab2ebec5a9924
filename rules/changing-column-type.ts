import { flatMapped } from '../src/core/collect.js';
import { defineRule } from '../src/core/rule.js';
import { lockSentence, quoteName } from '../src/sql/describe.js';
import { claim } from '../src/sql/facts.js';
import { existingTableAlters, subcommandEffect } from './support/existing.js';

/**
 * `ALTER COLUMN ... TYPE` that rewrites an existing table: everything but the
 * binary-coercible changes the statement facts recognise when the unit says the old
 * type (varchar(n) → varchar(m ≥ n) or text, numeric precision up, cidr → inet, and
 * on 12+ timestamp ↔ timestamptz with the session's TimeZone UTC; src/sql/costs.ts).
 * The note says why: the old type, USING, or an old type this migration does not show (then the
 * message says it "may" rewrite).
 */
export default defineRule({
  meta: {
    id: 'changing-column-type',
    description: 'ALTER COLUMN ... TYPE rewrites the table and its indexes under ACCESS EXCLUSIVE.',
    fixable: 'none',
    recommended: true,
    category: 'locking',
    appliesTo: ['sql', 'code'],
  },
  check(unit) {
    return flatMapped(existingTableAlters(unit), ({ statement: s, facts: f, lock, sub, index: i }) => {
      if (sub.kind !== 'alter-column-type') return [];
      const rewrite = subcommandEffect(f, i, 'rewrite');
      if (!rewrite) return [];
      return [
        {
          ruleId: 'changing-column-type',
          message: `ALTER COLUMN ${quoteName(sub.column)} TYPE ${sub.type?.text ?? '?'} on existing table ${quoteName(lock.relation)} ${rewrite.maybe ? 'may rewrite it' : 'rewrites it'}.`,
          note: `On PostgreSQL ${f.pgVersion}, ${rewrite.reason}. ${lockSentence(lock)}, held for the whole rewrite and index rebuild.`,
          help: 'Add a new column of the new type, write both from the application, backfill it in batches, switch the readers, then drop the old column in a later migration.',
          span: s.span,
          lock: claim(lock, f.effects),
        },
      ];
    });
  },
});
