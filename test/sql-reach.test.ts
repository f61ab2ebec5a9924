/**
 * Locks on tables a statement does not name (src/sql/reach.ts): named from the
 * unit's schema delta where the migration created the tables involved, otherwise one
 * unnamed lock fact for the set, with its `reach`. test/rule-locks.test.ts checks both
 * kinds against pg_locks on real servers; this checks what the facts say, offline.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Statement } from '../src/core/unit.js';
import { factsOf } from '../src/sql/facts.js';
import { initSqlParser } from '../src/sql/parse.js';
import { loadUnit } from '../src/sources/index.js';
import { config } from './support/lint.js';

await initSqlParser();

const last = (sql: string, pgVersion = 18) => factsOf(loadUnit('m.sql', sql, config({ pgVersion }).settings).statements.at(-1) as Statement);
/** `mode relation [existing]` per lock, in order. */
const locks = (sql: string, pgVersion = 18) => last(sql, pgVersion).locks.map((l) => `${l.mode} ${l.relation}${l.reach ? ` <${l.reach.via}${l.reach.recursive ? '*' : ''} ${l.reach.of}>` : ''}${l.existing ? '' : ' (new)'}`);

describe('DROP TABLE: the tables tied to it by foreign keys', () => {
  test('an existing table: the tables it references, unnamed; with CASCADE the tables referencing it too', () => {
    assert.deepEqual(locks('DROP TABLE calls'), [
      'ACCESS EXCLUSIVE calls',
      'ACCESS EXCLUSIVE tables "public"."calls" references <referenced public.calls>',
      'ACCESS EXCLUSIVE the partitioned table "public"."calls" is a partition of <partition-parent public.calls>',
      'ACCESS EXCLUSIVE partitions of "public"."calls" <partitions public.calls>',
    ]);
    assert.deepEqual(locks('DROP TABLE audit."Calls" CASCADE'), [
      'ACCESS EXCLUSIVE audit."Calls"',
      'ACCESS EXCLUSIVE tables "audit"."Calls" references <referenced audit."Calls">',
      'ACCESS EXCLUSIVE the partitioned table "audit"."Calls" is a partition of <partition-parent audit."Calls">',
      'ACCESS EXCLUSIVE partitions of "audit"."Calls" <partitions audit."Calls">',
      'ACCESS EXCLUSIVE tables referencing "audit"."Calls" <referencing audit."Calls">',
    ]);
  });
  test('a table the migration created: its foreign keys are known, so the tables are named and nothing else is locked', () => {
    assert.deepEqual(locks('CREATE TABLE tags (id int PRIMARY KEY, account_id int REFERENCES accounts (id)); DROP TABLE tags'), ['ACCESS EXCLUSIVE tags (new)', 'ACCESS EXCLUSIVE public.accounts']);
  });
  test('CASCADE of an existing table: the referencing tables the migration created are named, the others are not', () => {
    assert.deepEqual(locks('CREATE TABLE tags (id int, account_id int REFERENCES accounts (id)); DROP TABLE accounts CASCADE'), [
      'ACCESS EXCLUSIVE accounts',
      'ACCESS EXCLUSIVE tables "public"."accounts" references <referenced public.accounts>',
      'ACCESS EXCLUSIVE the partitioned table "public"."accounts" is a partition of <partition-parent public.accounts>',
      'ACCESS EXCLUSIVE partitions of "public"."accounts" <partitions public.accounts>',
      'ACCESS EXCLUSIVE public.tags (new)',
      'ACCESS EXCLUSIVE tables referencing "public"."accounts" <referencing public.accounts>',
    ]);
  });
  test('partitions: a new partition names its partitioned table; a new partitioned table still has a set of partitions (an existing table may have been attached)', () => {
    assert.deepEqual(locks('CREATE TABLE e2020 PARTITION OF events FOR VALUES IN (2020); DROP TABLE e2020'), ['ACCESS EXCLUSIVE e2020 (new)', 'ACCESS EXCLUSIVE public.events']);
    assert.deepEqual(locks('CREATE TABLE e (k int) PARTITION BY LIST (k); DROP TABLE e'), ['ACCESS EXCLUSIVE e (new)', 'ACCESS EXCLUSIVE partitions of "public"."e" <partitions public.e> (new)']);
    assert.deepEqual(locks('CREATE TABLE e2020 (k int); ALTER TABLE events ATTACH PARTITION e2020 FOR VALUES IN (2020); DROP TABLE e2020'), ['ACCESS EXCLUSIVE e2020 (new)', 'ACCESS EXCLUSIVE public.events']);
    assert.deepEqual(locks('CREATE TABLE e2020 PARTITION OF events FOR VALUES IN (2020); ALTER TABLE events DETACH PARTITION e2020; DROP TABLE e2020'), ['ACCESS EXCLUSIVE e2020 (new)']);
  });
  test('a foreign key dropped with its table no longer ties the tables', () => {
    assert.deepEqual(locks('CREATE TABLE tags (id int, account_id int REFERENCES accounts (id)); DROP TABLE tags; CREATE TABLE x (id int); DROP TABLE accounts CASCADE').filter((l) => l.includes('tags')), []);
  });
});

