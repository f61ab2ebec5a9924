/**
 * Edits the TypeScript/JavaScript frontend offers the fixes: switching the
 * framework's transaction off, inserting a statement at the top of a phase,
 * setting builder options, and replacing a builder call by a raw query. Each
 * edit is applied and the result compared with the exact expected text.
 */
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { jsString } from '../../src/sources/typescript/edits.js';
import { applyEdits, initSqlParser, lines, statement, unitOf } from './support.js';

before(async () => {
  await initSqlParser();
});

const LOCK = "SET lock_timeout = '5s'";

test('SQL goes into the string literal that needs no escaping', () => {
  assert.equal(jsString('SELECT 1', true), "'SELECT 1'");
  assert.equal(jsString('SELECT 1', false), '"SELECT 1"');
  assert.equal(jsString(`SET lock_timeout = '5s'`, true), `"SET lock_timeout = '5s'"`);
  assert.equal(jsString('DROP INDEX "i"', false), `'DROP INDEX "i"'`);
  assert.equal(jsString(`COMMENT ON TABLE "t" IS 'x'`, true), "`COMMENT ON TABLE \"t\" IS 'x'`");
  assert.equal(jsString('a\nb', true), '"a\\nb"');
});

describe('disableTransaction', () => {
  test('TypeORM: `public transaction = false;` as the first member, keeping CRLF', () => {
    const text = [
      "import { MigrationInterface, QueryRunner } from 'typeorm';",
      '',
      'export class AddIndex1700000000000 implements MigrationInterface {',
      "    name = 'AddIndex1700000000000';",
      '',
      '    public async up(queryRunner: QueryRunner): Promise<void> {',
      '        await queryRunner.query(`CREATE INDEX CONCURRENTLY i ON t (x)`);',
      '    }',
      '}',
      '',
    ].join('\r\n');
    const unit = unitOf(text);
    const fixed = applyEdits(text, unit.edits.disableTransaction!('up'));
    assert.equal(fixed, text.replace("    name = 'AddIndex", "    public transaction = false;\r\n    name = 'AddIndex"));
    assert.equal(unitOf(fixed).wrapped.inTransaction, false);
    // Already off: nothing to do.
    assert.deepEqual(unitOf(fixed).edits.disableTransaction!('up'), []);
    // `transaction = true` is flipped rather than duplicated.
    const on = text.replace("    name = 'AddIndex1700000000000';", '    transaction = true;');
    assert.equal(applyEdits(on, unitOf(on).edits.disableTransaction!('up')), on.replace('transaction = true', 'transaction = false'));
  });

  test('TypeORM in JavaScript: no `public`', () => {
    const text = lines('module.exports = class M1 {', '  async up(queryRunner) {', "    await queryRunner.query('CREATE INDEX CONCURRENTLY i ON t (x)');", '  }', '};', '');
    const fixed = applyEdits(text, unitOf(text, 'm.js').edits.disableTransaction!('up'));
    assert.equal(fixed, text.replace('  async up', '  transaction = false;\n  async up'));
  });

  test('knex CommonJS and ESM: export config after the last export', () => {
    const cjs = lines(
      'exports.up = async function (knex) {',
      "  await knex.raw('CREATE INDEX CONCURRENTLY i ON t (x)');",
      '};',
      '',
      'exports.down = async function (knex) {',
      "  await knex.raw('DROP INDEX CONCURRENTLY i');",
      '};',
      '',
    );
    const fixedCjs = applyEdits(cjs, unitOf(cjs, 'm.js').edits.disableTransaction!('up'));
    assert.equal(fixedCjs, `${cjs.trimEnd()}\n\nexports.config = { transaction: false };\n`);
    assert.equal(unitOf(fixedCjs, 'm.js').wrapped.inTransaction, false);

    const esm = lines(
      "import type { Knex } from 'knex';",
      '',
      'export async function up(knex: Knex): Promise<void> {',
      "  await knex.raw('CREATE INDEX CONCURRENTLY i ON t (x)');",
      '}',
      '',
    );
    const fixedEsm = applyEdits(esm, unitOf(esm).edits.disableTransaction!('up'));
    assert.equal(fixedEsm, `${esm.trimEnd()}\n\nexport const config = { transaction: false };\n`);
    assert.equal(unitOf(fixedEsm).wrapped.inTransaction, false);

    const replaced = lines('module.exports = {', '  async up(knex) {', "    await knex.raw('CREATE INDEX CONCURRENTLY i ON t (x)');", '  },', '};', '');
    const fixedReplaced = applyEdits(replaced, unitOf(replaced, 'm.js').edits.disableTransaction!('up'));
    assert.equal(fixedReplaced, `${replaced.trimEnd()}\n\nmodule.exports.config = { transaction: false };\n`);
  });

  test('node-pg-migrate: `pgm.noTransaction();` first in the phase; none for Sequelize', () => {
    const text = lines('exports.up = (pgm) => {', "  pgm.createIndex('t', 'x', { concurrently: true });", '};', '');
    const fixed = applyEdits(text, unitOf(text, 'm.js').edits.disableTransaction!('up'));
    assert.equal(fixed, lines('exports.up = (pgm) => {', '  pgm.noTransaction();', "  pgm.createIndex('t', 'x', { concurrently: true });", '};', ''));
    assert.equal(unitOf(fixed, 'm.js').statements[0]!.context.transaction, 'none');
    // An empty body, in a file whose only indented lines are JSDoc continuations.
    const empty = lines('/**', ' * @param pgm', ' */', 'exports.up = (pgm) => {};', '');
    assert.equal(applyEdits(empty, unitOf(empty, 'm.js').edits.disableTransaction!('up')), lines('/**', ' * @param pgm', ' */', 'exports.up = (pgm) => {', '  pgm.noTransaction();', '};', ''));
    const seq = lines('module.exports = {', '  async up(queryInterface, Sequelize) {', "    await queryInterface.addIndex('t', ['x']);", '  },', '};');
    assert.equal(unitOf(seq, 'm.js').edits.disableTransaction!('up'), null);
  });
});

