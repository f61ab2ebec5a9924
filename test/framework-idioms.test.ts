/**
 * The idioms rules name come from the framework's module (`FrameworkModule.idioms`), so a
 * rule's help speaks the framework of the file it reports on: `ban-unbatched-backfill` on a
 * whole-table UPDATE in each framework's migration names that framework's way to batch.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { lint } from './support/lint.js';

const UPDATE = 'UPDATE leads SET score = 0';

const CASES: { file: string; text: string; idiom: RegExp }[] = [
  { file: '001_m.sql', text: `${UPDATE};\n`, idiom: /in plain SQL, a job/ },
  { file: '20240101_m.js', text: `exports.up = async (knex) => {\n  await knex.raw('${UPDATE}');\n};\n`, idiom: /in knex, a loop of knex\.raw/ },
  { file: '20240101_b.js', text: `exports.up = async (knex) => {\n  await knex('leads').update({ score: 0 });\n};\n`, idiom: /in knex, .*knex drops a `\.limit\(\)`/ },
  {
    file: '20240101_k.ts',
    text: `import { Kysely } from 'kysely';\nexport async function up(db: Kysely<any>): Promise<void> {\n  await db.updateTable('leads').set({ score: 0 }).execute();\n}\n`,
    idiom: /in Kysely, .*disableTransactions: true/,
  },
  {
    file: '1700000000000-M.ts',
    text: `import { MigrationInterface, QueryRunner } from 'typeorm';\nexport class M1700000000000 implements MigrationInterface {\n  async up(queryRunner: QueryRunner): Promise<void> {\n    await queryRunner.manager.update('leads', { score: IsNull() }, { score: 0 });\n  }\n  async down(): Promise<void> {}\n}\n`,
    idiom: /in TypeORM, .*migrationsTransactionMode: 'each'/,
  },
  { file: '1700000000000_m.js', text: `exports.up = (pgm) => {\n  pgm.sql('${UPDATE}');\n};\n`, idiom: /in node-pg-migrate, .*--no-single-transaction/ },
  { file: '20240101-m.js', text: `'use strict';\nexports.up = function (db) {\n  return db.runSql('${UPDATE}');\n};\nexports.down = function () {};\n`, idiom: /in db-migrate, a loop of db\.runSql/ },
  {
    file: 'Migration20240101.ts',
    text: `import { Migration } from '@mikro-orm/migrations';\nexport class Migration20240101 extends Migration {\n  override async up(): Promise<void> {\n    this.addSql('${UPDATE};');\n  }\n}\n`,
    idiom: /in MikroORM, a loop of this\.execute/,
  },
  { file: 'versions/0002_m.py', text: `from alembic import op\n\nrevision = "0002"\ndown_revision = "0001"\n\n\ndef upgrade():\n    op.execute("${UPDATE}")\n`, idiom: /in Alembic, .*autocommit_block/ },
  {
    file: 'leads/migrations/0002_m.py',
    text: `from django.db import migrations\n\n\nclass Migration(migrations.Migration):\n    dependencies = [("leads", "0001_initial")]\n    operations = [migrations.RunSQL("${UPDATE}")]\n`,
    idiom: /in Django, a RunPython .*atomic = False/,
  },
  {
    file: 'server/db_migrate.py',
    text: `from sqlalchemy import create_engine, text\n\nengine = create_engine("postgresql://localhost/app")\n\n\ndef migrate():\n    with engine.begin() as conn:\n        conn.execute(text("${UPDATE}"))\n`,
    idiom: /in SQLAlchemy, a loop over key ranges of `with engine\.begin\(\) as conn:/,
  },
];

for (const c of CASES) {
  test(`ban-unbatched-backfill in ${c.file} names its framework's way to batch`, () => {
    const found = lint(c.file, c.text, { rules: ['ban-unbatched-backfill'] });
    assert.equal(found.length, 1, JSON.stringify(found.map((f) => f.message)));
    assert.match(found[0]!.help ?? '', c.idiom);
  });
}

test('a timeout through a SQLAlchemy engine: the display-only fix sets it with the engine\'s connect_args', () => {
  const text = 'from sqlalchemy import create_engine, text\n\nengine = create_engine("postgresql://localhost/app")\n\n\ndef migrate():\n    with engine.begin() as conn:\n        conn.execute(text("ALTER TABLE leads ADD COLUMN city text"))\n';
  const found = lint('server/db_migrate.py', text, { rules: ['require-lock-timeout'] });
  assert.deepEqual(found.map((f) => f.fix?.title), [
    'Set lock_timeout on the connection the migration runs on (a SET sent through a pool may land on another connection): e.g. create_engine(url, connect_args={"options": "-c lock_timeout=5s"}) (Flask-SQLAlchemy: SQLALCHEMY_ENGINE_OPTIONS = {"connect_args": {"options": "-c lock_timeout=5s"}})',
  ]);
});
