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
    assert.deepEqual(locks('DROP TABLE calls'), ['ACCESS EXCLUSIVE calls', 'ACCESS EXCLUSIVE tables "public"."calls" references <referenced public.calls>']);
    assert.deepEqual(locks('DROP TABLE audit."Calls" CASCADE'), [
      'ACCESS EXCLUSIVE audit."Calls"',
      'ACCESS EXCLUSIVE tables "audit"."Calls" references <referenced audit."Calls">',
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
      'ACCESS EXCLUSIVE public.tags (new)',
      'ACCESS EXCLUSIVE tables referencing "public"."accounts" <referencing public.accounts>',
    ]);
  });
  test('a foreign key dropped with its table no longer ties the tables', () => {
    assert.deepEqual(locks('CREATE TABLE tags (id int, account_id int REFERENCES accounts (id)); DROP TABLE tags; CREATE TABLE x (id int); DROP TABLE accounts CASCADE').filter((l) => l.includes('tags')), []);
  });
});
