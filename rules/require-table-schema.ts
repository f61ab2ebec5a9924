import { flatMapped } from '../src/core/collect.js';
import { defineRule } from '../src/core/rule.js';
import { quoteName } from '../src/sql/describe.js';
import { factsOf } from '../src/sql/facts.js';
import { sqlName } from '../src/sql/names.js';

/**
 * A table named without its schema: which table it is depends on the
 * `search_path` of whoever runs the migration (ddl-schemas.html, "The Schema
 * Search Path"). Opt-in, for projects that keep several schemas. Temporary
 * tables (in `pg_temp`) are not reported.
 */
export default defineRule({
  meta: {
    id: 'require-table-schema',
    description: 'Name tables with their schema (audit.leads), not through the search_path.',
    fixable: 'none',
    recommended: false,
    category: 'correctness',
    appliesTo: ['sql', 'code'],
  },
  check(unit) {
    return flatMapped(unit.statements, (s) => {
      const f = factsOf(s);
      const names = new Set<string>();
      for (const n of f.kind.creates) if (n.schema === null && !n.temp) names.add(sqlName(n));
      for (const l of f.locks) if (l.relationKind !== 'index' && l.target && l.target.schema === null && !l.target.temp && !(l.key ?? '').startsWith('pg_temp.')) names.add(sqlName(l.target));
      return [...names].map((name) => ({
        ruleId: 'require-table-schema',
        message: `Table ${quoteName(name)} is named without its schema.`,
        note: `It resolves through the search_path of the session that runs the migration (here ${(s.context.searchPath ?? ['"$user"', 'public']).join(', ')}): the same migration can create or change a table in another schema on another database or role.`,
        help: `Qualify it: public.${name} (or the schema it belongs in).`,
        span: s.span,
      }));
    });
  },
});
