import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { initSqlParser } from '../../src/sql/parse.js';
import { planSql, stepRelations, stepWants, type SqlPlan } from '../../src/runtime/planner.js';
import { discoverMigrations, loadMigrations } from '../../src/runtime/migrations.js';
import { UsageError } from '../../src/runtime/errors.js';
import { migrationsDir } from './helpers.js';

function plan(sql: string): SqlPlan {
  const o = planSql(sql, 'm.sql');
  if (!o.ok) assert.fail(o.problems.map((p) => `${p.where}: ${p.message}`).join('\n'));
  return o.plan;
}

describe('planner', () => {
  before(() => initSqlParser());

  it('plans a migration of transactional statements as one transaction', () => {
    const p = plan('CREATE TABLE a (id int);\nALTER TABLE b ADD COLUMN c int;\nUPDATE b SET c = 1;');
    assert.equal(p.singleTransaction, true);
    assert.equal(p.steps.length, 1);
    assert.equal(p.steps[0]!.executor, 'ddl');
    assert.deepEqual(p.steps[0]!.statements.map((s) => s.info.tag), ['CREATE TABLE', 'ALTER TABLE', 'UPDATE']);
    assert.deepEqual(p.steps[0]!.statements[1]!.locks.map((l) => `${l.mode} on ${l.relation}`), ['ACCESS EXCLUSIVE on b']);
  });

  it('wants the locks of relations that exist before the migration, from the statement facts', () => {
    const p = plan(`SET search_path = app;
CREATE TABLE app.notes (id int);
ALTER TABLE notes ADD COLUMN body text;
ALTER TABLE "Leads" ADD COLUMN region text;
CREATE INDEX CONCURRENTLY leads_region_idx ON "Leads" (region);`);
    const [ddl, index] = p.steps;
    // notes was created two statements earlier (through the search_path): no one else can hold a lock on it.
    assert.deepEqual(stepWants(ddl!.statements), [{ relation: '"Leads"', mode: 'ACCESS EXCLUSIVE' }]);
    assert.deepEqual(stepRelations(ddl!.statements), ['"Leads"']);
    // A concurrent build also waits for every transaction holding a lock that conflicts with SHARE.
    assert.deepEqual(stepWants(index!.statements), [{ relation: '"Leads"', mode: 'SHARE UPDATE EXCLUSIVE' }, { relation: '"Leads"', mode: 'SHARE' }]);
  });

  it('wants the locks on tables a statement does not name when the facts name them; a set the catalog decides is left out', () => {
    const p = plan(`ALTER TABLE orders ADD COLUMN total amount;
ALTER DOMAIN amount ADD CONSTRAINT amount_positive CHECK (VALUE > 0);`);
    const [ddl] = p.steps;
    assert.deepEqual(ddl!.statements[1]!.locks.map((l) => `${l.mode} on ${l.relation}`), ['SHARE on public.orders', 'SHARE on tables using domain "public"."amount"']);
    assert.deepEqual(stepWants(ddl!.statements), [{ relation: 'orders', mode: 'ACCESS EXCLUSIVE' }, { relation: 'public.orders', mode: 'SHARE' }]);
  });

  it('splits around statements that cannot run in a transaction block, in order', () => {
    const p = plan(`ALTER TABLE t ADD COLUMN c int;
INSERT INTO log VALUES (1);
CREATE INDEX CONCURRENTLY t_c ON t (c);
VACUUM t;
UPDATE t SET c = 0 WHERE c IS NULL;
DROP INDEX CONCURRENTLY IF EXISTS t_old;`);
    assert.equal(p.singleTransaction, false);
    assert.deepEqual(
      p.steps.map((s) => `${s.executor}:${s.transaction ? 'tx' : 'auto'}:${s.statements.length}`),
      ['ddl:tx:2', 'index:auto:1', 'autocommit:auto:1', 'dml:tx:1', 'index:auto:1'],
    );
    assert.deepEqual(p.steps[1]!.statements[0]!.locks.map((l) => l.mode), ['SHARE UPDATE EXCLUSIVE']);
    assert.equal(p.steps[3]!.statements[0]!.where, 'm.sql:5:1');
  });

  it("drops the file's own BEGIN/COMMIT and refuses what migrun cannot honour", () => {
    const p = plan('BEGIN;\nCREATE TABLE a (id int);\nCOMMIT;');
    assert.equal(p.singleTransaction, true);
    assert.equal(p.steps[0]!.statements.length, 1);
    assert.equal(p.notes.length, 2);
    const bad = planSql('BEGIN;\nCREATE INDEX CONCURRENTLY i ON t (c);\nCOMMIT;', 'm.sql');
    assert.equal(bad.ok, false);
    assert.match(!bad.ok ? bad.problems[0]!.message : '', /cannot be executed inside a transaction block/);
    const sp = planSql('CREATE TABLE a (id int);\nSAVEPOINT x;', 'm.sql');
    assert.equal(sp.ok, false);
  });

  it('reads the no-transaction and best-effort directives', () => {
    const p = plan('-- migrun: no-transaction\nCREATE TABLE a (id int);\nCREATE TABLE b (id int);\n-- migrun: best-effort\nCREATE INDEX CONCURRENTLY i ON a (id);');
    assert.equal(p.steps.length, 3);
    assert.equal(p.steps[2]!.statements[0]!.bestEffort, true);
    assert.equal(p.steps[0]!.statements[0]!.bestEffort, false);
    const misplaced = planSql('-- migrun: best-effort\nCREATE TABLE a (id int);', 'm.sql');
    assert.equal(misplaced.ok, false);
  });

  it('reports a syntax error with file, line and column (UTF-16 columns after non-ASCII text)', () => {
    const o = planSql("-- שלום 🎉\nCREATE TABLE a (id int);\nSELECT 'é', 1 FROM WHERE;", 'migrations/002_bad.sql');
    assert.equal(o.ok, false);
    const p = !o.ok ? o.problems[0]! : null;
    assert.match(p!.where, /^migrations\/002_bad\.sql:3:\d+$/);
    assert.equal(p!.where, 'migrations/002_bad.sql:3:20');
    assert.match(p!.message, /syntax error/);
  });
});

