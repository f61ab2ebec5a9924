import { flatMapped } from '../src/core/collect.js';
import { defineRule } from '../src/core/rule.js';
import type { Statement } from '../src/core/unit.js';
import { factsOf } from '../src/sql/facts.js';
import { enumValueAdded, reindexFact } from '../src/sql/maintenance.js';
import { transactionFix } from '../src/fix/index-fixes.js';
import { inTransactionBlock, runtimeSwitchFinding, whyInTransaction } from './support/transaction-block.js';

const ID = 'ban-statement-in-transaction-block';

/**
 * The statement's form when PostgreSQL refuses it inside a transaction block on the
 * target version, else null. The CONCURRENTLY forms are
 * `ban-concurrent-index-creation-in-transaction`'s.
 */
function refusedForm(s: Statement): string | null {
  const f = factsOf(s);
  if (enumValueAdded(s.node)) return f.pgVersion < 12 ? 'ALTER TYPE ... ADD VALUE' : null;
  if (f.kind.transactional || f.kind.concurrentIndex || f.kind.class === 'transaction-control') return null;
  if (f.alter.some((sub) => sub.kind === 'detach-partition' && sub.concurrently)) return null;
  const reindex = reindexFact(s.node, s.sql);
  return reindex ? `REINDEX ${reindex.target.toUpperCase()}` : f.kind.tag;
}

export default defineRule({
  meta: {
    id: ID,
    description: 'VACUUM, CREATE DATABASE, ALTER SYSTEM, CREATE TABLESPACE, REINDEX SCHEMA/DATABASE (and ALTER TYPE ... ADD VALUE before 12) cannot run inside a transaction block.',
    fixable: 'sometimes',
    recommended: true,
    category: 'transactions',
    appliesTo: ['sql', 'code'],
  },
  check(unit, context) {
    return flatMapped(unit.statements, (s) => {
      const form = refusedForm(s);
      if (!form) return [];
      const where = inTransactionBlock(unit, s);
      if (where === 'no') return [];
      if (where === 'run-time') return [runtimeSwitchFinding(unit, s, ID, form)];
      const version = form === 'ALTER TYPE ... ADD VALUE' ? ` before PostgreSQL 12 (the target is ${factsOf(s).pgVersion}; from 12 on it may run in one, but the new value cannot be used until the transaction commits)` : '';
      return [
        {
          ruleId: ID,
          message: `${form} will fail: ${whyInTransaction(unit, s)}.`,
          note: `PostgreSQL rejects ${form} inside a transaction block${version} ("cannot run inside a transaction block", SQLSTATE 25001 active_sql_transaction), so the migration fails at this statement.`,
          help: 'Put it in a migration of its own that runs outside any transaction: switch the framework\'s or runner\'s transaction off for that migration (or remove BEGIN/COMMIT around it).',
          span: s.span,
          ...transactionFix(unit, s, context.settings),
        },
      ];
    });
  },
});