describe('insertStatementBefore', () => {
  test('TypeORM: first in up, then after the SET queries already there', () => {
    const text = lines(
      "import { MigrationInterface, QueryRunner } from 'typeorm';",
      'export class M1 implements MigrationInterface {',
      '    public async up(queryRunner: QueryRunner): Promise<void> {',
      '        // add the column',
      "        await queryRunner.query('ALTER TABLE t ADD COLUMN x int');",
      '    }',
      '}',
    );
    const unit = unitOf(text);
    const s = statement(unit, 'ALTER TABLE');
    const once = applyEdits(text, unit.edits.insertStatementBefore!(s, LOCK));
    assert.equal(once, text.replace('        // add the column', `        await queryRunner.query("${LOCK}");\n        // add the column`));
    const again = unitOf(once);
    assert.equal(statement(again, 'ALTER TABLE').context.lockTimeoutSet, true);
    const twice = applyEdits(once, again.edits.insertStatementBefore!(statement(again, 'ALTER TABLE'), "SET statement_timeout = '120s'"));
    assert.equal(
      twice,
      text.replace('        // add the column', `        await queryRunner.query("${LOCK}");\n        await queryRunner.query("SET statement_timeout = '120s'");\n        // add the column`),
    );
  });

  test('a statement that runs more than SET queries is not skipped over', () => {
    const text = lines(
      'exports.up = async function (knex) {',
      '  await knex.transaction(async (trx) => {',
      `    await trx.raw("SET LOCAL lock_timeout = '1s'");`,
      "    await trx.raw('ALTER TABLE t ADD COLUMN x int');",
      '  });',
      "  await knex.raw('ALTER TABLE u ADD COLUMN y int');",
      '};',
    );
    const unit = unitOf(text, 'm.js');
    const fixed = applyEdits(text, unit.edits.insertStatementBefore!(statement(unit, 'ALTER TABLE u'), LOCK));
    assert.equal(fixed, text.replace('  await knex.transaction', `  await knex.raw("${LOCK}");\n  await knex.transaction`));
  });

  test('knex: an expression-bodied arrow becomes an async block', () => {
    const text = "exports.up = (knex) => knex.schema.alterTable('t', (t) => { t.string('x'); });\n";
    const unit = unitOf(text, 'm.js');
    const fixed = applyEdits(text, unit.edits.insertStatementBefore!(unit.statements[0]!, LOCK));
    assert.equal(
      fixed,
      lines('exports.up = async (knex) => {', `  await knex.raw("${LOCK}");`, "  return knex.schema.alterTable('t', (t) => { t.string('x'); });", '};', ''),
    );
    assert.equal(unitOf(fixed, 'm.js').statements[1]!.context.lockTimeoutSet, true);
  });

  test('node-pg-migrate: pgm.sql without await, after pgm.noTransaction()', () => {
    const text = lines('exports.up = function (pgm) {', '  pgm.noTransaction();', "  pgm.addColumn('t', { x: { type: 'int' } });", '};');
    const unit = unitOf(text, 'm.js');
    const fixed = applyEdits(text, unit.edits.insertStatementBefore!(unit.statements[0]!, LOCK));
    assert.equal(fixed, lines('exports.up = function (pgm) {', '  pgm.noTransaction();', `  pgm.sql("${LOCK}");`, "  pgm.addColumn('t', { x: { type: 'int' } });", '};'));
  });

  test('Kysely (importing sql); raw pg through a checked-out client; none through a pool (Sequelize, pool.query)', () => {
    // Sequelize's queryInterface sends each query to any pooled connection: a SET there may not reach the statement.
    const seq = lines('module.exports = {', '  up: async (queryInterface, Sequelize) => {', "    await queryInterface.addColumn('t', 'x', { type: Sequelize.INTEGER });", '  },', '};');
    const su = unitOf(seq, 'm.js');
    assert.equal(su.edits.insertStatementBefore!(su.statements[0]!, LOCK), null);

    const ky = lines("import type { Kysely } from 'kysely';", 'export async function up(db: Kysely<any>) {', "  await db.schema.alterTable('t').addColumn('x', 'integer').execute();", '}');
    const ku = unitOf(ky);
    const fixedKy = applyEdits(ky, ku.edits.insertStatementBefore!(ku.statements[0]!, LOCK));
    assert.equal(
      fixedKy,
      lines("import type { Kysely } from 'kysely';", "import { sql } from 'kysely';", 'export async function up(db: Kysely<any>) {', `  await sql\`${LOCK}\`.execute(db);`, "  await db.schema.alterTable('t').addColumn('x', 'integer').execute();", '}'),
    );
    assert.equal(unitOf(fixedKy).statements[1]!.context.lockTimeoutSet, true);

    const pool = lines('async function main(pool) {', '  const n = 1;', "  await pool.query('ALTER TABLE t ADD COLUMN x int');", '}');
    const pu = unitOf(pool, 'script.js');
    assert.equal(pu.edits.insertStatementBefore!(pu.statements[0]!, LOCK), null);

    const client = lines('async function main(pool) {', '  const client = await pool.connect();', '  try {', "    await client.query('ALTER TABLE t ADD COLUMN x int');", '  } finally {', '    client.release();', '  }', '}');
    const cu = unitOf(client, 'script.js');
    assert.equal(
      applyEdits(client, cu.edits.insertStatementBefore!(cu.statements[0]!, LOCK)),
      client.replace("    await client.query('ALTER", `    await client.query("${LOCK}");\n    await client.query('ALTER`),
    );
  });
});

