/**
 * The state before a plain-SQL migration, from the earlier migrations of its folder
 * (`MigrationUnit.prior`, src/sql/prior.ts): the `up` direction of each file before it, in its
 * runner's order (sql-order.ts), replayed through one schema delta (src/sql/schema-delta.ts) from an
 * empty database.
 *
 * Known or unknown, never wrong:
 * - a file that does not parse, holds something miglint could not read (a DO block it cannot follow,
 *   a statement it did not analyse), runs code (`CALL`, `EXECUTE`), or is a migration miglint does not
 *   read (goose's `.go`, pop's `.fizz`) makes everything before it unknown: the replay starts again,
 *   from an unknown state, after it;
 * - a statement inside a DO block makes what was known of the tables it names unknown (it may run or not), except
 *   ADD CONSTRAINT of a kind that changes no column (drizzle-kit's guarded foreign keys), which is left out;
 * - `CREATE TABLE IF NOT EXISTS` / `ADD COLUMN IF NOT EXISTS` count only where the replay knows that
 *   the table or column did not exist (else the table's facts become unknown);
 * - a Flyway repeatable migration (`R__*.sql`) that changes tables makes the whole folder unknown (it
 *   runs after the versioned migrations of each `migrate`, so at no fixed place).
 * Each file starts on the default `search_path` (a migration is written to run on its own session;
 * a `SET search_path` in an earlier file holds only within that file).
 *
 * Lazy and linear: nothing is read until a rule asks for a fact the unit does not know; then the
 * folder's files are replayed up to the linted one, once per folder (per thread: worker threads
 * each have their own), and extended when a later file of the folder asks. "Type of t.c before
 * file k" is a lookup in the key's history (the last change recorded before file k's first
 * statement). Each file's statements are kept while its size and mtime stay the same (rechecked
 * after a second, so the language server sees a saved sibling); a changed file replays the folder
 * from the cached statements of the others.
 */
import { readFileSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Node } from 'libpg-query';
import type { LintSettings, SqlRunner } from '../core/rule.js';
import type { MigrationUnit, Statement } from '../core/unit.js';
import { alterSubcommands } from '../sql/alter.js';
import { computeContexts } from '../sql/context.js';
import { DO_BLOCK_TRANSACTION } from '../sql/do-blocks.js';
import { saysCascade } from '../sql/dml.js';
import { factsOf } from '../sql/facts.js';
import { creationKey, DEFAULT_SEARCH_PATH, fromRangeVar, lookupKey, type RelationKey } from '../sql/names.js';
import type { PriorColumn, PriorSchema } from '../sql/prior.js';
import { SchemaDelta } from '../sql/schema-delta.js';
import { colKey } from '../sql/schema-view.js';
import { orderedMigrations, orderPlace, placeOf, type OrderedMigration } from './sql-order.js';
import { sqlUnit } from './sql.js';
import { partitionPoint } from '../core/search.js';
import { lastRead } from '../lint/read.js';

/** A statement of an earlier file that may change tables, columns or constraints, with what it needs to be replayed. */
interface ReplayStatement {
  node: Node;
  path: readonly string[];
  /** Inside a DO block: it may run or not, so it makes its tables unknown. */
  inDo: boolean;
  /** The tables it names, for a DO block's statement. */
  tables: RelationKey[];
}

/** What one earlier file contributes: its statements, or why what it does is unknown. */
interface FileSummary {
  statements: ReplayStatement[];
  /** Why the file's effect is not known (it then ends what is known), or null. */
  problem: string | null;
}

/** Statement kinds the schema delta records (others do not change tables' columns or constraints). */
const REPLAYED = new Set(['CreateStmt', 'CreateTableAsStmt', 'AlterTableStmt', 'RenameStmt', 'DropStmt', 'AlterObjectSchemaStmt']);
/**
 * The objects whose DROP ... CASCADE leaves the known columns right: the schema delta follows a
 * table's, a schema's (its tables go) and an index's; views, routines, triggers, sequences, rules
 * and policies take with them only objects the delta does not record (a sequence: a column's default).
 * A type's, a domain's or an extension's takes the columns of that type with it.
 */
