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
 * - Prisma Migrate has no transaction of its own; before 7.4 it sends `migration.sql` as one query string,
 *   from 7.4 statement by statement (see prisma-version.ts: the version decides);
 * - drizzle-kit's `migrate` runs all pending migrations in one transaction, each `--> statement-breakpoint`
 *   chunk as one query; it has no switch;
 * - db-migrate (a `migrations/sqls/*-up.sql` read by its JS wrapper) wraps each migration in a transaction
 *   unless the whole run uses `--non-transactional`, and sends the file as one query string;
 * - postgres-migrations (npm) wraps the file unless it contains `-- postgres-migrations disable-transaction`,
 *   and sends it as one query string;
 * - postgres-shift (npm, for postgres.js) runs all pending migrations in one `sql.begin` transaction, a `.sql`
 *   one (`00001_name.sql`, `00001_name/index.sql`) with `sql.file(path)`: no parameters, so one simple query
 *   string; it has no switch;
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
import type { LintSettings, RunnerMetadata, SqlRunner } from '../core/rule.js';
import { modeOf } from './prisma-version.js';
import type { SourceText } from '../core/source-text.js';
import type { MigrationUnit, Phase } from '../core/unit.js';
import type { SqlComment } from '../sql/parse.js';

interface RunnerTraits {
  /** The runner's name in messages. */
  label: string;
  /** Wraps each migration in a transaction block unless it says otherwise. */
  wraps: boolean;
  /**
   * Sends the whole file, each direction's section, or each `--> statement-breakpoint` chunk as one query
   * string; null: statement by statement.
   */
  queryString: QueryScope;
  /** The directive that switches the transaction off, placed at the top of the file by fixes; null: none. */
  directive: string | null;
  /** How to switch the transaction off by hand when there is no directive. */
  switchAdvice?: string;
  /** Where a statement that must run alone goes, for the fixes' "split" advice (default: "a migration of its own"). */
  splitSteps?: string;
}

export type QueryScope = 'file' | 'section' | 'breakpoint' | null;

/** The exact steps of a Prisma migration of its own (display-only fixes; Prisma Migrate has no transaction switch). */
const PRISMA_SPLIT =
  'a new migration directory of its own (`npx prisma migrate dev --create-only --name <name>` creates `prisma/migrations/<timestamp>_<name>/migration.sql`; make the statement that file\'s only statement, then `npx prisma migrate deploy`)';

const TRAITS: Record<SqlRunner, RunnerTraits> = {
  psql: { label: 'psql', wraps: false, queryString: null, directive: '-- miglint: no-transaction' },
  migrun: { label: 'migrun', wraps: false, queryString: null, directive: '-- migrun: no-transaction' },
  'golang-migrate': { label: 'golang-migrate', wraps: false, queryString: 'file', directive: '-- miglint: no-transaction' },
  dbmate: { label: 'dbmate', wraps: true, queryString: 'section', directive: '-- migrate:up transaction:false' },
  'graphile-migrate': { label: 'graphile-migrate', wraps: true, queryString: 'file', directive: '--! no-transaction' },
  flyway: { label: 'flyway', wraps: true, queryString: null, directive: null, switchAdvice: "set executeInTransaction=false in the script's .sql.conf file" },
  diesel: { label: 'diesel', wraps: true, queryString: 'file', directive: null, switchAdvice: "set run_in_transaction = false in the migration's metadata.toml" },
  prisma: { label: 'Prisma Migrate', wraps: false, queryString: 'file', directive: null, switchAdvice: `Prisma Migrate has no transaction switch: move it into ${PRISMA_SPLIT}`, splitSteps: PRISMA_SPLIT },
  drizzle: {
    label: 'drizzle-kit migrate',
    wraps: true,
    queryString: 'breakpoint',
    directive: null,
    switchAdvice:
      "drizzle's migrate runs all pending migrations in one transaction and has no switch: take the statement out of the drizzle migrations folder and run it outside drizzle's migrate (a custom migration script or psql step run after `drizzle-kit migrate`, on its own connection)",
    splitSteps: "a script run outside drizzle's migrate, after it (drizzle runs every migration in its folder inside one transaction)",
  },
  'db-migrate': {
    label: 'db-migrate',
    wraps: true,
    queryString: 'file',
    directive: null,
    switchAdvice:
      "db-migrate's transaction cannot be switched off per migration: run the whole `db-migrate up` with `--non-transactional` (and set `dbMigrate.nonTransactional` in miglint's configuration), keeping the statement alone in its own migration, or run it outside db-migrate",
  },
  'postgres-migrations': { label: 'postgres-migrations', wraps: true, queryString: 'file', directive: '-- postgres-migrations disable-transaction' },
  'postgres-shift': {
    label: 'postgres-shift',
    wraps: true,
    queryString: 'file',
    directive: null,
    switchAdvice:
      'postgres-shift runs all pending migrations in one transaction and has no switch: take the statement out of its migrations folder and run it outside postgres-shift (a script of its own, run after it, on its own connection)',
    splitSteps: 'a script run outside postgres-shift, after it (postgres-shift runs every migration in its folder inside one transaction)',
  },
  pop: { label: 'pop', wraps: true, queryString: 'file', directive: null, switchAdvice: 'rename the file to <version>_<name>.autocommit.up.sql (or .down.sql): pop runs such files without a transaction' },
  goose: { label: 'goose', wraps: true, queryString: null, directive: '-- +goose NO TRANSACTION' },
};

