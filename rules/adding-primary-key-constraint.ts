import { flatMapped } from '../src/core/collect.js';
import { defineRule } from '../src/core/rule.js';
import { lockSentence, quoteName } from '../src/sql/describe.js';
import { claim } from '../src/sql/facts.js';
import { existingTableAlters, subcommandEffect } from './support/existing.js';

const ID = 'adding-primary-key-constraint';

/**
 * `ALTER TABLE ... ADD PRIMARY KEY` without `USING INDEX` (or `ADD COLUMN ... PRIMARY
 * KEY`) on a table the migration did not create: the index is built under ACCESS
 * EXCLUSIVE, and columns not known to be NOT NULL get an implicit SET NOT NULL, a
 * scan of every row under the same lock (sql-altertable.html).
 */
export default defineRule({
  meta: {
    id: ID,
    description: 'ADD PRIMARY KEY on an existing table must use an index built CONCURRENTLY (USING INDEX) on NOT NULL columns.',
    fixable: 'none',
    recommended: true,
    category: 'locking',
    appliesTo: ['sql', 'code'],
  },
  check(unit) {
    return flatMapped(existingTableAlters(unit), ({ statement: s, facts: f, lock, sub, index: i }) => {
      const help = 'Make the columns NOT NULL without a long lock first (CHECK (col IS NOT NULL) NOT VALID, VALIDATE CONSTRAINT, SET NOT NULL: 12+), build the index with CREATE UNIQUE INDEX CONCURRENTLY (outside a transaction block), then ALTER TABLE ... ADD CONSTRAINT name PRIMARY KEY USING INDEX name.';
      if (sub.kind === 'add-constraint' && sub.constraint.kind === 'primary-key' && !sub.constraint.usingIndex) {
        const k = sub.constraint;
        // Asked only here: the statement's effects are computed on first ask.
        const scan = subcommandEffect(f, i, 'scan');
        const scanNote = scan ? ` ${scan.reason[0]!.toUpperCase()}${scan.reason.slice(1)}, under the same lock.` : '';
        return [
          {
            ruleId: ID,
            message: `ADD${k.name ? ` CONSTRAINT ${quoteName(k.name)}` : ''} PRIMARY KEY on existing table ${quoteName(lock.relation)} without USING INDEX.`,
            note: `${lockSentence(lock)}, held while the primary key's index is built over every row.${scanNote}`,
            help,
            span: s.span,
            lock: claim(lock, f.effects),
          },
        ];
      }
      if (sub.kind === 'add-column' && sub.column.primaryKey) {
        const c = sub.column;
        const fill = c.serial || c.identity ? ` The ${c.serial ? (c.type?.name ?? 'serial') : 'identity'} column is filled for every existing row, rewriting the table.` : '';
        return [
          {
            ruleId: ID,
            message: `ADD COLUMN ${quoteName(c.name)} PRIMARY KEY on existing table ${quoteName(lock.relation)}.`,
            note: `${lockSentence(lock)}, held while the primary key's index is built over every row.${fill}`,
            help: `Add the column without PRIMARY KEY (and fill it in batches), then: ${help[0]!.toLowerCase()}${help.slice(1)}`,
            span: s.span,
            lock: claim(lock, f.effects),
          },
        ];
      }
      return [];
    });
  },
});
