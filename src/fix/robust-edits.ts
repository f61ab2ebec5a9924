/**
 * Edits that make a statement rerunnable: ` IF [NOT] EXISTS` in SQL written in the file, the
 * framework's option for it on a builder call (or the builder call rewritten as a raw query),
 * and the `DROP INDEX CONCURRENTLY IF EXISTS <name>` a concurrent index build needs just before it.
 *
 * PostgreSQL behaviour relied on (sql-createindex.html#SQL-CREATEINDEX-CONCURRENTLY,
 * sql-dropindex.html): a failed CREATE INDEX CONCURRENTLY leaves an INVALID index of its name
 * behind; DROP INDEX CONCURRENTLY IF EXISTS drops it (one index, outside a transaction block),
 * and does nothing when there is none; an index lives in its table's schema.
 */
import type { Fix, Span } from '../core/diagnostic.js';
import { overlapTest } from '../core/search.js';
import type { MigrationUnit, Statement } from '../core/unit.js';
import { isPlaceholder } from '../sql/describe.js';
import { factsOf } from '../sql/facts.js';
import { sqlIdent } from '../sql/names.js';
import { concurrentDropIfExistsKey, createdIndexKey, type RobustnessGap } from '../sql/robust.js';
import { FileMemo } from '../core/file-memo.js';

/** `text` in the letter case of the keywords of `written` (`create index` gets `drop index`). */
const sameCase = (written: string, text: string) => (/^[^a-zA-Z]*[a-z]/.test(written) ? text.toLowerCase() : text);

/**
 * `DROP INDEX CONCURRENTLY IF EXISTS <name>` for the index a named CREATE INDEX builds, its name
 * schema-qualified as its table is (an index lives in its table's schema); null for another statement.
 */
export function concurrentBuildDropSql(s: Statement): string {
  const n = 'IndexStmt' in s.node ? s.node.IndexStmt : null;
  const schema = n?.relation?.schemaname;
  const name = n?.idxname ? (schema ? `${sqlIdent(schema)}.${sqlIdent(n.idxname)}` : sqlIdent(n.idxname)) : 'the index';
  return `${sameCase(s.sql, 'DROP INDEX CONCURRENTLY IF EXISTS')} ${name}`;
}

/**
 * Whether the statement at `index` (a named CREATE INDEX) follows, in its direction, a
 * `DROP INDEX CONCURRENTLY IF EXISTS` of the same index (by schema-qualified key, each name
 * resolved through its statement's search_path) on the same connection, with only session
 * settings (`SET`) between them. Two statements outside transaction blocks may run on two
 * connections (a pool, a helper that opens one per call): the drop is committed before the build
 * starts all the same.
 */
export function droppedJustBefore(unit: MigrationUnit, index: number): boolean {
  const s = unit.statements[index]!;
  const key = createdIndexKey(s.node, s.context);
  if (key === null) return false;
  for (let j = index - 1; j >= 0; j--) {
    const p = unit.statements[j]!;
    if (p.phase !== s.phase) return false;
    if (factsOf(p).kind.class === 'session-setting') continue;
    // Outside transaction blocks the drop is committed before the build starts, whichever connection runs each.
    const autocommit = !p.context.inTransaction && !s.context.inTransaction;
    return concurrentDropIfExistsKey(p.node, p.context) === key && (autocommit || factsOf(p).connection === factsOf(s).connection);
  }
  return false;
}

/**
 * Whether the name (and schema) of the index a CREATE INDEX builds are known exactly: written in
 * the file, not an interpolated value, and so is its table's (the rest of an interpolated statement does
 * not matter to its drop).
 */
export function knownIndexName(s: Statement): boolean {
  const n = 'IndexStmt' in s.node ? s.node.IndexStmt : null;
  if (!n?.idxname) return false;
  // An interpolated table name may carry a schema (`${table}` = `audit.leads`), which is the index's.
  const unknown = (name: string) => isPlaceholder(name) || /^\$\{.*\}$/s.test(name);
  return !s.interpolated || ![n.idxname, n.relation?.schemaname ?? '', n.relation?.relname ?? ''].some(unknown);
}

