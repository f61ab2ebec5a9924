/**
 * prefer-robust-stmts' DROP INDEX CONCURRENTLY IF EXISTS insertion in each input's own form, and
 * where it is refused: the fixed text exactly, and that it lints clean (or why there is no fix).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { rules } from '../rules/index.js';
import { fixText } from '../src/lint/fix.js';
import { initSqlParser } from '../src/sql/parse.js';
import { config, lint } from './support/lint.js';

await initSqlParser();

const RULE = 'prefer-robust-stmts';
const fix = (file: string, text: string, cfg = {}) => fixText(file, text, config(cfg), { rules, only: new Set([RULE]), unsafe: false });
const robust = (file: string, text: string, cfg = {}) => lint(file, text, { rules: [RULE], config: cfg });

describe('prefer-robust-stmts inserts the drop just before a concurrent build', () => {
  test('drizzle-kit outside a transaction: the drop is a chunk of its own (each chunk is one query string)', () => {
    const text = 'CREATE INDEX CONCURRENTLY leads_phone_idx ON leads (phone);\n';
    // drizzle's migrate wraps all migrations in one transaction; a project that runs them otherwise says so.
    const cfg = { sqlRunner: 'drizzle' as const, assumeInTransaction: false };
    const r = fix('drizzle/0001_phone.sql', text, cfg);
    assert.equal(r.error, null);
    assert.equal(r.output, 'DROP INDEX CONCURRENTLY IF EXISTS leads_phone_idx;\n--> statement-breakpoint\nCREATE INDEX CONCURRENTLY leads_phone_idx ON leads (phone);\n');
    assert.deepEqual(robust('drizzle/0001_phone.sql', r.output, cfg), []);
  });

  test('a runner that sends the file as one query string gets no fix, and the help says to drop the leftover by hand', () => {
    const text = 'CREATE INDEX CONCURRENTLY leads_phone_idx ON leads (phone);\n';
    const cfg = { sqlRunner: 'golang-migrate' as const };
    const [f] = robust('migrations/1_phone.up.sql', text, cfg);
    assert.equal(f?.fix, undefined);
    assert.match(f!.help!, /one query string.*drop an INVALID leftover by hand/);
  });

  test('TS/JS: a call that is not awaited gets no fix (the drop could still be running when the build starts)', () => {
    for (const call of ["  return knex.raw('CREATE INDEX CONCURRENTLY leads_phone_idx ON leads (phone)');", "  knex.raw('CREATE INDEX CONCURRENTLY leads_phone_idx ON leads (phone)');"]) {
      const text = ['exports.up = async (knex) => {', call, '};', 'exports.config = { transaction: false };', ''].join('\n');
      const [f] = robust('migrations/20240101_phone.js', text);
      assert.equal(f?.ruleId, RULE);
      assert.equal(f?.fix, undefined, call);
    }
  });

  test('TS/JS: a build run by a loop over an array of statements gets no fix (a drop before the call would run on every pass)', () => {
    const text = [
      "import type { Knex } from 'knex';",
      'const upStatements = [',
      "  'CREATE INDEX CONCURRENTLY idx_a ON users (email)',",
      "  'ALTER TABLE users ADD CONSTRAINT users_email_key UNIQUE USING INDEX idx_a',",
      '];',
      'export async function up(knex: Knex): Promise<void> {',
      '  for (const statement of upStatements) {',
      '    await knex.raw(statement);',
      '  }',
      '}',
      'export const config = { transaction: false };',
      '',
    ].join('\n');
    const f = robust('migrations/20240101_email.ts', text).find((x) => x.message.startsWith('CREATE INDEX CONCURRENTLY'));
    assert.ok(f, 'the loop-run build is reported');
    assert.equal(f.fix, undefined);
  });

  test('TS/JS: a build that is not the first statement of its call gets no fix', () => {
    const text = ['import type { Knex } from "knex";', 'export async function up(knex: Knex) {', "  await knex.raw('SELECT 1; CREATE INDEX CONCURRENTLY leads_phone_idx ON leads (phone)');", '}', 'export const config = { transaction: false };', ''].join('\n');
    const f = robust('migrations/20240101_phone.ts', text).find((x) => x.message.startsWith('CREATE INDEX CONCURRENTLY'));
    assert.ok(f);
    assert.equal(f.fix, undefined);
  });

  test("Django: a build in the unapply direction gets no fix (Django runs the operations last to first there)", () => {
    const text = [
      'from django.db import migrations',
      '',
      '',
      'class Migration(migrations.Migration):',
      '    atomic = False',
      '    dependencies = [("leads", "0001_initial")]',
      '    operations = [',
      '        migrations.RunSQL("DROP INDEX CONCURRENTLY IF EXISTS lead_email_idx", reverse_sql="CREATE INDEX CONCURRENTLY lead_email_idx ON leads_lead (email)"),',
      '    ]',
      '',
    ].join('\n');
    const [f] = robust('leads/migrations/0002_email.py', text);
    assert.equal(f?.ruleId, RULE);
    assert.equal(f?.fix, undefined);
    assert.match(f!.help!, /last to first/);
  });

  test("postgres.js: another template of the same tag, awaited, before the build's statement", () => {
    const text = ["import postgres from 'postgres';", 'export async function up(sql) {', '  await sql`create index concurrently if not exists leads_phone_idx on leads (phone)`;', '}', ''].join('\n');
    const r = fix('migrations/0001_phone.js', text);
    assert.equal(r.error, null);
    assert.equal(r.output, text.replace('  await sql`create', '  await sql`drop index concurrently if exists leads_phone_idx`;\n  await sql`create'));
    assert.deepEqual(robust('migrations/0001_phone.js', r.output), []);
  });

  test('a schema-qualified build gets a schema-qualified drop; an identifier that needs quotes keeps them', () => {
    const text = 'CREATE INDEX CONCURRENTLY "Leads_Phone" ON crm.leads (phone);\n';
    const r = fix('m.sql', text);
    assert.equal(r.output, 'DROP INDEX CONCURRENTLY IF EXISTS crm."Leads_Phone";\nCREATE INDEX CONCURRENTLY "Leads_Phone" ON crm.leads (phone);\n');
    assert.deepEqual(robust('m.sql', r.output), []);
  });

  test('a drop under another search_path does not count: the names are resolved, not compared as text', () => {
    const text = 'SET search_path = audit;\nDROP INDEX CONCURRENTLY IF EXISTS leads_phone_idx;\nRESET search_path;\nCREATE INDEX CONCURRENTLY leads_phone_idx ON leads (phone);\n';
    assert.deepEqual(robust('m.sql', text).map((f) => f.ruleId), [RULE]);
  });
});

describe('a transaction switch does not leave statements a rerun would stop at', () => {
  const all = (file: string, text: string, unsafe: boolean) => fixText(file, text, config(), { rules, only: null, unsafe });

  test("Django: AddIndex after an AddField in an atomic migration: atomic = False would leave the AddField committed with no fix, so the index fix advises a migration of its own", () => {
    const text = [
      'from django.db import migrations, models',
      '',
      '',
      'class Migration(migrations.Migration):',
      '    dependencies = [("leads", "0001_initial")]',
      '    operations = [',
      '        migrations.AddField("lead", "note_count", models.IntegerField(null=True)),',
      '        migrations.AddIndex("lead", models.Index(fields=["phone"], name="lead_phone_idx")),',
      '    ]',
      '',
    ].join('\n');
    const [f] = lint('leads/migrations/0002_phone.py', text, { rules: ['require-concurrent-index-creation'] });
    assert.equal(f?.fix?.applicability, 'display-only');
    assert.match(f!.fix!.title, /split: move it into a migration of its own/);
    assert.equal(all('leads/migrations/0002_phone.py', text, true).output, text);
  });

  test('Alembic: the autocommit block commits the add_column before it, which then gets if_not_exists=True (the fixed file lints clean of both rules)', () => {
    const text = ['from alembic import op', 'import sqlalchemy as sa', '', 'revision = "0002"', 'down_revision = "0001"', '', '', 'def upgrade():', '    op.add_column("leads", sa.Column("city", sa.Text()))', '    op.create_index("ix_leads_phone", "leads", ["phone"])', ''].join('\n');
    const r = all('versions/0002_phone.py', text, true);
    assert.equal(r.error, null);
    assert.equal(
      r.output,
      [
        'from alembic import op',
        'import sqlalchemy as sa',
        '',
        'revision = "0002"',
        'down_revision = "0001"',
        '',
        '',
        'def upgrade():',
        '    op.add_column("leads", sa.Column("city", sa.Text()), if_not_exists=True)',
        '    with op.get_context().autocommit_block():',
        '        op.execute("DROP INDEX CONCURRENTLY IF EXISTS ix_leads_phone")',
        '        op.create_index("ix_leads_phone", "leads", ["phone"], postgresql_concurrently=True)',
        '',
      ].join('\n'),
    );
    assert.deepEqual(lint('versions/0002_phone.py', r.output, { rules: ['prefer-robust-stmts', 'require-concurrent-index-creation'] }), []);
  });
});
