/**
 * The safe executors.
 *
 * - `execDdl`: one transaction with `SET LOCAL lock_timeout`, `statement_timeout`
 *   and `idle_in_transaction_session_timeout` (runtime-config-client.html); on
 *   `lock_not_available` (55P03) or `deadlock_detected` (40P01) it rolls back,
 *   waits (exponential backoff with jitter) and retries the whole group, settings
 *   included. After the last retry it fails, naming the sessions that blocked it.
 * - `execDml`: the same with the DML lock timeout and no statement timeout.
 * - `execIndex`: one `CREATE/DROP INDEX CONCURRENTLY` or `REINDEX CONCURRENTLY`
 *   in autocommit (it "cannot be executed inside a transaction block",
 *   sql-createindex.html), no statement timeout, retries; an INVALID index of the
 *   same name, left by an earlier failed build (sql-createindex.html#SQL-CREATEINDEX-CONCURRENTLY:
 *   "the CREATE INDEX command will fail but leave behind an invalid index"), is
 *   dropped concurrently before building, since `IF NOT EXISTS` would skip it.
 * - `execAutocommit`: any other statement that cannot run in a transaction block (VACUUM, ...).
 *
 * Before each attempt of a DDL, index or autocommit step, idle-in-transaction
 * sessions holding locks on the step's relations are reported (and terminated
 * when `terminateIdleMs` is set). While a statement runs, a second session
 * polls `pg_blocking_pids` so the blockers are known when lock_timeout fires.
 */
import { initSqlParser } from '../sql/parse.js';
import type { Session } from './connection.js';
import { createdIndex, indexState, invalidLeftovers, type IndexState } from './index-catalog.js';
import { BlockerWatch, formatSessions, idleBlockerHint, idleInTransactionPids, lockHolders, oneLine, pollInterval, statementRef, type SessionInfo } from './blockers.js';
import { formatDuration } from './duration.js';
import { InterruptedError, MigrunError, PlanError, isPgError, StatementError, isConnectionLost, isRetryableLockError, indentRest, sqlstateLabel, describePgError, type PgErrorLike } from './errors.js';
import { reportIdleBeforeStep } from './idle.js';
import { describeLocks, planSql, stepRelations, stepWants, type Locator, type PlannedStatement } from './planner.js';
import type { Runtime } from './runtime.js';

/** SQL text (one or more statements) or statements the planner produced. */
export type SqlInput = string | readonly PlannedStatement[];

export interface ExecOptions {
  /** Shown in messages, e.g. `migrations/002_x.sql step 1/2`. */
  label?: string;
  /** Bind parameters ($1, $2, ...) for a single-statement input. */
  params?: unknown[];
  /** Where SQL text input is, for `file:line:column` in messages and traces; default: positions after `label`. */
  at?: Locator;
  /**
   * Runs after the statements on the same session: inside the transaction for
   * execDdl/execDml (so what it writes commits with them), right after the
   * statement for execIndex/execAutocommit. migrun records progress here.
   */
  onDone?: (session: Session) => Promise<void>;
}

export interface ExecResult {
  /** Attempts made, 1 when the first succeeded. */
  attempts: number;
  /** Rows and row count of the last statement. */
  rows: Record<string, unknown>[];
  rowCount: number;
}

export interface IndexOptions extends ExecOptions {
  /** Warn instead of failing when the build fails (only when the migration asks). */
  bestEffort?: boolean;
  /**
   * The step may have completed in a run that died before recording it: a valid
   * index of the same name (or, for DROP, a missing index) counts as done.
   */
  resuming?: boolean;
}

export interface IndexResult extends ExecResult {
  /** False when skipped or, with bestEffort, failed. */
  built: boolean;
  /** Why it was skipped or failed, when it was. */
  note?: string;
}

/**
 * The lock could not be had within the lock timeout on any attempt.
 * `blockers` are the sessions seen blocking the statement while it waited.
 */
