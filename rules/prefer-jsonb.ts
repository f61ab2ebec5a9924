import { defineRule } from '../src/core/rule.js';
import { quoteName } from '../src/sql/describe.js';
import { builtin, checkTypePreference } from './support/column-types.js';

/**
 * A `json` column in `CREATE TABLE` or `ADD COLUMN`. `json` keeps the input text and
 * has no equality operator (datatype-json.html), so `SELECT DISTINCT`, `UNION`,
 * `GROUP BY` and `=` on it fail with undefined_function (42883), and every access reparses it.
 */
export default defineRule({
  meta: {
    id: 'prefer-jsonb',
    description: 'Use jsonb, not json, for new columns.',
    fixable: 'sometimes',
    recommended: true,
    defaultSeverity: 'warning',
    category: 'schema',
    appliesTo: ['sql', 'code'],
  },
  check(unit) {
    return checkTypePreference(unit, {
      ruleId: 'prefer-jsonb',
      matches: (d) => builtin(d.column.type, 'json'),
      message: (d, table) => `Column ${quoteName(d.column.name)} of ${table} is json.`,
      note: () => 'json stores the text as written and has no equality operator: SELECT DISTINCT, UNION, GROUP BY and = on the column fail with "could not identify an equality operator for type json", and every use parses the text again.',
      help: () => 'Declare it jsonb: stored parsed, with equality, containment (@>) and GIN indexing.',
      replacement: () => 'jsonb',
      fixTitle: () => 'Use jsonb (unsafe: jsonb does not keep key order, duplicate keys or whitespace of the input)',
      equivalent: (d) => `${d.column.name} jsonb${d.column.type?.array ? '[]' : ''}`,
    });
  },
});
