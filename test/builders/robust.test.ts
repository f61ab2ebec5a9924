/**
 * Builder calls that say IF [NOT] EXISTS translate to SQL with the clause, and the
 * prefer-robust-stmts fix adds each framework's own form of it (an option, a chained
 * method, an argument, another method) with exact output, idempotent and re-linting clean.
 */
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { rules } from '../../rules/index.js';
import { fixText } from '../../src/lint/fix.js';
import { config, lint } from '../support/lint.js';
import { initSqlParser, lines } from '../sources/support.js';
import { builderCases } from './support.js';

before(async () => {
  await initSqlParser();
});

const typeorm = (code: string) =>
  lines(
    "import { MigrationInterface, QueryRunner, Table } from 'typeorm';",
    'export class M1700000000000 implements MigrationInterface {',
    '  transaction = false;',
    '  public async up(queryRunner: QueryRunner): Promise<void> {',
    `    await ${code};`,
    "    await queryRunner.query('UPDATE leads SET phone = NULL');",
    '  }',
    '}',
  );
const sequelize7 = (code: string) => lines("const { DataTypes } = require('@sequelize/core');", 'module.exports = {', '  up: async (queryInterface) => {', `    await ${code};`, '  },', '};');
const sequelize6 = (code: string) => lines('module.exports = {', '  up: async (queryInterface, Sequelize) => {', `    await ${code};`, '  },', '};');
const kysely = (code: string) => lines("import { Kysely, sql } from 'kysely';", 'export async function up(db: Kysely<any>): Promise<void> {', `  await ${code};`, '}');

describe('IF [NOT] EXISTS in builder translations', () => {
  builderCases(
    [
      {
        // TypeORM skips the whole call (indices too) when the table exists.
        code: "queryRunner.createTable(new Table({ name: 't', columns: [{ name: 'id', type: 'int', isPrimary: true }], indices: [{ name: 't_id_idx', columnNames: ['id'] }] }), true)",
        sql: ['CREATE TABLE IF NOT EXISTS "t" ("id" int PRIMARY KEY)', 'CREATE INDEX IF NOT EXISTS "t_id_idx" ON "t" ("id")'],
      },
    ],
    (code) => typeorm(code).replace("    await queryRunner.query('UPDATE leads SET phone = NULL');\n", ''),
  );
  builderCases(
    [
      { code: "queryInterface.addColumn('users', 'age', { type: DataTypes.INTEGER }, { ifNotExists: true })", sql: ['ALTER TABLE "users" ADD COLUMN IF NOT EXISTS "age" integer'] },
      { code: "queryInterface.removeColumn('users', 'age', { ifExists: true })", sql: ['ALTER TABLE "users" DROP COLUMN IF EXISTS "age"'] },
      { code: "queryInterface.removeConstraint('users', 'users_age_check', { ifExists: true })", sql: ['ALTER TABLE "users" DROP CONSTRAINT IF EXISTS "users_age_check"'] },
      // Sequelize 7's removeIndex says IF EXISTS only when asked.
      { code: "queryInterface.removeIndex('users', 'users_age_idx')", sql: ['DROP INDEX "users_age_idx"'] },
      { code: "queryInterface.removeIndex('users', 'users_age_idx', { ifExists: true })", sql: ['DROP INDEX IF EXISTS "users_age_idx"'] },
    ],
    sequelize7,
    'migration.js',
  );
  builderCases(
    [
      // Sequelize 6 has no such options, and its removeIndex always says IF EXISTS.
      { code: "queryInterface.removeColumn('users', 'age', { ifExists: true })", sql: ['ALTER TABLE "users" DROP COLUMN "age"'] },
      { code: "queryInterface.removeIndex('users', 'users_age_idx')", sql: ['DROP INDEX IF EXISTS "users_age_idx"'] },
    ],
    sequelize6,
    'migration.js',
  );
  builderCases(
    [
      { code: "db.schema.alterTable('t').dropColumn('c', (col) => col.ifExists()).execute()", sql: ['ALTER TABLE "t" DROP COLUMN IF EXISTS "c"'] },
      { code: "db.schema.alterTable('t').addColumn('c', 'text', (col) => col.ifNotExists()).execute()", sql: ['ALTER TABLE "t" ADD COLUMN IF NOT EXISTS "c" text'] },
      { code: "db.schema.alterTable('t').dropConstraint('t_c_check').ifExists().execute()", sql: ['ALTER TABLE "t" DROP CONSTRAINT IF EXISTS "t_c_check"'] },
    ],
    kysely,
  );
});

