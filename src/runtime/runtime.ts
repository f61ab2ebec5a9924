/**
 * The runtime a set of executors shares: connection, settings, logger, and the
 * sessions it opens. The work session runs migration statements; the monitor
 * session watches for blockers and idle transactions while the work session
 * waits (so blockers are captured while the wait lasts, not after the timeout
 * has ended it); checks open their own short-lived sessions.
 */
import { resolveConnection, Session, type ConnectionOptions, type ResolvedConnection } from './connection.js';
import { InterruptedError } from './errors.js';

/** Timeouts and retry policy. All durations in milliseconds; 0 disables a timeout. */
export interface RuntimeSettings {
  /** `lock_timeout` for DDL (execDdl). Default 5000. */
  lockTimeoutMs: number;
  /** `statement_timeout` for DDL. Default 120000. */
  statementTimeoutMs: number;
  /** `idle_in_transaction_session_timeout` for migrun's own transactions. Default 60000. */
  idleInTransactionTimeoutMs: number;
  /** `lock_timeout` for DML (execDml, backfill batches). Default 60000. */
  dmlLockTimeoutMs: number;
  /** `lock_timeout` for concurrent index builds and other autocommit statements. Default 60000. */
  indexLockTimeoutMs: number;
  /** Retries after the first attempt when a lock cannot be had. Default 5. */
  retries: number;
  /** First backoff delay; doubles each retry, with jitter. Default 500. */
  retryDelayMs: number;
  /** Largest backoff delay. Default 10000. */
  retryDelayMaxMs: number;
  /** Terminate idle-in-transaction sessions holding locks on a step's relations once idle this long; null = never (default). */
  terminateIdleMs: number | null;
  /** `application_name` of migrun's sessions. Default `migrun`. */
  applicationName: string;
}

export const DEFAULT_SETTINGS: Readonly<RuntimeSettings> = Object.freeze({
  lockTimeoutMs: 5000,
  statementTimeoutMs: 120_000,
  idleInTransactionTimeoutMs: 60_000,
  dmlLockTimeoutMs: 60_000,
  indexLockTimeoutMs: 60_000,
  retries: 5,
  retryDelayMs: 500,
  retryDelayMaxMs: 10_000,
  terminateIdleMs: null,
  applicationName: 'migrun',
});

/** A statement as a tracer sees it: its text and `file:line:column`. */
export interface TracedStatement {
  text: string;
  where: string;
  /** The line the statement's source ends on, when it is not where its text ends (a builder call). */
  endLine?: number;
}

/**
 * What `migrun trace` hooks into the executors: told when a transaction block
 * begins and ends on a session, and around each statement (on the same session,
 * before anything else runs on it).
 */
export interface StatementTracer {
  begin(session: Session): void;
  before(session: Session, st: TracedStatement): Promise<void>;
  /** `error` is what the statement threw, or null. */
  after(session: Session, st: TracedStatement, error: unknown): Promise<void>;
  end(session: Session, how: 'commit' | 'rollback'): Promise<void>;
}

/** Where migrun's messages go. `progress` draws a transient line (a progress bar); null clears it. */
export interface Logger {
  info(message: string): void;
  warn(message: string): void;
  progress?(line: string | null): void;
}

/** A logger that prints nothing (the library default). */
export const silentLogger: Logger = { info: () => undefined, warn: () => undefined };

export interface RuntimeOptions extends ConnectionOptions, Partial<RuntimeSettings> {
  logger?: Logger;
  /** Aborting it interrupts the run: the running statement is cancelled (pg_cancel_backend) and nothing else starts. */
  signal?: AbortSignal;
}

export class Runtime {
  readonly connection: ResolvedConnection;
  readonly settings: RuntimeSettings;
  readonly logger: Logger;
  private workSession: Session | null = null;
  private monitorSession: Session | null = null;
  private opening = new Map<string, Promise<Session>>();
  /** Pids of every session this runtime (or its owner) opened: never reported as blockers to terminate. */
  readonly ownPids = new Set<number>();
  /** Set by `migrun trace`: observes every statement the executors run. */
  tracer: StatementTracer | null = null;
  /** Why the run was interrupted (e.g. `SIGINT`), or null. */
  interrupted: string | null = null;
  private readonly wake = new Set<() => void>();

