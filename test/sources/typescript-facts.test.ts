/**
 * Code facts of the TypeScript/JavaScript frontend: hand-opened sessions and
 * whether every path closes them (no-idle-in-transaction), and catch handlers
 * that swallow DDL errors (no-swallowed-ddl-error).
 */
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import type { SessionFact } from '../../src/core/unit.js';
import { initSqlParser, lines, slice, unitOf } from './support.js';

before(async () => {
  await initSqlParser();
});

function onlySession(text: string, file = 'm.js'): { s: SessionFact; text: string } {
  const unit = unitOf(text, file);
  assert.equal(unit.sessions.length, 1, JSON.stringify(unit.sessions));
  return { s: unit.sessions[0]!, text };
}

const CHECK = `"SELECT 1 FROM pg_constraint WHERE conname = 'unique_run_lead'"`;

describe('sessions', () => {
  test('never closed: the canonical catalog check on a session left idle in transaction', () => {
    const { s, text } = onlySession(
      lines(
        'exports.up = async (pgm) => {',
        '  const client = await pool.connect();',
        "  await client.query('BEGIN');",
        `  const { rows } = await client.query(${CHECK});`,
        '  if (rows.length) return;',
        "  pgm.addConstraint('jobs', 'unique_run_lead', { unique: ['run_id', 'lead_id'] });",
        '};',
      ),
    );
    assert.equal(s.name, 'client');
    assert.equal(s.kind, 'pool-client');
    assert.equal(s.inTransaction, true);
    assert.equal(slice(text, s.span), 'client = await pool.connect()');
    assert.deepEqual(s.leak && { path: s.leak.path, state: s.leak.state }, { path: 'never-closed', state: 'idle in transaction' });
    assert.equal(slice(text, s.checkQuery!), `client.query(${CHECK})`);
  });

  test('early exit: a return between BEGIN and COMMIT', () => {
    const { s, text } = onlySession(
      lines(
        'module.exports.up = async (pool) => {',
        '  const client = await pool.connect();',
        "  await client.query('BEGIN');",
        `  const { rows } = await client.query(${CHECK});`,
        '  if (rows.length) return;',
        "  await client.query('ALTER TABLE jobs ADD CONSTRAINT unique_run_lead UNIQUE (run_id, lead_id)');",
        "  await client.query('COMMIT');",
        '  client.release();',
        '};',
      ),
    );
    assert.equal(s.leak?.path, 'early-exit');
    assert.equal(slice(text, s.leak!.span), 'return;');
    assert.equal(s.leak?.state, 'idle in transaction');
    assert.ok(s.checkQuery);
  });

  test('throw path: an awaited call between open and close outside any try', () => {
    const { s, text } = onlySession(
      lines(
        'exports.up = async function (knex) {',
        '  const trx = await knex.transaction();',
        "  await trx.raw('ALTER TABLE t ADD COLUMN x int');",
        '  await trx.commit();',
        '};',
      ),
    );
    assert.equal(s.kind, 'knex-transaction');
    assert.equal(s.leak?.path, 'throw-path');
    assert.equal(slice(text, s.leak!.span), "trx.raw('ALTER TABLE t ADD COLUMN x int')");
    assert.equal(s.leak?.state, 'idle in transaction');
    assert.equal(s.checkQuery, undefined);
  });

  test('a client checked out and never released is left idle (no transaction)', () => {
    const { s } = onlySession(lines('exports.up = async () => {', '  const client = await pool.connect();', "  await client.query('CREATE INDEX CONCURRENTLY i ON t (x)');", '};'));
    assert.equal(s.inTransaction, false);
    assert.deepEqual(s.leak && { path: s.leak.path, state: s.leak.state }, { path: 'never-closed', state: 'idle' });
  });

  test('safe: commit in try, rollback in catch, release in finally', () => {
    const { s } = onlySession(
      lines(
        'module.exports.up = async (pool) => {',
        '  const client = await pool.connect();',
        '  try {',
        "    await client.query('BEGIN');",
        "    await client.query('ALTER TABLE t ADD COLUMN x int');",
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
    assert.equal(s.inTransaction, true);
    assert.equal(s.leak, null);
  });

  test('a query runner closed in finally covers the return inside the try, not the await before it', () => {
    const { s } = onlySession(
      lines(
        'export class M implements MigrationInterface {',
        '  async up(queryRunner: QueryRunner) {',
        '    const qr = queryRunner.connection.createQueryRunner();',
        '    await qr.startTransaction();',
        '    try {',
        `      const found = await qr.query(${CHECK});`,
        '      if (found.length) return;',
        '      await qr.commitTransaction();',
        '    } finally {',
        '      if (qr.isTransactionActive) await qr.rollbackTransaction();',
        '      await qr.release();',
        '    }',
        '  }',
        '}',
      ),
      'm.ts',
    );
    assert.equal(s.kind, 'query-runner');
    // startTransaction is awaited before the try: if it throws, the runner is not released.
    assert.equal(s.leak?.path, 'throw-path');
    assert.equal(s.leak?.state, 'idle');
  });

  test('the runner opened inside the try; a managed knex transaction is no session at all', () => {
    const unitText = lines(
        'export async function up(knex: Knex, dataSource: DataSource) {',
        '  let qr;',
        '  try {',
        '    qr = dataSource.createQueryRunner();',
        '    await qr.startTransaction();',
        "    await qr.query('ALTER TABLE t ADD COLUMN x int');",
        '    await qr.commitTransaction();',
        '  } finally {',
        '    await qr.release();',
        '  }',
        "  await knex.transaction(async (trx) => { await trx.raw('ALTER TABLE t ADD COLUMN y int'); });",
        '}',
    );
    const unit = unitOf(unitText);
    assert.equal(unit.sessions.length, 1);
    const s = unit.sessions[0]!;
    assert.equal(s.name, 'qr');
    // release() in finally covers every path; the commit at the end of the try has no
    // rollback in a catch, so a failing query leaves the transaction open.
    assert.equal(s.leak?.path, 'throw-path');
    assert.equal(slice(unitText, s.leak!.span), "qr.query('ALTER TABLE t ADD COLUMN x int')");
    assert.equal(s.leak?.state, 'idle in transaction');
  });

  test('Sequelize: a query run on the transaction through `{ transaction: t }`', () => {
    const text = lines(
      'module.exports = {',
      '  async up(queryInterface) {',
      '    const t = await queryInterface.sequelize.transaction();',
      '    try {',
      `      await queryInterface.sequelize.query(${CHECK}, { transaction: t });`,
      '      await t.commit();',
      '    } catch (e) {',
      '      await t.rollback();',
      '      throw e;',
      '    }',
      '  },',
      '};',
    );
    const { s } = onlySession(text);
    assert.equal(s.kind, 'sequelize-transaction');
    assert.equal(s.leak, null);
    assert.equal(slice(text, s.checkQuery!), `queryInterface.sequelize.query(${CHECK}, { transaction: t })`);
  });
});

describe('swallowed catches', () => {
  const around = (catchLines: string[]) =>
    lines(
      'exports.up = async function (knex) {',
      '  try {',
      "    await knex.raw('CREATE TABLE calendars (id serial PRIMARY KEY)');",
      "    await knex.raw('SELECT 1');",
      ...catchLines,
      '};',
    );

  test('a catch that only logs is reported, with where a rethrow goes', () => {
    const text = around(['  } catch (err) {', "    console.error('failed, continuing', err);", '  }']);
    const unit = unitOf(text, 'm.js');
    assert.equal(unit.swallowedCatches.length, 1);
    const c = unit.swallowedCatches[0]!;
    assert.equal(slice(text, c.span), "catch (err) {\n    console.error('failed, continuing', err);\n  }");
    assert.deepEqual(c.ddl.map((d) => slice(text, d)), ['CREATE TABLE calendars (id serial PRIMARY KEY)']);
    assert.equal(text[c.rethrow!.offset], '}');
    assert.deepEqual({ ...c.rethrow, offset: 0 }, { offset: 0, errorName: 'err', indent: '    ', semicolons: true });
  });

  test('rethrowing, exiting non-zero or passing the error on is handling', () => {
    for (const handler of [
      ['  } catch (err) {', '    console.error(err);', '    throw err;', '  }'],
      ['  } catch (err) {', '    console.error(err);', '    process.exit(1);', '  }'],
      ['  } catch (err) {', '    process.exitCode = 1;', '  }'],
      ['  } catch (err) {', '    return Promise.reject(err);', '  }'],
      ['  } catch (err) {', '    done(err);', '  }'],
    ]) {
      assert.deepEqual(unitOf(around(handler), 'm.js').swallowedCatches, [], handler.join('\n'));
    }
    assert.equal(unitOf(around(['  } catch (err) {', '    process.exit(0);', '  }']), 'm.js').swallowedCatches.length, 1, 'exit 0 is success');
    const bare = unitOf(around(['  } catch {', '    // ignore', '  }']), 'm.js').swallowedCatches;
    assert.equal(bare.length, 1);
    assert.equal(bare[0]!.rethrow?.errorName, null);
  });

  test('a catch around queries that are not DDL is not reported', () => {
    const text = lines('exports.up = async (knex) => {', '  try {', "    await knex.raw('UPDATE t SET x = 1');", '  } catch (e) {', '    console.log(e);', '  }', '};');
    assert.deepEqual(unitOf(text, 'm.js').swallowedCatches, []);
  });

  test('builder DDL in the try counts; .catch() handlers are checked too', () => {
    const text = lines(
      'exports.up = (pgm) => {',
      '  try {',
      "    pgm.createIndex('t', 'x');",
      '  } catch (e) { console.warn(e) }',
      '};',
      'exports.down = async (knex) => {',
      "  await knex.raw('DROP TABLE t').catch((e) => {",
      '    console.log(e);',
      '  });',
      "  await knex.raw('DROP TABLE u').catch((e) => console.log(e));",
      "  await knex.raw('DROP TABLE v').catch((e) => { throw e; });",
      '};',
    );
    const unit = unitOf(text, 'm.js');
    assert.deepEqual(
      unit.swallowedCatches.map((c) => [slice(text, c.span).split('\n')[0], c.ddl.length, c.rethrow?.errorName ?? null]),
      [
        ['catch (e) { console.warn(e) }', 1, 'e'],
        ['catch((e) => {', 1, 'e'],
        ['catch((e) => console.log(e))', 1, null],
      ],
    );
    assert.equal(unit.swallowedCatches[2]!.rethrow, null, 'an expression body has nowhere to put a rethrow');
    assert.equal(unit.swallowedCatches[1]!.rethrow?.indent, '    ');
  });
});
