/**
 * knex's query builder (update / delete / insert / increment on the migration's knex or a
 * transaction) translated into SQL: each chain's exact statement, compared with what knex 3's
 * pg dialect itself compiles (`toString()`, which inlines the bindings as literals: the form
 * the translation writes literal values in), and the chains it cannot read reported as not analysed.
 */
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { before, describe, test } from 'node:test';
import { initSqlParser, lines, unitOf } from '../sources/support.js';
import { builderCases, type BuilderCase } from './support.js';

before(async () => {
  await initSqlParser();
});

const require = createRequire(import.meta.url);
// eslint-disable-next-line @typescript-eslint/no-require-imports
const realKnex = require('knex')({ client: 'pg' });

/** What real knex compiles for `code` (a query-builder expression on `knex`), bindings inlined. */
function knexSql(code: string): string {
  return (new Function('knex', `return ${code}`)(realKnex) as { toString(): string }).toString();
}

const wrap = (code: string) => lines('exports.up = async function (knex) {', `  await ${code};`, '};', '', 'exports.down = async function () {};');

/** Chains whose SQL real knex compiles identically. */
const sameAsKnex: BuilderCase[] = [
  { code: "knex('users').update({ active: true })", sql: ['update "users" set "active" = true'] },
  { code: "knex('users').update('name', 'x')", sql: [`update "users" set "name" = 'x'`] },
  { code: "knex('users').where('id', 1).update({ active: false, n: null })", sql: ['update "users" set "active" = false, "n" = NULL where "id" = 1'] },
  { code: "knex('users').where('id', '>=', 10).andWhere('id', '<', 20).update({ a: 1 })", sql: ['update "users" set "a" = 1 where "id" >= 10 and "id" < 20'] },
  { code: "knex('users').where({ org_id: 3, kind: 'x' }).update({ a: 1 })", sql: [`update "users" set "a" = 1 where "org_id" = 3 and "kind" = 'x'`] },
  { code: "knex('users').where('a', 1).orWhere({ b: 2, c: null }).update({ a: 1 })", sql: ['update "users" set "a" = 1 where "a" = 1 or ("b" = 2 and "c" is null)'] },
  { code: "knex('users').whereNull('x').del()", sql: ['delete from "users" where "x" is null'] },
  { code: "knex('users').whereNotNull('x').orWhereNull('y').delete()", sql: ['delete from "users" where "x" is not null or "y" is null'] },
  { code: "knex('users').where('x', null).del()", sql: ['delete from "users" where "x" is null'] },
  { code: "knex('users').whereIn('id', [1, 2, 3]).del()", sql: ['delete from "users" where "id" in (1, 2, 3)'] },
  { code: "knex('users').whereNotIn('id', [1]).del()", sql: ['delete from "users" where "id" not in (1)'] },
  { code: "knex('users').where('id', 'in', [1, 2]).del()", sql: ['delete from "users" where "id" in (1, 2)'] },
  { code: "knex('users').whereIn('id', []).del()", sql: ['delete from "users" where 1 = 0'] },
  { code: "knex('users').whereBetween('id', [1, 1000]).update({ a: 1 })", sql: ['update "users" set "a" = 1 where "id" between 1 and 1000'] },
  { code: "knex('users').whereNotBetween('id', [1, 1000]).update({ a: 1 })", sql: ['update "users" set "a" = 1 where "id" not between 1 and 1000'] },
  { code: "knex('users').whereRaw('score > ? and ?? is null', [3, 'b']).update({ a: 1 })", sql: ['update "users" set "a" = 1 where score > 3 and "b" is null'] },
  { code: "knex('users').whereRaw('x is null').update({ a: 1 })", sql: ['update "users" set "a" = 1 where x is null'] },
  { code: "knex('users').whereNot('id', 1).update({ a: 1 })", sql: ['update "users" set "a" = 1 where not "id" = 1'] },
  { code: "knex('users').where('name', 'like', 'a%').update({ a: 1 })", sql: [`update "users" set "a" = 1 where "name" like 'a%'`] },
  { code: "knex('users').update({ at: knex.fn.now(), b: knex.raw('lower(??)', ['c']) })", sql: ['update "users" set "at" = CURRENT_TIMESTAMP, "b" = lower("c")'] },
  { code: "knex('users').increment('logins')", sql: ['update "users" set "logins" = "logins" + 1'] },
  { code: "knex('users').where('id', 5).decrement('credits', 2)", sql: ['update "users" set "credits" = "credits" - 2 where "id" = 5'] },
  { code: "knex('users').increment({ a: 1, b: 3 }).update({ c: 1 })", sql: ['update "users" set "c" = 1, "a" = "a" + 1, "b" = "b" + 3'] },
  { code: "knex('users').withSchema('app').update({ a: 1 })", sql: ['update "app"."users" set "a" = 1'] },
  { code: "knex('app.users').update({ a: 1 })", sql: ['update "app"."users" set "a" = 1'] },
  { code: "knex.table('users').update({ a: 1 })", sql: ['update "users" set "a" = 1'] },
  { code: "knex.from('users').where('id', 1).del()", sql: ['delete from "users" where "id" = 1'] },
  { code: "knex('users').where('id', 1).update({ a: 1 }).returning('id')", sql: ['update "users" set "a" = 1 where "id" = 1 returning "id"'] },
  // knex's pg dialect compiles no LIMIT into an UPDATE: the update is not batched.
  { code: "knex('users').whereNull('a').limit(1000).update({ a: 1 })", sql: ['update "users" set "a" = 1 where "a" is null'] },
  { code: "knex('roles').insert({ name: 'admin', id: 1 })", sql: [`insert into "roles" ("id", "name") values (1, 'admin')`] },
  { code: "knex('roles').insert([{ name: 'a' }, { id: 2, name: 'b' }])", sql: [`insert into "roles" ("id", "name") values (DEFAULT, 'a'), (2, 'b')`] },
  { code: "knex.insert({ name: 'a' }).into('roles').onConflict('name').ignore()", sql: [`insert into "roles" ("name") values ('a') on conflict ("name") do nothing`] },
  { code: "knex('roles').insert({ id: 1, name: 'a' }).onConflict('id').merge()", sql: [`insert into "roles" ("id", "name") values (1, 'a') on conflict ("id") do update set "id" = excluded."id", "name" = excluded."name"`] },
  {
    code: "knex('leads').whereIn('id', knex('leads').select('id').whereNull('status').orderBy('id').limit(1000)).update({ status: 'new' })",
    sql: [`update "leads" set "status" = 'new' where "id" in (select "id" from "leads" where "status" is null order by "id" asc limit 1000)`],
  },
  { code: "knex('roles').truncate()", sql: ['truncate "roles" restart identity'] },
  { code: "knex('roles').insert({ id: 1, a: 2 }).onConflict('id').merge().where('roles.a', '<', 5)", sql: [`insert into "roles" ("a", "id") values (2, 1) on conflict ("id") do update set "a" = excluded."a", "id" = excluded."id" where "roles"."a" < 5`] },
  { code: "knex('roles').insert({ id: 1 }).onConflict(['id', 'b']).merge(['a'])", sql: [`insert into "roles" ("id") values (1) on conflict ("id", "b") do update set "a" = excluded."a"`] },
  { code: "knex('roles').insert({ id: 1 }).onConflict('id').ignore().returning('id')", sql: [`insert into "roles" ("id") values (1) on conflict ("id") do nothing returning "id"`] },
  { code: "knex('roles').where('id', 1).del().returning('*')", sql: ['delete from "roles" where "id" = 1 returning *'] },
  { code: "knex('roles').withSchema('app').truncate()", sql: ['truncate "app"."roles" restart identity'] },
  { code: "knex('users').whereRaw('id = :id and :col: is null', { id: 1, col: 'b' }).update({ a: 1 })", sql: ['update "users" set "a" = 1 where id = 1 and "b" is null'] },
];

