/**
 * `migrun exec -- <command> [args...]`: migrun's runtime safety around a
 * migration command it does not run itself (`npx knex migrate:latest`,
 * `alembic upgrade head`, `psql -f`, ...).
 *
 * - The command gets `lock_timeout`, `statement_timeout` and
 *   `idle_in_transaction_session_timeout` through `PGOPTIONS`, appended to any
 *   PGOPTIONS already set (later `-c` settings win), and an `application_name`
 *   through `PGAPPNAME` (libpq-envars.html, libpq-connect.html#LIBPQ-CONNECT-OPTIONS;
 *   node-postgres reads both variables too).
 * - A watcher (exec-watch.ts) on migrun's own session reports the blockers of
 *   the command's sessions while they wait, and with `terminateIdleMs`
 *   terminates the idle-in-transaction ones among them.
 * - With `commandRetries` the whole command is rerun, with backoff and jitter,
 *   when it failed after one of its sessions gave up on a lock (seen by the
 *   watcher, or `lock_not_available` / `deadlock_detected` in its output). That is
 *   safe only when each migration runs in a transaction of its own: a failed one
 *   then left nothing behind, and the framework skips the ones it recorded.
 * - The command's output passes through `redact` (line by line); SIGINT and
 *   SIGTERM (the `signal` option) are passed on to it; the result is its exit code.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { constants } from 'node:os';
import { CommandWatcher } from './exec-watch.js';
import { pollInterval } from './blockers.js';
import { formatDuration } from './duration.js';
import { backoffDelay } from './executors.js';
import { Runtime, type RuntimeOptions } from './runtime.js';

export interface ExecCommandOptions extends RuntimeOptions {
  command: string;
  args: string[];
  /** The command's working directory; default process.cwd(). */
  cwd?: string;
  /** Report a session's blockers once it has waited this long for a lock, ms; default 1000, at most half the lock timeout. */
  reportAfterMs?: number;
  /** Reruns of the whole command after it failed on a lock; default 0. */
  commandRetries?: number;
  /** Sets `DATABASE_URL` for the command (when the URL came from a flag). */
  passDatabaseUrl?: boolean;
  /** Where the command's output lines go (already redacted). */
  stdout: (text: string) => void;
  stderr: (text: string) => void;
}

export interface ExecCommandResult {
  /** The command's exit code (128 + signal number when a signal ended it; 127 when it could not start). */
  exitCode: number;
  /** Runs made, 1 when the first succeeded or was not retried. */
  runs: number;
}

/**
 * The `PGOPTIONS` value for the command: `existing` followed by the three timeouts.
 * Durations in ms; 0 disables a timeout, as in PostgreSQL (runtime-config-client.html).
 */
export function pgOptions(existing: string | undefined, t: { lockTimeoutMs: number; statementTimeoutMs: number; idleInTransactionTimeoutMs: number }): string {
  const ours = `-c lock_timeout=${t.lockTimeoutMs}ms -c statement_timeout=${t.statementTimeoutMs}ms -c idle_in_transaction_session_timeout=${t.idleInTransactionTimeoutMs}ms`;
  return existing && existing.trim() ? `${existing.trim()} ${ours}` : ours;
}

/**
 * How a line of the command's output says a session gave up on a lock:
 * SQLSTATE 55P03 `lock_not_available` (lock_timeout, NOWAIT) or 40P01
 * `deadlock_detected` (errcodes-appendix.html), by code, condition name,
 * psycopg's class name or the server's English message. Null when it does not.
 */
export function lockFailureIn(line: string): string | null {
  const m = /\b(55P03|40P01|lock_not_available|deadlock_detected|LockNotAvailable|DeadlockDetected)\b|canceling statement due to lock timeout|could not obtain lock on [a-z ]+|deadlock detected/i.exec(line);
  return m ? m[0] : null;
}

/** Splits a stream into lines, passing each complete line on; a partial line is passed on after `idleMs` without more output (a prompt). */
class LineRelay {
  private buffer = '';
  private timer: NodeJS.Timeout | null = null;
  constructor(
    private readonly emit: (text: string) => void,
    private readonly idleMs = 150,
  ) {}

  push(chunk: string): void {
    this.buffer += chunk;
    const cut = this.buffer.lastIndexOf('\n');
    if (cut >= 0) {
      this.emit(this.buffer.slice(0, cut + 1));
      this.buffer = this.buffer.slice(cut + 1);
    }
    if (this.timer) clearTimeout(this.timer);
    this.timer = this.buffer ? setTimeout(() => this.flush(), this.idleMs) : null;
  }

  flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (this.buffer) this.emit(this.buffer);
    this.buffer = '';
  }
}

interface RunOutcome {
  exitCode: number;
  /** Why the run counts as having failed on a lock, or null. */
  lockFailure: string | null;
}

/**
 * Runs the command under migrun's timeouts and watcher, rerunning it after a
 * lock failure when `commandRetries` allows.
 * @returns the last run's exit code and the number of runs.
 * @throws UsageError when the watcher cannot connect (nothing was started).
 */
