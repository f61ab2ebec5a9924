import { defineRule } from '../src/core/rule.js';
import { quoteName } from '../src/sql/describe.js';
import { domainFact } from '../src/sql/maintenance.js';
import { resolvedKey, sqlName, type RelationKey } from '../src/sql/names.js';

/**
 * `ALTER DOMAIN ... ADD CONSTRAINT` (without `NOT VALID`) checks the new constraint
 * against every column of every table that uses the domain, each under a SHARE lock
 * that blocks writes (sql-alterdomain.html). Quiet on a domain the migration created
 * earlier (its columns are in tables too new to hold rows others write).
 */
export default defineRule({
  meta: {
    id: 'ban-alter-domain-with-add-constraint',
    description: 'ALTER DOMAIN ... ADD CONSTRAINT checks every column that uses the domain, blocking writes to their tables.',
    fixable: 'none',
    recommended: true,
    category: 'locking',
    appliesTo: ['sql', 'code'],
  },
  check(unit) {
    const created = new Set<RelationKey>();
    return unit.statements.flatMap((s) => {
      const d = domainFact(s.node);
      if (!d || !d.domain) return [];
      const key = resolvedKey(d.domain, s.context);
      if (d.action === 'create') created.add(key);
      if ((d.action !== 'add-constraint' && d.action !== 'set-not-null') || created.has(key)) return [];
      return d.constraints.flatMap((k) => {
        if (k.notValid) return [];
        const name = quoteName(sqlName(d.domain!));
        return [
          {
            ruleId: 'ban-alter-domain-with-add-constraint',
            message: `ALTER DOMAIN ${name} ${d.action === 'set-not-null' ? 'SET NOT NULL' : `ADD${k.name ? ` CONSTRAINT ${quoteName(k.name)}` : ''} ${k.kind === 'not-null' ? 'NOT NULL' : 'CHECK'}`} checks every column of type ${name}.`,
            note: 'PostgreSQL checks the constraint against every row of every table with a column of this domain, holding a SHARE lock on each of those tables (writes blocked) until the migration commits; the tables are not named in the statement, so the cost is hidden.',
            help: 'Put the rule on the columns instead: ALTER TABLE ... ADD CONSTRAINT ... CHECK (...) NOT VALID, then VALIDATE CONSTRAINT in a later transaction. Or add the domain constraint NOT VALID and validate it later (VALIDATE still takes the SHARE locks for its scan).',
            span: s.span,
          },
        ];
      });
    });
  },
});