describe('knex query-builder writes (same SQL as knex)', () => {
  builderCases(sameAsKnex, wrap, 'migration.js');
  test('real knex compiles the same SQL for every case', () => {
    for (const c of sameAsKnex) assert.equal(knexSql(c.code), c.sql[0], c.code);
  });
});

describe('knex query-builder writes with values miglint cannot know', () => {
  builderCases(
    [
      { code: "knex('users').where('id', userId).update({ name })", sql: ['update "users" set "name" = $2 where "id" = $1'], interpolated: true },
      { code: "knex('users').whereIn('id', ids).del()", sql: ['delete from "users" where "id" in ($1)'], interpolated: true },
    ],
    wrap,
    'migration.js',
  );
});

describe('knex raw fragments are bound as knex.raw queries are', () => {
  // knex's toString() also fills a `?` inside a string literal; the query it sends keeps it in the
  // string (a `$1` there is text), so the translation leaves it and counts it, as bindings.ts does.
  builderCases([{ code: "knex('users').whereRaw(\"note = '?' and id = ?\", [5, 6]).update({ a: 1 })", sql: [`update "users" set "a" = 1 where note = '?' and id = 6`] }], wrap, 'migration.js');
  builderCases([{ code: "knex('users').update({ b: knex.raw('data \\\\? ?', ['k']) })", sql: [`update "users" set "b" = data  ? 'k'`] }], wrap, 'migration.js');
});