const CASCADE_FOLLOWED = new Set(['OBJECT_TABLE', 'OBJECT_MATVIEW', 'OBJECT_INDEX', 'OBJECT_SCHEMA', 'OBJECT_VIEW', 'OBJECT_FUNCTION', 'OBJECT_PROCEDURE', 'OBJECT_ROUTINE', 'OBJECT_AGGREGATE', 'OBJECT_TRIGGER', 'OBJECT_SEQUENCE', 'OBJECT_RULE', 'OBJECT_POLICY']);
/** Statements that run code miglint does not see. */
const RUNS_CODE = new Set(['CallStmt', 'ExecuteStmt']);
/** How long a file's size and mtime, once checked, are taken as they were (ms). */
const RECHECK_MS = 1000;

/** Reads one earlier file into its summary (through the `.sql` frontend, with the folder's runner). */
function summarize(m: OrderedMigration, text: string, settings: LintSettings): FileSummary {
  const unit = sqlUnit(m.path, text, settings);
  delete unit.prior; // its own prior is never asked: only its statements are replayed
  computeContexts(unit, { runtimeSetsTimeouts: false, pgVersion: settings.pgVersion });
  return summarizeUnit(m, unit, settings);
}

/** The summary of a unit whose contexts are computed. */
function summarizeUnit(m: Pick<OrderedMigration, 'name'>, unit: MigrationUnit, settings: LintSettings): FileSummary {
  if (unit.syntaxErrors.length) return { statements: [], problem: `${m.name} does not parse` };
  const unread = unit.unanalysed.find((u) => u.phase !== 'down');
  if (unread) return { statements: [], problem: `${m.name}: ${unread.message}` };
  const statements: ReplayStatement[] = [];
  for (const s of unit.statements) {
    if (s.phase !== 'up') continue;
    const kind = Object.keys(s.node)[0]!;
    if (RUNS_CODE.has(kind)) return { statements: [], problem: `${m.name} runs code miglint does not read (${kind === 'CallStmt' ? 'CALL' : 'EXECUTE'})` };
    // DROP TYPE / DOMAIN / EXTENSION ... CASCADE drops columns the delta does not follow.
    if ('DropStmt' in s.node && saysCascade(s.node) && !CASCADE_FOLLOWED.has(s.node.DropStmt.removeType ?? '')) return { statements: [], problem: `${m.name} drops with CASCADE what miglint does not follow (tables or columns go with it)` };
    const inDo = s.codeTransaction === DO_BLOCK_TRANSACTION;
    if (kind === 'DoStmt') {
      // A DO block whose body gave no statements but may still change tables: not followed.
      const inner = unit.statements.some((t) => t !== s && t.codeTransaction === DO_BLOCK_TRANSACTION && t.span.start >= s.span.start && t.span.end <= s.span.end);
      if (!inner && /\b(alter|create|drop|execute|rename)\b/i.test(s.sql)) return { statements: [], problem: `${m.name} has a DO block miglint does not follow` };
      continue;
    }
    if (!REPLAYED.has(kind) && !(kind === 'SelectStmt' && 'SelectStmt' in s.node && s.node.SelectStmt.intoClause)) continue;
    // A constraint other than PRIMARY KEY / NOT NULL added in a DO block (drizzle-kit's `DO $$ BEGIN ... EXCEPTION WHEN
    // duplicate_object ...`): whether it runs or fails, no column's type or nullability changes, and a CHECK it may add stays unknown.
    if (inDo && kind === 'AlterTableStmt' && alterSubcommands(s.node, settings.pgVersion).every((sub) => sub.kind === 'add-constraint' && sub.constraint.kind !== 'primary-key' && sub.constraint.kind !== 'not-null')) continue;
    const path = s.context.searchPath ?? DEFAULT_SEARCH_PATH;
    statements.push({ node: s.node, path, inDo, tables: inDo ? namedTables(s) : [] });
  }
  return { statements, problem: null };
}

