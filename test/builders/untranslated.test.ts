/**
 * Builder calls a translation cannot reconstruct are reported as not analysed
 * (unanalyzable-statement at the call), never skipped; and the Sequelize 6
 * changeColumn restatement (a left-out `allowNull` drops NOT NULL).
 */
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { initSqlParser, lines, slice, unitOf } from '../sources/support.js';
import { builderCases } from './support.js';

before(async () => {
  await initSqlParser();
});

const typeorm = (code: string) =>
  lines(
    "import { MigrationInterface, QueryRunner, Table, TableColumn } from 'typeorm';",
    'export class M1700000000000 implements MigrationInterface {',
    '  public async up(queryRunner: QueryRunner): Promise<void> {',
    `    await ${code};`,
    '  }',
    '  public async down(): Promise<void> {}',
    '}',
  );
const sequelize = (code: string) => lines('module.exports = {', '  up: async (queryInterface, Sequelize) => {', `    await ${code};`, '  },', '};');
const pgm = (code: string) => lines('exports.up = (pgm) => {', `  ${code};`, '};');
const kysely = (code: string) => lines("import { Kysely, sql } from 'kysely';", 'export async function up(db: Kysely<any>): Promise<void> {', `  await ${code};`, '}');

describe('TypeORM calls it cannot translate', () => {
  builderCases(
    [
      { code: "queryRunner.createView('v', 'SELECT 1')", sql: [], unanalysed: ["queryRunner.createView('v', 'SELECT 1')"] },
      { code: "queryRunner.addColumn('leads', column)", sql: [], unanalysed: ["queryRunner.addColumn('leads', column)"] },
      { code: "queryRunner.createForeignKey('leads', fk)", sql: [], unanalysed: ["queryRunner.createForeignKey('leads', fk)"] },
      {
        // What can be read is kept; the call is reported too.
        code: "queryRunner.createTable(new Table({ name: 't', columns: [{ name: 'id', type: 'bigint', isPrimary: true }, extra] }))",
        sql: ['CREATE TABLE "t" ("id" bigint PRIMARY KEY)'],
        unanalysed: ["queryRunner.createTable(new Table({ name: 't', columns: [{ name: 'id', type: 'bigint', isPrimary: true }, extra] }))"],
      },
      { code: "queryRunner.createTable(new Table({ name: 't', columns }))", sql: ['CREATE TABLE "t" ()'], unanalysed: ["queryRunner.createTable(new Table({ name: 't', columns }))"] },
    ],
    typeorm,
  );
  test('a method of something other than the query runner is not reported', () => {
    const unit = unitOf(typeorm("helper.createView('v', 'SELECT 1')"), 'm.ts');
    assert.deepEqual([unit.statements.length, unit.unanalysed.length], [0, 0]);
  });
});

describe('Sequelize queryInterface calls it cannot translate', () => {
  builderCases(
    [
      { code: "queryInterface.addConstraint('users', { fields: ['a'], type: 'default', defaultValue: 1 })", sql: [], unanalysed: ["queryInterface.addConstraint('users', { fields: ['a'], type: 'default', defaultValue: 1 })"] },
      { code: "queryInterface.createFunction('f', [], 'void', 'plpgsql', 'BEGIN END;')", sql: [], unanalysed: ["queryInterface.createFunction('f', [], 'void', 'plpgsql', 'BEGIN END;')"] },
      { code: "queryInterface.addColumn('users', 'age')", sql: [], unanalysed: ["queryInterface.addColumn('users', 'age')"] },
      { code: "queryInterface.update(null, 'users', { active: true }, {})", sql: [], unanalysed: ["queryInterface.update(null, 'users', { active: true }, {})"] },
      { code: "queryInterface.delete(null, 'sessions', {})", sql: [], unanalysed: ["queryInterface.delete(null, 'sessions', {})"] },
    ],
    sequelize,
    'migration.js',
  );
});

