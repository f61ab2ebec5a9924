import { flatMapped } from '../src/core/collect.js';
import { defineRule } from '../src/core/rule.js';
import type { SessionFact } from '../src/core/unit.js';

const PATH: Record<Exclude<NonNullable<SessionFact['leak']>['path'], 'never-closed'>, string> = {
  'early-exit': 'this early exit skips its commit/rollback and release',
  'throw-path': 'if this call throws, nothing commits, rolls back or releases it',
  'other-connection': 'DDL runs on another connection while its transaction is still open, and waits for any lock that transaction holds',
};

/** Why it leaks, in words that fit what is missing (a runner that commits but is never released). */
function how(leak: NonNullable<SessionFact['leak']>): string {
  if (leak.path !== 'never-closed') return PATH[leak.path];
  return leak.state === 'idle' ? 'it is never released' : 'it is never committed or rolled back';
}

export default defineRule({
  meta: {
    id: 'no-idle-in-transaction',
    description: 'A connection or transaction opened in migration code must be committed or rolled back and released on every path.',
    fixable: 'sometimes',
    recommended: true,
    category: 'transactions',
    appliesTo: ['code'],
  },
  check(unit) {
    return flatMapped(unit.sessions, (s) => {
      if (!s.leak) return [];
      const check = s.checkQuery ? ' The canonical case: a catalog check query run on a session that is then left open.' : '';
      return [
        {
          ruleId: 'no-idle-in-transaction',
          message: `\`${s.name}\` (${s.label}) is left "${s.leak.state}": ${how(s.leak)}.`,
          note:
            s.leak.state === 'idle in transaction'
              ? `A session idle in transaction keeps every lock it took, even the ACCESS SHARE of a SELECT, so the next DDL on those tables waits behind it and every query queues behind that DDL.${check}`
              : 'A connection that is never released stays checked out of the pool until the process exits.',
          help: s.help ?? (s.checkQuery
            ? 'Run existence checks on an autocommit path (migrun\'s ctx.check.constraintExists, or a plain pool.query), not on a session that opens a transaction.'
            : 'Wrap its use in try { ... COMMIT } catch { ROLLBACK; throw } finally { release }, or use the framework\'s managed transaction callback.'),
          span: s.leak.span,
          related: [
            { span: s.span, message: `\`${s.name}\` is acquired here.` },
            ...(s.checkQuery ? [{ span: s.checkQuery, message: 'The check query that opens the transaction.' }] : []),
            ...(s.leak.waiting ? [{ span: s.leak.waiting, message: 'The DDL on another connection that waits behind it.' }] : []),
          ].filter((r, i) => i === 0 || r.span.start !== s.leak!.span.start || r.span.end !== s.leak!.span.end),
          // The frontend's edits change control flow (or where the check runs): never applied by plain --fix.
          ...(s.fix ? { fix: { title: s.fix.title, applicability: 'unsafe' as const, edits: s.fix.edits.map((e) => ({ ...e })) } } : {}),
        },
      ];
    });
  },
});
