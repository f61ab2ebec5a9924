import { defineRule } from '../src/core/rule.js';
import type { MigrationUnit, Statement } from '../src/core/unit.js';
import { classify } from '../src/sql/classify.js';
import { transactionFix } from '../src/fix/index-fixes.js';

function why(unit: MigrationUnit, s: Statement): string {
  switch (s.context.transaction) {
    case 'explicit':
      return 'it runs inside the transaction block opened by an explicit BEGIN earlier in this migration';
    case 'framework':
      return `it runs inside the migration's wrapping transaction (${unit.wrapped.reason})`;
    case 'code':
      return `it runs inside the transaction the migration code opens (${s.codeTransaction})`;
    case 'implicit':
      return 'it is sent in one query string with other statements, which PostgreSQL runs as one implicit transaction';
    default:
      return 'it runs inside a transaction block';
  }
}

export default defineRule({
  meta: {
    id: 'ban-concurrent-index-creation-in-transaction',
    description: 'CREATE/DROP INDEX CONCURRENTLY and REINDEX CONCURRENTLY cannot run inside a transaction block.',
    fixable: 'sometimes',
    recommended: true,
    category: 'transactions',
    appliesTo: ['sql', 'code'],
  },
  check(unit, context) {
    return unit.statements.flatMap((s) => {
      if (!s.context.inTransaction) return [];
      const info = classify(s.node);
      if (!info.concurrentIndex) return [];
      const runtime = s.context.transaction === 'framework' ? unit.wrapped.runtimeSwitch : undefined;
      if (runtime) {
        // Not a claim that it fails: the switch decides, and only running the code tells which way.
        return [
          {
            ruleId: 'ban-concurrent-index-creation-in-transaction',
            message: `${info.tag} may fail: whether the migration runs in its wrapping transaction depends on a value known only at run time (\`${runtime}\`).`,
            note: `When the transaction is on, PostgreSQL rejects ${info.tag} inside it ("cannot run inside a transaction block", SQLSTATE 25001 active_sql_transaction) and the migration fails at this statement.`,
            help: 'Make the switch a literal (`false`) so the transaction mode is known before the migration runs, and keep this statement in a migration of its own.',
            span: s.span,
          },
        ];
      }
      return [
        {
          ruleId: 'ban-concurrent-index-creation-in-transaction',
          message: `${info.tag} will fail: ${why(unit, s)}.`,
          note: `PostgreSQL rejects ${info.tag} inside a transaction block ("cannot run inside a transaction block", SQLSTATE 25001 active_sql_transaction), so the migration fails at this statement.`,
          help: 'Run it outside any transaction: switch the framework\'s transaction off for this migration (or remove BEGIN/COMMIT around it), and keep it in a migration of its own.',
          span: s.span,
          ...transactionFix(unit, s, context.settings),
        },
      ];
    });
  },
});