describe('setBuilderOptions and replaceWithRawQuery', () => {
  test('node-pg-migrate: options added to an existing multi-line object, or as a new argument', () => {
    const text = lines(
      'exports.up = (pgm) => {',
      "  pgm.createIndex('leads', 'email', {",
      "    name: 'idx_email',",
      '    concurrently: false,',
      '  });',
      "  pgm.createIndex('leads', ['tenant_id', 'id']);",
      "  pgm.dropIndex('leads', 'phone', { name: 'idx_phone' });",
      '};',
    );
    const unit = unitOf(text, 'm.js');
    const [a, b, c] = unit.statements;
    const create = { concurrently: true, ifNotExists: true };
    // Every edit is asked for before another file is parsed (the unit's tree is the frontend's one at a time).
    const raw = unit.edits.replaceWithRawQuery!(b!, 'CREATE INDEX CONCURRENTLY x ON leads (tenant_id, id)');
    let fixed = applyEdits(text, [...unit.edits.setBuilderOptions!(a!, create)!, ...unit.edits.setBuilderOptions!(b!, create)!, ...unit.edits.setBuilderOptions!(c!, { concurrently: true, ifExists: true })!]);
    assert.equal(
      fixed,
      lines(
        'exports.up = (pgm) => {',
        "  pgm.createIndex('leads', 'email', {",
        "    name: 'idx_email',",
        '    concurrently: true,',
        '    ifNotExists: true,',
        '  });',
        "  pgm.createIndex('leads', ['tenant_id', 'id'], { concurrently: true, ifNotExists: true });",
        "  pgm.dropIndex('leads', 'phone', { name: 'idx_phone', concurrently: true, ifExists: true });",
        '};',
      ),
    );
    assert.deepEqual(unitOf(fixed, 'm.js').statements.map((s) => s.sql), [
      'CREATE INDEX CONCURRENTLY IF NOT EXISTS "idx_email" ON "leads" ("email")',
      'CREATE INDEX CONCURRENTLY IF NOT EXISTS "leads_tenant_id_id_index" ON "leads" ("tenant_id", "id")',
      'DROP INDEX CONCURRENTLY IF EXISTS "idx_phone"',
    ]);
    fixed = applyEdits(text, raw);
    assert.match(fixed, /\n {2}pgm\.sql\('CREATE INDEX CONCURRENTLY x ON leads \(tenant_id, id\)'\);\n/);
  });

  test('TypeORM: isConcurrent in the TableIndex; replacing the call by queryRunner.query', () => {
    const text = lines(
      "import { MigrationInterface, QueryRunner, TableIndex } from 'typeorm';",
      'export class M1 implements MigrationInterface {',
      '  async up(queryRunner: QueryRunner) {',
      "    await queryRunner.createIndex('leads', new TableIndex({ name: 'idx_x', columnNames: ['x'] }));",
      "    await queryRunner.dropIndex('leads', 'idx_y');",
      '  }',
      '}',
    );
    const unit = unitOf(text);
    const [create, drop] = unit.statements;
    const withOption = applyEdits(text, unit.edits.setBuilderOptions!(create!, { concurrently: true, ifNotExists: true }));
    assert.equal(unit.edits.setBuilderOptions!(drop!, { concurrently: true }), null);
    const raw = applyEdits(text, unit.edits.replaceWithRawQuery!(drop!, 'DROP INDEX CONCURRENTLY IF EXISTS "idx_y"'));
    assert.equal(withOption, text.replace("columnNames: ['x'] }", "columnNames: ['x'], isConcurrent: true }"));
    assert.equal(unitOf(withOption).statements[0]!.sql, 'CREATE INDEX CONCURRENTLY "idx_x" ON "leads" ("x")');
    assert.equal(raw, text.replace("queryRunner.dropIndex('leads', 'idx_y')", `queryRunner.query('DROP INDEX CONCURRENTLY IF EXISTS "idx_y"')`));
  });

  test('Sequelize knows only `concurrently`', () => {
    const text = lines('module.exports = {', '  async up(queryInterface) {', "    await queryInterface.addIndex('t', ['x'], { name: 'i' });", '  },', '};');
    const unit = unitOf(text, 'm.js');
    const fixed = applyEdits(text, unit.edits.setBuilderOptions!(unit.statements[0]!, { concurrently: true, ifNotExists: true }));
    assert.equal(fixed, text.replace("{ name: 'i' }", "{ name: 'i', concurrently: true }"));
  });

  test('knex: an index in alterTable becomes knex.raw (the whole call, or its own line)', () => {
    const single = lines(
      'exports.up = async function (knex) {',
      "  await knex.schema.alterTable('call_log', (table) => {",
      "    table.index(['lead_id', 'created_at'], 'idx_lead_created');",
      '  });',
      '};',
    );
    const su = unitOf(single, 'm.js');
    assert.equal(su.edits.setBuilderOptions!(su.statements[0]!, { concurrently: true }), null, 'knex has no concurrent index option');
    assert.equal(
      applyEdits(single, su.edits.replaceWithRawQuery!(su.statements[0]!, 'CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_lead_created ON call_log (lead_id, created_at)')),
      lines('exports.up = async function (knex) {', "  await knex.raw('CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_lead_created ON call_log (lead_id, created_at)');", '};'),
    );

    const several = lines(
      'exports.up = async function (knex) {',
      "  await knex.schema.alterTable('leads', (table) => {",
      "    table.string('source', 32);",
      "    table.index(['source'], 'idx_source');",
      '  });',
      '};',
    );
    const mu = unitOf(several, 'm.js');
    const index = statement(mu, 'create index');
    const fixed = applyEdits(several, mu.edits.replaceWithRawQuery!(index, 'CREATE INDEX CONCURRENTLY idx_source ON leads (source)'));
    assert.equal(
      fixed,
      lines(
        'exports.up = async function (knex) {',
        "  await knex.schema.alterTable('leads', (table) => {",
        "    table.string('source', 32);",
        '  });',
        "  await knex.raw('CREATE INDEX CONCURRENTLY idx_source ON leads (source)');",
        '};',
      ),
    );
    assert.deepEqual(unitOf(fixed, 'm.js').statements.map((s) => s.sql), ['alter table "leads" add column "source" varchar(32)', 'CREATE INDEX CONCURRENTLY idx_source ON leads (source)']);
  });

  test('Kysely: the chain becomes sql`...`.execute(db), adding sql to the import', () => {
    const text = lines(
      "import { Kysely } from 'kysely';",
      'export async function up(db: Kysely<any>): Promise<void> {',
      "  await db.schema.createIndex('idx_x').on('t').column('x').execute();",
      '}',
    );
    const unit = unitOf(text);
    const fixed = applyEdits(text, unit.edits.replaceWithRawQuery!(unit.statements[0]!, 'CREATE INDEX CONCURRENTLY IF NOT EXISTS "idx_x" ON "t" ("x")'));
    assert.equal(
      fixed,
      lines(
        "import { Kysely, sql } from 'kysely';",
        'export async function up(db: Kysely<any>): Promise<void> {',
        '  await sql`CREATE INDEX CONCURRENTLY IF NOT EXISTS "idx_x" ON "t" ("x")`.execute(db);',
        '}',
      ),
    );
    assert.equal(unitOf(fixed).statements[0]!.sql, 'CREATE INDEX CONCURRENTLY IF NOT EXISTS "idx_x" ON "t" ("x")');
  });
});

