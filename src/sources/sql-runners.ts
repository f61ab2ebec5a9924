/**
 * What each SQL migration runner does with a `.sql` file: whether it wraps it in a
 * transaction block, whether it sends the whole file (or each direction's section)
 * as one query string, and how a migration turns its transaction off. Read from each
 * runner's documentation and source:
 * - psql runs statement by statement in autocommit (app-psql.html, without `--single-transaction`);
 * - golang-migrate (postgres driver) sends the file as one query string, no transaction of its own;
 * - dbmate wraps each section in a transaction unless its marker says `transaction:false`, and sends a
 *   section as one query string;
 * - graphile-migrate wraps the file unless the first line of its body is `--! no-transaction`, and sends
 *   it as one query string;
 * - Flyway wraps each script and runs its statements one by one; `executeInTransaction=false` in
 *   `<script>.sql.conf` switches it off;
 * - diesel wraps the file unless `run_in_transaction = false` in `metadata.toml`, and sends it as one query string;
 * - Prisma Migrate sends `migration.sql` as one query string without a transaction of its own (up to Prisma 7.3);
 * - postgres-migrations (npm) wraps the file unless it contains `-- postgres-migrations disable-transaction`,
 *   and sends it as one query string;
 * - pop (gobuffalo/pop with ory/x popx, as in ory/kratos) wraps each file unless it is named
 *   `*.autocommit.up.sql` / `*.autocommit.down.sql`, and sends it as one query string;
 * - goose wraps the file unless it has `-- +goose NO TRANSACTION`, and runs its statements one by one.
 *
 * PostgreSQL runs a query string of several statements as one implicit transaction block
 * (protocol-flow.html, "Multiple Statements in a Simple Query"), so in a runner that sends
 * the file as one string, `CREATE INDEX CONCURRENTLY` works only as the file's only statement.
 */
import { basename } from 'node:path';
import type { Edit } from '../core/diagnostic.js';
import type { LintSettings, SqlRunner } from '../core/rule.js';
import type { SourceText } from '../core/source-text.js';
import type { MigrationUnit, Phase } from '../core/unit.js';
import type { SqlComment } from '../sql/parse.js';

interface RunnerTraits {
  /** The runner's name in messages. */
  label: string;
  /** Wraps each migration in a transaction block unless it says otherwise. */
  wraps: boolean;
  /** Sends the whole file, or each direction's section, as one query string; null: statement by statement. */
  queryString: 'file' | 'section' | null;
  /** The directive that switches the transaction off, placed at the top of the file by fixes; null: none. */
  directive: string | null;
  /** How to switch the transaction off by hand when there is no directive. */
  switchAdvice?: string;
}

const TRAITS: Record<SqlRunner, RunnerTraits> = {
  psql: { label: 'psql', wraps: false, queryString: null, directive: '-- miglint: no-transaction' },
  migrun: { label: 'migrun', wraps: false, queryString: null, directive: '-- migrun: no-transaction' },
  'golang-migrate': { label: 'golang-migrate', wraps: false, queryString: 'file', directive: '-- miglint: no-transaction' },
  dbmate: { label: 'dbmate', wraps: true, queryString: 'section', directive: '-- migrate:up transaction:false' },
  'graphile-migrate': { label: 'graphile-migrate', wraps: true, queryString: 'file', directive: '--! no-transaction' },
  flyway: { label: 'flyway', wraps: true, queryString: null, directive: null, switchAdvice: "set executeInTransaction=false in the script's .sql.conf file" },
  diesel: { label: 'diesel', wraps: true, queryString: 'file', directive: null, switchAdvice: "set run_in_transaction = false in the migration's metadata.toml" },
  prisma: { label: 'Prisma Migrate', wraps: false, queryString: 'file', directive: null, switchAdvice: 'Prisma Migrate has no switch: a migration.sql of this one statement runs outside a transaction block' },
  'postgres-migrations': { label: 'postgres-migrations', wraps: true, queryString: 'file', directive: '-- postgres-migrations disable-transaction' },
  pop: { label: 'pop', wraps: true, queryString: 'file', directive: null, switchAdvice: 'rename the file to <version>_<name>.autocommit.up.sql (or .down.sql): pop runs such files without a transaction' },
  goose: { label: 'goose', wraps: true, queryString: null, directive: '-- +goose NO TRANSACTION' },
};

