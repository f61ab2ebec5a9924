import { flatMapped } from '../src/core/collect.js';
import { defineRule } from '../src/core/rule.js';
import type { MigrationUnit } from '../src/core/unit.js';
import { quoteName } from '../src/sql/describe.js';
import { claim, factsOf } from '../src/sql/facts.js';
import { creationKey, DEFAULT_SEARCH_PATH } from '../src/sql/names.js';

/** Tables the unit's `up` direction creates: a `down` that drops them only reverses it. */
function createdByUp(unit: MigrationUnit): Set<string> {
  const out = new Set<string>();
  for (const s of unit.statements) if (s.phase === 'up') for (const n of factsOf(s).kind.creates) out.add(creationKey(n, s.context.searchPath ?? DEFAULT_SEARCH_PATH));
  return out;
}

/**
 * `DROP TABLE` of a table the migration did not create: its rows are gone for
 * good, and application code still running that reads or writes it fails
 * (sql-droptable.html). A table created earlier in the same direction, a
 * `down` that drops what its `up` created, and a down-only file (diesel's
 * `down.sql`, whose `up.sql` is another unit) are not reported.
 */
export default defineRule({
  meta: {
    id: 'ban-drop-table',
    description: 'DROP TABLE of an existing table loses its data and breaks code still using it.',
    fixable: 'none',
    recommended: true,
    category: 'correctness',
    appliesTo: ['sql', 'code'],
  },
  check(unit) {
    let reversal: Set<string> | null = null;
    return flatMapped(unit.statements, (s) => {
      const f = factsOf(s);
      if (f.kind.tag !== 'DROP TABLE') return [];
      // The tables it references (and, with CASCADE, those referencing it) are locked too (src/sql/reach.ts): said in the note, not reported again.
      const tied = f.locks.some((l) => l.reach || l.operation !== 'DROP TABLE');
      return f.locks.flatMap((l) => {
        if (!l.existing || l.key === null || l.operation !== 'DROP TABLE' || l.reach) return [];
        // A down migration reverses its up: dropping what the up created (in this file, or in a separate up file miglint lints on its own) is the point.
        if (s.phase === 'down' && (unit.statements.every((x) => x.phase !== 'up') || (reversal ??= createdByUp(unit)).has(l.key))) return [];
        return [
          {
            ruleId: 'ban-drop-table',
            message: `DROP TABLE of existing table ${quoteName(l.relation)}.`,
            note: `Its rows are deleted for good (only a backup brings them back), and application code still running that reads or writes ${quoteName(l.relation)} fails with undefined_table (42P01) from the moment the migration commits; ${f.cascade ? 'CASCADE also drops the views and foreign keys that depend on it' : 'the DROP waits for an ACCESS EXCLUSIVE lock, queueing every query on the table behind it'}.${tied ? ` It also takes ACCESS EXCLUSIVE on any table it references by foreign key (the key's triggers there are dropped)${f.cascade ? ', on every table referencing it (their foreign keys are dropped)' : ''} and, for a partition, on its partitioned table, which blocks all reads and writes of those tables until the migration commits.` : ''}`,
            help: 'Stop using the table first: deploy code that no longer reads or writes it, keep it (or a renamed copy) for a release, then drop it in a later migration with this finding suppressed (a `miglint-ignore ban-drop-table` comment).',
            span: s.span,
            lock: claim(l, f.effects),
          },
        ];
      });
    });
  },
});
