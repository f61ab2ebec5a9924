/**
 * Fixes for index work: add CONCURRENTLY (with `DROP INDEX CONCURRENTLY IF EXISTS` of its name
 * just before a build, so a rerun after a failed build works) and take the statement out of its
 * transaction block.
 *
 * PostgreSQL behaviour relied on (sql-createindex.html#SQL-CREATEINDEX-CONCURRENTLY,
 * sql-dropindex.html): the CONCURRENTLY forms cannot run inside a transaction block;
 * DROP INDEX CONCURRENTLY drops exactly one index and does not support CASCADE;
 * `CREATE INDEX ... IF NOT EXISTS` needs an index name.
 */
import type { Edit, Fix } from '../core/diagnostic.js';
import type { LintSettings } from '../core/rule.js';
import type { MigrationUnit, Statement } from '../core/unit.js';
import { classify } from '../sql/classify.js';
import { factsOf } from '../sql/facts.js';
import { robustnessGaps } from '../sql/robust.js';
import { concurrentBuildDropSql, droppedJustBefore, gapFixable, knownIndexName } from './robust-edits.js';
import { FileMemo } from '../core/file-memo.js';

type MaybeFix = { fix?: Fix };

/** Statements that rely on the migration's transaction for atomicity. */
export function needsTransaction(s: Statement): boolean {
  const info = classify(s.node);
  return (info.class === 'ddl' || info.class === 'dml') && info.transactional && !info.concurrentIndex;
}

/** `text` in the letter case of the keywords it follows (`create index` gets `concurrently`). */
const sameCase = (written: string, text: string) => (/[A-Z]/.test(written) ? text : text.toLowerCase());

/** The SQL-text insertion that makes an index statement concurrent, relative to `s.sql`. */
function concurrentInsertion(s: Statement): { at: number; text: string } | null {
  if ('IndexStmt' in s.node) {
    const m = /^CREATE\s+(?:UNIQUE\s+)?INDEX\b/i.exec(s.sql);
    if (!m) return null;
    // A named build gets the DROP INDEX CONCURRENTLY IF EXISTS of its name just before it (robust-edits.ts), not IF NOT EXISTS.
    return { at: m[0].length, text: sameCase(m[0], ' CONCURRENTLY') };
  }
  if ('DropStmt' in s.node) {
    const d = s.node.DropStmt;
    if ((d.objects?.length ?? 0) !== 1 || d.behavior === 'DROP_CASCADE') return null;
    const m = /^DROP\s+INDEX\b/i.exec(s.sql);
    if (!m) return null;
    return { at: m[0].length, text: sameCase(m[0], ` CONCURRENTLY${d.missing_ok ? '' : ' IF EXISTS'}`) };
  }
  return null;
}

/** Edits that make the statement itself concurrent, in the file. */
function statementEdits(unit: MigrationUnit, s: Statement): Edit[] | null {
  const ins = concurrentInsertion(s);
  if (!ins) return null;
  if (s.origin === 'builder') {
    const isCreate = 'IndexStmt' in s.node;
    const viaOptions = unit.edits.setBuilderOptions?.(s, isCreate ? { concurrently: true } : { concurrently: true, ifExists: true });
    if (viaOptions) return viaOptions;
    const fixedSql = s.sql.slice(0, ins.at) + ins.text + s.sql.slice(ins.at);
    return unit.edits.replaceWithRawQuery?.(s, fixedSql) ?? null;
  }
  if (s.interpolated || !s.sqlToFile) return null;
  const at = s.sqlToFile(ins.at);
  return at === null ? null : [{ start: at, end: at, text: ins.text }];
}

/** What the fixes ask of every statement of a unit, counted once per unit (a file may have 100,000 statements). */
interface UnitCounts {
  batchSize: Map<number, number>;
  /** Statements that rely on the transaction for atomicity, per phase and in all ('*'). */
  needingTransaction: Map<string, number>;
  /** Phases (and '*') with a BEGIN/COMMIT of their own. */
  transactionControl: Set<string>;
  position: Map<Statement, number>;
}

