import { flatMapped } from '../src/core/collect.js';
import { defineRule } from '../src/core/rule.js';
import type { MigrationUnit, Phase, Statement } from '../src/core/unit.js';
import { factsOf } from '../src/sql/facts.js';
import { robustnessGaps, type RobustnessGap } from '../src/sql/robust.js';
import type { Diagnostic } from '../src/core/diagnostic.js';
import { concurrentBuildDropSql, droppedJustBefore, gapFix, leftoverDropFix } from '../src/fix/robust-edits.js';

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

/** Why the fix cannot insert the DROP INDEX CONCURRENTLY IF EXISTS, for the help. */
function noDropFixWhy(unit: MigrationUnit, s: Statement): string {
  // Reported all the same: once the build is taken out of its block (the other rule's fix), it needs the drop.
  if (s.context.inTransaction) return 'the build runs inside a transaction block, where CONCURRENTLY fails (ban-concurrent-index-creation-in-transaction): take it out first';
  if (unit.wrapped.oneQueryString || unit.wrapped.concurrentDropCaveat) return `${unit.wrapped.concurrentDropCaveat ?? unit.wrapped.oneQueryString}, and a second statement beside the build puts both in one transaction block, where CONCURRENTLY fails: drop an INVALID leftover by hand before a rerun`;
  if (unit.framework === 'django' && s.phase === 'down') return 'Django unapplies the operations last to first, so an operation before this one would run after it: put the drop first in the same reverse_sql, e.g. reverse_sql=["DROP INDEX CONCURRENTLY IF EXISTS ...", "CREATE INDEX CONCURRENTLY ..."], which Django runs one statement at a time';
  return 'miglint cannot insert it here: the build shares its call or line with other code, or is not awaited';
}

/** The finding on a named CREATE INDEX CONCURRENTLY without the DROP INDEX CONCURRENTLY IF EXISTS of its name just before it. */
function concurrentBuildFinding(unit: MigrationUnit, s: Statement): Diagnostic {
  const drop = concurrentBuildDropSql(s);
  const ine = 'IndexStmt' in s.node && !!s.node.IndexStmt.if_not_exists;
  const fix = leftoverDropFix(unit, s);
  const form = ine ? 'CREATE INDEX CONCURRENTLY IF NOT EXISTS' : 'CREATE INDEX CONCURRENTLY';
  return {
    ruleId: ID,
    message: ine
      ? `${form} without \`${drop}\` just before it: after a failed build, a rerun skips the INVALID index the failure left behind instead of building it.`
      : `${form} without \`${drop}\` just before it: a failed concurrent build leaves an INVALID index of this name behind, so a rerun fails here.`,
    note: `A failed CREATE INDEX CONCURRENTLY leaves an INVALID index of its name behind (sql-createindex.html#SQL-CREATEINDEX-CONCURRENTLY). ${
      ine ? 'IF NOT EXISTS makes the rerun skip it: queries never use an INVALID index, and an INVALID unique index enforces nothing, so the migration is recorded as done without the index.' : 'Rerunning the migration stops here with an "already exists" error until someone drops it.'
    } \`${drop}\` just before the build, on the same connection, removes such a leftover (and, on a rerun after a build that succeeded, the valid index, which is then built again), so every run ends with a valid index.`,
    help: fix
      ? `Run \`${drop}\` just before the build (the fix inserts it as a statement of its own), or build the index with migrun's execIndex, which drops an INVALID leftover and builds it again.`
      : `Run \`${drop}\` just before the build, as a statement of its own on the same connection (${noDropFixWhy(unit, s)}), or build the index with migrun's execIndex, which drops an INVALID leftover and builds it again.`,
    span: s.span,
    ...(fix ? { fix } : {}),
  };
}

/** The help for a builder call that has no IF [NOT] EXISTS form, in the framework's words where it has them. */
function builderHelp(unit: MigrationUnit, g: RobustnessGap, how: string | null): string {
  if (how) return `Make the builder call send the ${g.form} with ${g.missing} (${how}) so the migration can be rerun, or run the whole migration in one transaction (where PostgreSQL allows it).`;
  const robust = unit.idioms?.robustBuilder?.(g.form, g.missing);
  if (robust) return `${robust}, or run the whole migration in one transaction (where PostgreSQL allows it).`;
  return `This builder call has no option that makes it send ${g.missing}: write the statement with ${g.missing} as a raw query, or run the whole migration in one transaction (where PostgreSQL allows it).`;
}

/**
 * CREATE / DROP (and ALTER TABLE ... ADD COLUMN / DROP COLUMN / DROP CONSTRAINT)
 * without `IF [NOT] EXISTS` in a migration that does not run in one transaction: when
 * it fails part-way, the statements that ran stay committed and a rerun fails on them.
 * A named CREATE INDEX CONCURRENTLY is robust only with a DROP INDEX CONCURRENTLY IF
 * EXISTS of its name just before it (a failed build leaves an INVALID index, which IF
 * NOT EXISTS would skip).
 */
export default defineRule({
  meta: {
    id: ID,
    description: 'CREATE / DROP in a migration that does not run in one transaction should use IF [NOT] EXISTS, and a concurrent index build should drop an INVALID leftover first, so a rerun after a failure works.',
    fixable: 'sometimes',
    recommended: true,
    defaultSeverity: 'warning',
    category: 'transactions',
    appliesTo: ['sql', 'code'],
  },
  check(unit) {
    let exposed: Set<Statement> | null = null;
    return flatMapped(unit.statements, (s, i): Diagnostic[] => {
      // Outside up/down (a helper method): when and in which transaction it runs is not known from the file.
      if (s.phase === 'other') return [];
      // A failed named CREATE INDEX CONCURRENTLY leaves an INVALID index of its name behind, even as the last statement.
      if ('IndexStmt' in s.node && s.node.IndexStmt.concurrent && s.node.IndexStmt.idxname) {
        // migrun's execIndex (and migrun's plan of a .sql file, which runs the build with it) drops an INVALID leftover before each build.
        if (s.executor === 'migrun-index' || s.executor === 'migrun-sql') return [];
        return droppedJustBefore(unit, i) ? [] : [concurrentBuildFinding(unit, s)];
      }
      // Which statements a later failure leaves committed first (one pass over the unit): the gaps' text positions are found only for those.
      exposed ??= committedBeforeALaterFailure(unit);
      if (!exposed.has(s)) return [];
      const gaps = robustnessGaps(s.node, s.sql, factsOf(s).pgVersion);
      if (gaps.length === 0) return [];
      const why = 'a later statement of this migration runs in another transaction, and if it fails this one stays committed';
      return gaps.map((g) => {
        const { fix, how } = gapFix(unit, s, g);
        return {
          ruleId: ID,
          message: `${g.form} without ${g.missing}: ${why}, so a rerun fails here.`,
          note: `The migration does not run in one transaction block, so what ran before a failure stays committed, and rerunning it stops at this ${g.form} with ${g.missing === 'IF NOT EXISTS' ? 'an "already exists"' : 'a "does not exist"'} error.`,
          help: s.origin !== 'builder' ? `Add ${g.missing} to the ${g.form} so the migration can be rerun, or run the whole migration in one transaction (where PostgreSQL allows it).` : builderHelp(unit, g, how),
          span: s.span,
          ...(fix ? { fix } : {}),
        };
      });
    });
  },
});