describe('Sequelize 6 changeColumn restates the whole column', () => {
  builderCases(
    [
      {
        // No allowNull: Sequelize 6 sends DROP NOT NULL.
        code: "queryInterface.changeColumn('users', 'age', { type: Sequelize.BIGINT })",
        sql: ['ALTER TABLE "users" ALTER COLUMN "age" DROP NOT NULL', 'ALTER TABLE "users" ALTER COLUMN "age" DROP DEFAULT', 'ALTER TABLE "users" ALTER COLUMN "age" TYPE bigint'],
      },
      {
        code: "queryInterface.changeColumn('users', 'age', Sequelize.BIGINT)",
        sql: ['ALTER TABLE "users" ALTER COLUMN "age" DROP NOT NULL', 'ALTER TABLE "users" ALTER COLUMN "age" DROP DEFAULT', 'ALTER TABLE "users" ALTER COLUMN "age" TYPE bigint'],
      },
      {
        code: "queryInterface.changeColumn('users', 'email', { type: Sequelize.TEXT, allowNull: false, unique: true, defaultValue: '' })",
        sql: [
          'ALTER TABLE "users" ALTER COLUMN "email" SET NOT NULL',
          `ALTER TABLE "users" ALTER COLUMN "email" SET DEFAULT ''`,
          'ALTER TABLE "users" ADD UNIQUE ("email")',
          'ALTER TABLE "users" ALTER COLUMN "email" TYPE text',
        ],
      },
      {
        // With references: a foreign key instead of TYPE, and no NOT NULL or DEFAULT drops.
        code: "queryInterface.changeColumn('users', 'org_id', { type: Sequelize.BIGINT, references: { model: 'orgs', key: 'id' } })",
        sql: ['ALTER TABLE "users" ADD FOREIGN KEY ("org_id") REFERENCES "orgs" ("id")'],
      },
      {
        code: "queryInterface.createTable('t', { id: { type: Sequelize.BIGINT, primaryKey: true, autoIncrement: true, autoIncrementIdentity: true } })",
        sql: ['CREATE TABLE IF NOT EXISTS "t" ("id" bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY)'],
      },
    ],
    sequelize,
    'migration.js',
  );
  test('Sequelize 7 (@sequelize/core) alters only what the attributes give', () => {
    const text = lines("import { DataTypes } from '@sequelize/core';", 'export async function up({ context: queryInterface }) {', "  await queryInterface.changeColumn('users', 'age', { type: DataTypes.BIGINT });", '}');
    assert.deepEqual(unitOf(text, 'm.js').statements.map((s) => s.sql), ['ALTER TABLE "users" ALTER COLUMN "age" TYPE bigint']);
  });
});

describe('node-pg-migrate calls it cannot translate', () => {
  builderCases(
    [
      { code: "pgm.createExtension('pg_trgm')", sql: [], unanalysed: ["pgm.createExtension('pg_trgm')"] },
      { code: "pgm.alterColumn('users', 'name', { comment: 'x' })", sql: [], unanalysed: ["pgm.alterColumn('users', 'name', { comment: 'x' })"] },
      { code: "pgm.alterColumn('users', 'age', { type: AGE_TYPE })", sql: [], unanalysed: ["pgm.alterColumn('users', 'age', { type: AGE_TYPE })"] },
      { code: "pgm.addColumns('users', columns)", sql: [], unanalysed: ["pgm.addColumns('users', columns)"] },
      { code: "pgm.func('now()')", sql: [] },
    ],
    pgm,
    'migration.js',
  );
});

describe('Kysely schema chains it cannot translate', () => {
  builderCases(
    [
      { code: "db.schema.createType('kind').asEnum(['a', 'b']).execute()", sql: [], unanalysed: ["db.schema.createType('kind').asEnum(['a', 'b']).execute()"] },
      { code: "db.schema.alterTable('users').modifyColumn('age', 'bigint').execute()", sql: [], unanalysed: ["db.schema.alterTable('users').modifyColumn('age', 'bigint').execute()"] },
      { code: "db.schema.alterTable('users').alterColumn('age', (c) => c.setStatistics(100)).execute()", sql: [], unanalysed: ["db.schema.alterTable('users').alterColumn('age', (c) => c.setStatistics(100)).execute()"] },
      { code: "db.schema.alterTable('users').addColumn('n', 'int', (c) => c.unsigned()).execute()", sql: [], unanalysed: ["db.schema.alterTable('users').addColumn('n', 'int', (c) => c.unsigned()).execute()"] },
      {
        code: "db.schema.alterTable('users').addColumn('twice', 'int', (c) => c.generatedAlwaysAs(sql`n * 2`).stored()).execute()",
        sql: ['ALTER TABLE "users" ADD COLUMN "twice" int GENERATED ALWAYS AS (n * 2) STORED'],
      },
    ],
    kysely,
  );
  test('the report is at the chain and says which link', () => {
    const text = kysely("db.schema.alterTable('users').modifyColumn('age', 'bigint').execute()");
    const u = unitOf(text, 'm.ts').unanalysed[0]!;
    assert.match(u.message, /`modifyColumn\(\.\.\.\)`/);
    assert.equal(slice(text, u.span).startsWith('db.schema'), true);
  });
});
