import { flatMapped } from '../src/core/collect.js';
import { defineRule } from '../src/core/rule.js';
import { quoteName } from '../src/sql/describe.js';
import { claim, factsOf, type LockFact } from '../src/sql/facts.js';

/** `"public"."notes"`, or a set as the facts describe it (`tables referencing "public"."accounts", ...`). */
const shown = (l: LockFact) => (l.reach ? l.relation : quoteName(l.relation));

/**
 * `TRUNCATE ... CASCADE`: also empties every table with a foreign key to the
 * named ones, and theirs in turn, none of them named in the migration
 * (sql-truncate.html), each under ACCESS EXCLUSIVE (pg_locks on 15 and 18). The
 * statement facts name those the migration created or changed (src/sql/reach.ts);
 * the others are the set "tables referencing ...", which the finding claims.
 */
export default defineRule({
  meta: {
    id: 'ban-truncate-cascade',
    description: 'TRUNCATE ... CASCADE silently empties every table that references the named ones.',
    fixable: 'none',
    recommended: true,
    category: 'correctness',
    appliesTo: ['sql', 'code'],
  },
  check(unit) {
    return flatMapped(unit.statements, (s) => {
      const f = factsOf(s);
      if (f.kind.tag !== 'TRUNCATE' || !f.cascade) return [];
      const own = f.locks.filter((l) => l.operation === 'TRUNCATE');
      const reached = f.locks.filter((l) => l.operation === 'TRUNCATE ... CASCADE');
      const names = own.map((l) => quoteName(l.relation)).join(', ');
      // The set the database decides, else a table the migration made that it reaches.
      const claimed = reached.find((l) => l.reach) ?? reached[0];
      const which = reached.length ? `: ${reached.map(shown).join('; ')}` : '';
      return [
        {
          ruleId: 'ban-truncate-cascade',
          message: `TRUNCATE ${names} CASCADE.`,
          note: `CASCADE also truncates every table that has a foreign key to these, recursively${which}. Tables the migration does not name lose all their rows, and each of them is locked ACCESS EXCLUSIVE (all reads and writes blocked) until the transaction ends.`,
          help: 'Name every table to empty in the TRUNCATE (it fails with feature_not_supported, 0A000, when a table outside the list references one inside, which is the check you want), or DELETE the rows you mean to remove.',
          span: s.span,
          ...(claimed ? { lock: claim(claimed, f.effects) } : {}),
        },
      ];
    });
  },
});