export class LockTimeoutError extends MigrunError {
  readonly blockers: SessionInfo[];
  readonly attempts: number;
  readonly code = '55P03';
  constructor(message: string, blockers: SessionInfo[], attempts: number) {
    super(message, 1);
    this.name = 'LockTimeoutError';
    this.blockers = blockers;
    this.attempts = attempts;
  }
}

/** A retryable lock failure of one attempt, with the blockers seen while it waited. */
class LockAttemptFailed extends Error {
  constructor(
    readonly error: PgErrorLike,
    readonly statement: PlannedStatement,
    readonly blockers: SessionInfo[],
  ) {
    super(error.message);
  }
}

async function toStatements(input: SqlInput, label: string | Locator): Promise<PlannedStatement[]> {
  if (typeof input !== 'string') return [...input];
  await initSqlParser();
  const outcome = planSql(input, label);
  if (!outcome.ok) throw new PlanError(outcome.problems);
  return outcome.plan.steps.flatMap((s) => s.statements);
}

/**
 * Runs statements in one transaction under the DDL settings (lock timeout,
 * statement timeout, idle-in-transaction timeout), retrying on lock failures.
 *
 * @param input SQL text (any number of transactional statements) or planned statements.
 * @returns attempts made, and the last statement's rows.
 * @throws LockTimeoutError after the last retry, naming the blocking sessions (pid,
 *   application, user, state and how long, transaction age, query).
 * @throws StatementError for any other failure (the transaction is rolled back).
 * @throws MigrunError when a statement cannot run in a transaction block (use execIndex).
 */
export async function execDdl(rt: Runtime, input: SqlInput, options: ExecOptions = {}): Promise<ExecResult> {
  const label = options.label ?? 'execDdl';
  return runTransaction(rt, 'ddl', await toStatements(input, options.at ?? label), label, options);
}

/**
 * Runs statements in one transaction under the DML settings (`dmlLockTimeoutMs`,
 * no statement timeout), retrying on lock failures. Same errors as execDdl.
 * For large updates use `backfill`, which commits per batch.
 */
export async function execDml(rt: Runtime, input: SqlInput, options: ExecOptions = {}): Promise<ExecResult> {
  const label = options.label ?? 'execDml';
  return runTransaction(rt, 'dml', await toStatements(input, options.at ?? label), label, options);
}

async function runTransaction(rt: Runtime, kind: 'ddl' | 'dml', statements: PlannedStatement[], label: string, options: ExecOptions): Promise<ExecResult> {
  const bad = statements.find((s) => !s.info.transactional);
  if (bad) {
    throw new MigrunError(`${label}: ${bad.info.tag} cannot be executed inside a transaction block; run it through execIndex (ctx.index) or ctx.sql, which plans it as its own step`);
  }
  if (options.params && statements.length !== 1) throw new MigrunError(`${label}: parameters need exactly one statement, got ${statements.length}`);
  const s = rt.settings;
  const lockTimeout = kind === 'ddl' ? s.lockTimeoutMs : s.dmlLockTimeoutMs;
  const statementTimeout = kind === 'ddl' ? s.statementTimeoutMs : 0;
  return withRetries(rt, label, lockTimeout, statements, kind === 'ddl', async () => {
    const session = await rt.work();
    await session.query('BEGIN');
    rt.tracer?.begin(session);
    try {
      await session.query(
        "SELECT set_config('lock_timeout', $1, true), set_config('statement_timeout', $2, true), set_config('idle_in_transaction_session_timeout', $3, true)",
        [String(lockTimeout), String(statementTimeout), String(s.idleInTransactionTimeoutMs)],
      );
      let last: ExecResult = { attempts: 0, rows: [], rowCount: 0 };
      for (const st of statements) last = await runWatched(rt, session, st, options.params, lockTimeout, label);
      await options.onDone?.(session);
      await session.query('COMMIT');
      await rt.tracer?.end(session, 'commit');
      return last;
    } catch (e) {
      if (session.alive) await session.query('ROLLBACK').catch(() => undefined);
      await rt.tracer?.end(session, 'rollback');
      throw e;
    }
  });
}

