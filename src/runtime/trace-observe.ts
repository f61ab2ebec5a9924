/**
 * What `migrun trace` observes of each statement, on a server where nothing
 * else runs:
 *
 * - the relation locks it acquired on relations that existed before its
 *   migration started: inside a transaction block, read from `pg_locks` by the
 *   statement's own backend right after it (view-pg-locks.html), minus what the
 *   transaction held before it; in autocommit (CREATE INDEX CONCURRENTLY, VACUUM,
 *   ...), polled from an observer session while the statement runs, since its
 *   locks are gone when it returns (the observer holds a snapshot until it has
 *   seen them, which a CONCURRENTLY build must wait for: see `LockPoll`);
 * - rewrites: relations whose `pg_class.relfilenode` changed (a rewritten table, a
 *   rebuilt index; storage.html, "Database File Layout");
 * - its duration, and its lock window: from its start until its transaction
 *   ended (commit or rollback), which is how long the application waits behind
 *   those locks (explicit-locking.html: locks are held until the transaction ends);
 *   the time the tracer itself spends reading pg_locks inside the transaction is
 *   taken out.
 */
import { performance } from 'node:perf_hooks';
import type { Session } from './connection.js';
import { messageOf } from './errors.js';
import type { StatementTracer, TracedStatement } from './runtime.js';

/** A lock as `pg_locks` names it. */
export interface TraceLock {
  /** Schema-qualified, e.g. `public.leads`. */
  relation: string;
  /** `pg_locks.mode`, e.g. `AccessExclusiveLock`. */
  mode: string;
}

/** One statement as traced. Durations in ms, rounded to 0.1 ms. */
export interface TraceStatement {
  file: string;
  line: number;
  column: number;
  /** The line its text ends on. */
  endLine: number;
  sql: string;
  durationMs: number;
  locks: TraceLock[];
  /** Locks its transaction took earlier and still held while it ran (so they do not show in `locks`). */
  heldBefore: TraceLock[];
  /** Relations whose relfilenode changed, schema-qualified. */
  rewrites: string[];
  /** From the statement's start until its transaction ended; null when it took no lock on an existing relation. */
  lockWindowMs: number | null;
  /** Whether it ran inside a transaction block (else in autocommit, observed from another session). */
  inTransaction: boolean;
  /** Why it failed, when it did. */
  error?: string;
  /** Something the trace could not be sure of. */
  note?: string;
}

interface Relation {
  name: string;
  relfilenode: string;
}

interface Pending {
  rec: TraceStatement;
  started: number;
  /** The session's tracer overhead when the statement started. */
  overhead: number;
  poll: LockPoll | null;
}

interface SessionState {
  inTx: boolean;
  /** The transaction block only wraps one autocommit statement, so its locks can be read (they are the statement's own). */
  single: boolean;
  /** `oid:mode` of the locks the open transaction held after its last statement. */
  held: Set<string>;
  /** Statements of the open transaction, with their start times and the tracer's own time on the session then. */
  open: { rec: TraceStatement; started: number; overhead: number }[];
  /** ms this tracer has spent reading locks on the session's open transaction (taken out of lock windows). */
  overhead: number;
}

const round = (ms: number) => Math.round(ms * 10) / 10;

/** Splits `file:line:column` (as the planner and frontends write it); a suffix such as ` (cleanup)` goes into the note. */
export function splitWhere(where: string): { file: string; line: number; column: number; suffix: string } {
  const m = /^(.*):(\d+):(\d+)(.*)$/.exec(where);
  if (!m) return { file: where, line: 0, column: 0, suffix: '' };
  return { file: m[1]!, line: Number(m[2]), column: Number(m[3]), suffix: m[4]!.trim() };
}

/**
 * Polls the locks one backend holds, from the observer session, until stopped.
 *
 * A statement in autocommit on a small table can be over in a few milliseconds, between two polls.
 * So that its locks are seen whatever the timing, the observer first opens a REPEATABLE READ
 * transaction and takes a snapshot, and keeps it until a poll has seen the statement's locks or
 * seen it waiting. CREATE INDEX CONCURRENTLY and REINDEX CONCURRENTLY wait, before they finish, for
 * every transaction of the database with an older snapshot (sql-createindex.html, "Building Indexes
 * Concurrently"), holding their SHARE UPDATE EXCLUSIVE lock: they cannot end before a poll has seen
 * it. Other statements do not wait for snapshots, and the observer holds no lock that they could
 * wait for; they run as they would, polled as before.
 */
class LockPoll {
  readonly seen = new Map<string, number>();
  samples = 0;
  error: string | null = null;
  private stopped = false;
  /** The observer's transaction with the snapshot is open. */
  private holding = false;
  private done: Promise<void> = Promise.resolve();
  private readonly started = performance.now();

