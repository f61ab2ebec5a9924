/**
 * Django's migration state (src/sources/python/django-state.ts) replayed from an app's
 * sibling migrations in a temporary directory: the order of the dependencies, squashes,
 * renames, what makes a definition unknown, and the cache seeing an edited sibling; and
 * AlterField (django-alter.ts) translated against it, kind by kind, as Django's PostgreSQL
 * schema editor sends it.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { isUnknown } from '../../src/sources/python/django-fields.js';
import { stateBefore } from '../../src/sources/python/django-history.js';
import { loadUnit, prepareFrontends } from '../../src/sources/index.js';
import { config, lint } from '../support/lint.js';

await prepareFrontends(['any.py']);
const root = mkdtempSync(join(tmpdir(), 'miglint-djstate-'));
after(() => rmSync(root, { recursive: true, force: true }));

let apps = 0;
/** A fresh app directory `<root>/<app>/migrations` with the given migration files (name → operations, deps, extra class lines). */
function app(files: Record<string, { deps?: string[]; ops: string[]; extra?: string[] }>, label = `app${++apps}`): { dir: string; label: string; path: (name: string) => string } {
  const dir = join(root, label, 'migrations');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, '__init__.py'), '');
  for (const [name, f] of Object.entries(files)) writeFileSync(join(dir, `${name}.py`), migration(label, f));
  return { dir, label, path: (name) => join(dir, `${name}.py`) };
}
function migration(label: string, f: { deps?: string[]; ops: string[]; extra?: string[] }): string {
  return [
    'from django.db import migrations, models',
    'import django.db.models.deletion',
    '',
    'class Migration(migrations.Migration):',
    `    dependencies = [${(f.deps ?? []).map((d) => (d.includes(':') ? `("${d.split(':')[0]}", "${d.split(':')[1]}")` : `("${label}", "${d}")`)).join(', ')}]`,
    ...(f.extra ?? []).map((l) => `    ${l}`),
    '    operations = [',
    ...f.ops.map((o) => `        ${o},`),
    '    ]',
    '',
  ].join('\n');
}
const lead = (...fields: string[]) => `migrations.CreateModel(name="Lead", fields=[("id", models.BigAutoField(primary_key=True, serialize=False)), ${fields.join(', ')}])`;
const field = (a: ReturnType<typeof app>, before: string, deps: string[], model: string, name: string) => stateBefore(a.path(before), a.label, deps.map((d) => ({ app: a.label, name: d }))).field(model, name);
const kw = (f: ReturnType<typeof field>) => (isUnknown(f) ? f.unknown : f.kw);

test('the state replays the dependencies depth first, each before its dependants, whatever the file order', () => {
  const a = app({
    '0001_initial': { ops: [lead('("email", models.CharField(max_length=50))')] },
    // 0002_b sorts before 0002_c but depends on it: the replay follows the dependencies.
    '0002_c': { deps: ['0001_initial'], ops: ['migrations.AlterField("lead", "email", models.CharField(max_length=60))'] },
    '0002_b': { deps: ['0002_c'], ops: ['migrations.AlterField("lead", "email", models.CharField(max_length=70))'] },
    '0003_other': { deps: ['0001_initial'], ops: ['migrations.AlterField("lead", "email", models.CharField(max_length=99))'] },
  });
  assert.deepEqual(kw(field(a, '0009_x', ['0002_b'], 'lead', 'email')), { max_length: '70' });
  // A migration's state is its ancestors' only: the sibling branch 0003_other is not one.
  assert.deepEqual(kw(field(a, '0009_x', ['0002_c'], 'Lead', 'email')), { max_length: '60' });
  // A merge of both branches has both (in dependency order, sorted by name).
  assert.deepEqual(kw(field(a, '0009_x', ['0002_b', '0003_other'], 'lead', 'email')), { max_length: '99' });
});

