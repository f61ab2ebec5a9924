/**
 * The migrun command end to end: the compiled CLI in a child process against a real server.
 */
import assert from 'node:assert/strict';
import { appendFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { forEachServer } from '../support/pg.js';
import { runCli } from '../../src/cli/migrun.js';
import { resolveConnection } from '../../src/runtime/connection.js';
import { alive, cleanEnv, end, fixtureCopy, idleInTransaction, migrationsDir, migrun, migrunIn, query } from './helpers.js';

describe('migrun usage errors (no server needed)', () => {
  it('exits 2 with a clear message for bad options, missing directories and unknown commands', async () => {
    const dir = migrationsDir({ '1_a.sql': 'SELECT 1;' });
    const bad = await migrun(['up', dir, '--lock-timeout', 'soon', '--database-url', 'postgres://u:pw-in-url-123@127.0.0.1:1/db']);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--lock-timeout: "soon" is not a duration/);
    assert.doesNotMatch(bad.stdout + bad.stderr, /pw-in-url-123/);
    const missing = await migrun(['status', join(dir, 'nope'), '--database-url', 'postgres://u@127.0.0.1:1/db']);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /does not exist or is not a directory/);
    const unknown = await migrun(['upp']);
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /unknown command 'upp'/);
    const down = await migrun(['status', dir, '--database-url', 'postgres://u:pw-in-url-123@127.0.0.1:1/db']);
    assert.equal(down.code, 2);
    assert.match(down.stderr, /cannot connect to postgres:\/\/u:\*\*\*@127\.0\.0\.1:1\/db/);
    assert.doesNotMatch(down.stdout + down.stderr, /pw-in-url-123/);
    const help = await migrun(['--help']);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /up \[options\] \[dir\]/);
  });
});

