/**
 * The Python frontend fails closed on operations it does not translate: Django's
 * RunPython, SeparateDatabaseAndState's database operations, unknown operation
 * classes, Alembic `op.*` calls without a translation; and the operations it
 * translates beyond the first builders (DeleteModel, AlterModelTable, constraints,
 * extensions, bulk_insert, exclusion constraints).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadUnit, prepareFrontends } from '../../src/sources/index.js';
import { config } from '../support/lint.js';

await prepareFrontends(['any.py']);
const unit = (file: string, text: string) => loadUnit(file, text, config().settings);
const django = (...ops: string[]) =>
  unit('crm/migrations/0003_x.py', ['from django.db import migrations, models', '', 'class Migration(migrations.Migration):', '    operations = [', ...ops.map((o) => `        ${o},`), '    ]', '', 'def noop_fn(apps, schema_editor):', '    """Nothing to do."""', '    pass', ''].join('\n'));
const lineOf = (u: ReturnType<typeof unit>, offset: number) => u.source.text.slice(0, offset).split('\n').length;
const notAnalysed = (u: ReturnType<typeof unit>) => u.unanalysed.filter((x) => x.scope === 'statement').map((x) => `${x.phase} ${lineOf(u, x.span.start)} ${u.source.text.slice(x.span.start, x.span.end)}`);

test('Django RunPython is not analysed (both directions), unless its code is a no-op', () => {
  const u = django(
    'migrations.RunPython(forwards, backwards)',
    'migrations.RunPython(forwards, reverse_code=migrations.RunPython.noop)',
    'migrations.RunPython(migrations.RunPython.noop, migrations.RunPython.noop)',
    'migrations.RunPython(noop_fn, lambda apps, schema_editor: None)',
  );
  assert.deepEqual(notAnalysed(u), ['up 5 migrations.RunPython(forwards, backwards)', 'down 5 backwards', 'up 6 migrations.RunPython(forwards, reverse_code=migrations.RunPython.noop)']);
  assert.match(u.unanalysed[0]!.message, /^Not analysed: `RunPython` runs the Python code `forwards`, which miglint does not read/);
  assert.equal(u.statements.length, 0);
});

test('Django SeparateDatabaseAndState: its database operations are read, its state operations send nothing', () => {
  const u = django(
    'migrations.SeparateDatabaseAndState(state_operations=[migrations.DeleteModel("Old")], database_operations=[migrations.RunSQL("ALTER TABLE crm_old RENAME TO crm_new"), migrations.RunPython(forwards)])',
    'migrations.SeparateDatabaseAndState(state_operations=[migrations.RemoveField("lead", "x")])',
    'migrations.SeparateDatabaseAndState(database_operations=OPS)',
  );
  assert.deepEqual(u.statements.map((s) => s.sql), ['ALTER TABLE crm_old RENAME TO crm_new']);
  assert.deepEqual(notAnalysed(u).map((x) => x.replace(/ migrations.*/, '')), ['up 5', 'up 7 OPS']);
});

test('Django operations miglint does not know are not analysed; model options and managers send no SQL', () => {
  const u = django(
    'migrations.AlterUniqueTogether(name="lead", unique_together={("a", "b")})',
    'MyOperation("lead")',
    '*extra_operations',
    'migrations.AlterModelOptions(name="lead", options={"ordering": ["a"]})',
    'migrations.AlterModelManagers(name="lead", managers=[])',
    'migrations.RenameIndex("lead", new_name="n", old_fields=("a", "b"))',
  );
  assert.deepEqual(notAnalysed(u).map((x) => x.split(' ').slice(0, 3).join(' ')), ['up 5 migrations.AlterUniqueTogether(name="lead",', 'up 6 MyOperation("lead")', 'up 7 *extra_operations', 'up 10 migrations.RenameIndex("lead",']);
  assert.match(u.unanalysed[1]!.message, /the Django operation `MyOperation` is not one miglint translates/);
  assert.equal(u.statements.length, 0);
  const computed = unit('crm/migrations/0004_x.py', 'from django.db import migrations\nclass Migration(migrations.Migration):\n    operations = BASE + [migrations.RunSQL("SELECT 1")]\n');
  assert.match(notAnalysed(computed)[0]!, /^up 3 BASE \+/);
});