describe('ALTER DOMAIN: SHARE on the tables whose columns use the domain, for the forms that check rows', () => {
  const unnamed = (d: string) => `SHARE tables using domain "public"."${d}" <domain public.${d}>`;
  test('an existing domain: one unnamed lock for its tables', () => {
    assert.deepEqual(locks('ALTER DOMAIN d ADD CONSTRAINT c CHECK (VALUE > 0)'), [unnamed('d')]);
    assert.deepEqual(locks('ALTER DOMAIN d VALIDATE CONSTRAINT c'), [unnamed('d')]);
    assert.deepEqual(locks('ALTER DOMAIN d SET NOT NULL', 15), [unnamed('d')]);
  });
  test('forms that check no rows lock no table', () => {
    for (const sql of ['ALTER DOMAIN d ADD CONSTRAINT c CHECK (VALUE > 0) NOT VALID', 'ALTER DOMAIN d DROP NOT NULL', 'ALTER DOMAIN d SET DEFAULT 1', 'ALTER DOMAIN d DROP CONSTRAINT c', 'ALTER DOMAIN d RENAME CONSTRAINT c TO e', 'ALTER DOMAIN d OWNER TO app']) {
      assert.deepEqual(locks(sql), [], sql);
    }
  });
  test('ADD NOT NULL: 17+ (before, PostgreSQL refuses it as a syntax error and locks nothing)', () => {
    assert.deepEqual(locks('ALTER DOMAIN d ADD NOT NULL', 18), [unnamed('d')]);
    assert.deepEqual(locks('ALTER DOMAIN d ADD CONSTRAINT d_nn NOT NULL', 17), [unnamed('d')]);
    assert.deepEqual(locks('ALTER DOMAIN d ADD NOT NULL', 16), []);
    const unit = loadUnit('m.sql', 'ALTER DOMAIN d ADD NOT NULL', config({ pgVersion: 16 }).settings);
    assert.match(unit.syntaxErrors.map((e) => e.message).join('\n'), /ALTER DOMAIN \.\.\. ADD NOT NULL does not exist before PostgreSQL 17/);
    assert.deepEqual(loadUnit('m.sql', 'ALTER DOMAIN d ADD NOT NULL', config({ pgVersion: 17 }).settings).syntaxErrors, []);
  });
  test('the tables the migration gives the domain are named: created ones as new, an existing one it adds a column to as existing', () => {
    assert.deepEqual(locks('CREATE DOMAIN s AS int; CREATE TABLE h (id int, v s); ALTER TABLE leads ADD COLUMN score s; ALTER DOMAIN s ADD CHECK (VALUE > 0)'), ['SHARE public.h (new)', 'SHARE public.leads']);
    // An existing domain: the others are still unnamed.
    assert.deepEqual(locks('CREATE TABLE h (id int, v d); ALTER DOMAIN d ADD CHECK (VALUE > 0)'), ['SHARE public.h (new)', unnamed('d')]);
  });
  test('a domain over the domain counts; a dropped table, a partitioned table and an array column do not', () => {
    assert.deepEqual(locks('CREATE DOMAIN a AS int; CREATE DOMAIN b AS a; CREATE TABLE t (x b); ALTER DOMAIN a ADD CHECK (VALUE > 0)'), ['SHARE public.t (new)']);
    assert.deepEqual(locks('CREATE DOMAIN a AS int; CREATE TABLE t (x a); DROP TABLE t; ALTER DOMAIN a ADD CHECK (VALUE > 0)'), []);
    assert.deepEqual(locks('CREATE DOMAIN a AS int; CREATE TABLE p (k int, x a) PARTITION BY LIST (k); CREATE TABLE t (y a[]); ALTER DOMAIN a ADD CHECK (VALUE > 0)'), []);
  });
  test('a table whose columns the delta does not know (AS SELECT, PARTITION OF, LIKE): an unnamed lock, on new tables only', () => {
    const l = last('CREATE DOMAIN a AS int; CREATE TABLE p (k int, x a) PARTITION BY LIST (k); CREATE TABLE p1 PARTITION OF p FOR VALUES IN (1); ALTER DOMAIN a ADD CHECK (VALUE > 0)').locks;
    assert.deepEqual(l.map((x) => [x.relation, x.existing]), [['tables using domain "public"."a"', false]]);
  });
  test('the check is a scan in the effects, per lock', () => {
    assert.deepEqual(last('CREATE TABLE h (id int, v d); ALTER DOMAIN d ADD CHECK (VALUE > 0)').effects.map((e) => [e.kind, e.table]), [['scan', 'public.h'], ['scan', null]]);
    assert.deepEqual(last('ALTER DOMAIN d ADD CHECK (VALUE > 0) NOT VALID').effects, []);
  });
});