/** Runs one statement while a BlockerWatch polls its blockers. A cleanup (`interruptible` false) runs even after an interrupt. */
async function runWatched(rt: Runtime, session: Session, st: PlannedStatement, params: unknown[] | undefined, lockTimeoutMs: number, label: string, interruptible = true): Promise<ExecResult> {
  if (interruptible) rt.throwIfInterrupted(statementRef(label, st));
  const watch = new BlockerWatch(() => rt.monitor(), session.pid, pollInterval(lockTimeoutMs)).start();
  await rt.tracer?.before(session, st);
  try {
    const r = await session.query(st.text, params);
    await watch.stop();
    await rt.tracer?.after(session, st, null);
    return { attempts: 0, rows: r.rows ?? [], rowCount: r.rowCount ?? 0 };
  } catch (e) {
    const blockers = await watch.stop();
    await rt.tracer?.after(session, st, e);
    if (rt.interrupted && isPgError(e) && e.code === '57014') {
      throw new InterruptedError(`interrupted by ${rt.interrupted} while running ${statementRef(label, st)}; the statement was cancelled (query_canceled, 57014) and its transaction rolled back`);
    }
    if (isRetryableLockError(e)) throw new LockAttemptFailed(e as PgErrorLike, st, blockers);
    if (isConnectionLost(e)) {
      throw new StatementError(statementRef(label, st), new Error(`the session (pid ${session.pid}) was lost: ${(e as Error).message}`));
    }
    throw new StatementError(statementRef(label, st), e);
  }
}

/** Backoff before retry `n` (1-based): base·2^(n-1), capped, then jittered to 50–100%. */
export function backoffDelay(n: number, baseMs: number, maxMs: number): number {
  const d = Math.min(maxMs, baseMs * 2 ** (n - 1));
  return Math.round(d / 2 + (Math.random() * d) / 2);
}

/**
 * Runs `attempt` until it succeeds, retrying lock failures `settings.retries` times.
 * `ddlLike` steps get the idle-in-transaction report before each attempt.
 */
async function withRetries<T extends ExecResult>(rt: Runtime, label: string, lockTimeoutMs: number, statements: PlannedStatement[], ddlLike: boolean, attempt: () => Promise<T>): Promise<T> {
  const wants = stepWants(statements);
  const { retries, retryDelayMs, retryDelayMaxMs } = rt.settings;
  const seen = new Map<number, SessionInfo>();
  for (let n = 1; ; n++) {
    if (ddlLike) {
      await reportIdleBeforeStep(() => rt.monitor(), wants, {
        excludePids: [...rt.ownPids],
        terminateIdleMs: rt.settings.terminateIdleMs,
        logger: rt.logger,
        label,
      });
    }
    try {
      const r = await attempt();
      r.attempts = n;
      return r;
    } catch (e) {
      if (!(e instanceof LockAttemptFailed)) throw e;
      let blockers = e.blockers;
      if (blockers.length === 0) {
        // The wait ended before the watch polled: report who holds locks on the relations instead.
        blockers = await rt.monitor().then((m) => lockHolders(m, stepRelations([e.statement]), [...rt.ownPids])).catch(() => []);
      }
      for (const b of blockers) seen.set(b.pid, b);
      const what = statementRef(label, e.statement);
      const why = `could not get its locks (${describeLocks(e.statement.locks)}) within ${formatDuration(lockTimeoutMs)} [${sqlstateLabel(e.error.code)}]`;
      const who = blockers.length ? `blocked by:\n${formatSessions(blockers, '    ')}` : 'the blocking sessions ended before they could be seen';
      if (n > retries) {
        const hint = idleBlockerHint(idleInTransactionPids(blockers));
        throw new LockTimeoutError(
          `${what}\n  ${why}; gave up after ${n} attempt${n === 1 ? '' : 's'}\n  ${who}${hint}`,
          blockers.length ? blockers : [...seen.values()],
          n,
        );
      }
      const delay = backoffDelay(n, retryDelayMs, retryDelayMaxMs);
      rt.logger.warn(`attempt ${n} of ${retries + 1}: ${what}\n  ${why}; retrying in ${formatDuration(delay)}\n  ${who}`);
      await rt.sleep(delay);
    }
  }
}

