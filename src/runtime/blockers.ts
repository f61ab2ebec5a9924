/**
 * Who blocks whom. Built on `pg_blocking_pids(pid)` (functions-info.html,
 * "Session Information Functions"), `pg_stat_activity` (monitoring-stats.html,
 * "pg_stat_activity") and `pg_locks` (view-pg-locks.html).
 *
 * A lock wait ends the moment lock_timeout fires, and with it the blocking
 * relationship; so `BlockerWatch` polls from a second session while the
 * statement is still waiting and keeps what it saw.
 */
import { quoteQualified, type Session } from './connection.js';
import { formatDuration } from './duration.js';

/** A server session as migrun reports it. */
export interface SessionInfo {
  pid: number;
  applicationName: string;
  user: string | null;
  database: string | null;
  /** `active`, `idle`, `idle in transaction`, `idle in transaction (aborted)`, ... */
  state: string | null;
  backendType: string | null;
  /** ms since the state last changed (how long idle, or how long the current query has run). */
  stateMs: number | null;
  /** ms since its transaction began; null when not in a transaction. */
  xactMs: number | null;
  /** Its current or (when idle) last query. */
  query: string;
  waitEvent: string | null;
  /** Granted relation locks in the current database, e.g. `AccessShareLock on public.items`. */
  holds: string[];
}

/** The select list shared by every query that reports sessions; `a` is pg_stat_activity. */
export const SESSION_COLUMNS = `
  a.pid, a.application_name, a.usename::text AS usename, a.datname::text AS datname, a.state, a.backend_type,
  (extract(epoch FROM now() - a.state_change) * 1000)::float8 AS state_ms,
  (extract(epoch FROM now() - a.xact_start) * 1000)::float8 AS xact_ms,
  coalesce(a.query, '') AS query,
  CASE WHEN a.wait_event_type IS NULL THEN NULL ELSE a.wait_event_type || ':' || a.wait_event END AS wait_event,
  ARRAY(
    SELECT DISTINCT l.mode || ' on ' || l.relation::regclass::text
    FROM pg_locks l
    WHERE l.pid = a.pid AND l.granted AND l.locktype = 'relation' AND l.relation >= 16384
      AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
    ORDER BY 1
  ) AS holds`;

interface SessionRow {
  pid: number;
  application_name: string | null;
  usename: string | null;
  datname: string | null;
  state: string | null;
  backend_type: string | null;
  state_ms: number | null;
  xact_ms: number | null;
  query: string;
  wait_event: string | null;
  holds: string[] | null;
}

export function toSessionInfo(r: SessionRow): SessionInfo {
  return {
    pid: r.pid,
    applicationName: r.application_name ?? '',
    user: r.usename,
    database: r.datname,
    state: r.state,
    backendType: r.backend_type,
    stateMs: r.state_ms,
    xactMs: r.xact_ms,
    query: r.query,
    waitEvent: r.wait_event,
    holds: r.holds ?? [],
  };
}

/**
 * The sessions blocking `pid` right now (empty when it waits for nothing).
 * @param monitor a session other than the blocked one.
 */
export async function blockersOf(monitor: Session, pid: number): Promise<SessionInfo[]> {
  const r = await monitor.query<SessionRow>(
    `SELECT ${SESSION_COLUMNS} FROM unnest(pg_blocking_pids($1::int)) AS b(pid) JOIN pg_stat_activity a ON a.pid = b.pid ORDER BY a.pid`,
    [pid],
  );
  return r.rows.map(toSessionInfo);
}

/**
 * Sessions other than `excludePids` holding granted locks on any of `relations`
 * (names as written, resolved with `to_regclass`; an index also counts for its table).
 */
export async function lockHolders(monitor: Session, relations: string[], excludePids: number[]): Promise<SessionInfo[]> {
  if (relations.length === 0) return [];
  const r = await monitor.query<SessionRow>(
    `WITH rel AS (${RELATION_OIDS})
     SELECT ${SESSION_COLUMNS} FROM pg_stat_activity a
     WHERE a.datname = current_database() AND a.pid <> pg_backend_pid() AND a.pid <> ALL($2::int[])
       AND EXISTS (SELECT 1 FROM pg_locks l WHERE l.pid = a.pid AND l.granted AND l.locktype = 'relation' AND l.relation IN (SELECT oid FROM rel))
     ORDER BY a.pid`,
    [relations.map(quoteQualified), excludePids],
  );
  return r.rows.map(toSessionInfo);
}

/** OIDs of the relations named in `$1::text[]` (quoted names, see quoteQualified), plus the tables of any that are indexes. */
export const RELATION_OIDS = `
  SELECT x.oid FROM (SELECT to_regclass(n) AS oid FROM unnest($1::text[]) AS n) x WHERE x.oid IS NOT NULL
  UNION
  SELECT i.indrelid FROM pg_index i WHERE i.indexrelid IN (SELECT to_regclass(n) FROM unnest($1::text[]) AS n)`;

/**
 * Calls `poll` every `intervalMs`, the first call after one interval, one call
 * at a time, until stopped. A failed call is passed to `onError` (default: ignored,
 * for best-effort watches). The timer does not keep the process alive.
 */