forEachServer('migrun CLI', (server) => {
  it('up applies SQL, JS and TS migrations once; status lists them; a changed file shows as changed', async () => {
    const url = await server.freshDatabase('cli');
    const dir = fixtureCopy('basic');
    const first = await migrun(['up', dir, '--database-url', url]);
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stdout, /applied 4 migrations/);
    assert.match(first.stdout, /step 2\/3 execIndex \(autocommit\): CREATE INDEX CONCURRENTLY IF NOT EXISTS items_category_idx/);
    assert.match(first.stdout, /backfill items: tenant_id=1: 167 rows in 2 batches \(partition 2 of 3\)/, 'not a TTY: a line per partition');
    const log = await query<{ version: string }>(url, 'SELECT version FROM migration_log ORDER BY version');
    assert.deepEqual(log.map((r) => r.version), ['001', '002', '003', '004']);
    const flags = await query<{ n: number }>(url, 'SELECT count(*)::int AS n FROM items WHERE flag IS NULL');
    assert.equal(flags[0]!.n, 0, 'the JS migration backfilled every row');
    const idx = await query<{ n: number }>(url, "SELECT count(*)::int AS n FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid WHERE c.relname IN ('items_category_idx', 'items_name_idx', 'items_tenant_idx') AND i.indisvalid");
    assert.equal(idx[0]!.n, 3);

    const again = await migrunIn(['up', dir, '--database-url', url]);
    assert.equal(again.code, 0);
    assert.match(again.stdout, /nothing to do: 4 migrations applied, none pending/);
    assert.equal((await query(url, 'SELECT 1 FROM migration_log')).length, 4);

    appendFileSync(join(dir, '002_category_index.sql'), '\n-- edited after it was applied\n');
    writeFileSync(join(dir, '005_new.sql'), 'SELECT 1;');
    const status = await migrunIn(['status', dir, '--database-url', url]);
    assert.equal(status.code, 0, status.stderr);
    assert.match(status.stdout, /^applied\s+\S*001_create_items\.sql {2}applied \d{4}-/m);
    assert.match(status.stdout, /^CHANGED since applied\s+\S*002_category_index\.sql/m);
    assert.match(status.stdout, /^pending\s+\S*005_new\.sql/m);
    assert.match(status.stdout, /4 applied, 1 pending, 0 failed and resumable, 1 changed since applied/);
    const warned = await migrunIn(['up', dir, '--database-url', url]);
    assert.match(warned.stderr, /002_category_index\.sql has changed since it was applied/);
  });

  it('runs in-process with defaults from the caller (the config file), and draws a progress bar on a TTY', async () => {
    const url = await server.freshDatabase('cli');
    const dir = migrationsDir({
      '001_t.sql': 'CREATE TABLE t (id int PRIMARY KEY, v int); INSERT INTO t SELECT g FROM generate_series(1, 3000) g;',
      '002_fill.mjs': "export async function up(ctx) { await ctx.backfill({ table: 't', set: 'v = id', where: 'v IS NULL', batchSize: 500 }); }",
    });
    let out = '';
    let err = '';
    const io = { stdout: { write: (s: string) => (out += s) }, stderr: { write: (s: string) => (err += s), isTTY: true }, env: {}, cwd: dir };
    const code = await runCli(['up'], io, { dir, databaseUrl: url, lockTimeoutMs: 1500 });
    assert.equal(code, 0, err);
    assert.match(err, /\r\x1b\[K {2}step 1 backfill t \[#+-*\] \d+% \d+\/3000 rows, \d+ batches/);
    assert.match(out, /step 1 backfill t: done, 3000 rows in 6 batches/);
    assert.equal((await query<{ n: number }>(url, 'SELECT count(*)::int AS n FROM t WHERE v = id'))[0]!.n, 3000);
    const dry = await migrunIn(['up', dir, '--dry-run', '--database-url', url]);
    assert.equal(dry.code, 0);
    assert.match(dry.stdout, /nothing to do: 2 applied, none pending/);
    const probe = await runCli(['up', '--lock-timeout', '2s'], { ...io, stdout: { write: () => true } }, { dir, databaseUrl: 'postgres://x:defaults-secret-pw@127.0.0.1:1/none' });
    assert.equal(probe, 2, 'the default URL was used');
    assert.ok(!err.includes('defaults-secret-pw'));
  });

  it('plan prints each statement with its executor and lock, and changes nothing', async () => {
    const url = await server.freshDatabase('cli');
    const dir = fixtureCopy('basic');
    const r = await migrunIn(['plan', dir, '--database-url', url]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /001_create_items\.sql \(pending\): one transaction, all or nothing/);
    assert.match(r.stdout, /002_category_index\.sql \(pending\): 3 steps, progress recorded per step/);
    assert.match(r.stdout, /step 2 {2}execIndex {2}autocommit\n\s+\S+002_category_index\.sql:3:1 {2}CREATE INDEX CONCURRENTLY IF NOT EXISTS items_category_idx ON items \(category\)\n\s+SHARE UPDATE EXCLUSIVE on items/);
    assert.match(r.stdout, /ALTER TABLE items ADD COLUMN category text\n\s+ACCESS EXCLUSIVE on items/);
    assert.match(r.stdout, /SHARE UPDATE EXCLUSIVE on items {2}\(best effort\)/);
    assert.match(r.stdout, /003_flag\.mjs[\s\S]*backfill items: UPDATE \.\.\. SET flag = \(id % 2 = 0\) WHERE flag IS NULL, 100 rows per transaction by id, one tenant_id at a time/);
    assert.match(r.stdout, /004_typed\.ts[\s\S]*CREATE INDEX CONCURRENTLY items_tenant_idx/);
    const tables = await query<{ n: number }>(url, "SELECT count(*)::int AS n FROM pg_class WHERE relname IN ('items', 'migrun_migrations', 'migration_log')");
    assert.equal(tables[0]!.n, 0, 'plan created nothing');
  });

  it('a migration with a syntax error fails the run before anything runs', async () => {
    const url = await server.freshDatabase('cli');
    const r = await migrunIn(['up', fixtureCopy('syntax-error'), '--database-url', url]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /a migration cannot be planned; nothing was run:\n {2}\S*002_broken\.sql:3:41: syntax error: syntax error at or near "\("/);
    const tables = await query<{ n: number }>(url, "SELECT count(*)::int AS n FROM pg_class WHERE relname IN ('first_table', 'third_table', 'migrun_migrations')");
    assert.equal(tables[0]!.n, 0, 'not even 001 ran');
  });

  it('an idle-in-transaction blocker makes up fail within about the lock timeout, naming it; --terminate-idle gets past it', async () => {
    const url = await server.freshDatabase('cli');
    await query(url, 'CREATE TABLE accounts (id int PRIMARY KEY, name text)');
    const dir = migrationsDir({ '001_add.sql': 'ALTER TABLE accounts ADD COLUMN plan text;\nCREATE TABLE plans (id int PRIMARY KEY);' });
    const blocker = await idleInTransaction(url, 'SELECT * FROM accounts WHERE id = 1 /* forgotten-session */', 'worker-7');
    try {
      const r = await migrunIn(['up', dir, '--database-url', url, '--lock-timeout', '300ms', '--retries', '1', '--retry-delay', '50ms']);
      assert.equal(r.code, 1, r.stdout + r.stderr);
      assert.ok(r.ms < 6000, `took ${r.ms}ms`);
      assert.match(r.stderr, new RegExp(`pid ${blocker.pid} \\(application "worker-7", user postgres\\): idle in transaction for [\\d.]+m?s, transaction open`));
      assert.match(r.stderr, /last query: SELECT \* FROM accounts WHERE id = 1 \/\* forgotten-session \*\//);
      assert.match(r.stderr, /could not get its locks \(ACCESS EXCLUSIVE on accounts\) within 300ms \[lock_not_available \(55P03\)\]; gave up after 2 attempts/);
      assert.match(r.stderr, /its transaction was rolled back and nothing of it was applied/);
      assert.ok(await alive(url, blocker.pid));
      const applied = await query(url, "SELECT 1 FROM migrun_migrations WHERE status = 'applied'");
      assert.equal(applied.length, 0);
      assert.equal((await query(url, "SELECT 1 FROM pg_class WHERE relname = 'plans'")).length, 0);

      const ok = await migrunIn(['up', dir, '--database-url', url, '--lock-timeout', '300ms', '--terminate-idle', '100ms']);
      assert.equal(ok.code, 0, ok.stdout + ok.stderr);
      assert.match(ok.stderr, new RegExp(`terminated pid ${blocker.pid} \\(application "worker-7", user postgres\\): idle in transaction for .*it was running: SELECT \\* FROM accounts WHERE id = 1`));
      assert.equal(await alive(url, blocker.pid), false);
      assert.equal((await query(url, "SELECT 1 FROM migrun_migrations WHERE status = 'applied'")).length, 1);
    } finally {
      await end(blocker);
    }
  });

  it('a failed step stops the run with its completed steps recorded; the rerun resumes at the failed step', async () => {
    const url = await server.freshDatabase('cli');
    const dir = migrationsDir({
      '001_setup.sql': "CREATE TABLE log (step text); CREATE TABLE gate (open boolean); INSERT INTO gate VALUES (false);",
      '002_steps.sql': [
        "INSERT INTO log VALUES ('002-1');",
        'CREATE TABLE t (id int PRIMARY KEY, v int);',
        'CREATE INDEX CONCURRENTLY t_v_idx ON t (v);',
        "INSERT INTO log VALUES ('002-3');",
        "DO $$ BEGIN IF NOT (SELECT open FROM gate) THEN RAISE EXCEPTION 'gate closed'; END IF; END $$;",
      ].join('\n'),
      '003_next.sql': "INSERT INTO log VALUES ('003');",
    });
    const r = await migrun(['up', dir, '--database-url', url]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /002_steps\.sql failed at step 3 of 3; steps 1-2 are recorded in public\.migrun_migrations/);
    assert.match(r.stderr, /gate closed \[raise_exception \(P0001\)\]/);
    assert.deepEqual((await query(url, 'SELECT step FROM log ORDER BY step')).map((x) => x.step), ['002-1'], 'step 3 rolled back as a whole; 003 never ran');
    const status = await migrunIn(['status', dir, '--database-url', url]);
    assert.match(status.stdout, /^FAILED, resumable\s+\S*002_steps\.sql {2}2\/3 steps done; resumes at step 3; last error: .*gate closed/m);
    assert.match(status.stdout, /^pending\s+\S*003_next\.sql/m);

    await query(url, 'UPDATE gate SET open = true');
    const again = await migrunIn(['up', dir, '--database-url', url]);
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stdout, /resuming \S*002_steps\.sql: 3 steps, 2 done in an earlier run, continuing at step 3/);
    assert.deepEqual((await query(url, 'SELECT step FROM log ORDER BY step')).map((x) => x.step), ['002-1', '002-3', '003'], 'steps 1 and 2 were not run again');
  });

  it('a failing ctx call is named at its line in the module, a TypeScript one included', async () => {
    const url = await server.freshDatabase('cli');
    const dir = migrationsDir({
      '001_typed.ts': [
        "import type { MigrationContext } from 'miglint/runtime';",
        '',
        'export async function up(ctx: MigrationContext): Promise<void> {',
        "  const table: string = 'leads';",
        '  await ctx.ddl(`ALTER TABLE no_such_table ADD COLUMN notes text`);',
        '}',
      ].join('\n'),
    });
    const r = await migrun(['up', dir, '--database-url', url]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /001_typed\.ts step 1 \(ctx\.ddl\) \(line 5:18\): ALTER TABLE no_such_table ADD COLUMN notes text failed: relation "no_such_table" does not exist/);
  });

  it('a module migration that fails in a backfill resumes at its checkpoint, without redoing steps or batches', async () => {
    const url = await server.freshDatabase('cli');
    const dir = migrationsDir({
      '001_t.sql': 'CREATE TABLE t (id int PRIMARY KEY); INSERT INTO t SELECT g FROM generate_series(1, 1000) g; CREATE TABLE gate (open boolean); INSERT INTO gate VALUES (false);',
      '002_hits.mjs': [
        'export async function up(ctx) {',
        "  await ctx.ddl('ALTER TABLE t ADD COLUMN hits int NOT NULL DEFAULT 0');",
        "  await ctx.backfill({ table: 't', batchSize: 100, set: 'hits = hits + 1 + CASE WHEN (SELECT open FROM gate) THEN 0 ELSE 0 * (1 / (id - 550)) END' });",
        "  await ctx.dml('UPDATE gate SET open = open');",
        '}',
      ].join('\n'),
    });
    const r = await migrunIn(['up', dir, '--database-url', url]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /002_hits\.mjs failed in step 2; 1 completed step is recorded in public\.migrun_migrations/);
    assert.match(r.stderr, /division_by_zero \(22012\)|division by zero/);
    const mid = await query<{ done: number; progress: unknown }>(url, "SELECT steps_done AS done, progress FROM migrun_migrations WHERE version = '002'");
    assert.deepEqual(mid, [{ done: 1, progress: { '2': { partition: null, lastKey: 500, rows: 400 } } }]);
    assert.deepEqual(await query(url, 'SELECT hits, count(*)::int AS n FROM t GROUP BY hits ORDER BY hits'), [
      { hits: 0, n: 500 },
      { hits: 1, n: 500 },
    ]);
    await query(url, 'UPDATE gate SET open = true');
    const again = await migrunIn(['up', dir, '--database-url', url]);
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stdout, /step 1 ctx\.ddl: done in an earlier run, skipped/);
    assert.match(again.stdout, /resuming after id 500/);
    assert.deepEqual(await query(url, 'SELECT hits, count(*)::int AS n FROM t GROUP BY hits'), [{ hits: 1, n: 1000 }], 'every row counted exactly once');
  });

  it('a failed concurrent index build is cleaned up and rebuilt on rerun', async () => {
    const url = await server.freshDatabase('cli');
    const dir = migrationsDir({
      '001_users.sql': "CREATE TABLE users (id int PRIMARY KEY, email text); INSERT INTO users VALUES (1, 'a@x'), (2, 'a@x'), (3, 'b@x');",
      '002_unique.sql': 'CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS users_email_key ON users (email);',
    });
    const r = await migrunIn(['up', dir, '--database-url', url]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /unique_violation \(23505\)/);
    const valid = () => query<{ v: boolean }>(url, "SELECT i.indisvalid AS v FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid WHERE c.relname = 'users_email_key'");
    assert.deepEqual(await valid(), [], 'the failed build left no INVALID index');
    // Someone retries by hand and leaves an INVALID index behind, which IF NOT EXISTS would skip.
    await assert.rejects(query(url, 'CREATE UNIQUE INDEX CONCURRENTLY users_email_key ON users (email)'));
    assert.deepEqual(await valid(), [{ v: false }]);
    await query(url, 'DELETE FROM users WHERE id = 2');
    const again = await migrunIn(['up', dir, '--database-url', url]);
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stderr, /dropping INVALID index "public"\."users_email_key" left by an earlier failed build/);
    assert.deepEqual(await valid(), [{ v: true }]);
    const locks = await migrunIn(['locks', '--database-url', url]);
    assert.match(locks.stdout, /INVALID indexes: none/);
  });

  it('a password in the URL never appears in any output', async () => {
    const password = 'Zx9-very-secret-pw';
    const db = `pw_${Date.now().toString(36)}`;
    await query(server.url, `CREATE ROLE migrun_app LOGIN PASSWORD '${password}'`).catch(() => undefined);
    await query(server.url, `CREATE DATABASE ${db} OWNER migrun_app`);
    await query(server.urlFor(db), 'ALTER SCHEMA public OWNER TO migrun_app');
    const url = server.urlFor(db, { name: 'migrun_app', password });
    const dir = migrationsDir({
      '001_t.sql': 'CREATE TABLE t (id int PRIMARY KEY);',
      // The error names the password itself: only the output's scrubbing of known secrets (redact) hides it.
      '002_fail.sql': `CREATE TABLE u (id int); DO $$ BEGIN RAISE EXCEPTION 'boom % ${password}', current_setting('application_name'); END $$;`,
    });
    // The server as migrun shows it is redacted by itself (redactUrl), not only by the scrubbing of the output after it.
    assert.equal(resolveConnection({ databaseUrl: url, env: {} }).display, url.replace(`:${password}@`, ':***@'));
    const outputs: string[] = [];
    const run = async (args: string[], env?: Record<string, string>) => {
      const r = await migrun(args, { env: cleanEnv(env) });
      outputs.push(r.stdout, r.stderr);
      return r;
    };
    assert.equal((await run(['up', dir, '--database-url', url])).code, 1);
    // The runs after the failed up change nothing (they read, or cannot connect): they run at once.
    const pgvars = { PGHOST: '127.0.0.1', PGPORT: new URL(url).port, PGUSER: 'migrun_app', PGPASSWORD: password, PGDATABASE: db };
    const [status, plan, locks, statusPg, badPort, badPassword] = await Promise.all([
      run(['status', dir], { DATABASE_URL: url }),
      run(['plan', dir, '--database-url', url]),
      run(['locks', '--database-url', url]),
      run(['status', dir], pgvars),
      run(['up', dir, '--database-url', url.replace(/:\d+\//, ':1/')]),
      run(['up', dir, '--database-url', url.replace(password, 'wrong-password-1')]),
      run(['up', dir, '--database-url', `${url}?sslmode=bogus`]),
    ]);
    assert.equal(status.code, 0);
    assert.equal(plan.code, 0);
    assert.equal(locks.code, 0);
    assert.equal(statusPg.code, 0);
    assert.equal(badPort.code, 2);
    assert.equal(badPassword.code, 2);
    const all = outputs.join('\n');
    assert.match(all, /postgres:\/\/migrun_app:\*\*\*@127\.0\.0\.1/);
    assert.match(all, /boom \S+ \*\*\*/, 'the failed migration\'s error is shown, its password scrubbed');
    assert.ok(!all.includes(password), 'the password leaked into the output');
    assert.ok(!all.includes('wrong-password-1'), 'a wrong password leaked into the output');
  });
});