/** The tables a statement locks or alters, by key (a DO block's statement makes them unknown). */
function namedTables(s: Statement): RelationKey[] {
  const f = factsOf(s);
  const out = new Set<RelationKey>();
  if (f.table) out.add(f.table);
  for (const l of f.locks) if (l.key && l.relationKind !== 'index') out.add(l.key);
  return [...out];
}

/** Summaries by path (and runner and target version), with the size and mtime they were read at. */
const summaries = new Map<string, { size: number; mtimeMs: number; checkedAt: number; summary: FileSummary }>();

function summaryOf(m: OrderedMigration, settings: LintSettings): { summary: FileSummary; stamp: string } {
  const key = `${settings.sqlRunner}\0${settings.pgVersion}\0${m.path}`;
  const hit = summaries.get(key);
  const now = Date.now();
  if (hit && now - hit.checkedAt < RECHECK_MS) return { summary: hit.summary, stamp: `${hit.size}:${hit.mtimeMs}` };
  let st;
  try {
    st = statSync(m.path);
  } catch (e) {
    return { summary: { statements: [], problem: `${m.name} could not be read (${(e as Error).message})` }, stamp: 'missing' };
  }
  if (hit && hit.size === st.size && hit.mtimeMs === st.mtimeMs) {
    hit.checkedAt = now;
    return { summary: hit.summary, stamp: `${st.size}:${st.mtimeMs}` };
  }
  let summary: FileSummary;
  if (!m.sql) summary = { statements: [], problem: `${m.name} is a migration miglint does not read` };
  else {
    try {
      summary = summarize(m, readFileSync(m.path, 'utf8'), settings);
    } catch (e) {
      summary = { statements: [], problem: `${m.name} could not be read (${(e as Error).message})` };
    }
  }
  summaries.set(key, { size: st.size, mtimeMs: st.mtimeMs, checkedAt: now, summary });
  return { summary, stamp: `${st.size}:${st.mtimeMs}` };
}

/**
 * Lets the cache take a linted `.sql` unit's summary from the unit itself when its text is the file on
 * disk (a later file of its folder then needs no second parse of it): the text `readSourceSync` just
 * read from it (`lastRead`, with that read's size and mtime), else what is on disk now. Call after its
 * contexts are computed.
 */
export function rememberSqlUnit(unit: MigrationUnit, text: string, settings: LintSettings): void {
  const runner = unit.runner?.name as SqlRunner | undefined;
  if (!runner || !unit.prior) return;
  const path = resolve(unit.file);
  const place = orderPlace(path, runner);
  const name = place?.name;
  if (!name) return;
  const key = `${runner}\0${settings.pgVersion}\0${path}`;
  if (summaries.has(key)) return;
  const remember = (size: number, mtimeMs: number) => summaries.set(key, { size, mtimeMs, checkedAt: Date.now(), summary: summarizeUnit({ name }, unit, { ...settings, sqlRunner: runner }) });
  // The text the run just read from this file (the usual case): its size and mtime are those of the bytes read.
  const read = lastRead();
  if (read && read.text === text && (read.file === unit.file || resolve(read.file) === path)) return void remember(read.size, read.mtimeMs);
  try {
    const st = statSync(path);
    if (st.size !== Buffer.byteLength(text) || readFileSync(path, 'utf8') !== text) return;
    remember(st.size, st.mtimeMs);
  } catch {
    // Not on disk (an editor's unsaved buffer): nothing to remember.
  }
}

/** A stretch of the replay between two files whose effect is unknown: one delta. */
interface Segment {
  delta: SchemaDelta;
  /** Starts from an empty database (the folder's first file), not after an unknown file. */
  fresh: boolean;
  /** The first sequence number of each file replayed in it, with the file's index (for provenance). */
  starts: { seq: number; file: number }[];
}