export class Poller {
  private timer: NodeJS.Timeout | null = null;
  private inFlight: Promise<void> | null = null;
  private stopped = false;

  constructor(
    private readonly poll: () => Promise<void>,
    private readonly intervalMs: number,
    private readonly onError: (e: unknown) => void = () => undefined,
  ) {}

  start(): this {
    this.schedule();
    return this;
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.inFlight = this.poll()
        .catch(this.onError)
        .finally(() => {
          this.inFlight = null;
          this.schedule();
        });
    }, this.intervalMs);
    this.timer.unref();
  }

  /** Stops polling; resolves once a call in progress has finished. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    if (this.inFlight) await this.inFlight;
  }
}

/**
 * Polls `pg_blocking_pids(pid)` every `intervalMs` from the monitor session
 * until stopped, keeping every blocker seen (latest snapshot of each pid).
 * Polling starts after one interval, so quick statements cost no query; a
 * failed poll leaves what was seen (the watch is best effort).
 */
export class BlockerWatch {
  private readonly seen = new Map<number, SessionInfo>();
  private readonly poller: Poller;

  constructor(
    private readonly monitor: () => Promise<Session>,
    private readonly pid: number,
    intervalMs: number,
  ) {
    this.poller = new Poller(() => this.poll(), intervalMs);
  }

  start(): this {
    this.poller.start();
    return this;
  }

  private async poll(): Promise<void> {
    const m = await this.monitor();
    for (const b of await blockersOf(m, this.pid)) this.seen.set(b.pid, b);
  }

  /** Stops polling and returns the blockers seen, by pid. */
  async stop(): Promise<SessionInfo[]> {
    await this.poller.stop();
    return [...this.seen.values()].sort((a, b) => a.pid - b.pid);
  }
}

/** A polling interval suited to a lock timeout: a quarter of it, between 25ms and 250ms. */
export function pollInterval(lockTimeoutMs: number): number {
  if (lockTimeoutMs <= 0) return 250;
  return Math.max(25, Math.min(250, Math.floor(lockTimeoutMs / 4)));
}

/** A query on one line, at most `max` characters. */
export function oneLine(query: string, max = 200): string {
  const q = query.replace(/\s+/g, ' ').trim();
  return q.length > max ? `${q.slice(0, max - 1)}…` : q;
}

/**
 * A statement named in a message: where it is, given its step's `label`
 * without repeating the file the label already names, then its text on one line.
 * `where` is `file:line:column` (or a label of its own).
 */
export function statementRef(label: string, st: { where: string; text: string }): string {
  const m = /^(.*):(\d+):(\d+)$/.exec(st.where);
  const text = oneLine(st.text, 80);
  if (m && label === m[1]) return `${st.where}: ${text}`;
  if (m && label.startsWith(`${m[1]} `)) return `${label} (line ${m[2]}:${m[3]}): ${text}`;
  return `${label}: ${st.where} ${text}`;
}

/**
 * Describes sessions, one block each:
 * `pid 4242 (application "psql", user app): idle in transaction for 12.3s, transaction open 14.0s`
 * followed by the locks it holds and its query.
 */
export function formatSessions(list: readonly SessionInfo[], indent = '  '): string {
  return list.map((s) => formatSession(s, indent)).join('\n');
}

export function formatSession(s: SessionInfo, indent = '  '): string {
  const who = [`application "${s.applicationName}"`, s.user ? `user ${s.user}` : null, s.backendType && s.backendType !== 'client backend' ? s.backendType : null]
    .filter(Boolean)
    .join(', ');
  const state = s.state ?? 'unknown state';
  const since = s.stateMs !== null ? ` for ${formatDuration(s.stateMs)}` : '';
  const xact = s.xactMs !== null ? `, transaction open ${formatDuration(s.xactMs)}` : ', no open transaction';
  const wait = s.waitEvent && s.state === 'active' ? `, waiting on ${s.waitEvent}` : '';
  const lines = [`${indent}pid ${s.pid} (${who}): ${state}${since}${xact}${wait}`];
  if (s.holds.length) lines.push(`${indent}  holds: ${s.holds.join(', ')}`);
  lines.push(`${indent}  ${s.state === 'active' ? 'query' : 'last query'}: ${oneLine(s.query) || '(none)'}`);
  return lines.join('\n');
}

/** The pids of the sessions among `list` that are idle in a transaction (pg_stat_activity's state). */
export function idleInTransactionPids(list: readonly SessionInfo[]): number[] {
  return list.filter((b) => b.state?.startsWith('idle in transaction')).map((b) => b.pid);
}

/** A report's closing hint when some blockers are idle in a transaction (`pids`), else ''. */
export function idleBlockerHint(pids: readonly number[]): string {
  if (pids.length === 0) return '';
  const one = pids.length === 1;
  return `\n  hint: pid ${pids.join(', ')} ${one ? 'is' : 'are'} idle in a transaction: end ${one ? 'it' : 'them'} (migrun locks --terminate <pid>), or rerun with --terminate-idle <age>`;
}