describe('TRUNCATE ... CASCADE: ACCESS EXCLUSIVE on the tables referencing the truncated ones, in turn', () => {
  test('without CASCADE only the named tables', () => {
    assert.deepEqual(locks('TRUNCATE accounts'), ['ACCESS EXCLUSIVE accounts']);
  });
  test('an existing table: the set of tables referencing it, recursively, unnamed', () => {
    assert.deepEqual(locks('TRUNCATE accounts, audit.leads CASCADE'), [
      'ACCESS EXCLUSIVE accounts',
      'ACCESS EXCLUSIVE audit.leads',
      'ACCESS EXCLUSIVE tables referencing "public"."accounts", and the tables referencing those <referencing* public.accounts>',
      'ACCESS EXCLUSIVE tables referencing "audit"."leads", and the tables referencing those <referencing* audit.leads>',
    ]);
  });
  test('tables the migration created: named along the chain; nothing unnamed when every table involved is new', () => {
    assert.deepEqual(locks('CREATE TABLE a (id int PRIMARY KEY); CREATE TABLE b (id int PRIMARY KEY, a_id int REFERENCES a); CREATE TABLE c (b_id int REFERENCES b); TRUNCATE a CASCADE'), ['ACCESS EXCLUSIVE a (new)', 'ACCESS EXCLUSIVE public.b (new)', 'ACCESS EXCLUSIVE public.c (new)']);
    assert.deepEqual(locks('CREATE TABLE tags (lead_id int REFERENCES leads (id)); TRUNCATE leads CASCADE'), [
      'ACCESS EXCLUSIVE leads',
      'ACCESS EXCLUSIVE public.tags (new)',
      'ACCESS EXCLUSIVE tables referencing "public"."leads", and the tables referencing those <referencing* public.leads>',
    ]);
  });
});