test('Django operations translated: DeleteModel, AlterModelTable, constraints, extensions, a foreign key with its index', () => {
  const u = django(
    'migrations.DeleteModel(name="Old")',
    'migrations.AlterModelTable(name="lead", table="crm_leads")',
    'migrations.RemoveField(model_name="lead", name="legacy")',
    'migrations.RemoveConstraint(model_name="lead", name="lead_uq")',
    'AddConstraintNotValid(model_name="lead", constraint=models.CheckConstraint(condition=models.Q(score__gte=0), name="score_ck"))',
    'ValidateConstraint(model_name="lead", name="score_ck")',
    'migrations.AddConstraint(model_name="lead", constraint=models.UniqueConstraint(fields=["email"], condition=models.Q(deleted=False), name="live_email_uq"))',
    'migrations.AddConstraint(model_name="lead", constraint=ExclusionConstraint(name="no_overlap", expressions=[("during", RangeOperators.OVERLAPS), ("room", "=")]))',
    'TrigramExtension()',
    'CreateExtension("postgis")',
    'migrations.AddField(model_name="lead", name="owner", field=models.ForeignKey(null=True, on_delete=models.CASCADE, to="auth.user"))',
    'migrations.RenameIndex("lead", new_name="lead_new_idx", old_name="lead_old_idx")',
  );
  assert.deepEqual(
    u.statements.map((s) => s.sql),
    [
      'DROP TABLE "crm_old" CASCADE',
      'ALTER TABLE "crm_lead" RENAME TO "crm_leads"',
      'ALTER TABLE "crm_leads" DROP COLUMN "legacy" CASCADE',
      'ALTER TABLE "crm_leads" DROP CONSTRAINT "lead_uq"',
      'ALTER TABLE "crm_leads" ADD CONSTRAINT "score_ck" CHECK (true) NOT VALID',
      'ALTER TABLE "crm_leads" VALIDATE CONSTRAINT "score_ck"',
      'CREATE UNIQUE INDEX "live_email_uq" ON "crm_leads" ("email") WHERE true',
      'ALTER TABLE "crm_leads" ADD CONSTRAINT "no_overlap" EXCLUDE USING gist ("during" WITH &&, "room" WITH =)',
      'CREATE EXTENSION IF NOT EXISTS "pg_trgm"',
      'CREATE EXTENSION IF NOT EXISTS "postgis"',
      'ALTER TABLE "crm_leads" ADD COLUMN "owner_id" bigint',
      'CREATE INDEX ON "crm_leads" ("owner_id")',
      'ALTER INDEX "lead_old_idx" RENAME TO "lead_new_idx"',
    ],
  );
  assert.deepEqual(notAnalysed(u), []);
});

test('Django AlterModelTable(table=None) goes back to the default <app>_<model> name: nothing to rename when it already has it', () => {
  const u = django('migrations.AlterModelTable(name="lead", table=None)', 'migrations.AlterModelTable(name="lead", table="crm_leads")', 'migrations.AlterModelTable(name="lead", table=None)');
  assert.deepEqual(u.statements.map((s) => s.sql), ['ALTER TABLE "crm_lead" RENAME TO "crm_leads"', 'ALTER TABLE "crm_leads" RENAME TO "crm_lead"']);
  assert.deepEqual(notAnalysed(u), []);
});

const alembic = (...body: string[]) => unit('versions/0003_x.py', ['from alembic import op', 'import sqlalchemy as sa', '', 'def upgrade():', ...body.map((b) => `    ${b}`), ''].join('\n'));

test('Alembic op.* calls without a translation are not analysed; connection, context and name helpers send nothing', () => {
  const u = alembic(
    'op.invoke(MyOperation())',
    'op.run_async(do_things)',
    'conn = op.get_bind()',
    'ctx = op.get_context()',
    'op.drop_index(op.f("ix_a"), table_name="a")',
    'with op.batch_alter_table("a") as batch_op:',
    '    batch_op.frobnicate("x")',
  );
  assert.deepEqual(notAnalysed(u), ['up 5 op.invoke(MyOperation())', 'up 6 op.run_async(do_things)', 'up 11 batch_op.frobnicate("x")']);
  assert.match(u.unanalysed[0]!.message, /^Not analysed: `op\.invoke\(\.\.\.\)` is not an Alembic operation miglint translates/);
  assert.deepEqual(u.statements.map((s) => s.sql), ['DROP INDEX "ix_a"']);
});

