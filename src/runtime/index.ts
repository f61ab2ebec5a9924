/**
 * migrun's library API: what TS migrations receive as `ctx`, and the same
 * executors for programs that run their own migrations.
 *
 * ```ts
 * import { connectMigrun } from 'miglint/runtime';
 * const db = connectMigrun({ databaseUrl: process.env.DATABASE_URL, lockTimeoutMs: 5000 });
 * try {
 *   if (!(await db.check.columnExists('leads', 'direction'))) await db.ddl('ALTER TABLE leads ADD COLUMN direction text');
 *   await db.index('CREATE INDEX CONCURRENTLY IF NOT EXISTS leads_direction ON leads (direction)');
 *   await db.backfill({ table: 'leads', set: "direction = 'in'", where: 'direction IS NULL', partitionBy: 'tenant_id' });
 * } finally {
 *   await db.close();
 * }
 * ```
 */
import { createContext, type MigrationContext } from './context.js';
import { Runtime, type RuntimeOptions } from './runtime.js';

export interface Migrun extends MigrationContext {
  readonly runtime: Runtime;
  /** Closes every session. */
  close(): Promise<void>;
}

/**
 * A migrun context on its own connection settings (`databaseUrl`, else
 * `DATABASE_URL`, else the PG* variables), with the given timeouts and retries.
 * Sessions open lazily on first use.
 */
export function connectMigrun(options: RuntimeOptions = {}): Migrun {
  const runtime = new Runtime(options);
  const ctx = createContext(runtime);
  return { ...ctx, runtime, close: () => runtime.close() };
}

export { Runtime, DEFAULT_SETTINGS, silentLogger, type RuntimeOptions, type RuntimeSettings, type Logger } from './runtime.js';
export { createContext, type MigrationContext } from './context.js';
export { execDdl, execDml, execIndex, execAutocommit, LockTimeoutError, type ExecOptions, type ExecResult, type IndexOptions, type IndexResult, type SqlInput } from './executors.js';
export { createChecks, type Checks } from './checks.js';
export { backfill, type BackfillOptions, type BackfillResult, type BackfillCheckpoint } from './backfill.js';
export { blockersOf, formatSessions, type SessionInfo } from './blockers.js';
export { idleInTransaction, terminateIdle, terminatePid } from './idle.js';
export { migrateUp, planMigrations, migrationStatus, DEFAULT_DIR, DEFAULT_TABLE, type MigrunOptions, type UpResult, type PlanResult, type StatusResult } from './runner.js';
export { lockReport, type LocksOptions, type LocksReport } from './locks-report.js';
export { formatPlan, formatStatus, formatLocks } from './format.js';
export { planSql, type PlannedStep, type PlannedStatement, type SqlPlan, type ExecutorKind } from './planner.js';
export { parseDuration, formatDuration } from './duration.js';
export { MigrunError, UsageError, PlanError, StatementError } from './errors.js';
export { resolveConnection, redact, redactUrl, Session } from './connection.js';
