/**
 * The migration unit: what every frontend turns its file into, and the only
 * thing rules look at.
 */
import type { Node } from 'libpg-query';
import type { Edit, Span } from './diagnostic.js';
import type { SourceText } from './source-text.js';
import type { StatementFacts } from '../sql/facts.js';
import type { TypeFact } from '../sql/alter.js';
import type { PriorSchema } from '../sql/prior.js';

/**
 * Which migration framework (or library) a unit is written for: the id of a framework
 * module (src/sources/registry.ts, `FrameworkModule.framework`), e.g. `typeorm`, `knex`,
 * `alembic`; the modules own the ids. Two are not modules': `sql`, a `.sql` file (its
 * runner is `LintSettings.sqlRunner`), and `unknown`, code in which no framework was recognised.
 */
export type Framework = 'sql' | 'unknown' | (string & {});

/** Who wraps a statement in a transaction block, if anyone. */
export type TransactionOwner =
  /** The file's own `BEGIN` / `START TRANSACTION`. */
  | 'explicit'
  /** The migration framework's default wrapping transaction (or the configured SQL runner's). */
  | 'framework'
  /** Several statements sent as one simple-protocol query string: one implicit transaction. */
  | 'implicit'
  /** A transaction the migration code opens itself (`sequelize.transaction(...)`, `knex.transaction(...)`, a `{ transaction }` option). */
  | 'code'
  | 'none';

/** Which code path executes a statement. */
export type Executor = 'raw' | 'builder' | 'migrun-ddl' | 'migrun-dml' | 'migrun-index' | 'migrun-sql';

/** Which migration direction a statement belongs to. */
export type Phase = 'up' | 'down' | 'other';

export interface StatementContext {
  inTransaction: boolean;
  transaction: TransactionOwner;
  /** Tables created earlier in the same phase, by schema-qualified, case-correct key (`public.leads`, `audit."Leads"`; src/sql/names.ts). */
  createdTables: ReadonlySet<string>;
  /** `search_path` in force for this statement (set by `computeContexts`; unset means the default, `"$user", public`). */
  searchPath?: readonly string[];
  /**
   * Whether a non-zero `lock_timeout` / `statement_timeout` is in force before this statement:
   * derived from the settings map (`factsOf(s).settings`, src/sql/settings.ts `timeoutInForce`), kept for existing readers.
   */
  lockTimeoutSet: boolean;
  statementTimeoutSet: boolean;
}

export interface Statement {
  /** The statement's SQL text (for an interpolated template, with `$n` placeholders). */
  sql: string;
  /** libpg-query's node for the statement, e.g. `{ IndexStmt: {...} }`. */
  node: Node;
  /** Where the statement is in the file (for a builder call, the call). */
  span: Span;
  /**
   * Maps a UTF-16 offset in `sql` to a UTF-16 offset in the file, or `null` when
   * that text cannot be edited in place (builder calls, escapes, interpolations).
   */
  sqlToFile: ((sqlOffset: number) => number | null) | null;
  origin: 'sql-file' | 'literal' | 'template' | 'builder';
  /**
   * A template with `${}` (or a builder argument) the frontend cannot resolve: analysed with
   * placeholders; its fixes are display-only. A same-file const string counts as resolved.
   */
  interpolated: boolean;
  /** Statements that share a batch were sent in one query call. */
  batch: number;
  executor: Executor;
  phase: Phase;
  /**
   * Set by a frontend when the code runs the statement inside a transaction it opened, e.g. `sequelize.transaction()`:
   * a label for messages only (two blocks may share it); which transaction it is, is in `connection`.
   */
  codeTransaction?: string;
  /** Which of the code's transactions that is (two callbacks with the same text are two); set with `codeTransaction`. */
  codeTransactionId?: string;
  /**
   * Which connection runs the statement: statements with the same key share a
   * session (so a session-level `SET` before one holds for the next). `null`: a
   * pool that may hand each query another connection. Unset: the unit's one
   * connection (a `.sql` file).
   */
  connection?: string | null;
  /**
   * Set by a frontend when the framework runs the statement in an autocommit block on the
   * migration's own connection (Alembic's `with op.get_context().autocommit_block():`): the
   * framework commits its open transaction before the block's first statement, runs the block
   * outside any transaction block on the same session (session-level settings hold on,
   * `SET LOCAL`s ended with the commit), and begins a new transaction after its last one when
   * it wraps the direction. Statements with the same key are in one block.
   */
  autocommitBlock?: string;
  /**
   * The types columns of the altered table had before the statement, known from outside the
   * file (a framework's state of earlier migrations, `BuiltSql.priorColumnTypes`); the facts'
   * `alter-column-type` reads its old type here when the unit's schema delta does not say it.
   */
  priorColumnTypes?: Record<string, TypeFact>;
  /** Filled in by `computeContexts` once the unit is complete. */
  context: StatementContext;
  /** Filled in by `computeContexts` with the context; read it with `factsOf` (src/sql/facts.ts), which throws when it is missing. */
  facts?: StatementFacts;
  /**
   * For a builder statement: what the framework's call does that the SQL alone does not say, as a
   * clause for messages (`TypeORM's changeColumn drops the column and adds it again when its type
   * (int to bigint) changes, so the column's data is lost`). Unset for most statements.
   */
  builderEffect?: string;
}

