/**
 * Alembic's transaction semantics against a real server: a one-revision Alembic project is
 * run with real Alembic (Debian's python3-alembic and python3-psycopg2, which CI installs;
 * skipped without them), and what miglint says about `CONCURRENTLY` inside Alembic's
 * transaction must be what PostgreSQL does: `CREATE INDEX CONCURRENTLY` in the migration's
 * transaction fails with SQLSTATE 25001 (active_sql_transaction; PostgreSQL manual,
 * "CREATE INDEX": "a regular CREATE INDEX command can be performed within a transaction
 * block, but CREATE INDEX CONCURRENTLY cannot"), and inside
 * `with op.get_context().autocommit_block():` it runs and leaves a valid index.
 * The fixed output of a bad migration (miglint's own fix) is run too.
 */
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import pg from 'pg';
import { rules } from '../rules/index.js';
import { fixText } from '../src/lint/fix.js';
import { factsOf } from '../src/sql/facts.js';
import { loadUnit } from '../src/sources/index.js';
import { config, lint } from './support/lint.js';
import { fixturesDir } from './support/paths.js';
import { forEachServer, type TestServer } from './support/pg.js';

const RULE = 'ban-concurrent-index-creation-in-transaction';
/** Debian's Python with its python3-alembic and python3-psycopg2 (another python3 on PATH may lack them). */
const PYTHON = '/usr/bin/python3';
function alembicAvailable(): boolean {
  try {
    execFileSync(PYTHON, ['-c', 'import alembic, psycopg2'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
const skip = alembicAvailable() ? undefined : "Debian's python3-alembic and python3-psycopg2 are not installed";

/** env.py: Alembic's default on PostgreSQL (the migration in a transaction); a database error prints its SQLSTATE. */
const ENV_PY = `import os, sys

from alembic import context
from sqlalchemy import create_engine, exc

engine = create_engine(os.environ["DATABASE_URL"].replace("postgres://", "postgresql://", 1))
with engine.connect() as connection:
    context.configure(connection=connection, transaction_per_migration=True)
    try:
        with context.begin_transaction():
            context.run_migrations()
    except exc.DBAPIError as e:
        print("SQLSTATE=" + str(getattr(e.orig, "pgcode", None)), file=sys.stderr)
        raise
`;

const migration = (body: string) => `from alembic import op
import sqlalchemy as sa

revision = "0001"
down_revision = None


def upgrade():
${body}


def downgrade():
    pass
`;

const PLAIN_BUILDER = migration('    op.create_index("ix_leads_phone", "leads", ["phone"], postgresql_concurrently=True)');
const PLAIN_RAW = migration('    op.execute("CREATE INDEX CONCURRENTLY ix_leads_phone ON leads (phone)")');
const IN_BLOCK_BUILDER = migration('    with op.get_context().autocommit_block():\n        op.create_index("ix_leads_phone", "leads", ["phone"], postgresql_concurrently=True)');
const IN_BLOCK_AFTER_DDL = migration(
  '    op.add_column("leads", sa.Column("city", sa.Text()))\n    with op.get_context().autocommit_block():\n        op.execute("CREATE INDEX CONCURRENTLY ix_leads_phone ON leads (phone)")',
);
const PLAIN_INDEX = migration('    op.create_index("ix_leads_phone", "leads", ["phone"])');

const dirs: string[] = [];
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** An Alembic project holding one revision. */
function project(revision: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'miglint-alembic-'));
  dirs.push(dir);
  mkdirSync(join(dir, 'versions'));
  copyFileSync(join(fixturesDir, 'migrun', 'exec-alembic', 'alembic.ini'), join(dir, 'alembic.ini'));
  copyFileSync(join(fixturesDir, 'migrun', 'exec-alembic', 'script.py.mako'), join(dir, 'script.py.mako'));
  writeFileSync(join(dir, 'env.py'), ENV_PY);
  writeFileSync(join(dir, 'versions', '0001_phone.py'), revision);
  return dir;
}

/**
 * Runs `alembic upgrade head` on a fresh database holding `leads`; the SQLSTATE it failed with (null: success),
 * whether the index is valid, and the rows of `query` afterwards.
 */
async function upgrade(server: TestServer, revision: string, query?: string, setup?: string, before?: (url: string) => Promise<void>): Promise<{ sqlstate: string | null; validIndex: boolean; output: string; rows: Record<string, unknown>[] }> {
  const url = await server.freshDatabase('alembic');
  const c = new pg.Client({ connectionString: url });
  c.on('error', () => undefined);
  await c.connect();
  try {
    await c.query('CREATE TABLE leads (id bigint PRIMARY KEY, phone text)');
    if (setup) await c.query(setup);
    if (before) await before(url);
    const dir = project(revision);
    const run = await new Promise<{ code: number; output: string }>((resolve) => {
      execFile(PYTHON, ['-m', 'alembic', 'upgrade', 'head'], { cwd: dir, env: { ...process.env, DATABASE_URL: url }, timeout: 60_000 }, (err, stdout, stderr) =>
        resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, output: stdout + stderr }),
      );
    });
    const sqlstate = run.code === 0 ? null : (/SQLSTATE=(\w+)/.exec(run.output)?.[1] ?? 'no SQLSTATE');
    const idx = await c.query<{ valid: boolean }>("SELECT indisvalid AS valid FROM pg_index WHERE indexrelid = to_regclass('ix_leads_phone')");
    const rows = query ? (await c.query(query)).rows : [];
    return { sqlstate, validIndex: idx.rows[0]?.valid === true, output: run.output, rows };
  } finally {
    await c.end();
  }
}

