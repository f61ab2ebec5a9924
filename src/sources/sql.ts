/**
 * The `.sql` frontend: one migration unit per file.
 *
 * Directives it understands (in comments):
 * - `-- miglint: no-transaction` / `-- miglint: transaction`: override whether the runner wraps the file;
 * - migrun's `-- migrun: no-transaction`;
 * - the runners' own (see sql-runners.ts): dbmate's `-- migrate:up transaction:false` and its
 *   `-- migrate:up` / `-- migrate:down` sections, graphile-migrate's `--! no-transaction`,
 *   postgres-migrations' `-- postgres-migrations disable-transaction`, goose's `-- +goose NO TRANSACTION`
 *   and its `-- +goose Up` / `-- +goose Down` sections, pop's `.autocommit.` file names.
 * Directions (up/down) follow the runners' conventions: see sql-phases.ts.
 */
import type { LintSettings } from '../core/rule.js';
import { SourceText } from '../core/source-text.js';
import type { MigrationUnit, Statement, UnanalysedFact } from '../core/unit.js';
import { parseSql, type SqlComment } from '../sql/parse.js';
import { doBlockInnerStatements } from '../sql/do-blocks.js';
import { sqlDirections } from './sql-phases.js';
import { disableTransactionEdits, effectiveRunner, queryStringScope, wrapping } from './sql-runners.js';
import { sqlPrior } from './sql-history.js';
import { partitionPoint } from '../core/search.js';

/**
 * The text the parser sees: a BOM becomes a space, and template placeholders
 * (`{{ ... }}` of Go/Jinja templates, `${...}` of Flyway and shell) become
 * underscores, an identifier, so templated migrations still parse. With `psql`,
 * psql's own syntax goes too (app-psql.html): meta-command lines (`\set`,
 * `\connect`, `\i`, ...) become blanks and variables (`:name`, `:'name'`,
 * `:"name"`) an identifier or literal. Same length, so every offset is an
 * offset into the real file.
 */
export function parseableSql(text: string, psql = false): string {
  let out = text.charCodeAt(0) === 0xfeff ? ` ${text.slice(1)}` : text;
  if (out.includes('{{') || out.includes('${')) out = out.replace(/\{\{[^\n]*?\}\}|\$\{(?!\{)[^}\n]*\}/g, (m) => '_'.repeat(m.length));
  if (psql && /^[ \t]*\\/m.test(out)) out = out.replace(/^[ \t]*\\[^\r\n]*/gm, (m) => ' '.repeat(m.length));
  if (psql && out.includes(':')) {
    out = out.replace(/(?<![:\w]):(?:'([A-Za-z_]\w*)'|"([A-Za-z_]\w*)"|([A-Za-z_]\w*))/g, (m, sq?: string, dq?: string) =>
      sq ? `'${'_'.repeat(m.length - 2)}'` : dq ? `"${'_'.repeat(m.length - 2)}"` : '_'.repeat(m.length),
    );
  }
  return out;
}

/**
 * A statement's context until `computeContexts` gives it its own: shared by every statement
 * built here, read only (frozen; its set is never added to).
 */
const BEFORE_CONTEXTS: Statement['context'] = Object.freeze({ inTransaction: false, transaction: 'none', createdTables: new Set<string>(), lockTimeoutSet: false, statementTimeoutSet: false });

/** A file with this share of NUL bytes or more is not SQL text: UTF-16 (every other byte NUL) or binary. */
const NUL_SHARE_UNREADABLE = 0.25;

