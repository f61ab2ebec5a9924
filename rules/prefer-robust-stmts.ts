import { defineRule } from '../src/core/rule.js';
import type { MigrationUnit, Phase, Statement } from '../src/core/unit.js';
import { quoteName } from '../src/sql/describe.js';
import { factsOf } from '../src/sql/facts.js';
import { robustnessGaps, type RobustnessGap } from '../src/sql/robust.js';
import type { Fix } from '../src/core/diagnostic.js';

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
 * The fix replacing a builder call, whose framework has no IF [NOT] EXISTS form for it, by the
 * framework's raw query of the same SQL with ` IF [NOT] EXISTS` inserted: only for a call that
 * sends this one statement (no other statement or unanalysed part within its span), so nothing
 * else the call sends is lost, and only for a DROP or CREATE INDEX, whose translation is exact.
 */
function rawFix(unit: MigrationUnit, s: Statement, g: RobustnessGap): Fix | null {
  if (g.at === null || s.interpolated || !unit.edits.replaceWithRawQuery) return null;
  // Column definitions are translated approximately (an enum, a comment, a generated default the framework adds): never written back.
  if ('CreateStmt' in s.node || g.form === 'ADD COLUMN') return null;
  const within = (o: { span: { start: number; end: number } }) => o !== s && o.span.start < s.span.end && s.span.start < o.span.end;
  if (unit.statements.some(within) || unit.unanalysed.some(within)) return null;
  const head = s.sql.slice(0, g.at);
  const edits = unit.edits.replaceWithRawQuery(s, `${head} ${/[A-Z]/.test(head) ? g.missing : g.missing.toLowerCase()}${s.sql.slice(g.at)}`);
  return edits?.length ? { title: `Add ${g.missing} by writing the statement as a raw query`, applicability: 'safe', edits } : null;
}

/** The fix inserting ` IF [NOT] EXISTS` into SQL written in the file. */
function sqlFix(s: Statement, g: RobustnessGap): Fix | null {
  const at = insertAt(s, g.at);
  return at === null ? null : { title: `Add ${g.missing}`, applicability: 'safe', edits: [{ start: at, end: at, text: ` ${g.missing}` }] };
}

/**
 * The fix making a builder call send IF [NOT] EXISTS through the framework's own form of it (an
 * `ifNotExists: true` option, a chained `.ifNotExists()`, TypeORM's `ifNotExists` argument, knex's
 * `dropTableIfExists`); null when the framework has none for this call. The edits of one call are
 * the same for each of its statements (the fix engine shares identical edits).
 */
function builderFix(unit: MigrationUnit, s: Statement, g: RobustnessGap): Fix | null {
  const edits = unit.edits.setBuilderOptions?.(s, g.missing === 'IF NOT EXISTS' ? { ifNotExists: true } : { ifExists: true });
  if (!edits?.length) return rawFix(unit, s, g);
  const shown = edits.map((e) => e.text.replace(/^[\s,]+|[\s,]+$/g, '')).join(' ');
  return { title: `Add ${g.missing} with \`${shown}\``, applicability: 'safe', edits };
}

/** The name of the index a CREATE INDEX CONCURRENTLY builds, schema-qualified as its table is (an index lives in its table's schema). */
function leftoverName(s: Statement): string {
  const n = 'IndexStmt' in s.node ? s.node.IndexStmt : null;
  const schema = n?.relation?.schemaname;
  return n?.idxname ? (schema ? `${quoteName(schema)}.${quoteName(n.idxname)}` : quoteName(n.idxname)) : 'the index';
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
      // Builder calls of a frontend that cannot rewrite them as raw queries (the Python ones, for now) are left out:
      // their frameworks' IF [NOT] EXISTS options (Alembic's if_not_exists) are not modelled there yet.
      if (s.origin === 'builder' && !unit.edits.replaceWithRawQuery) return [];
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
        const fix = s.origin === 'builder' ? builderFix(unit, s, g) : sqlFix(s, g);
        return {
          ruleId: ID,
          message: `${g.form} without ${g.missing}: ${why}, so a rerun fails here.`,
          note: leftover
            ? `A failed CREATE INDEX CONCURRENTLY leaves an INVALID index of its name behind, so rerunning the migration stops here with an "already exists" error until someone drops it. IF NOT EXISTS lets the rerun go on, but it skips that INVALID index rather than building it: queries do not use an INVALID index, so drop it before the rerun (DROP INDEX CONCURRENTLY IF EXISTS ${leftoverName(s)}), or build the index with migrun's execIndex, which drops an INVALID leftover and builds it again.`
            : `The migration does not run in one transaction block, so what ran before a failure stays committed, and rerunning it stops at this ${g.form} with ${g.missing === 'IF NOT EXISTS' ? 'an "already exists"' : 'a "does not exist"'} error.`,
          help:
            s.origin !== 'builder'
              ? `Add ${g.missing} to the ${g.form} so the migration can be rerun, or run the whole migration in one transaction (where PostgreSQL allows it).`
              : fix
                ? fix.title.includes('`')
                  ? `Make the builder call send the ${g.form} with ${g.missing} (the fix adds ${fix.title.slice(fix.title.indexOf('`'))}) so the migration can be rerun, or run the whole migration in one transaction (where PostgreSQL allows it).`
                  : `The builder has no option for ${g.missing} here: write the statement with ${g.missing} as a raw query (the fix does), or run the whole migration in one transaction (where PostgreSQL allows it).`
                : `This builder call has no option that makes it send ${g.missing}: write the statement with ${g.missing} as a raw query, or run the whole migration in one transaction (where PostgreSQL allows it).`,
          span: s.span,
          ...(fix ? { fix } : {}),
        };
      });
    });
  },
});
