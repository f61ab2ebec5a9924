/**
 * A query call run once per element of a same-file const array (a hand-written runner's
 * `for (const statement of upStatements) await sql.unsafe(statement)`): each element is a query
 * of its own, in order; anything less certain stays "not analysed".
 */
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { connectionKey } from '../../src/sql/context.js';
import { initSqlParser, lines, slice, unitOf } from './support.js';

before(async () => {
  await initSqlParser();
});

const STATEMENTS = lines(
  'const upStatements = [',
  '  `CREATE TABLE IF NOT EXISTS client_profiles (id uuid PRIMARY KEY, agent_id uuid NOT NULL)`,',
  "  'CREATE INDEX CONCURRENTLY IF NOT EXISTS client_profiles_agent_idx ON client_profiles (agent_id)',",
  "  'ALTER TABLE leads ADD COLUMN IF NOT EXISTS region text',",
  '];',
);

/** A postgres.js migration looping over `list` with `body` as the loop's body. */
const pgjs = (body: string, ...head: string[]) =>
  lines("import type { Sql } from 'postgres';", STATEMENTS, ...head, 'export const migration = {', '  async up(sql: Sql) {', `    for (const statement of upStatements) ${body}`, '  },', '};');

const read = (text: string, file = 'm.ts') => {
  const unit = unitOf(text, file);
  return { sql: unit.statements.map((s) => s.sql.slice(0, 30)), unanalysed: unit.unanalysed.map((u) => slice(text, u.span)), unit };
};

describe('a query call run once per element of a const array', () => {
  test('each element is a query of its own, in order, located in the array', () => {
    const text = pgjs('{\n      await sql.unsafe(statement);\n    }');
    const { sql, unanalysed, unit } = read(text);
    assert.deepEqual(sql, ['CREATE TABLE IF NOT EXISTS cli', 'CREATE INDEX CONCURRENTLY IF N', 'ALTER TABLE leads ADD COLUMN I']);
    assert.deepEqual(unanalysed, []);
    assert.equal(slice(text, unit.statements[1]!.span), "CREATE INDEX CONCURRENTLY IF NOT EXISTS client_profiles_agent_idx ON client_profiles (agent_id)");
    // Separate query strings: CONCURRENTLY is not in an implicit transaction with the CREATE TABLE.
    assert.equal(unit.statements[1]!.context.inTransaction, false);
    assert.equal(read(pgjs('await sql.unsafe(statement);')).sql.length, 3, 'a body without braces');
  });

  test('node-postgres too: for (const s of STATEMENTS) await client.query(s)', () => {
    const text = lines(STATEMENTS, 'exports.up = async (client) => {', '  for (const s of upStatements) {', "    console.log('running', s);", '    await client.query(s);', '  }', '};');
    const { sql, unit } = read(text, 'm.js');
    assert.equal(unit.framework, 'pg');
    assert.equal(sql.length, 3);
    assert.equal(connectionKey(unit.statements[0]!), connectionKey(unit.statements[2]!));
  });

  test('stays not analysed when a run may be skipped, the array may change, or an element cannot be read', () => {
    const cases = [
      pgjs("{\n      if (statement.startsWith('CREATE')) await sql.unsafe(statement);\n    }"),
      pgjs("{\n      await sql.unsafe(statement);\n      if (statement.includes('leads')) break;\n    }"),
      pgjs('await sql.unsafe(statement);', "upStatements.push('DROP TABLE leads');"),
      pgjs('await sql.unsafe(statement);', "upStatements[0] = 'DROP TABLE leads';"),
      pgjs('{\n      await Promise.resolve().then(() => sql.unsafe(statement));\n    }'),
      lines("import { upStatements } from './statements';", 'export async function up(sql) {', '  for (const statement of upStatements) await sql.unsafe(statement);', '}'),
      lines('declare const extra: string[];', 'const upStatements = [...extra, "ALTER TABLE leads ADD COLUMN a int"];', 'export async function up(sql) {', '  for (const statement of upStatements) await sql.unsafe(statement);', '}'),
      lines('declare const name: string;', 'const upStatements = [name, "ALTER TABLE leads ADD COLUMN a int"];', 'export async function up(sql) {', '  for (const statement of upStatements) await sql.unsafe(statement);', '}'),
    ];
    for (const text of cases) {
      const { sql, unanalysed } = read(text);
      assert.deepEqual(sql, [], text);
      assert.deepEqual(unanalysed, ['sql.unsafe(statement)'], text);
    }
  });
});