  private constructor(
    private readonly observer: Session,
    private readonly pid: number,
    private readonly oids: number[],
  ) {}

  /**
   * Takes the observer's snapshot and a first sample (so the snapshot is older than anything the
   * statement, sent after this returns, does), then polls until `stop`. Errors are kept in `error`.
   */
  static async start(observer: Session, pid: number, oids: number[]): Promise<LockPoll> {
    const p = new LockPoll(observer, pid, oids);
    try {
      await observer.query('BEGIN ISOLATION LEVEL REPEATABLE READ');
      p.holding = true;
      await p.sample(); // a REPEATABLE READ transaction takes its snapshot at its first query
    } catch (e) {
      p.error = messageOf(e);
    }
    p.done = p.loop();
    return p;
  }

  /** One read of pg_locks: the backend's granted locks on existing relations, and whether it waits for any lock. */
  private async sample(): Promise<void> {
    const r = await this.observer.query<{ oid: string | null; mode: string; granted: boolean }>(
      `SELECT l.relation::int8::text AS oid, l.mode, l.granted FROM pg_locks l
       WHERE l.pid = $1 AND (NOT l.granted OR (l.locktype = 'relation' AND l.granted AND l.relation = ANY($2::oid[])))`,
      [this.pid, this.oids],
    );
    this.samples++;
    let waiting = false;
    for (const row of r.rows) {
      if (!row.granted) waiting = true;
      else this.seen.set(`${row.oid}:${row.mode}`, this.samples);
    }
    if (this.holding && (waiting || this.seen.size > 0)) await this.release();
  }

  private async release(): Promise<void> {
    this.holding = false;
    await this.observer.query('ROLLBACK');
  }

  private async loop(): Promise<void> {
    while (!this.stopped && this.error === null) {
      // Back to back while the snapshot is held (the statement may be waiting for it) and at first; then
      // less often, as locks are taken early and held to the end.
      const elapsed = performance.now() - this.started;
      if (!this.holding && elapsed > 100) await new Promise((res) => setTimeout(res, elapsed > 2000 ? 50 : 10));
      if (this.stopped) break;
      try {
        await this.sample();
      } catch (e) {
        this.error = messageOf(e);
      }
    }
  }

  /** Stops polling, and ends the observer's transaction if it is still open. */
  async stop(): Promise<void> {
    this.stopped = true;
    await this.done;
    if (!this.holding) return;
    try {
      await this.release();
    } catch (e) {
      this.error ??= messageOf(e);
    }
  }
}

/** The tracer the executors (and trace's own runner) report to; one migration at a time. */
export class LockTracer implements StatementTracer {
  private relations = new Map<number, Relation>();
  private readonly sessions = new Map<number, SessionState>();
  private readonly pending = new Map<number, Pending>();
  private records: TraceStatement[] = [];

  /** @param observer a session of the traced database that runs nothing else. */
  constructor(private readonly observer: Session) {}

  /**
   * Starts a migration: remembers every relation that exists now (user
   * schemas, toast tables left out), and forgets the last migration's statements.
   */
  async startMigration(): Promise<void> {
    const r = await this.observer.query<{ oid: string; name: string; node: string }>(
      `SELECT c.oid::int8::text AS oid, format('%I.%I', n.nspname, c.relname) AS name, c.relfilenode::text AS node
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
       WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_toast%' AND n.nspname NOT LIKE 'pg\\_temp%'`,
    );
    this.relations = new Map(r.rows.map((x) => [Number(x.oid), { name: x.name, relfilenode: x.node }]));
    this.records = [];
    this.sessions.clear();
    this.pending.clear();
  }

  /** The statements traced since startMigration, in the order they ran. */
  finishMigration(): TraceStatement[] {
    return this.records;
  }

  private state(session: Session): SessionState {
    let s = this.sessions.get(session.pid);
    if (!s) this.sessions.set(session.pid, (s = { inTx: false, single: false, held: new Set(), open: [], overhead: 0 }));
    return s;
  }

  private get oids(): number[] {
    return [...this.relations.keys()];
  }

  /** @param single the block wraps one statement that runs in autocommit under its runner (reported as autocommit). */
  begin(session: Session, single = false): void {
    const s = this.state(session);
    s.inTx = true;
    s.single = single;
    s.held = new Set();
    s.open = [];
  }

