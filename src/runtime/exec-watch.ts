/**
 * The watcher of `migrun exec`: from a session of its own it finds the sessions
 * of a command migrun does not run itself, and whenever one has waited for a
 * lock longer than a threshold it reports who blocks it (as `migrun up` does),
 * and, when asked, terminates the idle-in-transaction sessions among those
 * blockers, and only those.
 *
 * The command's sessions are found by the `application_name` migrun passes it
 * through `PGAPPNAME` (libpq-envars.html; node-postgres reads it too). Until one
 * such session has been seen, client backends of the watched database started
 * after the command are taken as its own (a client that ignores PGAPPNAME).
 *
 * How long a session has waited comes from `pg_locks.waitstart`
 * (view-pg-locks.html, PostgreSQL 14 and later), else from when the watcher
 * first saw it waiting. A wait that lasted about the lock timeout and then
 * ended is counted as a session that gave up on a lock (`lock_not_available`).
 */
import type { Session } from './connection.js';
import { Poller, SESSION_COLUMNS, blockersOf, formatSessions, idleBlockerHint, idleInTransactionPids, oneLine, toSessionInfo, type SessionInfo } from './blockers.js';
import { formatDuration } from './duration.js';
import { terminateIdle } from './idle.js';
import type { Logger } from './runtime.js';

export interface WatchOptions {
  /** The `application_name` the command's sessions carry. */
  applicationName: string;
  /** Server time (`clock_timestamp()`) just before the command started. */
  startedAt: Date;
  /** Report a session's blockers once it has waited this long for a lock, ms. */
  reportAfterMs: number;
  /** The command's `lock_timeout`, ms (0: none); a wait this long that ends counts as giving up. */
  lockTimeoutMs: number;
  /** Terminate idle-in-transaction blockers idle at least this long, ms; null = never. */
  terminateIdleMs: number | null;
  /** migrun's own sessions, never taken as the command's, never terminated. */
  ownPids: () => number[];
  logger: Logger;
}

/** A session of the command that waited for a lock about as long as the lock timeout, then stopped waiting. */
export interface GaveUp {
  pid: number;
  waitedMs: number;
  query: string;
}

interface CommandSessionRow extends Record<string, unknown> {
  pid: number;
  named: boolean;
  same_database: boolean;
  lock_wait: boolean;
  wait_ms: number | null;
  wants: string | null;
}

interface Waiting {
  /** Local clock when first seen waiting (used when the server has no waitstart). */
  firstSeen: number;
  waitedMs: number;
  query: string;
  reportedKey: string | null;
}

/** Watches one run of a command; `poll` is called on a timer by `start`. */
export class CommandWatcher {
  private byName = false;
  private readonly noted = new Set<string>();
  private readonly waiting = new Map<number, Waiting>();
  readonly gaveUp: GaveUp[] = [];
  /** Every blocker reported, by pid (latest snapshot). */
  readonly blockers = new Map<number, SessionInfo>();
  /** Sessions terminated because they blocked the command. */
  readonly terminated: SessionInfo[] = [];
  private readonly poller: Poller;

  constructor(
    private readonly monitor: () => Promise<Session>,
    private readonly opts: WatchOptions,
    private readonly intervalMs: number,
  ) {
    this.poller = new Poller(() => this.poll(), intervalMs, (e) => this.pollFailed(e));
  }

  start(): this {
    this.poller.start();
    return this;
  }

  /** Stops polling, after one last poll so a wait that just ended is counted. */
  async stop(): Promise<void> {
    await this.poller.stop();
    await this.poll().catch((e: unknown) => this.pollFailed(e));
  }

  private pollFailed(e: unknown): void {
    this.note('poll', `the watcher could not query the server: ${(e as Error).message}`);
  }

  private note(key: string, message: string): void {
    if (this.noted.has(key)) return;
    this.noted.add(key);
    this.opts.logger.warn(message);
  }

