import { flatMapped } from '../src/core/collect.js';
import { defineRule } from '../src/core/rule.js';
import { lockSentence, quoteName } from '../src/sql/describe.js';
import { claim } from '../src/sql/facts.js';
import { columnAddedInUnit, columnsAddedByUp, existingTableAlters } from './support/existing.js';

/**
 * `ALTER TABLE ... DROP COLUMN` on a column the migration did not add: application code
 * still running selects or inserts it by name and fails with undefined_column (42703)
 * from the moment the migration commits (sql-altertable.html, DROP COLUMN).
 */
export default defineRule({
  meta: {
    id: 'ban-drop-column',
    description: 'DROP COLUMN breaks application code that still uses the column.',
    fixable: 'none',
    recommended: true,
    category: 'compatibility',
    appliesTo: ['sql', 'code'],
  },
  check(unit) {
    const undone = columnsAddedByUp(unit);
    let downOnly: boolean | undefined;
    return flatMapped(existingTableAlters(unit), ({ statement: s, facts: f, lock, sub }) => {
      if (sub.kind !== 'drop-column' || columnAddedInUnit(f, sub.column)) return [];
      // The down direction dropping what this migration's up added is its undo, not a drop of a column in use.
      // A down-only file (diesel's down.sql, golang-migrate's and pop's .down.sql) reverses an up file miglint lints on its own, as for ban-drop-table.
      if (s.phase === 'down' && (undone.has(`${f.table}.${sub.column}`) || (downOnly ??= unit.statements.every((x) => x.phase !== 'up')))) return [];
      // A builder that drops the column on its own (TypeORM's changeColumn recreating it) says so, and what to do instead.
      if (s.builderEffect) {
        return [
          {
            ruleId: 'ban-drop-column',
            message: `${s.builderEffect}: DROP COLUMN ${quoteName(sub.column)} of existing table ${quoteName(lock.relation)}, then ADD COLUMN.`,
            note: `Every value in the column is gone once this commits: the column is added again empty (or holding its default) in every row. ${lockSentence(lock)}.`,
            help: 'Change the type in place with a raw `ALTER TABLE ... ALTER COLUMN ... TYPE ... USING ...` query (see changing-column-type for its lock), or add a new column, backfill it and switch over in later releases.',
            span: s.span,
            lock: claim(lock, f.effects),
          },
        ];
      }
      return [
        {
          ruleId: 'ban-drop-column',
          message: `DROP COLUMN ${quoteName(sub.column)} of existing table ${quoteName(lock.relation)}.`,
          note: `Application code that is still running and names the column (ORMs list every mapped column in their SELECT and INSERT) fails with undefined_column (42703) once this commits, and the data is gone. ${lockSentence(lock)}.`,
          help: 'Stop reading and writing the column first (a release that no longer maps it, e.g. marked ignored in the ORM), then drop it in a later migration.',
          span: s.span,
          lock: claim(lock, f.effects),
        },
      ];
    });
  },
});