test('a squash stands for what it replaces: never both, and a dependency on a deleted replaced file is one on its squash', () => {
  // The squash says max_length=99 where the files it replaces say 50, to show which one is replayed.
  const a = app({
    '0001_initial': { ops: [lead('("n", models.IntegerField())')] },
    '0002_a': { deps: ['0001_initial'], ops: ['migrations.AddField("lead", "code", models.CharField(max_length=50))'] },
  });
  writeFileSync(a.path('0001_squashed_0002_a'), migration(a.label, { extra: [`replaces = [("${a.label}", "0001_initial"), ("${a.label}", "0002_a")]`], ops: [lead('("n", models.IntegerField())', '("code", models.CharField(max_length=99))')] }));
  // 0003 depends on the squash and on 0002_a (a history written before and after squashing): the squash alone is replayed.
  writeFileSync(a.path('0003_b'), migration(a.label, { deps: ['0001_squashed_0002_a', '0002_a'], ops: ['migrations.RenameField("lead", "n", "points")'] }));
  const s = stateBefore(a.path('0004_c'), a.label, [{ app: a.label, name: '0003_b' }]);
  assert.deepEqual([...s.model('lead')!.fields.keys()], ['id', 'points', 'code']);
  assert.deepEqual(kw(s.field('lead', 'code')), { max_length: '99' });
  // The migration being linted is one the squash replaces: its history is the unsquashed one.
  assert.deepEqual(kw(field(a, '0002_a', ['0001_initial'], 'lead', 'n')), {});
  // The replaced files gone: a dependency on one of them is on the squash.
  rmSync(a.path('0001_initial'));
  rmSync(a.path('0002_a'));
  assert.deepEqual(kw(field(a, '0004_c', ['0002_a'], 'lead', 'code')), { max_length: '99' });
});

test('renames: RenameField moves the definition, RenameModel keeps a db_table and renames a default one', () => {
  const a = app({
    '0001_initial': {
      ops: [
        lead('("email", models.CharField(max_length=50))'),
        'migrations.CreateModel(name="Visit", fields=[("id", models.AutoField(primary_key=True)), ("lead", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, to="renames.lead"))], options={"db_table": "visits"})',
      ],
    },
    '0002_r': { deps: ['0001_initial'], ops: ['migrations.RenameField(model_name="lead", old_name="email", new_name="mail")', 'migrations.RenameModel("Lead", "Prospect")', 'migrations.RenameModel("Visit", "Call")'] },
  }, 'renames');
  const s = stateBefore(a.path('0003_x'), a.label, [{ app: a.label, name: '0002_r' }]);
  assert.equal(s.model('lead'), undefined);
  assert.equal(s.model('prospect')!.table, `${a.label}_prospect`);
  assert.equal(s.model('call')!.table, 'visits');
  assert.deepEqual(kw(s.field('prospect', 'mail')), { max_length: '50' });
  // The relation follows the renamed model.
  const fk = s.field('call', 'lead');
  assert.ok(!isUnknown(fk) && fk.kw.to === JSON.stringify(`${a.label}.Prospect`));
});