/** The replay of one folder's migrations, extended as far as asked. */
class FolderHistory {
  private readonly segments: Segment[] = [{ delta: new SchemaDelta(), fresh: true, starts: [] }];
  /** For each file replayed: its segment and the sequence number its view starts at. */
  private readonly at: { segment: number; seq: number }[] = [];
  private readonly stamps: string[] = [];
  /** Set when nothing of the folder can be known (a repeatable migration that changes tables). */
  private unknownAll: string | null = null;
  /** The repeatable migrations' stamps, as read for `unknownAll`. */
  private readonly floatingStamps: string[] = [];

  constructor(
    readonly migrations: readonly OrderedMigration[],
    private readonly settings: LintSettings,
    private readonly floating: readonly OrderedMigration[],
  ) {
    for (const f of floating) {
      const { summary: s, stamp } = summaryOf(f, settings);
      this.floatingStamps.push(stamp);
      if (s.problem || s.statements.length) this.unknownAll = `the repeatable migration ${f.name} runs at no fixed place`;
    }
  }

  /** Whether the files replayed so far, and the repeatable migrations, are unchanged on disk (each rechecked at most once a second). */
  fresh(): boolean {
    for (let i = 0; i < this.stamps.length; i++) if (summaryOf(this.migrations[i]!, this.settings).stamp !== this.stamps[i]) return false;
    return this.floating.every((f, i) => summaryOf(f, this.settings).stamp === this.floatingStamps[i]);
  }

  /** The view of the state before file `k` (replaying up to it), or null when nothing is known. */
  before(k: number): { segment: Segment; seq: number } | null {
    if (this.unknownAll) return null;
    while (this.at.length < k && this.at.length < this.migrations.length) this.replay(this.at.length);
    const place = k < this.at.length ? this.at[k]! : this.end();
    return { segment: this.segments[place.segment]!, seq: place.seq };
  }

  private end(): { segment: number; seq: number } {
    const i = this.segments.length - 1;
    return { segment: i, seq: this.segments[i]!.delta.applied + 1 };
  }

  private replay(i: number): void {
    const { summary, stamp } = summaryOf(this.migrations[i]!, this.settings);
    this.stamps.push(stamp);
    const seg = this.segments[this.segments.length - 1]!;
    this.at.push({ segment: this.segments.length - 1, seq: seg.delta.applied + 1 });
    if (summary.problem) {
      // What this file did is unknown: start again, from an unknown state, after it.
      this.segments.push({ delta: new SchemaDelta(), fresh: false, starts: [] });
      return;
    }
    seg.starts.push({ seq: seg.delta.applied + 1, file: i });
    for (const s of summary.statements) this.apply(seg, s);
  }

  private apply(seg: Segment, s: ReplayStatement): void {
    const d = seg.delta;
    if (s.inDo) return d.forget(s.tables);
    const view = d.view();
    const node = s.node;
    if ('CreateStmt' in node && node.CreateStmt.if_not_exists) {
      const name = fromRangeVar(node.CreateStmt.relation);
      if (!name) return;
      const t = creationKey(name, s.path);
      if (view.tableCreated(t)) return; // it exists: nothing happens
      // Unseen in a replay from an empty database: created. Else it may exist already.
      const seen = d.tableEvents.has(t) || d.colsOf.has(t);
      if (!seg.fresh || (seen && view.keepsPrior(t))) return d.forget([t]);
    }
    if ('AlterTableStmt' in node) {
      const name = fromRangeVar(node.AlterTableStmt.relation);
      const t = name ? lookupKey(name, s.path) : null;
      const uncertain = t !== null && alterSubcommands(node, this.settings.pgVersion).some((sub) => sub.kind === 'add-column' && sub.ifNotExists && (view.column(t, sub.column.name) !== undefined || !view.tableCreated(t) || view.table(t)?.opaque));
      d.apply(node, s.path, null, this.settings.pgVersion);
      if (uncertain) d.forget([t]);
      return;
    }
    d.apply(node, s.path, null, this.settings.pgVersion);
  }

