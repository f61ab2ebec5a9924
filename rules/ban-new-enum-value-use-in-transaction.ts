import type { Diagnostic } from '../src/core/diagnostic.js';
import { defineRule } from '../src/core/rule.js';
import type { Statement } from '../src/core/unit.js';
import { quoteName } from '../src/sql/describe.js';
import { enumChange, stringConstants } from '../src/sql/enums.js';
import { factsOf } from '../src/sql/facts.js';
import { creationKey, DEFAULT_SEARCH_PATH, lookupKey, sqlName } from '../src/sql/names.js';

/**
 * A value added by `ALTER TYPE ... ADD VALUE` used later in the same transaction
 * block: PostgreSQL refuses with unsafe_new_enum_value_usage (55P04, "unsafe use
 * of new value") until the transaction that added it commits (sql-altertype.html,
 * Notes). Not when the type itself was created in that transaction (the schema
 * delta's enum values say so). A use is a quoted constant equal to the value,
 * unless it is cast to another type.
 */
export default defineRule({
  meta: {
    id: 'ban-new-enum-value-use-in-transaction',
    description: 'A value added with ALTER TYPE ... ADD VALUE cannot be used before its transaction commits.',
    fixable: 'none',
    recommended: true,
    category: 'transactions',
    appliesTo: ['sql', 'code'],
  },
  check(unit) {
    const out: Diagnostic[] = [];
    const added: { value: string; type: string; typeName: string; tx: string; at: Statement }[] = [];
    for (const s of unit.statements) {
      const f = factsOf(s);
      const tx = f.transaction.id;
      if (tx === null) continue;
      const e = enumChange(s.node);
      if (e) {
        const path = s.context.searchPath ?? DEFAULT_SEARCH_PATH;
        const key = lookupKey(e.type, path);
        const createdHere = f.schema.enumValues(key).some((v) => v.source === 'create-type' && v.transaction === tx) || f.schema.enumValues(creationKey(e.type, path)).some((v) => v.source === 'create-type' && v.transaction === tx);
        if (!e.rename && !createdHere) added.push({ value: e.value, type: key, typeName: e.type.name, tx, at: s });
        continue;
      }
      const mine = added.filter((a) => a.tx === tx);
      if (!mine.length) continue;
      const used = new Set<string>();
      for (const c of stringConstants(s.node)) {
        const a = mine.find((x) => x.value === c.value && (c.castTo === null || c.castTo === x.typeName));
        if (!a || used.has(a.value)) continue;
        used.add(a.value);
        out.push({
          ruleId: 'ban-new-enum-value-use-in-transaction',
          message: `'${a.value}' is used in the same transaction that added it to enum ${quoteName(sqlName(enumChange(a.at.node)!.type))}.`,
          note: `PostgreSQL refuses to use an enum value added by ALTER TYPE ... ADD VALUE until that transaction commits: this statement fails with unsafe_new_enum_value_usage (55P04, "unsafe use of new value '${a.value}' of enum type ${a.typeName}") and the migration rolls back.`,
          help: 'Commit between them: add the value in one migration (or before a COMMIT) and use it in the next.',
          span: s.span,
          related: [{ span: a.at.span, message: `ADD VALUE '${a.value}' here, in the same transaction.` }],
        });
      }
    }
    return out;
  },
});