const says = (text: string) => lint('versions/0001_phone.py', text, { rules: [RULE] }).some((f) => f.ruleId === RULE);

forEachServer('Alembic runs migrations as miglint assumes', (server) => {
  const cases = [
    { name: 'op.create_index(postgresql_concurrently=True) in the migration', text: PLAIN_BUILDER, fails: true },
    { name: 'op.execute("CREATE INDEX CONCURRENTLY ...") in the migration', text: PLAIN_RAW, fails: true },
    { name: 'op.create_index(postgresql_concurrently=True) in autocommit_block', text: IN_BLOCK_BUILDER, fails: false },
    { name: 'ADD COLUMN, then CREATE INDEX CONCURRENTLY in autocommit_block', text: IN_BLOCK_AFTER_DDL, fails: false },
  ];
  for (const k of cases) {
    test(`${k.name}: miglint says it ${k.fails ? 'fails' : 'runs'}, and so it does`, { skip, timeout: 90_000 }, async () => {
      assert.equal(says(k.text), k.fails, 'what miglint says');
      const r = await upgrade(server, k.text);
      assert.equal(r.sqlstate, k.fails ? '25001' : null, `what PostgreSQL does (25001 active_sql_transaction, or success):\n${r.output}`);
      assert.equal(r.validIndex, !k.fails, 'a valid index exactly when it ran');
    });
  }

  test('autocommit_block: the settings and transactions miglint sees before, inside and after the block are the server\'s', { skip, timeout: 90_000 }, async () => {
    const record = (at: string) =>
      `op.execute("INSERT INTO seen SELECT '${at}', current_setting('lock_timeout'), current_setting('statement_timeout'), pg_current_xact_id()::text, pg_backend_pid()")`;
    const text = migration(
      [
        '    op.execute("CREATE TABLE seen (at text, lock_timeout text, statement_timeout text, xid text, pid int)")',
        '    op.execute("SET lock_timeout = \'5s\'")',
        '    op.execute("SET LOCAL statement_timeout = \'10s\'")',
        `    ${record('before')}`,
        '    with op.get_context().autocommit_block():',
        `        ${record('inside')}`,
        `    ${record('after')}`,
      ].join('\n'),
    );
    // What miglint says, per INSERT: the timeouts in force and the transaction block.
    const u = loadUnit('versions/0001_phone.py', text, config().settings);
    const said = u.statements
      .filter((s) => s.sql.startsWith('INSERT INTO seen'))
      .map((s) => {
        const f = factsOf(s);
        return { lock: f.settings.get('lock_timeout')?.value ?? '0', statement: f.settings.get('statement_timeout')?.value ?? '0', tx: f.transaction.id, connection: f.connection };
      });
    const r = await upgrade(server, text, 'SELECT at, lock_timeout, statement_timeout, xid, pid FROM seen');
    assert.equal(r.sqlstate, null, r.output);
    const row = (at: string) => r.rows.find((x) => x.at === at)!;
    assert.deepEqual(
      ['before', 'inside', 'after'].map((at) => [row(at).lock_timeout, row(at).statement_timeout]),
      said.map((x) => [x.lock, x.statement]),
      'the timeouts in force: miglint (right) against current_setting() (left)',
    );
    // One connection throughout (pg_backend_pid); three transactions: before, the block's own autocommit one, the one Alembic begins after.
    assert.equal(new Set(r.rows.map((x) => x.pid)).size, 1);
    assert.equal(new Set(said.map((x) => x.connection)).size, 1);
    assert.equal(new Set(r.rows.map((x) => x.xid)).size, 3);
    assert.deepEqual(said.map((x) => x.tx === null), [false, true, false]);
    assert.notEqual(said[0]!.tx, said[2]!.tx);
  });

  for (const file of ['bad.alembic.py', 'bad.set-local.alembic.py']) {
    test(`miglint's fix of require-concurrent-partition-detach/${file} runs, with both timeouts in force at the DETACH`, { skip, timeout: 90_000 }, async () => {
      // The fixture as the only revision of the project.
      const text = readFileSync(join(fixturesDir, 'rules', 'require-concurrent-partition-detach', file), 'utf8').replace('revision = "0002"', 'revision = "0001"').replace('down_revision = "0001"', 'down_revision = None');
      const fixed = fixText('versions/0001_phone.py', text, config(), { rules, only: new Set(['require-concurrent-partition-detach']), unsafe: true });
      assert.equal(fixed.error, null);
      assert.match(fixed.output, /autocommit_block\(\):\n {8}op\.execute\("ALTER TABLE measurements DETACH PARTITION measurements_2023 CONCURRENTLY"\)/);
      // Record the timeouts the DETACH runs with: the same session, just before it in the block.
      const probe = fixed.output.replace(
        /( {8})(op\.execute\("ALTER TABLE measurements DETACH)/,
        `$1op.execute("INSERT INTO seen SELECT current_setting('lock_timeout'), current_setting('statement_timeout')")\n$1$2`,
      );
      const setup = [
        'CREATE TABLE seen (lock_timeout text, statement_timeout text)',
        'CREATE TABLE measurements (at date NOT NULL, v int) PARTITION BY RANGE (at)',
        "CREATE TABLE measurements_2023 PARTITION OF measurements FOR VALUES FROM ('2023-01-01') TO ('2024-01-01')",
      ].join('; ');
      const r = await upgrade(server, probe, "SELECT s.*, (SELECT count(*) FROM pg_inherits WHERE inhrelid = 'measurements_2023'::regclass)::int AS attached FROM seen s", setup);
      assert.equal(r.sqlstate, null, r.output);
      assert.deepEqual(r.rows, [{ lock_timeout: '5s', statement_timeout: '2min', attached: 0 }]);
    });
  }

  test("miglint's fix of a CONCURRENTLY in the migration's transaction runs", { skip, timeout: 90_000 }, async () => {
    const fixed = fixText('versions/0001_phone.py', PLAIN_RAW, config(), { rules, only: new Set([RULE]), unsafe: true });
    assert.equal(fixed.error, null);
    assert.match(fixed.output, /with op\.get_context\(\)\.autocommit_block\(\):\n {8}op\.execute\("CREATE INDEX CONCURRENTLY ix_leads_phone/);
    assert.equal(says(fixed.output), false);
    const r = await upgrade(server, fixed.output);
    assert.equal(r.sqlstate, null, r.output);
    assert.equal(r.validIndex, true);
  });

  test("miglint's fix of a plain op.create_index runs: CONCURRENTLY after the drop of a leftover, in an autocommit block (Alembic 1.8 takes both forms)", { skip, timeout: 90_000 }, async () => {
    const raw = migration('    op.execute("CREATE INDEX ix_leads_phone ON leads (phone)")');
    const fixed = fixText('versions/0001_phone.py', raw, config(), { rules, only: new Set(['require-concurrent-index-creation']), unsafe: true });
    assert.equal(fixed.error, null);
    assert.match(fixed.output, /autocommit_block\(\):\n {8}op\.execute\("DROP INDEX CONCURRENTLY IF EXISTS ix_leads_phone"\)\n {8}op\.execute\("CREATE INDEX CONCURRENTLY ix_leads_phone/);
    const r = await upgrade(server, fixed.output);
    assert.equal(r.sqlstate, null, r.output);
    assert.equal(r.validIndex, true);
    const builder = fixText('versions/0001_phone.py', PLAIN_INDEX, config(), { rules, only: new Set(['require-concurrent-index-creation']), unsafe: true });
    assert.equal(builder.error, null);
    assert.match(builder.output, /autocommit_block\(\):\n {8}op\.execute\("DROP INDEX CONCURRENTLY IF EXISTS ix_leads_phone"\)\n {8}op\.create_index\("ix_leads_phone", "leads", \["phone"\], postgresql_concurrently=True\)/);
    const b = await upgrade(server, builder.output);
    assert.equal(b.sqlstate, null, b.output);
    assert.equal(b.validIndex, true);
  });

  test("prefer-robust-stmts' fix makes a rerun after a failed concurrent build end with a valid index (IF NOT EXISTS would keep the INVALID one)", { skip, timeout: 90_000 }, async () => {
    // A failed build of the unique index (duplicates), the duplicates then removed: the INVALID leftover a rerun meets.
    const leftover = "INSERT INTO leads VALUES (1, '555'), (2, '555')";
    const setup = async (url: string) => {
      const c = new pg.Client({ connectionString: url });
      c.on('error', () => undefined);
      await c.connect();
      try {
        await c.query(leftover);
        await c.query('CREATE UNIQUE INDEX CONCURRENTLY ix_leads_phone ON leads (phone)').catch(() => undefined);
        await c.query('DELETE FROM leads WHERE id = 2');
        const v = await c.query<{ valid: boolean }>("SELECT indisvalid AS valid FROM pg_index WHERE indexrelid = to_regclass('ix_leads_phone')");
        assert.deepEqual(v.rows, [{ valid: false }], 'the failed build left an INVALID index');
      } finally {
        await c.end();
      }
    };
    const skipping = migration('    with op.get_context().autocommit_block():\n        op.execute("CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS ix_leads_phone ON leads (phone)")');
    const before = lint('versions/0001_phone.py', skipping, { rules: ['prefer-robust-stmts'] });
    assert.deepEqual(before.map((f) => [f.ruleId, f.fix?.applicability]), [['prefer-robust-stmts', 'safe']]);
    const as = await upgrade(server, skipping, undefined, undefined, setup);
    assert.equal(as.sqlstate, null, as.output);
    assert.equal(as.validIndex, false, 'IF NOT EXISTS skipped the INVALID index');
    const fixed = fixText('versions/0001_phone.py', skipping, config(), { rules, only: new Set(['prefer-robust-stmts']), unsafe: false });
    assert.equal(fixed.error, null);
    assert.deepEqual(lint('versions/0001_phone.py', fixed.output, { rules: ['prefer-robust-stmts'] }), []);
    const r = await upgrade(server, fixed.output, undefined, undefined, setup);
    assert.equal(r.sqlstate, null, r.output);
    assert.equal(r.validIndex, true, 'the drop let the rerun build it');
  });
});