/** How the runner sends the file: as one query string ('file'), one per direction's section ('section'), or statement by statement (null). */
export function queryStringScope(runner: SqlRunner): 'file' | 'section' | null {
  return TRAITS[runner].queryString;
}

const MIGLINT_NO_TX = [/^--\s*miglint:\s*no-transaction\b/i, /^--\s*migrun:\s*no-transaction\b/i];
const MIGLINT_TX = /^--\s*miglint:\s*transaction\b/i;
/** dbmate's section markers (its own pattern: `--` at the start of a line). */
export const DBMATE_SECTION = /^--\s*migrate:(up|down)\b(.*)$/i;
/** goose's annotations: `-- +goose Up`, `-- +goose Down`, `-- +goose NO TRANSACTION` (any case, at the start of a line). */
export const GOOSE_ANNOTATION = /^--\s*\+goose\s+(up|down|no transaction|statementbegin|statementend|envsub on|envsub off)\s*$/i;
const POSTGRES_MIGRATIONS_DIRECTIVE = '-- postgres-migrations disable-transaction';
/** pop's file names for migrations run outside a transaction. */
const POP_AUTOCOMMIT = /\.autocommit\.(up|down)\.sql$/i;
/** A graphile-migrate header line (`--! Previous: ...`): headers start with a capital letter. */
const GRAPHILE_HEADER = /^--! [A-Z][a-zA-Z0-9_]*(?::.*)?$/;

/** A comment that starts its line (only leading blanks before it). */
export function atLineStart(text: string, c: SqlComment): boolean {
  const lineStart = Math.max(text.lastIndexOf('\n', c.start - 1), text.lastIndexOf('\r', c.start - 1)) + 1;
  return /^[ \t]*$/.test(text.slice(lineStart, c.start));
}

/**
 * The runner in effect for one file: the configured one, unless the configuration left
 * the default (`psql`) and the file shows its runner unambiguously: dbmate's or goose's
 * section markers, the postgres-migrations directive, pop's `.autocommit.` file names,
 * or Prisma's migrations folder (read from disk by runner-metadata.ts).
 */
export function effectiveRunner(file: string, text: string, comments: SqlComment[], settings: LintSettings): SqlRunner {
  const configured = settings.sqlRunner;
  if (configured !== 'psql') return configured;
  if (settings.runnerMetadata?.runner) return settings.runnerMetadata.runner;
  if (comments.some((c) => DBMATE_SECTION.test(c.text.trim()) && atLineStart(text, c))) return 'dbmate';
  if (comments.some((c) => GOOSE_ANNOTATION.test(c.text.trim()) && atLineStart(text, c))) return 'goose';
  if (text.includes(POSTGRES_MIGRATIONS_DIRECTIVE)) return 'postgres-migrations';
  if (POP_AUTOCOMMIT.test(basename(file))) return 'pop';
  return configured;
}

/** The UTF-16 offset where a graphile-migrate migration's body starts: after its `--! Header:` lines and the blank line. */
function graphileBodyStart(text: string): number {
  let at = 0;
  for (;;) {
    const nl = text.indexOf('\n', at);
    const line = text.slice(at, nl < 0 ? text.length : nl).replace(/\r$/, '');
    if (!GRAPHILE_HEADER.test(line) || nl < 0) break;
    at = nl + 1;
  }
  while (at < text.length && /\s/.test(text[at]!)) at++;
  return at;
}

