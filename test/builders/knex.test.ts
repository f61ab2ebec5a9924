/**
 * knex's schema builder translated into SQL: each call form's exact statements,
 * compared with what knex 3's pg dialect itself generates (`toSQL()`, no connection).
 */
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { before, describe, test } from 'node:test';
import { initSqlParser, lines } from '../sources/support.js';
import { builderCases, type BuilderCase } from './support.js';

before(async () => {
  await initSqlParser();
});

const require = createRequire(import.meta.url);
// eslint-disable-next-line @typescript-eslint/no-require-imports
const realKnex = require('knex')({ client: 'pg' });

/** What real knex generates for `code` (a `knex.schema...` expression). */
function knexSql(code: string): string[] {
  const builder = new Function('knex', `return ${code}`)(realKnex) as { toSQL(): { sql: string }[] };
  return builder.toSQL().map((q) => q.sql);
}

const wrap = (code: string) => lines('exports.up = async function (knex) {', `  await ${code};`, '};', '', 'exports.down = async function () {};');

/** Cases whose SQL real knex generates identically (no bindings). */
const sameAsKnex: BuilderCase[] = [
  {
    code: "knex.schema.alterTable('users', (t) => { t.string('email').notNullable().defaultTo('x'); })",
    sql: [`alter table "users" add column "email" varchar(255) not null default 'x'`],
    spans: ["t.string('email').notNullable().defaultTo('x')"],
  },
  {
    code: "knex.schema.table('users', (t) => { t.string('a', 64); t.text('b').nullable(); t.integer('c').defaultTo(0); })",
    sql: [`alter table "users" add column "a" varchar(64), add column "b" text null, add column "c" integer default '0'`],
    spans: ["t.string('a', 64); t.text('b').nullable(); t.integer('c').defaultTo(0)"],
  },
  {
    code:
      "knex.schema.alterTable('users', (t) => { t.timestamp('a'); t.datetime('b'); t.timestamp('c', { useTz: false }); t.timestamp('d', { precision: 3 }); t.uuid('u'); t.boolean('b2'); t.decimal('d2'); t.decimal('d3', 10, 4); t.specificType('s', 'citext'); t.json('j'); t.jsonb('jb'); t.bigInteger('bi'); t.float('f'); t.double('db'); t.date('dt'); t.time('tm'); t.binary('bin'); t.smallint('si'); t.tinyint('ti'); })",
    sql: [
      'alter table "users" add column "a" timestamptz, add column "b" timestamptz, add column "c" timestamp, add column "d" timestamptz(3), add column "u" uuid, add column "b2" boolean, add column "d2" decimal(8, 2), add column "d3" decimal(10, 4), add column "s" citext, add column "j" json, add column "jb" jsonb, add column "bi" bigint, add column "f" real, add column "db" double precision, add column "dt" date, add column "tm" time, add column "bin" bytea, add column "si" smallint, add column "ti" smallint',
    ],
    spans: ["t.timestamp('a'); t.datetime('b'); t.timestamp('c', { useTz: false }); t.timestamp('d', { precision: 3 }); t.uuid('u'); t.boolean('b2'); t.decimal('d2'); t.decimal('d3', 10, 4); t.specificType('s', 'citext'); t.json('j'); t.jsonb('jb'); t.bigInteger('bi'); t.float('f'); t.double('db'); t.date('dt'); t.time('tm'); t.binary('bin'); t.smallint('si'); t.tinyint('ti')"],
  },
  {
    code: "knex.schema.alterTable('users', (t) => { t.increments('id'); t.bigIncrements('bid', { primaryKey: false }); })",
    sql: ['alter table "users" add column "id" serial primary key, add column "bid" bigserial'],
    spans: ["t.increments('id'); t.bigIncrements('bid', { primaryKey: false })"],
  },
  {
    code: "knex.schema.alterTable('users', (t) => { t.timestamp('a').defaultTo(knex.fn.now()); t.jsonb('j').defaultTo(knex.raw(\"'{}'::jsonb\")); t.boolean('b').defaultTo(false); t.string('n').defaultTo(null); })",
    sql: [`alter table "users" add column "a" timestamptz default CURRENT_TIMESTAMP, add column "j" jsonb default '{}'::jsonb, add column "b" boolean default '0', add column "n" varchar(255) default null`],
    spans: ["t.timestamp('a').defaultTo(knex.fn.now()); t.jsonb('j').defaultTo(knex.raw(\"'{}'::jsonb\")); t.boolean('b').defaultTo(false); t.string('n').defaultTo(null)"],
  },
  {
    code: "knex.schema.alterTable('users', (t) => { t.enu('e', ['a', 'b']).notNullable(); })",
    sql: [`alter table "users" add column "e" text check ("e" in ('a', 'b')) not null`],
    spans: ["t.enu('e', ['a', 'b']).notNullable()"],
  },
  {
    code: "knex.schema.alterTable('users', (t) => { t.enu('mood', ['happy', 'sad'], { useNative: true, enumName: 'mood' }); })",
    sql: [`create type "mood" as enum ('happy', 'sad')`, 'alter table "users" add column "mood" "mood"'],
    spans: ["t.enu('mood', ['happy', 'sad'], { useNative: true, enumName: 'mood' })"],
  },
  {
    code: "knex.schema.alterTable('users', (t) => { t.string('email', 64).nullable().alter(); })",
    sql: [
      'alter table "users" alter column "email" drop default',
      'alter table "users" alter column "email" drop not null',
      'alter table "users" alter column "email" type varchar(64) using ("email"::varchar(64))',
    ],
    spans: ["t.string('email', 64).nullable().alter()"],
  },
  {
    code: "knex.schema.alterTable('users', (t) => { t.integer('n').notNullable().defaultTo(0).alter(); })",
    sql: [
      'alter table "users" alter column "n" drop default',
      'alter table "users" alter column "n" drop not null',
      'alter table "users" alter column "n" type integer using ("n"::integer)',
      `alter table "users" alter column "n" set default '0'`,
      'alter table "users" alter column "n" set not null',
    ],
    spans: ["t.integer('n').notNullable().defaultTo(0).alter()"],
  },
  {
    code: "knex.schema.alterTable('users', (t) => { t.text('n').notNullable().alter({ alterNullable: false }); t.bigInteger('m').alter({ alterType: false }); })",
    sql: [
      'alter table "users" alter column "n" drop default',
      'alter table "users" alter column "n" type text using ("n"::text)',
      'alter table "users" alter column "m" drop default',
      'alter table "users" alter column "m" drop not null',
    ],
    spans: ["t.text('n').notNullable().alter({ alterNullable: false })", "t.text('n').notNullable().alter({ alterNullable: false })", "t.bigInteger('m').alter({ alterType: false })", "t.bigInteger('m').alter({ alterType: false })"],
  },
  {
    code: "knex.schema.alterTable('users', (t) => { t.integer('org_id').references('id').inTable('orgs').onDelete('CASCADE'); })",
    sql: ['alter table "users" add column "org_id" integer', 'alter table "users" add constraint "users_org_id_foreign" foreign key ("org_id") references "orgs" ("id") on delete CASCADE'],
    spans: ["t.integer('org_id').references('id').inTable('orgs').onDelete('CASCADE')"],
  },
  {
    code: "knex.schema.alterTable('users', (t) => { t.integer('org_id').notNullable().references('orgs.id'); })",
    sql: ['alter table "users" add column "org_id" integer not null', 'alter table "users" add constraint "users_org_id_foreign" foreign key ("org_id") references "orgs" ("id")'],
    spans: ["t.integer('org_id').notNullable().references('orgs.id')"],
  },
  {
    code: "knex.schema.alterTable('users', (t) => { t.foreign('org_id').references('id').inTable('orgs').onUpdate('CASCADE'); t.foreign(['a', 'b'], 'fk_ab').references(['x', 'y']).inTable('other'); })",
    sql: [
      'alter table "users" add constraint "users_org_id_foreign" foreign key ("org_id") references "orgs" ("id") on update CASCADE',
      'alter table "users" add constraint "fk_ab" foreign key ("a", "b") references "other" ("x", "y")',
    ],
    spans: ["t.foreign('org_id').references('id').inTable('orgs').onUpdate('CASCADE')", "t.foreign(['a', 'b'], 'fk_ab').references(['x', 'y']).inTable('other')"],
  },
  {
    code: "knex.schema.alterTable('users', (t) => { t.unique(['a', 'b']); t.unique('c', { indexName: 'uc', useConstraint: false }); t.primary(['id']); t.primary(['k'], 'pk_k'); })",
    sql: [
      'alter table "users" add constraint "users_a_b_unique" unique ("a", "b")',
      'create unique index "uc" on "users" ("c")',
      'alter table "users" add constraint "users_pkey" primary key ("id")',
      'alter table "users" add constraint "pk_k" primary key ("k")',
    ],
    spans: ["t.unique(['a', 'b'])", "t.unique('c', { indexName: 'uc', useConstraint: false })", "t.primary(['id'])", "t.primary(['k'], 'pk_k')"],
  },
  {
    code: "knex.schema.alterTable('users', (t) => { t.string('x').unique(); t.string('y').index(); t.string('z').primary(); })",
    sql: [
      'alter table "users" add column "x" varchar(255), add column "y" varchar(255), add column "z" varchar(255)',
      'alter table "users" add constraint "users_x_unique" unique ("x")',
      'create index "users_y_index" on "users" ("y")',
      'alter table "users" add constraint "users_pkey" primary key ("z")',
    ],
    spans: ["t.string('x').unique(); t.string('y').index(); t.string('z').primary()", "t.string('x').unique()", "t.string('y').index()", "t.string('z').primary()"],
  },
  {
    code: "knex.schema.alterTable('users', (t) => { t.index(['a', 'b'], 'idx_ab', 'gin'); })",
    sql: ['create index "idx_ab" on "users" using gin ("a", "b")'],
    spans: ["t.index(['a', 'b'], 'idx_ab', 'gin')"],
  },
  {
    code: "knex.schema.alterTable('users', (t) => { t.dropColumn('a'); t.dropColumns('b', 'c'); t.renameColumn('d', 'e'); })",
    sql: ['alter table "users" drop column "a"', 'alter table "users" drop column "b", drop column "c"', 'alter table "users" rename "d" to "e"'],
    spans: ["t.dropColumn('a')", "t.dropColumns('b', 'c')", "t.renameColumn('d', 'e')"],
  },
  {
    code: "knex.schema.alterTable('users', (t) => { t.dropNullable('a'); t.setNullable('b'); })",
    sql: ['alter table "users" alter column "a" set not null', 'alter table "users" alter column "b" drop not null'],
    spans: ["t.dropNullable('a')", "t.setNullable('b')"],
  },
  {
    code: "knex.schema.alterTable('users', (t) => { t.dropUnique(['a']); t.dropForeign('b'); t.dropPrimary(); t.dropIndex(['c']); t.dropTimestamps(); })",
    sql: [
      'alter table "users" drop constraint "users_a_unique"',
      'alter table "users" drop constraint "users_b_foreign"',
      'alter table "users" drop constraint "users_pkey"',
      'drop index "users_c_index"',
      'alter table "users" drop column "created_at", drop column "updated_at"',
    ],
    spans: ["t.dropUnique(['a'])", "t.dropForeign('b')", 't.dropPrimary()', "t.dropIndex(['c'])", 't.dropTimestamps()'],
  },
  {
    code: "knex.schema.alterTable('users', (t) => { t.check('n > 0', [], 'pos'); })",
    sql: ['alter table "users" add constraint pos check(n > 0)'],
    spans: ["t.check('n > 0', [], 'pos')"],
  },
  {
    // knex adds the columns before it drops, whatever the order of the calls.
    code: "knex.schema.alterTable('users', (t) => { t.dropColumn('old'); t.text('new'); })",
    sql: ['alter table "users" add column "new" text', 'alter table "users" drop column "old"'],
    spans: ["t.text('new')", "t.dropColumn('old')"],
  },
  {
    code: "knex.schema.withSchema('app').alterTable('users', (t) => { t.string('x'); t.unique('x'); })",
    sql: ['alter table "app"."users" add column "x" varchar(255)', 'alter table "app"."users" add constraint "users_x_unique" unique ("x")'],
    spans: ["t.string('x')", "t.unique('x')"],
  },
  {
    code: "knex.schema.alterTable('users', (t) => { t.text('x').comment('hi'); })",
    sql: ['alter table "users" add column "x" text', `comment on column "users"."x" is 'hi'`],
    spans: ["t.text('x').comment('hi')"],
  },
  {
    code: "knex.schema.createTable('users', (t) => { t.increments(); t.string('email').notNullable().unique(); t.integer('org').references('orgs.id'); t.timestamps(true, true); t.enu('e', ['a']).notNullable(); })",
    sql: [
      `create table "users" ("id" serial primary key, "email" varchar(255) not null, "org" integer, "created_at" timestamptz not null default CURRENT_TIMESTAMP, "updated_at" timestamptz not null default CURRENT_TIMESTAMP, "e" text check ("e" in ('a')) not null)`,
      'alter table "users" add constraint "users_email_unique" unique ("email")',
      'alter table "users" add constraint "users_org_foreign" foreign key ("org") references "orgs" ("id")',
    ],
    spans: [
      "knex.schema.createTable('users', (t) => { t.increments(); t.string('email').notNullable().unique(); t.integer('org').references('orgs.id'); t.timestamps(true, true); t.enu('e', ['a']).notNullable(); })",
      "t.string('email').notNullable().unique()",
      "t.integer('org').references('orgs.id')",
    ],
  },
  {
    code: "knex.schema.createTable('pairs', (t) => { t.integer('a'); t.integer('b'); t.primary(['a', 'b']); t.check('a < b', [], 'ordered'); })",
    sql: ['create table "pairs" ("a" integer, "b" integer, constraint "pairs_pkey" primary key ("a", "b"), constraint ordered check (a < b))'],
  },
  {
    code: "knex.schema.createTableIfNotExists('t', (t) => { t.uuid('id', { primaryKey: true }); })",
    sql: ['create table if not exists "t" ("id" uuid primary key)'],
  },
  {
    code: "knex.schema.createTable('t', (t) => { t.increments('id').primary(); t.integer('n'); })",
    sql: ['create table "t" ("id" serial primary key, "n" integer)'],
  },
  {
    code: "knex.schema.createTable('t', (t) => { t.increments('id'); t.integer('k'); t.primary(['id', 'k']); })",
    sql: ['create table "t" ("id" serial, "k" integer, constraint "t_pkey" primary key ("id", "k"))'],
  },
  { code: "knex.schema.renameTable('a', 'b')", sql: ['alter table "a" rename to "b"'] },
  { code: "knex.schema.dropTable('a')", sql: ['drop table "a"'] },
  { code: "knex.schema.dropTableIfExists('a')", sql: ['drop table if exists "a"'] },
  { code: "knex.schema.withSchema('s').dropTable('a')", sql: ['drop table "s"."a"'] },
];

