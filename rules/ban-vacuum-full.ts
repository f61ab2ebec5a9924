import { flatMapped } from '../src/core/collect.js';
import { defineRule } from '../src/core/rule.js';
import { lockSentence, quoteName } from '../src/sql/describe.js';
import { claim, factsOf } from '../src/sql/facts.js';
import { clusterTarget, vacuumFact } from '../src/sql/maintenance.js';

/**
 * `VACUUM FULL` and `CLUSTER` rewrite the table under ACCESS EXCLUSIVE (sql-vacuum.html,
 * sql-cluster.html): reads and writes stop for the whole copy. PostgreSQL 19's
 * `REPACK (CONCURRENTLY)` does the same without the long lock; before 19, the pg_repack
 * or pg_squeeze extensions. Quiet on tables the migration created (nothing to rewrite).
 */
export default defineRule({
  meta: {
    id: 'ban-vacuum-full',
    description: 'VACUUM FULL and CLUSTER rewrite the table under ACCESS EXCLUSIVE.',
    fixable: 'none',
    recommended: true,
    category: 'locking',
    appliesTo: ['sql', 'code'],
  },
  check(unit) {
    return flatMapped(unit.statements, (s) => {
      const v = vacuumFact(s.node);
      const cluster = clusterTarget(s.node);
      if (!(v?.full || cluster !== undefined)) return [];
      const f = factsOf(s);
      const form = v ? 'VACUUM FULL' : 'CLUSTER';
      const named = f.locks.length > 0;
      const lock = f.locks.find((l) => l.existing);
      if (named && !lock) return [];
      const instead = f.pgVersion >= 19 ? 'Use REPACK (CONCURRENTLY) (PostgreSQL 19+), which rewrites the table without blocking reads and writes for the copy' : `On PostgreSQL ${f.pgVersion} use the pg_repack or pg_squeeze extension (REPACK (CONCURRENTLY) comes in 19), which rewrite the table with only brief locks`;
      return [
        {
          ruleId: 'ban-vacuum-full',
          message: lock ? `${form} on existing table ${quoteName(lock.relation)}.` : `${form} without a table: it rewrites ${v ? 'every table of the database' : 'every table clustered before'}.`,
          note: `${lock ? lockSentence(lock) : `${form} takes an ACCESS EXCLUSIVE lock on each table, which blocks all reads and writes`}, while it copies the whole table and rebuilds its indexes (it also needs free disk space for the copy).`,
          help: `${instead}; or run it in a maintenance window, not in a migration. A plain VACUUM (no FULL) reclaims space for reuse without the lock.`,
          span: s.span,
          ...(lock ? { lock: claim(lock, f.effects) } : {}),
        },
      ];
    });
  },
});