  /** One look at the server: the command's sessions, their lock waits, their blockers. */
  async poll(): Promise<void> {
    const m = await this.monitor();
    const waitMs = m.serverVersion >= 140000
      ? `(SELECT max(extract(epoch FROM now() - l.waitstart) * 1000)::float8 FROM pg_locks l WHERE l.pid = a.pid AND NOT l.granted)`
      : 'NULL::float8';
    const r = await m.query<CommandSessionRow>(
      `SELECT ${SESSION_COLUMNS}, a.application_name = $1 AS named, a.datname = current_database() AS same_database,
         a.wait_event_type = 'Lock' AS lock_wait, ${waitMs} AS wait_ms,
         (SELECT string_agg(l.mode || ' on ' || coalesce(l.relation::regclass::text, l.locktype), ', ') FROM pg_locks l WHERE l.pid = a.pid AND NOT l.granted) AS wants
       FROM pg_stat_activity a
       WHERE a.backend_type = 'client backend' AND a.pid <> pg_backend_pid() AND a.pid <> ALL($3::int[])
         AND (a.application_name = $1 OR (a.datname = current_database() AND a.backend_start >= $2))
       ORDER BY a.pid`,
      [this.opts.applicationName, this.opts.startedAt, this.opts.ownPids()],
    );
    if (r.rows.some((x) => x.named)) this.byName = true;
    const sessions = r.rows.filter((x) => (this.byName ? x.named : true));
    const now = Date.now();
    const stillWaiting = new Set<number>();
    for (const row of sessions) {
      const s = toSessionInfo(row as never);
      if (!row.named) {
        this.note(
          `fallback:${s.pid}`,
          `pid ${s.pid} (application "${s.applicationName}") started after the command and no session carries application_name "${this.opts.applicationName}": ` +
            `taken as the command's (its client ignores PGAPPNAME, so it may ignore PGOPTIONS and its timeouts too)`,
        );
      } else if (!row.same_database) {
        this.note(`db:${s.pid}`, `pid ${s.pid} of the command is connected to database ${s.database}, not the one watched (${m.database}): its blockers are reported, but --terminate-idle acts only in ${m.database}`);
      }
      if (!row.lock_wait) continue;
      stillWaiting.add(s.pid);
      const w = this.waiting.get(s.pid) ?? { firstSeen: now, waitedMs: 0, query: s.query, reportedKey: null };
      w.waitedMs = row.wait_ms ?? now - w.firstSeen;
      w.query = s.query;
      this.waiting.set(s.pid, w);
      if (w.waitedMs < this.opts.reportAfterMs) continue;
      await this.report(m, s, w, row.wants);
    }
    // A wait that has ended: about as long as the lock timeout means lock_timeout fired (lock_not_available).
    for (const [pid, w] of this.waiting) {
      if (stillWaiting.has(pid)) continue;
      this.waiting.delete(pid);
      const lt = this.opts.lockTimeoutMs;
      if (lt > 0 && w.waitedMs >= lt - 2 * this.intervalMs) this.gaveUp.push({ pid, waitedMs: w.waitedMs, query: w.query });
    }
  }

  private async report(m: Session, s: SessionInfo, w: Waiting, wants: string | null): Promise<void> {
    const blockers = await blockersOf(m, s.pid);
    if (blockers.length === 0) return;
    for (const b of blockers) this.blockers.set(b.pid, b);
    const key = blockers.map((b) => `${b.pid}:${b.state}`).join(',');
    if (key !== w.reportedKey) {
      w.reportedKey = key;
      const hint = this.opts.terminateIdleMs === null ? idleBlockerHint(idleInTransactionPids(blockers)) : '';
      this.opts.logger.warn(
        `pid ${s.pid} of the command has waited ${formatDuration(w.waitedMs)}${wants ? ` for ${wants}` : ' for a lock'}: ${oneLine(s.query, 120)}\n` +
          `  blocked by:\n${formatSessions(blockers, '    ')}${hint}`,
      );
    }
    if (this.opts.terminateIdleMs === null) return;
    const idlePids = idleInTransactionPids(blockers);
    if (idlePids.length === 0) return;
    const done = await terminateIdle(m, { pids: idlePids, olderThanMs: this.opts.terminateIdleMs, excludePids: this.opts.ownPids(), logger: this.opts.logger });
    for (const t of done) if (t.terminated) this.terminated.push(t.session);
  }

  /** The blockers seen during the run on one line, e.g. `pid 4242 (application "psql", idle in transaction)`, or '' for none. */
  describeBlockers(): string {
    return [...this.blockers.values()].map((b) => `pid ${b.pid} (application "${b.applicationName}", ${b.state ?? 'unknown state'})`).join(', ');
  }
}