describe('prefer-robust-stmts fixes builder calls in their framework\'s words', () => {
  const cases: { name: string; file: string; text: string; fixed: string }[] = [
    {
      name: 'TypeORM createTable gets its ifNotExists argument',
      file: 'm.ts',
      text: typeorm("queryRunner.createTable(new Table({ name: 't', columns: [{ name: 'id', type: 'int', isPrimary: true }] }))"),
      fixed: typeorm("queryRunner.createTable(new Table({ name: 't', columns: [{ name: 'id', type: 'int', isPrimary: true }] }), true)"),
    },
    {
      name: 'TypeORM dropTable: a false argument becomes true',
      file: 'm.ts',
      text: typeorm("queryRunner.dropTable('t', false)"),
      fixed: typeorm("queryRunner.dropTable('t', true)"),
    },
    {
      name: 'Sequelize 7 removeColumn gets { ifExists: true }',
      file: 'm.js',
      text: sequelize7("queryInterface.removeColumn('users', 'age');\n    await queryInterface.sequelize.query('UPDATE users SET a = 1')"),
      fixed: sequelize7("queryInterface.removeColumn('users', 'age', { ifExists: true });\n    await queryInterface.sequelize.query('UPDATE users SET a = 1')"),
    },
    {
      name: 'Sequelize 6 addIndex CONCURRENTLY: the raw query of the drop of an INVALID leftover just before it',
      file: 'm.js',
      text: sequelize6("queryInterface.addIndex('users', ['age'], { name: 'users_age_idx', concurrently: true })"),
      fixed: sequelize6("queryInterface.sequelize.query('DROP INDEX CONCURRENTLY IF EXISTS users_age_idx');\n    await queryInterface.addIndex('users', ['age'], { name: 'users_age_idx', concurrently: true })"),
    },
    {
      // Outside Kysely's transaction (it ended it): the table stays committed when the UPDATE fails.
      name: 'Kysely createTable gets .ifNotExists() right after the operation',
      file: 'm.ts',
      text: kysely("sql`COMMIT`.execute(db);\n  await db.schema.createTable('t').addColumn('c', 'text').execute();\n  await sql`UPDATE leads SET a = 1`.execute(db)"),
      fixed: kysely("sql`COMMIT`.execute(db);\n  await db.schema.createTable('t').ifNotExists().addColumn('c', 'text').execute();\n  await sql`UPDATE leads SET a = 1`.execute(db)"),
    },
    {
      name: 'node-pg-migrate dropTable gets { ifExists: true } as its second argument',
      file: 'm.js',
      text: lines('exports.up = (pgm) => {', '  pgm.noTransaction();', "  pgm.dropTable('old_leads');", "  pgm.sql('UPDATE leads SET a = 1');", '};'),
      fixed: lines('exports.up = (pgm) => {', '  pgm.noTransaction();', "  pgm.dropTable('old_leads', { ifExists: true });", "  pgm.sql('UPDATE leads SET a = 1');", '};'),
    },
    {
      name: 'node-pg-migrate createTable: an ifNotExists: false option becomes true',
      file: 'm.js',
      text: lines('exports.up = (pgm) => {', '  pgm.noTransaction();', "  pgm.createTable('t', { id: 'id' }, { ifNotExists: false });", "  pgm.sql('UPDATE leads SET a = 1');", '};'),
      fixed: lines('exports.up = (pgm) => {', '  pgm.noTransaction();', "  pgm.createTable('t', { id: 'id' }, { ifNotExists: true });", "  pgm.sql('UPDATE leads SET a = 1');", '};'),
    },
    {
      name: 'knex createTable whose builder sends only the CREATE TABLE becomes createTableIfNotExists',
      file: 'm.ts',
      text: lines("import type { Knex } from 'knex';", 'export async function up(knex: Knex): Promise<void> {', "  await knex.schema.createTable('t', (t) => { t.text('c'); });", "  await knex.raw('UPDATE leads SET a = 1');", '}', 'export const config = { transaction: false };'),
      fixed: lines("import type { Knex } from 'knex';", 'export async function up(knex: Knex): Promise<void> {', "  await knex.schema.createTableIfNotExists('t', (t) => { t.text('c'); });", "  await knex.raw('UPDATE leads SET a = 1');", '}', 'export const config = { transaction: false };'),
    },
    {
      name: 'knex dropSchema becomes dropSchemaIfExists',
      file: 'm.ts',
      text: lines("import type { Knex } from 'knex';", 'export async function up(knex: Knex): Promise<void> {', "  await knex.schema.dropSchema('audit');", "  await knex.raw('UPDATE leads SET a = 1');", '}', 'export const config = { transaction: false };'),
      fixed: lines("import type { Knex } from 'knex';", 'export async function up(knex: Knex): Promise<void> {', "  await knex.schema.dropSchemaIfExists('audit');", "  await knex.raw('UPDATE leads SET a = 1');", '}', 'export const config = { transaction: false };'),
    },
  ];
  for (const c of cases) {
    test(c.name, () => {
      const opts = { rules, only: new Set(['prefer-robust-stmts']), unsafe: false };
      assert.equal(lint(c.file, c.text, { rules: ['prefer-robust-stmts'] }).length > 0, true, 'reported before');
      const r = fixText(c.file, c.text, config(), opts);
      assert.equal(r.error, null);
      assert.equal(r.output, c.fixed);
      assert.deepEqual(lint(c.file, r.output, { rules: ['prefer-robust-stmts'] }), [], 're-lints clean');
      assert.equal(fixText(c.file, r.output, config(), opts).output, r.output, 'idempotent');
    });
  }
  test('a TypeORM createTable whose ifNotExists argument is a variable gets no fix (a CREATE TABLE is never rewritten as SQL)', () => {
    const f = lint('m.ts', typeorm("queryRunner.createTable(new Table({ name: 't', columns: [{ name: 'id', type: 'int', isPrimary: true }] }), flag)"), { rules: ['prefer-robust-stmts'] });
    assert.equal(f.length, 1);
    assert.equal(f[0]!.fix, undefined);
  });
  test('a TypeORM dropColumn (no IF EXISTS option) becomes the raw query with IF EXISTS', () => {
    const r = fixText('m.ts', typeorm("queryRunner.dropColumn('leads', 'old')"), config(), { rules, only: new Set(['prefer-robust-stmts']), unsafe: false });
    assert.equal(r.output, typeorm('queryRunner.query(\'ALTER TABLE "leads" DROP COLUMN IF EXISTS "old"\')'));
  });
  test('a Sequelize 6 addColumn gets no fix (its column definition is not written back as SQL)', () => {
    const f = lint('m.js', sequelize6("queryInterface.addColumn('users', 'kind', { type: Sequelize.ENUM('a', 'b') });\n    await queryInterface.sequelize.query('UPDATE users SET a = 1')"), { rules: ['prefer-robust-stmts'] });
    assert.deepEqual(f.map((x) => [x.message.split(':')[0], x.fix]), [['ADD COLUMN without IF NOT EXISTS', undefined]]);
  });
  test('a knex createTable whose callback also sends an index gets no fix (createTableIfNotExists would not skip the index, a raw query would lose it)', () => {
    const text = lines(
      "import type { Knex } from 'knex';",
      'export async function up(knex: Knex): Promise<void> {',
      "  await knex.schema.createTable('t', (t) => { t.text('c'); t.index(['c'], 't_c_idx'); });",
      "  await knex.raw('UPDATE t SET c = 1');",
      '}',
      'export const config = { transaction: false };',
    );
    const f = lint('m.ts', text, { rules: ['prefer-robust-stmts'] });
    assert.deepEqual(f.map((x) => [x.message.split(':')[0], x.fix === undefined]), [['CREATE TABLE without IF NOT EXISTS', true], ['CREATE INDEX without IF NOT EXISTS', true]]);
  });
});

describe('the concurrent-index fix of a builder without IF NOT EXISTS', () => {
  const opts = { rules, only: new Set(['require-concurrent-index-creation']), unsafe: false };
  const drop = "queryInterface.sequelize.query('DROP INDEX CONCURRENTLY IF EXISTS users_age_idx');\n    await ";
  test('Sequelize addIndex keeps the builder, sets concurrently and gets the drop of an INVALID leftover before it', () => {
    const r = fixText('m.js', sequelize6("queryInterface.addIndex('users', ['age'], { name: 'users_age_idx' })"), config(), opts);
    assert.equal(r.output, sequelize6(`${drop}queryInterface.addIndex('users', ['age'], { name: 'users_age_idx', concurrently: true })`));
  });
  test('with an option the translation does not write (include), it keeps the builder and sets concurrently', () => {
    const r = fixText('m.js', sequelize6("queryInterface.addIndex('users', ['age'], { name: 'users_age_idx', include: ['name'] })"), config(), opts);
    assert.equal(r.output, sequelize6(`${drop}queryInterface.addIndex('users', ['age'], { name: 'users_age_idx', include: ['name'], concurrently: true })`));
  });
});