async function setAutocommitTimeouts(rt: Runtime, session: Session, lockTimeoutMs: number): Promise<void> {
  await session.query(
    "SELECT set_config('lock_timeout', $1, false), set_config('statement_timeout', '0', false), set_config('idle_in_transaction_session_timeout', $2, false)",
    [String(lockTimeoutMs), String(rt.settings.idleInTransactionTimeoutMs)],
  );
}

/** Drops an INVALID index left by a failed build, concurrently. Lock failures propagate as LockAttemptFailed. */
async function dropInvalid(rt: Runtime, session: Session, st: PlannedStatement, state: IndexState, lockTimeoutMs: number, label: string): Promise<void> {
  const why = 'ReindexStmt' in st.node ? 'an earlier failed REINDEX CONCURRENTLY' : 'an earlier failed build (IF NOT EXISTS would skip it)';
  rt.logger.warn(`${label}: dropping INVALID index ${state.qualified} left by ${why}`);
  const drop: PlannedStatement = { ...st, text: `DROP INDEX CONCURRENTLY IF EXISTS ${state.qualified}`, where: `${st.where} (cleanup)` };
  await runWatched(rt, session, drop, undefined, lockTimeoutMs, label, false);
}

/**
 * Runs one concurrent index statement in autocommit with `indexLockTimeoutMs`
 * and no statement timeout, retrying lock failures. Before each attempt an
 * INVALID index of the same name (for REINDEX, the INVALID `_ccnew`/`_ccold`
 * copies a failed REINDEX CONCURRENTLY left) is dropped concurrently; after a
 * failed build its INVALID leftover is dropped too (a leftover unique index would go on
 * enforcing uniqueness on new rows, and every leftover slows writes).
 *
 * @param input `CREATE INDEX CONCURRENTLY ...`, `DROP INDEX CONCURRENTLY ...` or `REINDEX ... CONCURRENTLY`.
 * @throws MigrunError when the input is not exactly one concurrent index statement.
 * @throws LockTimeoutError / StatementError as execDdl, unless `bestEffort`, which logs a warning and returns `built: false`.
 */