/** The runner's name in messages, e.g. `Prisma Migrate`. */
export function runnerLabel(runner: SqlRunner): string {
  return TRAITS[runner].label;
}

/**
 * How the runner sends the file: as one query string ('file'), one per direction's section ('section'), one per
 * `--> statement-breakpoint` chunk ('breakpoint'), or statement by statement (null). For Prisma Migrate the
 * version decides (settings.runnerMetadata.prisma): from 7.4 statement by statement, except a file with
 * `DROP INDEX CONCURRENTLY` and other statements, which its statement splitter cannot parse and sends whole.
 * @param hasConcurrentDrop whether the file holds `DROP INDEX CONCURRENTLY`; `statements` how many statements it has.
 */
export function queryStringScope(runner: SqlRunner, settings: LintSettings, file: { statements: number; hasConcurrentDrop: boolean }): QueryScope {
  if (runner === 'prisma' && prismaOf(settings)?.mode === 'per-statement') return file.hasConcurrentDrop && file.statements > 1 ? 'file' : null;
  return TRAITS[runner].queryString;
}

const MIGLINT_NO_TX = [/^--\s*miglint:\s*no-transaction\b/i, /^--\s*migrun:\s*no-transaction\b/i];
const MIGLINT_TX = /^--\s*miglint:\s*transaction\b/i;
/** How every one of those directives starts: a comment that does not is none of them (most comments, tested once). */
const DIRECTIVE_START = /^--\s*mig(?:lint|run):/i;
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
 * pop's (and Ory's popx's) file names with a dialect: `<version>_<name>.<dialect>.up.sql`, pop's
 * `^(\d+)_([^.]+)(\.[a-z0-9]+)?\.(up|down)\.(sql|fizz)$` with one of its dialect names. Without
 * the dialect the name is golang-migrate's too, which then wins (it is the more common).
 */
/** pop's dialect names of the databases that are not PostgreSQL, with the name a message shows. */
const OTHER_POP_DIALECTS: Record<string, string> = { cockroach: 'CockroachDB', cockroachdb: 'CockroachDB', crdb: 'CockroachDB', mysql: 'MySQL', mariadb: 'MariaDB', sqlite: 'SQLite', sqlite3: 'SQLite', mssql: 'SQL Server', sqlserver: 'SQL Server' };
const POP_DIALECT_NAME = new RegExp(String.raw`^\d+_[^./\\]+\.(?:postgres|postgresql|pg|${Object.keys(OTHER_POP_DIALECTS).join('|')})\.(?:up|down)\.sql$`, 'i');

