/**
 * Findings of the survey of real migration projects, each pinned by a test
 * that failed before the frontend learnt the case: constants and placeholders
 * in templates (FP1, FN3), Kysely views (FP2, FN5), deferred rethrows (FP4),
 * COMMIT inside a framework transaction (FP6), knex and Sequelize query
 * placeholders (FP7), code transactions (FN1, FN2), the TypeORM and Kysely
 * transaction modes, Kysely's import and semicolon style, SETs that a pool
 * would send elsewhere, and the no-idle-in-transaction fix.
 */
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import type { MigrationUnit } from '../../src/core/unit.js';
import { fromRangeVar, resolvedKey } from '../../src/sql/names.js';
import { applyEdits, initSqlParser, lines, slice, statement, unitOf } from './support.js';

before(async () => {
  await initSqlParser();
});

/** For each CREATE INDEX: its table's key and whether the unit created that table before it. */
function indexTargets(unit: MigrationUnit): Array<[string, boolean]> {
  return unit.statements
    .filter((s) => 'IndexStmt' in s.node)
    .map((s) => {
      const node = s.node as { IndexStmt: { relation?: Parameters<typeof fromRangeVar>[0] } };
      const key = resolvedKey(fromRangeVar(node.IndexStmt.relation)!, s.context);
      return [key, s.context.createdTables.has(key)];
    });
}

describe('FP1 / FN3: constants and placeholders in templates', () => {
  test('a same-file const string is its value, mapped to its ${}', () => {
    const text = lines(
      "import type { Knex } from 'knex';",
      "const table = 'dryruns';",
      'export async function up(knex: Knex) {',
      '  await knex.raw(`CREATE TABLE ${table} (id serial PRIMARY KEY, started_at timestamptz)`);',
      '  await knex.raw(`CREATE INDEX idx_dryruns_started ON ${table} (started_at)`);',
      '}',
    );
    const unit = unitOf(text);
    const index = statement(unit, 'CREATE INDEX');
    assert.equal(index.sql, 'CREATE INDEX idx_dryruns_started ON dryruns (started_at)');
    assert.equal(index.interpolated, false, 'nothing unknown is left');
    assert.deepEqual(indexTargets(unit), [['public.dryruns', true]]);
    // Editable around the constant: CONCURRENTLY goes after CREATE INDEX, the ${table} text is untouched.
    assert.equal(text.slice(index.sqlToFile!('CREATE INDEX'.length)!).slice(0, 20), ' idx_dryruns_started');
    assert.equal(slice(text, index.span), 'CREATE INDEX idx_dryruns_started ON ${table} (started_at)');
  });

  test('`TABLES.runs` of a const object, and a const in a `+` concatenation', () => {
    const text = lines(
      "const TABLES = { runs: 'dialer_runs' } as const;",
      "const SUFFIX = '_v2';",
      'exports.up = async (knex) => {',
      '  await knex.raw(`CREATE INDEX idx_runs ON ${TABLES.runs} (id)`);',
      "  await knex.raw('CREATE INDEX idx_runs2 ON dialer_runs' + SUFFIX + ' (id)');",
      '};',
    );
    const unit = unitOf(text, 'm.js');
    assert.deepEqual(unit.statements.map((s) => s.sql), ['CREATE INDEX idx_runs ON dialer_runs (id)', 'CREATE INDEX idx_runs2 ON dialer_runs_v2 (id)']);
    assert.equal(slice(text, unit.statements[1]!.span), "CREATE INDEX idx_runs2 ON dialer_runs' + SUFFIX + ' (id)");
  });

  test('the same expression is the same placeholder everywhere; different expressions differ (FN3)', () => {
    const text = lines(
      "import type { Knex } from 'knex';",
      'export async function up(knex: Knex, T: string, NEW_TABLE: string, OLD_TABLE: string) {',
      '  await knex.raw(`CREATE TABLE ${T} (id serial PRIMARY KEY)`);',
      '  await knex.raw(`CREATE INDEX idx_t ON ${ T } (id)`);',
      '  await knex.raw(`CREATE TABLE ${NEW_TABLE} (LIKE ${OLD_TABLE} INCLUDING ALL)`);',
      '  await knex.raw(`CREATE INDEX idx_old ON ${OLD_TABLE} (id)`);',
      '}',
    );
    const unit = unitOf(text);
    assert.equal(statement(unit, 'CREATE INDEX idx_t').sql, 'CREATE INDEX idx_t ON "${T}" (id)');
    assert.deepEqual(indexTargets(unit), [
      ['public."${T}"', true],
      ['public."${OLD_TABLE}"', false],
    ]);
  });

  test('a builder with a const or variable table name resolves the same way as the template', () => {
    const text = lines(
      "const T = 'dialer_runs';",
      'exports.up = async (knex, name) => {',
      '  await knex.schema.createTable(T, (t) => { t.increments(); });',
      '  await knex.raw(`CREATE INDEX idx_a ON ${T} (id)`);',
      '  await knex.schema.createTable(name, (t) => { t.increments(); });',
      '  await knex.raw(`CREATE INDEX idx_b ON ${name} (id)`);',
      "  await knex.raw(`CREATE INDEX idx_c ON ${other} (id)`);",
      '};',
    );
    const unit = unitOf(text, 'm.js');
    assert.equal(unit.statements[0]!.sql, 'create table "dialer_runs" ("id" serial primary key)');
    assert.equal(unit.statements[2]!.sql, 'create table "${name}" ("id" serial primary key)');
    assert.deepEqual(indexTargets(unit), [
      ['public.dialer_runs', true],
      ['public."${name}"', true],
      ['public."${other}"', false],
    ]);
  });
});

