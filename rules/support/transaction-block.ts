/**
 * What the rules about statements PostgreSQL refuses inside a transaction block
 * (`ban-concurrent-index-creation-in-transaction`, `ban-statement-in-transaction-block`)
 * share: whether the statement will run in one, whose, and the finding for a
 * wrapping transaction switched by a value known only at run time.
 *
 * PostgreSQL behaviour relied on: such a statement fails with "cannot run inside a
 * transaction block", SQLSTATE 25001 active_sql_transaction; several statements
 * sent as one simple-protocol query string run as one implicit transaction block
 * (protocol-flow.html, "Multiple Statements in a Simple Query").
 */
import type { Diagnostic } from '../../src/core/diagnostic.js';
import type { MigrationUnit, Statement } from '../../src/core/unit.js';
import { factsOf } from '../../src/sql/facts.js';

/** Why `s` runs inside a transaction block, as a clause (`it runs inside the transaction block opened by ...`). */
export function whyInTransaction(unit: MigrationUnit, s: Statement): string {
  switch (factsOf(s).transaction.owner) {
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

/**
 * Whether `s` runs in a transaction block: `'yes'`, `'no'`, or `'run-time'` when the
 * framework's wrapping transaction is switched by a value only running the code tells
 * (`unit.wrapped.runtimeSwitch`).
 */
export function inTransactionBlock(unit: MigrationUnit, s: Statement): 'yes' | 'no' | 'run-time' {
  const owner = factsOf(s).transaction.owner;
  if (owner === 'none') return 'no';
  return owner === 'framework' && unit.wrapped.runtimeSwitch ? 'run-time' : 'yes';
}

/** The finding for a statement whose transaction block depends on a run-time switch (not a claim that it fails). */
export function runtimeSwitchFinding(unit: MigrationUnit, s: Statement, ruleId: string, tag: string): Diagnostic {
  return {
    ruleId,
    message: `${tag} may fail: whether the migration runs in its wrapping transaction depends on a value known only at run time (\`${unit.wrapped.runtimeSwitch}\`).`,
    note: `When the transaction is on, PostgreSQL rejects ${tag} inside it ("cannot run inside a transaction block", SQLSTATE 25001 active_sql_transaction) and the migration fails at this statement.`,
    help: 'Make the switch a literal (`false`) so the transaction mode is known before the migration runs, and keep this statement in a migration of its own.',
    span: s.span,
  };
}
