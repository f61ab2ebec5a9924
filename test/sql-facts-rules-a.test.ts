/** Facts of src/sql/maintenance.ts and src/sql/robust.ts, read from libpg-query's nodes. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { defaultPartitionParent, domainFact, enumValueAdded, refreshFact, reindexFact, vacuumFact } from '../src/sql/maintenance.js';
import { robustnessGaps } from '../src/sql/robust.js';
import { initSqlParser, parseSql } from '../src/sql/parse.js';

await initSqlParser();

function node(sql: string) {
  const r = parseSql(sql);
  assert.equal(r.errors.length, 0, sql);
  return r.statements[0]!.node;
}

test('REINDEX: target, concurrency and where CONCURRENTLY goes', () => {
  const sql = 'REINDEX (VERBOSE) TABLE leads';
  const r = reindexFact(node(sql), sql)!;
  assert.equal(r.target, 'table');
  assert.equal(r.concurrently, false);
  assert.equal(sql.slice(0, r.concurrentlyAt!), 'REINDEX (VERBOSE) TABLE');
  assert.equal(reindexFact(node('REINDEX INDEX CONCURRENTLY i'), 'REINDEX INDEX CONCURRENTLY i')!.concurrently, true);
  assert.equal(reindexFact(node('REINDEX SYSTEM'), 'REINDEX SYSTEM')!.concurrentlyAt, null);
  assert.equal(reindexFact(node('VACUUM t'), 'VACUUM t'), null);
});

test('VACUUM FULL, but not FULL false or ANALYZE', () => {
  assert.deepEqual(vacuumFact(node('VACUUM (FULL, ANALYZE) leads'))?.full, true);
  assert.equal(vacuumFact(node('VACUUM (FULL false) leads'))?.full, false);
  assert.equal(vacuumFact(node('VACUUM FULL'))?.relations.length, 0);
  assert.equal(vacuumFact(node('ANALYZE leads')), null);
});

test('REFRESH, domains, ADD VALUE and default partitions', () => {
  assert.deepEqual(refreshFact(node('REFRESH MATERIALIZED VIEW v WITH NO DATA')), { view: { schema: null, name: 'v' }, concurrently: false, noData: true });
  assert.equal(domainFact(node("CREATE DOMAIN d AS text CHECK (VALUE ~ '@')"))?.constraints[0]?.kind, 'check');
  assert.equal(domainFact(node('ALTER DOMAIN d ADD CONSTRAINT c CHECK (VALUE > 0) NOT VALID'))?.constraints[0]?.notValid, true);
  assert.equal(domainFact(node('ALTER DOMAIN d SET NOT NULL'))?.action, 'set-not-null');
  assert.equal(domainFact(node('ALTER DOMAIN d DROP NOT NULL'))?.action, 'alter-other');
  assert.equal(enumValueAdded(node("ALTER TYPE e ADD VALUE 'x'"))?.value, 'x');
  assert.equal(enumValueAdded(node("ALTER TYPE e RENAME VALUE 'x' TO 'y'")), null);
  assert.equal(defaultPartitionParent(node('CREATE TABLE d PARTITION OF p DEFAULT'))?.name, 'p');
  assert.equal(defaultPartitionParent(node('ALTER TABLE p ATTACH PARTITION d DEFAULT'))?.name, 'p');
  assert.equal(defaultPartitionParent(node("CREATE TABLE d PARTITION OF p FOR VALUES IN ('a')")), null);
});

test('IF [NOT] EXISTS gaps and their insertion points', () => {
  const at = (sql: string) => robustnessGaps(node(sql), sql).map((g) => `${g.form}|${g.missing}|${g.at === null ? 'null' : sql.slice(0, g.at)}`);
  assert.deepEqual(at('CREATE UNLOGGED TABLE t (id int)'), ['CREATE TABLE|IF NOT EXISTS|CREATE UNLOGGED TABLE']);
  assert.deepEqual(at('CREATE TEMP TABLE t (id int)'), []);
  assert.deepEqual(at('CREATE UNIQUE INDEX CONCURRENTLY i ON t (a)'), ['CREATE INDEX CONCURRENTLY|IF NOT EXISTS|CREATE UNIQUE INDEX CONCURRENTLY']);
  assert.deepEqual(at('CREATE INDEX ON t (a)'), []);
  assert.deepEqual(at('DROP MATERIALIZED VIEW v'), ['DROP MATERIALIZED VIEW|IF EXISTS|DROP MATERIALIZED VIEW']);
  assert.deepEqual(at('ALTER TABLE ONLY public."Leads" ADD column_x int'), ['ADD COLUMN|IF NOT EXISTS|ALTER TABLE ONLY public."Leads" ADD']);
  assert.deepEqual(at('ALTER TABLE t DROP CONSTRAINT c'), ['DROP CONSTRAINT|IF EXISTS|ALTER TABLE t DROP CONSTRAINT']);
  assert.deepEqual(at('ALTER TABLE t ADD COLUMN a int, DROP COLUMN b'), ['ADD COLUMN|IF NOT EXISTS|null', 'DROP COLUMN|IF EXISTS|null']);
  assert.deepEqual(at('CREATE TYPE k AS ENUM (\'a\')'), []);
});