describe('FP2 / FN5: Kysely views', () => {
  test('createView(...).materialized() creates the view; dropView(...).materialized() drops it', () => {
    const text = lines(
      "import { Kysely, sql } from 'kysely';",
      'export async function up(db: Kysely<any>): Promise<void> {',
      "  await db.schema.createView('lead_call_stats').materialized().as(db.selectFrom('call_log').select(['lead_id'])).execute();",
      "  await db.schema.createIndex('idx_stats_lead').on('lead_call_stats').column('lead_id').execute();",
      "  await db.schema.createView('open_leads').orReplace().columns(['id']).as(sql`SELECT id FROM leads WHERE status = 'open'`).execute();",
      '}',
      'export async function down(db: Kysely<any>): Promise<void> {',
      "  await db.schema.dropView('lead_call_stats').materialized().ifExists().cascade().execute();",
      "  await db.schema.dropView('open_leads').execute();",
      '}',
    );
    const unit = unitOf(text);
    assert.deepEqual(unit.statements.map((s) => s.sql), [
      'CREATE MATERIALIZED VIEW "lead_call_stats" AS SELECT',
      'CREATE INDEX "idx_stats_lead" ON "lead_call_stats" ("lead_id")',
      `CREATE OR REPLACE VIEW "open_leads" ("id") AS SELECT id FROM leads WHERE status = 'open'`,
      'DROP MATERIALIZED VIEW IF EXISTS "lead_call_stats" CASCADE',
      'DROP VIEW "open_leads"',
    ]);
    assert.deepEqual(indexTargets(unit), [['public.lead_call_stats', true]]);
    assert.equal(unit.statements[0]!.interpolated, true, 'the query builder is not translated');
  });
});

