/**
 * The table-level locks of a statement that cannot run inside a transaction block
 * (CREATE/DROP INDEX CONCURRENTLY, REINDEX CONCURRENTLY, DETACH PARTITION ...
 * CONCURRENTLY, VACUUM), observed from a second connection while the statement is
 * held up: such a statement commits several transactions of its own, so its own
 * backend cannot look at pg_locks before a COMMIT as test/rule-locks.test.ts does
 * for the others.
 *
 * Two ways to hold it up, chosen by the caller:
 * - `wait-for-older`: the concurrent forms wait, between their internal
 *   transactions, for transactions that hold a lock on the table or an older
 *   snapshot (sql-createindex.html#SQL-CREATEINDEX-CONCURRENTLY, sql-reindex.html,
 *   sql-dropindex.html, sql-altertable.html DETACH PARTITION ... CONCURRENTLY). A
 *   blocker connection holds ACCESS SHARE on the tables and a REPEATABLE READ
 *   snapshot; each time the statement waits, its granted and requested locks are
 *   recorded, a new blocker starts (for the statement's next wait) and the old one
 *   commits. Locks taken after the statement's last wait (the ACCESS EXCLUSIVE on
 *   an index that DROP INDEX CONCURRENTLY or REINDEX CONCURRENTLY takes to drop an
 *   index no query uses any more) are not seen.
 * - `queue`: a blocker holds SHARE UPDATE EXCLUSIVE on the tables, so the statement
 *   queues for its first lock on them of that strength or more (a weaker lock, such as
 *   the ACCESS SHARE VACUUM takes to look a table up, is granted); the mode it asks for
 *   is recorded, then the blocker commits.
 *
 * The waits are condition waits on pg_locks (the statement's backend has a lock not
 * granted, or the statement ended), polled, with a bound of `WAIT_MS`.
 */
import assert from 'node:assert/strict';
import pg from 'pg';
import { fromPgLocksName, LOCK_MODES, type LockMode } from '../../src/sql/lock-modes.js';

const STRENGTH = new Map(LOCK_MODES.map((m, i) => [m, i]));
/** Bound on one wait for the statement to be held up or to end (ms). */
const WAIT_MS = 15_000;

/** The stronger of two modes (either may be missing). */
export function stronger(a: LockMode | undefined, b: LockMode | undefined): LockMode | undefined {
  if (!a) return b;
  if (!b) return a;
  return STRENGTH.get(b)! > STRENGTH.get(a)! ? b : a;
}

/**
 * The relation locks backend `pid` holds (granted) and waits for (not granted), strongest per relation oid,
 * in the observer's current database.
 */
export async function relationLocks(observer: pg.Client, pid: number): Promise<{ held: Map<number, LockMode>; waiting: Map<number, LockMode>; waitsOnAnything: boolean }> {
  const r = await observer.query<{ oid: number | null; mode: string; granted: boolean; locktype: string }>(
    "SELECT relation::int AS oid, mode, granted, locktype FROM pg_locks WHERE pid = $1 AND (database IS NULL OR database = (SELECT oid FROM pg_database WHERE datname = current_database()))",
    [pid],
  );
  const held = new Map<number, LockMode>();
  const waiting = new Map<number, LockMode>();
  for (const row of r.rows) {
    if (row.locktype !== 'relation' || row.oid === null) continue;
    const mode = fromPgLocksName(row.mode);
    assert.ok(mode, `unknown pg_locks mode ${row.mode}`);
    const into = row.granted ? held : waiting;
    into.set(row.oid, stronger(into.get(row.oid), mode)!);
  }
  return { held, waiting, waitsOnAnything: r.rows.some((row) => !row.granted) };
}

