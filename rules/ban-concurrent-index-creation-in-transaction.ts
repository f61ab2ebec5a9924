import { flatMapped } from '../src/core/collect.js';
import { defineRule } from '../src/core/rule.js';
import { factsOf } from '../src/sql/facts.js';
import { transactionFix } from '../src/fix/index-fixes.js';
import { inTransactionBlock, runtimeSwitchFinding, whyInTransaction } from './support/transaction-block.js';

const ID = 'ban-concurrent-index-creation-in-transaction';

export default defineRule({
  meta: {
    id: ID,
    description: 'CREATE/DROP INDEX CONCURRENTLY, REINDEX CONCURRENTLY and DETACH PARTITION CONCURRENTLY cannot run inside a transaction block.',
    fixable: 'sometimes',
    recommended: true,
    category: 'transactions',
    appliesTo: ['sql', 'code'],
  },
  check(unit, context) {
    return flatMapped(unit.statements, (s) => {
      const f = factsOf(s);
      const detach = f.alter.some((sub) => sub.kind === 'detach-partition' && sub.concurrently);
      if (!f.kind.concurrentIndex && !detach) return [];
      const tag = detach ? 'ALTER TABLE ... DETACH PARTITION ... CONCURRENTLY' : f.kind.tag;
      const where = inTransactionBlock(unit, s);
      if (where === 'no') return [];
      // Not a claim that it fails: the switch decides, and only running the code tells which way.
      if (where === 'run-time') return [runtimeSwitchFinding(unit, s, ID, tag)];
      return [
        {
          ruleId: ID,
          message: `${tag} will fail: ${whyInTransaction(unit, s)}.`,
          note: `PostgreSQL rejects ${tag} inside a transaction block ("cannot run inside a transaction block", SQLSTATE 25001 active_sql_transaction), so the migration fails at this statement.`,
          help: 'Run it outside any transaction: switch the framework\'s transaction off for this migration (or remove BEGIN/COMMIT around it), and keep it in a migration of its own.',
          span: s.span,
          ...transactionFix(unit, s, context.settings),
        },
      ];
    });
  },
});