describe('FP4: errors kept for a later throw are not swallowed', () => {
  const wrap = (body: string[]) => lines('exports.up = async function (knex) {', ...body, '};');

  test('`error = err` thrown after a "try the next constraint name" loop', () => {
    const text = wrap([
      '  let error;',
      "  for (const name of ['a_key', 'a_unique']) {",
      '    try {',
      '      await knex.raw(`ALTER TABLE a DROP CONSTRAINT ${name}`);',
      '      error = undefined;',
      '      break;',
      '    } catch (err) {',
      '      error = err;',
      '    }',
      '  }',
      '  if (error) throw error;',
    ]);
    assert.deepEqual(unitOf(text, 'm.js').swallowedCatches, []);
    // Without the throw, the error is swallowed after all.
    assert.equal(unitOf(text.replace('  if (error) throw error;\n', ''), 'm.js').swallowedCatches.length, 1);
  });

  test('errors collected with push and thrown as an AggregateError', () => {
    const text = wrap([
      '  const failures = [];',
      "  try { await knex.raw('DROP INDEX CONCURRENTLY IF EXISTS i1'); } catch (e) { failures.push(e); }",
      "  try { await knex.raw('DROP INDEX CONCURRENTLY IF EXISTS i2'); } catch (e) { failures.push(e); }",
      "  if (failures.length) throw new AggregateError(failures, 'drops failed');",
    ]);
    assert.deepEqual(unitOf(text, 'm.js').swallowedCatches, []);
    assert.equal(unitOf(text.replace("  if (failures.length) throw new AggregateError(failures, 'drops failed');\n", ''), 'm.js').swallowedCatches.length, 2);
  });

  test('a try that returns (or breaks out) on success, with a throw after the loop', () => {
    const returning = wrap([
      "  for (const name of ['a_key', 'a_unique']) {",
      '    try {',
      '      await knex.raw(`ALTER TABLE a DROP CONSTRAINT ${name}`);',
      '      return;',
      '    } catch (err) {',
      "      console.warn('trying the next name', err);",
      '    }',
      '  }',
      "  throw new Error('no constraint dropped');",
    ]);
    assert.deepEqual(unitOf(returning, 'm.js').swallowedCatches, []);
    const breaking = returning.replace('      return;', '      dropped = true;\n      break;').replace("  throw new Error('no constraint dropped');", "  if (!dropped) throw new Error('no constraint dropped');");
    assert.deepEqual(unitOf(`let dropped = false;\n${breaking}`, 'm.js').swallowedCatches, []);
    // No throw after the loop: every failure is swallowed.
    assert.equal(unitOf(returning.replace("  throw new Error('no constraint dropped');\n", ''), 'm.js').swallowedCatches.length, 1);
  });
});

describe('FP6: COMMIT inside the framework transaction', () => {
  test('COMMIT; CREATE INDEX CONCURRENTLY; BEGIN in TypeORM runs the index outside any transaction', () => {
    const text = lines(
      "import { MigrationInterface, QueryRunner } from 'typeorm';",
      'export class M1 implements MigrationInterface {',
      '  async up(q: QueryRunner) {',
      "    await q.query('COMMIT');",
      "    await q.query('CREATE INDEX CONCURRENTLY IF NOT EXISTS i ON t (x)');",
      "    await q.query('BEGIN');",
      '  }',
      '  async down(q: QueryRunner) {}',
      '}',
    );
    const unit = unitOf(text);
    assert.deepEqual(unit.statements.map((s) => [s.sql.split(' ')[0], s.context.transaction]), [
      ['COMMIT', 'framework'],
      ['CREATE', 'none'],
      ['BEGIN', 'none'],
    ]);
  });
});

