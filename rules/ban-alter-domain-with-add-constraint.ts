import { flatMapped } from '../src/core/collect.js';
import { defineRule } from '../src/core/rule.js';
import { quoteName } from '../src/sql/describe.js';
import { claim, factsOf, type LockFact } from '../src/sql/facts.js';
import { domainFact } from '../src/sql/maintenance.js';
import { sqlName } from '../src/sql/names.js';

/** `"public"."orders"`, or a set as the facts describe it (`tables using domain "public"."amount"`). */
const shown = (l: LockFact) => (l.reach ? l.relation : quoteName(l.relation));

function list(items: string[]): string {
  return items.length <= 1 ? (items[0] ?? '') : `${items.slice(0, -1).join(', ')} and ${items.at(-1)}`;
}

/**
 * `ALTER DOMAIN ... ADD CONSTRAINT` (without `NOT VALID`) and `SET NOT NULL` check the
 * new constraint against every column of every table that uses the domain, each under
 * a SHARE lock that blocks writes (sql-alterdomain.html; the lock as pg_locks shows it,
 * src/sql/reach.ts). The locks are the statement facts': tables the migration created or
 * changed by name, the others as "tables using domain ...". Quiet when every table it
 * locks is new in the migration (a domain it created, used by tables it created).
 * `ADD NOT NULL` before PostgreSQL 17 is a syntax error there (src/sql/versions.ts), not this.
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
    return flatMapped(unit.statements, (s) => {
      const d = domainFact(s.node);
      if (!d || !d.domain || (d.action !== 'add-constraint' && d.action !== 'set-not-null')) return [];
      const f = factsOf(s);
      const locks = f.locks.filter((l) => l.existing && l.operation.startsWith('ALTER DOMAIN'));
      const k = d.constraints[0];
      if (!k || k.notValid || locks.length === 0) return [];
      const name = quoteName(sqlName(d.domain));
      return [
        {
          ruleId: 'ban-alter-domain-with-add-constraint',
          message: `ALTER DOMAIN ${name} ${d.action === 'set-not-null' ? 'SET NOT NULL' : `ADD${k.name ? ` CONSTRAINT ${quoteName(k.name)}` : ''} ${k.kind === 'not-null' ? 'NOT NULL' : 'CHECK'}`} checks every column of type ${name}.`,
          note: `PostgreSQL checks the constraint against every row of every column of this domain, holding a SHARE lock on ${list(locks.map(shown))} (writes blocked, reads not) until the migration commits; the statement does not name those tables, so the cost is hidden.`,
          help: 'Put the rule on the columns instead: ALTER TABLE ... ADD CONSTRAINT ... CHECK (...) NOT VALID, then VALIDATE CONSTRAINT in a later transaction. Or add the domain constraint NOT VALID and validate it later (VALIDATE still takes the SHARE locks for its scan).',
          span: s.span,
          lock: claim(locks[0]!, f.effects),
        },
      ];
    });
  },
});