const counted = new FileMemo<MigrationUnit, UnitCounts>();

function countsOf(unit: MigrationUnit): UnitCounts {
  let c = counted.get(unit);
  if (c) return c;
  c = { batchSize: new Map(), needingTransaction: new Map(), transactionControl: new Set(), position: new Map() };
  unit.statements.forEach((o, i) => {
    c!.batchSize.set(o.batch, (c!.batchSize.get(o.batch) ?? 0) + 1);
    c!.position.set(o, i);
    if (needsTransaction(o)) for (const k of [o.phase, '*']) c!.needingTransaction.set(k, (c!.needingTransaction.get(k) ?? 0) + 1);
    if (classify(o.node).transactionControl) for (const k of [o.phase, '*']) c!.transactionControl.add(k);
  });
  counted.set(unit, c);
  return c;
}

/** Edits (and their applicability) that take `s` out of its transaction block, or a display-only fix. */
export function leaveTransaction(unit: MigrationUnit, s: Statement, sql = s.sql, first?: string): Left {
  const split = `; split: move \`${oneLine(sql)};\` into ${unit.wrapped.splitSteps ?? 'a migration of its own'}, after this one,`;
  const counts = countsOf(unit);
  switch (s.context.transaction) {
    case 'none':
      return { edits: [], applicability: 'safe', note: '' };
    case 'framework': {
      if ((counts.batchSize.get(s.batch) ?? 1) > 1) {
        // A framework with no switch in the file (db-migrate) still wraps the split-off migration: say how to run it.
        const then = !unit.edits.disableTransaction?.(s.phase) && unit.wrapped.switchAdvice ? `; then: ${unit.wrapped.switchAdvice}` : '';
        return { edits: [], applicability: 'display-only', note: `${split} since it is sent in one query string with other statements (one implicit transaction even without the framework's)${then}` };
      }
      // The switch covers both directions unless the framework switches per phase.
      const scope = unit.wrapped.perPhaseSwitch ? s.phase : '*';
      if (counts.transactionControl.has(scope)) {
        return { edits: [], applicability: 'display-only', note: `${split} since this migration manages its transaction with BEGIN/COMMIT itself and switching the framework's off would leave a block open` };
      }
      const left = leaveFrameworkTransaction(unit, s, counts, scope, first);
      if (left.edits.length === 0) return left;
      // A SET LOCAL timeout ends with the transaction the statement leaves: it becomes a session-level SET.
      const keep = sessionTimeouts(unit, s);
      if (!keep) return { edits: [], applicability: 'display-only', note: `${left.note}, and make the SET LOCAL of its timeouts a session-level SET (SET LOCAL ends with the transaction)` };
      if (keep.edits.length === 0) return left;
      const what = keep.lines.length > 1 ? `the SET LOCALs on lines ${keep.lines.join(' and ')} become session-level SETs, so the timeouts still hold` : `the SET LOCAL on line ${keep.lines[0]} becomes a session-level SET, so the timeout still holds`;
      return { ...left, edits: [...left.edits, ...keep.edits], applicability: 'unsafe', note: `${left.note}; and ${what} outside the transaction (also for what the connection runs after this migration: unsafe)` };
    }
    case 'explicit':
      return { edits: [], applicability: 'display-only', note: `${split} outside any BEGIN ... COMMIT` };
    case 'code':
      return { edits: [], applicability: 'display-only', note: `${split} outside the transaction the code opens (${s.codeTransaction})` };
    case 'implicit':
      return {
        edits: [],
        applicability: 'display-only',
        note: unit.language === 'sql' ? `${split} since ${unit.wrapped.oneQueryString ?? 'the runner sends the whole file as one query string'}` : `${split} or at least send it as a query of its own, not in one string with other statements`,
      };
  }
}

