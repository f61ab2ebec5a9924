/**
 * The executors against a real server, with real second connections as blockers.
 */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { connectMigrun } from '../../src/runtime/index.js';
import { LockTimeoutError } from '../../src/runtime/executors.js';
import { MigrunError } from '../../src/runtime/errors.js';
import { forEachServer } from '../support/pg.js';
import { alive, captureLogger, connect, end, idleInTransaction, query, waitForState } from './helpers.js';

const BLOCKER_QUERY = 'SELECT count(*) FROM items /* idle-blocker-marker */';

forEachServer('executors', (server) => {
  async function dbWithItems(): Promise<string> {
    const url = await server.freshDatabase('exec');
    await query(url, 'CREATE TABLE items (id int PRIMARY KEY, tenant_id int NOT NULL, v int)');
    await query(url, 'INSERT INTO items SELECT g, g % 3, NULL FROM generate_series(1, 1000) g');
    return url;
  }

  it('execDdl fails within about the lock timeout behind an idle-in-transaction session, naming its pid and query', async () => {
    const url = await dbWithItems();
    const blocker = await idleInTransaction(url, BLOCKER_QUERY);
    const log = captureLogger();
    const db = connectMigrun({ databaseUrl: url, lockTimeoutMs: 300, retries: 1, retryDelayMs: 50, logger: log });
    try {
      const t0 = Date.now();
      const err = await db.ddl('ALTER TABLE items ADD COLUMN note text').then(
        () => assert.fail('DDL should not get its lock'),
        (e: unknown) => e,
      );
      const ms = Date.now() - t0;
      assert.ok(err instanceof LockTimeoutError, String(err));
      assert.equal(err.attempts, 2);
      assert.ok(ms < 2500, `took ${ms}ms; two attempts of 300ms plus backoff should take well under 2.5s`);
      assert.ok(ms >= 600, `took ${ms}ms; each attempt waits the full lock timeout`);
      assert.deepEqual(err.blockers.map((b) => b.pid), [blocker.pid]);
      assert.match(err.message, new RegExp(`pid ${blocker.pid} \\(application "idle-blocker"`));
      assert.match(err.message, /idle in transaction for/);
      assert.match(err.message, /idle-blocker-marker/);
      assert.match(err.message, /ACCESS EXCLUSIVE on items/);
      assert.match(err.message, /lock_not_available \(55P03\)/);
      assert.match(log.text(), /attempt 1 of 2/);
      assert.match(log.text(), /before ctx\.ddl: 1 idle-in-transaction session holds locks in the way of ACCESS EXCLUSIVE on items/);
      // Nothing was applied, and the blocker was left alone (no --terminate-idle).
      assert.equal((await query(url, "SELECT count(*)::int AS n FROM information_schema.columns WHERE table_name = 'items' AND column_name = 'note'"))[0]!.n, 0);
      assert.ok(await alive(url, blocker.pid));
    } finally {
      await db.close();
      await end(blocker);
    }
  });

  it('terminateIdleMs terminates the idle blocker, logs what it ran, and the DDL goes through', async () => {
    const url = await dbWithItems();
    const blocker = await idleInTransaction(url, BLOCKER_QUERY);
    const log = captureLogger();
    const db = connectMigrun({ databaseUrl: url, lockTimeoutMs: 300, retries: 3, retryDelayMs: 50, terminateIdleMs: 100, logger: log });
    try {
      await waitForState(server.url, blocker.pid, 'idle in transaction', 150);
      const r = await db.ddl('ALTER TABLE items ADD COLUMN note text');
      assert.equal(r.attempts, 1);
      assert.equal(await alive(url, blocker.pid), false);
      assert.match(log.text(), new RegExp(`terminated pid ${blocker.pid} \\(application "idle-blocker".*idle in transaction for .*it was running: ${BLOCKER_QUERY.replace(/[()*/]/g, '\\$&')}`));
      assert.equal((await query(url, "SELECT count(*)::int AS n FROM information_schema.columns WHERE table_name = 'items' AND column_name = 'note'"))[0]!.n, 1);
    } finally {
      await db.close();
      await end(blocker);
    }
  });

  it('terminateIdleMs terminates only the idle sessions in the way: an idle writer blocks a concurrent build, an idle reader does not', async () => {
    const url = await dbWithItems();
    const reader = await idleInTransaction(url, 'SELECT count(*) FROM items /* idle-reader */', 'idle-reader');
    const writer = await idleInTransaction(url, 'UPDATE items SET v = 1 WHERE id = 1 /* idle-writer */', 'idle-writer');
    const log = captureLogger();
    const db = connectMigrun({ databaseUrl: url, indexLockTimeoutMs: 2000, terminateIdleMs: 0, logger: log });
    try {
      const r = await db.index('CREATE INDEX CONCURRENTLY items_v_idx ON items (v)');
      assert.equal(r.built, true);
      assert.equal(await alive(url, writer.pid), false, 'the idle writer (ROW EXCLUSIVE conflicts with SHARE) was terminated');
      assert.equal(await alive(url, reader.pid), true, 'the idle reader (ACCESS SHARE) was not in the way and survives');
      assert.match(log.text(), new RegExp(`terminated pid ${writer.pid} .*it was running: UPDATE items SET v = 1 WHERE id = 1 /\\* idle-writer \\*/`));
      assert.doesNotMatch(log.text(), new RegExp(`terminated pid ${reader.pid}`));
    } finally {
      await db.close();
      await end(reader);
      await end(writer);
    }
  });

  it('terminateIdleMs spares sessions idle for less than the age', async () => {
    const url = await dbWithItems();
    const blocker = await idleInTransaction(url, BLOCKER_QUERY);
    const db = connectMigrun({ databaseUrl: url, lockTimeoutMs: 200, retries: 0, terminateIdleMs: 60_000 });
    try {
      await assert.rejects(db.ddl('ALTER TABLE items ADD COLUMN note text'), LockTimeoutError);
      assert.ok(await alive(url, blocker.pid), 'a session idle for less than --terminate-idle must survive');
    } finally {
      await db.close();
      await end(blocker);
    }
  });

  it('a long SELECT holds the DDL until it ends; the retry then succeeds, and terminate-idle never touches an active query', async () => {
    const url = await dbWithItems();
    const reader = await connect(url, 'long-reader');
    const log = captureLogger();
    const db = connectMigrun({ databaseUrl: url, lockTimeoutMs: 200, retries: 12, retryDelayMs: 100, retryDelayMaxMs: 200, terminateIdleMs: 0, logger: log });
    try {
      const reading = reader.query('SELECT pg_sleep(1.2), count(*) AS n FROM items /* long-select-marker */');
      await waitForState(server.url, reader.pid, 'active');
      const t0 = Date.now();
      const r = await db.ddl('ALTER TABLE items ADD COLUMN note text');
      const ms = Date.now() - t0;
      const read = await reading;
      assert.equal(Number(read.rows[0].n), 1000, 'the long SELECT completed: it was neither cancelled nor terminated');
      assert.ok(r.attempts > 1, `attempts: ${r.attempts}`);
      assert.ok(ms >= 800, `DDL finished after ${ms}ms, before the SELECT ended`);
      assert.match(log.text(), new RegExp(`pid ${reader.pid} \\(application "long-reader".*active`));
      assert.match(log.text(), /long-select-marker/);
      assert.doesNotMatch(log.text(), /terminated pid/);
    } finally {
      await db.close();
      await end(reader);
    }
  });

  it('execDml retries lock waits on rows and fails naming the row lock holder', async () => {
    const url = await dbWithItems();
    const holder = await idleInTransaction(url, 'UPDATE items SET v = 1 WHERE id = 7 /* row-holder */', 'row-holder');
    const db = connectMigrun({ databaseUrl: url, dmlLockTimeoutMs: 200, retries: 1, retryDelayMs: 20 });
    try {
      const err = await db.dml('UPDATE items SET v = 2 WHERE id = $1', [7]).then(
        () => assert.fail('should wait for the row lock'),
        (e: unknown) => e,
      );
      assert.ok(err instanceof LockTimeoutError);
      assert.match(err.message, new RegExp(`pid ${holder.pid}`));
      assert.match(err.message, /row-holder/);
      await end(holder);
      const ok = await db.dml('UPDATE items SET v = 2 WHERE id = $1', [7]);
      assert.equal(ok.rowCount, 1);
    } finally {
      await db.close();
      await end(holder);
    }
  });

  it('a failed statement rolls the whole group back', async () => {
    const url = await dbWithItems();
    const db = connectMigrun({ databaseUrl: url });
    try {
      await assert.rejects(db.ddl('ALTER TABLE items ADD COLUMN a int; ALTER TABLE items ADD COLUMN a int'), (e: unknown) => e instanceof MigrunError && /duplicate_column \(42701\)/.test(e.message));
      assert.equal((await query(url, "SELECT count(*)::int AS n FROM information_schema.columns WHERE table_name = 'items' AND column_name = 'a'"))[0]!.n, 0);
      await assert.rejects(db.ddl('CREATE INDEX CONCURRENTLY i ON items (v)'), /cannot be executed inside a transaction block/);
      await assert.rejects(db.index('CREATE INDEX i ON items (v)'), /add CONCURRENTLY/);
    } finally {
      await db.close();
    }
  });

  it('sets lock_timeout, statement_timeout and idle_in_transaction_session_timeout inside the transaction only', async () => {
    const url = await dbWithItems();
    const db = connectMigrun({ databaseUrl: url, lockTimeoutMs: 1234, statementTimeoutMs: 56_000, idleInTransactionTimeoutMs: 7000 });
    try {
      const r = await db.ddl("SELECT current_setting('lock_timeout') AS l, current_setting('statement_timeout') AS s, current_setting('idle_in_transaction_session_timeout') AS i");
      assert.deepEqual(r.rows[0], { l: '1234ms', s: '56s', i: '7s' });
      const d = await db.dml("SELECT current_setting('lock_timeout') AS l, current_setting('statement_timeout') AS s");
      assert.deepEqual(d.rows[0], { l: '1min', s: '0' });
    } finally {
      await db.close();
    }
  });
});
