/**
 * Concurrency and crashes: two `migrun up` at once, `kill -9` of migrun in the
 * middle of a migration, Ctrl-C (SIGINT) and SIGTERM, a terminated migrun
 * backend, and a run that died between finishing a concurrent build and recording it.
 * The runs that crash, wait or are signalled are real processes; the `up` that completes
 * the work afterwards runs the CLI in this process (`migrunIn`), sparing a Node.js start-up.
 */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { forEachServer } from '../support/pg.js';
import { fixtureCopy, migrun, migrunIn, query, startMigrun, waitFor } from './helpers.js';

interface Row {
  version: string;
  status: string;
  steps_done: number;
  steps_total: number | null;
}

const history = (url: string) => query<Row>(url, 'SELECT version, status, steps_done, steps_total FROM migrun_migrations ORDER BY version');
const steps = async (url: string) => (await query<{ step: string }>(url, 'SELECT step FROM migration_log ORDER BY step')).map((r) => r.step);

/** The pid of migrun's session sleeping in 002's third step, once it is there. */
async function pausedPid(url: string): Promise<number> {
  return waitFor<number>(
    async () => (await query<{ pid: number }>(url, "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'migrun' AND state = 'active' AND query LIKE '%migrun-pause%'"))[0]?.pid ?? 0,
    15_000,
    'migrun to reach the paused step',
  );
}

