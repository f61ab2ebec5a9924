import { defineRule } from '../src/core/rule.js';
import { quoteName } from '../src/sql/describe.js';
import { factsOf } from '../src/sql/facts.js';
import { resolvedKey, sqlIdent } from '../src/sql/names.js';
import { builtin, checkTypePreference } from './support/column-types.js';

/**
 * A `varchar(n)` column in `CREATE TABLE` or `ADD COLUMN` (opt-in). Raising n later is
 * cheap, but lowering it rewrites the table under ACCESS EXCLUSIVE (sql-altertable.html,
 * Notes); `text` with a `CHECK (char_length(col) <= n)` can be changed with
 * `NOT VALID` + `VALIDATE CONSTRAINT` instead.
 */
export default defineRule({
  meta: {
    id: 'prefer-text-field',
    description: 'Use text with a CHECK on its length, not varchar(n), for new columns.',
    fixable: 'sometimes',
    recommended: false,
    category: 'schema',
    appliesTo: ['sql', 'code'],
  },
  check(unit) {
    const check = (name: string, n: number | null | undefined) => `CHECK (char_length(${sqlIdent(name)}) <= ${n ?? 'n'})`;
    return checkTypePreference(unit, {
      ruleId: 'prefer-text-field',
      matches: (d) => builtin(d.column.type, 'varchar') && d.column.type.typmods.length > 0 && !d.column.type.array,
      message: (d, table) => `Column ${quoteName(d.column.name)} of ${table} is ${d.column.type?.text}.`,
      note: () => 'Changing a varchar limit later is an ALTER COLUMN ... TYPE: raising it is free, but lowering it rewrites the table under an ACCESS EXCLUSIVE lock, which blocks all reads and writes; a CHECK on the length can be replaced with NOT VALID and validated without blocking.',
      help: (d) => `Declare it text ${check(d.column.name, d.column.type?.typmods[0])}.`,
      replacement: (d, s) => {
        // On a table with rows, a column CHECK in ADD COLUMN is validated by a scan under ACCESS EXCLUSIVE.
        if (d.via === 'add-column' && !(d.table !== null && factsOf(s).schema.tableCreated(resolvedKey(d.table, s.context)))) {
          return { why: 'on an existing table add it as text, then the CHECK with NOT VALID and VALIDATE CONSTRAINT in a later transaction' };
        }
        return `text ${check(d.column.name, d.column.type?.typmods[0])}`;
      },
      fixTitle: (_d, r) => `Use ${r} (unsafe: clients and ORMs that read the column's type see text)`,
      equivalent: (d) => `${sqlIdent(d.column.name)} text ${check(d.column.name, d.column.type?.typmods[0])}`,
    });
  },
});
