/**
 * The TypeScript/JavaScript frontend: SQL found in literals and templates, with
 * exact spans, offset maps, batches and syntax errors; comments; robustness.
 */
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { NodeIndex } from '../../src/sources/typescript/nodes.js';
import { openSourceFile } from '../../src/sources/typescript/project.js';
import { findPhases } from '../../src/sources/typescript/shape.js';
import { initSqlParser, lines, slice, statement, unitOf } from './support.js';

before(async () => {
  await initSqlParser();
});

describe('SQL in literals', () => {
  test('a string literal after a Hebrew and emoji comment maps exactly', () => {
    const text = lines(
      "import { MigrationInterface, QueryRunner } from 'typeorm';",
      '',
      'export class AddIndex1700000000000 implements MigrationInterface {',
      '  public async up(queryRunner: QueryRunner): Promise<void> {',
      '    // בדיקה ✅ האם האינדקס כבר קיים? 🔍🚀',
      "    await queryRunner.query('CREATE INDEX idx_leads_phone ON leads (phone)');",
      '  }',
      '}',
    );
    const unit = unitOf(text);
    assert.equal(unit.framework, 'typeorm');
    const s = statement(unit, 'CREATE INDEX');
    assert.equal(slice(text, s.span), 'CREATE INDEX idx_leads_phone ON leads (phone)');
    assert.equal(s.origin, 'literal');
    assert.equal(s.phase, 'up');
    assert.equal(s.executor, 'raw');
    assert.equal(s.interpolated, false);
    // `ON` in the SQL is `ON` in the file.
    const on = s.sql.indexOf(' ON ') + 1;
    assert.equal(text.slice(s.sqlToFile!(on)!, s.sqlToFile!(on)! + 2), 'ON');
    assert.equal(s.sqlToFile!(s.sql.length), s.span.end);
  });

  test('escapes and line continuations are decoded, and offsets skip over them', () => {
    const text = lines(
      "exports.up = async function (knex) {",
      "  await knex.raw('UPDATE leads SET note = \\'a\\\\b\\'\\nWHERE id = 1');",
      "  await knex.raw('CREATE INDEX idx_x \\",
      "ON leads (tenant_id)');",
      "  await knex.raw('COMMENT ON TABLE leads IS \\'\\u{1F600} \\x41\\'');",
      '};',
    );
    const unit = unitOf(text, 'm.js');
    const update = statement(unit, 'UPDATE');
    assert.equal(update.sql, "UPDATE leads SET note = 'a\\b'\nWHERE id = 1");
    assert.equal(slice(text, update.span), "UPDATE leads SET note = \\'a\\\\b\\'\\nWHERE id = 1");
    // The quote produced by `\'` can be edited before it (at its backslash), not inside it.
    const quote = update.sql.indexOf("'");
    assert.equal(text[update.sqlToFile!(quote)!], '\\');
    const where = update.sql.indexOf('WHERE');
    assert.equal(text.slice(update.sqlToFile!(where)!, update.sqlToFile!(where)! + 5), 'WHERE');

    const index = statement(unit, 'CREATE INDEX');
    assert.equal(index.sql, 'CREATE INDEX idx_x ON leads (tenant_id)');
    assert.equal(slice(text, index.span), 'CREATE INDEX idx_x \\\nON leads (tenant_id)');
    const on = index.sql.indexOf('ON');
    assert.equal(text.slice(index.sqlToFile!(on)!, index.sqlToFile!(on)! + 8), 'ON leads');

    const comment = statement(unit, 'COMMENT');
    assert.equal(comment.sql, "COMMENT ON TABLE leads IS '\u{1F600} A'");
    const emoji = comment.sql.indexOf('\u{1F600}');
    assert.equal(text.slice(comment.sqlToFile!(emoji)!, comment.sqlToFile!(emoji)! + 9), '\\u{1F600}');
    assert.equal(comment.sqlToFile!(emoji + 1), null, 'the second half of the surrogate pair is inside the escape');
  });

  test('a template with CRLF line breaks maps back to the file', () => {
    const text = ['export async function up(knex) {', '  await knex.raw(`', '    ALTER TABLE leads', '      ADD COLUMN x int', '  `);', '}', ''].join('\r\n');
    const unit = unitOf(text, 'm.mjs');
    const s = statement(unit, 'ALTER TABLE');
    assert.equal(s.sql, 'ALTER TABLE leads\n      ADD COLUMN x int');
    assert.equal(slice(text, s.span), 'ALTER TABLE leads\r\n      ADD COLUMN x int');
    assert.equal(s.origin, 'template');
    const add = s.sql.indexOf('ADD');
    assert.equal(text.slice(s.sqlToFile!(add)!, s.sqlToFile!(add)! + 3), 'ADD');
  });

  test('templates with ${} are analysed with placeholders and marked interpolated; a same-file const is its value', () => {
    const text = lines(
      'export async function up(knex: Knex): Promise<void> {',
      "  const table = 'leads';",
      '  await knex.raw(`CREATE INDEX ${name} ON ${table} (tenant_id)`);',
      '  await knex.raw(`UPDATE leads SET status = ${status} WHERE id = $1`, [1]);',
      '}',
    );
    const unit = unitOf(text);
    const index = statement(unit, 'CREATE INDEX');
    assert.equal(index.sql, 'CREATE INDEX "${name}" ON leads (tenant_id)');
    assert.equal(index.interpolated, true);
    assert.equal(slice(text, index.span), 'CREATE INDEX ${name} ON ${table} (tenant_id)');
    assert.equal(index.sqlToFile!(index.sql.indexOf('"${name}"') + 1), null, 'inside a placeholder');
    assert.equal(text.slice(index.sqlToFile!(index.sql.indexOf('"${name}"'))!).slice(0, 7), '${name}');
    assert.equal(text.slice(index.sqlToFile!(index.sql.indexOf('leads'))!).slice(0, 8), '${table}', 'the const value maps to its ${}');
    const update = statement(unit, 'UPDATE');
    assert.equal(update.sql, 'UPDATE leads SET status = $3 WHERE id = $1', 'numbered after the $n the file uses, one number per expression');
  });

  test('a byte order mark shifts nothing; dynamic SQL that does not parse is no syntax error, but not analysed', () => {
    const text = '\uFEFF// header\r\nexports.up = async (knex) => {\r\n  await knex.raw(`CREATE INDEX ${name} ON t (y)`);\r\n  await knex.raw(`${cond ? \'ALTER TABLE\' : \'\'} t ${rest}`);\r\n};\r\n';
    const unit = unitOf(text, 'm.js');
    assert.deepEqual(unit.comments.map((c) => slice(text, c.span)), ['// header']);
    assert.deepEqual(unit.statements.map((s) => slice(text, s.span)), ['CREATE INDEX ${name} ON t (y)']);
    assert.deepEqual(unit.syntaxErrors, []);
    assert.deepEqual(unit.unanalysed.map((u) => `${u.scope} ${slice(text, u.span)}`), ["statement knex.raw(`${cond ? 'ALTER TABLE' : ''} t ${rest}`)"]);
  });

  test('every query call is its own batch; a multi-statement string shares one', () => {
    const text = lines(
      "const { Pool } = require('pg');",
      'async function main(pool) {',
      "  await pool.query(\"SET lock_timeout = '5s'; CREATE INDEX a_x ON a (x); CREATE INDEX b_x ON b (x)\");",
      "  await pool.query('CREATE INDEX c_x ON c (x)');",
      '}',
    );
    const unit = unitOf(text, 'script.js');
    assert.equal(unit.framework, 'pg');
    assert.deepEqual(
      unit.statements.map((s) => [s.sql, s.batch, s.phase]),
      [
        ["SET lock_timeout = '5s'", 0, 'other'],
        ['CREATE INDEX a_x ON a (x)', 0, 'other'],
        ['CREATE INDEX b_x ON b (x)', 0, 'other'],
        ['CREATE INDEX c_x ON c (x)', 1, 'other'],
      ],
    );
    assert.equal(unit.statements[1]!.context.transaction, 'implicit');
    assert.equal(unit.statements[3]!.context.transaction, 'none');
    assert.equal(slice(text, unit.statements[2]!.span), 'CREATE INDEX b_x ON b (x)');
  });

  test('a literal that does not parse gives a syntax error at the exact file offset', () => {
    const text = lines(
      'exports.up = async (pgm) => {',
      '  // שלום 👋 emoji and Hebrew before the error',
      "  pgm.sql('CREATE INDX idx_a ON a (x)');",
      "  pgm.sql('SELECT 1');",
      '};',
    );
    const unit = unitOf(text, 'm.js');
    assert.equal(unit.syntaxErrors.length, 1);
    const err = unit.syntaxErrors[0]!;
    assert.match(err.message, /syntax error at or near "INDX"/);
    assert.equal(text.slice(err.offset, err.offset + 4), 'INDX');
    assert.deepEqual(unit.statements.map((s) => s.sql), ['SELECT 1']);
  });

  test('SQL held in a const of the same file, and concatenated literals', () => {
    const text = lines(
      "const INDEX_SQL = 'CREATE INDEX idx_c ON c (x)';",
      'exports.up = async function (knex) {',
      '  await knex.raw(INDEX_SQL);',
      "  await knex.raw('ALTER TABLE c ' +",
      "    'ADD COLUMN y int');",
      '};',
    );
    const unit = unitOf(text, 'm.js');
    const index = statement(unit, 'CREATE INDEX');
    assert.equal(slice(text, index.span), 'CREATE INDEX idx_c ON c (x)');
    assert.equal(index.phase, 'up', 'the phase is where the query runs');
    const alter = statement(unit, 'ALTER TABLE');
    assert.equal(alter.sql, 'ALTER TABLE c ADD COLUMN y int');
    assert.equal(slice(text, alter.span), "ALTER TABLE c ' +\n    'ADD COLUMN y int");
    const add = alter.sql.indexOf('ADD');
    assert.equal(text.slice(alter.sqlToFile!(add)!, alter.sqlToFile!(add)! + 3), 'ADD');
  });

  test('every raw-query spelling is found', () => {
    const text = lines(
      'exports.up = async function (knex) {',
      "  await knex.schema.raw('ALTER TABLE a ADD COLUMN x int');",
      "  await knex.transaction(async (trx) => { await trx.raw('ALTER TABLE b ADD COLUMN x int'); });",
      "  await client.query({ text: 'ALTER TABLE c ADD COLUMN x int', values: [] });",
      "  await db.query('ALTER TABLE d ADD COLUMN x int');",
      "  await queryInterface.sequelize.query('ALTER TABLE e ADD COLUMN x int');",
      "  await sequelize.query('ALTER TABLE f ADD COLUMN x int');",
      "  await pgm.db.query('ALTER TABLE g ADD COLUMN x int');",
      '};',
    );
    const unit = unitOf(text, 'm.js');
    assert.deepEqual(
      unit.statements.filter((s) => s.origin !== 'builder').map((s) => slice(text, s.span).split(' ')[2]),
      ['a', 'b', 'c', 'd', 'e', 'f', 'g'],
    );
  });

  test('knex.raw used as a value inside a builder is not a statement', () => {
    const text = lines(
      'exports.up = (knex) => knex.schema.createTable("t", (t) => {',
      "  t.timestamp('at').defaultTo(knex.raw('now()'));",
      '});',
    );
    const unit = unitOf(text, 'm.js');
    assert.deepEqual(unit.statements.map((s) => s.sql), ['create table "t" ("at" timestamptz default now())']);
    assert.equal(unit.syntaxErrors.length, 0);
  });
});

