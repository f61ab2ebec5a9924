/**
 * The migration lock: a session-level advisory lock (explicit-locking.html,
 * "Advisory Locks"; functions-admin.html, pg_try_advisory_lock) taken with
 * `pg_try_advisory_lock` in a bounded polling loop, on a session of its own.
 *
 * That session stays idle and outside any transaction while migrations run:
 * CREATE INDEX CONCURRENTLY waits for every transaction that holds a snapshot
 * (sql-createindex.html#SQL-CREATEINDEX-CONCURRENTLY), so a lock holder inside
 * a transaction would deadlock against a concurrent build; a second migrun
 * waiting for the lock polls with short autocommit queries for the same reason.
 */
import { createHash } from 'node:crypto';
import type { Session } from './connection.js';
import { formatDuration } from './duration.js';
import { MigrunError } from './errors.js';
import type { Logger, Runtime } from './runtime.js';

/** The 64-bit advisory lock key for a migrations table (from its qualified name), as a decimal string. */
export function advisoryKey(tableDisplay: string): string {
  const h = createHash('sha256').update(`migrun:${tableDisplay}`).digest();
  return BigInt.asIntN(64, h.readBigUInt64BE(0)).toString();
}

export interface MigrationLock {
  readonly session: Session;
  readonly key: string;
  /** False once the lock's session is gone (the lock with it). */
  readonly held: boolean;
  release(): Promise<void>;
}

interface Holder {
  pid: number;
  application_name: string;
  usename: string | null;
  held_ms: number | null;
}

/** Who holds the advisory lock `key` in the current database. */
async function holderOf(session: Session, key: string): Promise<Holder | null> {
  const k = BigInt(key);
  const hi = (BigInt.asUintN(64, k) >> 32n).toString();
  const lo = (BigInt.asUintN(64, k) & 0xffffffffn).toString();
  const r = await session.query<Holder>(
    `SELECT a.pid, a.application_name, a.usename::text AS usename, (extract(epoch FROM now() - a.backend_start) * 1000)::float8 AS held_ms
     FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
     WHERE l.locktype = 'advisory' AND l.granted AND l.classid = $1::oid AND l.objid = $2::oid AND l.objsubid = 1
       AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())`,
    [hi, lo],
  );
  return r.rows[0] ?? null;
}

/**
 * Takes the migration lock, polling every `pollMs` for at most `waitMs`.
 * @returns the held lock; its session must stay open until release().
 * @throws MigrunError (exit 1) naming the holder when the wait runs out.
 */
export async function acquireMigrationLock(rt: Runtime, key: string, waitMs: number, logger: Logger, pollMs = 250): Promise<MigrationLock> {
  const session = await rt.open('lock');
  let held = true;
  session.client.on('error', () => {
    held = false;
  });
  session.client.on('end', () => {
    held = false;
  });
  const started = Date.now();
  let announced = false;
  try {
    for (;;) {
      const r = await session.query<{ ok: boolean }>('SELECT pg_try_advisory_lock($1::bigint) AS ok', [key]);
      if (r.rows[0]?.ok) break;
      const holder = await holderOf(session, key).catch(() => null);
      const who = holder ? `pid ${holder.pid} (application "${holder.application_name}", user ${holder.usename ?? '?'}, connected ${formatDuration(holder.held_ms ?? 0)} ago)` : 'another session';
      if (Date.now() - started >= waitMs) {
        throw new MigrunError(`another migrun is running migrations: ${who} holds the migration lock; gave up after waiting ${formatDuration(Date.now() - started)}. Run again when it has finished.`);
      }
      if (!announced) {
        logger.info(`waiting up to ${formatDuration(waitMs)} for the migration lock, held by ${who}`);
        announced = true;
      }
      await rt.sleep(pollMs);
      rt.throwIfInterrupted('getting the migration lock');
    }
  } catch (e) {
    rt.ownPids.delete(session.pid);
    await session.close();
    throw e;
  }
  if (announced) logger.info(`got the migration lock after ${formatDuration(Date.now() - started)}`);
  return {
    session,
    key,
    get held() {
      return held && session.alive;
    },
    async release() {
      if (session.alive) await session.query('SELECT pg_advisory_unlock($1::bigint)', [key]).catch(() => undefined);
      rt.ownPids.delete(session.pid);
      await session.close();
    },
  };
}