/**
 * How a statement leaves its transaction block: the edits, their applicability, the note for the
 * fix title, and whether the `first` statement asked for was placed (inside Alembic's block).
 */
interface Left {
  edits: Edit[];
  applicability: Fix['applicability'];
  note: string;
  firstPlaced?: boolean;
}

/**
 * How many statements (other than `s`, of a phase other than 'other') that leaving the transaction
 * would leave committed before a later failure have an IF [NOT] EXISTS gap no fix closes (a Django
 * operation, an ALTER TABLE of two subcommands): a rerun after that failure would stop at them.
 * `exposed` is `'before'` (those of `s`'s phase before it), a phase, or '*' (every phase). Read from
 * counts made once per unit and phase: this is asked for every finding of a file.
 */
function exposedUnfixable(unit: MigrationUnit, s: Statement, exposed: 'before' | string): number {
  if (exposed === 'before') return s.phase === 'other' ? 0 : (gapCountsOf(unit, s.phase).before.get(s) ?? 0);
  if (exposed === 'other') return 0;
  const own = s.phase !== 'other' && (exposed === '*' || s.phase === exposed) && hasUnfixableGap(unit, s) ? 1 : 0;
  return gapCountsOf(unit, exposed).total - own;
}

/** Per unit and phase ('*': all but 'other'), its statements with an unfixable gap: how many before each statement of the phase, and in all. */
interface GapCounts {
  before: Map<Statement, number>;
  total: number;
}

const gapCounts = new FileMemo<MigrationUnit, Map<string, GapCounts>>();

function gapCountsOf(unit: MigrationUnit, phase: string): GapCounts {
  let perPhase = gapCounts.get(unit);
  if (!perPhase) gapCounts.set(unit, (perPhase = new Map()));
  let c = perPhase.get(phase);
  if (c) return c;
  c = { before: new Map(), total: 0 };
  for (const o of unit.statements) {
    if (o.phase === 'other' || (phase !== '*' && o.phase !== phase)) continue;
    c.before.set(o, c.total);
    if (hasUnfixableGap(unit, o)) c.total++;
  }
  perPhase.set(phase, c);
  return c;
}

/** Per statement, whether it has an IF [NOT] EXISTS gap no fix closes: asked for every finding of a file, so read once each. */
const unfixableGap = new FileMemo<Statement, boolean>();

function hasUnfixableGap(unit: MigrationUnit, o: Statement): boolean {
  let known = unfixableGap.get(o);
  if (known === undefined) unfixableGap.set(o, (known = robustnessGaps(o.node, o.sql).some((g) => !gapFixable(unit, o, g))));
  return known;
}

/** The framework-wrapped case of `leaveTransaction`, once batching and BEGIN/COMMIT of its own are ruled out. */
function leaveFrameworkTransaction(unit: MigrationUnit, s: Statement, counts: UnitCounts, scope: string, first?: string): Left {
  const splitNote = (n: number) =>
    `; split: move it into ${unit.wrapped.splitSteps ?? 'a migration of its own'}, since running it outside the transaction would leave ${n} other statement(s) committed before a later failure that no fix makes rerunnable (a rerun would stop at them)`;
  // A framework with a per-statement way out (Alembic's autocommit_block) takes only this statement out; what ran before it is committed.
  const out = unit.edits.runOutsideTransaction?.(s, first) ?? null;
  if (out) {
    const stuck = exposedUnfixable(unit, s, 'before');
    if (stuck) return { edits: [], applicability: 'display-only', note: splitNote(stuck) };
    return { edits: out.edits, applicability: 'unsafe', note: `; ${out.how} (unsafe: ${out.caveat})`, firstPlaced: first !== undefined };
  }
  const edits = unit.edits.disableTransaction?.(s.phase) ?? null;
  if (!edits) {
    const how = unit.wrapped.switchAdvice ?? (unit.language !== 'sql' ? "run it outside the framework's transaction" : "run it outside the runner's transaction");
    return { edits: [], applicability: 'display-only', note: `; ${how}` };
  }
  const stuck = exposedUnfixable(unit, s, scope);
  if (stuck) return { edits: [], applicability: 'display-only', note: splitNote(stuck) };
  const others = (counts.needingTransaction.get(scope) ?? 0) - (needsTransaction(s) ? 1 : 0);
  if (others > 0) {
    return { edits, applicability: 'unsafe', note: `; unsafe: switching the transaction off also leaves ${others} other statement(s) in this migration without one (better: split them into their own migration)` };
  }
  const how = unit.wrapped.switchAdvice ?? "switch the migration's transaction off";
  if (unit.wrapped.switchCaveat) return { edits, applicability: 'unsafe', note: `; ${how} (unsafe: ${unit.wrapped.switchCaveat})` };
  return { edits, applicability: 'safe', note: `; ${how}` };
}