describe('FP7: knex and Sequelize placeholders become PostgreSQL placeholders', () => {
  test('knex ? (value) and ?? (name), with the bindings known, and exact offsets around them', () => {
    const text = lines(
      'exports.up = async (knex) => {',
      "  await knex.raw('CREATE INDEX ?? ON ?? (tenant_id) WHERE status = ? AND tier > ?', ['idx_open', 'leads', 'open', 2]);",
      "  await knex.raw('UPDATE ?? SET payload = payload - ? WHERE payload \\\\? ?', [table, key, 'flag']);",
      '};',
    );
    const unit = unitOf(text, 'm.js');
    assert.deepEqual(unit.syntaxErrors, []);
    const index = statement(unit, 'CREATE INDEX');
    assert.equal(index.sql, `CREATE INDEX "idx_open" ON "leads" (tenant_id) WHERE status = 'open' AND tier > 2`);
    assert.equal(index.interpolated, false);
    assert.equal(slice(text, index.span), 'CREATE INDEX ?? ON ?? (tenant_id) WHERE status = ? AND tier > ?');
    // Edits between placeholders land in the literal, at the right place.
    const on = index.sql.indexOf(' ON ');
    assert.equal(text.slice(index.sqlToFile!(on)!, index.sqlToFile!(on)! + 4), ' ON ');
    assert.equal(index.sqlToFile!(index.sql.indexOf('"leads"') + 1), null, 'inside a placeholder');
    const update = statement(unit, 'UPDATE');
    // An unknown binding is the unit's placeholder for its expression; `\\?` is the jsonb operator.
    assert.match(update.sql, /^UPDATE "\$\{table\}" SET payload = payload - \$\d+ WHERE payload {2}\? 'flag'$/);
  });

  test('knex named bindings :name and :name:, only for keys of the bindings object', () => {
    const text = lines(
      'exports.up = async (knex) => {',
      "  await knex.raw('ALTER TABLE :table: ADD COLUMN x int DEFAULT :value', { table: 'leads', value: 1 });",
      "  await knex.raw('SELECT created_at::date, :other FROM leads', { value: 1 });",
      '};',
    );
    const unit = unitOf(text, 'm.js');
    assert.equal(statement(unit, 'ALTER TABLE').sql, 'ALTER TABLE "leads" ADD COLUMN x int DEFAULT 1');
    // `::date` is a cast; `:other` is no key: knex leaves both, and so does the parse (a syntax error, as at run time).
    assert.equal(unit.syntaxErrors.length, 1);
  });

  test('Sequelize replacements (:name, ?) and bind parameters ($name)', () => {
    const text = lines(
      'module.exports = {',
      '  async up(queryInterface) {',
      "    await queryInterface.sequelize.query('UPDATE leads SET status = :status WHERE id IN (:ids)', { replacements: { status: 'open', ids: [1, 2] } });",
      "    await queryInterface.sequelize.query('UPDATE leads SET tier = ? WHERE id = ?', { replacements: [3, leadId] });",
      "    await queryInterface.sequelize.query('UPDATE leads SET note = $note WHERE id = $1', { bind: { note: 'x' } });",
      "    await queryInterface.sequelize.query('SELECT :status');",
      '  },',
      '};',
    );
    const unit = unitOf(text, 'm.js');
    assert.deepEqual(unit.statements.slice(0, 3).map((s) => s.sql.replace(/\$\d+/g, '$n')), [
      "UPDATE leads SET status = 'open' WHERE id IN ($n)",
      'UPDATE leads SET tier = 3 WHERE id = $n',
      "UPDATE leads SET note = 'x' WHERE id = $n",
    ]);
    // Without replacements the text goes to PostgreSQL as written: a syntax error there, and here.
    assert.equal(unit.syntaxErrors.length, 1);
  });

  test('placeholders inside SQL strings and comments are left alone', () => {
    const text = lines('exports.up = async (knex) => {', "  await knex.raw(\"COMMENT ON TABLE leads IS 'who? what?' -- really?\\n\", []);", '};');
    const unit = unitOf(text, 'm.js');
    assert.deepEqual(unit.syntaxErrors, []);
    assert.equal(unit.statements[0]!.sql, "COMMENT ON TABLE leads IS 'who? what?'");
  });
});

describe('FN1 / FN2: transactions the code opens', () => {
  test('sequelize.transaction callbacks, { transaction: t } and knex.transaction under config.transaction = false', () => {
    const seq = unitOf(
      lines(
        'module.exports = {',
        '  async up(queryInterface) {',
        '    await queryInterface.sequelize.transaction(async (t) => {',
        "      await queryInterface.addIndex('leads', ['x'], { concurrently: true, transaction: t });",
        '    });',
        '  },',
        '};',
      ),
      'm.js',
    );
    assert.equal(seq.statements[0]!.context.transaction, 'code');
    const kx = unitOf(
      lines('exports.config = { transaction: false };', 'exports.up = async (knex) => {', "  await knex.transaction(async trx => trx.raw('CREATE INDEX CONCURRENTLY i ON t (x)'));", '};'),
      'm.js',
    );
    assert.deepEqual(kx.statements.map((s) => [s.context.inTransaction, s.context.transaction]), [[true, 'code']]);
  });
});