forEachServer('migrun concurrency and crashes', (server) => {
  it('two migrun up at once apply each migration exactly once, and the waiting one does not stall a concurrent index build', async () => {
    const url = await server.freshDatabase('crash');
    const dir = fixtureCopy('concurrent');
    const t0 = Date.now();
    const [a, b] = await Promise.all([migrun(['up', dir, '--database-url', url, '--lock-wait', '30s']), migrun(['up', dir, '--database-url', url, '--lock-wait', '30s'])]);
    const ms = Date.now() - t0;
    assert.equal(a.code, 0, a.stderr);
    assert.equal(b.code, 0, b.stderr);
    assert.deepEqual(await query(url, 'SELECT step, count(*)::int AS n FROM migration_log GROUP BY step ORDER BY step'), [
      { step: '001', n: 1 },
      { step: '002', n: 1 },
      { step: '003', n: 1 },
    ]);
    const out = [a.stdout, b.stdout];
    assert.equal(out.filter((o) => /applied 3 migrations/.test(o)).length, 1, out.join('\n----\n'));
    const waiter = out.find((o) => !/applied 3 migrations/.test(o))!;
    assert.match(waiter, /waiting up to 30s for the migration lock, held by pid \d+ \(application "migrun:lock"/);
    assert.match(waiter, /nothing to do: 3 migrations applied/);
    assert.ok(ms < 20_000, `took ${ms}ms: the index builds waited for the waiting migrun`);
    assert.deepEqual((await history(url)).map((r) => r.status), ['applied', 'applied', 'applied']);
  });

  it('a second migrun gives up clearly when the lock wait runs out', async () => {
    const url = await server.freshDatabase('crash');
    const dir = fixtureCopy('resume');
    const first = startMigrun(['up', dir, '--database-url', url]);
    let paused = 0;
    try {
      paused = await pausedPid(url);
      const second = await migrun(['up', dir, '--database-url', url, '--lock-wait', '300ms']);
      assert.equal(second.code, 1);
      assert.match(second.stderr, /another migrun is running migrations: pid \d+ \(application "migrun:lock".*holds the migration lock; gave up after waiting/);
    } finally {
      first.child.kill('SIGKILL');
      await first.done;
      // Cleanup, not under test (the kill -9 test below waits for the server to end an orphan by itself, within
      // client_connection_check_interval): end the orphaned backend at once.
      if (paused) await query(url, 'SELECT pg_terminate_backend($1)', [paused]);
      await waitFor(async () => (await query(url, 'SELECT 1 FROM pg_stat_activity WHERE pid = $1', [paused])).length === 0, 5000, 'the orphaned backend to end');
    }
  });

  it('kill -9 of migrun mid-migration leaves a state the next up completes', async () => {
    const url = await server.freshDatabase('crash');
    const dir = fixtureCopy('resume');
    const run = startMigrun(['up', dir, '--database-url', url]);
    const pid = await pausedPid(url);
    run.child.kill('SIGKILL');
    const killed = await run.done;
    assert.equal(killed.code, null);
    // client_connection_check_interval: the server notices the dead client and ends the orphaned statement.
    await waitFor(async () => (await query(url, 'SELECT 1 FROM pg_stat_activity WHERE pid = $1', [pid])).length === 0, 5000, 'the orphaned backend to end');
    assert.deepEqual(await history(url), [
      { version: '001', status: 'applied', steps_done: 1, steps_total: 1 },
      { version: '002', status: 'partial', steps_done: 2, steps_total: 3 },
    ]);
    assert.deepEqual(await steps(url), ['002-1']);

    await query(url, 'UPDATE pause SET active = false');
    const again = await migrunIn(['up', dir, '--database-url', url]);
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stdout, /resuming \S*002_steps\.sql: 3 steps, 2 done in an earlier run, continuing at step 3/);
    assert.deepEqual(await steps(url), ['002-1', '002-3', '003']);
    assert.deepEqual((await history(url)).map((r) => `${r.version}:${r.status}:${r.steps_done}`), ['001:applied:1', '002:applied:3', '003:applied:1']);
  });

  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    it(`${sig} cancels the running statement at once, records nothing beyond the completed steps and releases the lock`, async () => {
      const url = await server.freshDatabase('crash');
      const dir = fixtureCopy('resume');
      const run = startMigrun(['up', dir, '--database-url', url]);
      const pid = await pausedPid(url);
      const t0 = Date.now();
      run.child.kill(sig);
      const r = await run.done;
      assert.equal(r.code, 1, r.stderr);
      assert.ok(Date.now() - t0 < 5000, `migrun took ${Date.now() - t0}ms to stop; the paused statement sleeps 30s`);
      assert.match(r.stderr, new RegExp(`migrun: ${sig}: cancelling the running statement and stopping`));
      assert.match(r.stderr, new RegExp(`002_steps\\.sql failed at step 3 of 3; steps 1-2 are recorded[^]*interrupted by ${sig} while running [^]*query_canceled, 57014\\) and its transaction rolled back`));
      // Every migrun session is gone: the statement's, the monitor's and the migration lock's.
      await waitFor(async () => (await query(url, "SELECT 1 FROM pg_stat_activity WHERE datname = current_database() AND application_name LIKE 'migrun%'")).length === 0, 5000, 'migrun sessions to end');
      assert.equal((await query(url, 'SELECT 1 FROM pg_stat_activity WHERE pid = $1', [pid])).length, 0);
      assert.deepEqual((await history(url)).map((x) => `${x.version}:${x.status}:${x.steps_done}`), ['001:applied:1', '002:partial:2']);
      assert.deepEqual(await steps(url), ['002-1']);

      await query(url, 'UPDATE pause SET active = false');
      const again = await migrunIn(['up', dir, '--database-url', url, '--lock-wait', '1s']);
      assert.equal(again.code, 0, again.stderr);
      assert.deepEqual(await steps(url), ['002-1', '002-3', '003']);
    });
  }

  it('a terminated migrun backend fails the run with exit 1; the next up completes', async () => {
    const url = await server.freshDatabase('crash');
    const dir = fixtureCopy('resume');
    const run = startMigrun(['up', dir, '--database-url', url]);
    const pid = await pausedPid(url);
    await query(url, 'SELECT pg_terminate_backend($1)', [pid]);
    const r = await run.done;
    assert.equal(r.code, 1);
    assert.match(r.stderr, /002_steps\.sql failed at step 3 of 3; steps 1-2 are recorded/);
    assert.match(r.stderr, /terminating connection due to administrator command|was lost/);
    assert.deepEqual((await history(url)).map((x) => `${x.version}:${x.status}:${x.steps_done}`), ['001:applied:1', '002:partial:2']);

    await query(url, 'UPDATE pause SET active = false');
    const again = await migrunIn(['up', dir, '--database-url', url]);
    assert.equal(again.code, 0, again.stderr);
    assert.deepEqual(await steps(url), ['002-1', '002-3', '003']);
  });

  it('a run that died after a concurrent build but before recording it resumes without building twice', async () => {
    const url = await server.freshDatabase('crash');
    const dir = fixtureCopy('resume');
    const first = startMigrun(['up', dir, '--database-url', url]);
    await pausedPid(url);
    first.child.kill('SIGKILL');
    await first.done;
    // Rewind the record to "1 step done", as if migrun died after the build finished and before recording it.
    await query(url, "UPDATE migrun_migrations SET steps_done = 1 WHERE version = '002'");
    await query(url, 'UPDATE pause SET active = false');
    const again = await migrunIn(['up', dir, '--database-url', url]);
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stdout, /index "public"\."items_category_idx" already exists and is valid \(built by the run that was interrupted\); step counted as done/);
    assert.deepEqual(await steps(url), ['002-1', '002-3', '003']);
  });
});