/** An opened session or transaction in migration code, as the frontend traced it. */
export interface SessionFact {
  /** The variable or expression that names the connection, e.g. `client`, `queryRunner`. */
  name: string;
  /** The session kind's id, owned by the framework module that opens it (`FrameworkModule.sessionKinds`), e.g. `pool-client`, `knex-transaction`. */
  kind: string;
  /** The kind in words, for messages: `pooled connection`, `knex transaction` (the module's `sessionKinds[kind]`). */
  label: string;
  /** Where it is acquired. */
  span: Span;
  /** Whether a transaction block is open on it (else it is only checked out). */
  inTransaction: boolean;
  /** null when every path commits/rolls back and releases it. */
  leak: null | {
    /**
     * How it leaks: never closed, an early return/break, an exception between open and close,
     * or DDL run on another connection while its transaction is still open (the DDL waits for its locks).
     */
    path: 'never-closed' | 'early-exit' | 'throw-path' | 'other-connection';
    /** The statement through which it escapes (the return, the awaited call that may throw). */
    span: Span;
    /** For 'other-connection': the DDL that runs elsewhere while the transaction is open (and waits for any lock it holds). */
    waiting?: Span;
    /** The state the connection is left in, in pg_stat_activity's words. */
    state: 'idle in transaction' | 'idle';
  };
  /** A check query on the session that could run on an autocommit path instead. */
  checkQuery?: Span;
  /** What to do, in the framework's own terms, when the rule's general advice does not fit (Python's SQLAlchemy). */
  help?: string;
  /**
   * Edits that close the leak, computed by the frontend (which sees the code): the
   * check moved to an autocommit path, or the uses wrapped in try/catch/finally.
   * They change control flow, so a rule offers them as unsafe.
   */
  fix?: { title: string; edits: Edit[] };
}

/** A catch clause (or `.catch()` handler) that swallows an error from DDL. */
export interface SwallowedCatchFact {
  /** The catch clause or handler. */
  span: Span;
  /** Spans of the DDL statements whose errors it swallows. */
  ddl: Span[];
  /** Where a rethrow would be inserted (end of the handler body), and the error's name. */
  rethrow: {
    offset: number;
    errorName: string | null;
    indent: string;
    /** False when the file leaves statements to automatic semicolon insertion (a rethrow on its own line then gets none). */
    semicolons?: boolean;
  } | null;
}

/** A comment, for suppressions and directives. */
export interface Comment {
  text: string;
  span: Span;
}

