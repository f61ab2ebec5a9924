import { flatMapped } from '../src/core/collect.js';
import { defineRule } from '../src/core/rule.js';
import { lockSentence, quoteName } from '../src/sql/describe.js';
import { claim } from '../src/sql/facts.js';
import { existingTableAlters, subcommandEffect } from './support/existing.js';

/**
 * `ADD COLUMN` that rewrites an existing table (the statement facts' effects,
 * src/sql/costs.ts): a VOLATILE default (src/sql/volatility.ts; an unknown function
 * counts as volatile, with a note), any DEFAULT before PostgreSQL 11, a STORED
 * generated column, a serial or identity column (sql-altertable.html, Notes).
 */
export default defineRule({
  meta: {
    id: 'adding-field-with-default',
    description: 'ADD COLUMN with a volatile DEFAULT, a STORED generated, serial or identity column rewrites the table.',
    fixable: 'none',
    recommended: true,
    category: 'locking',
    appliesTo: ['sql', 'code'],
  },
  check(unit) {
    return flatMapped(existingTableAlters(unit), ({ statement: s, facts: f, lock, sub, index: i }) => {
      if (sub.kind !== 'add-column') return [];
      const rewrite = subcommandEffect(f, i, 'rewrite');
      if (!rewrite) return [];
      const c = sub.column;
      const help =
        c.generated === 'stored'
          ? f.pgVersion >= 18
            ? 'Make it a VIRTUAL generated column (PostgreSQL 18+: computed when read, no rewrite), or add a plain column, backfill it in batches and keep it current with a trigger.'
            : 'Add a plain column, backfill it in batches and keep it current with a trigger (from PostgreSQL 18 a VIRTUAL generated column needs no rewrite).'
          : c.serial || c.identity
            ? 'Add the column without the sequence, create the sequence and SET DEFAULT nextval(...) (new rows only), backfill existing rows in batches, then make it NOT NULL the safe way.'
            : f.pgVersion < 11
              ? 'Before PostgreSQL 11 add the column without a DEFAULT, then ALTER COLUMN ... SET DEFAULT (new rows only) and backfill existing rows in batches.'
              : 'Add the column without a DEFAULT (or with a non-volatile one), then ALTER COLUMN ... SET DEFAULT with the volatile expression (new rows only) and backfill existing rows in batches.';
      return [
        {
          ruleId: 'adding-field-with-default',
          message: `ADD COLUMN ${quoteName(c.name)} ${rewrite.maybe ? 'may rewrite' : 'rewrites'} existing table ${quoteName(lock.relation)}.`,
          note: `On PostgreSQL ${f.pgVersion}, ${rewrite.reason}: the table and its indexes are written anew while ${lockSentence(lock)}, for as long as the rewrite takes.`,
          help,
          span: s.span,
          lock: claim(lock, f.effects),
        },
      ];
    });
  },
});