  async before(session: Session, st: TracedStatement): Promise<void> {
    const at = splitWhere(st.where);
    const s = this.state(session);
    const rec: TraceStatement = {
      file: at.file,
      line: at.line,
      column: at.column,
      endLine: st.endLine ?? at.line + (st.text.trim().match(/\n/g)?.length ?? 0),
      sql: st.text.trim(),
      durationMs: 0,
      locks: [],
      heldBefore: [],
      rewrites: [],
      lockWindowMs: null,
      inTransaction: s.inTx && !s.single,
      ...(at.suffix ? { note: at.suffix.replace(/^\((.*)\)$/, '$1') } : {}),
    };
    this.records.push(rec);
    const poll = s.inTx ? null : await LockPoll.start(this.observer, session.pid, this.oids);
    this.pending.set(session.pid, { rec, started: performance.now(), overhead: s.overhead, poll });
  }

  async after(session: Session, _st: TracedStatement, error: unknown): Promise<void> {
    const p = this.pending.get(session.pid);
    if (!p) return;
    this.pending.delete(session.pid);
    const { rec } = p;
    rec.durationMs = round(performance.now() - p.started);
    if (p.poll) await p.poll.stop();
    if (error) rec.error = messageOf(error);
    const s = this.state(session);
    let locks: Set<string>;
    let nodes: Map<number, string>;
    if (p.poll) {
      locks = new Set(p.poll.seen.keys());
      nodes = await this.relfilenodes(this.observer);
      if (p.poll.error) rec.note = `the observer could not read pg_locks: ${p.poll.error}`;
      else if (locks.size === 0 && !error) rec.note = `ran in autocommit in ${rec.durationMs}ms; the observer polled ${p.poll.samples} time${p.poll.samples === 1 ? '' : 's'} and saw no lock on an existing relation`;
    } else if (error) {
      // The transaction is aborted: nothing more can be read on it.
      locks = new Set();
      nodes = new Map();
    } else {
      const t0 = performance.now();
      const r = await session.query<{ k: string; oid: string; v: string }>(
        `SELECT 'lock' AS k, l.relation::int8::text AS oid, l.mode AS v FROM pg_locks l
         WHERE l.pid = pg_backend_pid() AND l.locktype = 'relation' AND l.granted AND l.relation = ANY($1::oid[])
         UNION ALL
         SELECT 'node', c.oid::int8::text, c.relfilenode::text FROM pg_class c WHERE c.oid = ANY($1::oid[])`,
        [this.oids],
      );
      const now = new Set(r.rows.filter((x) => x.k === 'lock').map((x) => `${x.oid}:${x.v}`));
      locks = new Set([...now].filter((k) => !s.held.has(k)));
      rec.heldBefore = this.named([...now].filter((k) => s.held.has(k)));
      s.held = now;
      nodes = new Map(r.rows.filter((x) => x.k === 'node').map((x) => [Number(x.oid), x.v]));
      s.overhead += performance.now() - t0;
    }
    rec.locks = this.named([...locks]);
    for (const [oid, node] of nodes) {
      const rel = this.relations.get(oid);
      if (!rel || rel.relfilenode === node) continue;
      rec.rewrites.push(rel.name);
      rel.relfilenode = node;
    }
    rec.rewrites.sort();
    if (s.inTx) s.open.push({ rec, started: p.started, overhead: p.overhead });
    else if (rec.locks.length) rec.lockWindowMs = rec.durationMs;
  }

  async end(session: Session, _how: 'commit' | 'rollback'): Promise<void> {
    this.closeTransaction(this.state(session));
  }

  /** Ends every open transaction's windows now (the run stopped with them open; they roll back when their sessions close). */
  endAll(): void {
    for (const s of this.sessions.values()) if (s.inTx) this.closeTransaction(s);
  }

  private closeTransaction(s: SessionState): void {
    const now = performance.now();
    for (const o of s.open) if (o.rec.locks.length) o.rec.lockWindowMs = round(now - o.started - (s.overhead - o.overhead));
    s.inTx = false;
    s.single = false;
    s.held = new Set();
    s.open = [];
    s.overhead = 0;
  }

  /** `oid:mode` keys as locks on named relations, sorted. */
  private named(keys: string[]): TraceLock[] {
    return keys
      .map((k) => {
        const [oid, mode] = k.split(':') as [string, string];
        return { relation: this.relations.get(Number(oid))?.name ?? `oid ${oid}`, mode };
      })
      .sort((a, b) => a.relation.localeCompare(b.relation) || a.mode.localeCompare(b.mode));
  }

  private async relfilenodes(s: Session): Promise<Map<number, string>> {
    const r = await s.query<{ oid: string; node: string }>('SELECT c.oid::int8::text AS oid, c.relfilenode::text AS node FROM pg_class c WHERE c.oid = ANY($1::oid[])', [this.oids]);
    return new Map(r.rows.map((x) => [Number(x.oid), x.node]));
  }
}