/** Edits a frontend knows how to make to its framework's code, for fixes. */
export interface FrontendEdits {
  /** Turns the framework's wrapping transaction off for this migration (or this direction); null if it cannot. */
  disableTransaction?: (phase: Phase) => Edit[] | null;
  /**
   * Inserts a statement executing `sql` ahead of `statement`: in SQL just before it,
   * in TS/JS as the first query of its phase's function (after leading SET queries).
   */
  insertStatementBefore?: (statement: Statement, sql: string) => Edit[] | null;
  /**
   * Inserts a statement executing `sql` immediately before `statement`, as a statement of its own
   * on the same connection and in the same direction, so that nothing runs between them: in SQL
   * just before it (with the runner's chunk separator where it has one); in TS/JS a new call of the
   * same receiver (a builder call: the framework's raw query) before the call's statement, awaited
   * as that one is; Alembic an `op.execute(...)` before the call's statement; Django a
   * `migrations.RunSQL(sql, reverse_sql=migrations.RunSQL.noop)` before the operation. Null when it
   * cannot: the statement is not the first its call sends, the runner sends the file as one query
   * string (both would then run in one implicit transaction block), the call is not awaited, the
   * direction runs its operations in reverse (Django's unapply).
   */
  insertStatementJustBefore?: (statement: Statement, sql: string) => Edit[] | null;
  /** Sets options on a builder call's options object, e.g. `{ concurrently: true }`; null if the builder has none. */
  setBuilderOptions?: (statement: Statement, options: Record<string, boolean>) => Edit[] | null;
  /** What the options `setBuilderOptions` sets need of the framework, as a clause (`Alembic 1.16 or newer`); null: nothing beyond what the file uses. */
  builderOptionsNeed?: (statement: Statement, options: Record<string, boolean>) => string | null;
  /** Replaces a builder call with the framework's raw-query call running `sql`; null if it cannot. */
  replaceWithRawQuery?: (statement: Statement, sql: string) => Edit[] | null;
  /**
   * Runs this one statement outside the framework's wrapping transaction (Alembic's
   * `with op.get_context().autocommit_block():`), with what else that changes (`caveat`,
   * which makes the fix unsafe); null when the framework has no per-statement way out. `first`:
   * SQL to run just before the statement inside the same block (the DROP INDEX CONCURRENTLY IF
   * EXISTS of a concurrent build).
   */
  runOutsideTransaction?: (statement: Statement, first?: string) => { edits: Edit[]; how: string; caveat: string } | null;
  /** Makes a swallowing handler rethrow its error at its end (`throw err;` in TS/JS); null if it cannot (no error binding). */
  rethrow?: (handler: SwallowedCatchFact) => Edit[] | null;
  /** The rethrow fix's title in the language's words (Python: a bare `raise`); absent: `Rethrow <error> at the end of the catch`. */
  rethrowTitle?: string;
}

export interface SyntaxErrorFact {
  message: string;
  /** UTF-16 offset in the file. */
  offset: number;
  /**
   * Whose grammar rejected it: PostgreSQL's (`sql`, the default) or the file's own
   * language's (any other value; the TS/JS frontend says `script`).
   */
  language?: string;
}

/** What a framework's migrations do in their own words, for rules' help texts. */
export interface FrameworkIdioms {
  /**
   * How a backfill is batched in its migrations (`ban-unbatched-backfill`), a phrase starting
   * `in <framework>, ...`: the query call to loop over key ranges and how each batch gets a
   * transaction of its own.
   */
  batchedBackfill?: string;
  /**
   * Why a display-only type fix leaves a builder call alone and what to change in it, in the
   * framework's terms (Alembic: the SQLAlchemy type the `op.*` call passes); absent: the TS/JS
   * builders' `the builder call is not rewritten: change the column method or type it names`.
   */
  builderTypeChange?: string;
  /**
   * How the migration runs `sql` before everything else of a direction on its own connection,
   * as a display-only fix's title (`Insert op.execute("SET lock_timeout = '5s'") at the start of
   * upgrade()`); absent: the advice to set it on the connection the migration runs on.
   */
  runFirst?: (sql: string, phase: Phase) => string;
  /**
   * How every connection the code opens starts with `name = value`, as the example of a
   * display-only timeout fix (SQLAlchemy: `create_engine(url, connect_args={"options": "-c lock_timeout=5s"})`);
   * absent: the libpq connection option `options: '-c name=value'`.
   */
  connectionSetting?: (name: string, value: string) => string;
  /**
   * How to make a builder operation that has no IF [NOT] EXISTS option rerunnable, in the
   * framework's terms (Django: `SeparateDatabaseAndState` with a `RunSQL` saying IF NOT EXISTS);
   * absent: write the statement as a raw query.
   */
  robustBuilder?: (form: string, missing: string) => string;
}

/**
 * Something a frontend could not fully read (fail closed: silence must mean "analysed and safe").
 * - `statement`: one query call or statement whose SQL could not be reconstructed or parsed;
 *   reported by the rule `unanalyzable-statement` (a warning by default).
 * - `file`: the file, or the part of it from `span` on, was not analysed (too large, nested too
 *   deeply, an unsupported file type named explicitly); reported by the engine as `unanalyzable-file`,
 *   an error.
 */
export interface UnanalysedFact {
  scope: 'statement' | 'file';
  /** What was not analysed and why, in one sentence. */
  message: string;
  /** What the user can do about it. */
  help?: string;
  span: Span;
  /** The direction it belongs to, when the frontend knows it. */
  phase?: Phase;
  /** Other places that explain it (where a limit was reached, when the whole file is not analysed). */
  related?: { span: Span; message: string }[];
}

