import type { Diagnostic } from '../src/core/diagnostic.js';
import { defineRule } from '../src/core/rule.js';
import type { Statement } from '../src/core/unit.js';
import { quoteName } from '../src/sql/describe.js';
import { factsOf, type LockFact } from '../src/sql/facts.js';

const SLOW = new Set(['scan', 'rewrite', 'index-build']);

/**
 * In one transaction, a statement takes ACCESS EXCLUSIVE on an existing table and a
 * later statement is slow (a scan, a rewrite, a backfill, an index build, from the
 * facts' effects on the target pgVersion): locks are held until the transaction
 * ends (explicit-locking.html), so the table is closed to reads and writes for the
 * whole slow statement. One finding per transaction block, on its first slow
 * statement, with the statement that took the lock and the later slow ones as related. A slow statement that takes ACCESS EXCLUSIVE on that
 * table itself holds it anyway: that is its own rule's finding, not this one's.
 * A `DROP TABLE` is not a holder: the table is gone once the transaction commits.
 */
export default defineRule({
  meta: {
    id: 'ban-long-lock-window',
    description: 'Nothing slow after an ACCESS EXCLUSIVE lock in the same transaction.',
    fixable: 'none',
    recommended: true,
    category: 'locking',
    appliesTo: ['sql', 'code'],
  },
  check(unit) {
    const out: Diagnostic[] = [];
    /** Per transaction block: the first statement that took ACCESS EXCLUSIVE on each existing table. */
    const held = new Map<string, Map<string, { s: Statement; lock: LockFact }>>();
    /** Per transaction block: its finding, once one statement was slow under the lock (later ones join its related). */
    const reported = new Map<string, Diagnostic>();
    for (const s of unit.statements) {
      const f = factsOf(s);
      const tx = f.transaction.id;
      if (tx === null) continue;
      const locks = held.get(tx);
      // Its effects only matter while an earlier statement holds a lock (they are computed on first ask).
      const slow = locks ? f.effects.find((e) => SLOW.has(e.kind)) : undefined;
      if (locks && slow) {
        const mine = new Set(f.locks.filter((l) => l.mode === 'ACCESS EXCLUSIVE').map((l) => l.key));
        const before = [...locks.entries()].filter(([k]) => !mine.has(k));
        const earlier = reported.get(tx);
        if (before.length && earlier) {
          earlier.related!.push({ span: s.span, message: `${f.kind.tag} is slow too (${slow.reason}) while the lock is held.` });
        } else if (before.length) {
          const [, first] = before[0]!;
          const names = before.map(([, h]) => quoteName(h.lock.relation)).join(', ');
          const d: Diagnostic = {
            ruleId: 'ban-long-lock-window',
            message: `${f.kind.tag} is slow and runs while ${names} ${before.length > 1 ? 'are' : 'is'} still locked ACCESS EXCLUSIVE by an earlier statement of this transaction.`,
            note: `${first.lock.operation} took an ACCESS EXCLUSIVE lock on ${quoteName(first.lock.relation)}, which blocks all reads and writes and is held until the transaction ends; this statement is slow (${slow.reason}${slow.versions ? ` on PostgreSQL ${f.pgVersion}` : ''}), so the table stays closed for as long as it takes.`,
            help: 'Commit between them: put the slow statement in its own migration (or before the lock is taken), or make it fast (batch the backfill, build the index CONCURRENTLY, add constraints NOT VALID and validate later).',
            span: s.span,
            related: before.map(([, h]) => ({ span: h.s.span, message: `${h.lock.operation} takes ACCESS EXCLUSIVE on ${quoteName(h.lock.relation)} here, held until the transaction ends.` })),
          };
          reported.set(tx, d);
          out.push(d);
        }
      }
      for (const l of f.locks) {
        // A dropped table is going away: queries on it fail after the commit whatever runs before it.
        if (l.mode !== 'ACCESS EXCLUSIVE' || !l.existing || l.key === null || l.relationKind === 'index' || l.operation.startsWith('DROP ')) continue;
        let m = held.get(tx);
        if (!m) held.set(tx, (m = new Map()));
        if (!m.has(l.key)) m.set(l.key, { s, lock: l });
      }
    }
    return out;
  },
});
