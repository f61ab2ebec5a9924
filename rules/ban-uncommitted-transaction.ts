import type { Diagnostic } from '../src/core/diagnostic.js';
import { defineRule } from '../src/core/rule.js';
import type { Phase, Statement } from '../src/core/unit.js';
import { classify } from '../src/sql/classify.js';

export default defineRule({
  meta: {
    id: 'ban-uncommitted-transaction',
    description: 'A transaction block opened with BEGIN must be committed or rolled back in the same migration.',
    fixable: 'sometimes',
    recommended: true,
    category: 'transactions',
    appliesTo: ['sql', 'ts'],
  },
  check(unit) {
    const open = new Map<Phase, Statement>();
    const last = new Map<Phase, Statement>();
    for (const s of unit.statements) {
      last.set(s.phase, s);
      const tc = classify(s.node).transactionControl;
      if (tc === 'begin') open.set(s.phase, s);
      else if (tc === 'commit' || tc === 'rollback' || tc === 'prepare') open.delete(s.phase);
    }
    const out: Diagnostic[] = [];
    for (const [phase, begin] of open) {
      // In a wrapped migration the framework commits at the end, also a block reopened after a COMMIT.
      if (unit.wrapped.byPhase?.[phase] ?? unit.wrapped.inTransaction) continue;
      const end = last.get(phase)!;
      const canAppend = unit.language === 'sql' && end.sqlToFile !== null;
      const text = unit.source.text;
      const after = canAppend ? /^\s*;/.exec(text.slice(end.span.end)) : null;
      const at = end.span.end + (after ? after[0].length : 0);
      out.push({
        ruleId: 'ban-uncommitted-transaction',
        message: `This ${/^\s*START\b/i.test(begin.sql) ? 'START TRANSACTION' : 'BEGIN'} opens a transaction block that the migration never commits or rolls back.`,
        note: 'The session is left "idle in transaction": it keeps every lock its statements took (an ACCESS EXCLUSIVE lock from DDL blocks all reads and writes of that table) until the connection closes, and what it did is rolled back then.',
        help: 'End the transaction with COMMIT (or ROLLBACK) after its last statement.',
        span: begin.span,
        ...(canAppend ? { fix: { title: 'Append COMMIT;', applicability: 'safe' as const, edits: [{ start: at, end: at, text: `${after ? '' : ';'}${unit.source.eol}COMMIT;` }] } } : {}),
      });
    }
    return out;
  },
});
