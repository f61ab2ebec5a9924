/**
 * migrun's expected failures: each is a clear message and an exit code, never a
 * stack trace. SQLSTATE names follow the PostgreSQL manual's Appendix A
 * ("PostgreSQL Error Codes", errcodes-appendix.html).
 */

/** Base class of every failure migrun expects; `exitCode` 1 = a migration failed, 2 = usage or configuration. */
export class MigrunError extends Error {
  readonly exitCode: 1 | 2;
  constructor(message: string, exitCode: 1 | 2 = 1) {
    super(message);
    this.name = 'MigrunError';
    this.exitCode = exitCode;
  }
}

/**
 * The run was interrupted (SIGINT/SIGTERM, or the caller's AbortSignal): the
 * running statement was cancelled and rolled back, and nothing after it ran.
 */
export class InterruptedError extends MigrunError {
  constructor(message: string) {
    super(message, 1);
    this.name = 'InterruptedError';
  }
}

/** A usage or configuration error: bad option, missing directory, unreachable server (exit code 2). */
export class UsageError extends MigrunError {
  constructor(message: string) {
    super(message, 2);
    this.name = 'UsageError';
  }
}

/** One problem found while planning, with where it is. */
export interface PlanProblem {
  /** `migrations/003_x.sql:4:12` */
  where: string;
  message: string;
}

/** The directory could not be planned (syntax errors, unloadable modules); nothing ran (exit code 1). */
export class PlanError extends MigrunError {
  readonly problems: PlanProblem[];
  constructor(problems: PlanProblem[]) {
    super(
      `${problems.length === 1 ? 'a migration' : `${problems.length} migrations`} cannot be planned; nothing was run:\n` +
        problems.map((p) => `  ${p.where}: ${p.message}`).join('\n'),
      1,
    );
    this.name = 'PlanError';
    this.problems = problems;
  }
}

/** SQLSTATE codes migrun names in messages (errcodes-appendix.html). */
export const SQLSTATE_NAMES: Record<string, string> = {
  '55P03': 'lock_not_available',
  '40P01': 'deadlock_detected',
  '40001': 'serialization_failure',
  '57014': 'query_canceled',
  '57P01': 'admin_shutdown',
  '57P02': 'crash_shutdown',
  '57P03': 'cannot_connect_now',
  '25P01': 'no_active_sql_transaction',
  '25P02': 'in_failed_sql_transaction',
  '25001': 'active_sql_transaction',
  '25P03': 'idle_in_transaction_session_timeout',
  '42601': 'syntax_error',
  '42P01': 'undefined_table',
  '42P07': 'duplicate_table',
  '42701': 'duplicate_column',
  '42703': 'undefined_column',
  '42704': 'undefined_object',
  '42710': 'duplicate_object',
  '23505': 'unique_violation',
  '23502': 'not_null_violation',
  '23503': 'foreign_key_violation',
  '23514': 'check_violation',
  '28P01': 'invalid_password',
  '28000': 'invalid_authorization_specification',
  '3D000': 'invalid_catalog_name',
  '53300': 'too_many_connections',
  P0001: 'raise_exception',
};

/** The fields of a `pg` DatabaseError migrun reads. */
export interface PgErrorLike {
  message: string;
  code?: string;
  detail?: string;
  hint?: string;
  position?: string;
  where?: string;
}

/** Whether `e` came from the server (it carries a five-character SQLSTATE). */
export function isPgError(e: unknown): e is PgErrorLike & Error {
  return e instanceof Error && typeof (e as PgErrorLike).code === 'string' && /^[0-9A-Z]{5}$/.test((e as PgErrorLike).code!);
}

/** `lock_not_available` (55P03): lock_timeout fired, or NOWAIT found the lock taken. */
export function isLockNotAvailable(e: unknown): boolean {
  return isPgError(e) && e.code === '55P03';
}

/** Errors worth retrying the whole group for: `lock_not_available` (55P03) and `deadlock_detected` (40P01). */
export function isRetryableLockError(e: unknown): boolean {
  return isPgError(e) && (e.code === '55P03' || e.code === '40P01');
}

/** Whether the connection itself is gone (terminated backend, reset socket), so the session is unusable. */
export function isConnectionLost(e: unknown): boolean {
  if (isPgError(e)) return e.code === '57P01' || e.code === '57P02' || e.code === '57P03';
  if (!(e instanceof Error)) return false;
  const code = (e as { code?: string }).code;
  return (
    code === 'ECONNRESET' ||
    code === 'EPIPE' ||
    /Connection terminated|Client has encountered a connection error|not queryable|connection is closed/i.test(e.message)
  );
}

/** `lock_not_available (55P03)` for a code, or just the code when migrun has no name for it. */
export function sqlstateLabel(code: string | undefined): string {
  if (!code) return '';
  const name = SQLSTATE_NAMES[code];
  return name ? `${name} (${code})` : `SQLSTATE ${code}`;
}

/**
 * A server error as one readable block: the message, its SQLSTATE name, then
 * detail, hint and context lines when the server sent them.
 */
export function describePgError(e: unknown): string {
  if (!(e instanceof Error)) return String(e);
  if (!isPgError(e)) return e.message;
  const lines = [`${e.message} [${sqlstateLabel(e.code)}]`];
  if (e.detail) lines.push(`detail: ${e.detail}`);
  if (e.hint) lines.push(`hint: ${e.hint}`);
  if (e.where) lines.push(`context: ${e.where.split('\n')[0]}`);
  return lines.join('\n');
}

/**
 * A statement failed (for a reason other than waiting for a lock). `where` is
 * the statement's place, e.g. `migrations/002_x.sql:3:1`.
 */
export class StatementError extends MigrunError {
  override readonly cause: unknown;
  readonly code: string | undefined;
  constructor(what: string, cause: unknown) {
    super(`${what} failed: ${indentRest(describePgError(cause))}`, 1);
    this.name = 'StatementError';
    this.cause = cause;
    this.code = isPgError(cause) ? cause.code : undefined;
  }
}

/** Indents every line after the first, for nesting multi-line messages. */
export function indentRest(text: string, indent = '  '): string {
  return text.replace(/\n/g, `\n${indent}`);
}

/** The message of any thrown value, without a stack trace. */
export function messageOf(e: unknown): string {
  if (e instanceof MigrunError) return e.message;
  if (isPgError(e)) return describePgError(e);
  if (e instanceof Error) return e.message;
  return String(e);
}
