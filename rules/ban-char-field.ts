import { defineRule } from '../src/core/rule.js';
import { quoteName } from '../src/sql/describe.js';
import { builtin, checkTypePreference } from './support/column-types.js';

/**
 * A `char(n)` / `character(n)` column (`bpchar`) in `CREATE TABLE` or `ADD COLUMN`: its
 * values are blank-padded to n, trailing spaces are insignificant in comparisons
 * and dropped on casts to text (datatype-character.html), and it is no faster than `varchar`.
 */
export default defineRule({
  meta: {
    id: 'ban-char-field',
    description: 'Use text or varchar, not char(n), for new columns.',
    fixable: 'sometimes',
    recommended: true,
    defaultSeverity: 'warning',
    category: 'schema',
    appliesTo: ['sql', 'code'],
  },
  check(unit) {
    const target = (n: number | null | undefined) => (n == null ? 'text' : `varchar(${n})`);
    return checkTypePreference(unit, {
      ruleId: 'ban-char-field',
      matches: (d) => builtin(d.column.type, 'bpchar'),
      message: (d, table) => `Column ${quoteName(d.column.name)} of ${table} is ${d.column.type?.text.replace(/^bpchar/, 'char')}.`,
      note: () => 'char(n) pads every value with spaces to n characters; the padding is ignored in comparisons and dropped when the value is cast to text, so equality, LIKE and concatenation surprise, and the storage is no smaller than varchar.',
      help: () => 'Declare it text (with a CHECK on its length if the length matters) or varchar(n).',
      replacement: (d) => target(d.column.type?.typmods[0]),
      fixTitle: (_d, r) => `Use ${r} (unsafe: values are no longer padded with spaces, which changes comparisons and what clients read)`,
      equivalent: (d) => `${d.column.name} ${target(d.column.type?.typmods[0])}${d.column.type?.array ? '[]' : ''}`,
    });
  },
});
