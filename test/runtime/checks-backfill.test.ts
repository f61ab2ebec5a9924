/**
 * Checks (short-lived autocommit sessions, parameters only) and batched backfills.
 */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { connectMigrun } from '../../src/runtime/index.js';
import { backfill, type BackfillCheckpoint } from '../../src/runtime/backfill.js';
import { forEachServer } from '../support/pg.js';
import { captureLogger, query } from './helpers.js';

forEachServer('checks and backfill', (server) => {
  it('checks answer from the catalogs, take names as parameters, and leave no session or transaction behind', async () => {
    const url = await server.freshDatabase('chk');
    await query(url, 'CREATE SCHEMA app');
    await query(url, 'CREATE TABLE app.leads (id int PRIMARY KEY, email text, CONSTRAINT leads_email_key UNIQUE (email))');
    await query(url, 'CREATE TABLE "Mixed" (id int)');
    await query(url, 'CREATE INDEX leads_email_idx ON app.leads (email)');
    const db = connectMigrun({ databaseUrl: url, applicationName: 'migrun-checks' });
    try {
      assert.equal(await db.check.tableExists('app.leads'), true);
      assert.equal(await db.check.tableExists('leads'), false, 'app is not on the search path');
      assert.equal(await db.check.tableExists('Mixed'), true);
      assert.equal(await db.check.tableExists('mixed'), false);
      assert.equal(await db.check.columnExists('app.leads', 'email'), true);
      assert.equal(await db.check.columnExists('app.leads', 'phone'), false);
      assert.equal(await db.check.indexExists('app.leads_email_idx'), true);
      assert.equal(await db.check.indexExists('app.nope_idx'), false);
      assert.equal(await db.check.constraintExists('leads_email_key', 'app.leads'), true);
      assert.equal(await db.check.constraintExists('leads_email_key', 'Mixed'), false);
      assert.equal(await db.check.constraintExists('nope_key'), false);
      // A name is a value, not SQL: this must neither error nor drop anything.
      assert.equal(await db.check.tableExists("leads'; DROP TABLE app.leads; --"), false);
      assert.equal(await db.check.tableExists('app.leads'), true);
      const rows = await db.check.query<{ n: number }>('SELECT count(*)::int AS n FROM app.leads WHERE id > $1', [0]);
      assert.deepEqual(rows, [{ n: 0 }]);
      await assert.rejects(db.check.query('INSERT INTO app.leads VALUES (1)'), /read-only transaction/);

      const left = await query<{ n: number; idle: number }>(
        url,
        "SELECT count(*)::int AS n, count(*) FILTER (WHERE state LIKE 'idle in transaction%')::int AS idle FROM pg_stat_activity WHERE application_name LIKE 'migrun-checks%' AND datname = current_database()",
      );
      assert.deepEqual(left[0], { n: 0, idle: 0 }, 'every check closed its session');
    } finally {
      await db.close();
    }
  });

  it('an INVALID index does not count as existing', async () => {
    const url = await server.freshDatabase('chk');
    await query(url, "CREATE TABLE u (id int, e text); INSERT INTO u VALUES (1, 'a'), (2, 'a')");
    await assert.rejects(query(url, 'CREATE UNIQUE INDEX CONCURRENTLY u_e_key ON u (e)'));
    const db = connectMigrun({ databaseUrl: url });
    try {
      assert.equal(await db.check.indexExists('u_e_key'), false);
    } finally {
      await db.close();
    }
  });

  it('backfills partition by partition in short batches, and resumes after an interruption without redoing batches', async () => {
    const url = await server.freshDatabase('bf');
    await query(url, 'CREATE TABLE leads (id int PRIMARY KEY, tenant_id int NOT NULL, hits int NOT NULL DEFAULT 0)');
    await query(url, 'INSERT INTO leads (id, tenant_id) SELECT g, g % 3 FROM generate_series(1, 900) g');
    const log = captureLogger();
    const db = connectMigrun({ databaseUrl: url, logger: log });
    try {
      // No `where`: only the checkpoint keeps a resumed backfill from counting rows twice.
      let last: BackfillCheckpoint | null = null;
      let batches = 0;
      const txids = new Set<string>();
      await assert.rejects(
        backfill(db.runtime, {
          table: 'leads',
          set: 'hits = hits + 1',
          batchSize: 100,
          partitionBy: 'tenant_id',
          onBatch: async (c, s) => {
            txids.add(String((await s.query('SELECT txid_current() AS x')).rows[0]!.x));
            if (++batches === 5) throw new Error('interrupted');
            last = c;
          },
        }),
        /interrupted/,
      );
      assert.equal(txids.size, 5, 'each batch ran in its own transaction');
      const after1 = await query<{ done: number; twice: number }>(url, 'SELECT count(*) FILTER (WHERE hits = 1)::int AS done, count(*) FILTER (WHERE hits > 1)::int AS twice FROM leads');
      assert.deepEqual(after1[0], { done: 400, twice: 0 }, 'four batches committed; the fifth rolled back');
      assert.match(log.text(), /tenant_id=0: 300 rows in 3 batches \(partition 1 of 3\)/);

      const r = await backfill(db.runtime, { table: 'leads', set: 'hits = hits + 1', batchSize: 100, partitionBy: 'tenant_id', resumeFrom: last });
      assert.equal(r.rows, 500);
      assert.equal(r.partitions, 2);
      const after2 = await query<{ once: number }>(url, 'SELECT count(*) FILTER (WHERE hits = 1)::int AS once FROM leads');
      assert.equal(after2[0]!.once, 900, 'every row updated exactly once across both runs');
      assert.match(log.text(), /resuming at tenant_id=1 after id/);
      assert.match(log.text(), /tenant_id=2: 300 rows in 3 batches \(partition 3 of 3\)/);
    } finally {
      await db.close();
    }
  });

  it('a backfill with `where` skips finished rows on a rerun and holds row locks only per batch', async () => {
    const url = await server.freshDatabase('bf');
    await query(url, 'CREATE TABLE leads (id int PRIMARY KEY, direction text)');
    await query(url, 'INSERT INTO leads (id) SELECT g FROM generate_series(1, 1000) g');
    const db = connectMigrun({ databaseUrl: url });
    try {
      const first = await db.backfill({ table: 'leads', set: "direction = 'in'", where: 'direction IS NULL AND id <= 600', batchSize: 250 });
      assert.deepEqual([first.rows, first.batches], [600, 3]);
      const second = await db.backfill({ table: 'leads', set: "direction = 'in'", where: 'direction IS NULL', batchSize: 250, pauseMs: 5 });
      assert.deepEqual([second.rows, second.batches], [400, 2]);
      // This database's sessions only: the suites share the server, and some leave a session idle in transaction on purpose.
      const open = await query<{ n: number }>(url, "SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name LIKE 'migrun%' AND state LIKE 'idle in transaction%' AND datname = current_database()");
      assert.equal(open[0]!.n, 0);
    } finally {
      await db.close();
    }
  });
});