describe('knex query-builder writes on a transaction', () => {
  builderCases(
    [
      {
        code: "knex.transaction(async (trx) => { await trx('users').update({ a: 1 }); await trx.table('users').where('id', 1).del(); })",
        sql: ['update "users" set "a" = 1', 'delete from "users" where "id" = 1'],
        spans: ["trx('users').update({ a: 1 })", "trx.table('users').where('id', 1).del()"],
      },
    ],
    wrap,
    'migration.js',
  );
  test('a transaction held in a variable', () => {
    const unit = unitOf(lines('exports.up = async function (knex) {', '  const trx = await knex.transaction();', "  await trx('users').update({ a: 1 });", '  await trx.commit();', '};'), 'migration.js');
    assert.deepEqual(unit.statements.map((s) => s.sql), ['update "users" set "a" = 1']);
  });
});

describe('knex query-builder chains miglint cannot read are reported, not skipped', () => {
  builderCases(
    [
      { code: "knex('users').where((q) => q.where('a', 1)).update({ a: 2 })", sql: [], unanalysed: ["knex('users').where((q) => q.where('a', 1)).update({ a: 2 })"] },
      { code: "knex('users').whereIn('id', knex('other').select('id').join('x', 'x.id', 'other.x_id')).del()", sql: [], unanalysed: ["knex('users').whereIn('id', knex('other').select('id').join('x', 'x.id', 'other.x_id')).del()"] },
      { code: 'knex(TABLE).update({ a: 1 })', sql: [], unanalysed: ['knex(TABLE).update({ a: 1 })'] },
      { code: "knex('users').join('orgs', 'orgs.id', 'users.org_id').update({ a: 1 })", sql: [], unanalysed: ["knex('users').join('orgs', 'orgs.id', 'users.org_id').update({ a: 1 })"] },
      { code: "knex('users').whereExists(function () { this.select('*'); }).del()", sql: [], unanalysed: ["knex('users').whereExists(function () { this.select('*'); }).del()"] },
      { code: "knex('users').update({ ...changes, a: 1 })", sql: [], unanalysed: ["knex('users').update({ ...changes, a: 1 })"] },
      { code: "knex('users').insert(rows)", sql: [], unanalysed: ["knex('users').insert(rows)"] },
      // knex refuses upsert on PostgreSQL ("Upsert is not yet supported for dialect postgresql").
      { code: "knex('users').upsert({ id: 1, a: 1 })", sql: [], unanalysed: ["knex('users').upsert({ id: 1, a: 1 })"] },
      { code: "knex('users').update({ a: 1 }).updateFrom('orgs')", sql: [], unanalysed: ["knex('users').update({ a: 1 }).updateFrom('orgs')"] },
      { code: "knex.with('x', knex.raw('select 1')).update({ a: 1 }).table('users')", sql: [], unanalysed: ["knex.with('x', knex.raw('select 1')).update({ a: 1 }).table('users')"] },
      // knex throws "`limit` has no effect on a `delete` statement" on PostgreSQL.
      { code: "knex('users').whereNull('a').limit(10).del()", sql: [], unanalysed: ["knex('users').whereNull('a').limit(10).del()"] },
    ],
    wrap,
    'migration.js',
  );
  test('a select, and a query builder on something else, are not writes', () => {
    const unit = unitOf(wrap("knex('users').where('id', 1).first(); await other('users').update({ a: 1 })"), 'migration.js');
    assert.deepEqual(unit.statements.map((s) => s.sql), []);
    assert.deepEqual(unit.unanalysed, []);
  });
});
