/**
 * The `.sql` frontend: one migration unit per file.
 *
 * Directives it understands (in comments anywhere in the file):
 * - `-- miglint: no-transaction` / `-- miglint: transaction`: override whether the runner wraps the file;
 * - dbmate's `-- migrate:up transaction:false` and its `-- migrate:up` / `-- migrate:down` sections;
 * - graphile-migrate's `--! no-transaction`;
 * - migrun's `-- migrun: no-transaction`.
 */
import type { Edit } from '../core/diagnostic.js';
import type { LintSettings } from '../core/rule.js';
import { SourceText } from '../core/source-text.js';
import type { MigrationUnit, Phase, Statement } from '../core/unit.js';
import { parseSql, type SqlComment } from '../sql/parse.js';
import { doBlockStatements } from '../sql/plpgsql.js';

/** Whether the configured runner wraps each `.sql` migration in a transaction by default. */
export function runnerWraps(settings: LintSettings): boolean {
  if (settings.assumeInTransaction !== null) return settings.assumeInTransaction;
  switch (settings.sqlRunner) {
    case 'dbmate':
    case 'graphile-migrate':
    case 'flyway':
    case 'diesel':
      return true;
    default:
      return false;
  }
}

const NO_TX = [/^--\s*miglint:\s*no-transaction\b/i, /^--\s*migrun:\s*no-transaction\b/i, /^--!\s*no-transaction\b/i];
const TX = /^--\s*miglint:\s*transaction\b/i;

/** The directive that turns the runner's transaction off, per runner (for fixes and docs). */
export function noTransactionDirective(settings: LintSettings): string | null {
  switch (settings.sqlRunner) {
    case 'dbmate':
      return '-- migrate:up transaction:false';
    case 'graphile-migrate':
      return '--! no-transaction';
    case 'migrun':
      return '-- migrun: no-transaction';
    case 'flyway':
      return null; // Flyway reads executeInTransaction=false from a `<script>.sql.conf` file.
    case 'diesel':
      return null; // diesel reads run_in_transaction = false from the migration's metadata.toml.
    default:
      return '-- miglint: no-transaction';
  }
}

const DBMATE_SECTION = /^--\s*migrate:(up|down)\b(.*)$/i;

function wrapping(comments: SqlComment[], settings: LintSettings): MigrationUnit['wrapped'] {
  for (const c of comments) {
    if (NO_TX.some((re) => re.test(c.text))) return { inTransaction: false, reason: `directive \`${c.text.trim()}\`` };
    if (TX.test(c.text)) return { inTransaction: true, reason: `directive \`${c.text.trim()}\`` };
  }
  if (settings.runnerMetadata) return { ...settings.runnerMetadata, byPhase: {}, perPhaseSwitch: false };
  const wraps = runnerWraps(settings);
  const reason =
    settings.assumeInTransaction !== null ? 'configuration `assumeInTransaction`' : wraps ? `${settings.sqlRunner} runs each migration in a transaction` : `${settings.sqlRunner} runs each statement on its own`;
  // dbmate decides per section: `-- migrate:down transaction:false` affects only the down section.
  const byPhase: Partial<Record<Phase, boolean>> = {};
  for (const c of comments) {
    const m = DBMATE_SECTION.exec(c.text.trim());
    if (m && /\btransaction:false\b/i.test(m[2]!)) byPhase[m[1]!.toLowerCase() as Phase] = false;
  }
  return { inTransaction: wraps, reason, byPhase, perPhaseSwitch: settings.sqlRunner === 'dbmate' };
}

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
  if (out.includes('{{') || out.includes('${')) out = out.replace(/\{\{[^\n]*?\}\}|\$\{[^}\n]*\}/g, (m) => '_'.repeat(m.length));
  if (psql && /^[ \t]*\\/m.test(out)) out = out.replace(/^[ \t]*\\[^\r\n]*/gm, (m) => ' '.repeat(m.length));
  if (psql && out.includes(':')) {
    out = out.replace(/(?<![:\w]):(?:'([A-Za-z_]\w*)'|"([A-Za-z_]\w*)"|([A-Za-z_]\w*))/g, (m, sq?: string, dq?: string) =>
      sq ? `'${'_'.repeat(m.length - 2)}'` : dq ? `"${'_'.repeat(m.length - 2)}"` : '_'.repeat(m.length),
    );
  }
  return out;
}

/** The runner in effect: dbmate's `-- migrate:up` markers are unambiguous, so they win over the default. */
function effectiveSettings(settings: LintSettings, comments: SqlComment[]): LintSettings {
  if (settings.sqlRunner === 'psql' && comments.some((c) => DBMATE_SECTION.test(c.text.trim()))) return { ...settings, sqlRunner: 'dbmate' };
  return settings;
}