/**
 * The fix inserting the `DROP INDEX CONCURRENTLY IF EXISTS` of a concurrent build just before
 * it (the frontend's `insertStatementJustBefore`), safe; null when the build runs in a
 * transaction block (it fails there anyway), its SQL is interpolated, or the frontend cannot insert.
 */
export function leftoverDropFix(unit: MigrationUnit, s: Statement): Fix | null {
  if (s.context.inTransaction || !knownIndexName(s)) return null;
  const drop = concurrentBuildDropSql(s);
  const edits = unit.edits.insertStatementJustBefore?.(s, drop);
  return edits?.length ? { title: `Insert \`${drop}\` just before the build`, applicability: 'safe', edits } : null;
}

/** The fix inserting ` IF [NOT] EXISTS` into SQL written in the file. */
function sqlFix(s: Statement, g: RobustnessGap): Fix | null {
  if (g.at === null || s.interpolated || !s.sqlToFile) return null;
  const at = s.sqlToFile(g.at);
  return at === null ? null : { title: `Add ${g.missing}`, applicability: 'safe', edits: [{ start: at, end: at, text: ` ${g.missing}` }] };
}

const overlaps = new FileMemo<MigrationUnit, (s: Statement) => boolean>();

/** Whether a statement's span overlaps that of another statement or unanalysed part of its unit: indexed once per unit (the question is asked of every builder statement with a gap). */
function sharesItsSpan(unit: MigrationUnit): (s: Statement) => boolean {
  let test = overlaps.get(unit);
  if (!test) overlaps.set(unit, (test = overlapTest<{ span: Span }>([...unit.statements, ...unit.unanalysed])));
  return test;
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
  if (sharesItsSpan(unit)(s)) return null;
  const head = s.sql.slice(0, g.at);
  const edits = unit.edits.replaceWithRawQuery(s, `${head} ${/[A-Z]/.test(head) ? g.missing : g.missing.toLowerCase()}${s.sql.slice(g.at)}`);
  return edits?.length ? { title: `Add ${g.missing} by writing the statement as a raw query`, applicability: 'safe', edits } : null;
}

/**
 * The fix of one IF [NOT] EXISTS gap, with what it does for a builder call's help (`how`, null
 * when there is no fix): SQL gets the clause; a builder call the framework's own form of it (an
 * `ifNotExists: true` option, a chained `.ifNotExists()`, Alembic's `if_not_exists=True` with the
 * release that added it), else its raw query. The edits of one call are the same for each of its
 * statements (the fix engine shares identical edits).
 */
export function gapFix(unit: MigrationUnit, s: Statement, g: RobustnessGap): { fix: Fix | null; how: string | null } {
  if (s.origin !== 'builder') return { fix: sqlFix(s, g), how: null };
  const options: Record<string, boolean> = g.missing === 'IF NOT EXISTS' ? { ifNotExists: true } : { ifExists: true };
  const edits = unit.edits.setBuilderOptions?.(s, options);
  if (!edits?.length) {
    const fix = rawFix(unit, s, g);
    return { fix, how: fix ? 'the builder has no option for it here: the fix writes the statement as a raw query' : null };
  }
  const shown = edits.map((e) => e.text.replace(/^[\s,]+|[\s,]+$/g, '')).join(' ');
  const need = unit.edits.builderOptionsNeed?.(s, options) ?? null;
  return { fix: { title: `Add ${g.missing} with \`${shown}\`${need ? ` (${need})` : ''}`, applicability: 'safe', edits }, how: `the fix adds \`${shown}\`${need ? `, which needs ${need}` : ''}` };
}

/** Whether a gap of `s` has a fix (for fixes that would expose `s` to a rerun). */
export function gapFixable(unit: MigrationUnit, s: Statement, g: RobustnessGap): boolean {
  return gapFix(unit, s, g).fix !== null;
}
