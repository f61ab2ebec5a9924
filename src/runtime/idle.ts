/**
 * Idle-in-transaction sessions: report them, and terminate them only when asked.
 *
 * A session idle in a transaction keeps every lock it took until it ends
 * (explicit-locking.html: locks are held until the end of the transaction); a
 * DDL statement queued behind it blocks everything queued behind the DDL.
 * Termination uses `pg_terminate_backend` (functions-admin.html, "Server
 * Signaling Functions") and is limited to client backends of the current
 * database, never migrun's own sessions; the conditions are re-checked in the
 * statement that terminates, so a session that has woken up is left alone.
 */
import { quoteQualified, type Session } from './connection.js';
import { RELATION_OIDS, SESSION_COLUMNS, formatSession, oneLine, toSessionInfo, type SessionInfo } from './blockers.js';
import { formatDuration } from './duration.js';
import type { Logger } from './runtime.js';
import { LOCK_MODES, conflicts, pgLocksName, type LockMode } from '../sql/lock-modes.js';

const IDLE_STATES = `('idle in transaction', 'idle in transaction (aborted)')`;

/** A lock a step is about to request: `mode` on `relation` (name as written). */
export interface LockWant {
  relation: string;
  mode: LockMode;
}

export interface IdleQuery {
  /** Only sessions holding a lock on one of these relations (names as written); all when omitted. */
  relations?: string[];
  /**
   * Only sessions holding a lock that conflicts with one of these (the manual's
   * "Conflicting Lock Modes" table, explicit-locking.html): the sessions in the step's way.
   */
  inTheWayOf?: LockWant[];
  /** Pids never to report (migrun's own sessions). */
  excludePids?: number[];
  /** Only these sessions (`migrun exec`: the blockers of the command's sessions); all when omitted. */
  pids?: number[];
}

/**
 * Idle-in-transaction client backends of the current database, oldest idle first.
 * @param monitor any session of the current database.
 */
export async function idleInTransaction(monitor: Session, q: IdleQuery = {}): Promise<SessionInfo[]> {
  const relations = q.relations ?? null;
  if (relations && relations.length === 0) return [];
  if (q.inTheWayOf && q.inTheWayOf.length === 0) return [];
  if (q.pids && q.pids.length === 0) return [];
  const pairs = q.inTheWayOf ? conflictPairs(q.inTheWayOf) : null;
  const r = await monitor.query(
    `WITH rel AS (${RELATION_OIDS})
     SELECT ${SESSION_COLUMNS} FROM pg_stat_activity a
     WHERE a.datname = current_database() AND a.backend_type = 'client backend'
       AND a.pid <> pg_backend_pid() AND a.pid <> ALL($2::int[])
       AND a.state IN ${IDLE_STATES}
       AND ($5::int[] IS NULL OR a.pid = ANY($5::int[]))
       AND ($1::text[] IS NULL OR EXISTS (
         SELECT 1 FROM pg_locks l WHERE l.pid = a.pid AND l.granted AND l.locktype = 'relation' AND l.relation IN (SELECT oid FROM rel)))
       AND ($3::text[] IS NULL OR EXISTS (
         SELECT 1 FROM pg_locks l JOIN unnest($3::text[], $4::text[]) AS w(rel, mode) ON l.relation = to_regclass(w.rel) AND l.mode = w.mode
         WHERE l.pid = a.pid AND l.granted AND l.locktype = 'relation'))
     ORDER BY a.state_change, a.pid`,
    [relations?.map(quoteQualified) ?? null, q.excludePids ?? [], pairs?.rels.map(quoteQualified) ?? null, pairs?.modes ?? null, q.pids ?? null],
  );
  return r.rows.map((row) => toSessionInfo(row as Parameters<typeof toSessionInfo>[0]));
}

/** (relation, pg_locks mode name) pairs for every held mode that conflicts with a wanted one. */
function conflictPairs(wants: LockWant[]): { rels: string[]; modes: string[] } {
  const rels: string[] = [];
  const modes: string[] = [];
  for (const w of wants) {
    for (const m of LOCK_MODES) {
      if (!conflicts(w.mode, m)) continue;
      rels.push(w.relation);
      modes.push(pgLocksName(m));
    }
  }
  return { rels, modes };
}

export interface TerminateIdleOptions extends IdleQuery {
  /** Terminate only sessions idle (in their current state) at least this long, in ms. */
  olderThanMs: number;
  logger?: Logger;
}

export interface Terminated {
  session: SessionInfo;
  terminated: boolean;
}

/**
 * Terminates idle-in-transaction client backends of the current database that
 * match `q` and have been idle at least `olderThanMs`. Each termination is
 * logged with what the session was running. Returns the sessions signalled.
 *
 * On PostgreSQL 14+ it waits up to 1s for each to exit (pg_terminate_backend's
 * timeout argument), so its locks are gone when this returns.
 */