  constructor(options: RuntimeOptions = {}, connection?: ResolvedConnection) {
    this.connection = connection ?? resolveConnection(options);
    const settings: RuntimeSettings = { ...DEFAULT_SETTINGS };
    for (const key of Object.keys(DEFAULT_SETTINGS) as (keyof RuntimeSettings)[]) {
      const v = options[key];
      if (v !== undefined) (settings as unknown as Record<string, unknown>)[key] = v;
    }
    this.settings = settings;
    this.logger = options.logger ?? silentLogger;
    const signal = options.signal;
    if (signal?.aborted) this.interrupted = reasonOf(signal);
    else signal?.addEventListener('abort', () => void this.interrupt(reasonOf(signal)), { once: true });
  }

  /**
   * Interrupts the run: later steps do not start, backoff waits end, and the
   * statement the work session is running is cancelled with pg_cancel_backend
   * (manual: functions-admin.html#FUNCTIONS-ADMIN-SIGNAL), so its transaction
   * rolls back. Never throws: a failed cancel is logged.
   */
  async interrupt(reason: string): Promise<void> {
    if (this.interrupted) return;
    this.interrupted = reason;
    for (const w of this.wake) w();
    const pid = this.workSession?.alive ? this.workSession.pid : null;
    if (pid === null) return;
    try {
      await this.shortLived('cancel', (s) => s.query('SELECT pg_cancel_backend($1)', [pid]));
    } catch (e) {
      this.logger.warn(`could not cancel the running statement of pid ${pid}: ${(e as Error).message}`);
    }
  }

  /** @throws InterruptedError when the run was interrupted; `what` says what was about to start. */
  throwIfInterrupted(what: string): void {
    if (this.interrupted) throw new InterruptedError(`interrupted by ${this.interrupted} before ${what}`);
  }

  /** Waits `ms` milliseconds, or less when the run is interrupted meanwhile. */
  sleep(ms: number): Promise<void> {
    if (this.interrupted) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.wake.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.wake.add(done);
    });
  }

  /** Opens a session of this runtime and remembers its pid as one of migrun's own. */
  async open(role: string): Promise<Session> {
    const s = await Session.open(this.connection, role ? `${this.settings.applicationName}:${role}` : this.settings.applicationName);
    this.ownPids.add(s.pid);
    return s;
  }

  /** The session migration statements run on; reopened when the previous one was lost. */
  async work(): Promise<Session> {
    if (this.workSession?.alive) return this.workSession;
    this.workSession = await this.once('work', async () => {
      const s = await this.open('');
      // A default for the reads migrun does between steps; every executor sets its own timeouts.
      await s.query("SELECT set_config('lock_timeout', $1, false)", [String(this.settings.lockTimeoutMs)]);
      return s;
    });
    return this.workSession;
  }

  /** The session that watches for blockers and reports (lock_timeout 1s, statement_timeout 10s); reopened when lost. */
  async monitor(): Promise<Session> {
    if (this.monitorSession?.alive) return this.monitorSession;
    this.monitorSession = await this.once('monitor', async () => {
      const s = await this.open('monitor');
      // Reports must never queue behind the locks they report on.
      await s.query("SELECT set_config('lock_timeout', '1000', false), set_config('statement_timeout', '10000', false)");
      return s;
    });
    return this.monitorSession;
  }

  private once(key: string, fn: () => Promise<Session>): Promise<Session> {
    let p = this.opening.get(key);
    if (!p) {
      p = fn().finally(() => this.opening.delete(key));
      this.opening.set(key, p);
    }
    return p;
  }

  /** Closes the work session, so the next migration starts on a fresh one (no session settings carried over). */
  async resetWork(): Promise<void> {
    const s = this.workSession;
    this.workSession = null;
    if (s) await s.close();
  }

  /**
   * Runs `fn` on a new session that is closed afterwards, whatever happens.
   * Used for checks: autocommit, one statement at a time, nothing left open.
   */
  async shortLived<T>(role: string, fn: (s: Session) => Promise<T>): Promise<T> {
    const s = await this.open(role);
    try {
      return await fn(s);
    } finally {
      this.ownPids.delete(s.pid);
      await s.close();
    }
  }

  /** Closes every session this runtime holds. */
  async close(): Promise<void> {
    const sessions = [this.workSession, this.monitorSession];
    this.workSession = null;
    this.monitorSession = null;
    await Promise.all(sessions.map((s) => s?.close()));
  }
}

function reasonOf(signal: AbortSignal): string {
  const r: unknown = signal.reason;
  return typeof r === 'string' ? r : r instanceof Error && r.name !== 'AbortError' ? r.message : 'an abort signal';
}