/**
 * The database a migration file is for when its name says it is not PostgreSQL: pop runs
 * `<version>_<name>.mysql.up.sql` only on MySQL (a project that supports several databases keeps
 * one file per dialect beside each other). Null for any other name.
 */
export function otherDatabaseByName(file: string): string | null {
  const m = /^\d+_[^./\\]+\.([a-z0-9]+)\.(?:up|down)\.sql$/i.exec(basename(file));
  return m ? (OTHER_POP_DIALECTS[m[1]!.toLowerCase()] ?? null) : null;
}

/** Whether the file name is one only pop writes: with a dialect (`.postgres.up.sql`) or `.autocommit.`. */
export function isPopOnlyName(name: string): boolean {
  return POP_DIALECT_NAME.test(name) || POP_AUTOCOMMIT.test(name);
}

/** golang-migrate's file names: `<version>_<title>.up.sql` / `.down.sql` (a number, an underscore). */
export const GOLANG_MIGRATE_NAME = /^\d+_[^/\\]+\.(up|down)\.sql$/i;
/** Flyway's versioned, undo and repeatable migrations: `V1__name.sql`, `U1__name.sql`, `R__name.sql`. */
const FLYWAY_NAME = /^(?:[VU]\d+(?:[._]\d+)*|R)__.+\.sql$/;

/** The runner of one file and what decided it, e.g. `{ runner: 'dbmate', why: 'its `-- migrate:up` section marker' }`. */
export interface RunnerChoice {
  runner: SqlRunner;
  why: string;
}

/**
 * The runner in effect for one file, and why: the configured one when the configuration names it
 * (or names any runner but the default `psql`); else what the project's files showed
 * (`settings.runnerMetadata`, read by runner-detect.ts), then the file itself: dbmate's or goose's
 * section markers, the postgres-migrations directive, pop's `.autocommit.` and `.<dialect>.` file names, Flyway's
 * `V1__name.sql` and golang-migrate's `NNN_name.up.sql` names; else `psql`.
 */
