import { flatMapped } from '../src/core/collect.js';
import { defineRule } from '../src/core/rule.js';
import { lockSentence, quoteName } from '../src/sql/describe.js';
import type { MigrationUnit, Statement } from '../src/core/unit.js';
import { claim, factsOf } from '../src/sql/facts.js';
import { creationKey, DEFAULT_SEARCH_PATH, fromRangeVar, relationKey, splitKey, type RelationKey } from '../src/sql/names.js';
import { existingTableAlters } from './support/existing.js';

/**
 * Whether a statement after `s`, in the same transaction block, gives the old name `key` to
 * another relation (CREATE VIEW, as the help advises; CREATE TABLE or MATERIALIZED VIEW; a RENAME
 * TO it, the swap `t → t_old, t_new → t`): other sessions then never see the name missing.
 */
function nameTakenOver(unit: MigrationUnit, s: Statement, key: RelationKey): boolean {
  const tx = factsOf(s).transaction.id;
  if (tx === null) return false;
  const after = unit.statements.slice(unit.statements.indexOf(s) + 1);
  return after.some((x) => {
    const f = factsOf(x);
    if (f.transaction.id !== tx) return false;
    const path = x.context.searchPath ?? DEFAULT_SEARCH_PATH;
    if ('ViewStmt' in x.node) {
      const n = fromRangeVar(x.node.ViewStmt.view);
      return !!n && creationKey(n, path) === key;
    }
    if (f.kind.creates.some((n) => creationKey(n, path) === key)) return true;
    return f.table !== null && f.alter.some((sub) => sub.kind === 'rename-table' && relationKey(splitKey(f.table!).schema, sub.to) === key);
  });
}

/**
 * `ALTER TABLE ... RENAME TO` of a table the migration did not create: running code
 * that uses the old name fails with undefined_table (42P01) (sql-altertable.html, RENAME).
 * Not when the same transaction block then gives the old name to another relation (a view
 * over the renamed table, as the help advises, or a swap): no other session sees it missing.
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
    return flatMapped(existingTableAlters(unit), ({ statement: s, facts: f, lock, sub }) => {
      if (sub.kind !== 'rename-table') return [];
      if (lock.key !== null && nameTakenOver(unit, s, lock.key)) return [];
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
