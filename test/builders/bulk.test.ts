/**
 * Sequelize's bulkInsert / bulkUpdate / bulkDelete and node-pg-migrate's createTable:
 * translated where the arguments are literals (a whole-table UPDATE or DELETE is what
 * ban-unbatched-backfill needs to see), reported as not analysed otherwise, never skipped.
 */
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { lint } from '../support/lint.js';
import { initSqlParser, lines } from '../sources/support.js';
import { builderCases } from './support.js';

before(async () => {
  await initSqlParser();
});

const sequelize = (code: string) => lines('module.exports = {', '  up: async (queryInterface, Sequelize) => {', `    await ${code};`, '  },', '};');
const pgm = (code: string) => lines('exports.up = (pgm) => {', `  ${code};`, '};');

describe('Sequelize bulk calls', () => {
  builderCases(
    [
      {
        code: "queryInterface.bulkInsert('plans', [{ name: 'free', price: 0 }, { name: 'pro', price: 10, active: true }])",
        sql: [`INSERT INTO "plans" ("name", "price", "active") VALUES ('free', 0, DEFAULT), ('pro', 10, true)`],
      },
      { code: "queryInterface.bulkUpdate('users', { status: 'active' }, {})", sql: [`UPDATE "users" SET "status" = 'active'`] },
      { code: "queryInterface.bulkUpdate('users', { status: 'active' }, { status: null })", sql: [`UPDATE "users" SET "status" = 'active' WHERE "status" IS NULL`] },
      { code: "queryInterface.bulkDelete('sessions', null)", sql: ['DELETE FROM "sessions"'] },
      { code: "queryInterface.bulkDelete('sessions', { kind: 'guest' })", sql: [`DELETE FROM "sessions" WHERE "kind" = 'guest'`] },
      { code: "queryInterface.bulkInsert('plans', rows)", sql: [], unanalysed: ["queryInterface.bulkInsert('plans', rows)"] },
      { code: "queryInterface.bulkUpdate('users', values, {})", sql: [], unanalysed: ["queryInterface.bulkUpdate('users', values, {})"] },
      { code: "queryInterface.bulkDelete('sessions', where)", sql: [], unanalysed: ["queryInterface.bulkDelete('sessions', where)"] },
      { code: "queryInterface.bulkDelete('sessions', { id: { [Op.in]: ids } })", sql: [], unanalysed: ["queryInterface.bulkDelete('sessions', { id: { [Op.in]: ids } })"] },
      // A spread or a computed name hides columns: never translated with them left out.
      { code: "queryInterface.bulkUpdate('users', { ...extra, a: 1 }, {})", sql: [], unanalysed: ["queryInterface.bulkUpdate('users', { ...extra, a: 1 }, {})"] },
      { code: "queryInterface.bulkInsert('plans', [{ [key]: 1 }])", sql: [], unanalysed: ["queryInterface.bulkInsert('plans', [{ [key]: 1 }])"] },
    ],
    sequelize,
    'migration.js',
  );
  test('a whole-table bulkUpdate is an unbatched backfill', () => {
    const f = lint('m.js', sequelize("queryInterface.bulkUpdate('users', { status: 'active' }, {})"), { rules: ['ban-unbatched-backfill'] });
    assert.deepEqual(f.map((x) => x.ruleId), ['ban-unbatched-backfill']);
  });
});

describe('node-pg-migrate createTable columns it cannot read', () => {
  builderCases(
    [
      { code: "pgm.createTable('t', { id: 'id', name: { type: 'text', notNull: true } })", sql: ['CREATE TABLE "t" ("id" serial PRIMARY KEY, "name" text NOT NULL)'] },
      { code: "pgm.createTable('t', columns)", sql: [], unanalysed: ["pgm.createTable('t', columns)"] },
      { code: "pgm.createTable('t', { ...common, name: 'text' })", sql: [], unanalysed: ["pgm.createTable('t', { ...common, name: 'text' })"] },
      { code: "pgm.createTable('t', { id: idColumn })", sql: [], unanalysed: ["pgm.createTable('t', { id: idColumn })"] },
      { code: "pgm.createTable('t', { [key]: 'text' })", sql: [], unanalysed: ["pgm.createTable('t', { [key]: 'text' })"] },
    ],
    pgm,
    'migration.js',
  );
});