test('Alembic bulk_insert, table comments and exclusion constraints become SQL', () => {
  const u = alembic(
    'accounts = sa.table("accounts", sa.column("id", sa.Integer), sa.column("name", sa.String))',
    'op.bulk_insert(accounts, [{"id": 1, "name": "a"}])',
    'op.create_table_comment("accounts", "Customer accounts")',
    'op.drop_table_comment("accounts")',
    'op.create_exclude_constraint("no_overlap", "bookings", ("during", "&&"), using="gist")',
    'op.bulk_insert(table_from_elsewhere(), rows)',
    'op.alter_column("leads", "amount", type_=sa.BigInteger(), postgresql_using="amount::bigint")',
  );
  assert.deepEqual(u.statements.map((s) => s.sql), [
    'INSERT INTO "accounts" ("id", "name") VALUES ($1, $2)',
    `COMMENT ON TABLE "accounts" IS 'Customer accounts'`,
    'COMMENT ON TABLE "accounts" IS NULL',
    'ALTER TABLE "bookings" ADD CONSTRAINT "no_overlap" EXCLUDE USING gist ("during" WITH &&)',
    'ALTER TABLE "leads" ALTER COLUMN "amount" TYPE bigint USING amount::bigint',
  ]);
  assert.deepEqual(notAnalysed(u), ['up 10 op.bulk_insert(table_from_elsewhere(), rows)']);
});

test('column definitions as the frameworks send them: SERIAL keys, identity, generated columns, Django keys and db_default', () => {
  const a = alembic(
    'op.create_table("a", sa.Column("id", sa.Integer(), primary_key=True), sa.Column("n", sa.Integer()))',
    'op.create_table("b", sa.Column("id", sa.BigInteger(), sa.Identity(always=True), primary_key=True), sa.Column("d", sa.Integer(), sa.Computed("id * 2")))',
    'op.create_table("c", sa.Column("x", sa.Integer(), primary_key=True), sa.Column("y", sa.Integer(), primary_key=True))',
    'op.create_table("d", sa.Column("id", sa.Integer(), primary_key=True, autoincrement=False))',
  );
  assert.deepEqual(a.statements.map((s) => s.sql), [
    'CREATE TABLE "a" ("id" serial PRIMARY KEY, "n" integer)',
    'CREATE TABLE "b" ("id" bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, "d" integer GENERATED ALWAYS AS (id * 2) STORED)',
    'CREATE TABLE "c" ("x" integer NOT NULL, "y" integer NOT NULL, PRIMARY KEY ("x", "y"))',
    'CREATE TABLE "d" ("id" integer PRIMARY KEY)',
  ]);
  const d = django(
    'migrations.CreateModel(name="Kind", fields=[("id", models.SmallAutoField(primary_key=True, serialize=False)), ("code", models.CharField(max_length=8, unique=True))])',
    'migrations.AddField(model_name="lead", name="token", field=models.UUIDField(db_default=RandomUUID()))',
    'migrations.AddField(model_name="lead", name="seen", field=models.DateTimeField(db_default=Now()))',
  );
  assert.deepEqual(d.statements.map((s) => s.sql), [
    'CREATE TABLE "crm_kind" ("id" smallint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, "code" varchar(8) NOT NULL UNIQUE)',
    'ALTER TABLE "crm_lead" ADD COLUMN "token" uuid NOT NULL DEFAULT gen_random_uuid()',
    'ALTER TABLE "crm_lead" ADD COLUMN "seen" timestamp with time zone NOT NULL DEFAULT now()',
  ]);
  assert.ok(d.statements.every((s) => !s.interpolated));
});

test('Alembic existing_type states the old type for the type change (an unknown one states nothing and marks nothing interpolated)', () => {
  const u = alembic(
    'op.alter_column("t", "a", existing_type=sa.Integer(), type_=sa.BigInteger())',
    'op.alter_column("t", "b", existing_type=sa.ARRAY(sa.String(20)), type_=sa.ARRAY(sa.Text()))',
    'op.alter_column("t", "c", existing_type=MyType(), type_=sa.Text())',
    'op.alter_column("t", "d", existing_type=sa.ARRAY(MyType()), type_=sa.Text())',
  );
  assert.deepEqual(
    u.statements.map((s) => [s.sql, s.interpolated, Object.entries(s.priorColumnTypes ?? {}).map(([c, t]) => `${c}: ${t.text}`)]),
    [
      ['ALTER TABLE "t" ALTER COLUMN "a" TYPE bigint', false, ['a: int4']],
      ['ALTER TABLE "t" ALTER COLUMN "b" TYPE text[]', false, ['b: varchar(20)[]']],
      ['ALTER TABLE "t" ALTER COLUMN "c" TYPE text', false, []],
      ['ALTER TABLE "t" ALTER COLUMN "d" TYPE text', false, []],
    ],
  );
});