/** Builds the unit of a `.sql` file. The SQL parser must be initialised. */
export function sqlUnit(file: string, text: string, given: LintSettings): MigrationUnit {
  const source = new SourceText(text);
  const unreadable = notText(text);
  const parsed = parseSql(unreadable ? '' : parseableSql(text, given.sqlRunner === 'psql'));
  const choice = effectiveRunner(file, text, parsed.comments, given);
  const runner = choice.runner;
  const settings: LintSettings = runner === given.sqlRunner ? given : { ...given, sqlRunner: runner };
  const hasConcurrentDrop = parsed.statements.some((p) => 'DropStmt' in p.node && p.node.DropStmt.concurrent === true);
  // A runner that sends the whole file (or each section, or chunk) as one query string: one batch, one implicit transaction.
  const scope = queryStringScope(runner, settings, { statements: parsed.statements.length, hasConcurrentDrop });
  const wrapped = wrapping(file, text, parsed.comments, runner, settings, scope);
  const directions = sqlDirections(file, text, parsed.comments);
  const chunkAt = scope === 'breakpoint' ? breakpointChunks(parsed.comments) : null;
  const executor = runner === 'migrun' ? 'migrun-sql' : 'raw';
  /** Statements inside a DO block, mapped to the DO statement that contains them. */
  const container = new Map<Statement, Statement>();
  const unanalysed: UnanalysedFact[] = unreadable ? [unreadable] : [];

  const statements: Statement[] = [];
  parsed.statements.forEach((p, i) => {
    const phase = directions.phaseAt(p.start);
    const outer: Statement = {
      sql: p.text,
      node: p.node,
      span: { start: p.start, end: p.end },
      sqlToFile: (o: number) => p.start + o,
      origin: 'sql-file',
      interpolated: false,
      batch: scope === 'file' ? 0 : scope === 'section' ? (phase === 'down' ? 1 : 0) : chunkAt ? chunkAt(p.start) : i,
      executor,
      phase,
      context: BEFORE_CONTEXTS,
    };
    statements.push(outer);
    for (const st of doBlockInnerStatements(outer, unanalysed)) {
      container.set(st, outer);
      statements.push(st);
    }
  });
  for (const u of parsed.unparsed) {
    unanalysed.push({
      scope: 'file',
      message: `Not analysed: ${u.reason}.`,
      help: 'Split the statement into smaller ones (a multi-row INSERT into several), or check it by other means.',
      span: { start: u.start, end: u.end },
      phase: directions.phaseAt(u.start),
    });
  }

  const prior = sqlPrior(file, runner, settings);
  // A literal with no spread, `prior` set after it: a spread first made V8 build the unit key by key (about 5 ms of 2,105 files).
  const unit: MigrationUnit = {
    file,
    source,
    language: 'sql',
    framework: 'sql',
    runner: { name: runner, why: choice.why },
    statements,
    wrapped,
    sessions: [],
    swallowedCatches: [],
    phaseRegions: directions.regions,
    unanalysed,
    comments: parsed.comments.map((c) => ({ text: c.text, span: { start: c.start, end: c.end } })),
    syntaxErrors: parsed.errors.map((e) => ({ message: e.message, offset: e.offset })),
    edits: {
      disableTransaction: (phase) => disableTransactionEdits(runner, source, parsed.comments, phase),
      insertStatementBefore: (target, sql) => {
        const first = container.get(target) ?? target;
        const lineStart = source.offsetAt({ line: source.positionAt(first.span.start).line, column: 1 });
        const indent = text.slice(lineStart, first.span.start);
        if (/\S/.test(indent)) return [{ start: first.span.start, end: first.span.start, text: `${sql}; ` }];
        return [{ start: lineStart, end: lineStart, text: `${indent}${sql};${source.eol}` }];
      },
      insertStatementJustBefore: (target, sql) => {
        // One query string (or Prisma, which makes a file with a DROP INDEX CONCURRENTLY one): the two would share an implicit transaction block.
        if (container.has(target) || scope === 'file' || scope === 'section' || runner === 'prisma') return null;
        const lineStart = source.offsetAt({ line: source.positionAt(target.span.start).line, column: 1 });
        const indent = text.slice(lineStart, target.span.start);
        // drizzle-kit sends each chunk as one query string: the new statement gets a chunk of its own.
        const sep = scope === 'breakpoint' ? `${source.eol}${indent}--> statement-breakpoint` : '';
        if (/\S/.test(indent)) return sep ? null : [{ start: target.span.start, end: target.span.start, text: `${sql}; ` }];
        return [{ start: lineStart, end: lineStart, text: `${indent}${sql};${sep}${source.eol}` }];
      },
    },
  };
  if (prior) unit.prior = prior;
  return unit;
}

/** drizzle-kit's chunk separator: a `--> statement-breakpoint` comment (a `--` comment to PostgreSQL). */
const BREAKPOINT = /^-->\s*statement-breakpoint\s*$/;

/** The chunk (0, 1, ...) of a UTF-16 offset: how many `--> statement-breakpoint` comments come before it. */
function breakpointChunks(comments: SqlComment[]): (offset: number) => number {
  const at = comments.filter((c) => BREAKPOINT.test(c.text.trim())).map((c) => c.start);
  return (offset) => partitionPoint(at, (start) => start < offset);
}

/** A file-level fact when `text` is mostly NUL bytes (UTF-16 or binary, not SQL as miglint reads it), else null. */
function notText(text: string): UnanalysedFact | null {
  if (!text.includes('\0')) return null;
  let nuls = 0;
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 0) nuls++;
  if (nuls < text.length * NUL_SHARE_UNREADABLE) return null;
  return {
    scope: 'file',
    message: `Not analysed: ${nuls} of the file's ${text.length} characters are NUL bytes, so it is not UTF-8 SQL text (UTF-16, as some editors and shell redirections save, or binary).`,
    help: 'Save the migration as UTF-8: PostgreSQL and the migration runners read it as text in the client encoding.',
    span: { start: 0, end: Math.min(text.length, 1) },
  };
}