export function effectiveRunner(file: string, text: string, comments: SqlComment[], settings: LintSettings): RunnerChoice {
  const configured = settings.sqlRunner;
  if (configured !== 'psql' || settings.sqlRunnerExplicit) return { runner: configured, why: 'configuration `sqlRunner`' };
  const meta = settings.runnerMetadata;
  if (meta?.runner) return { runner: meta.runner, why: meta.detectedBy ?? 'the files beside the migration' };
  if (comments.some((c) => DBMATE_SECTION.test(c.text.trim()) && atLineStart(text, c))) return { runner: 'dbmate', why: 'its `-- migrate:up`/`-- migrate:down` section markers' };
  if (comments.some((c) => GOOSE_ANNOTATION.test(c.text.trim()) && atLineStart(text, c))) return { runner: 'goose', why: 'its `-- +goose` annotations' };
  if (text.includes(POSTGRES_MIGRATIONS_DIRECTIVE)) return { runner: 'postgres-migrations', why: `its \`${POSTGRES_MIGRATIONS_DIRECTIVE}\` directive` };
  const name = basename(file);
  if (POP_AUTOCOMMIT.test(name)) return { runner: 'pop', why: "its `.autocommit.` file name (pop's)" };
  if (POP_DIALECT_NAME.test(name)) return { runner: 'pop', why: "its file name (pop's `<version>_<name>.<dialect>.up.sql`)" };
  if (FLYWAY_NAME.test(name)) return { runner: 'flyway', why: "its file name (Flyway's `V<version>__<description>.sql`)" };
  if (GOLANG_MIGRATE_NAME.test(name)) return { runner: 'golang-migrate', why: "its file name (golang-migrate's `<version>_<title>.up.sql`)" };
  return { runner: configured, why: 'the default (nothing in the project showed another runner)' };
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
export function wrapping(file: string, text: string, comments: SqlComment[], runner: SqlRunner, settings: LintSettings, scope: QueryScope = TRAITS[runner].queryString): MigrationUnit['wrapped'] {
  const traits = TRAITS[runner];
  const prisma = runner === 'prisma' ? prismaOf(settings) : undefined;
  const label = prisma ? `${traits.label} ${prismaVersionText(prisma)}` : traits.label;
  const what = scope === 'file' ? 'the whole file' : scope === 'section' ? "each direction's section" : 'each `--> statement-breakpoint` chunk';
  const dropCaveat = `${label} sends a file holding DROP INDEX CONCURRENTLY and any other statement as one query string (its statement splitter cannot parse DROP INDEX CONCURRENTLY)`;
  const perStatementPrisma = prisma?.mode === 'per-statement';
  const extra = {
    ...(traits.switchAdvice ? { switchAdvice: traits.switchAdvice } : {}),
    ...(traits.splitSteps ? { splitSteps: traits.splitSteps } : {}),
    ...(scope === 'file' || scope === 'section' ? { oneQueryString: perStatementPrisma ? dropCaveat : `${label} sends ${what} as one query string` } : {}),
    ...(perStatementPrisma ? { concurrentDropCaveat: dropCaveat } : {}),
  };
  for (const c of comments) {
    if (!DIRECTIVE_START.test(c.text)) continue;
    if (MIGLINT_NO_TX.some((re) => re.test(c.text))) return { inTransaction: false, reason: `directive \`${c.text.trim()}\``, ...extra };
    if (MIGLINT_TX.test(c.text)) return { inTransaction: true, reason: `directive \`${c.text.trim()}\``, ...extra };
  }
  const own = runnerSwitch(runner, file, text, comments);
  if (own) return { inTransaction: false, reason: own, ...extra };
  const meta = settings.runnerMetadata;
  if (meta?.inTransaction !== undefined) return { inTransaction: meta.inTransaction, reason: meta.reason ?? 'the files beside the migration', byPhase: {}, perPhaseSwitch: false, ...extra };
  const nonTransactional = runner === 'db-migrate' && settings.dbMigrateNonTransactional;
  const wraps = settings.assumeInTransaction ?? (nonTransactional ? false : traits.wraps);
  const reason =
    settings.assumeInTransaction !== null
      ? 'configuration `assumeInTransaction`'
      : nonTransactional
        ? 'db-migrate runs with `--non-transactional` (configuration `dbMigrate.nonTransactional`)'
        : runner === 'drizzle'
          ? "drizzle's migrate runs all pending migrations in one transaction"
          : runner === 'postgres-shift'
            ? 'postgres-shift runs all pending migrations in one sql.begin transaction'
          : wraps
            ? `${label} runs each migration in a transaction`
            : scope
              ? `${label} sends ${what} as one query string, without a transaction block of its own`
              : `${label} runs each statement on its own`;
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
 * has no directive (diesel, Flyway, pop, Prisma Migrate, drizzle-kit, db-migrate: see `switchAdvice`).
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

/** How the project's Prisma version runs migration.sql: as read from its files, else from the `prismaVersion` setting alone. */
function prismaOf(settings: LintSettings): RunnerMetadata['prisma'] {
  const read = settings.runnerMetadata?.prisma;
  if (read) return read;
  return settings.prismaVersion ? { mode: modeOf(settings.prismaVersion), version: settings.prismaVersion, source: 'configuration `prismaVersion`' } : undefined;
}

/** The Prisma version behind a message: `7.4.1 (from package-lock.json (prisma 7.4.1))`, or that it is not known. */
export function prismaVersionText(p: NonNullable<RunnerMetadata['prisma']>): string {
  if (p.mode === 'unknown') return `(version not known: ${p.source}; before 7.4 a migration.sql is one query string, from 7.4 statement by statement)`;
  return `${p.mode === 'per-statement' ? '7.4 or later' : 'before 7.4'} (${p.source})`;
}
