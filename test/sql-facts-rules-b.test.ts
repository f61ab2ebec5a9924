/** Facts the column rules stand on: column definitions with key columns, type spans, and timestamp ↔ timestamptz under UTC. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Statement } from '../src/core/unit.js';
import { columnTypeSpan, definedColumns } from '../src/sql/column-defs.js';
import { isUtcZone } from '../src/sql/costs.js';
import { factsOf } from '../src/sql/facts.js';
import { initSqlParser, locationOffset, parseSql } from '../src/sql/parse.js';
import { loadUnit } from '../src/sources/index.js';
import { config } from './support/lint.js';

await initSqlParser();

const statements = (sql: string, pgVersion = 15) => loadUnit('m.sql', sql, config({ pgVersion }).settings).statements;
const keys = (sql: string) => statements(sql).flatMap((s: Statement) => definedColumns(s.node).map((d) => `${d.column.name}:${d.key ?? '-'}:${d.via}`));

describe('key columns', () => {
  test('primary key (column or one-column table constraint), identity, serial and foreign key columns; UNIQUE alone is not one', () => {
    assert.deepEqual(keys('CREATE TABLE t (a int PRIMARY KEY, b int GENERATED ALWAYS AS IDENTITY, c serial, d int REFERENCES u (id), e int UNIQUE, f int, g int, h int, PRIMARY KEY (g, h), FOREIGN KEY (f) REFERENCES u (id))'), [
      'a:primary-key:create-table',
      'b:identity:create-table',
      'c:serial:create-table',
      'd:foreign-key:create-table',
      'e:-:create-table',
      'f:foreign-key:create-table',
      'g:-:create-table',
      'h:-:create-table',
    ]);
  });
  test('a member of a composite primary key is a key column only as a foreign key, identity or serial', () => {
    assert.deepEqual(keys('CREATE TABLE m (user_id int, level int, PRIMARY KEY (user_id, level), FOREIGN KEY (user_id) REFERENCES u (id)); CREATE TABLE p (id int, PRIMARY KEY (id))'), [
      'user_id:foreign-key:create-table',
      'level:-:create-table',
      'id:primary-key:create-table',
    ]);
  });
  test('ADD COLUMN columns, not other subcommands; other statements define none', () => {
    assert.deepEqual(keys('ALTER TABLE t ADD COLUMN a int REFERENCES u (id), ADD COLUMN b int, ALTER COLUMN c TYPE int'), ['a:foreign-key:add-column', 'b:-:add-column']);
    assert.deepEqual(keys('CREATE INDEX i ON t (a); DROP TABLE t'), []);
  });
});

describe('columnTypeSpan', () => {
  const typeOf = (sql: string, col: string) => {
    const span = columnTypeSpan(sql, col);
    return span ? sql.slice(span.start, span.end) : null;
  };
  test('the type words and modifiers, without array bounds or what follows', () => {
    assert.equal(typeOf('CREATE TABLE t (a timestamp(3) without time zone NOT NULL)', 'a'), 'timestamp(3) without time zone');
    assert.equal(typeOf('CREATE TABLE t (a timestamptz, b character varying(20)[])', 'b'), 'character varying(20)');
    assert.equal(typeOf('CREATE TABLE t (a timestamptz, b int)', 'a'), 'timestamptz');
    assert.equal(typeOf('CREATE TABLE t (a int4 REFERENCES u (id))', 'a'), 'int4');
    assert.equal(typeOf('ALTER TABLE t ADD COLUMN "Ünï" numeric(10, 2) DEFAULT 0', 'Ünï'), 'numeric(10, 2)');
  });
  test('offsets count UTF-16 code units after non-ASCII text', () => {
    const sql = "CREATE TABLE t (note text DEFAULT 'שלום 🎉', at timestamp)";
    assert.equal(typeOf(sql, 'at'), 'timestamp');
  });
  test("with the statement's node, its locations give the same spans as parsing it again, later in a file after multi-byte text", () => {
    const file = "-- שלום 🎉\nCREATE TABLE a (x int);\nSELECT 'é🎉';\n  ALTER TABLE t ADD COLUMN \"Ünï\" timestamp(3)[], ADD COLUMN b varchar(20);\nCREATE TABLE u (note text DEFAULT 'ß', at timestamp)";
    const parsed = parseSql(file).statements;
    const cases: [number, string][] = [[0, 'x'], [2, 'Ünï'], [2, 'b'], [2, 'c'], [3, 'at']];
    for (const [i, col] of cases) {
      const st = parsed[i]!;
      assert.equal(locationOffset(st.node, st.text), Buffer.byteLength(file.slice(0, st.start)), `offset of ${i}`);
      assert.deepEqual(columnTypeSpan(st.text, col, st.node), columnTypeSpan(st.text, col), `${i} ${col}`);
    }
    assert.equal(typeOf(parsed[2]!.text, 'Ünï'), 'timestamp(3)');
    assert.equal(locationOffset(parsed[0]!.node, 'CREATE TABLE a (x int)  '), null, 'another text');
  });
  test('null for a column the statement does not define, or a quoted type', () => {
    assert.equal(typeOf('CREATE TABLE t (a int)', 'b'), null);
    assert.equal(typeOf('CREATE TABLE t (a "json")', 'a'), null);
  });
});

describe('timestamp to timestamptz', () => {
  const rewrites = (sql: string, pgVersion: number) => factsOf(statements(sql, pgVersion).at(-1)!).effects.filter((e) => e.kind === 'rewrite').length;
  const change = 'ALTER TABLE t ADD COLUMN at timestamp; ALTER TABLE t ALTER COLUMN at TYPE timestamptz';
  test('no rewrite on 12+ with the session in UTC', () => {
    assert.equal(rewrites(`SET TIME ZONE 'UTC'; ${change}`, 15), 0);
    assert.equal(rewrites(`SET timezone = 'Etc/UTC'; ${change}`, 12), 0);
  });
  test('a rewrite before 12, with another zone, or with the zone not set', () => {
    assert.equal(rewrites(`SET TIME ZONE 'UTC'; ${change}`, 11), 1);
    assert.equal(rewrites(`SET TIME ZONE 'Europe/Berlin'; ${change}`, 15), 1);
    assert.equal(rewrites(change, 15), 1);
    assert.equal(rewrites(`SET TIME ZONE 'UTC'; ALTER TABLE t ADD COLUMN at timestamp(3); ALTER TABLE t ALTER COLUMN at TYPE timestamptz`, 15), 1);
  });
  test('USING the column itself, or cast to the new type, is the plain conversion', () => {
    assert.equal(rewrites(`SET TIME ZONE 'UTC'; ALTER TABLE t ADD COLUMN at timestamp; ALTER TABLE t ALTER COLUMN at TYPE timestamptz USING at`, 15), 0);
    assert.equal(rewrites(`ALTER TABLE t ADD COLUMN c varchar(5); ALTER TABLE t ALTER COLUMN c TYPE text USING c::text`, 15), 0);
    assert.equal(rewrites(`ALTER TABLE t ADD COLUMN c varchar(5); ALTER TABLE t ALTER COLUMN c TYPE text USING lower(c)`, 15), 1);
    assert.equal(rewrites(`ALTER TABLE t ADD COLUMN c varchar(5); ALTER TABLE t ALTER COLUMN c TYPE text USING c::varchar(2)`, 15), 1);
  });
  test('zones with a constant zero offset', () => {
    assert.ok(isUtcZone("'UTC'") && isUtcZone('utc') && isUtcZone('GMT'));
    assert.ok(!isUtcZone('Europe/London') && !isUtcZone(null));
  });
});