describe('migration discovery', () => {
  it('orders by numeric version and ignores other files', async () => {
    const dir = migrationsDir({ '10_b.sql': 'SELECT 1;', '9_a.sql': 'SELECT 1;', '0011-c.mjs': 'export const up = () => {};', 'README.md': '# hi', 'x.d.ts': '' });
    const files = await discoverMigrations(dir);
    assert.deepEqual(files.map((f) => `${f.version}:${f.name}:${f.kind}`), ['9:a:sql', '10:b:sql', '0011:c:module']);
    assert.equal(files[0]!.checksum.length, 64);
  });

  it('refuses duplicate versions and files without a version', async () => {
    await assert.rejects(discoverMigrations(migrationsDir({ '1_a.sql': '', '001_b.sql': '' })), UsageError);
    await assert.rejects(discoverMigrations(migrationsDir({ 'create.sql': '' })), UsageError);
    await assert.rejects(discoverMigrations('/nonexistent/migrations'), UsageError);
  });

  it('collects every problem in the directory before anything runs', async () => {
    const dir = migrationsDir({
      '1_ok.sql': 'CREATE TABLE a (id int);',
      '2_bad.sql': 'CREATE TABLE (;',
      '3_noup.mjs': 'export const down = () => {};',
      '4_bad.ts': 'export async function up(ctx: any) { await ctx.sql("x" ; }',
      '5_ok.ts': 'export async function up(ctx: { log(m: string): void }): Promise<void> { ctx.log("hi"); }',
    });
    const { migrations, problems } = await loadMigrations(await discoverMigrations(dir));
    assert.deepEqual(problems.map((p) => p.where.replace(/^.*\//, '')).sort(), ['2_bad.sql:1:14', '3_noup.mjs', '4_bad.ts']);
    assert.deepEqual(migrations.map((m) => m.version), ['1', '5']);
    assert.equal(typeof migrations[1]!.up, 'function');
  });
});