  /** The file that recorded the entry of `h` in force before `seq` and, going back, the first of the same value. */
  static origin<T>(seg: Segment, h: { seq: number; value: T | null }[] | undefined, seq: number, same: (a: T, b: T) => boolean, migrations: readonly OrderedMigration[]): string | null {
    if (!h) return null;
    let i = h.length - 1;
    while (i >= 0 && h[i]!.seq >= seq) i--;
    if (i < 0 || h[i]!.value === null) return null;
    const v = h[i]!.value!;
    while (i > 0 && h[i - 1]!.value !== null && same(h[i - 1]!.value!, v)) i--;
    const at = h[i]!.seq;
    // The last file that started at or before it (binary search: starts are in order).
    const lo = partitionPoint(seg.starts, (s) => s.seq <= at);
    return lo === 0 ? null : migrations[seg.starts[lo - 1]!.file]!.name;
  }
}

/** Folder histories by runner, target version and folder, with the listing they were made from. */
const histories = new Map<string, { checkedAt: number; history: FolderHistory; names: string }>();

function historyOf(dir: string, settings: LintSettings): FolderHistory | null {
  const key = `${settings.sqlRunner}\0${settings.pgVersion}\0${dir}`;
  const hit = histories.get(key);
  const now = Date.now();
  if (hit && now - hit.checkedAt < RECHECK_MS) return hit.history;
  const order = orderedMigrations(dir, settings.sqlRunner);
  if (!order) return null;
  const names = order.migrations.map((m) => m.name).join('\n') + '\n\n' + order.floating.map((m) => m.name).join('\n');
  if (hit && hit.names === names && hit.history.fresh()) {
    hit.checkedAt = now;
    return hit.history;
  }
  const history = new FolderHistory(order.migrations, settings, order.floating);
  histories.set(key, { checkedAt: now, history, names });
  return history;
}

/**
 * The prior schema of a `.sql` migration (see the module comment), read lazily: nothing is read
 * until a method is called. Null when its runner's order is not known (psql) or the file is not
 * one of the migrations the runner orders.
 * @param settings the file's settings with `sqlRunner` the runner in effect for it.
 */
export function sqlPrior(file: string, runner: SqlRunner, settings: LintSettings): PriorSchema | null {
  const abs = resolve(file);
  const place = orderPlace(abs, runner);
  if (!place) return null;
  let state: { history: FolderHistory; segment: Segment; seq: number } | null | undefined;
  // Worked out when a rule first asks about the schema before the file (most files' statements never do).
  const stateOf = () => {
    if (state !== undefined) return state;
    const s: LintSettings = { ...settings, sqlRunner: runner, sqlRunnerExplicit: true };
    const history = historyOf(place.dir, s);
    const k = history ? placeOf(history.migrations, place.name, runner) : null;
    const v = history && k !== null ? history.before(k) : null;
    return (state = v && history ? { history, ...v } : null);
  };
  return {
    column(table, column): PriorColumn | null {
      const st = stateOf();
      if (!st) return null;
      const c = st.segment.delta.viewAt(st.seq).column(table, column);
      if (!c || (c.type === null && c.notNull === null)) return null;
      const h = st.segment.delta.cols.get(colKey(table, column));
      const typeFrom = c.type ? FolderHistory.origin(st.segment, h, st.seq, (a, b) => a.type?.text === b.type?.text, st.history.migrations) : null;
      const notNullFrom = c.notNull !== null ? FolderHistory.origin(st.segment, h, st.seq, (a, b) => a.notNull === b.notNull, st.history.migrations) : null;
      return { type: typeFrom ? c.type : null, typeFrom, notNull: notNullFrom ? c.notNull : null, notNullFrom };
    },
    notNullCheck(table, column) {
      const st = stateOf();
      if (!st) return null;
      const k = st.segment.delta.viewAt(st.seq).constraints(table).find((c) => c.kind === 'check' && c.validated && c.checksNotNull === column);
      if (!k) return null;
      const from = FolderHistory.origin(st.segment, st.segment.delta.cons.get(colKey(table, k.name)), st.seq, (a, b) => a.validated === b.validated, st.history.migrations);
      return from ? { name: k.name, from } : null;
    },
  };
}