describe('edits are computed when a fix asks, from the tree the unit keeps until released', () => {
  const knex = (table: string) => lines('exports.up = async (knex) => {', `  await knex.raw('CREATE INDEX i_${table} ON ${table} (x)');`, '};', '');
  test('asked before release: the edits; after release, or once another file is parsed: a clear error, not a stale answer', () => {
    const a = unitOf(knex('a'), 'a.js');
    const edits = a.edits.insertStatementBefore!(statement(a, 'CREATE INDEX'), LOCK);
    assert.ok(edits && edits.length > 0);
    // Asked again, the same edits (kept, not recomputed from a tree that may have gone).
    assert.deepEqual(a.edits.insertStatementBefore!(statement(a, 'CREATE INDEX'), LOCK), edits);
    a.release!();
    a.release!(); // idempotent
    assert.throws(() => a.edits.disableTransaction!('up'), /after the unit was released/);

    const b = unitOf(knex('b'), 'b.js');
    const c = unitOf(knex('c'), 'c.js');
    assert.throws(() => b.edits.insertStatementBefore!(statement(b, 'CREATE INDEX'), LOCK), /after the unit was released/);
    assert.ok(c.edits.insertStatementBefore!(statement(c, 'CREATE INDEX'), LOCK));
    b.release!(); // releasing an overwritten file leaves the newer one alone
    assert.ok(c.edits.disableTransaction!('up'));
    c.release!();
  });
});
