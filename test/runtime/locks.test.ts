/**
 * `migrun locks`: the report, and terminations limited to the current database.
 */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { forEachServer } from '../support/pg.js';
import { alive, connect, end, idleInTransaction, migrun, migrunIn, query, waitFor, waitForState } from './helpers.js';

forEachServer('migrun locks', (server) => {
  it('shows who blocks whom, idle-in-transaction sessions with their age, and INVALID indexes', async () => {
    const url = await server.freshDatabase('locks');
    await query(url, "CREATE TABLE orders (id int PRIMARY KEY, ref text); INSERT INTO orders VALUES (1, 'a'), (2, 'a')");
    await assert.rejects(query(url, 'CREATE UNIQUE INDEX CONCURRENTLY orders_ref_key ON orders (ref)'));
    const idle = await idleInTransaction(url, 'SELECT * FROM orders /* report-idle */', 'report-idle');
    const before = await migrun(['locks', '--database-url', url]);
    assert.match(before.stdout, /INVALID indexes \(1\):\n {2}orders_ref_key on orders {2}\(drop with: DROP INDEX CONCURRENTLY orders_ref_key;\)\n {4}CREATE UNIQUE INDEX orders_ref_key ON public\.orders USING btree \(ref\)/);
    assert.match(before.stdout, /blocked sessions: none/);
    const waiter = await connect(url, 'report-waiter');
    const waiting = waiter.query('ALTER TABLE orders ADD COLUMN note text /* report-waiter */').catch((e: Error) => e);
    try {
      await waitFor(async () => (await query(server.url, 'SELECT 1 FROM pg_stat_activity WHERE pid = $1 AND wait_event_type = $2', [waiter.pid, 'Lock'])).length > 0, 5000, 'the ALTER to wait');
      // The report below shows the idle session's age in whole seconds: let it be idle for one.
      await waitForState(server.url, idle.pid, 'idle in transaction', 1000);
      const r = await migrunIn(['locks', '--database-url', url]);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, new RegExp(`blocked sessions \\(1\\):\\n {2}pid ${waiter.pid} \\(application "report-waiter", user postgres\\): active for [\\d.]+m?s, transaction open [\\d.]+m?s, waiting on Lock:relation\\n {4}query: ALTER TABLE orders ADD COLUMN note text /\\* report-waiter \\*/\\n {4}blocked by: pid ${idle.pid}`));
      assert.match(r.stdout, new RegExp(`blocking sessions \\(1\\):\\n {2}pid ${idle.pid} \\(application "report-idle"`));
      assert.match(r.stdout, new RegExp(`idle in transaction \\(1\\):\\n {2}pid ${idle.pid} \\(application "report-idle", user postgres\\): idle in transaction for [1-9][\\d.]*s, transaction open`));
      assert.match(r.stdout, /holds: AccessShareLock on orders/);
      // pg_get_indexdef would queue behind the waiting ALTER; the report gives up on the definition instead of hanging.
      assert.match(r.stdout, /INVALID indexes \(1\):\n {2}orders_ref_key on orders {2}\(drop with: DROP INDEX CONCURRENTLY orders_ref_key;\)\n {4}\(definition unavailable: its table is locked\)/);
      assert.ok(r.ms < 10_000, `the report took ${r.ms}ms`);
      // The report changed nothing.
      assert.ok(await alive(url, idle.pid));

      const t = await migrunIn(['locks', '--database-url', url, '--terminate', String(idle.pid)]);
      assert.equal(t.code, 0, t.stderr);
      assert.match(t.stderr, new RegExp(`terminated pid ${idle.pid} \\(application "report-idle".*it was running: SELECT \\* FROM orders /\\* report-idle \\*/`));
      assert.equal(await alive(url, idle.pid), false);
      const done = await waiting;
      assert.ok(!(done instanceof Error), `the waiting ALTER went through once its blocker was gone: ${String(done)}`);
    } finally {
      await end(idle);
      await end(waiter);
    }
  });

  it('--terminate-idle and --terminate act only on client backends of the current database, never on active sessions', async () => {
    const url = await server.freshDatabase('locks');
    const other = await server.freshDatabase('other');
    await query(url, 'CREATE TABLE t (id int)');
    await query(other, 'CREATE TABLE t (id int)');
    const here = await idleInTransaction(url, 'SELECT * FROM t /* here */', 'idle-here');
    const there = await idleInTransaction(other, 'SELECT * FROM t /* there */', 'idle-there');
    const busy = await connect(url, 'busy-here');
    const sleeping = busy.query('SELECT pg_sleep(60)').then(
      () => assert.fail('the sleep is cancelled below'),
      (e: Error) => e,
    );
    try {
      await waitForState(server.url, busy.pid, 'active');
      const r = await migrunIn(['locks', '--database-url', url, '--terminate-idle', '0s']);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(await alive(url, here.pid), false, 'the idle session of the current database was terminated');
      assert.equal(await alive(url, there.pid), true, "another database's idle session is never terminated");
      assert.equal(await alive(url, busy.pid), true, 'an active session is not idle in transaction');
      assert.match(r.stdout, /terminated 1 idle-in-transaction session\(s\):/);
      assert.doesNotMatch(r.stdout + r.stderr, new RegExp(`pid ${there.pid}`));
      await query(server.url, 'SELECT pg_cancel_backend($1)', [busy.pid]);
      assert.match(String(await sleeping), /canceling statement due to user request/, 'the active session ran until cancelled here');

      const wrongDb = await migrunIn(['locks', '--database-url', url, '--terminate', String(there.pid)]);
      assert.equal(wrongDb.code, 2);
      assert.match(wrongDb.stderr, new RegExp(`cannot terminate: no client backend with pid ${there.pid} in database`));
      assert.equal(await alive(url, there.pid), true);
      const checkpointer = (await query<{ pid: number }>(url, "SELECT pid FROM pg_stat_activity WHERE backend_type = 'checkpointer'"))[0]!.pid;
      const notClient = await migrunIn(['locks', '--database-url', url, '--terminate', String(checkpointer)]);
      assert.equal(notClient.code, 2);
      assert.equal(await alive(url, checkpointer), true);
    } finally {
      await end(here);
      await end(there);
      await end(busy);
    }
  });
});
