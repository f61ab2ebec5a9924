/**
 * Kysely's data-change builders (updateTable / deleteFrom / insertInto ... execute()) on the
 * migration's `db` or a transaction, translated into the statement Kysely's PostgreSQL
 * compiler writes (read from kysely's default-query-compiler.ts: lower-case keywords, quoted
 * names, successive `where`s joined with `and`; values inline where they are literals), and
 * the chains it cannot read reported as not analysed.
 */
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { initSqlParser, lines, unitOf } from '../sources/support.js';
import { builderCases } from './support.js';

before(async () => {
  await initSqlParser();
});

const wrap = (code: string) => lines("import { Kysely, sql } from 'kysely';", 'export async function up(db: Kysely<any>): Promise<void> {', `  await ${code};`, '}');

describe('Kysely data-change builders', () => {
  builderCases(
    [
      { code: "db.updateTable('users').set({ active: true }).execute()", sql: ['update "users" set "active" = true'] },
      { code: "db.updateTable('users').set('name', 'x').where('id', '=', 1).execute()", sql: [`update "users" set "name" = 'x' where "id" = 1`] },
      { code: "db.updateTable('users').set({ a: 1 }).where('id', '>=', 1).where('id', '<', 1000).executeTakeFirst()", sql: ['update "users" set "a" = 1 where "id" >= 1 and "id" < 1000'] },
      { code: "db.updateTable('users').set({ at: sql`now()` }).where('x', 'is', null).execute()", sql: ['update "users" set "at" = now() where "x" is null'] },
      { code: "db.updateTable('users').set({ a: 1 }).where('id', 'in', [1, 2]).returning('id').execute()", sql: ['update "users" set "a" = 1 where "id" in (1, 2) returning "id"'] },
      { code: "db.updateTable('users').set({ a: 1 }).where(sql`a is null`).execute()", sql: ['update "users" set "a" = 1 where a is null'] },
      { code: "db.withSchema('app').deleteFrom('users').where('id', '=', 3).execute()", sql: ['delete from "app"."users" where "id" = 3'] },
      { code: "db.deleteFrom('users').where('x', 'is', null).returningAll().execute()", sql: ['delete from "users" where "x" is null returning *'] },
      { code: "db.insertInto('roles').values([{ name: 'a', id: 1 }, { name: 'b' }]).execute()", sql: [`insert into "roles" ("name", "id") values ('a', 1), ('b', default)`] },
      { code: "db.insertInto('roles').values({ name: 'a' }).onConflict((oc) => oc.column('name').doNothing()).execute()", sql: [`insert into "roles" ("name") values ('a') on conflict ("name") do nothing`] },
      { code: "db.updateTable('users').set({ name }).where('id', '=', userId).execute()", sql: ['update "users" set "name" = $1 where "id" = $2'], interpolated: true },
      // Through consts holding the start of the chain (Kysely's builders are immutable).
      {
        code: "(async () => { const app = db.withSchema('app'); const q = app.updateTable('users').set({ a: 1 }); await q.where('id', '=', 1).execute(); })()",
        sql: ['update "app"."users" set "a" = 1 where "id" = 1'],
        spans: ["q.where('id', '=', 1).execute()"],
      },
    ],
    wrap,
  );
  builderCases(
    [
      {
        code: "db.transaction().execute(async (trx) => { await trx.updateTable('users').set({ a: 1 }).execute(); })",
        sql: ['update "users" set "a" = 1'],
        spans: ["trx.updateTable('users').set({ a: 1 }).execute()"],
      },
    ],
    wrap,
  );
});

describe('Kysely data-change chains miglint cannot read are reported, not skipped', () => {
  builderCases(
    [
      { code: "db.updateTable('users').set((eb) => ({ a: eb('a', '+', 1) })).execute()", sql: [], unanalysed: ["db.updateTable('users').set((eb) => ({ a: eb('a', '+', 1) })).execute()"] },
      { code: "db.deleteFrom('users').where((eb) => eb('a', '=', 1)).execute()", sql: [], unanalysed: ["db.deleteFrom('users').where((eb) => eb('a', '=', 1)).execute()"] },
      { code: "db.updateTable('users').set({ [col]: 1 }).execute()", sql: [], unanalysed: ["db.updateTable('users').set({ [col]: 1 }).execute()"] },
      { code: 'db.updateTable(table).set({ a: 1 }).execute()', sql: [], unanalysed: ['db.updateTable(table).set({ a: 1 }).execute()'] },
      { code: "db.updateTable('users').set({ a: 1 }).where('id', 'in', db.selectFrom('x').select('id')).execute()", sql: [], unanalysed: ["db.updateTable('users').set({ a: 1 }).where('id', 'in', db.selectFrom('x').select('id')).execute()"] },
      // PostgreSQL has no LIMIT on UPDATE: Kysely sends it and the statement fails.
      { code: "db.updateTable('users').set({ a: 1 }).limit(10).execute()", sql: [], unanalysed: ["db.updateTable('users').set({ a: 1 }).limit(10).execute()"] },
      // A CTE, a plugin (which may rewrite names) or MERGE before the write: reported, not dropped.
      ...[
        "db.with('ids', (qb) => qb.selectFrom('users').select('id').limit(10)).updateTable('users').set({ a: 1 }).execute()",
        "db.withRecursive('t(n)', (qb) => qb.selectNoFrom(sql`1`.as('n'))).deleteFrom('users').execute()",
        "db.withPlugin(new CamelCasePlugin()).updateTable('users').set({ isActive: true }).execute()",
        "db.withSchema('app').withPlugin(plugin).deleteFrom('users').execute()",
        "db.mergeInto('users as u').using('staged as s', 'u.id', 's.id').whenMatched().thenDelete().execute()",
        "db.with('gone', (qb) => qb.deleteFrom('users').where('a', 'is', null).returning('id')).selectFrom('gone').selectAll().execute()",
      ].map((code) => ({ code, sql: [], unanalysed: [code] })),
      {
        code: "(async () => { const camel = db.withPlugin(new CamelCasePlugin()); await camel.updateTable('users').set({ isActive: true }).execute(); })()",
        sql: [],
        unanalysed: ["camel.updateTable('users').set({ isActive: true }).execute()"],
      },
    ],
    wrap,
  );
  test('a chain that is not executed, or a select, is not a statement', () => {
    const unit = unitOf(wrap("db.updateTable('users').set({ a: 1 }).compile(); await db.selectFrom('users').selectAll().execute(); await db.with('x', (qb) => qb.selectFrom('users').select('id')).selectFrom('x').selectAll().execute()"));
    assert.deepEqual(unit.statements.map((s) => s.sql), []);
    assert.deepEqual(unit.unanalysed, []);
  });
});

describe('why a Kysely write is not analysed', () => {
  test('the message names the CTE, the plugin or MERGE', () => {
    const messages = (code: string) => unitOf(wrap(code)).unanalysed.map((u) => u.message);
    assert.match(messages("db.with('ids', (qb) => qb.selectFrom('users').select('id')).updateTable('users').set({ a: 1 }).execute()")[0]!, /miglint does not translate the `with\(\.\.\.\)` common table expression of this Kysely query/);
    assert.match(messages("db.withPlugin(new CamelCasePlugin()).updateTable('users').set({ a: 1 }).execute()")[0]!, /whose plugin may rewrite the names and values/);
    assert.match(messages("db.mergeInto('users').using('s', 'users.id', 's.id').whenMatched().thenDelete().execute()")[0]!, /`mergeInto\(\.\.\.\)` \(a MERGE statement\)/);
  });
});