/** A connection that holds `mode` on each of `tables` (oids) in an open transaction (a REPEATABLE READ snapshot for ACCESS SHARE). */
async function blocker(url: string, tables: readonly number[], mode: 'ACCESS SHARE' | 'SHARE UPDATE EXCLUSIVE'): Promise<pg.Client> {
  const b = new pg.Client({ connectionString: url });
  b.on('error', () => undefined);
  await b.connect();
  await b.query(mode === 'ACCESS SHARE' ? 'BEGIN ISOLATION LEVEL REPEATABLE READ' : 'BEGIN');
  // The statement may hold a lock that conflicts by now: then this blocker goes without that table.
  await b.query("SET LOCAL lock_timeout = '1ms'");
  for (const oid of tables) {
    const name = (await b.query<{ name: string; kind: string }>('SELECT $1::int::regclass::text AS name, relkind::text AS kind FROM pg_class WHERE oid = $1', [oid])).rows[0];
    if (!name) continue;
    await b.query('SAVEPOINT s');
    try {
      // A SELECT takes ACCESS SHARE (on the table and its indexes); LOCK TABLE does not take materialized views.
      assert.ok(mode === 'ACCESS SHARE' || name.kind !== 'm', `${name.name}: LOCK TABLE cannot hold a materialized view`);
      await b.query(mode === 'ACCESS SHARE' ? `SELECT FROM ${name.name} LIMIT 0` : `LOCK TABLE ${name.name} IN ${mode} MODE`);
      await b.query('RELEASE SAVEPOINT s');
    } catch {
      await b.query('ROLLBACK TO SAVEPOINT s');
    }
  }
  return b;
}

async function release(b: pg.Client): Promise<void> {
  await b.query('COMMIT');
  await b.end();
}

export interface Observation {
  /** Per relation oid, the strongest lock the statement was seen holding or asking for. */
  locks: Map<number, LockMode>;
  /** How many times it was seen held up. */
  holdUps: number;
}

/**
 * Runs `sql` on `client` (outside a transaction block) and observes its relation locks from other
 * connections to `url` (the same database) while it is held up on `tables` (oids), as the module
 * comment says. Resolves when the statement has ended.
 * @throws the statement's own error, or an AssertionError when it is neither held up nor ended within `WAIT_MS`.
 */
export async function observeHeldUp(client: pg.Client, url: string, sql: string, tables: readonly number[], how: 'wait-for-older' | 'queue'): Promise<Observation> {
  const observer = new pg.Client({ connectionString: url });
  observer.on('error', () => undefined);
  await observer.connect();
  const pid = (await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
  const blockers = [await blocker(url, tables, how === 'queue' ? 'SHARE UPDATE EXCLUSIVE' : 'ACCESS SHARE')];
  const locks = new Map<number, LockMode>();
  let holdUps = 0;
  let ended = false;
  let failure: unknown = null;
  const run = client.query(sql).then(
    () => { ended = true; },
    (e: unknown) => { ended = true; failure = e; },
  );
  try {
    // Each round: wait until the statement waits on something or ends; record; hand over to a new blocker.
    for (let round = 0; round < 8 && !ended; round++) {
      const t0 = Date.now();
      let seen: Awaited<ReturnType<typeof relationLocks>> | null = null;
      while (!ended) {
        const l = await relationLocks(observer, pid);
        if (l.waitsOnAnything) { seen = l; break; }
        assert.ok(Date.now() - t0 < WAIT_MS, `${sql}: neither held up nor done after ${WAIT_MS} ms`);
        await new Promise((r) => setTimeout(r, 5));
      }
      if (!seen) break;
      holdUps++;
      for (const [oid, m] of [...seen.held, ...seen.waiting]) locks.set(oid, stronger(locks.get(oid), m)!);
      if (how === 'wait-for-older' && round < 7) blockers.push(await blocker(url, tables, 'ACCESS SHARE'));
      await release(blockers.shift()!);
      if (how === 'queue') break;
    }
  } finally {
    for (const b of blockers) await release(b).catch(() => undefined);
    await run;
    await observer.end();
  }
  if (failure) throw failure;
  return { locks, holdUps };
}
