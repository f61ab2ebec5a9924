/**
 * The `pgVersion` setting: statements the target version lacks are located
 * syntax errors, and lock levels that changed follow the version.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { DEFAULT_SETTINGS } from '../src/core/rule.js';
import { lockSentence } from '../src/sql/describe.js';
import { locksOf } from '../src/sql/locks.js';
import { initSqlParser, parseSql } from '../src/sql/parse.js';
import { missingOn, VERSIONED_STATEMENTS } from '../src/sql/versions.js';
import { lint } from './support/lint.js';

await initSqlParser();
const node = (sql: string) => {
  const p = parseSql(sql);
  assert.equal(p.error, null, sql);
  return p.statements[0]!.node;
};

/** A statement using each versioned form, by form. */
const SAMPLES: Record<string, string> = {
  'REINDEX ... CONCURRENTLY': 'REINDEX INDEX CONCURRENTLY idx_leads_phone',
  'ALTER TABLE ... DETACH PARTITION ... CONCURRENTLY': 'ALTER TABLE call_log DETACH PARTITION call_log_2020 CONCURRENTLY',
  'ALTER TABLE ... DETACH PARTITION ... FINALIZE': 'ALTER TABLE call_log DETACH PARTITION call_log_2020 FINALIZE',
  'ALTER TABLE ... ALTER COLUMN ... DROP EXPRESSION': 'ALTER TABLE leads ALTER COLUMN full_name DROP EXPRESSION',
  'ALTER TABLE ... ALTER COLUMN ... SET COMPRESSION': 'ALTER TABLE leads ALTER COLUMN notes SET COMPRESSION lz4',
  'ALTER TABLE ... ALTER COLUMN ... SET EXPRESSION': "ALTER TABLE leads ALTER COLUMN full_name SET EXPRESSION AS (first_name || ' ' || last_name)",
  'CREATE INDEX ... NULLS NOT DISTINCT': 'CREATE UNIQUE INDEX CONCURRENTLY idx_leads_email ON leads (email) NULLS NOT DISTINCT',
  'ALTER DOMAIN ... ADD NOT NULL': 'ALTER DOMAIN email_address ADD CONSTRAINT email_address_not_null NOT NULL',
  MERGE: 'MERGE INTO leads l USING imports i ON l.id = i.id WHEN NOT MATCHED THEN INSERT (id) VALUES (i.id)',
};

describe('statements a version does not have', () => {
  test('the default target is PostgreSQL 15', () => {
    assert.equal(DEFAULT_SETTINGS.pgVersion, 15);
  });
  for (const f of VERSIONED_STATEMENTS) {
    test(`${f.form}: missing before ${f.since}, present from it`, () => {
      const sql = SAMPLES[f.form];
      assert.ok(sql, `a sample for ${f.form}`);
      assert.equal(missingOn(node(sql), f.since - 1)?.form, f.form);
      assert.equal(missingOn(node(sql), f.since), null);
      assert.ok(f.keyword.test(sql), 'its keyword is in the sample, to place the diagnostic');
    });
  }
  test('forms that exist everywhere are not reported', () => {
    for (const sql of ['REINDEX INDEX idx_leads_phone', 'ALTER TABLE call_log DETACH PARTITION call_log_2020', 'CREATE UNIQUE INDEX i ON leads (email)', 'DROP INDEX CONCURRENTLY i']) {
      assert.equal(missingOn(node(sql), 10), null, sql);
    }
  });
  test('a syntax error at the keyword, naming the versions; none on a version that has it', () => {
    const sql = '-- שלום 🎉\nREINDEX TABLE CONCURRENTLY leads;\n';
    const on11 = lint('m.sql', sql, { rules: [], config: { pgVersion: 11 } });
    assert.deepEqual(
      on11.map((f) => `${f.line}:${f.column} ${f.ruleId} ${f.message}`),
      ['2:15 syntax-error Syntax error: REINDEX ... CONCURRENTLY does not exist before PostgreSQL 12 (pgVersion is 11; sql-reindex.html#SQL-REINDEX-CONCURRENTLY).'],
    );
    assert.deepEqual(lint('m.sql', sql, { rules: [], config: { pgVersion: 12 } }), []);
    assert.deepEqual(lint('m.sql', sql, { rules: [] }), []);
  });
  test('in TypeScript, at the keyword inside the query string', () => {
    const text = "export async function up(knex) {\n  await knex.raw('MERGE INTO leads l USING imports i ON l.id = i.id WHEN MATCHED THEN DELETE');\n}\n";
    const found = lint('m.js', text, { rules: [], config: { pgVersion: 14 } });
    assert.deepEqual(found.map((f) => `${f.line}:${f.column} ${f.ruleId}`), ['2:19 syntax-error']);
    assert.match(found[0]!.message, /MERGE does not exist before PostgreSQL 15 \(pgVersion is 14/);
  });
});

describe('locks that changed between versions', () => {
  const lock = (sql: string, v: number) => locksOf(node(sql), v).map((l) => `${l.relation}:${l.mode}`);
  test('ATTACH PARTITION: ACCESS EXCLUSIVE on the partitioned table before 12, SHARE UPDATE EXCLUSIVE from 12; the partition ACCESS EXCLUSIVE always', () => {
    const sql = "ALTER TABLE call_log ATTACH PARTITION call_log_2027 FOR VALUES FROM ('2027-01-01') TO ('2028-01-01')";
    assert.deepEqual(lock(sql, 11), ['call_log:ACCESS EXCLUSIVE', 'call_log_2027:ACCESS EXCLUSIVE']);
    assert.deepEqual(lock(sql, 12), ['call_log:SHARE UPDATE EXCLUSIVE', 'call_log_2027:ACCESS EXCLUSIVE']);
  });
  test('ALTER INDEX ... RENAME: ACCESS EXCLUSIVE before 12, SHARE UPDATE EXCLUSIVE from 12', () => {
    assert.deepEqual(lock('ALTER INDEX idx RENAME TO idx2', 11), ['idx:ACCESS EXCLUSIVE']);
    assert.deepEqual(lock('ALTER INDEX idx RENAME TO idx2', 12), ['idx:SHARE UPDATE EXCLUSIVE']);
  });
  test('for an index, what its table gets is said as pg_locks shows it (test/sql-locks.test.ts)', () => {
    const say = (sql: string) => locksOf(node(sql), 15).map(lockSentence);
    assert.deepEqual(say('DROP INDEX i'), ['DROP INDEX takes an ACCESS EXCLUSIVE lock on index "i" and its table, which blocks all reads and writes']);
    assert.deepEqual(say('REINDEX INDEX i'), ['REINDEX takes an ACCESS EXCLUSIVE lock on index "i" and a SHARE lock on its table, which blocks all reads and writes']);
    assert.deepEqual(say('ALTER INDEX i RENAME TO j'), ['ALTER INDEX ... RENAME takes a SHARE UPDATE EXCLUSIVE lock on index "i", which blocks neither reads nor writes']);
    assert.deepEqual(say('ALTER INDEX i SET TABLESPACE x'), ['ALTER INDEX ... SET TABLESPACE takes a SHARE UPDATE EXCLUSIVE lock on index "i" (and possibly its table), which blocks neither reads nor writes']);
  });
  test('names are SQL: a quoted name keeps its quotes', () => {
    assert.deepEqual(lock('ALTER TABLE audit."Leads" ADD COLUMN x int', 15), ['audit."Leads":ACCESS EXCLUSIVE']);
  });
});
