/**
 * The runners' transaction semantics against a real server: each migration is sent through `pg` the
 * way its runner sends it, and what miglint says about `CONCURRENTLY` must be what PostgreSQL does.
 * - Prisma Migrate before 7.4: the whole migration.sql in one simple query (pg's `query(text)` without
 *   parameters uses the simple protocol), one implicit transaction block when it holds several statements;
 * - Prisma Migrate 7.4 and later: each statement in its own simple query;
 * - drizzle-kit migrate: `BEGIN`, every `--> statement-breakpoint` chunk of every pending file, `COMMIT`;
 * - db-migrate (JavaScript migrations, db-migrate-pg): `BEGIN`, each `db.runSql` query, `COMMIT`;
 * - MikroORM: each queued `this.addSql` query inside the migration's transaction, or, when the class's
 *   `isTransactional()` returns false, each one on its own (here the same client, as a pool may hand out);
 * - postgres.js: each query on the pool in autocommit; `sql.begin(cb)` sends `BEGIN`, the callback's queries, `COMMIT`.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import pg from 'pg';
import type { ConfigFile } from '../src/config/index.js';
import { parseSql } from '../src/sql/parse.js';
import { lint } from './support/lint.js';
import { forEachServer, type TestServer } from './support/pg.js';

const RULE = 'ban-concurrent-index-creation-in-transaction';

/** Whether miglint says `CONCURRENTLY` fails in any of `files`, linted as that runner's migrations. */
function miglintSaysFails(files: Record<string, string>, config: ConfigFile): boolean {
  return Object.entries(files).some(([name, text]) => lint(name, text, { rules: [RULE], config }).some((f) => f.ruleId === RULE));
}

/** Runs `send` on a fresh database holding a `leads` table; the SQLSTATE it failed with, or null. */
async function outcome(server: TestServer, send: (c: pg.Client) => Promise<void>): Promise<string | null> {
  const c = new pg.Client({ connectionString: await server.freshDatabase('runner') });
  c.on('error', () => undefined);
  await c.connect();
  try {
    await c.query('CREATE TABLE leads (id bigint PRIMARY KEY, phone text, name text)');
    await send(c);
    return null;
  } catch (e) {
    return (e as { code?: string }).code ?? 'no SQLSTATE';
  } finally {
    await c.end();
  }
}

const TIMEOUT_THEN_BUILD = "SET lock_timeout = '5s';\nCREATE INDEX CONCURRENTLY IF NOT EXISTS \"leads_phone_idx\" ON leads (phone);\n";
const BUILD_ALONE = '-- CreateIndex\nCREATE INDEX CONCURRENTLY IF NOT EXISTS "leads_phone_idx" ON leads (phone);\n';

/** Prisma before 7.4: one simple query per file. */
const prismaOneString = (files: string[]) => async (c: pg.Client) => {
  for (const f of files) await c.query(f);
};
/** Prisma 7.4 and later: one simple query per statement. */
const prismaPerStatement = (files: string[]) => async (c: pg.Client) => {
  for (const f of files) for (const s of parseSql(f).statements) await c.query(s.text);
};
/** drizzle: all pending files in one transaction, one query per chunk. */
const drizzleMigrate = (files: string[]) => async (c: pg.Client) => {
  await c.query('BEGIN');
  try {
    for (const f of files) for (const chunk of f.split('--> statement-breakpoint')) if (chunk.trim()) await c.query(chunk);
    await c.query('COMMIT');
  } catch (e) {
    await c.query('ROLLBACK');
    throw e;
  }
};

/** The queries a code migration's runner sends (what its `runSql` / `addSql` calls hold), in one transaction or each alone. */
const queries = (sql: string[], inTransaction: boolean) => () => async (c: pg.Client) => {
  if (!inTransaction) {
    for (const q of sql) await c.query(q);
    return;
  }
  await c.query('BEGIN');
  try {
    for (const q of sql) await c.query(q);
    await c.query('COMMIT');
  } catch (e) {
    await c.query('ROLLBACK');
    throw e;
  }
};
const BUILD = 'CREATE INDEX CONCURRENTLY IF NOT EXISTS leads_phone_idx ON leads (phone)';
const mikro = (transactional: boolean) =>
  `import { Migration } from '@mikro-orm/migrations';\nexport class Migration1 extends Migration {\n${transactional ? '' : '  override isTransactional(): boolean {\n    return false;\n  }\n'}  override async up(): Promise<void> {\n    this.addSql('${BUILD}');\n  }\n}\n`;