describe('transaction modes', () => {
  test('TypeORM: the reason says all pending migrations share one transaction; the switch has a caveat', () => {
    const text = lines(
      "import { MigrationInterface, QueryRunner } from 'typeorm';",
      'export class M1 implements MigrationInterface {',
      "  async up(q: QueryRunner) { await q.query('CREATE INDEX CONCURRENTLY i ON t (x)'); }",
      '  async down(q: QueryRunner) {}',
      '}',
    );
    const unit = unitOf(text);
    assert.equal(unit.wrapped.reason, 'TypeORM runs pending migrations in a transaction (by default all of them in one)');
    assert.match(unit.wrapped.switchCaveat ?? '', /ForbiddenTransactionModeOverrideError.*migrationsTransactionMode: 'each'/);
  });

  test("Kysely: the Migrator's one transaction for all pending migrations", () => {
    const unit = unitOf(lines("import { Kysely, sql } from 'kysely';", 'export async function up(db: Kysely<any>) {', '  await sql`SELECT 1`.execute(db);', '}'));
    assert.match(unit.wrapped.reason, /all pending migrations in one transaction/);
  });
});

describe('Kysely edits: the file\'s semicolon style, no duplicate import', () => {
  const LOCK = "SET lock_timeout = '5s'";

  test('`sql` imported by a second kysely import is used, not imported again', () => {
    const text = lines(
      "import { Kysely } from 'kysely';",
      "import { sql } from 'kysely';",
      'export async function up(db: Kysely<any>) {',
      "  await db.schema.createIndex('i').on('t').column('x').execute();",
      '}',
    );
    const unit = unitOf(text);
    const fixed = applyEdits(text, unit.edits.replaceWithRawQuery!(unit.statements[0]!, 'CREATE INDEX CONCURRENTLY i ON t (x)'));
    assert.equal(fixed, text.replace("db.schema.createIndex('i').on('t').column('x').execute()", 'sql`CREATE INDEX CONCURRENTLY i ON t (x)`.execute(db)'));
  });

  test('an alias of sql is used; a file without semicolons gets none', () => {
    const text = lines("import type { Kysely } from 'kysely'", "import { sql as q } from 'kysely'", 'export async function up(db: Kysely<any>) {', "  await db.schema.alterTable('t').addColumn('x', 'integer').execute()", '}');
    const unit = unitOf(text);
    const fixed = applyEdits(text, unit.edits.insertStatementBefore!(unit.statements[0]!, LOCK));
    assert.equal(fixed, text.replace('  await db.schema', `  await q\`${LOCK}\`.execute(db)\n  await db.schema`));
    assert.equal(unitOf(fixed).statements[0]!.sql, LOCK, 'the aliased tag is a query too');
  });

  test('a new import line after a type-only import, without a semicolon in a file without them', () => {
    const text = lines("import type { Kysely } from 'kysely'", 'export async function up(db: Kysely<any>) {', "  await db.schema.alterTable('t').addColumn('x', 'integer').execute()", '}');
    const unit = unitOf(text);
    const fixed = applyEdits(text, unit.edits.insertStatementBefore!(unit.statements[0]!, LOCK));
    assert.equal(fixed, lines("import type { Kysely } from 'kysely'", "import { sql } from 'kysely'", 'export async function up(db: Kysely<any>) {', `  await sql\`${LOCK}\`.execute(db)`, "  await db.schema.alterTable('t').addColumn('x', 'integer').execute()", '}'));
  });
});

describe('SETs a pool would send to another connection', () => {
  const LOCK = "SET lock_timeout = '5s'";
  test('knex without its transaction, kysely outside the Migrator\'s transaction: no insertion', () => {
    const kx = unitOf(lines('exports.config = { transaction: false };', 'exports.up = async (knex) => {', "  await knex.raw('ALTER TABLE t ADD COLUMN x int');", '};'), 'm.js');
    assert.equal(kx.edits.insertStatementBefore!(kx.statements[0]!, LOCK), null);
    const ky = unitOf(lines("import { Kysely } from 'kysely';", 'export async function up(db: Kysely<any>) {', "  await db.schema.alterTable('t').addColumn('x', 'integer').execute();", '}'), 'm.ts', { assumeInTransaction: false });
    assert.equal(ky.edits.insertStatementBefore!(ky.statements[0]!, LOCK), null);
    const pool = unitOf(lines("const { Pool } = require('pg');", 'const db = new Pool();', 'exports.up = async () => {', "  await db.query('ALTER TABLE t ADD COLUMN x int');", '};'), 'm.js');
    assert.equal(pool.edits.insertStatementBefore!(pool.statements[0]!, LOCK), null, 'a variable holding a new Pool() is a pool whatever its name');
  });
});