/**
 * Edits turning the `SET LOCAL lock_timeout` / `statement_timeout` in force at `s` into session-level SETs
 * (deleting `LOCAL`), with the lines of those SETs: a fix that takes `s` out of its transaction would
 * otherwise leave it without them (SET LOCAL lasts until the end of the current transaction, sql-set.html).
 * No edits when none is in force; null when one cannot be edited in place (a `set_config(..., true)`,
 * an interpolated or builder statement).
 */
function sessionTimeouts(unit: MigrationUnit, s: Statement): { edits: Edit[]; lines: number[] } | null {
  const edits: Edit[] = [];
  const lines: number[] = [];
  for (const name of ['lock_timeout', 'statement_timeout']) {
    const fact = factsOf(s).settings.get(name);
    if (!fact || fact.source !== 'local' || fact.at === null) continue;
    const set = unit.statements.find((o) => o.span.start === fact.at && classify(o.node).setting?.name === name);
    const m = set && !set.interpolated && set.sqlToFile ? /^(SET\s+)(LOCAL\s+)/i.exec(set.sql) : null;
    if (!set || !m) return null;
    const start = set.sqlToFile!(m[1]!.length);
    const end = set.sqlToFile!(m[0].length);
    if (start === null || end === null || end - start !== m[2]!.length) return null;
    edits.push({ start, end, text: '' });
    lines.push(unit.source.positionAt(set.span.start).line);
  }
  return { edits, lines };
}

/** A statement on one line, shortened for a fix title. */
function oneLine(sql: string): string {
  const flat = sql.replace(/\s+/g, ' ').trim();
  return flat.length > 120 ? `${flat.slice(0, 117)}...` : flat;
}

/**
 * The DROP INDEX CONCURRENTLY IF EXISTS a named CREATE INDEX needs just before it once it is
 * concurrent (a failed build leaves an INVALID index of its name), or null: not a named build, or
 * the drop is there already.
 */
function leftoverDrop(unit: MigrationUnit, s: Statement): string | null {
  if (!('IndexStmt' in s.node) || !s.node.IndexStmt.idxname) return null;
  const i = countsOf(unit).position.get(s) ?? -1;
  return i >= 0 && droppedJustBefore(unit, i) ? null : concurrentBuildDropSql(s);
}

/**
 * Edits (with the transaction's) that add `drop` just before `s`: inside Alembic's autocommit
 * block when `tx` placed it there, else the frontend's statement just before; null when it cannot.
 */
function withDrop(unit: MigrationUnit, s: Statement, drop: string | null, tx: Left): Edit[] | null {
  if (drop === null || tx.firstPlaced) return tx.edits;
  const before = unit.edits.insertStatementJustBefore?.(s, drop) ?? null;
  return before ? [...before, ...tx.edits] : null;
}