test('what the replay cannot read makes the definitions unknown, with the reason', () => {
  const a = app({
    '0001_initial': { ops: [lead('("email", EMAIL_FIELD)', '("name", models.CharField(max_length=9))')] },
    '0002_custom': { deps: ['0001_initial'], ops: ['myapp.operations.Shuffle("lead")'] },
    '0003_cycle_a': { deps: ['0003_cycle_b'], ops: [] },
    '0003_cycle_b': { deps: ['0003_cycle_a'], ops: [] },
  });
  assert.match(kw(field(a, '0002_custom', ['0001_initial'], 'lead', 'email')) as string, /the field is `EMAIL_FIELD`, not a field call/);
  assert.deepEqual(kw(field(a, '0002_custom', ['0001_initial'], 'lead', 'name')), { max_length: '9' });
  assert.match(kw(field(a, '0009', ['0002_custom'], 'lead', 'name')) as string, /an operation `Shuffle` miglint does not replay/);
  assert.match(kw(field(a, '0009', ['0001_missing'], 'lead', 'name')) as string, /the migration `0001_missing` it depends on is not in app\d+\/migrations\//);
  assert.match(kw(field(a, '0009', ['0003_cycle_a'], 'lead', 'name')) as string, /depend on each other in a cycle/);
  assert.match(kw(field(a, '0009', ['0001_initial'], 'lead', 'ghost')) as string, /no earlier migration gives the model `lead` a field `ghost`/);
  const unread = app({
    '0001_initial': { ops: [lead('("name", models.CharField(max_length=9))')] },
    '0002_computed': { deps: ['0001_initial'], extra: ['dependencies = BASE_DEPENDENCIES'], ops: [] },
  });
  assert.match(kw(field(unread, '0009', ['0002_computed'], 'lead', 'name')) as string, /the dependencies of the migration `0002_computed`: `BASE_DEPENDENCIES` is not a list miglint can read/);
  const swappable = app({
    '0001_initial': { ops: [lead('("name", models.CharField(max_length=9))')], extra: ['dependencies = [migrations.swappable_dependency(settings.AUTH_USER_MODEL)]'] },
  });
  assert.deepEqual(kw(field(swappable, '0009', ['0001_initial'], 'lead', 'name')), { max_length: '9' }, 'a swappable dependency is another app');
  const outside = stateBefore(join(root, 'loose.py'), 'x', []);
  assert.match(outside.unknown!, /not in an app's `migrations\/` directory/);
});

test('an edited sibling is read again (its size or mtime changed)', async () => {
  const a = app({ '0001_initial': { ops: [lead('("email", models.CharField(max_length=50))')] } });
  assert.deepEqual(kw(field(a, '0002', ['0001_initial'], 'lead', 'email')), { max_length: '50' });
  // Read again: the memoised state after 0001 is found current (and when it was, is kept).
  assert.deepEqual(kw(field(a, '0002', ['0001_initial'], 'lead', 'email')), { max_length: '50' });
  writeFileSync(a.path('0001_initial'), migration(a.label, { ops: [lead('("email", models.CharField(max_length=51))')] }));
  const later = new Date(Date.now() + 5000);
  utimesSync(a.path('0001_initial'), later, later);
  // The cache takes a checked file as it was for a second.
  await new Promise((r) => setTimeout(r, 1100));
  assert.deepEqual(kw(field(a, '0002', ['0001_initial'], 'lead', 'email')), { max_length: '51' });
});

/** The SQL of the linted migration `0002_alter` of a fresh app whose 0001 creates Lead (and Visit → Lead) with `fields`. */
function altered(fields: string[], ops: string[], extra: string[] = []) {
  const a = app({});
  const visit = 'migrations.CreateModel(name="Visit", fields=[("id", models.BigAutoField(primary_key=True)), ("lead", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, to="APP.lead", null=True))])';
  writeFileSync(a.path('0001_initial'), migration(a.label, { ops: [lead(...fields), visit] }).replaceAll('APP', a.label));
  const text = migration(a.label, { deps: ['0001_initial'], ops, extra }).replaceAll('APP', a.label);
  const u = loadUnit(a.path('0002_alter'), text, config().settings);
  const t = (s: string) => s.replaceAll(a.label, 'crm');
  return {
    sql: u.statements.map((s) => t(s.sql)),
    prior: u.statements.flatMap((s) => (s.priorColumnTypes ? Object.entries(s.priorColumnTypes).map(([c, ty]) => `${c}: ${ty.text}`) : [])),
    unanalysed: u.unanalysed.map((x) => t(x.message)),
    path: a.path('0002_alter'),
    text,
  };
}

test('AlterField: only attributes Django keeps out of the database send nothing', () => {
  const r = altered(['("email", models.CharField(max_length=50, null=True))'], [
    'migrations.AlterField("lead", "email", models.CharField(max_length=50, null=True, blank=True, help_text="Where", verbose_name="E-mail", choices=[("a", "A")], validators=[v]))',
    'migrations.AlterField("visit", "lead", models.ForeignKey(on_delete=django.db.models.deletion.SET_NULL, to="APP.Lead", null=True, related_name="visits", help_text="Who", verbose_name="Lead"))',
  ]);
  assert.deepEqual(r, { ...r, sql: [], unanalysed: [] });
  // Many-to-many fields through models of their own: nothing either (alter_field returns early).
  const m2m = altered(['("tags", models.ManyToManyField(to="tags.Tag", through="APP.LeadTag"))'], ['migrations.AlterField("lead", "tags", models.ManyToManyField(to="tags.tag", through="APP.LeadTag", through_fields=("lead", "tag"), blank=True))']);
  assert.deepEqual(m2m, { ...m2m, sql: [], unanalysed: [] });
});

test('AlterField: a type change says the old type, with USING when the type template changes', () => {
  const r = altered(['("email", models.CharField(max_length=50))', '("amount", models.IntegerField())', '("price", models.DecimalField(max_digits=10, decimal_places=2))'], [
    'migrations.AlterField("lead", "email", models.CharField(max_length=100))',
    'migrations.AlterField("lead", "amount", models.BigIntegerField())',
    'migrations.AlterField("lead", "price", models.DecimalField(max_digits=12, decimal_places=3))',
  ]);
  assert.deepEqual(r.sql, [
    'ALTER TABLE "crm_lead" ALTER COLUMN "email" TYPE varchar(100)',
    'ALTER TABLE "crm_lead" ALTER COLUMN "amount" TYPE bigint USING "amount"::bigint',
    'ALTER TABLE "crm_lead" ALTER COLUMN "price" TYPE numeric(12, 3)',
  ]);
  assert.deepEqual(r.prior, ['email: varchar(50)', 'amount: int4', 'price: numeric(10,2)']);
  // The rule sees the binary-coercible varchar change as one, and the others as rewrites.
  const label = r.path.split('/').at(-3)!;
  const f = lint(r.path, r.text, { rules: ['changing-column-type'] });
  assert.deepEqual(f.map((x) => x.message.replaceAll(label, 'crm')), ['ALTER COLUMN "amount" TYPE int8 on existing table "crm_lead" rewrites it.', 'ALTER COLUMN "price" TYPE numeric(12,3) on existing table "crm_lead" rewrites it.']);
});

test('AlterField: NULL to NOT NULL (with the default Django sets for it, or the four steps of a default) and back', () => {
  const r = altered(['("email", models.CharField(max_length=50, null=True))', '("note", models.TextField(null=True))', '("n", models.IntegerField(null=True))', '("m", models.IntegerField())'], [
    'migrations.AlterField("lead", "email", models.CharField(max_length=50))',
    'migrations.AlterField("lead", "note", models.TextField(blank=True))',
    'migrations.AlterField("lead", "n", models.IntegerField(default=0))',
    'migrations.AlterField("lead", "m", models.IntegerField(null=True))',
  ]);
  assert.deepEqual(r.sql, [
    'ALTER TABLE "crm_lead" ALTER COLUMN "email" SET NOT NULL',
    `ALTER TABLE "crm_lead" ALTER COLUMN "note" SET DEFAULT '', ALTER COLUMN "note" SET NOT NULL`,
    'ALTER TABLE "crm_lead" ALTER COLUMN "note" DROP DEFAULT',
    'ALTER TABLE "crm_lead" ALTER COLUMN "n" SET DEFAULT 0',
    'UPDATE "crm_lead" SET "n" = 0 WHERE "n" IS NULL',
    'ALTER TABLE "crm_lead" ALTER COLUMN "n" SET NOT NULL',
    'ALTER TABLE "crm_lead" ALTER COLUMN "n" DROP DEFAULT',
    'ALTER TABLE "crm_lead" ALTER COLUMN "m" DROP NOT NULL',
  ]);
});

test('AlterField: indexes and unique constraints (Django names, the _like index of a varchar), db_column', () => {
  const r = altered(['("code", models.CharField(max_length=20))', '("slug", models.SlugField(unique=True))', '("n", models.IntegerField(db_index=True))'], [
    'migrations.AlterField("lead", "code", models.CharField(max_length=20, db_index=True))',
    'migrations.AlterField("lead", "slug", models.SlugField())',
    'migrations.AlterField("lead", "n", models.IntegerField(unique=True, db_column="num"))',
  ]);
  assert.deepEqual(r.sql.map((s) => s.replace(/_[0-9a-f]{8}(?=_|")/g, '_HASH')), [
    'CREATE INDEX "crm_lead_code_HASH" ON "crm_lead" ("code")',
    'CREATE INDEX "crm_lead_code_HASH_like" ON "crm_lead" ("code" varchar_pattern_ops)',
    'ALTER TABLE "crm_lead" DROP CONSTRAINT "crm_lead_slug_HASH_uniq"',
    'DROP INDEX IF EXISTS "crm_lead_slug_HASH_like"',
    'DROP INDEX IF EXISTS "crm_lead_n_HASH"',
    'ALTER TABLE "crm_lead" RENAME COLUMN "n" TO "num"',
    'ALTER TABLE "crm_lead" ADD CONSTRAINT "crm_lead_num_HASH_uniq" UNIQUE ("num")',
  ]);
});

test('AlterField: a foreign key whose definition changes is dropped and added again (validated); a check for a positive field', () => {
  const r = altered(['("n", models.IntegerField())'], [
    'migrations.AlterField("visit", "lead", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, to="APP.lead"))',
    'migrations.AlterField("lead", "n", models.PositiveIntegerField())',
  ]);
  assert.deepEqual(r.sql.map((s) => s.replace(/_[0-9a-f]{8}(?=_|")/g, '_HASH')), [
    'ALTER TABLE "crm_visit" DROP CONSTRAINT "crm_visit_lead_id_HASH_fk_crm_lead_id"',
    'ALTER TABLE "crm_visit" ALTER COLUMN "lead_id" SET NOT NULL',
    'ALTER TABLE "crm_visit" ADD CONSTRAINT "crm_visit_lead_id_HASH_fk_crm_lead_id" FOREIGN KEY ("lead_id") REFERENCES "crm_lead" ("id") DEFERRABLE INITIALLY DEFERRED',
    'ALTER TABLE "crm_lead" ADD CONSTRAINT "crm_lead_n_HASH_check" CHECK ("n" >= 0)',
  ]);
  // Django's names, as its _create_index_name computes them (md5 of the table and columns).
  assert.match(r.sql[0]!, /_fk_crm_lead_id"$/);
  // A relation to another model: its key type decides (a uuid key here), not the class.
  const other = altered(['("token", models.UUIDField(unique=True))'], [
    'migrations.CreateModel(name="Tag", fields=[("token", models.UUIDField(primary_key=True))])',
    'migrations.AlterField("visit", "lead", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, to="APP.tag", null=True))',
  ]);
  assert.match(other.sql.join('\n'), /ALTER COLUMN "lead_id" TYPE uuid USING "lead_id"::uuid/);
});

test('AlterField: operations of the same file move the state; an unmanaged model sends nothing; unknown definitions keep the not-analysed fact and say why', () => {
  const r = altered(['("email", models.CharField(max_length=50))'], [
    'migrations.AddField("lead", "score", models.IntegerField(null=True))',
    'migrations.AlterField("lead", "score", models.IntegerField())',
    'migrations.AlterField("lead", "email", myfields.Encrypted(max_length=50))',
    'migrations.AlterField("lead", "email", EMAIL)',
    'migrations.AlterField("lead", "ghost", models.TextField())',
    'migrations.CreateModel(name="Remote", fields=[("x", models.IntegerField())], options={"managed": False})',
    'migrations.AlterField("remote", "x", models.BigIntegerField())',
  ]);
  assert.deepEqual(r.sql.slice(1), ['ALTER TABLE "crm_lead" ALTER COLUMN "score" SET NOT NULL', 'CREATE TABLE "crm_remote" ("x" integer NOT NULL)']);
  assert.deepEqual(r.unanalysed, [
    "Not analysed: `AlterField` on `lead.email` changes the field from its earlier definition, which miglint could not read (the column type of the new `myfields.Encrypted` is not one miglint knows), so what it sends (ALTER COLUMN ... TYPE, SET or DROP NOT NULL, or nothing) was not checked.",
    "Not analysed: `AlterField` on `lead.email` changes the field from its earlier definition, which miglint could not read (the field is `EMAIL`, not a field call), so what it sends (ALTER COLUMN ... TYPE, SET or DROP NOT NULL, or nothing) was not checked.",
    "Not analysed: `AlterField` on `lead.ghost` changes the field from its earlier definition, which miglint could not read (no earlier migration gives the model `lead` a field `ghost`), so what it sends (ALTER COLUMN ... TYPE, SET or DROP NOT NULL, or nothing) was not checked.",
  ]);
});

test('RenameField and RemoveField of a known foreign key use its column; RenameModel of a model with a db_table sends nothing', () => {
  const r = altered([], ['migrations.RenameField("visit", "lead", "prospect")', 'migrations.RemoveField("visit", "prospect")', 'migrations.AlterModelTable("lead", "leads")', 'migrations.RenameModel("Lead", "Prospect")']);
  assert.deepEqual(r.sql.map((s) => s.replace(/_[0-9a-f]{8}(?=_|")/g, '_HASH')), [
    'ALTER TABLE "crm_visit" DROP CONSTRAINT "crm_visit_lead_id_HASH_fk_crm_lead_id"',
    'ALTER TABLE "crm_visit" RENAME COLUMN "lead_id" TO "prospect_id"',
    'ALTER TABLE "crm_visit" ADD CONSTRAINT "crm_visit_prospect_id_HASH_fk_crm_lead_id" FOREIGN KEY ("prospect_id") REFERENCES "crm_lead" ("id") DEFERRABLE INITIALLY DEFERRED',
    'ALTER TABLE "crm_visit" DROP COLUMN "prospect_id" CASCADE',
    'ALTER TABLE "crm_lead" RENAME TO "leads"',
  ]);
});

test("a relation to another app's model has that model's key type, from the other app's migrations an ancestor depends on", () => {
  const tags = app({ '0001_initial': { ops: ['migrations.CreateModel(name="Tag", fields=[("token", models.UUIDField(primary_key=True))])'] } });
  const crm = app({
    '0001_initial': { deps: [`${tags.label}:0001_initial`], ops: [lead('("tag", models.IntegerField(null=True))')] },
    '0002_b': { deps: ['0001_initial'], ops: [] },
  });
  const text = migration(crm.label, { deps: ['0002_b'], ops: [`migrations.AlterField("lead", "tag", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, to="${tags.label}.tag", null=True))`] });
  const u = loadUnit(crm.path('0003_c'), text, config().settings);
  const sql = u.statements.map((s) => s.sql.replaceAll(crm.label, 'crm').replaceAll(tags.label, 'tags').replace(/_[0-9a-f]{8}(?=_|")/g, '_HASH'));
  assert.deepEqual(sql, [
    'ALTER TABLE "crm_lead" RENAME COLUMN "tag" TO "tag_id"',
    'ALTER TABLE "crm_lead" ALTER COLUMN "tag_id" TYPE uuid USING "tag_id"::uuid',
    'CREATE INDEX "crm_lead_tag_id_HASH" ON "crm_lead" ("tag_id")',
    'ALTER TABLE "crm_lead" ADD CONSTRAINT "crm_lead_tag_id_HASH_fk_tags_tag_token" FOREIGN KEY ("tag_id") REFERENCES "tags_tag" ("token") DEFERRABLE INITIALLY DEFERRED',
  ]);
  assert.deepEqual(u.unanalysed, []);
});

test("AddField and AlterField send one effective default: '' for a blank string field (not a GenericIPAddressField), now's value for auto_now, none for default=None", () => {
  const fields = {
    slug: 'models.SlugField(blank=True)',
    code: 'thirdparty.CodeField(max_length=8, blank=True)',
    ip: 'models.GenericIPAddressField(blank=True)',
    seen: 'models.DateTimeField(auto_now_add=True)',
    n: 'models.IntegerField(default=None)',
    k: 'models.IntegerField(default=3)',
  };
  const entries = Object.entries(fields);
  // AddField: the column with the default for the existing rows.
  const added = altered([], entries.map(([n, f]) => `migrations.AddField("lead", "${n}", ${f})`));
  assert.deepEqual(added.sql, [
    `ALTER TABLE "crm_lead" ADD COLUMN "slug" varchar(50) NOT NULL DEFAULT ''`,
    `ALTER TABLE "crm_lead" ADD COLUMN "code" "CodeField" NOT NULL DEFAULT ''`,
    'ALTER TABLE "crm_lead" ADD COLUMN "ip" inet NOT NULL',
    'ALTER TABLE "crm_lead" ADD COLUMN "seen" timestamp with time zone NOT NULL DEFAULT $1',
    'ALTER TABLE "crm_lead" ADD COLUMN "n" integer NOT NULL',
    'ALTER TABLE "crm_lead" ADD COLUMN "k" integer NOT NULL DEFAULT 3',
  ]);
  // AlterField from null=True: the same defaults set for the change (the unknown class's type is kept, its arguments unchanged).
  const nullable = entries.map(([n, f]) => `("${n}", ${f.replace(/\)$/, ', null=True)')})`);
  const alteredTo = altered(nullable, entries.map(([n, f]) => `migrations.AlterField("lead", "${n}", ${f})`));
  assert.deepEqual(alteredTo.sql.filter((s) => /SET DEFAULT/.test(s) || /SET NOT NULL$/.test(s)), [
    `ALTER TABLE "crm_lead" ALTER COLUMN "slug" SET DEFAULT '', ALTER COLUMN "slug" SET NOT NULL`,
    `ALTER TABLE "crm_lead" ALTER COLUMN "code" SET DEFAULT '', ALTER COLUMN "code" SET NOT NULL`,
    'ALTER TABLE "crm_lead" ALTER COLUMN "ip" SET NOT NULL',
    'ALTER TABLE "crm_lead" ALTER COLUMN "seen" SET DEFAULT $1, ALTER COLUMN "seen" SET NOT NULL',
    'ALTER TABLE "crm_lead" ALTER COLUMN "n" SET NOT NULL',
    'ALTER TABLE "crm_lead" ALTER COLUMN "k" SET NOT NULL',
  ]);
  // The same default before and after: no SET DEFAULT, the rows are filled by an UPDATE (the four steps).
  assert.ok(alteredTo.sql.includes('UPDATE "crm_lead" SET "k" = 3 WHERE "k" IS NULL'));
});

test('RenameField goes the AlterField path: the renamed column keeps its known type for a later type change', () => {
  const r = altered(['("amount", models.IntegerField(db_column="amt"))', '("n", models.IntegerField())'], [
    // db_column fixes the column: nothing is sent.
    'migrations.RenameField("lead", "amount", "total")',
    'migrations.RenameField("lead", "n", "count")',
    'migrations.AlterField("lead", "count", models.BigIntegerField())',
    'migrations.AlterField("lead", "total", models.BigIntegerField(db_column="amt"))',
  ]);
  assert.deepEqual(r.sql, [
    'ALTER TABLE "crm_lead" RENAME COLUMN "n" TO "count"',
    'ALTER TABLE "crm_lead" ALTER COLUMN "count" TYPE bigint USING "count"::bigint',
    'ALTER TABLE "crm_lead" ALTER COLUMN "amt" TYPE bigint USING "amt"::bigint',
  ]);
  assert.deepEqual(r.prior, ['count: int4', 'amt: int4']);
});

test("a model's table is the state's just before each operation: a later CreateModel's db_table is not the earlier one's", () => {
  const r = altered([], [
    'migrations.AddIndex("lead", models.Index(fields=["id"], name="lead_a"))',
    'migrations.DeleteModel("Lead")',
    'migrations.CreateModel(name="Lead", fields=[("id", models.BigAutoField(primary_key=True))], options={"db_table": "leads"})',
    'migrations.AddIndex("lead", models.Index(fields=["id"], name="lead_b"))',
  ]);
  assert.deepEqual(r.sql.filter((s) => /^CREATE (INDEX|TABLE)/.test(s)), ['CREATE INDEX "lead_a" ON "crm_lead" ("id")', 'CREATE TABLE "leads" ("id" bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY)', 'CREATE INDEX "lead_b" ON "leads" ("id")']);
});

test("the linted migration's state changes, as its unit read them, are what a later migration of the run replays", () => {
  const a = app({ '0001_initial': { ops: [lead()] } });
  // A name the module binds inside a `with` block: the unit reads it (a fresh summary of the file reads only the top-level names).
  const text = ['import warnings', 'with warnings.catch_warnings():', '    EMAIL = "email"', '', migration(a.label, { deps: ['0001_initial'], ops: ['migrations.AddField("lead", EMAIL, models.CharField(max_length=50, null=True))'] })].join('\n');
  writeFileSync(a.path('0002_email'), text);
  const u = loadUnit(a.path('0002_email'), text, config().settings);
  assert.deepEqual(u.statements.map((s) => s.sql.replaceAll(a.label, 'crm')), ['ALTER TABLE "crm_lead" ADD COLUMN "email" varchar(50)']);
  assert.deepEqual(kw(field(a, '0003_next', ['0002_email'], 'lead', 'email')), { max_length: '50', null: 'True' });
});
