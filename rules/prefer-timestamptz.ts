import { defineRule } from '../src/core/rule.js';
import { quoteName } from '../src/sql/describe.js';
import { builtin, checkTypePreference } from './support/column-types.js';

/**
 * A `timestamp` (without time zone) column in `CREATE TABLE` or `ADD COLUMN`: it stores
 * a wall-clock reading with no zone, so a `timestamptz` value assigned to it is
 * converted with the session's TimeZone and the offset is lost (datatype-datetime.html).
 */
export default defineRule({
  meta: {
    id: 'prefer-timestamptz',
    description: 'Use timestamptz, not timestamp without time zone, for new columns.',
    fixable: 'sometimes',
    recommended: true,
    defaultSeverity: 'warning',
    category: 'schema',
    appliesTo: ['sql', 'code'],
  },
  check(unit) {
    const target = (mods: readonly (number | null)[] | undefined) => `timestamptz${mods?.length && mods[0] != null ? `(${mods[0]})` : ''}`;
    return checkTypePreference(unit, {
      ruleId: 'prefer-timestamptz',
      matches: (d) => builtin(d.column.type, 'timestamp'),
      message: (d, table) => `Column ${quoteName(d.column.name)} of ${table} is timestamp without time zone.`,
      note: () => 'timestamp keeps no time zone: a value written with an offset (or from now(), which is timestamptz) is converted with the session\'s TimeZone and the offset is dropped, so two sessions with different TimeZone settings read and write different instants.',
      help: () => 'Declare it timestamptz (timestamp with time zone): it stores an instant and shows it in the reader\'s TimeZone.',
      replacement: (d) => target(d.column.type?.typmods),
      fixTitle: (_d, r) => `Use ${r} (unsafe: values written without an offset are read in the session's TimeZone, and clients receive them with an offset)`,
      equivalent: (d) => `${d.column.name} ${target(d.column.type?.typmods)}${d.column.type?.array ? '[]' : ''}`,
    });
  },
});
