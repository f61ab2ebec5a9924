/**
 * Relation names: keys, search_path parsing and resolution, and the search_path
 * each statement of a unit sees.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseSql, initSqlParser } from '../src/sql/parse.js';
import { creationKey, fromNameList, keySchema, lookupKey, parseSearchPath, relationKey, searchPathChange, splitKey, sqlName } from '../src/sql/names.js';
import { loadUnit } from '../src/sources/index.js';
import { config, lint } from './support/lint.js';

await initSqlParser();
const node = (sql: string) => parseSql(sql).statements[0]!.node;

describe('keys', () => {
  test('quoted only where PostgreSQL would quote, and split back', () => {
    assert.equal(relationKey('public', 'leads'), 'public.leads');
    assert.equal(relationKey('audit', 'Leads'), 'audit."Leads"');
    assert.equal(relationKey('a.b', 'x"y'), '"a.b"."x""y"');
    assert.deepEqual(splitKey('"a.b"."x""y"'), { schema: 'a.b', name: 'x"y' });
    assert.deepEqual(splitKey('audit."Leads"'), { schema: 'audit', name: 'Leads' });
    // The schema alone, for keys of every quoting: the same answer as the whole split.
    for (const key of ['"a.b"."x""y"', 'audit."Leads"', 'public.leads', '"Sch""x".t', '"".t']) assert.equal(keySchema(key), splitKey(key).schema, key);
    assert.equal(keySchema('"a.b"."x""y"'), 'a.b');
    assert.equal(sqlName({ schema: null, name: 'Leads' }), '"Leads"');
    assert.deepEqual(fromNameList(['db', 'public', 'idx']), { schema: 'public', name: 'idx' });
  });
});

describe('search_path', () => {
  test('a search_path string splits like PostgreSQL: unquoted names folded, quoted kept', () => {
    assert.deepEqual(parseSearchPath('"$user", public'), ['$user', 'public']);
    assert.deepEqual(parseSearchPath(' Audit ,"Mixed ""Case""",x'), ['audit', 'Mixed "Case"', 'x']);
    assert.deepEqual(parseSearchPath(''), []);
  });
  test('SET, SET LOCAL, SET SCHEMA, RESET, set_config', () => {
    assert.deepEqual(searchPathChange(node('SET search_path TO Audit, "Pub", public')), { path: ['audit', 'Pub', 'public'], local: false });
    assert.deepEqual(searchPathChange(node("SET LOCAL search_path = 'a, b'")), { path: ['a, b'], local: true }, 'one string literal is one schema name');
    assert.deepEqual(searchPathChange(node("SET SCHEMA 'audit'")), { path: ['audit'], local: false });
    assert.deepEqual(searchPathChange(node('RESET search_path')), { path: null, local: false });
    assert.deepEqual(searchPathChange(node('RESET ALL')), { path: null, local: false });
    assert.deepEqual(searchPathChange(node("SELECT pg_catalog.set_config('search_path', 'Billing, \"X\"', true)")), { path: ['billing', 'X'], local: true });
    assert.equal(searchPathChange(node("SET lock_timeout = '1s'")), null);
    assert.equal(searchPathChange(node("SELECT set_config('lock_timeout', '1s', false)")), null);
  });
  test('creation goes into the first schema, "$user" skipped; a temp table into pg_temp', () => {
    assert.equal(creationKey({ schema: null, name: 't' }, ['$user', 'public']), 'public.t');
    assert.equal(creationKey({ schema: null, name: 't' }, ['audit', 'public']), 'audit.t');
    assert.equal(creationKey({ schema: null, name: 't', temp: true }, ['audit']), 'pg_temp.t');
    assert.equal(creationKey({ schema: 'x', name: 't' }, ['audit']), 'x.t');
  });
  test('lookup: pg_temp first for the session\'s temporary tables unless the path places it, then the first schema', () => {
    const temp = (n: string) => n === 'scratch';
    assert.equal(lookupKey({ schema: null, name: 'scratch' }, ['public'], temp), 'pg_temp.scratch');
    assert.equal(lookupKey({ schema: null, name: 'leads' }, ['public'], temp), 'public.leads');
    assert.equal(lookupKey({ schema: null, name: 'scratch' }, ['public', 'pg_temp'], temp), 'public.scratch');
    assert.equal(lookupKey({ schema: null, name: 'scratch' }, ['pg_temp', 'public'], temp), 'pg_temp.scratch');
    assert.equal(lookupKey({ schema: null, name: 'x' }, ['$user'], temp), '"".x', 'no usable schema: a key no real table has');
  });
});

describe('the search_path each statement sees', () => {
  const paths = (sql: string, cfg = {}) => loadUnit('m.sql', sql, config(cfg).settings).statements.map((s) => (s.context.searchPath ?? []).join(','));
  test('SET lasts for the session, SET LOCAL until the end of the transaction, and only inside one', () => {
    assert.deepEqual(paths('SET search_path = a; SELECT 1; RESET search_path; SELECT 2;'), ['$user,public', 'a', 'a', '$user,public']);
    assert.deepEqual(paths('SET LOCAL search_path = a; SELECT 1;'), ['$user,public', '$user,public']);
    assert.deepEqual(paths('BEGIN; SET LOCAL search_path = a; COMMIT; BEGIN; SELECT 1; COMMIT;')[4], '$user,public', 'the next transaction block starts without it');
    assert.deepEqual(paths('SET search_path = s; BEGIN; SET LOCAL search_path = a; SELECT 1; COMMIT; SELECT 2;'), ['$user,public', 's', 's', 'a', 'a', 's']);
  });
  test('a SET inside a transaction replaces its SET LOCAL and outlives it', () => {
    assert.deepEqual(paths('BEGIN; SET LOCAL search_path = a; SET search_path = b; COMMIT; SELECT 1;').slice(-1), ['b']);
  });
  test('each direction starts from the default', () => {
    const sql = '-- migrate:up\nSET search_path = a;\nSELECT 1;\n-- migrate:down\nSELECT 2;\n';
    assert.deepEqual(paths(sql, { sqlRunner: 'dbmate' }), ['$user,public', 'a', '$user,public']);
  });
  test('golang-migrate sends the file as one query string: SET LOCAL holds for the rest of it', () => {
    assert.deepEqual(paths('SET LOCAL search_path = a; SELECT 1;', { sqlRunner: 'golang-migrate' }), ['$user,public', 'a']);
  });
  test('CREATE SCHEMA ... CREATE TABLE and CREATE TEMP TABLE are remembered where they are', () => {
    const u = loadUnit('m.sql', 'CREATE SCHEMA s CREATE TABLE t (a int); CREATE TEMP TABLE scratch (a int); SELECT 1;', config().settings);
    assert.deepEqual([...u.statements[2]!.context.createdTables], ['s.t', 'pg_temp.scratch']);
  });
});

describe('a temporary table hides the permanent one of its name', () => {
  test('the statements after CREATE TEMP TABLE change the temporary table, and the permanent one keeps its columns', () => {
    const text = "SET lock_timeout = '5s';\nCREATE TEMP TABLE leads (id int);\nALTER TABLE leads ADD COLUMN note text;\nALTER TABLE public.leads ALTER COLUMN note SET NOT NULL;\n";
    // `note` was added to pg_temp.leads: on public.leads it is an existing column, whose SET NOT NULL scans the table.
    assert.deepEqual(lint('0001.sql', text, { rules: ['adding-not-nullable-field'] }).map((f) => `${f.ruleId}@${f.line}`), ['adding-not-nullable-field@4']);
    // Without the temporary table, the column is new in this migration (and empty when the migration adds it).
    assert.deepEqual(lint('0001.sql', text.replace('CREATE TEMP TABLE leads (id int);\n', ''), { rules: ['adding-not-nullable-field'] }).map((f) => `${f.ruleId}@${f.line}`), []);
  });
});
