import { flatMapped } from '../src/core/collect.js';
import { defineRule } from '../src/core/rule.js';
import { quoteName } from '../src/sql/describe.js';
import { enumChange } from '../src/sql/enums.js';
import { sqlName } from '../src/sql/names.js';

/**
 * `ALTER TYPE ... ADD VALUE` without `BEFORE` / `AFTER`: the value goes last, and
 * the order of an enum's values is what `<`, `ORDER BY` and indexes on the column
 * use (datatype-enum.html, "Ordering"). Opt-in: many enums have no meaningful order.
 */
export default defineRule({
  meta: {
    id: 'require-enum-value-ordering',
    description: 'ALTER TYPE ... ADD VALUE should say where the value goes (BEFORE / AFTER).',
    fixable: 'none',
    recommended: false,
    category: 'correctness',
    appliesTo: ['sql', 'code'],
  },
  check(unit) {
    return flatMapped(unit.statements, (s) => {
      const e = enumChange(s.node);
      if (!e || e.rename || e.placed) return [];
      return [
        {
          ruleId: 'require-enum-value-ordering',
          message: `ADD VALUE '${e.value}' to enum ${quoteName(sqlName(e.type))} without BEFORE or AFTER.`,
          note: "The value is added last. An enum's values sort in their declared order (comparisons, ORDER BY, range queries and indexes on the column use it), so where the value goes is part of the type and cannot be changed later without recreating it.",
          help: `Say where it belongs: ALTER TYPE ${sqlName(e.type)} ADD VALUE '${e.value}' BEFORE '<next value>' (or AFTER '<previous value>'); if last is right, say AFTER the current last value.`,
          span: s.span,
        },
      ];
    });
  },
});