export interface MigrationUnit {
  file: string;
  source: SourceText;
  /**
   * The file's language: its frontend's id (`LanguageFrontend.id`), or a dialect of it the
   * frontend distinguishes (the TS/JS frontend says `ts` or `js`). `sql` only for SQL files.
   */
  language: string;
  framework: Framework;
  statements: Statement[];
  /**
   * Whether the framework (or runner) wraps the migration in a transaction, and why;
   * `byPhase` overrides it for one direction (dbmate's `-- migrate:down transaction:false`).
   */
  wrapped: {
    inTransaction: boolean;
    reason: string;
    byPhase?: Partial<Record<Phase, boolean>>;
    /** The switch that turns the transaction off acts per direction (`pgm.noTransaction()`, dbmate sections), not per file. */
    perPhaseSwitch?: boolean;
    /**
     * The switch's value is only known at run time (its code, e.g. `transaction = isEnabled() ? false : undefined`):
     * `inTransaction` is then the framework's default, and whether the wrapping transaction is really open is unknown.
     */
    runtimeSwitch?: string;
    /**
     * What else turning the transaction off requires or changes, which makes that fix unsafe,
     * e.g. TypeORM's `transaction = false` needs `migrationsTransactionMode: 'each'`.
     */
    switchCaveat?: string;
    /** How to switch the transaction off by hand where `edits.disableTransaction` cannot (diesel's metadata.toml, Flyway's .sql.conf, pop's file name). */
    switchAdvice?: string;
    /**
     * Set when the runner sends the whole file (or each direction's section) as one query string, saying so:
     * PostgreSQL runs a string of several statements as one implicit transaction block
     * (protocol-flow.html, "Multiple Statements in a Simple Query"), so a statement a fix adds
     * (a `SET lock_timeout`) puts a lone `CREATE INDEX CONCURRENTLY` in a transaction block.
     */
    oneQueryString?: string;
    /** Where a statement that must run alone goes, in the runner's terms (Prisma: a new migration directory); default "a migration of its own". */
    splitSteps?: string;
    /** Set when `DROP INDEX CONCURRENTLY` makes the runner send the file as one query string (Prisma 7.4+): a fix must not add it beside other statements. */
    concurrentDropCaveat?: string;
  };
  /** For a `.sql` file: the runner that executes it and what decided that (configuration, a project file, a marker). */
  runner?: { name: string; why: string };
  sessions: SessionFact[];
  swallowedCatches: SwallowedCatchFact[];
  comments: Comment[];
  syntaxErrors: SyntaxErrorFact[];
  /**
   * Where each direction's code is in the file: TS/JS the `up`/`down` functions; SQL a
   * `-- migrate:down` section or the whole of a down file. A finding inside a region of a
   * direction that is not linted (the `directions` setting) is dropped. Empty: all `up`.
   */
  phaseRegions: { phase: Phase; span: Span }[];
  /** What the frontend could not fully read, each located (see `UnanalysedFact`). */
  unanalysed: UnanalysedFact[];
  /**
   * The language-level edits a fix may ask for. A frontend may compute them lazily, from a
   * syntax tree it keeps until `release` is called: ask for them before that.
   */
  edits: FrontendEdits;
  /** The framework's idioms that rules name in their help (from its module); absent: plain SQL's. */
  idioms?: FrameworkIdioms;
  /**
   * Frees what the frontend kept for `edits` (the TS/JS syntax tree); after it, an edit
   * operation that needs the tree throws. Called by the engine once the rules have run;
   * idempotent. Absent: nothing is kept.
   */
  release?: () => void;
  /**
   * Settings the client library gives every connection it opens, in force on each connection
   * until a statement changes them (slonik starts its connections with `statement_timeout`
   * 60 s unless its pool is configured otherwise). Unset: the server's defaults.
   */
  clientSettings?: readonly ClientSetting[];
  /**
   * The schema before the migration, where something outside the file knows it (a `.sql` file's earlier
   * migrations in its runner's order: src/sources/sql-history.ts). Read lazily, only for facts of the
   * `up` direction the unit's own delta leaves unknown (src/sql/prior.ts).
   */
  prior?: PriorSchema;
}

/** A setting a client library sets when it opens a connection (a startup parameter: `RESET` returns to it). */
export interface ClientSetting {
  /** The setting's name, lower case, e.g. `statement_timeout`. */
  name: string;
  /** Its value as PostgreSQL reads it, e.g. `60000ms`. */
  value: string;
  /** Who sets it, for messages, e.g. "slonik's default statementTimeout". */
  by: string;
}