/** The fix of `require-concurrent-index-creation` / `-deletion`. */
export function concurrentIndexFix(unit: MigrationUnit, s: Statement, settings: LintSettings): MaybeFix {
  const own = statementEdits(unit, s);
  const isCreate = 'IndexStmt' in s.node;
  const drop = isCreate && knownIndexName(s) ? leftoverDrop(unit, s) : null;
  const title =
    s.origin === 'builder'
      ? `Make the builder call ${isCreate ? 'build' : 'drop'} the index concurrently${drop ? `, after \`${drop}\`` : ''}`
      : isCreate
        ? drop
          ? `Use CREATE INDEX CONCURRENTLY, after \`${drop}\``
          : 'Use CREATE INDEX CONCURRENTLY'
        : 'Use DROP INDEX CONCURRENTLY IF EXISTS';
  if (!own) {
    const why =
      'DropStmt' in s.node && ((s.node.DropStmt.objects?.length ?? 0) > 1 || s.node.DropStmt.behavior === 'DROP_CASCADE')
        ? 'DROP INDEX CONCURRENTLY drops one index and does not support CASCADE: drop each index on its own, and dependent objects first'
        : 'the statement cannot be edited in place';
    return { fix: { title: `${title} (rewrite by hand: ${why})`, applicability: 'display-only', edits: [] } };
  }
  const ins = concurrentInsertion(s);
  const fixedSql = ins ? s.sql.slice(0, ins.at) + ins.text + s.sql.slice(ins.at) : s.sql;
  const tx = leaveTransaction(unit, s, fixedSql, drop ?? undefined);
  if (tx.applicability === 'display-only') return { fix: { title: `${title}${tx.note}`, applicability: 'display-only', edits: [] } };
  if (!isCreate && unit.wrapped.concurrentDropCaveat && unit.statements.length > 1) {
    // Prisma 7.4+: a DROP INDEX CONCURRENTLY beside other statements makes the whole file one query string.
    const steps = unit.wrapped.splitSteps ?? 'a migration of its own';
    return { fix: { title: `${title}, moving \`${oneLine(fixedSql)};\` into ${steps}: ${unit.wrapped.concurrentDropCaveat}, and there CONCURRENTLY fails`, applicability: 'display-only', edits: [] } };
  }
  if (unit.wrapped.oneQueryString && !(s.context.lockTimeoutSet && s.context.statementTimeoutSet)) {
    // Alone in a file sent as one query string, the concurrent build works only while it stays alone; the
    // timeout fixes would add SET statements before it in the same pass, and then it runs in a transaction block.
    const timeouts = `-c lock_timeout=${settings.lockTimeout} -c statement_timeout=${settings.statementTimeout}`;
    return {
      fix: {
        title: `${isCreate ? 'Use CREATE INDEX CONCURRENTLY' : title}${tx.note}, keeping it the only statement of its migration file: ${unit.wrapped.oneQueryString}, and PostgreSQL runs a string of several statements as one transaction block, where CONCURRENTLY fails; so set lock_timeout and statement_timeout on the connection (e.g. PGOPTIONS='${timeouts}'), not with SET in this file${drop ? `, and before a rerun after a failed build drop its INVALID index by hand (\`${drop}\`)` : ''}`,
        applicability: 'display-only',
        edits: [],
      },
    };
  }
  const edits = withDrop(unit, s, drop, tx);
  // Without the drop just before it, a failed concurrent build could not be rerun (prefer-robust-stmts): write it by hand.
  if (!edits) return { fix: { title: `${title}${tx.note} (rewrite by hand: miglint cannot insert \`${drop};\` just before the statement here)`, applicability: 'display-only', edits: [] } };
  return { fix: { title: `${title}${tx.note}`, applicability: tx.applicability, edits: [...own, ...edits].sort((a, b) => a.start - b.start) } };
}

/** The fix of `ban-concurrent-index-creation-in-transaction`. */
export function transactionFix(unit: MigrationUnit, s: Statement, _settings: LintSettings): MaybeFix {
  if (s.context.transaction === 'explicit') {
    const edits = unwrapSoleStatement(unit, s);
    if (edits) return { fix: { title: 'Remove the BEGIN/COMMIT around the statement', applicability: 'safe', edits } };
  }
  const tx = leaveTransaction(unit, s);
  const title = `Run ${classify(s.node).tag} outside a transaction block${tx.note}`;
  if (tx.applicability === 'display-only' || tx.edits.length === 0) return { fix: { title, applicability: 'display-only', edits: [] } };
  return { fix: { title, applicability: tx.applicability, edits: tx.edits } };
}

/**
 * When `s` is the only statement between a `BEGIN` and its `COMMIT` in a SQL
 * file, the edits that delete both (with their lines when alone on them).
 */
function unwrapSoleStatement(unit: MigrationUnit, s: Statement): Edit[] | null {
  if (unit.language !== 'sql') return null;
  const i = countsOf(unit).position.get(s) ?? -1;
  const before = unit.statements[i - 1];
  const after = unit.statements[i + 1];
  if (!before || !after) return null;
  if (classify(before.node).transactionControl !== 'begin' || classify(after.node).transactionControl !== 'commit') return null;
  return [deleteStatement(unit.source.text, before), deleteStatement(unit.source.text, after)];
}

/** Deletes a statement, its `;`, and its whole line when nothing else is on it. */
export function deleteStatement(text: string, s: Statement): Edit {
  let end = s.span.end;
  const semi = /^\s*;/.exec(text.slice(end));
  if (semi) end += semi[0].length;
  let start = s.span.start;
  const lineStart = text.lastIndexOf('\n', start - 1) + 1;
  const rest = /^[ \t]*(\r?\n|$)/.exec(text.slice(end));
  if (/^[ \t]*$/.test(text.slice(lineStart, start)) && rest) {
    start = lineStart;
    end += rest[0].length;
  }
  return { start, end, text: '' };
}

/**
 * A fix that inserts `insertion.text` (e.g. ` CONCURRENTLY`) at `insertion.at` in the
 * statement's SQL text and takes the statement out of its transaction block the way
 * the index fixes do (the framework's or runner's switch; display-only where that is
 * not possible). `applicability` caps it: `'unsafe'` keeps it unsafe even where the
 * transaction edit is safe. Builder calls and text that does not map to the file get
 * a display-only fix.
 */
export function keywordOutsideTransactionFix(unit: MigrationUnit, s: Statement, insertion: { at: number; text: string }, title: string, settings: LintSettings, cap: 'safe' | 'unsafe' = 'safe'): MaybeFix {
  const fixedSql = s.sql.slice(0, insertion.at) + insertion.text + s.sql.slice(insertion.at);
  const at = s.origin === 'builder' || s.interpolated || !s.sqlToFile ? null : s.sqlToFile(insertion.at);
  if (at === null) return { fix: { title: `${title} (rewrite by hand: the statement cannot be edited in place): \`${oneLine(fixedSql)}\``, applicability: 'display-only', edits: [] } };
  const tx = leaveTransaction(unit, s, fixedSql);
  if (tx.applicability === 'display-only') return { fix: { title: `${title}${tx.note}`, applicability: 'display-only', edits: [] } };
  if (unit.wrapped.oneQueryString && !(s.context.lockTimeoutSet && s.context.statementTimeoutSet)) {
    // As for CREATE INDEX CONCURRENTLY: alone in a one-query-string file, the statement stays outside a transaction block only while alone.
    const timeouts = `-c lock_timeout=${settings.lockTimeout} -c statement_timeout=${settings.statementTimeout}`;
    return { fix: { title: `${title}${tx.note}, keeping it the only statement of its migration file (${unit.wrapped.oneQueryString}); set lock_timeout and statement_timeout on the connection (e.g. PGOPTIONS='${timeouts}'), not with SET in this file`, applicability: 'display-only', edits: [] } };
  }
  const applicability = cap === 'unsafe' ? 'unsafe' : tx.applicability;
  return { fix: { title: `${title}${tx.note}`, applicability, edits: [{ start: at, end: at, text: insertion.text }, ...tx.edits] } };
}
