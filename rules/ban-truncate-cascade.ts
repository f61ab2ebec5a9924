import { defineRule } from '../src/core/rule.js';
import { quoteName } from '../src/sql/describe.js';
import { factsOf } from '../src/sql/facts.js';

/**
 * `TRUNCATE ... CASCADE`: also empties every table with a foreign key to the
 * named ones, and theirs in turn, none of them named in the migration
 * (sql-truncate.html). No lock claim: the tables it reaches are only known to the database.
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
    return unit.statements.flatMap((s) => {
      const f = factsOf(s);
      if (f.kind.tag !== 'TRUNCATE' || !f.cascade) return [];
      const names = f.locks.map((l) => quoteName(l.relation)).join(', ');
      return [
        {
          ruleId: 'ban-truncate-cascade',
          message: `TRUNCATE ${names} CASCADE.`,
          note: 'CASCADE also truncates every table that has a foreign key to these, recursively: tables the migration does not name lose all their rows, and each of them is locked ACCESS EXCLUSIVE (all reads and writes blocked) until the transaction ends.',
          help: 'Name every table to empty in the TRUNCATE (it fails with feature_not_supported, 0A000, when a table outside the list references one inside, which is the check you want), or DELETE the rows you mean to remove.',
          span: s.span,
        },
      ];
    });
  },
});
