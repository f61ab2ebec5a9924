/**
 * The rule interface. A rule is pure: a unit and settings in, diagnostics out.
 * No file system, no database, no terminal colours inside a rule.
 */
import type { Diagnostic } from './diagnostic.js';
import type { MigrationUnit } from './unit.js';

/** How a project runs its `.sql` migrations; decides transaction wrapping and the fix's directive (see src/sources/sql-runners.ts). */
export const SQL_RUNNERS = ['psql', 'migrun', 'golang-migrate', 'dbmate', 'graphile-migrate', 'flyway', 'diesel', 'prisma', 'drizzle', 'db-migrate', 'postgres-migrations', 'postgres-shift', 'pop', 'goose'] as const;
export type SqlRunner = (typeof SQL_RUNNERS)[number];

export interface LintSettings {
  /** Target PostgreSQL major version, e.g. 15. */
  pgVersion: number;
  sqlRunner: SqlRunner;
  /**
   * The configuration names `sqlRunner` (even as `psql`): detection from the project's files is off.
   * Unset or false: `sqlRunner` is the default, and each file's runner is detected (src/sources/runner-detect.ts).
   */
  sqlRunnerExplicit?: boolean;
  /** The Prisma version to assume (`prismaVersion` setting, e.g. `7.4.0`), over what package.json and lock files say. */
  prismaVersion?: string | null;
  /** db-migrate runs with `--non-transactional` (`dbMigrate.nonTransactional`): no transaction around each migration. */
  dbMigrateNonTransactional?: boolean;
  /** Overrides the runner's default: treat every migration as wrapped in a transaction (true) or not. */
  assumeInTransaction: boolean | null;
  /** Migrations are executed by migrun, which sets lock_timeout and statement_timeout itself. */
  runtimeSetsTimeouts: boolean;
  /** Value inserted by the `require-lock-timeout` fix, e.g. `5s`. */
  lockTimeout: string;
  /** Value inserted by the `require-statement-timeout` fix, e.g. `120s`. */
  statementTimeout: string;
  /**
   * Per file: what the runner's own file beside the migration says about its transaction
   * (diesel's `metadata.toml`, Flyway's `<script>.sql.conf`); read by the caller, null when absent.
   */
  runnerMetadata?: RunnerMetadata | null;
}

/**
 * What the project's files say about how one migration runs: for a `.sql` file its runner and its
 * transaction setting; for a TS/JS file the program that calls its `up`/`down` (`codeRunner`).
 */
export interface RunnerMetadata {
  /**
   * The migration tool the project depends on that calls a TS/JS migration's functions, when it
   * decides how they run (ley and postgres-shift run every pending migration in one postgres.js
   * `sql.begin` transaction); `detectedBy` names the package.json and dependency.
   */
  codeRunner?: { name: CodeRunner; detectedBy: string };
  /** The runner the project's own files show runs this migration (Prisma's migration_lock.toml), when the configuration did not name one. */
  runner?: SqlRunner;
  /** Which file or dependency showed the runner, e.g. "prisma/migrations/migration_lock.toml". */
  detectedBy?: string;
  /** The migration's own transaction setting (diesel's metadata.toml, Flyway's .sql.conf); unset: the runner's default. */
  inTransaction?: boolean;
  /** Where `inTransaction` comes from, for messages, e.g. "metadata.toml: run_in_transaction = false". */
  reason?: string;
  /** For Prisma Migrate: how the version the project depends on runs migration.sql (src/sources/prisma-version.ts). */
  prisma?: { mode: 'one-string' | 'per-statement' | 'unknown'; version: string | null; source: string };
}

/** The TS/JS migration tools read from a project's dependencies (`RunnerMetadata.codeRunner`). */
export const CODE_RUNNERS = ['ley', 'postgres-shift'] as const;
export type CodeRunner = (typeof CODE_RUNNERS)[number];

export const DEFAULT_SETTINGS: LintSettings = {
  pgVersion: 15,
  sqlRunner: 'psql',
  assumeInTransaction: null,
  runtimeSetsTimeouts: false,
  lockTimeout: '5s',
  statementTimeout: '120s',
};

export interface RuleContext {
  settings: LintSettings;
  /** The rule's options from configuration, validated against `meta.options`. */
  options: Record<string, unknown>;
}

/**
 * What a rule is about; `coverage`: what miglint could not check (not a hazard of its own, so none of the others);
 * `compatibility`: running application code breaks (drops, renames); `schema`: a column type that causes trouble later;
 * `correctness`: data loss or a schema that is not what the migration says (drops, truncation, names), not a lock.
 */
export const RULE_CATEGORIES = ['locking', 'timeouts', 'transactions', 'error-handling', 'correctness', 'coverage', 'compatibility', 'schema'] as const;
export type RuleCategory = (typeof RULE_CATEGORIES)[number];

export interface RuleMeta {
  /** kebab-case, in the field's style: `require-*`, `ban-*`, `prefer-*`, `no-*`. */
  id: string;
  /** One line, shown in `--list-rules` and the README. */
  description: string;
  fixable: 'none' | 'sometimes' | 'always';
  /** Whether the rule is on when configuration does not mention it. */
  recommended: boolean;
  /** The severity it runs at when on and configuration does not say (default `error`; the catalogue's "warn" rules say `warning`). */
  defaultSeverity?: 'error' | 'warning';
  /** What the rule is about; `--fix-type` selects fixes by it. */
  category: RuleCategory;
  /**
   * Which inputs the rule can fire on: language frontend ids (`sql`, `ts`, `python`; see
   * src/sources/registry.ts) or frontend kinds: `sql` (SQL files) and `code` (every
   * programming-language frontend, those registered later too). `['sql', 'code']` is every input.
   */
  appliesTo: readonly string[];
}

export interface Rule {
  meta: RuleMeta;
  check(unit: MigrationUnit, context: RuleContext): Diagnostic[];
}

export function defineRule(rule: Rule): Rule {
  return rule;
}

const docsUrls = new Map<string, string>();

/**
 * The documentation URL of a rule, derived from its id: the `rules/<id>.md` file
 * shipped in this package (compiled code lives in `dist/src/core/`).
 */
export function ruleDocsUrl(id: string): string {
  // Made once per id: the language server asks for every diagnostic of every lint, and URL parsing is not cheap.
  let url = docsUrls.get(id);
  if (url === undefined) docsUrls.set(id, (url = new URL(`../../../rules/${id}.md`, import.meta.url).href));
  return url;
}