const pgjs = (begin: boolean) =>
  `import type { Sql } from 'postgres';\nexport const up = async ({ context: sql }: { context: Sql }) => {\n${begin ? `  await sql.begin(async (tx) => {\n    await tx\`${BUILD}\`;\n  });\n` : `  await sql\`${BUILD}\`;\n`}};\n`;

forEachServer('runners send migrations as miglint assumes', (server) => {
  const cases: { name: string; files: Record<string, string>; config: ConfigFile; send: (files: string[]) => (c: pg.Client) => Promise<void>; fails: boolean }[] = [
    { name: 'Prisma 6: SET then CONCURRENTLY in one migration.sql', files: { 'migration.sql': TIMEOUT_THEN_BUILD }, config: { sqlRunner: 'prisma', prismaVersion: '6.19.0' }, send: prismaOneString, fails: true },
    { name: 'Prisma 6: CONCURRENTLY alone in its migration.sql', files: { 'migration.sql': BUILD_ALONE }, config: { sqlRunner: 'prisma', prismaVersion: '6.19.0' }, send: prismaOneString, fails: false },
    { name: 'Prisma 7.4: SET then CONCURRENTLY, statement by statement', files: { 'migration.sql': TIMEOUT_THEN_BUILD }, config: { sqlRunner: 'prisma', prismaVersion: '7.4.0' }, send: prismaPerStatement, fails: false },
    {
      name: 'drizzle: CONCURRENTLY in a pending migration',
      files: { '0000_phone.sql': 'ALTER TABLE leads ADD COLUMN city text;--> statement-breakpoint\n', '0001_index.sql': BUILD_ALONE },
      config: { sqlRunner: 'drizzle' },
      send: drizzleMigrate,
      fails: true,
    },
    {
      name: 'drizzle: plain DDL and a plain index',
      files: { '0000_phone.sql': 'ALTER TABLE leads ADD COLUMN city text;--> statement-breakpoint\nCREATE INDEX "leads_city_idx" ON leads (city);\n' },
      config: { sqlRunner: 'drizzle' },
      send: drizzleMigrate,
      fails: false,
    },
    { name: 'db-migrate: CONCURRENTLY through db.runSql', files: { '20240605-index.js': `exports.up = async function (db) {\n  await db.runSql('${BUILD}');\n};\n` }, config: {}, send: queries([BUILD], true), fails: true },
    { name: 'db-migrate: a plain index through db.addIndex', files: { '20240605-index.js': "exports.up = function (db, cb) {\n  db.addIndex('leads', 'leads_phone_idx', ['phone'], cb);\n};\n" }, config: {}, send: queries(['CREATE INDEX "leads_phone_idx" ON "leads" ("phone")'], true), fails: false },
    { name: 'MikroORM: CONCURRENTLY in a transactional migration', files: { 'Migration1.ts': mikro(true) }, config: {}, send: queries([BUILD], true), fails: true },
    { name: 'MikroORM: CONCURRENTLY with isTransactional() false', files: { 'Migration1.ts': mikro(false) }, config: {}, send: queries([BUILD], false), fails: false },
    { name: 'postgres.js: CONCURRENTLY inside sql.begin', files: { 'index.ts': pgjs(true) }, config: {}, send: queries([BUILD], true), fails: true },
    { name: 'postgres.js: CONCURRENTLY on the pool', files: { 'index.ts': pgjs(false) }, config: {}, send: queries([BUILD], false), fails: false },
  ];
  for (const k of cases) {
    test(`${k.name}: miglint says it ${k.fails ? 'fails' : 'runs'}, and so it does`, async () => {
      assert.equal(miglintSaysFails(k.files, k.config), k.fails, 'what miglint says');
      const code = await outcome(server, k.send(Object.values(k.files)));
      assert.equal(code, k.fails ? '25001' : null, 'what PostgreSQL does (25001 active_sql_transaction, or success)');
    });
  }
});
