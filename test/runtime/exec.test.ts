/**
 * `migrun exec`: real commands (psql, a real knex migrations folder run with
 * `npx knex migrate:latest`, node scripts) under the CLI, against real servers, with
 * real second connections as blockers. What the migrun process itself does (its exit
 * code seen by a shell, the usage errors, passing SIGTERM on) runs the compiled CLI as a
 * child process; the watcher's behaviour runs the same CLI in this process (`migrunIn`),
 * which spares a Node.js start-up per call: the commands it runs are real processes either way.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { lockFailureIn, pgOptions } from '../../src/runtime/exec.js';
import { fixturesDir } from '../support/paths.js';
import { forEachServer, type TestServer } from '../support/pg.js';
import { alive, cleanEnv, connect, end, idleInTransaction, migrationsDir, migrun, migrunIn, query, startMigrun, waitFor } from './helpers.js';

const knexProject = join(fixturesDir, 'migrun', 'exec-knex');

function psqlAvailable(): boolean {
  try {
    execFileSync('psql', ['--version']);
    return true;
  } catch {
    return false;
  }
}
const noPsql = psqlAvailable() ? undefined : 'psql is not installed';

/** Debian's Python with its python3-alembic and python3-psycopg2 (another python3 on PATH may lack them). */
const DEBIAN_PYTHON = '/usr/bin/python3';
function alembicAvailable(): boolean {
  try {
    execFileSync(DEBIAN_PYTHON, ['-c', 'import alembic, psycopg2'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
const noAlembic = alembicAvailable() ? undefined : "Debian's python3-alembic and python3-psycopg2 are not installed";
const alembicProject = join(fixturesDir, 'migrun', 'exec-alembic');

describe('migrun exec without a server', () => {
  it('appends its timeouts to PGOPTIONS, so they win over earlier -c settings of the same name', () => {
    const t = { lockTimeoutMs: 1500, statementTimeoutMs: 0, idleInTransactionTimeoutMs: 60000 };
    assert.equal(pgOptions(undefined, t), '-c lock_timeout=1500ms -c statement_timeout=0ms -c idle_in_transaction_session_timeout=60000ms');
    assert.equal(pgOptions(' -c work_mem=8MB ', t), '-c work_mem=8MB -c lock_timeout=1500ms -c statement_timeout=0ms -c idle_in_transaction_session_timeout=60000ms');
  });

  it('recognises a lock failure in the output of psql, knex, psycopg and Prisma, and nothing else', () => {
    assert.equal(lockFailureIn('psql:m.sql:1: ERROR:  canceling statement due to lock timeout'), 'canceling statement due to lock timeout');
    assert.equal(lockFailureIn('migration failed with error: alter table "leads" add column "x" int - canceling statement due to lock timeout'), 'canceling statement due to lock timeout');
    assert.equal(lockFailureIn('psycopg2.errors.LockNotAvailable: could not obtain lock on relation "leads"'), 'LockNotAvailable');
    assert.equal(lockFailureIn('Database error code: 55P03'), '55P03');
    assert.equal(lockFailureIn('ERROR:  deadlock detected'), 'deadlock detected');
    assert.equal(lockFailureIn('ERROR:  relation "leads" does not exist'), null);
    assert.equal(lockFailureIn('Batch 1 run: 1 migrations'), null);
  });

  it('exits 2 without a command, and 2 when the watcher cannot connect (the password redacted)', async () => {
    const none = await migrun(['exec', '--database-url', 'postgres://u@127.0.0.1:1/db']);
    assert.equal(none.code, 2);
    assert.match(none.stderr, /missing required argument 'command'/);
    const down = await migrun(['exec', '--database-url', 'postgres://u:exec-secret-99@127.0.0.1:1/db', '--', process.execPath, '-e', '1']);
    assert.equal(down.code, 2);
    assert.match(down.stderr, /cannot connect to postgres:\/\/u:\*\*\*@127\.0\.0\.1:1\/db/);
    assert.doesNotMatch(down.stdout + down.stderr, /exec-secret-99/);
  });
});

/** A database with `leads` (3 rows) and a migration file adding a column to it. */
async function leadsDatabase(server: TestServer): Promise<{ url: string; dir: string }> {
  const url = await server.freshDatabase('exec');
  await query(url, 'CREATE TABLE leads (id int PRIMARY KEY); INSERT INTO leads SELECT generate_series(1, 3)');
  const dir = migrationsDir({ 'm.sql': 'ALTER TABLE leads ADD COLUMN last_call_direction text;\n' });
  return { url, dir };
}

async function hasColumn(url: string): Promise<boolean> {
  const r = await query<{ n: number }>(url, "SELECT count(*)::int AS n FROM pg_attribute WHERE attrelid = 'leads'::regclass AND attname = 'last_call_direction'");
  return r[0]!.n === 1;
}

forEachServer('migrun exec', (server) => {
  it('gives the command its timeouts through PGOPTIONS and its name through PGAPPNAME, its exit code back, and never prints the password', { skip: noPsql }, async () => {
    const { url } = await leadsDatabase(server);
    const env = cleanEnv({ PGOPTIONS: '-c work_mem=8MB' });
    const sql = "SELECT concat_ws('|', current_setting('lock_timeout'), current_setting('statement_timeout'), current_setting('idle_in_transaction_session_timeout'), current_setting('work_mem'), current_setting('application_name'))";
    const r = await migrun(['exec', '--database-url', url, '--lock-timeout', '1500ms', '--', 'psql', '-At', '-d', url, '-c', sql], { env });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^1500ms\|2min\|1min\|8MB\|migrun-exec-[0-9a-f]{8}$/m);
    const echo = await migrun(['exec', '--database-url', url, '--retries', '3', '--', process.execPath, '-e', 'console.log(process.env.DATABASE_URL); process.exit(7)'], { env });
    assert.equal(echo.code, 7);
    assert.doesNotMatch(echo.stderr, /rerunning/, 'a failure that is not about a lock is not rerun');
    assert.match(echo.stdout, /^postgres:\/\/postgres:\*\*\*@127\.0\.0\.1:\d+\/exec_/m);
    assert.doesNotMatch(echo.stdout + echo.stderr + r.stdout + r.stderr, new RegExp(new URL(url).password));
  });

  it('psql: fails within about the lock timeout naming the idle blocker, and succeeds with --terminate-idle', { skip: noPsql }, async () => {
    const { url, dir } = await leadsDatabase(server);
    const blocker = await idleInTransaction(url, 'SELECT * FROM leads');
    try {
      const cmd = ['--', 'psql', '-v', 'ON_ERROR_STOP=1', '-d', url, '-f', join(dir, 'm.sql')];
      const failed = await migrunIn(['exec', '--database-url', url, '--lock-timeout', '500ms', ...cmd], { timeoutMs: 30_000 });
      assert.equal(failed.code, 3, 'psql exits 3 when a script fails under ON_ERROR_STOP');
      assert.ok(failed.ms < 8000, `failed after ${failed.ms}ms`);
      assert.match(failed.stderr, /canceling statement due to lock timeout/);
      assert.match(failed.stderr, new RegExp(`waited \\d+ms for AccessExclusiveLock on leads: ALTER TABLE leads ADD COLUMN[^]*blocked by:\\n {4}pid ${blocker.pid} \\(application "idle-blocker", user postgres\\): idle in transaction for`));
      assert.match(failed.stderr, /holds: AccessShareLock on leads/);
      assert.match(failed.stderr, new RegExp(`hint: pid ${blocker.pid} is idle in a transaction`));
      assert.equal(await hasColumn(url), false);
      assert.ok(await alive(url, blocker.pid));

      const ok = await migrunIn(['exec', '--database-url', url, '--lock-timeout', '1s', '--report-after', '100ms', '--terminate-idle', '200ms', ...cmd], { timeoutMs: 30_000 });
      assert.equal(ok.code, 0, ok.stderr);
      assert.match(ok.stderr, new RegExp(`terminated pid ${blocker.pid} \\(application "idle-blocker", user postgres\\): idle in transaction for [^;]*; it was running: SELECT \\* FROM leads`));
      assert.equal(await hasColumn(url), true);
      assert.equal(await alive(url, blocker.pid), false);
    } finally {
      await end(blocker);
    }
  });

  it('npx knex migrate:latest: fails within about the lock timeout naming the blocker, and succeeds with --terminate-idle', async () => {
    const { url } = await leadsDatabase(server);
    const blocker = await idleInTransaction(url, 'SELECT * FROM leads');
    try {
      const cmd = ['--', 'npx', '--no-install', 'knex', 'migrate:latest'];
      const failed = await migrunIn(['exec', '--database-url', url, '--lock-timeout', '500ms', ...cmd], { cwd: knexProject, timeoutMs: 60_000 });
      assert.equal(failed.code, 1, failed.stdout + failed.stderr);
      assert.match(failed.stdout + failed.stderr, /canceling statement due to lock timeout/);
      assert.match(failed.stderr, new RegExp(`for AccessExclusiveLock on leads: alter table "leads" add column "last_call_direction"[^]*pid ${blocker.pid} \\(application "idle-blocker"`));
      const before = await query<{ n: number }>(url, 'SELECT count(*)::int AS n FROM knex_migrations');
      assert.equal(before[0]!.n, 0, "knex's transaction rolled back: nothing recorded");

      const ok = await migrunIn(['exec', '--database-url', url, '--lock-timeout', '1s', '--report-after', '100ms', '--terminate-idle', '0s', ...cmd], { cwd: knexProject, timeoutMs: 60_000 });
      assert.equal(ok.code, 0, ok.stdout + ok.stderr);
      assert.match(ok.stdout, /Batch 1 run: 1 migrations/);
      assert.match(ok.stderr, new RegExp(`terminated pid ${blocker.pid} `));
      assert.equal(await hasColumn(url), true);
      const names = await query<{ name: string }>(url, 'SELECT name FROM knex_migrations');
      assert.deepEqual(names.map((n) => n.name), ['20240601090000_add_last_call_direction.js']);
    } finally {
      await end(blocker);
    }
  });

  it('alembic upgrade head: fails within about the lock timeout naming the blocker, records nothing, and succeeds with --terminate-idle', { skip: noAlembic }, async () => {
    const { url } = await leadsDatabase(server);
    const blocker = await idleInTransaction(url, 'SELECT * FROM leads');
    try {
      const cmd = ['--', DEBIAN_PYTHON, '-m', 'alembic', 'upgrade', 'head'];
      const failed = await migrunIn(['exec', '--database-url', url, '--lock-timeout', '500ms', ...cmd], { cwd: alembicProject, timeoutMs: 60_000 });
      assert.equal(failed.code, 1, failed.stdout + failed.stderr);
      assert.match(failed.stderr, /LockNotAvailable|canceling statement due to lock timeout/);
      assert.match(failed.stderr, new RegExp(`for AccessExclusiveLock on leads: ALTER TABLE leads ADD COLUMN last_call_direction[^]*pid ${blocker.pid} \\(application "idle-blocker"`));
      const versions = await query<{ n: number }>(url, "SELECT count(*)::int AS n FROM pg_tables WHERE tablename = 'alembic_version'");
      if (versions[0]!.n) assert.deepEqual(await query(url, 'SELECT version_num FROM alembic_version'), [], "Alembic's transaction rolled back: nothing recorded");
      assert.equal(await hasColumn(url), false);

      const ok = await migrunIn(['exec', '--database-url', url, '--lock-timeout', '1s', '--report-after', '100ms', '--terminate-idle', '0s', ...cmd], { cwd: alembicProject, timeoutMs: 60_000 });
      assert.equal(ok.code, 0, ok.stdout + ok.stderr);
      assert.match(ok.stderr, new RegExp(`terminated pid ${blocker.pid} `));
      assert.equal(await hasColumn(url), true);
      assert.deepEqual(await query(url, 'SELECT version_num FROM alembic_version'), [{ version_num: '0001' }]);
    } finally {
      await end(blocker);
    }
  });

  it('terminates only idle blockers of the command: never an active blocker, an idle session that does not block it, or a session of another database', { skip: noPsql }, async () => {
    const { url, dir } = await leadsDatabase(server);
    const other = await server.freshDatabase('exec_other');
    await query(other, 'CREATE TABLE leads (id int PRIMARY KEY)');
    const idle = await idleInTransaction(url, 'SELECT * FROM leads', 'idle-blocker');
    const active = await connect(url, 'active-blocker');
    const bystander = await idleInTransaction(url, 'CREATE TABLE unrelated (id int); SELECT * FROM unrelated', 'bystander');
    const elsewhere = await idleInTransaction(other, 'SELECT * FROM leads', 'other-database');
    try {
      await active.query('BEGIN');
      await active.query('SELECT * FROM leads');
      const sleeping = active.query('SELECT pg_sleep(60)').catch(() => undefined);
      const r = await migrunIn(['exec', '--database-url', url, '--lock-timeout', '500ms', '--report-after', '100ms', '--terminate-idle', '0s', '--', 'psql', '-v', 'ON_ERROR_STOP=1', '-d', url, '-f', join(dir, 'm.sql')], { timeoutMs: 30_000 });
      assert.equal(r.code, 3, 'the active blocker still blocks it');
      assert.match(r.stderr, new RegExp(`pid ${active.pid} \\(application "active-blocker", user postgres\\): active for`));
      assert.match(r.stderr, new RegExp(`terminated pid ${idle.pid} \\(application "idle-blocker"`));
      assert.equal((r.stderr.match(/terminated pid/g) ?? []).length, 1, r.stderr);
      assert.equal(await alive(url, idle.pid), false);
      for (const c of [active, bystander, elsewhere]) assert.ok(await alive(url, c.pid), `pid ${c.pid} (${c === active ? 'active' : c === bystander ? 'bystander' : 'other database'}) is alive`);
      await query(url, 'SELECT pg_cancel_backend($1)', [active.pid]);
      await sleeping;
    } finally {
      await Promise.all([end(idle), end(active), end(bystander), end(elsewhere)]);
    }
  });

  it('takes the sessions started after the command as its own when its client ignores PGAPPNAME, and says so', { skip: noPsql }, async () => {
    const { url, dir } = await leadsDatabase(server);
    const blocker = await idleInTransaction(url, 'SELECT * FROM leads');
    try {
      const named = new URL(url);
      named.searchParams.set('application_name', 'custom-app');
      const r = await migrunIn(['exec', '--database-url', url, '--lock-timeout', '500ms', '--', 'psql', '-v', 'ON_ERROR_STOP=1', '-d', named.toString(), '-f', join(dir, 'm.sql')], { timeoutMs: 30_000 });
      assert.equal(r.code, 3);
      assert.match(r.stderr, /pid \d+ \(application "custom-app"\) started after the command and no session carries application_name "migrun-exec-[0-9a-f]+": taken as the command's/);
      assert.match(r.stderr, new RegExp(`blocked by:\\n {4}pid ${blocker.pid} \\(application "idle-blocker"`));
    } finally {
      await end(blocker);
    }
  });

  /**
   * Runs `command` (given the database URL and the migration file) with --retries while a blocker holds its lock
   * until a session of the command has waited for it and a second more (the 400ms lock timeout has fired), then commits.
   */
  async function withShortLivedBlocker(command: (url: string, file: string) => string[]) {
    const { url, dir } = await leadsDatabase(server);
    const blocker = await idleInTransaction(url, 'SELECT * FROM leads', 'short-lived');
    // Polled from the admin database: a poll connection in `url` would be a session the watcher may take as the command's.
    // Only the command's sessions in its own database: other suites on the shared server run migrun too.
    const db = decodeURIComponent(new URL(url).pathname.slice(1));
    const waiting = async () => (await query<{ n: number }>(server.url, "SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name LIKE 'migrun-exec-%' AND wait_event_type = 'Lock' AND datname = $1", [db]))[0]!.n;
    const released = waitFor(async () => (await waiting()) > 0, 30_000, 'a session of the command waiting for the lock')
      .then(() => waitFor(async () => (await waiting()) === 0, 30_000, 'that session to give up on the lock (its 400ms lock timeout)'))
      .then(() => blocker.query('COMMIT'));
    try {
      const r = await migrunIn(['exec', '--database-url', url, '--lock-timeout', '400ms', '--retries', '6', '--retry-delay', '100ms', '--', ...command(url, join(dir, 'm.sql'))], { timeoutMs: 30_000 });
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /the command succeeded on run [2-7]/);
      assert.equal(await hasColumn(url), true);
      return r;
    } finally {
      await released;
      await end(blocker);
    }
  }

  it('--retries reruns the command after a lock failure until a short-lived blocker has gone', { skip: noPsql }, async () => {
    const r = await withShortLivedBlocker((url, file) => ['psql', '-v', 'ON_ERROR_STOP=1', '-d', url, '-f', file]);
    assert.match(r.stderr, /run 1 of 7 failed \(exit 3\) after a session gave up on a lock \(canceling statement due to lock timeout\); rerunning the command in \d+ms; blocked by pid \d+ \(application "short-lived", idle in transaction\)/);
  });

  it('--retries also reruns when only the watcher saw a session give up on a lock (the command printed nothing about it)', { skip: noPsql }, async () => {
    const r = await withShortLivedBlocker((url, file) => ['sh', '-c', 'psql -q -v ON_ERROR_STOP=1 -d "$1" -f "$2" 2>/dev/null', 'sh', url, file]);
    assert.doesNotMatch(r.stdout + r.stderr, /canceling statement/);
    assert.match(r.stderr, /run 1 of 7 failed \(exit 3\) after a session gave up on a lock \(pid \d+ waited \d+ms for a lock, then stopped waiting\)/);
  });

  it('passes SIGTERM on to the command and exits with its exit code', async () => {
    const url = await server.freshDatabase('exec');
    const dir = migrationsDir({});
    const script = join(dir, 'wait.cjs');
    writeFileSync(script, "process.on('SIGTERM', () => { console.log('got SIGTERM'); process.exit(42); }); console.log('ready'); setInterval(() => {}, 1000);\n");
    const run = startMigrun(['exec', '--database-url', url, '--', process.execPath, script], { timeoutMs: 30_000 });
    let out = '';
    run.child.stdout!.on('data', (d) => (out += d));
    await waitFor(async () => out.includes('ready'), 15_000, 'the command to start');
    run.child.kill('SIGTERM');
    const r = await run.done;
    assert.equal(r.code, 42);
    assert.match(r.stdout, /got SIGTERM/);
    assert.match(r.stderr, /SIGTERM: passed on to the command \(pid \d+\)/);
  });
});
