/**
 * What the TypeScript/JavaScript frontend cannot read is said, never dropped:
 * interpolated templates get a placeholder form that fits each grammatical
 * position, and what still does not parse, or what stands for SQL miglint
 * cannot know, becomes an `UnanalysedFact` of scope 'statement' at the call.
 */
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import type { MigrationUnit } from '../../src/core/unit.js';
import { isCreatedTable } from '../../src/sql/names.js';
import { initSqlParser, lines, slice, unitOf } from './support.js';

before(async () => {
  await initSqlParser();
});

/** A knex migration running each template (given as its source text) through `knex.raw`. */
function knexUnit(...templates: string[]): { text: string; unit: MigrationUnit } {
  const text = lines('exports.up = async function (knex) {', ...templates.map((t) => `  await knex.raw(${t});`), '};');
  return { text, unit: unitOf(text, 'migration.js') };
}

const facts = (text: string, unit: MigrationUnit) => unit.unanalysed.map((u) => `${u.scope} ${u.phase} ${slice(text, u.span)}: ${u.message}`);

describe('placeholders by grammatical position', () => {
  test('a name, a value, a string literal, a row, a query and an omitted clause each parse', () => {
    const { text, unit } = knexUnit(
      '`CREATE INDEX idx_a ON ${table} (${cols}) ${where}`',
      '`UPDATE leads SET a = ${value} WHERE id = ${id}`',
      '`COMMENT ON TABLE leads IS ${comment}`',
      '`INSERT INTO leads (a, b) VALUES ${rows}`',
      '`CREATE MATERIALIZED VIEW lead_stats AS ${query}`',
      '`CREATE INDEX idx_stats ON lead_stats (n)`',
    );
    assert.deepEqual(facts(text, unit), []);
    assert.deepEqual(
      unit.statements.map((s) => s.sql),
      [
        'CREATE INDEX idx_a ON "${table}" ("${cols}")',
        'UPDATE leads SET a = $4 WHERE id = $5',
        "COMMENT ON TABLE leads IS '${comment}'",
        'INSERT INTO leads (a, b) VALUES ($7)',
        'CREATE MATERIALIZED VIEW lead_stats AS SELECT $8',
        'CREATE INDEX idx_stats ON lead_stats (n)',
      ],
    );
    assert.ok(unit.statements.every((s, i) => s.interpolated === i < 5));
    // The view created from an unknown query is still a relation this migration created.
    assert.ok(isCreatedTable({ schema: null, name: 'lead_stats' }, unit.statements[5]!.context));
  });

  test('a ${} standing for statements of its own is not analysed, the rest is', () => {
    const { text, unit } = knexUnit('`${sql}`', '`CREATE TABLE lead_notes (id bigint); ${more}`');
    assert.deepEqual(unit.statements.map((s) => s.sql), ['CREATE TABLE lead_notes (id bigint)']);
    assert.deepEqual(facts(text, unit), [
      'statement up knex.raw(`${sql}`): Not analysed: `${sql}` stands for SQL of its own that miglint cannot know (a value built elsewhere), so it was not checked.',
      'statement up knex.raw(`CREATE TABLE lead_notes (id bigint); ${more}`): Not analysed: `${more}` stands for SQL of its own that miglint cannot know (a value built elsewhere), so it was not checked.',
    ]);
  });

  test('a template that parses in no form is reported with PostgreSQL\'s reason (here a real mistake: `integer uuid`)', () => {
    const { text, unit } = knexUnit('`ALTER TABLE ${T} ADD COLUMN IF NOT EXISTS schedule_id integer uuid`', '`ALTER TABLE leads ${action} COLUMN legacy_id`');
    assert.deepEqual(unit.statements, []);
    assert.deepEqual(unit.syntaxErrors, [], 'dynamic SQL is no syntax error');
    assert.deepEqual(facts(text, unit), [
      'statement up knex.raw(`ALTER TABLE ${T} ADD COLUMN IF NOT EXISTS schedule_id integer uuid`): Not analysed: the SQL of this query does not parse with its interpolated value written as names, values, literals or clauses (syntax error at or near "uuid"), so it was not checked.',
      'statement up knex.raw(`ALTER TABLE leads ${action} COLUMN legacy_id`): Not analysed: the SQL of this query does not parse with its interpolated value written as names, values, literals or clauses (syntax error at or near "COLUMN"), so it was not checked.',
    ]);
  });

  test('in a query string of several statements, the one that does not parse is reported and the others analysed', () => {
    const { text, unit } = knexUnit('`CREATE TABLE ${T} (id bigint); ALTER TABLE ${T} ${action} COLUMN x; CREATE INDEX idx_t ON ${T} (id)`');
    assert.deepEqual(unit.statements.map((s) => s.sql), ['CREATE TABLE "${T}" (id bigint)', 'CREATE INDEX idx_t ON "${T}" (id)']);
    assert.equal(unit.unanalysed.length, 1);
    assert.match(unit.unanalysed[0]!.message, /^Not analysed: a statement of this query does not parse with its 4 interpolated values/);
    assert.equal(slice(text, unit.unanalysed[0]!.span).slice(0, 9), 'knex.raw(');
  });
});

