/**
 * slonik's `createPool(url, options)`: the timeouts it opens every connection with are settings
 * in force, and options miglint cannot read, or interceptors that may rewrite the queries or set
 * settings on each connection, are located "not analysed" findings rather than silence.
 */
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { lint } from '../support/lint.js';
import { initSqlParser, lines, slice, unitOf } from './support.js';

before(async () => {
  await initSqlParser();
});

/** A slonik migration on a pool it creates with `options` (the text of the second argument, or none), after `head` lines. */
const migration = (options: string | null, ...head: string[]) =>
  lines(
    "import { createPool, sql } from 'slonik';",
    ...head,
    'export async function up(): Promise<void> {',
    `  const pool = await createPool(process.env.DATABASE_URL ?? ''${options === null ? '' : `, ${options}`});`,
    "  await pool.query(sql.unsafe`SET lock_timeout = '5s'`);",
    '  await pool.query(sql.unsafe`ALTER TABLE leads ALTER COLUMN city SET NOT NULL`);',
    '  await pool.end();',
    '}',
  );

const settings = (text: string) => (unitOf(text).clientSettings ?? []).map((s) => `${s.name}=${s.value}`);
const notes = (text: string) => {
  const unit = unitOf(text);
  return unit.unanalysed.map((u) => `${slice(text, u.span)}: ${u.message}`);
};

describe('slonik pool options', () => {
  test("the defaults, a literal, and a same-file const (of the options or of the number) are read", () => {
    assert.deepEqual(settings(migration(null)), ['statement_timeout=60000ms', 'idle_in_transaction_session_timeout=60000ms']);
    assert.deepEqual(settings(migration('{ statementTimeout: 30_000 }')), ['statement_timeout=30000ms', 'idle_in_transaction_session_timeout=60000ms']);
    assert.deepEqual(settings(migration('poolOptions', "const poolOptions = { statementTimeout: 'DISABLE_TIMEOUT', idleInTransactionSessionTimeout: 5000 };")), ['idle_in_transaction_session_timeout=5000ms']);
    assert.deepEqual(settings(migration('{ statementTimeout: TIMEOUT }', 'const TIMEOUT = 15000;')), ['statement_timeout=15000ms', 'idle_in_transaction_session_timeout=60000ms']);
    assert.deepEqual(notes(migration('{ statementTimeout: 30_000, typeParsers: [], captureStackTrace: true }')), [], 'type parsers and the rest change nothing a rule says');
  });

  test('options miglint cannot read: a located note, and the statement timeout is not taken as set', () => {
    const text = migration('config.pool', "import { config } from './config';");
    assert.deepEqual(settings(text), []);
    const [note] = notes(text);
    assert.match(note!, /^config\.pool: Not analysed: the options of this createPool\(\.\.\.\) are `config\.pool`, which miglint cannot read/);
    const found = lint('m.ts', text).map((f) => f.ruleId);
    assert.ok(found.includes('unanalyzable-statement') && found.includes('require-statement-timeout'), found.join(', '));
    assert.match(notes(migration('{ ...base, statementTimeout: 1000 }', 'declare const base: object;'))[0]!, /^\.\.\.base: Not analysed: the options of this createPool\(\.\.\.\) spreads `\.\.\.base`/);
  });

  test('interceptors that may rewrite the queries or set settings are located notes; logging and row transformation are not', () => {
    const harmless = "{ interceptors: [createQueryLoggingInterceptor(), createFieldNameTransformationInterceptor({ format: 'CAMEL_CASE' }), { transformRow: (_c, _q, row) => row }] }";
    assert.deepEqual(notes(migration(harmless)), []);
    const rewriting = migration("{ interceptors: [{ afterPoolConnection: async (_c, connection) => { await connection.query(sql.unsafe`SET lock_timeout = '1s'`); return null; } }, tenantInterceptor()] }");
    assert.deepEqual(
      notes(rewriting).map((n) => n.replace(/; an interceptor's.*/, '')),
      ["{ afterPoolConnection: async (_c, connection) => { await connection.query(sql.unsafe`SET lock_timeout = '1s'`); return null; } }: Not analysed: the pool's interceptor defines `afterPoolConnection`", "tenantInterceptor(): Not analysed: the pool's interceptor `tenantInterceptor()` is not one miglint knows"],
    );
    assert.match(notes(migration('{ interceptors }', "import { interceptors } from './db';"))[0]!, /^interceptors: Not analysed: the pool's interceptor list `interceptors` cannot be read/);
    assert.deepEqual(notes(migration('{ interceptors: LIST }', 'const LIST = [{ transformQuery: (_c, q) => q }];')).map((n) => n.slice(0, n.indexOf(': Not analysed'))), ['{ transformQuery: (_c, q) => q }']);
  });
});