describe('comments and robustness', () => {
  test('every comment of the file, with spans, and none from inside literals', () => {
    const text = lines(
      '#!/usr/bin/env node',
      '/* header */',
      "const s = '// not a comment';",
      'const r = /\\/\\/ nor this/;',
      'const t = `/* nor this ${1} */`;',
      'exports.up = async (knex) => {',
      '  // miglint-ignore require-concurrent-index-creation: built at night 🌙',
      "  await knex.raw('CREATE INDEX i ON t (x)'); // trailing",
      '};',
    );
    const unit = unitOf(text, 'm.js');
    assert.deepEqual(
      unit.comments.map((c) => c.text),
      ['/* header */', '// miglint-ignore require-concurrent-index-creation: built at night 🌙', '// trailing'],
    );
    for (const c of unit.comments) assert.equal(slice(text, c.span), c.text);
  });

  test('a file that is not valid TypeScript still yields a unit', () => {
    const text = 'export async function up(knex) {\n  await knex.raw("CREATE INDEX i ON t (x)"\n  if (((( }}}} ))) class {';
    const unit = unitOf(text, 'broken.ts');
    assert.equal(unit.file, 'broken.ts');
    assert.ok(Array.isArray(unit.statements));
    assert.equal(unit.statements[0]?.sql, 'CREATE INDEX i ON t (x)');
  });

  test('a file without any migration shape or SQL is framework unknown and empty', () => {
    const unit = unitOf('export const answer = 42;\n', 'util.ts');
    assert.equal(unit.framework, 'unknown');
    assert.equal(unit.statements.length, 0);
    assert.equal(unit.wrapped.inTransaction, false);
    assert.equal(unit.language, 'ts');
    assert.equal(unitOf('module.exports = 1;\n', 'util.cjs').language, 'js');
  });

  test('statements outside up/down belong to phase other', () => {
    const text = lines(
      'async function helper(knex) {',
      "  await knex.raw('CREATE INDEX h ON t (x)');",
      '}',
      'exports.up = async (knex) => { await knex.raw("CREATE INDEX u ON t (x)"); };',
      'exports.down = async (knex) => { await knex.raw("DROP INDEX u"); };',
    );
    const unit = unitOf(text, 'm.js');
    assert.deepEqual(unit.statements.map((s) => [s.sql, s.phase]), [
      ['CREATE INDEX h ON t (x)', 'other'],
      ['CREATE INDEX u ON t (x)', 'up'],
      ['DROP INDEX u', 'down'],
    ]);
  });
});

describe('phase functions', () => {
  const phasesOf = (text: string) => {
    const open = openSourceFile('m.ts', text);
    return findPhases(new NodeIndex(open.sf)).map((p) => [p.phase, p.param, p.paramType, p.paramCount]);
  };
  test('the first parameter: its name (the `context` a destructuring binds, else its first element) and its type', () => {
    assert.deepEqual(phasesOf(lines('export async function up(queryRunner: QueryRunner, extra: number) {}', 'export async function down() {}')), [
      ['up', 'queryRunner', 'QueryRunner', 2],
      ['down', null, null, 0],
    ]);
    assert.deepEqual(phasesOf(lines('export const up = async ({ name, context: queryInterface }: { name: string; context: QueryInterface }) => {};', 'export const down = async ({ first, second }) => {};')), [
      ['up', 'queryInterface', '{ name: string; context: QueryInterface }', 1],
      ['down', 'first', null, 1],
    ]);
  });
});
