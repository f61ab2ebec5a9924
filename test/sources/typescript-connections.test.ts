/**
 * Connection and transaction identity comes from the code (the callback, the
 * declaration of the binding), never from a display label: two
 * `knex.transaction(cb)` blocks are two transactions, two `client`s of two
 * functions are two sessions.
 */
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { connectionKey } from '../../src/sql/context.js';
import { lint } from '../support/lint.js';
import { initSqlParser, lines, statement, unitOf } from './support.js';

before(async () => {
  await initSqlParser();
});

const twoBlocks = (config: string, set: string) =>
  lines(
    config,
    'exports.up = async function (knex) {',
    '  await knex.transaction(async (trx) => {',
    `    await trx.raw("${set} lock_timeout = '5s'");`,
    "    await trx.raw('ALTER TABLE leads ADD COLUMN a int');",
    '  });',
    '  await knex.transaction(async (trx) => {',
    "    await trx.raw('ALTER TABLE calls ADD COLUMN b int');",
    '  });',
    '};',
  );

describe('connection identity', () => {
  test('two knex.transaction(cb) blocks with the same label are two transactions; one block is one', () => {
    const unit = unitOf(twoBlocks('exports.config = { transaction: false };', 'SET LOCAL'), 'migration.js');
    const [set, first, second] = [statement(unit, 'SET LOCAL'), statement(unit, 'ALTER TABLE leads'), statement(unit, 'ALTER TABLE calls')];
    assert.equal(first.codeTransaction, second.codeTransaction, 'the same label for messages');
    assert.equal(connectionKey(set), connectionKey(first));
    assert.notEqual(connectionKey(first), connectionKey(second));
    assert.equal(first.context.lockTimeoutSet, true);
    assert.equal(second.context.lockTimeoutSet, false, "the first block's SET LOCAL ended with its transaction");
  });

  test('a SET LOCAL or a session SET in the first block does not hide the second block from require-lock-timeout', () => {
    for (const set of ['SET LOCAL', 'SET']) {
      const findings = lint('migration.js', twoBlocks('exports.config = { transaction: false };', set), { rules: ['require-lock-timeout'] });
      assert.deepEqual(findings.map((f) => `${f.line} ${f.ruleId}`), ['8 require-lock-timeout'], set);
    }
  });

  test("inside knex's own transaction the blocks are savepoints of it, so a SET LOCAL holds until it commits", () => {
    const findings = lint('migration.js', twoBlocks('', 'SET LOCAL'), { rules: ['require-lock-timeout'] });
    assert.deepEqual(findings, []);
  });

  test('two clients checked out in two functions are two sessions', () => {
    const text = lines(
      "const { Pool } = require('pg');",
      'const pool = new Pool();',
      'async function first() {',
      '  const client = await pool.connect();',
      "  await client.query(\"SET lock_timeout = '5s'\");",
      "  await client.query('ALTER TABLE leads ADD COLUMN a int');",
      '  client.release();',
      '}',
      'async function second() {',
      '  const client = await pool.connect();',
      "  await client.query('ALTER TABLE calls ADD COLUMN b int');",
      '  client.release();',
      '}',
      'exports.up = async function () {',
      '  await first();',
      '  await second();',
      '};',
    );
    const unit = unitOf(text, 'migration.js');
    const [first, second] = [statement(unit, 'ALTER TABLE leads'), statement(unit, 'ALTER TABLE calls')];
    assert.match(connectionKey(first), /^session:client@\d+$/);
    assert.notEqual(connectionKey(first), connectionKey(second));
    assert.equal(first.context.lockTimeoutSet, true);
    assert.equal(second.context.lockTimeoutSet, false);
  });
});