export async function terminateIdle(monitor: Session, opts: TerminateIdleOptions): Promise<Terminated[]> {
  const candidates = (await idleInTransaction(monitor, opts)).filter((s) => (s.stateMs ?? 0) >= opts.olderThanMs);
  if (candidates.length === 0) return [];
  const waitArg = monitor.serverVersion >= 140000 ? ', 1000' : '';
  const r = await monitor.query<{ pid: number; terminated: boolean }>(
    `SELECT a.pid, pg_terminate_backend(a.pid${waitArg}) AS terminated
     FROM pg_stat_activity a
     WHERE a.pid = ANY($1::int[]) AND a.datname = current_database() AND a.backend_type = 'client backend'
       AND a.pid <> pg_backend_pid() AND a.pid <> ALL($2::int[])
       AND a.state IN ${IDLE_STATES}
       AND now() - a.state_change >= make_interval(secs => $3::float8 / 1000)`,
    [candidates.map((c) => c.pid), opts.excludePids ?? [], opts.olderThanMs],
  );
  const done = new Map(r.rows.map((x) => [x.pid, x.terminated]));
  const out: Terminated[] = [];
  for (const s of candidates) {
    if (!done.has(s.pid)) continue; // woke up or ended between the report and the termination
    const terminated = done.get(s.pid)!;
    out.push({ session: s, terminated });
    opts.logger?.warn(
      `${terminated ? 'terminated' : 'could not terminate'} pid ${s.pid} (application "${s.applicationName}", user ${s.user ?? '?'}): ` +
        `idle in transaction for ${formatDuration(s.stateMs ?? 0)}` +
        (s.xactMs !== null ? `, transaction open ${formatDuration(s.xactMs)}` : '') +
        (s.holds.length ? `, holding ${s.holds.join(', ')}` : '') +
        `; it was running: ${oneLine(s.query) || '(no query)'}`,
    );
  }
  return out;
}

/**
 * Terminates one client backend of the current database (`migrun locks --terminate <pid>`).
 * @returns the session as it was before termination.
 * @throws Error when no such client backend exists in the current database, or it is migrun's own.
 */
export async function terminatePid(monitor: Session, pid: number, excludePids: number[] = []): Promise<SessionInfo> {
  if (pid === monitor.pid || excludePids.includes(pid)) throw new Error(`pid ${pid} is migrun's own session`);
  const r = await monitor.query(
    `SELECT ${SESSION_COLUMNS} FROM pg_stat_activity a
     WHERE a.pid = $1 AND a.datname = current_database() AND a.backend_type = 'client backend'`,
    [pid],
  );
  const row = r.rows[0];
  if (!row) throw new Error(`no client backend with pid ${pid} in database ${monitor.database}`);
  const info = toSessionInfo(row as Parameters<typeof toSessionInfo>[0]);
  const waitArg = monitor.serverVersion >= 140000 ? ', 1000' : '';
  const t = await monitor.query<{ ok: boolean }>(`SELECT pg_terminate_backend($1${waitArg}) AS ok`, [pid]);
  if (!t.rows[0]?.ok) throw new Error(`pg_terminate_backend(${pid}) returned false:\n${formatSession(info)}`);
  return info;
}

/**
 * The pre-step report: idle-in-transaction sessions holding locks that conflict
 * with what the step is about to request, logged as warnings; with
 * `terminateIdleMs` set, those idle that long are terminated (and only those).
 * Failures of the report itself are logged and swallowed (it must not stop the step).
 */
export async function reportIdleBeforeStep(
  monitor: () => Promise<Session>,
  wants: LockWant[],
  opts: { excludePids: number[]; terminateIdleMs: number | null; logger: Logger; label: string },
): Promise<void> {
  if (wants.length === 0) return;
  try {
    const m = await monitor();
    const idle = await idleInTransaction(m, { inTheWayOf: wants, excludePids: opts.excludePids });
    if (idle.length === 0) return;
    const what = [...new Set(wants.map((w) => `${w.mode} on ${w.relation}`))].join(', ');
    opts.logger.warn(
      `before ${opts.label}: ${idle.length} idle-in-transaction session${idle.length === 1 ? '' : 's'} hold${idle.length === 1 ? 's' : ''} locks in the way of ${what}:\n` +
        idle.map((s) => formatSession(s, '    ')).join('\n'),
    );
    if (opts.terminateIdleMs !== null) {
      await terminateIdle(m, { inTheWayOf: wants, excludePids: opts.excludePids, olderThanMs: opts.terminateIdleMs, logger: opts.logger });
    }
  } catch (e) {
    opts.logger.warn(`could not check for idle-in-transaction sessions: ${(e as Error).message}`);
  }
}
