/**
 * Sequelize, node-pg-migrate and Kysely builder calls: the SQL shape of each call
 * form rules see (exact text, parses, spans the call).
 */
import { before, describe } from 'node:test';
import { initSqlParser, lines } from '../sources/support.js';
import { builderCases } from './support.js';

before(async () => {
  await initSqlParser();
});

describe('Sequelize queryInterface', () => {
  const wrap = (code: string) => lines('module.exports = {', '  up: async (queryInterface, Sequelize) => {', `    await ${code};`, '  },', '};');
  builderCases(
    [
      { code: "queryInterface.addColumn('users', 'age', { type: Sequelize.INTEGER, allowNull: false, defaultValue: 0 })", sql: ['ALTER TABLE "users" ADD COLUMN "age" integer NOT NULL DEFAULT 0'] },
      { code: "queryInterface.addColumn('users', 'name', Sequelize.STRING(64))", sql: ['ALTER TABLE "users" ADD COLUMN "name" varchar(64)'] },
      {
        code: "queryInterface.changeColumn('users', 'age', { type: Sequelize.BIGINT, allowNull: true })",
        sql: ['ALTER TABLE "users" ALTER COLUMN "age" DROP NOT NULL', 'ALTER TABLE "users" ALTER COLUMN "age" DROP DEFAULT', 'ALTER TABLE "users" ALTER COLUMN "age" TYPE bigint'],
      },
      { code: "queryInterface.renameColumn('users', 'a', 'b')", sql: ['ALTER TABLE "users" RENAME COLUMN "a" TO "b"'] },
      { code: "queryInterface.removeColumn('users', 'a')", sql: ['ALTER TABLE "users" DROP COLUMN "a"'] },
      {
        code: "queryInterface.addConstraint('users', { fields: ['org_id'], type: 'foreign key', references: { table: 'orgs', field: 'id' }, onDelete: 'CASCADE' })",
        sql: ['ALTER TABLE "users" ADD CONSTRAINT "users_org_id_orgs_fk" FOREIGN KEY ("org_id") REFERENCES "orgs" ("id") ON DELETE CASCADE'],
      },
      { code: "queryInterface.addConstraint('users', { fields: ['email'], type: 'unique', name: 'uq_email' })", sql: ['ALTER TABLE "users" ADD CONSTRAINT "uq_email" UNIQUE ("email")'] },
      { code: "queryInterface.renameTable('a', 'b')", sql: ['ALTER TABLE "a" RENAME TO "b"'] },
      { code: "queryInterface.dropTable('a')", sql: ['DROP TABLE IF EXISTS "a"'] },
    ],
    wrap,
    'migration.js',
  );
});

describe('node-pg-migrate', () => {
  const wrap = (code: string) => lines('exports.up = (pgm) => {', `  ${code};`, '};');
  builderCases(
    [
      { code: "pgm.addColumns('users', { age: { type: 'integer', notNull: true, default: 0 } })", sql: ['ALTER TABLE "users" ADD COLUMN "age" integer NOT NULL DEFAULT 0'] },
      {
        code: "pgm.alterColumn('users', 'age', { type: 'bigint', notNull: true, default: null })",
        sql: ['ALTER TABLE "users" ALTER COLUMN "age" TYPE bigint, ALTER COLUMN "age" DROP DEFAULT, ALTER COLUMN "age" SET NOT NULL'],
      },
      { code: "pgm.renameColumn('users', 'a', 'b')", sql: ['ALTER TABLE "users" RENAME COLUMN "a" TO "b"'] },
      { code: "pgm.dropColumns('users', ['a', 'b'])", sql: ['ALTER TABLE "users" DROP COLUMN "a", DROP COLUMN "b"'] },
      {
        code: "pgm.addConstraint('users', 'users_org_fk', { foreignKeys: { columns: 'org_id', references: 'orgs(id)' }, notValid: true })",
        sql: ['ALTER TABLE "users" ADD CONSTRAINT "users_org_fk" FOREIGN KEY ("org_id") REFERENCES orgs(id) NOT VALID'],
      },
      { code: "pgm.addConstraint('users', 'pos', { check: 'n > 0' })", sql: ['ALTER TABLE "users" ADD CONSTRAINT "pos" CHECK (n > 0)'] },
      { code: "pgm.renameTable('a', 'b')", sql: ['ALTER TABLE "a" RENAME TO "b"'] },
      { code: "pgm.dropTable('a')", sql: ['DROP TABLE "a"'] },
    ],
    wrap,
    'migration.js',
  );
});

describe('Kysely schema builder', () => {
  const wrap = (code: string) => lines("import { Kysely, sql } from 'kysely';", 'export async function up(db: Kysely<any>): Promise<void> {', `  await ${code};`, '}');
  builderCases(
    [
      {
        code: "db.schema.alterTable('users').addColumn('age', 'integer', (c) => c.notNull().defaultTo(0)).execute()",
        sql: ['ALTER TABLE "users" ADD COLUMN "age" integer NOT NULL DEFAULT 0'],
      },
      {
        code: "db.schema.alterTable('users').alterColumn('age', (c) => c.setDataType('bigint')).alterColumn('name', (c) => c.setNotNull()).execute()",
        sql: ['ALTER TABLE "users" ALTER COLUMN "age" TYPE bigint, ALTER COLUMN "name" SET NOT NULL'],
      },
      { code: "db.schema.alterTable('users').dropColumn('a').execute()", sql: ['ALTER TABLE "users" DROP COLUMN "a"'] },
      { code: "db.schema.alterTable('users').renameColumn('a', 'b').execute()", sql: ['ALTER TABLE "users" RENAME COLUMN "a" TO "b"'] },
      { code: "db.schema.alterTable('users').renameTo('people').execute()", sql: ['ALTER TABLE "users" RENAME TO "people"'] },
      {
        code: "db.schema.alterTable('users').addForeignKeyConstraint('users_org_fk', ['org_id'], 'orgs', ['id']).execute()",
        sql: ['ALTER TABLE "users" ADD CONSTRAINT "users_org_fk" FOREIGN KEY ("org_id") REFERENCES "orgs" ("id")'],
      },
      { code: "db.schema.alterTable('users').addUniqueConstraint('uq_email', ['email']).execute()", sql: ['ALTER TABLE "users" ADD CONSTRAINT "uq_email" UNIQUE ("email")'] },
      { code: "db.schema.dropTable('users').ifExists().execute()", sql: ['DROP TABLE IF EXISTS "users"'] },
    ],
    wrap,
  );
});