describe('no-idle-in-transaction fix edits', () => {
  test('the wrapped code no longer leaks, and fixing is idempotent', () => {
    const text = lines(
      "const { Client } = require('pg');",
      'exports.up = async () => {',
      '  const client = new Client();',
      '  await client.connect();',
      "  await client.query('BEGIN');",
      "  const { rows } = await client.query('SELECT id FROM leads LIMIT 1');",
      "  await client.query('UPDATE leads SET x = 1');",
      '  console.log(rows);',
      '};',
    );
    const unit = unitOf(text, 'm.js');
    const s = unit.sessions[0]!;
    assert.ok(s.leak && s.fix);
    const fixed = applyEdits(text, s.fix.edits);
    assert.equal(
      fixed,
      lines(
        "const { Client } = require('pg');",
        'exports.up = async () => {',
        '  const client = new Client();',
        '  try {',
        '    await client.connect();',
        "    await client.query('BEGIN');",
        "    const { rows } = await client.query('SELECT id FROM leads LIMIT 1');",
        "    await client.query('UPDATE leads SET x = 1');",
        '    console.log(rows);',
        "    await client.query('COMMIT');",
        '  } catch (err) {',
        "    await client.query('ROLLBACK');",
        '    throw err;',
        '  } finally {',
        '    await client.end();',
        '  }',
        '};',
      ),
      'a new Client ends rather than releases; `rows`, used after the last query, stays in scope; the missing COMMIT goes last',
    );
    assert.deepEqual(unitOf(fixed, 'm.js').sessions.map((x) => x.leak), [null]);
  });

  test('no fix where a release sits inside other code (it would run twice)', () => {
    const text = lines(
      'exports.up = async (pool) => {',
      '  const client = await pool.connect();',
      "  await client.query('BEGIN');",
      "  await client.query('UPDATE leads SET x = 1');",
      "  if (done) { await client.query('COMMIT'); client.release(); }",
      '};',
    );
    const s = unitOf(text, 'm.js').sessions[0]!;
    assert.ok(s.leak);
    assert.equal(s.fix, undefined);
  });
});

describe('no-idle-in-transaction fix: early exits', () => {
  test('an exit in a one-line block, and one without a block, roll back first', () => {
    const text = lines(
      'exports.up = async (pool) => {',
      '  const client = await pool.connect();',
      "  await client.query('BEGIN');",
      "  const { rows } = await client.query('SELECT id FROM leads WHERE x IS NULL LIMIT 1');",
      '  if (rows.length === 0) { return; }',
      '  if (rows.length > 100) return;',
      "  await client.query('UPDATE leads SET x = 1 WHERE x IS NULL');",
      "  await client.query('COMMIT');",
      '  client.release();',
      '};',
    );
    const s = unitOf(text, 'm.js').sessions[0]!;
    const fixed = applyEdits(text, s.fix!.edits);
    assert.equal(
      fixed,
      lines(
        'exports.up = async (pool) => {',
        '  const client = await pool.connect();',
        '  try {',
        "    await client.query('BEGIN');",
        "    const { rows } = await client.query('SELECT id FROM leads WHERE x IS NULL LIMIT 1');",
        "    if (rows.length === 0) { await client.query('ROLLBACK'); return; }",
        "    if (rows.length > 100) { await client.query('ROLLBACK'); return; }",
        "    await client.query('UPDATE leads SET x = 1 WHERE x IS NULL');",
        "    await client.query('COMMIT');",
        '  } catch (err) {',
        "    await client.query('ROLLBACK');",
        '    throw err;',
        '  } finally {',
        '    client.release();',
        '  }',
        '};',
      ),
    );
    assert.deepEqual(unitOf(fixed, 'm.js').sessions.map((x) => x.leak), [null]);
  });
});