export async function execIndex(rt: Runtime, input: SqlInput, options: IndexOptions = {}): Promise<IndexResult> {
  const label = options.label ?? 'execIndex';
  const statements = await toStatements(input, label);
  const st = statements[0];
  if (statements.length !== 1 || !st || !st.info.concurrentIndex) {
    const got = statements.map((s) => s.info.tag).join(', ') || 'nothing';
    throw new MigrunError(
      `${label}: execIndex runs exactly one CREATE INDEX CONCURRENTLY, DROP INDEX CONCURRENTLY or REINDEX ... CONCURRENTLY, got ${got}` +
        (st && 'IndexStmt' in st.node ? ' (a plain CREATE INDEX takes SHARE on the table, which blocks writes for the whole build: add CONCURRENTLY)' : ''),
    );
  }
  const lockTimeout = rt.settings.indexLockTimeoutMs;
  const target = createdIndex(st);
  if (!target && 'IndexStmt' in st.node) {
    rt.logger.warn(`${label}: the index has no name, so an INVALID leftover of a failed build cannot be found and dropped before retrying; name it`);
  }
  try {
    return await withRetries(rt, label, lockTimeout, [st], true, async (): Promise<IndexResult> => {
      const session = await rt.work();
      await setAutocommitTimeouts(rt, session, lockTimeout);
      for (const leftover of await invalidLeftovers(session, st)) await dropInvalid(rt, session, st, leftover, lockTimeout, label);
      if (target && options.resuming && !target.ifNotExists) {
        const state = await indexState(session, target.name, target.schema);
        if (state?.valid) {
          const note = `index ${state.qualified} already exists and is valid (built by the run that was interrupted); step counted as done`;
          rt.logger.info(`${label}: ${note}`);
          await options.onDone?.(session);
          return { attempts: 0, rows: [], rowCount: 0, built: false, note };
        }
      } else if (options.resuming && 'DropStmt' in st.node && !st.node.DropStmt.missing_ok) {
        const names = st.locks.map((l) => l.relation);
        const states = await Promise.all(names.map((n) => indexState(session, n.split('.').pop()!, n.includes('.') ? n.split('.')[0]! : null)));
        if (states.every((x) => x === null)) {
          const note = `index ${names.join(', ')} is already gone (dropped by the run that was interrupted); step counted as done`;
          rt.logger.info(`${label}: ${note}`);
          await options.onDone?.(session);
          return { attempts: 0, rows: [], rowCount: 0, built: false, note };
        }
      }
      const r = await runWatched(rt, session, st, options.params, lockTimeout, label);
      await options.onDone?.(session);
      return { ...r, built: true };
    });
  } catch (e) {
    await cleanupAfterFailure(rt, st, label);
    if (!options.bestEffort || e instanceof InterruptedError) throw e;
    const note = `best effort: ${indentRest((e as Error).message)}`;
    rt.logger.warn(`${label}: index build failed; continuing because the migration marked it best-effort\n  ${indentRest((e as Error).message)}`);
    await rt.work().then((w) => options.onDone?.(w));
    return { attempts: e instanceof LockTimeoutError ? e.attempts : 1, rows: [], rowCount: 0, built: false, note };
  }
}

/** After a failed build, drop its INVALID leftovers once, with the DDL lock timeout; warn when that fails too. */
async function cleanupAfterFailure(rt: Runtime, st: PlannedStatement, label: string): Promise<void> {
  let current = 'its INVALID leftover';
  try {
    const session = await rt.work();
    const found = await invalidLeftovers(session, st);
    if (found.length === 0) return;
    await setAutocommitTimeouts(rt, session, rt.settings.lockTimeoutMs);
    for (const state of found) {
      current = `the INVALID index ${state.qualified}`;
      await dropInvalid(rt, session, st, state, rt.settings.lockTimeoutMs, label);
    }
  } catch (e) {
    const why = e instanceof LockAttemptFailed ? describePgError(Object.assign(new Error(e.error.message), e.error)) : (e as Error).message;
    rt.logger.warn(`${label}: could not drop ${current} left by the failed statement (${oneLine(why)}); the next run drops it before retrying`);
  }
}

/**
 * Runs one statement that cannot run in a transaction block and is not an index
 * statement (VACUUM, ALTER TABLE ... DETACH PARTITION ... CONCURRENTLY, ...), in
 * autocommit with `indexLockTimeoutMs` and no statement timeout, retrying lock failures.
 * @throws LockTimeoutError / StatementError as execDdl.
 */
export async function execAutocommit(rt: Runtime, input: SqlInput, options: ExecOptions = {}): Promise<ExecResult> {
  const label = options.label ?? 'autocommit';
  const statements = await toStatements(input, label);
  if (statements.length !== 1) throw new MigrunError(`${label}: an autocommit step runs exactly one statement, got ${statements.length}`);
  const st = statements[0]!;
  const lockTimeout = rt.settings.indexLockTimeoutMs;
  return withRetries(rt, label, lockTimeout, [st], true, async () => {
    const session = await rt.work();
    await setAutocommitTimeouts(rt, session, lockTimeout);
    const r = await runWatched(rt, session, st, options.params, lockTimeout, label);
    await options.onDone?.(session);
    return r;
  });
}