/** Builds the unit of a `.sql` file. The SQL parser must be initialised. */
export function sqlUnit(file: string, text: string, given: LintSettings): MigrationUnit {
  const source = new SourceText(text);
  const parsed = parseSql(parseableSql(text, given.sqlRunner === 'psql'));
  const settings = effectiveSettings(given, parsed.comments);
  const wrapped = wrapping(parsed.comments, settings);
  // golang-migrate and diesel send the whole file as one query string: one implicit transaction.
  const oneBatch = settings.sqlRunner === 'golang-migrate' || settings.sqlRunner === 'diesel';
  const executor = settings.sqlRunner === 'migrun' ? 'migrun-sql' : 'raw';
  const downMarker = parsed.comments.find((c) => /^--\s*migrate:down\b/i.test(c.text));
  /** Statements inside a DO block, mapped to the DO statement that contains them. */
  const container = new Map<Statement, Statement>();

  const statements: Statement[] = parsed.statements.flatMap((p, i) => {
    const phase: Phase = downMarker && p.start > downMarker.start ? 'down' : 'up';
    const outer: Statement = {
      sql: p.text,
      node: p.node,
      span: { start: p.start, end: p.end },
      sqlToFile: (o: number) => p.start + o,
      origin: 'sql-file',
      interpolated: false,
      batch: oneBatch ? 0 : i,
      executor,
      phase,
      context: { inTransaction: false, transaction: 'none', createdTables: new Set(), lockTimeoutSet: false, statementTimeoutSet: false },
    };
    const inner = doBlockStatements(p.node).flatMap((q) => innerStatements(outer, q));
    for (const st of inner) container.set(st, outer);
    return [outer, ...inner];
  });

  const directive = noTransactionDirective(settings);
  return {
    file,
    source,
    language: 'sql',
    framework: 'sql',
    statements,
    wrapped,
    sessions: [],
    swallowedCatches: [],
    phaseRegions: [],
    unanalysed: parsed.unparsed.map((u) => ({ scope: 'file' as const, message: `Not analysed: ${u.reason}.`, help: 'Split the statement into smaller ones (e.g. a multi-row INSERT into several), or check it by other means.', span: { start: u.start, end: u.end } })),
    comments: parsed.comments.map((c) => ({ text: c.text, span: { start: c.start, end: c.end } })),
    syntaxErrors: parsed.errors.map((e) => ({ message: e.message, offset: e.offset })),
    edits: {
      disableTransaction: (phase) => {
        if (settings.sqlRunner === 'dbmate') {
          const marker = parsed.comments.find((c) => DBMATE_SECTION.exec(c.text.trim())?.[1]?.toLowerCase() === phase);
          if (marker) return [{ start: marker.end, end: marker.end, text: ' transaction:false' }];
        }
        return directive ? [insertAtTop(source, directive)] : null;
      },
      insertStatementBefore: (target, sql) => {
        const first = container.get(target) ?? target;
        const lineStart = source.offsetAt({ line: source.positionAt(first.span.start).line, column: 1 });
        const indent = text.slice(lineStart, first.span.start);
        if (/\S/.test(indent)) return [{ start: first.span.start, end: first.span.start, text: `${sql}; ` }];
        return [{ start: lineStart, end: lineStart, text: `${indent}${sql};${source.eol}` }];
      },
    },
  };
}

/**
 * The SQL statements a `DO` block's PL/pgSQL body runs, located in the file where
 * the body's text can be found. They run inside the DO statement, which is atomic:
 * PostgreSQL treats the block as one statement (so no CONCURRENTLY inside it).
 */
function innerStatements(outer: Statement, query: string): Statement[] {
  let parsed;
  try {
    parsed = parseSql(query);
  } catch {
    return [];
  }
  if (parsed.error) return [];
  const at = outer.sql.indexOf(query);
  const base = at >= 0 ? outer.span.start + at : null;
  return parsed.statements.map((st) => ({
    ...outer,
    sql: st.text,
    node: st.node,
    span: base !== null ? { start: base + st.start, end: base + st.end } : outer.span,
    sqlToFile: base !== null ? (o: number) => base + st.start + o : null,
    origin: 'literal' as const,
    codeTransaction: 'a DO block, which runs as one statement',
    context: { ...outer.context },
  }));
}

/** Inserts a directive line at the top of the file, after a BOM. */
function insertAtTop(source: SourceText, line: string): Edit {
  const at = source.text.charCodeAt(0) === 0xfeff ? 1 : 0;
  return { start: at, end: at, text: `${line}${source.eol}` };
}
