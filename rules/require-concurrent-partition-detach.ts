import { flatMapped } from '../src/core/collect.js';
import { defineRule } from '../src/core/rule.js';
import { lockSentence, quoteName } from '../src/sql/describe.js';
import { claim, factsOf } from '../src/sql/facts.js';
import { defaultPartitionParent } from '../src/sql/maintenance.js';
import { resolvedKey, sqlName, type RelationKey } from '../src/sql/names.js';
import { keywordOutsideTransactionFix } from '../src/fix/index-fixes.js';

/**
 * `ALTER TABLE ... DETACH PARTITION` without `CONCURRENTLY` (sql-altertable.html): ACCESS
 * EXCLUSIVE on the parent (every query on the partitioned table waits) and on the
 * partition. `CONCURRENTLY` (14+) takes SHARE UPDATE EXCLUSIVE on the parent, outside a
 * transaction block, and is refused while the parent has a default partition.
 */
export default defineRule({
  meta: {
    id: 'require-concurrent-partition-detach',
    description: 'DETACH PARTITION from an existing partitioned table must use CONCURRENTLY (PostgreSQL 14+).',
    fixable: 'sometimes',
    recommended: true,
    category: 'locking',
    appliesTo: ['sql', 'code'],
  },
  check(unit, context) {
    // Parents the migration gives a default partition, by key: CONCURRENTLY is refused there.
    const withDefault = new Set<RelationKey>();
    return flatMapped(unit.statements, (s) => {
      const f = factsOf(s);
      const parent = defaultPartitionParent(s.node);
      if (parent) withDefault.add(resolvedKey(parent, s.context));
      const sub = f.alter.find((a) => a.kind === 'detach-partition');
      if (!sub || sub.kind !== 'detach-partition' || sub.concurrently || sub.finalize) return [];
      const lock = f.locks.find((l) => l.key === f.table);
      if (!lock || !lock.existing) return [];
      const partition = sub.partition ? quoteName(sqlName(sub.partition)) : 'the partition';
      const base = {
        ruleId: 'require-concurrent-partition-detach',
        message: `DETACH PARTITION ${partition} from existing table ${quoteName(lock.relation)} without CONCURRENTLY.`,
        note: `${lockSentence(lock)}, and an ACCESS EXCLUSIVE lock on ${partition}: every query on the partitioned table waits for it, and it waits for every running query.`,
        span: s.span,
        lock: claim(lock, f.effects),
      };
      if (f.pgVersion < 14) {
        return [{ ...base, help: `PostgreSQL ${f.pgVersion} has no DETACH PARTITION ... CONCURRENTLY (it came in 14): keep the lock wait short with a small lock_timeout and retries, run it when the table is quiet, or upgrade.` }];
      }
      if (f.table !== null && withDefault.has(f.table)) {
        return [{ ...base, help: `Use DETACH PARTITION ... CONCURRENTLY outside a transaction block; it is refused while ${quoteName(lock.relation)} has a default partition, which this migration gives it: detach or drop the default partition first, or keep the lock wait short with lock_timeout.` }];
      }
      const end = s.sql.replace(/[\s;]+$/, '').length;
      const fix = keywordOutsideTransactionFix(unit, s, { at: end, text: ' CONCURRENTLY' }, 'Use DETACH PARTITION ... CONCURRENTLY', context.settings, 'unsafe').fix;
      return [
        {
          ...base,
          help: 'Use DETACH PARTITION ... CONCURRENTLY (14+): it takes SHARE UPDATE EXCLUSIVE on the parent, which blocks neither reads nor writes, and must run outside a transaction block. It is refused while the parent has a default partition; if interrupted, finish it with DETACH PARTITION ... FINALIZE.',
          ...(fix ? { fix } : {}),
        },
      ];
    });
  },
});
