/** Facts the data, enum and name rules stand on: DML bounds (src/sql/dml.ts), enum changes and uses (enums.ts), long identifiers (identifiers.ts). */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Statement } from '../src/core/unit.js';
import { enumChange, stringConstants } from '../src/sql/enums.js';
import { factsOf } from '../src/sql/facts.js';
import { clipBytes, longIdentifiers } from '../src/sql/identifiers.js';
import { initSqlParser } from '../src/sql/parse.js';
import { loadUnit } from '../src/sources/index.js';
import { config } from './support/lint.js';

await initSqlParser();

const statements = (sql: string) => loadUnit('m.sql', sql, config({}).settings).statements;
const last = (sql: string) => factsOf(statements(sql).at(-1) as Statement);

describe('dml facts: is a data change bounded to one batch', () => {
  const bound = (sql: string) => last(sql).dml?.bound;
  test('no WHERE, IS NULL, negation, one-sided or non-key inequality, a join condition: not bounded', () => {
    assert.equal(bound('UPDATE leads SET a = 1'), 'none');
    assert.equal(bound('UPDATE leads SET a = 1 WHERE a IS NULL'), 'unbounded');
    assert.equal(bound("DELETE FROM leads WHERE NOT (status = 'x')"), 'unbounded');
    assert.equal(bound("UPDATE leads SET a = 1 WHERE status <> 'x'"), 'unbounded');
    assert.equal(bound('UPDATE leads SET a = 1 WHERE id > 5'), 'unbounded');
    assert.equal(bound("UPDATE leads SET a = 1 WHERE created_at >= '2020-01-01' AND created_at < '2021-01-01'"), 'unbounded');
    assert.equal(bound('UPDATE leads SET a = c.x FROM c WHERE c.lead_id = leads.id'), 'unbounded');
    assert.equal(bound('UPDATE leads SET a = 1 WHERE id IN (SELECT lead_id FROM c)'), 'unbounded');
    assert.equal(bound("UPDATE leads SET a = 1 WHERE id = 1 OR status = 'x' OR a IS NULL"), 'unbounded');
  });
  test('equality to constants or parameters, a two-sided key range, a LIMIT: bounded', () => {
    assert.equal(bound("UPDATE settings SET v = 1 WHERE name = 'default'"), 'bounded');
    assert.equal(bound('UPDATE leads SET a = 1 WHERE id IN (1, 2) AND a IS NULL'), 'bounded');
    assert.equal(bound('UPDATE leads SET a = 1 WHERE id = ANY($1)'), 'bounded');
    assert.equal(bound('UPDATE leads SET a = 1 WHERE id >= 1000 AND id < 2000'), 'bounded');
    assert.equal(bound('UPDATE leads SET a = 1 WHERE 1000 <= tenant_id AND tenant_id < 2000'), 'bounded');
    assert.equal(bound('UPDATE leads SET a = 1 WHERE id BETWEEN 1 AND 9'), 'bounded');
    assert.equal(bound('UPDATE leads SET a = 1 WHERE id IN (SELECT id FROM leads WHERE a IS NULL LIMIT 100)'), 'bounded');
    assert.equal(bound("UPDATE leads SET a = 1 WHERE id = 1 OR name = 'x'"), 'bounded');
  });
  test('LIKE without a wildcard is an equality; with one it is not', () => {
    assert.equal(bound("DELETE FROM user_ WHERE name LIKE 'admin'"), 'bounded');
    assert.equal(bound("UPDATE community SET a = 1 WHERE actor_id LIKE 'changeme_%'"), 'unbounded');
    assert.equal(bound("UPDATE community SET a = 1 WHERE actor_id LIKE 'a_b'"), 'unbounded');
  });
  test('equality to an uncorrelated scalar subquery is one value; a correlated one is a join', () => {
    assert.equal(bound("UPDATE leads SET a = 1 WHERE tenant_id = (SELECT id FROM tenants WHERE name = 'default')"), 'bounded');
    assert.equal(bound('UPDATE leads l SET a = 1 WHERE tenant_id = (SELECT t.id FROM tenants t WHERE t.owner = l.owner)'), 'unbounded');
    assert.equal(bound('UPDATE leads SET a = 1 WHERE tenant_id = (SELECT t.id FROM tenants t WHERE t.owner = leads.owner)'), 'unbounded');
    assert.equal(bound('UPDATE leads SET a = 1 WHERE tenant_id IN (SELECT id FROM tenants)'), 'unbounded');
  });
  test('a boolean selection is a large share of the rows, not a few', () => {
    const reason = (sql: string) => last(sql).dml?.reason;
    for (const sql of [
      'UPDATE interested_codes SET x = 1 WHERE is_rejection = false',
      'DELETE FROM posts WHERE deleted = true',
      'UPDATE t SET x = 1 WHERE true = deleted',
      "UPDATE t SET x = 1 WHERE flag = 't'::boolean",
      'UPDATE t SET x = 1 WHERE flag IN (true)',
      'UPDATE t SET x = 1 WHERE flag = ANY(ARRAY[true])',
      'UPDATE t SET x = 1 WHERE flag IS TRUE',
      'UPDATE t SET x = 1 WHERE flag IS NOT FALSE',
      'UPDATE t SET x = 1 WHERE flag',
      'INSERT INTO archive SELECT * FROM posts WHERE deleted = true',
    ]) {
      assert.equal(bound(sql), 'unbounded', sql);
      assert.equal(reason(sql), 'its WHERE selects by a boolean', sql);
    }
    // A boolean next to a targeted equality is still targeted; a parameter's value is not known.
    assert.equal(bound("UPDATE t SET x = 1 WHERE deleted = false AND name = 'default'"), 'bounded');
    assert.equal(bound('UPDATE t SET x = 1 WHERE deleted = $1'), 'bounded');
  });
  test('a value rewrite (SET col ... WHERE col = const) migrates every row holding the old value', () => {
    const reason = (sql: string) => last(sql).dml?.reason;
    for (const sql of [
      "UPDATE users SET status = 'b' WHERE status = 'a'",
      "UPDATE users SET status = 'b', x = 1 WHERE status IN ('a', 'c')",
      "UPDATE users SET status = 'b' WHERE status = ANY('{a,c}')",
      "UPDATE users SET status = $1 WHERE status = $2",
      "UPDATE users SET name = 'b' WHERE name LIKE 'a'",
      "UPDATE users u SET status = 'b' WHERE u.status = 'a'",
    ]) {
      assert.equal(bound(sql), 'unbounded', sql);
      assert.equal(reason(sql), 'it rewrites the column it selects on', sql);
    }
    // Targeted by another column, or by a key whose value names one row.
    assert.equal(bound("UPDATE users SET status = 'b' WHERE status = 'a' AND tenant_id = 7"), 'bounded');
    assert.equal(bound("UPDATE users SET status = 'b' WHERE name = 'a'"), 'bounded');
    assert.equal(bound('UPDATE users SET id = 2 WHERE id = 1'), 'bounded');
    assert.equal(bound("CREATE TABLE r (k text PRIMARY KEY, v int); UPDATE r SET k = 'b' WHERE k = 'a'"), 'bounded');
    assert.equal(bound("CREATE TABLE r (id int, k text UNIQUE); UPDATE r SET k = 'b' WHERE k = 'a'"), 'bounded');
    // `= NULL` is null for every row: it matches none (IS NULL is another matter).
    assert.equal(bound("UPDATE errors SET seen_at = '1980-01-01' WHERE seen_at = NULL"), 'bounded');
    assert.equal(bound("UPDATE errors SET seen_at = '1980-01-01' WHERE seen_at IS NULL"), 'unbounded');
    // A foreign key is a key for ranges but not unique: reassigning its value moves every row that holds it.
    assert.equal(bound('UPDATE posts SET author_id = 2 WHERE author_id = 1'), 'unbounded');
  });
  test('the reason names the open predicate', () => {
    const reason = (sql: string) => last(sql).dml?.reason;
    assert.equal(reason('UPDATE leads SET a = 1'), 'it has no WHERE');
    assert.equal(reason('UPDATE leads SET a = 1 WHERE a IS NULL'), 'its WHERE tests IS [NOT] NULL');
    assert.equal(reason("UPDATE leads SET a = 1 WHERE status <> 'x'"), 'its WHERE is an inequality');
    assert.equal(reason("UPDATE leads SET a = 1 WHERE status != 'x'"), 'its WHERE is an inequality');
    assert.equal(reason("UPDATE leads SET a = 1 WHERE status NOT IN ('x')"), 'its WHERE is an inequality');
    assert.equal(reason("UPDATE leads SET a = 1 WHERE status IS DISTINCT FROM 'x'"), 'its WHERE is an inequality');
    assert.equal(reason("DELETE FROM leads WHERE NOT (status = 'x')"), 'its WHERE is a negation');
    assert.equal(reason('UPDATE leads SET a = 1 WHERE id > 5'), 'its WHERE is a one-sided range');
    assert.equal(reason('UPDATE leads SET a = 1 WHERE created_at < now()'), 'its WHERE compares with a non-constant');
    assert.equal(reason("UPDATE leads SET a = 1 WHERE created_at >= '2020-01-01' AND created_at < '2021-01-01'"), 'its WHERE is a range on a non-key column');
    assert.equal(reason("UPDATE leads SET a = 1 WHERE created_at BETWEEN '2020-01-01' AND '2021-01-01'"), 'its WHERE is a range on a non-key column');
    assert.equal(reason('UPDATE leads SET a = 1 WHERE id IN (SELECT lead_id FROM c)'), 'its WHERE is a subquery without LIMIT');
    assert.equal(reason('UPDATE leads SET a = 1 WHERE EXISTS (SELECT 1 FROM c WHERE c.lead_id = leads.id)'), 'its WHERE is EXISTS');
    assert.equal(reason("UPDATE leads SET a = 1 WHERE name LIKE 'x%'"), 'its WHERE is a LIKE pattern');
    // A join condition next to IS NULL: the more specific of the two.
    assert.equal(reason('UPDATE leads SET a = c.x FROM c WHERE c.lead_id = leads.id AND leads.a IS NULL'), 'its WHERE is a join condition');
    assert.equal(reason('UPDATE leads SET a = c.x FROM c WHERE lower(c.k) = lower(leads.k) AND leads.a IS NULL'), 'its WHERE tests IS [NOT] NULL');
    assert.equal(last('UPDATE leads SET a = 1 WHERE id = 3').dml?.reason, '');
  });
  test('an UPDATE of a system catalog is a catalog edit, not a data change', () => {
    assert.equal(last("UPDATE pg_index SET indisready = false WHERE indrelid = (SELECT oid FROM pg_class WHERE relname = 'post')").dml, null);
    assert.equal(last('UPDATE pg_catalog.pg_class SET relhasindex = false').dml, null);
    assert.equal(last('UPDATE audit.pg_notes SET a = 1').dml?.bound, 'none');
  });
  test('a declared primary key column bounds a range; another column does not', () => {
    assert.equal(bound('CREATE TABLE t (k int PRIMARY KEY, v int); UPDATE t SET v = 1 WHERE k >= 1 AND k < 9'), 'bounded');
    assert.equal(bound('UPDATE t SET v = 1 WHERE k >= 1 AND k < 9'), 'unbounded');
  });
  test('INSERT ... SELECT reads existing tables; VALUES and table-less SELECTs are not data copies', () => {
    const f = last('INSERT INTO archive SELECT * FROM audit.leads l JOIN calls c ON c.lead_id = l.id');
    assert.equal(f.dml?.verb, 'INSERT ... SELECT');
    assert.deepEqual(f.dml?.sources.map((s) => s.key), ['audit.leads', 'public.calls']);
    assert.equal(f.dml?.bound, 'none');
    assert.equal(last("INSERT INTO t VALUES (1, 'a')").dml, null);
    assert.equal(last("INSERT INTO t SELECT 1, 'a'").dml, null);
    assert.equal(last('CREATE TABLE s (id int); INSERT INTO t SELECT id FROM s').dml, null);
    assert.equal(last('INSERT INTO t SELECT id FROM s ORDER BY id LIMIT 10').dml?.bound, 'bounded');
  });
  test('an unbounded change of an existing table is a scan in the effects; of a new table, not', () => {
    assert.deepEqual(last('UPDATE leads SET a = 1 WHERE a IS NULL').effects.map((e) => [e.kind, e.table]), [['scan', 'public.leads']]);
    assert.deepEqual(last('CREATE TABLE leads (a int); UPDATE leads SET a = 1').effects, []);
    assert.deepEqual(last('UPDATE leads SET a = 1 WHERE id = 3').effects, []);
  });
  test('CASCADE', () => {
    assert.equal(last('TRUNCATE a CASCADE').cascade, true);
    assert.equal(last('TRUNCATE a').cascade, false);
    assert.equal(last('DROP TABLE a CASCADE').cascade, true);
  });
});