export async function execCommand(options: ExecCommandOptions): Promise<ExecCommandResult> {
  const rt = new Runtime({ ...options, applicationName: 'migrun-exec' });
  const log = rt.logger;
  const appName = `migrun-exec-${randomBytes(4).toString('hex')}`;
  const s = rt.settings;
  const retries = options.commandRetries ?? 0;
  const reportAfterMs = Math.min(options.reportAfterMs ?? 1000, s.lockTimeoutMs > 0 ? Math.floor(s.lockTimeoutMs / 2) : Infinity);
  try {
    const monitor = await rt.monitor();
    log.info(
      `watching ${rt.connection.display} for sessions of: ${[options.command, ...options.args].join(' ')}\n` +
        `  lock_timeout ${formatDuration(s.lockTimeoutMs)}, statement_timeout ${formatDuration(s.statementTimeoutMs)}, idle_in_transaction_session_timeout ${formatDuration(s.idleInTransactionTimeoutMs)} (PGOPTIONS); ` +
        `application_name ${appName} (PGAPPNAME); blockers reported after ${formatDuration(reportAfterMs)}` +
        (s.terminateIdleMs !== null ? `; idle-in-transaction blockers terminated once idle ${formatDuration(s.terminateIdleMs)}` : ''),
    );
    const env: Record<string, string | undefined> = {
      ...(options.env ?? process.env),
      PGOPTIONS: pgOptions((options.env ?? process.env).PGOPTIONS, s),
      PGAPPNAME: appName,
    };
    if (options.passDatabaseUrl && options.databaseUrl) env.DATABASE_URL = options.databaseUrl;
    for (let run = 1; ; run++) {
      const startedAt = (await monitor.query<{ t: Date }>('SELECT clock_timestamp() AS t')).rows[0]!.t;
      const watcher = new CommandWatcher(() => rt.monitor(), {
        applicationName: appName,
        startedAt,
        reportAfterMs,
        lockTimeoutMs: s.lockTimeoutMs,
        terminateIdleMs: s.terminateIdleMs,
        ownPids: () => [...rt.ownPids],
        logger: log,
      }, Math.min(pollInterval(reportAfterMs), 100)).start();
      let outcome: RunOutcome;
      try {
        outcome = await runOnce(options, env, rt);
      } finally {
        await watcher.stop();
      }
      const gaveUp = watcher.gaveUp[0];
      const lockFailure = outcome.lockFailure ?? (gaveUp ? `pid ${gaveUp.pid} waited ${formatDuration(gaveUp.waitedMs)} for a lock, then stopped waiting` : null);
      if (outcome.exitCode === 0) {
        if (run > 1) log.info(`the command succeeded on run ${run}`);
        return { exitCode: 0, runs: run };
      }
      const seen = watcher.describeBlockers();
      const who = seen ? `; blocked by ${seen}` : '';
      if (rt.interrupted || !lockFailure || run > retries) {
        if (lockFailure) {
          log.warn(
            `the command failed (exit ${outcome.exitCode}) after a session gave up on a lock (${lockFailure})${who}` +
              (retries === 0 ? '\n  rerun it with --retries <n> if every migration runs in a transaction of its own' : `; gave up after ${run} runs`),
          );
        }
        return { exitCode: outcome.exitCode, runs: run };
      }
      const delay = backoffDelay(run, s.retryDelayMs, s.retryDelayMaxMs);
      log.warn(`run ${run} of ${retries + 1} failed (exit ${outcome.exitCode}) after a session gave up on a lock (${lockFailure}); rerunning the command in ${formatDuration(delay)}${who}`);
      await rt.sleep(delay);
      if (rt.interrupted) return { exitCode: outcome.exitCode, runs: run };
    }
  } finally {
    await rt.close();
  }
}

/** One run of the command: output relayed line by line, signals passed on, lock failures noticed. */
function runOnce(options: ExecCommandOptions, env: Record<string, string | undefined>, rt: Runtime): Promise<RunOutcome> {
  return new Promise((resolve) => {
    let lockFailure: string | null = null;
    const scan = (text: string) => {
      if (lockFailure) return;
      for (const line of text.split('\n')) {
        lockFailure = lockFailureIn(line);
        if (lockFailure) return;
      }
    };
    const out = new LineRelay((t) => {
      scan(t);
      options.stdout(t);
    });
    const err = new LineRelay((t) => {
      scan(t);
      options.stderr(t);
    });
    const child = spawn(options.command, options.args, { cwd: options.cwd, env, stdio: ['inherit', 'pipe', 'pipe'] });
    child.stdout.setEncoding('utf8').on('data', (d: string) => out.push(d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => err.push(d));
    const forward = () => {
      const sig = typeof options.signal?.reason === 'string' && options.signal.reason in constants.signals ? (options.signal.reason as NodeJS.Signals) : 'SIGTERM';
      rt.logger.warn(`${sig}: passed on to the command (pid ${child.pid ?? '?'})`);
      child.kill(sig);
    };
    if (options.signal?.aborted) forward();
    else options.signal?.addEventListener('abort', forward, { once: true });
    let done = false;
    const finish = (exitCode: number) => {
      if (done) return;
      done = true;
      options.signal?.removeEventListener('abort', forward);
      out.flush();
      err.flush();
      resolve({ exitCode, lockFailure });
    };
    child.on('error', (e: NodeJS.ErrnoException) => {
      rt.logger.warn(`cannot run ${options.command}: ${e.code === 'ENOENT' ? 'command not found' : e.message}`);
      finish(127);
    });
    child.on('close', (code, signal) => finish(code ?? (signal ? 128 + (constants.signals[signal] ?? 0) : 1)));
  });
}
