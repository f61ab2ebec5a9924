/**
 * `migrun locks`: who blocks whom in the current database, idle-in-transaction
 * sessions with their age, and INVALID indexes (pg_index.indisvalid = false,
 * left by failed concurrent builds, or a build still in progress as
 * pg_stat_progress_create_index shows, progress-reporting.html). Optionally
 * terminates one pid, or the idle-in-transaction sessions past an age, only in
 * the current database and only when asked.
 */
import { SESSION_COLUMNS, toSessionInfo, type SessionInfo } from './blockers.js';
import { MigrunError } from './errors.js';
import { idleInTransaction, terminateIdle, terminatePid, type Terminated } from './idle.js';
import { Runtime, type RuntimeOptions } from './runtime.js';

export interface BlockedSession extends SessionInfo {
  blockedBy: number[];
}

export interface InvalidIndex {
  index: string;
  table: string;
  definition: string;
  /** A concurrent build of it is running right now. */
  buildInProgress: boolean;
}

export interface LocksReport {
  database: string;
  blocked: BlockedSession[];
  blocking: SessionInfo[];
  idle: SessionInfo[];
  invalidIndexes: InvalidIndex[];
  /** `--terminate <pid>`: the session terminated. */
  terminatedPid: SessionInfo | null;
  /** `--terminate-idle <age>`: the sessions terminated. */
  terminatedIdle: Terminated[];
}

export interface LocksOptions extends RuntimeOptions {
  terminatePid?: number | null;
  /** Terminate idle-in-transaction sessions of the current database idle at least this long, ms. */
  terminateIdleOlderThanMs?: number | null;
}

/**
 * Builds the report, after carrying out any termination asked for.
 * @throws UsageError when the server is unreachable; MigrunError (exit 2) when `terminatePid` names no client backend of the current database.
 */
export async function lockReport(options: LocksOptions = {}): Promise<LocksReport> {
  const rt = new Runtime(options);
  try {
    const m = await rt.monitor();
    const own = [...rt.ownPids];
    let terminatedPid: SessionInfo | null = null;
    if (options.terminatePid !== undefined && options.terminatePid !== null) {
      try {
        terminatedPid = await terminatePid(m, options.terminatePid, own);
      } catch (e) {
        throw new MigrunError(`cannot terminate: ${(e as Error).message}`, 2);
      }
      rt.logger.warn(`terminated pid ${terminatedPid.pid} (application "${terminatedPid.applicationName}", user ${terminatedPid.user ?? '?'}, ${terminatedPid.state ?? '?'}); it was running: ${terminatedPid.query.replace(/\s+/g, ' ').slice(0, 200)}`);
    }
    let terminatedIdle: Terminated[] = [];
    if (options.terminateIdleOlderThanMs !== undefined && options.terminateIdleOlderThanMs !== null) {
      terminatedIdle = await terminateIdle(m, { olderThanMs: options.terminateIdleOlderThanMs, excludePids: own, logger: rt.logger });
    }

    const blockedRows = await m.query(
      `SELECT ${SESSION_COLUMNS}, pg_blocking_pids(a.pid) AS blocked_by FROM pg_stat_activity a
       WHERE a.datname = current_database() AND a.pid <> pg_backend_pid() AND cardinality(pg_blocking_pids(a.pid)) > 0
       ORDER BY a.pid`,
    );
    const blocked: BlockedSession[] = blockedRows.rows.map((r) => ({ ...toSessionInfo(r as never), blockedBy: (r.blocked_by as number[]) ?? [] }));
    const blockerPids = [...new Set(blocked.flatMap((b) => b.blockedBy))];
    const blocking = blockerPids.length
      ? (await m.query(`SELECT ${SESSION_COLUMNS} FROM pg_stat_activity a WHERE a.pid = ANY($1::int[]) ORDER BY a.pid`, [blockerPids])).rows.map((r) => toSessionInfo(r as never))
      : [];
    const idle = await idleInTransaction(m, { excludePids: own });
    const inv = await m.query<{ oid: number; index: string; table: string; in_progress: boolean }>(
      `SELECT i.indexrelid::int8 AS oid, i.indexrelid::regclass::text AS index, i.indrelid::regclass::text AS table,
         EXISTS (SELECT 1 FROM pg_stat_progress_create_index p WHERE p.index_relid = i.indexrelid) AS in_progress
       FROM pg_index i WHERE NOT i.indisvalid ORDER BY 2`,
    );
    const invalidIndexes: InvalidIndex[] = [];
    for (const r of inv.rows) {
      // pg_get_indexdef locks the table (ACCESS SHARE): with the monitor's 1s lock_timeout it gives up instead of queueing.
      const definition = await m
        .query<{ d: string }>('SELECT pg_get_indexdef($1::oid) AS d', [r.oid])
        .then((x) => x.rows[0]?.d ?? '')
        .catch(() => '(definition unavailable: its table is locked)');
      invalidIndexes.push({ index: r.index, table: r.table, definition, buildInProgress: r.in_progress });
    }
    return {
      database: m.database,
      blocked,
      blocking,
      idle,
      invalidIndexes,
      terminatedPid,
      terminatedIdle,
    };
  } finally {
    await rt.close();
  }
}