describe('placeholder search cost and statements holding `;`', () => {
  test('a statement with `;` inside (BEGIN ATOMIC) is parsed joined, not reported', () => {
    const { text, unit } = knexUnit('`CREATE FUNCTION one() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT 1; SELECT ${x}; END; CREATE INDEX ${name} ON leads (a)`');
    assert.deepEqual(facts(text, unit), []);
    assert.equal(unit.statements.length, 2);
    assert.match(unit.statements[1]!.sql, /^CREATE INDEX "\$\{name\}" ON leads/);
  });

  test('150 statements with 600 placeholders in one template are all analysed within the fuzz budget (a quadratic search took a minute)', () => {
    const template = Array.from({ length: 150 }, (_, i) => `CREATE INDEX \${n${i}} ON \${t${i}} (\${c${i}}) \${w${i}};`).join('\n');
    // CPU time, not wall time: the suite runs files side by side on shared cores, and a wait for a core is not the search's cost.
    const started = process.cpuUsage();
    const { unit } = knexUnit(`\`${template}\``);
    const used = process.cpuUsage(started);
    const ms = Math.round((used.user + used.system) / 1000);
    assert.equal(unit.statements.length, 150);
    assert.deepEqual(unit.unanalysed, []);
    // A guard against the quadratic search (a minute of CPU), not a speed measurement.
    assert.ok(ms < 5000, `took ${ms} ms of CPU`);
  });
});

describe('SQL miglint cannot reconstruct', () => {
  test('is reported for the migration\'s handle, an opened session and a managed transaction, in its direction', () => {
    const text = lines(
      "const { readFileSync } = require('fs');",
      'exports.up = async function (knex) {',
      "  await knex.raw(readFileSync('up.sql', 'utf8'));",
      '  const trx = await knex.transaction();',
      '  await trx.raw(process.env.EXTRA_SQL);',
      '  await trx.commit();',
      '};',
      'exports.down = async function (knex) {',
      '  await knex.transaction(async (t) => t.raw(downSql()));',
      '};',
    );
    const unit = unitOf(text, 'migration.js');
    assert.deepEqual(facts(text, unit), [
      "statement up knex.raw(readFileSync('up.sql', 'utf8')): Not analysed: the SQL passed to `knex.raw(...)` is the result of `readFileSync(...)`, which miglint cannot reconstruct, so it was not checked.",
      'statement up trx.raw(process.env.EXTRA_SQL): Not analysed: the SQL passed to `trx.raw(...)` is `process.env.EXTRA_SQL`, a value from elsewhere, which miglint cannot reconstruct, so it was not checked.',
      'statement down t.raw(downSql()): Not analysed: the SQL passed to `t.raw(...)` is the result of `downSql(...)`, which miglint cannot reconstruct, so it was not checked.',
    ]);
  });

  test('is not reported for calls not known to run SQL: other objects, fragments, helpers outside the migration functions', () => {
    const text = lines(
      'async function run(db, sql) {',
      '  return db.query(sql);',
      '}',
      'exports.up = async function (knex) {',
      '  const router = makeRouter();',
      '  router.query(process.env.Q);',
      "  await knex.schema.alterTable('leads', (t) => t.timestamp('at').defaultTo(knex.raw(nowFn)));",
      "  await knex('leads').whereRaw(filter);",
      "  await run(knex, 'SELECT 1');",
      '};',
    );
    const unit = unitOf(text, 'migration.js');
    assert.deepEqual(unit.unanalysed, []);
  });
});
