import { flatMapped } from '../src/core/collect.js';
import { defineRule } from '../src/core/rule.js';
import { quoteName } from '../src/sql/describe.js';
import { domainFact } from '../src/sql/maintenance.js';
import { sqlName } from '../src/sql/names.js';

/**
 * `CREATE DOMAIN ... CHECK`: harmless today, but every later change of the check
 * (`ALTER DOMAIN ... ADD CONSTRAINT`) revalidates every column that uses the domain
 * under SHARE locks on their tables, and a domain check cannot be added NOT VALID per table.
 */
export default defineRule({
  meta: {
    id: 'ban-create-domain-with-constraint',
    description: 'CREATE DOMAIN ... CHECK: later changes of the check revalidate every column of the domain.',
    fixable: 'none',
    recommended: true,
    defaultSeverity: 'warning',
    category: 'locking',
    appliesTo: ['sql', 'code'],
  },
  check(unit) {
    return flatMapped(unit.statements, (s) => {
      const d = domainFact(s.node);
      if (!d || d.action !== 'create' || !d.domain) return [];
      const checks = d.constraints.filter((k) => k.kind === 'check');
      if (checks.length === 0) return [];
      return [
        {
          ruleId: 'ban-create-domain-with-constraint',
          message: `CREATE DOMAIN ${quoteName(sqlName(d.domain))} with a CHECK constraint.`,
          note: 'Changing the check later means ALTER DOMAIN ... DROP/ADD CONSTRAINT, which checks every row of every table with a column of the domain under a SHARE lock on each (writes blocked), with no per-table NOT VALID step.',
          help: 'Keep the domain plain and put CHECK constraints on the columns (ALTER TABLE ... ADD CONSTRAINT ... CHECK (...) NOT VALID, then VALIDATE CONSTRAINT), which can be changed table by table.',
          span: s.span,
        },
      ];
    });
  },
});
