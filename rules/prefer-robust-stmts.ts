import { defineRule } from '../src/core/rule.js';
import type { MigrationUnit, Phase, Statement } from '../src/core/unit.js';
import { factsOf } from '../src/sql/facts.js';
import { robustnessGaps } from '../src/sql/robust.js';

const ID = 'prefer-robust-stmts';

/**
 * The work statements (DDL, DML, utility) that may be left committed when a later
 * one fails: those followed, in the same direction, by a work statement outside
 * their transaction block (autocommit counts as a block of its own). The last block
 * of a direction is rolled back by its own failure, so a rerun redoes it cleanly.
 */
function committedBeforeALaterFailure(unit: MigrationUnit): Set<Statement> {
  const out = new Set<Statement>();
  const lastBlock = new Map<Phase, string>();
  for (let i = unit.statements.length - 1; i >= 0; i--) {
    const s = unit.statements[i]!;
    const f = factsOf(s);
    if (f.kind.class === 'transaction-control' || f.kind.class === 'session-setting' || f.kind.class === 'query') continue;
    const block = f.transaction.id ?? `autocommit:${i}`;
    const last = lastBlock.get(s.phase);
    if (last === undefined) lastBlock.set(s.phase, block);
    else if (last !== block) out.add(s);
  }
  return out;
}

function insertAt(s: Statement, at: number | null): number | null {
  if (at === null || s.interpolated || !s.sqlToFile) return null;
  return s.sqlToFile(at);
}

/**
 * CREATE / DROP (and ALTER TABLE ... ADD COLUMN / DROP COLUMN / DROP CONSTRAINT)
 * without `IF [NOT] EXISTS` in a migration that does not run in one transaction: when
 * it fails part-way (a concurrent index build that fails leaves an INVALID index
 * behind), the statements that ran stay committed and a rerun fails on them.
 */
export default defineRule({
  meta: {
    id: ID,
    description: 'CREATE / DROP in a migration that does not run in one transaction should use IF [NOT] EXISTS, so a rerun after a failure works.',
    fixable: 'sometimes',
    recommended: true,
    defaultSeverity: 'warning',
    category: 'transactions',
    appliesTo: ['sql', 'code'],
  },
  check(unit) {
    let exposed: Set<Statement> | null = null;
    return unit.statements.flatMap((s) => {
      // Builder calls are the framework's to phrase: not every builder can say IF [NOT] EXISTS (Sequelize's addIndex cannot).
      if (s.origin === 'builder') return [];
      // Outside up/down (a helper method): when and in which transaction it runs is not known from the file.
      if (s.phase === 'other') return [];
      const gaps = robustnessGaps(s.node, s.sql);
      if (gaps.length === 0) return [];
      exposed ??= committedBeforeALaterFailure(unit);
      // A failed CREATE INDEX CONCURRENTLY leaves an INVALID index of its name behind, even as the last statement.
      const leftover = factsOf(s).kind.tag === 'CREATE INDEX CONCURRENTLY';
      if (!leftover && !exposed.has(s)) return [];
      const why = leftover ? 'a failed concurrent build leaves an INVALID index of this name behind' : 'a later statement of this migration runs in another transaction, and if it fails this one stays committed';
      return gaps.map((g) => {
        const at = insertAt(s, g.at);
        return {
          ruleId: ID,
          message: `${g.form} without ${g.missing}: ${why}, so a rerun fails here.`,
          note: leftover
            ? `A failed CREATE INDEX CONCURRENTLY leaves an INVALID index of its name behind, so rerunning the migration stops here with an "already exists" error until someone drops it.`
            : `The migration does not run in one transaction block, so what ran before a failure stays committed, and rerunning it stops at this ${g.form} with ${g.missing === 'IF NOT EXISTS' ? 'an "already exists"' : 'a "does not exist"'} error.`,
          help: `Add ${g.missing} to the ${g.form} so the migration can be rerun, or run the whole migration in one transaction (where PostgreSQL allows it).`,
          span: s.span,
          ...(at !== null ? { fix: { title: `Add ${g.missing}`, applicability: 'safe' as const, edits: [{ start: at, end: at, text: ` ${g.missing}` }] } } : {}),
        };
      });
    });
  },
});
