import type { Diagnostic } from '../src/core/diagnostic.js';
import { defineRule } from '../src/core/rule.js';
import type { MigrationUnit, Statement } from '../src/core/unit.js';
import { factsOf } from '../src/sql/facts.js';

const WHOSE = { explicit: "the file's own BEGIN", framework: "the runner's (or framework's) transaction", code: 'the transaction the code opened', implicit: 'the implicit transaction of the query string', none: '' } as const;

/** How to stop running in the runner's transaction, from the frontend's switch. */
function switchHelp(unit: MigrationUnit): string {
  if (unit.wrapped.switchAdvice) return unit.wrapped.switchAdvice;
  return "switch the runner's transaction off for this migration (its no-transaction setting) and keep your own BEGIN / COMMIT";
}

/**
 * Transaction control that fights the transaction already open
 * (sql-begin.html, sql-commit.html):
 * - `BEGIN` inside a transaction block (the file's, the runner's or the code's):
 *   PostgreSQL ignores it with WARNING 25001 (active_sql_transaction), so the
 *   `COMMIT` meant for it ends the outer transaction instead;
 * - `COMMIT` / `ROLLBACK` with no `BEGIN` of the file's own, inside the runner's
 *   (or the code's) transaction: it ends that transaction early, so what follows
 *   runs in autocommit, and the runner's own COMMIT later finds none (WARNING 25P01).
 * A `BEGIN` that is never closed is ban-uncommitted-transaction's; this rule
 * reports the nesting only, and the COMMIT that ends a nested BEGIN is named as
 * related to it, not reported again.
 */
export default defineRule({
  meta: {
    id: 'transaction-nesting',
    description: 'No BEGIN inside a transaction already open, no COMMIT / ROLLBACK of the runner\'s transaction.',
    fixable: 'none',
    recommended: true,
    category: 'transactions',
    appliesTo: ['sql', 'code'],
  },
  check(unit) {
    const out: Diagnostic[] = [];
    const ends = (from: Statement) => unit.statements.find((x) => x.span.start > from.span.start && x.phase === from.phase && factsOf(x).connection === factsOf(from).connection && ['commit', 'rollback'].includes(factsOf(x).kind.transactionControl ?? ''));
    for (const s of unit.statements) {
      const f = factsOf(s);
      const tc = f.kind.transactionControl;
      const owner = f.transaction.owner;
      if (tc === 'begin' && (owner === 'explicit' || owner === 'framework' || owner === 'code')) {
        const end = ends(s);
        out.push({
          ruleId: 'transaction-nesting',
          message: `BEGIN inside ${WHOSE[owner]}, which is still open.`,
          note: `PostgreSQL does not nest transactions: it ignores this BEGIN with WARNING 25001 (active_sql_transaction: there is already a transaction in progress), so ${end ? 'the COMMIT meant for it' : 'the next COMMIT'} ends ${WHOSE[owner]} early, and everything after it runs in autocommit, without the rollback the migration counts on.`,
          help: owner === 'explicit' ? 'Remove the inner BEGIN (use SAVEPOINT / RELEASE SAVEPOINT for a part that may fail on its own).' : `Remove BEGIN and its COMMIT and let ${WHOSE[owner]} cover the statements, or ${switchHelp(unit)}.`,
          span: s.span,
          ...(end ? { related: [{ span: end.span, message: `This ${factsOf(end).kind.tag} ends ${WHOSE[owner]}, not a nested one.` }] } : {}),
        });
      } else if ((tc === 'commit' || tc === 'rollback') && (owner === 'framework' || owner === 'code')) {
        out.push({
          ruleId: 'transaction-nesting',
          message: `${f.kind.tag} ends ${WHOSE[owner]} before the migration is done.`,
          note: `There is no BEGIN of the file's own here, so this ${f.kind.tag} ${tc === 'commit' ? 'commits' : 'rolls back'} ${WHOSE[owner]}: the statements after it run in autocommit (a failure no longer rolls the migration back), and the ${owner === 'framework' ? "runner's" : "code's"} own COMMIT at the end finds no transaction (WARNING 25P01, no_active_sql_transaction), or some runners fail on it.`,
          help: `Do not end a transaction you did not open: ${switchHelp(unit)}; a statement that cannot run in a transaction block (CREATE INDEX CONCURRENTLY) belongs in its own migration with the transaction off.`,
          span: s.span,
        });
      }
    }
    return out;
  },
});
