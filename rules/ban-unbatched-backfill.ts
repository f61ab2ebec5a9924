import { flatMapped } from '../src/core/collect.js';
import type { MigrationUnit } from '../src/core/unit.js';
import { defineRule } from '../src/core/rule.js';
import { quoteName } from '../src/sql/describe.js';
import { claim, factsOf } from '../src/sql/facts.js';

/** The framework's own way to batch (its module's idiom), named in the help. */
function batchedAlternative(unit: MigrationUnit): string {
  return unit.idioms?.batchedBackfill ?? 'in plain SQL, a job (or a loop in the application) running UPDATE ... WHERE id >= $1 AND id < $2 one range at a time, each its own transaction';
}

/**
 * A backfill in the migration: an UPDATE or DELETE of an existing table whose
 * WHERE does not bound it to one batch or a few targeted rows, or an INSERT ... SELECT
 * from an existing table (src/sql/dml.ts decides "bounded": a boolean selection and a
 * value rewrite, SET col ... WHERE col = const, are backfills; the message names the
 * reason). It runs as one statement in one
 * transaction: every matching row stays locked (FOR UPDATE row locks) until it
 * commits, the WAL burst lags replicas, and in the migration's transaction the DDL
 * locks taken earlier are held throughout (sql-update.html; explicit-locking.html).
 */
export default defineRule({
  meta: {
    id: 'ban-unbatched-backfill',
    description: 'UPDATE / DELETE of an existing table (or INSERT ... SELECT from one) must be batched by key range, not one statement over every row.',
    fixable: 'none',
    recommended: true,
    category: 'locking',
    appliesTo: ['sql', 'code'],
  },
  check(unit) {
    return flatMapped(unit.statements, (s) => {
      const f = factsOf(s);
      const d = f.dml;
      if (!d || d.bound === 'bounded') return [];
      const inTx = f.transaction.owner !== 'none' ? ' It runs inside the migration\'s transaction, so every lock taken before it in that transaction (DDL locks included) is held until it ends.' : '';
      // migrun's ctx.backfill is for the TS/JS and SQL migrations migrun runs, not Python ones.
      const migrun = unit.language === 'python' ? '' : "migrun's ctx.backfill({ table, set, where, key: 'id', batchSize: 1000 }) (resumable, with progress), or ";
      const help = `Batch it: one key range per short transaction, e.g. ${migrun}${batchedAlternative(unit)}. Keep the DDL in its own short migration.`;
      if (d.verb === 'INSERT ... SELECT') {
        const from = d.sources.map((x) => quoteName(x.relation)).join(', ');
        return [
          {
            ruleId: 'ban-unbatched-backfill',
            message: `INSERT ... SELECT copies every matching row of existing table ${from} in one statement${d.bound === 'none' ? '' : ` (${d.reason})`}.`,
            note: `${d.bound === 'none' ? 'The SELECT has no WHERE and no LIMIT' : `The SELECT is not one batch: ${d.why}`}; the copy runs as one transaction, holding its ROW EXCLUSIVE lock on ${quoteName(d.relation)} and a long-running snapshot (vacuum cannot clean up behind it), with a WAL burst that lags replicas.${inTx}`,
            help,
            span: s.span,
          },
        ];
      }
      if (!d.existing) return [];
      const lock = f.locks.find((l) => l.key === d.table);
      return [
        {
          ruleId: 'ban-unbatched-backfill',
          message: `${d.verb} of existing table ${quoteName(d.relation)} ${d.bound === 'none' ? 'without WHERE' : `not bounded to a batch (${d.reason})`}: a backfill in one statement.`,
          note: `${d.bound === 'none' ? 'It has no WHERE, so it touches every row' : `${d.why[0]!.toUpperCase()}${d.why.slice(1)}`}. One statement is one transaction: each row it ${d.verb === 'UPDATE' ? 'updates' : 'deletes'} stays row-locked (blocking other writers of that row) until it commits, and the WAL burst lags replicas.${inTx}`,
          help,
          span: s.span,
          ...(lock ? { lock: claim(lock, f.effects) } : {}),
        },
      ];
    });
  },
});