describe('enum facts', () => {
  test('ADD VALUE with and without a place; the delta says where each value came from and in which transaction', () => {
    const ss = statements("BEGIN; CREATE TYPE m AS ENUM ('a'); ALTER TYPE m ADD VALUE 'b' AFTER 'a'; ALTER TYPE m ADD VALUE 'c'; COMMIT");
    assert.deepEqual(enumChange(ss[2]!.node), { type: { schema: null, name: 'm' }, value: 'b', placed: true, rename: false });
    assert.equal(enumChange(ss[3]!.node)?.placed, false);
    const vals = factsOf(ss[4]!).schema.enumValues('public.m');
    assert.deepEqual(vals.map((v) => [v.value, v.source]), [['a', 'create-type'], ['b', 'add-value'], ['c', 'add-value']]);
    assert.equal(new Set(vals.map((v) => v.transaction)).size, 1);
  });
  test('string constants with their casts', () => {
    assert.deepEqual(stringConstants(statements("UPDATE t SET s = 'x'::m, n = 'y' WHERE id = 1")[0]!.node), [{ value: 'x', castTo: 'm' }, { value: 'y', castTo: null }]);
  });
});

describe('long identifiers: UTF-8 bytes, not characters', () => {
  test('a 64-byte ASCII name is long, a 63-byte one is not', () => {
    assert.deepEqual(longIdentifiers(`CREATE TABLE ${'a'.repeat(63)} (${'b'.repeat(64)} int)`).map((i) => i.bytes), [64]);
  });
  test('32 Hebrew letters are 64 bytes: long; its offsets are UTF-16 offsets of the token', () => {
    const name = 'ש'.repeat(32);
    const sql = `-- הערה\nCREATE TABLE "${name}" (id int)`;
    const [id] = longIdentifiers(sql);
    assert.equal(id?.bytes, 64);
    assert.equal(sql.slice(id!.start, id!.end), `"${name}"`);
    assert.equal(id?.truncated, 'ש'.repeat(31));
    assert.deepEqual(longIdentifiers(`CREATE TABLE "${'ש'.repeat(31)}" (id int)`), []);
  });
  test('unquoted names fold to lower case; quotes inside quoted names count once', () => {
    assert.equal(longIdentifiers(`SELECT 1 AS ${'A'.repeat(64)}`)[0]?.name, 'a'.repeat(64));
    assert.equal(longIdentifiers(`SELECT 1 AS "${'x'.repeat(62)}""" `).length, 0);
  });
  test('clipBytes does not split a character', () => {
    assert.equal(clipBytes('aé', 2), 'a');
    assert.equal(clipBytes('😀x', 4), '😀');
  });
});
