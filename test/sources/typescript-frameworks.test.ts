/**
 * Framework detection, builder translations and transaction modes of the
 * TypeScript/JavaScript frontend, one framework at a time.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { before, describe, test } from 'node:test';
import { initSqlParser, lines, slice, statement, unitOf } from './support.js';

before(async () => {
  await initSqlParser();
});

describe('TypeORM', () => {
  const migration = (body: string[], members: string[] = []) =>
    lines(
      "import { MigrationInterface, QueryRunner, Table, TableColumn, TableIndex } from 'typeorm';",
      '',
      'export class Leads1700000000000 implements MigrationInterface {',
      ...members,
      '    public async up(queryRunner: QueryRunner): Promise<void> {',
      ...body,
      '    }',
      '',
      '    public async down(queryRunner: QueryRunner): Promise<void> {',
      "        await queryRunner.dropIndex('leads', 'idx_leads_email');",
      '    }',
      '}',
    );

  test('builders become SQL statements spanning the call', () => {
    const text = migration([
      '        await queryRunner.createTable(new Table({',
      "            name: 'calendars',",
      "            columns: [{ name: 'id', type: 'int', isPrimary: true, isGenerated: true, generationStrategy: 'increment' }, { name: 'name', type: 'varchar', length: '64', isNullable: true }],",
      '        }));',
      "        await queryRunner.createIndex('calendars', new TableIndex({ name: 'idx_calendars_name', columnNames: ['name'] }));",
      "        await queryRunner.createIndex('leads', new TableIndex({ name: 'idx_leads_email', columnNames: ['email'], isUnique: true, where: 'deleted_at IS NULL' }));",
      "        await queryRunner.createIndex('leads', new TableIndex({ columnNames: ['phone', 'tenant_id'] }));",
      "        await queryRunner.addColumn('leads', new TableColumn({ name: 'source', type: 'text', default: \"'web'\" }));",
      "        await queryRunner.dropColumn('leads', 'legacy');",
    ]);
    const unit = unitOf(text);
    assert.equal(unit.framework, 'typeorm');
    assert.deepEqual(unit.statements.map((s) => s.sql), [
      'CREATE TABLE "calendars" ("id" serial PRIMARY KEY, "name" varchar(64))',
      'CREATE INDEX "idx_calendars_name" ON "calendars" ("name")',
      'CREATE UNIQUE INDEX "idx_leads_email" ON "leads" ("email") WHERE deleted_at IS NULL',
      // TypeORM's DefaultNamingStrategy: IDX_ + sha1("table_sortedcolumns"), 26 hex digits.
      `CREATE INDEX "IDX_${createHash('sha1').update('leads_phone_tenant_id').digest('hex').slice(0, 26)}" ON "leads" ("phone", "tenant_id")`,
      `ALTER TABLE "leads" ADD "source" text NOT NULL DEFAULT 'web'`,
      'ALTER TABLE "leads" DROP COLUMN "legacy"',
      'DROP INDEX "idx_leads_email"',
    ]);
    const idx = statement(unit, 'CREATE UNIQUE INDEX');
    assert.equal(slice(text, idx.span), "queryRunner.createIndex('leads', new TableIndex({ name: 'idx_leads_email', columnNames: ['email'], isUnique: true, where: 'deleted_at IS NULL' }))");
    assert.equal(idx.origin, 'builder');
    assert.equal(idx.executor, 'builder');
    assert.equal(idx.sqlToFile, null);
    assert.notEqual(unit.statements[0]!.batch, unit.statements[1]!.batch);
    // The table created by the builder is known to later statements.
    assert.equal(unit.statements[1]!.context.createdTables.has('public.calendars'), true);
    assert.equal(unit.statements[2]!.context.createdTables.has('public.leads'), false);
  });

  test('wraps by default; `transaction = false` switches it off; assumeInTransaction overrides', () => {
    const body = ["        await queryRunner.query('CREATE INDEX CONCURRENTLY i ON t (x)');"];
    const wrapped = unitOf(migration(body));
    assert.equal(wrapped.wrapped.inTransaction, true);
    assert.equal(wrapped.statements[0]!.context.transaction, 'framework');
    const off = unitOf(migration(body, ['    public transaction = false;', '']));
    assert.equal(off.wrapped.inTransaction, false);
    assert.match(off.wrapped.reason, /transaction = false/);
    assert.equal(off.statements[0]!.context.transaction, 'none');
    const forced = unitOf(migration(body), 'm.ts', { assumeInTransaction: false });
    assert.equal(forced.wrapped.inTransaction, false);
    assert.match(forced.wrapped.reason, /assumeInTransaction/);
  });
});

describe('knex', () => {
  test('CommonJS: schema builders and table builder calls, with exact spans', () => {
    const text = lines(
      'exports.up = async function (knex) {',
      "  await knex.schema.createTable('calendars', (t) => {",
      "    t.increments('id');",
      "    t.string('name', 64).notNullable().defaultTo('main');",
      "    t.index(['name']);",
      '  });',
      "  await knex.schema.alterTable('leads', (table) => {",
      "    table.index(['tenant_id', 'created_at'], 'idx_leads_tenant_created');",
      "    table.unique(['email']);",
      "    table.integer('calendar_id').references('id').inTable('calendars');",
      "    table.foreign('owner_id').references('users.id').onDelete('cascade');",
      "    table.dropIndex(['phone']);",
      '  });',
      "  await knex.schema.dropTable('old_leads');",
      '};',
    );
    const unit = unitOf(text, 'm.js');
    assert.equal(unit.framework, 'knex');
    assert.deepEqual(unit.statements.map((s) => s.sql), [
      `create table "calendars" ("id" serial primary key, "name" varchar(64) not null default 'main')`,
      'create index "calendars_name_index" on "calendars" ("name")',
      // knex sends the added columns first, then the table's other statements in call order.
      'alter table "leads" add column "calendar_id" integer',
      'create index "idx_leads_tenant_created" on "leads" ("tenant_id", "created_at")',
      'alter table "leads" add constraint "leads_email_unique" unique ("email")',
      'alter table "leads" add constraint "leads_calendar_id_foreign" foreign key ("calendar_id") references "calendars" ("id")',
      'alter table "leads" add constraint "leads_owner_id_foreign" foreign key ("owner_id") references "users" ("id") on delete cascade',
      'drop index "leads_phone_index"',
      'drop table "old_leads"',
    ]);
    assert.equal(slice(text, unit.statements[3]!.span), "table.index(['tenant_id', 'created_at'], 'idx_leads_tenant_created')");
    assert.equal(slice(text, unit.statements[2]!.span), "table.integer('calendar_id').references('id').inTable('calendars')");
    assert.match(slice(text, unit.statements[0]!.span), /^knex\.schema\.createTable\('calendars', \(t\) => \{[\s\S]*\}\)$/);
    assert.equal(unit.statements[1]!.context.createdTables.has('public.calendars'), true);
    assert.equal(unit.wrapped.inTransaction, true);
  });

  test('`config = { transaction: false }` switches the transaction off (CJS and ESM)', () => {
    const cjs = unitOf(lines('exports.config = { transaction: false };', "exports.up = (knex) => knex.raw('CREATE INDEX CONCURRENTLY i ON t (x)');"), 'm.js');
    assert.equal(cjs.framework, 'knex');
    assert.equal(cjs.wrapped.inTransaction, false);
    const esm = unitOf(
      lines(
        "import type { Knex } from 'knex';",
        'export const config = { transaction: false };',
        'export async function up(knex: Knex): Promise<void> {',
        "  await knex.raw('CREATE INDEX CONCURRENTLY i ON t (x)');",
        '}',
      ),
    );
    assert.equal(esm.wrapped.inTransaction, false);
    assert.equal(esm.statements[0]!.context.transaction, 'none');
    const wrapped = unitOf(lines("import { Knex } from 'knex';", 'export async function up(knex: Knex) {', "  await knex.raw('CREATE INDEX CONCURRENTLY i ON t (x)');", '}'));
    assert.equal(wrapped.wrapped.inTransaction, true);
    assert.equal(wrapped.statements[0]!.context.transaction, 'framework');
  });
});

describe('transactions the code opens', () => {
  test('a transaction callback: its statements run in a code transaction', () => {
    const text = lines(
      'exports.config = { transaction: false };',
      'exports.up = async function (knex) {',
      '  await knex.transaction(async (trx) => {',
      `    await trx.raw("SET LOCAL lock_timeout = '5s'");`,
      "    await trx.raw('ALTER TABLE t ADD COLUMN x int');",
      '  });',
      "  await knex.raw('CREATE INDEX CONCURRENTLY i ON t (x)');",
      '};',
    );
    const unit = unitOf(text, 'm.js');
    assert.deepEqual(unit.statements.map((s) => [s.sql, s.codeTransaction ?? null, s.context.transaction]), [
      ["SET LOCAL lock_timeout = '5s'", 'knex.transaction(...)', 'code'],
      ['ALTER TABLE t ADD COLUMN x int', 'knex.transaction(...)', 'code'],
      ['CREATE INDEX CONCURRENTLY i ON t (x)', null, 'none'],
    ]);
    assert.equal(statement(unit, 'ALTER TABLE').context.lockTimeoutSet, true, 'SET LOCAL holds inside the callback');
    assert.equal(statement(unit, 'CREATE INDEX').context.lockTimeoutSet, false);
    assert.deepEqual(unit.sessions, [], 'the callback form is managed: no session to leak');
  });

  test('Sequelize `{ transaction: t }`, a knex transaction object, Kysely callbacks', () => {
    const seq = unitOf(
      lines(
        'module.exports = {',
        '  async up(queryInterface) {',
        '    const t = await queryInterface.sequelize.transaction();',
        "    await queryInterface.addIndex('t', ['x'], { concurrently: true, transaction: t });",
        "    await queryInterface.sequelize.query('ALTER TABLE t ADD COLUMN y int');",
        '    await t.commit();',
        '  },',
        '};',
      ),
      'm.js',
    );
    assert.deepEqual(seq.statements.map((s) => [s.sql.split(' ').slice(0, 2).join(' '), s.codeTransaction ?? null]), [
      ['CREATE INDEX', 't = await queryInterface.sequelize.transaction()'],
      ['ALTER TABLE', null],
    ]);
    assert.equal(seq.statements[0]!.context.transaction, 'code');
    const kx = unitOf(lines('exports.up = async (knex) => {', '  const trx = await knex.transaction();', "  await trx.schema.alterTable('t', (tb) => { tb.index(['x']); });", '  await trx.commit();', '};'), 'm.js');
    assert.equal(kx.statements[0]!.codeTransaction, 'trx = await knex.transaction()');
    const ky = unitOf(lines("import { Kysely, sql } from 'kysely';", 'export async function up(db: Kysely<any>) {', '  await db.transaction().execute(async (trx) => {', '    await sql`ALTER TABLE t ADD COLUMN x int`.execute(trx);', '  });', '}'));
    assert.deepEqual(ky.statements.map((s) => s.codeTransaction), ['db.transaction().execute(...)']);
  });
});

describe('node-pg-migrate', () => {
  test('builders with options, default names, and pgm.sql', () => {
    const text = lines(
      "import type { MigrationBuilder } from 'node-pg-migrate';",
      'export const up = (pgm: MigrationBuilder): void => {',
      "  pgm.createIndex('leads', ['tenant_id', 'id']);",
      "  pgm.createIndex('leads', 'email', { name: 'idx_email', unique: true, concurrently: true, ifNotExists: true, where: 'deleted_at IS NULL' });",
      "  pgm.createTable('calendars', { id: 'id', name: { type: 'varchar(64)', notNull: true, default: 'main' } });",
      "  pgm.addColumns('leads', { calendar_id: { type: 'integer', references: 'calendars' } });",
      "  pgm.addConstraint('leads', 'leads_run_uniq', { unique: ['run_id', 'lead_id'] });",
      "  pgm.dropColumns('leads', ['legacy']);",
      "  pgm.sql('ALTER TABLE leads VALIDATE CONSTRAINT leads_calendar_fk');",
      '};',
      'export const down = (pgm: MigrationBuilder): void => {',
      "  pgm.dropIndex('leads', 'email', { name: 'idx_email', concurrently: true, ifExists: true });",
      '};',
    );
    const unit = unitOf(text);
    assert.equal(unit.framework, 'node-pg-migrate');
    assert.deepEqual(unit.statements.map((s) => s.sql), [
      'CREATE INDEX "leads_tenant_id_id_index" ON "leads" ("tenant_id", "id")',
      'CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS "idx_email" ON "leads" ("email") WHERE deleted_at IS NULL',
      `CREATE TABLE "calendars" ("id" serial PRIMARY KEY, "name" varchar(64) NOT NULL DEFAULT 'main')`,
      'ALTER TABLE "leads" ADD COLUMN "calendar_id" integer REFERENCES "calendars"',
      'ALTER TABLE "leads" ADD CONSTRAINT "leads_run_uniq" UNIQUE ("run_id", "lead_id")',
      'ALTER TABLE "leads" DROP COLUMN "legacy"',
      'ALTER TABLE leads VALIDATE CONSTRAINT leads_calendar_fk',
      'DROP INDEX CONCURRENTLY IF EXISTS "idx_email"',
    ]);
    assert.equal(slice(text, unit.statements[0]!.span), "pgm.createIndex('leads', ['tenant_id', 'id'])");
    assert.equal(unit.statements[7]!.phase, 'down');
  });

  test('pgm.noTransaction() switches the transaction off for its direction', () => {
    const text = lines(
      'exports.up = (pgm) => {',
      '  pgm.noTransaction();',
      "  pgm.createIndex('t', 'x', { concurrently: true });",
      '};',
      "exports.down = (pgm) => { pgm.dropIndex('t', 'x'); };",
    );
    const unit = unitOf(text, 'm.js');
    assert.equal(unit.framework, 'node-pg-migrate');
    assert.equal(unit.statements[0]!.context.transaction, 'none');
    assert.equal(unit.statements[1]!.context.transaction, 'framework');
    assert.equal(unit.wrapped.perPhaseSwitch, true);
    const plain = unitOf("exports.up = (pgm) => { pgm.createIndex('t', 'x'); };", 'm.js');
    assert.equal(plain.wrapped.inTransaction, true);
  });
});

describe('Sequelize and umzug', () => {
  test('queryInterface builders; no wrapping transaction', () => {
    const text = lines(
      "'use strict';",
      'module.exports = {',
      '  async up(queryInterface, Sequelize) {',
      "    await queryInterface.addIndex('leads', ['tenant_id', 'createdAt'], { concurrently: true, where: { deleted_at: null } });",
      "    await queryInterface.addIndex('leads', { fields: ['email'], unique: true, name: 'leads_email_uq' });",
      "    await queryInterface.createTable('calendars', { id: { type: Sequelize.INTEGER, primaryKey: true, autoIncrement: true }, name: { type: Sequelize.STRING(64), allowNull: false } });",
      "    await queryInterface.addColumn('leads', 'calendar_id', { type: Sequelize.INTEGER, references: { model: 'calendars', key: 'id' } });",
      "    await queryInterface.changeColumn('leads', 'phone', { type: Sequelize.STRING(32), allowNull: false });",
      "    await queryInterface.addConstraint('leads', { fields: ['run_id', 'lead_id'], type: 'unique', name: 'unique_run_lead' });",
      "    await queryInterface.sequelize.query('CREATE INDEX CONCURRENTLY leads_phone ON leads (phone)');",
      '  },',
      '  async down(queryInterface) {',
      "    await queryInterface.removeIndex('leads', 'leads_email_uq', { concurrently: true });",
      "    await queryInterface.removeColumn('leads', 'calendar_id');",
      '  },',
      '};',
    );
    const unit = unitOf(text, 'm.js');
    assert.equal(unit.framework, 'sequelize');
    assert.equal(unit.wrapped.inTransaction, false);
    assert.deepEqual(unit.statements.map((s) => s.sql), [
      'CREATE INDEX CONCURRENTLY "leads_tenant_id_created_at" ON "leads" ("tenant_id", "createdAt") WHERE "deleted_at" IS NULL',
      'CREATE UNIQUE INDEX "leads_email_uq" ON "leads" ("email")',
      'CREATE TABLE IF NOT EXISTS "calendars" ("id" serial PRIMARY KEY, "name" varchar(64) NOT NULL)',
      'ALTER TABLE "leads" ADD COLUMN "calendar_id" integer REFERENCES "calendars" ("id")',
      'ALTER TABLE "leads" ALTER COLUMN "phone" SET NOT NULL',
      'ALTER TABLE "leads" ALTER COLUMN "phone" DROP DEFAULT',
      'ALTER TABLE "leads" ALTER COLUMN "phone" TYPE varchar(32)',
      'ALTER TABLE "leads" ADD CONSTRAINT "unique_run_lead" UNIQUE ("run_id", "lead_id")',
      'CREATE INDEX CONCURRENTLY leads_phone ON leads (phone)',
      'DROP INDEX CONCURRENTLY IF EXISTS "leads_email_uq"',
      'ALTER TABLE "leads" DROP COLUMN "calendar_id"',
    ]);
    // changeColumn sends its statements in one query string.
    assert.equal(unit.statements[4]!.batch, unit.statements[6]!.batch);
    assert.notEqual(unit.statements[3]!.batch, unit.statements[4]!.batch);
    assert.equal(slice(text, unit.statements[9]!.span), "queryInterface.removeIndex('leads', 'leads_email_uq', { concurrently: true })");
  });

  test('umzug `{ context: queryInterface }`', () => {
    const text = lines(
      "import type { MigrationFn } from 'umzug';",
      "import type { QueryInterface } from 'sequelize';",
      'export const up: MigrationFn<QueryInterface> = async ({ context: queryInterface }) => {',
      "  await queryInterface.addIndex('t', ['x']);",
      '};',
    );
    const unit = unitOf(text);
    assert.equal(unit.framework, 'sequelize');
    assert.deepEqual(unit.statements.map((s) => [s.sql, s.phase]), [['CREATE INDEX "t_x" ON "t" ("x")', 'up']]);
  });
});

describe('Kysely', () => {
  test('schema builder chains, sql`...`.execute(db) and sql.raw(...).execute(db)', () => {
    const text = lines(
      "import { Kysely, sql } from 'kysely';",
      'export async function up(db: Kysely<any>): Promise<void> {',
      '  await db.schema',
      "    .createTable('calendars')",
      "    .addColumn('id', 'serial', (col) => col.primaryKey())",
      "    .addColumn('created_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))",
      '    .execute();',
      "  await db.schema.createIndex('idx_leads_email').on('leads').column('email').unique().ifNotExists().execute();",
      "  await db.schema.alterTable('leads').addColumn('calendar_id', 'integer', (col) => col.references('calendars.id')).execute();",
      '  await sql`CREATE INDEX CONCURRENTLY idx_leads_phone ON leads (phone)`.execute(db);',
      "  await sql.raw('ANALYZE leads').execute(db);",
      '}',
      'export async function down(db: Kysely<any>): Promise<void> {',
      "  await db.schema.dropIndex('idx_leads_email').ifExists().execute();",
      '}',
    );
    const unit = unitOf(text);
    assert.equal(unit.framework, 'kysely');
    assert.equal(unit.wrapped.inTransaction, true);
    assert.deepEqual(unit.statements.map((s) => s.sql), [
      'CREATE TABLE "calendars" ("id" serial PRIMARY KEY, "created_at" timestamptz NOT NULL DEFAULT now())',
      'CREATE UNIQUE INDEX IF NOT EXISTS "idx_leads_email" ON "leads" ("email")',
      'ALTER TABLE "leads" ADD COLUMN "calendar_id" integer REFERENCES "calendars" ("id")',
      'CREATE INDEX CONCURRENTLY idx_leads_phone ON leads (phone)',
      'ANALYZE leads',
      'DROP INDEX IF EXISTS "idx_leads_email"',
    ]);
    assert.equal(slice(text, unit.statements[1]!.span), "db.schema.createIndex('idx_leads_email').on('leads').column('email').unique().ifNotExists().execute()");
    assert.equal(slice(text, unit.statements[3]!.span), 'CREATE INDEX CONCURRENTLY idx_leads_phone ON leads (phone)');
    assert.equal(unit.statements[3]!.origin, 'template');
    assert.equal(unit.statements[0]!.interpolated, false);
  });
});

describe('raw pg and migrun', () => {
  test('client.query and pool.query without a framework: not wrapped; BEGIN is the file\'s own', () => {
    const text = lines(
      'module.exports.up = async (pool) => {',
      '  const client = await pool.connect();',
      '  try {',
      "    await client.query('BEGIN');",
      "    await client.query('ALTER TABLE t ADD COLUMN x int');",
      "    await client.query('COMMIT');",
      '  } finally {',
      '    client.release();',
      '  }',
      "  await pool.query('CREATE INDEX CONCURRENTLY i ON t (x)');",
      '};',
    );
    const unit = unitOf(text, 'm.js');
    assert.equal(unit.framework, 'pg');
    assert.equal(unit.wrapped.inTransaction, false);
    assert.deepEqual(unit.statements.map((s) => [s.sql, s.context.transaction]), [
      ['BEGIN', 'none'],
      ['ALTER TABLE t ADD COLUMN x int', 'explicit'],
      ['COMMIT', 'explicit'],
      ['CREATE INDEX CONCURRENTLY i ON t (x)', 'none'],
    ]);
  });

  test('migrun ctx executors', () => {
    const text = lines(
      "import type { MigrationContext } from 'miglint';",
      'export async function up(ctx: MigrationContext): Promise<void> {',
      "  await ctx.ddl('ALTER TABLE t ADD COLUMN x int');",
      "  await ctx.dml('UPDATE t SET x = 0 WHERE x IS NULL');",
      "  await ctx.index('CREATE INDEX CONCURRENTLY IF NOT EXISTS i ON t (x)');",
      '  await ctx.sql`CREATE TABLE u (id int); CREATE INDEX CONCURRENTLY j ON t (y)`;',
      '}',
    );
    const unit = unitOf(text);
    assert.equal(unit.framework, 'migrun');
    assert.equal(unit.wrapped.inTransaction, false);
    assert.deepEqual(unit.statements.map((s) => [s.executor, s.context.transaction]), [
      ['migrun-ddl', 'framework'],
      ['migrun-dml', 'framework'],
      ['migrun-index', 'none'],
      ['migrun-sql', 'framework'],
      ['migrun-sql', 'none'],
    ]);
    assert.equal(unit.statements[3]!.batch, unit.statements[4]!.batch);
  });
});
