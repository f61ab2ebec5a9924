import type { Diagnostic } from '../src/core/diagnostic.js';
import { defineRule } from '../src/core/rule.js';
import type { Phase, Statement } from '../src/core/unit.js';
import { onFrameworkConnection } from '../src/sql/context.js';
import { factsOf } from '../src/sql/facts.js';

export default defineRule({
  meta: {
    id: 'ban-uncommitted-transaction',
    description: 'A transaction block opened with BEGIN must be committed or rolled back in the same migration.',
    fixable: 'sometimes',
    recommended: true,
    category: 'transactions',
    appliesTo: ['sql', 'code'],
  },
  check(unit) {
    // The transaction blocks the statement facts track (per connection, by identity): a BEGIN's block is ended by a
    // later COMMIT, ROLLBACK or PREPARE TRANSACTION that runs in it.
    const last = new Map<Phase, Statement>();
    const ended = new Set<string>();
    const begins: Statement[] = [];
    const ends: Statement[] = [];
    for (const s of unit.statements) {
      last.set(s.phase, s);
      const f = factsOf(s);
      const tc = f.kind.transactionControl;
      if (tc === 'begin' && f.transaction.opens && f.transaction.id !== f.transaction.opens) begins.push(s);
      else if (tc === 'commit' || tc === 'rollback' || tc === 'prepare') {
        if (f.transaction.id) ended.add(`${s.phase}\u0000${f.transaction.id}`);
        ends.push(s);
      }
    }
    const open = begins.filter((b) => !ended.has(`${b.phase}\u0000${factsOf(b).transaction.opens}`));
    const out: Diagnostic[] = [];
    for (const begin of open) {
      const phase = begin.phase;
      // In a wrapped migration the framework commits its connection at the end, also a block reopened after a COMMIT.
      if ((unit.wrapped.byPhase?.[phase] ?? unit.wrapped.inTransaction) && onFrameworkConnection(begin)) continue;
      // A COMMIT that exists, but went through a pool: it may have ended another connection's block, or none.
      const pooledEnd = begin.connection === null && ends.some((e) => e.phase === phase && e.span.start > begin.span.start);
      const end = last.get(phase)!;
      const canAppend = unit.language === 'sql' && end.sqlToFile !== null;
      const text = unit.source.text;
      const after = canAppend ? /^\s*;/.exec(text.slice(end.span.end)) : null;
      const at = end.span.end + (after ? after[0].length : 0);
      out.push({
        ruleId: 'ban-uncommitted-transaction',
        message: pooledEnd
          ? `This ${/^\s*START\b/i.test(begin.sql) ? 'START TRANSACTION' : 'BEGIN'} is sent through a pool: the statements after it and its COMMIT may run on other connections, so the block it opens may never end.`
          : `This ${/^\s*START\b/i.test(begin.sql) ? 'START TRANSACTION' : 'BEGIN'} opens a transaction block that the migration never commits or rolls back.`,
        note: 'The session is left "idle in transaction": it keeps every lock its statements took (an ACCESS EXCLUSIVE lock from DDL blocks all reads and writes of that table) until the connection closes, and what it did is rolled back then.',
        help: pooledEnd
          ? 'Check out one client (const client = await pool.connect()) and run BEGIN, the statements and COMMIT on it, releasing it in a finally; or send them as one query string.'
          : 'End the transaction with COMMIT (or ROLLBACK) after its last statement.',
        span: begin.span,
        related: pooledEnd
          ? ends.filter((e) => e.phase === phase && e.span.start > begin.span.start).map((e) => ({ span: e.span, message: 'This COMMIT or ROLLBACK goes through the pool, maybe to another connection.' }))
          : [{ span: end.span, message: `The ${phase === 'other' ? 'migration' : `${phase} migration`}'s last statement: the transaction block is still open after it.` }],
        ...(canAppend ? { fix: { title: 'Append COMMIT;', applicability: 'safe' as const, edits: [{ start: at, end: at, text: `${after ? '' : ';'}${unit.source.eol}COMMIT;` }] } } : {}),
      });
    }
    return out;
  },
});