describe('knex builder calls (same SQL as knex)', () => {
  builderCases(sameAsKnex, wrap, 'migration.js');
  test('real knex generates the same SQL for every case', () => {
    for (const c of sameAsKnex) assert.deepEqual(knexSql(c.code), c.sql, c.code);
  });
});

describe('knex builder calls with values miglint cannot know', () => {
  builderCases(
    [
      {
        code: "knex.schema.alterTable(TABLE, (t) => { t.string(col).defaultTo(value); })",
        sql: ['alter table "${TABLE}" add column "${col}" varchar(255) default $1'],
        spans: ['t.string(col).defaultTo(value)'],
        interpolated: true,
      },
      {
        // knex's `check` binds `??` as identifiers and `?` as values.
        code: "knex.schema.alterTable('users', (t) => { t.check('?? > ?', ['n', 0], 'pos'); })",
        sql: ['alter table "users" add constraint pos check("n" > 0)'],
        spans: ["t.check('?? > ?', ['n', 0], 'pos')"],
      },
      {
        code: "knex.schema.alterTable('users', (t) => { t.string('a'); t.someFutureThing('x'); })",
        sql: ['alter table "users" add column "a" varchar(255)'],
        spans: ["t.string('a')"],
        unanalysed: ["t.someFutureThing('x')"],
      },
    ],
    wrap,
    'migration.js',
  );
});