/** The transaction switch the runner itself reads in this file, if any: its reason. */
function runnerSwitch(runner: SqlRunner, file: string, text: string, comments: SqlComment[]): string | null {
  switch (runner) {
    case 'graphile-migrate': {
      // graphile-migrate reads only the first line of the body.
      const at = graphileBodyStart(text);
      return /^--!\s*no-transaction\b/.test(text.slice(at, at + 200)) ? 'directive `--! no-transaction`' : null;
    }
    case 'postgres-migrations':
      // postgres-migrations looks for the text anywhere in the file.
      return text.includes(POSTGRES_MIGRATIONS_DIRECTIVE) ? `directive \`${POSTGRES_MIGRATIONS_DIRECTIVE}\`` : null;
    case 'goose':
      return comments.some((c) => /^--\s*\+goose\s+no transaction\s*$/i.test(c.text.trim()) && atLineStart(text, c)) ? 'directive `-- +goose NO TRANSACTION`' : null;
    case 'pop':
      return POP_AUTOCOMMIT.test(basename(file)) ? 'its `.autocommit.` file name (pop runs it without a transaction)' : null;
    default:
      return null;
  }
}

/**
 * Whether the runner wraps the file in a transaction, and why: miglint's own directives
 * first, then the runner's switch in the file, its metadata beside the file, and its default.
 */
export function wrapping(file: string, text: string, comments: SqlComment[], runner: SqlRunner, settings: LintSettings): MigrationUnit['wrapped'] {
  const traits = TRAITS[runner];
  const extra = {
    ...(traits.switchAdvice ? { switchAdvice: traits.switchAdvice } : {}),
    ...(traits.queryString ? { oneQueryString: `${traits.label} sends ${traits.queryString === 'file' ? 'the whole file' : "each direction's section"} as one query string` } : {}),
  };
  for (const c of comments) {
    if (MIGLINT_NO_TX.some((re) => re.test(c.text))) return { inTransaction: false, reason: `directive \`${c.text.trim()}\``, ...extra };
    if (MIGLINT_TX.test(c.text)) return { inTransaction: true, reason: `directive \`${c.text.trim()}\``, ...extra };
  }
  const own = runnerSwitch(runner, file, text, comments);
  if (own) return { inTransaction: false, reason: own, ...extra };
  if (settings.runnerMetadata) return { inTransaction: settings.runnerMetadata.inTransaction, reason: settings.runnerMetadata.reason, byPhase: {}, perPhaseSwitch: false, ...extra };
  const wraps = settings.assumeInTransaction ?? traits.wraps;
  const reason =
    settings.assumeInTransaction !== null
      ? 'configuration `assumeInTransaction`'
      : wraps
        ? `${traits.label} runs each migration in a transaction`
        : traits.queryString
          ? `${traits.label} sends the whole file as one query string, without a transaction block of its own`
          : `${traits.label} runs each statement on its own`;
  // dbmate decides per section: `-- migrate:down transaction:false` affects only the down section.
  const byPhase: Partial<Record<Phase, boolean>> = {};
  if (runner === 'dbmate') {
    for (const c of comments) {
      const m = DBMATE_SECTION.exec(c.text.trim());
      if (m && /\btransaction:false\b/i.test(m[2]!)) byPhase[m[1]!.toLowerCase() as Phase] = false;
    }
  }
  return { inTransaction: wraps, reason, byPhase, perPhaseSwitch: runner === 'dbmate', ...extra };
}

/**
 * Edits that switch the runner's transaction off for `phase`, or null when the runner
 * has no directive (diesel, Flyway, pop, Prisma Migrate: see `switchAdvice`).
 */
export function disableTransactionEdits(runner: SqlRunner, source: SourceText, comments: SqlComment[], phase: Phase): Edit[] | null {
  if (runner === 'dbmate') {
    const marker = comments.find((c) => DBMATE_SECTION.exec(c.text.trim())?.[1]?.toLowerCase() === phase);
    if (marker) return [{ start: marker.end, end: marker.end, text: ' transaction:false' }];
  }
  const directive = TRAITS[runner].directive;
  if (!directive) return null;
  // graphile-migrate reads the directive on the first line of the body, after its headers.
  const at = runner === 'graphile-migrate' ? graphileBodyStart(source.text) : source.text.charCodeAt(0) === 0xfeff ? 1 : 0;
  return [{ start: at, end: at, text: `${directive}${source.eol}` }];
}
