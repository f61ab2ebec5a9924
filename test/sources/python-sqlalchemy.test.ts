/**
 * The Python frontend's SQLAlchemy module (sessions, connections, SQL helpers, bind
 * parameters) and the Django translations the survey of public projects corrected.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadUnit, prepareFrontends } from '../../src/sources/index.js';
import { config, lint } from '../support/lint.js';

await prepareFrontends(['x.py']);
const unit = (file: string, text: string) => loadUnit(file, text, config().settings);
const IMPORTS = 'from sqlalchemy import create_engine, text\nfrom sqlalchemy.orm import Session\nfrom server.db import db\nengine = create_engine("postgresql://x")\n';

test('handles: each statement runs on the connection of its handle, in its transaction', () => {
  const text = [
    IMPORTS,
    'def run():',
    '    with engine.begin() as conn:',
    '        conn.execute(text("ALTER TABLE a ADD COLUMN x int"))',
    '    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as ac:',
    '        ac.execute(text("CREATE INDEX CONCURRENTLY i ON a (x)"))',
    '    db.session.execute(text("UPDATE a SET x = 1 WHERE id = 1"))',
    '    db.session.commit()',
  ].join('\n');
  const u = unit('server/db_migrate.py', text);
  assert.equal(u.framework, 'sqlalchemy');
  const [alter, index, update] = u.statements;
  assert.ok(alter!.connection?.startsWith('sqlalchemy:conn@'));
  assert.match(alter!.codeTransaction ?? '', /conn\.begin\(\) transaction/);
  assert.equal(index!.codeTransaction ?? null, null, 'AUTOCOMMIT: no transaction block');
  assert.equal(update!.connection, 'sqlalchemy:db.session');
  assert.deepEqual(u.sessions, [], 'the session is committed, the connections are closed by their with blocks');
  // The concurrent build in autocommit is fine; in engine.begin() it is not.
  assert.deepEqual(lint('server/db_migrate.py', text, { rules: ['ban-concurrent-index-creation-in-transaction'] }), []);
  const inBegin = text.replace('engine.connect().execution_options(isolation_level="AUTOCOMMIT")', 'engine.begin()');
  assert.deepEqual(lint('server/db_migrate.py', inBegin, { rules: ['ban-concurrent-index-creation-in-transaction'] }).map((f) => f.line), [10]);
});

test('a SQL helper runs the SQL of each call at the call, and an except around the call is checked', () => {
  const text = [
    IMPORTS,
    'def exec_ddl(engine, sql: str):',
    '    with engine.begin() as conn:',
    '        conn.execute(text(sql))',
    'def run():',
    '    try:',
    '        exec_ddl(db.engine, "CREATE TABLE business_calendars (id bigint)")',
    '    except Exception as e:',
    '        print(e)',
  ].join('\n');
  const u = unit('server/db_migrate.py', text);
  assert.deepEqual(u.statements.map((s) => s.sql), ['CREATE TABLE business_calendars (id bigint)']);
  assert.equal(u.statements[0]!.span.start, text.indexOf('CREATE TABLE'));
  assert.deepEqual(lint('server/db_migrate.py', text, { rules: ['no-swallowed-ddl-error'] }).map((f) => `${f.line}:${f.column}`), ['12:5']);
  assert.deepEqual(lint('server/db_migrate.py', `${text}\n        raise`, { rules: ['no-swallowed-ddl-error'] }), []);
  assert.deepEqual(lint('server/db_migrate.py', `${text}\n        sys.exit(1)`, { rules: ['no-swallowed-ddl-error'] }), []);
  assert.equal(lint('server/db_migrate.py', `${text}\n        sys.exit(0)`, { rules: ['no-swallowed-ddl-error'] }).length, 1, 'exit status 0 carries on as success');
});

test('bind parameters: a text() bound to a name, and a plain string on a Session, take :name parameters', () => {
  const text = [
    IMPORTS,
    'def run():',
    '    q = text("UPDATE dashboards SET tags = :tags WHERE id = :id")',
    '    with engine.begin() as conn:',
    '        conn.execute(q, {"tags": [], "id": 1})',
    '    db.session.execute("SELECT id FROM widgets WHERE dashboard_id=:dashboard_id", {"dashboard_id": 1})',
    '    db.session.commit()',
  ].join('\n');
  const u = unit('migrations/versions/0001_tags.py', text);
  assert.deepEqual(u.syntaxErrors, []);
  assert.deepEqual(u.unanalysed, []);
  assert.equal(u.statements.length, 2);
});

test('no-idle-in-transaction: the seeds\' check on db.session while DDL runs on another connection, at the check', () => {
  const text = [
    IMPORTS,
    'def migration_113():',
    '    found = db.session.execute(text("SELECT 1 FROM pg_constraint WHERE conname = \'u\'")).fetchone()',
    '    if not found:',
    '        with db.engine.begin() as conn:',
    '            conn.execute(text("ALTER TABLE jobs ADD CONSTRAINT u UNIQUE (a)"))',
    '    db.session.commit()',
  ].join('\n');
  const f = lint('server/db_migrate.py', text, { rules: ['no-idle-in-transaction'] });
  assert.deepEqual(f.map((x) => `${x.line}:${x.column}`), ['7:13']);
  assert.match(f[0]!.message, /`db\.session` \(SQLAlchemy session\) is left "idle in transaction": DDL runs on another connection/);
  assert.ok(f[0]!.related?.some((r) => r.message.includes('waits behind it')));
  // Committed right after the check: nothing is left open when the DDL runs.
  const committed = text.replace('.fetchone()', '.fetchone()\n    db.session.commit()');
  assert.deepEqual(lint('server/db_migrate.py', committed, { rules: ['no-idle-in-transaction'] }), []);
});

test('an application module that imports SQLAlchemy is not migration code', () => {
  const text = `${IMPORTS}def handler():\n    db.session.execute(text("SELECT 1 FROM pg_class"))\n`;
  assert.equal(unit('server/views.py', text).statements.length, 0);
});

test('Django: CreateModel creates its table, a many-to-many field is no column, blank strings have a default, AlterField is not guessed', () => {
  const text = [
    'from django.db import migrations, models',
    'class Migration(migrations.Migration):',
    '    operations = [',
    '        migrations.CreateModel(name="Profile", fields=[("id", models.BigAutoField(primary_key=True)), ("tags", models.ManyToManyField(to="x.Tag"))]),',
    '        migrations.AddField(model_name="profile", name="token", field=models.CharField(blank=True, max_length=128)),',
    '        migrations.AddField(model_name="user", name="api_key", field=models.CharField(blank=True, max_length=128)),',
    '        migrations.AddField(model_name="user", name="groups", field=models.ManyToManyField(to="auth.Group")),',
    '        migrations.AlterField(model_name="user", name="email", field=models.EmailField(max_length=254)),',
    '    ]',
  ].join('\n');
  const u = unit('accounts/migrations/0002_x.py', text);
  assert.deepEqual(u.statements.map((s) => s.sql), [
    'CREATE TABLE "accounts_profile" ("id" bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY)',
    `ALTER TABLE "accounts_profile" ADD COLUMN "token" varchar(128) NOT NULL DEFAULT ''`,
    `ALTER TABLE "accounts_user" ADD COLUMN "api_key" varchar(128) NOT NULL DEFAULT ''`,
  ]);
  assert.deepEqual(u.unanalysed.map((x) => x.message.slice(0, 46)), ['Not analysed: `AlterField` on `user.email` cha']);
  const f = lint('accounts/migrations/0002_x.py', text, { rules: ['adding-required-field', 'adding-not-nullable-field', 'changing-column-type', 'unanalyzable-statement'] });
  assert.deepEqual(f.map((x) => `${x.line} ${x.ruleId}`), ['8 unanalyzable-statement']);
});

test('Alembic (survey): op.f names, sa.CHAR(length=...), literal_column index elements with and without an ordering', () => {
  const text = [
    'from alembic import op',
    'import sqlalchemy as sa',
    'def upgrade():',
    '    op.create_table("codes", sa.Column("code", sa.CHAR(length=64), nullable=False))',
    '    op.create_index("ix_users_email_ci", "users", [sa.literal_column("lower(email)")], unique=True)',
    '    op.create_index("ix_events_at", "events", ["organization_id", sa.literal_column("ingested_at DESC")])',
    '    op.drop_index(op.f("ix_orders_status"), table_name="orders")',
  ].join('\n');
  const u = unit('migrations/versions/0001_x.py', text);
  assert.deepEqual(u.unanalysed, []);
  assert.deepEqual(u.statements.map((s) => s.sql), [
    'CREATE TABLE "codes" ("code" char(64) NOT NULL)',
    'CREATE UNIQUE INDEX "ix_users_email_ci" ON "users" ((lower(email)))',
    'CREATE INDEX "ix_events_at" ON "events" ("organization_id", "ingested_at" DESC)',
    'DROP INDEX "ix_orders_status"',
  ]);
});

test('framework modules: Alembic claims the file, SQLAlchemy (alsoIn alembic) reads its executes too, statements in code order', () => {
  const text = [
    'from alembic import op',
    'import sqlalchemy as sa',
    'def upgrade():',
    '    op.execute("ALTER TABLE a ADD COLUMN x int")',
    '    other = sa.create_engine("postgresql://reporting")',
    '    with other.begin() as conn:',
    '        conn.execute(sa.text("CREATE TABLE r (id bigint)"))',
    '    op.execute("ALTER TABLE a ADD COLUMN y int")',
  ].join('\n');
  const u = unit('migrations/versions/0001_x.py', text);
  assert.equal(u.framework, 'alembic');
  assert.deepEqual(u.statements.map((s) => s.sql), ['ALTER TABLE a ADD COLUMN x int', 'CREATE TABLE r (id bigint)', 'ALTER TABLE a ADD COLUMN y int']);
  assert.ok(u.statements[1]!.connection?.startsWith('sqlalchemy:conn@'), 'its own connection, not the migration\'s');
  assert.equal(u.statements[0]!.connection ?? null, null);
});

test('what runs only on another database (an `if` testing for MySQL or SQLite) is left out; its else branch stays', () => {
  const text = [
    'from alembic import op',
    'def upgrade():',
    '    url = str(op.get_bind().engine.url)',
    '    if url.startswith("mysql"):',
    '        op.execute("ALTER TABLE `awards` DROP FOREIGN KEY awards_ibfk_1")',
    '    elif op.get_bind().dialect.name == "sqlite":',
    '        op.execute("PRAGMA foreign_keys=OFF")',
    '    else:',
    '        op.execute("ALTER TABLE awards DROP CONSTRAINT awards_team_id_fkey")',
  ].join('\n');
  const u = unit('migrations/versions/0001_x.py', text);
  assert.deepEqual(u.syntaxErrors, []);
  assert.deepEqual(u.statements.map((s) => s.sql), ['ALTER TABLE awards DROP CONSTRAINT awards_team_id_fkey']);
});

test('the other branches of an `if` testing for PostgreSQL are left out (they hold the other databases\' SQL)', () => {
  const text = [
    'from alembic import op',
    'import sqlalchemy as sa',
    'def upgrade():',
    '    connection = op.get_bind()',
    '    url = str(connection.engine.url)',
    '    if url.startswith("postgres"):',
    '        connection.execute(sa.text("UPDATE dynamic_challenge SET dynamic_function = function WHERE id = 1"))',
    '    else:',
    '        connection.execute(sa.text("UPDATE dynamic_challenge SET dynamic_function = `function` WHERE id = 1"))',
    '    if connection.dialect.name == "postgresql":',
    '        op.execute("ALTER TABLE a ADD COLUMN x int")',
    '    elif url.startswith("mysql+pymysql"):',
    '        op.execute("ALTER TABLE `a` ADD COLUMN x int")',
    '    if not url.startswith("postgres"):',
    '        op.execute("SELECT 1")',
    '    else:',
    '        op.execute("SELECT 2")',
  ].join('\n');
  const u = unit('migrations/versions/0001_x.py', text);
  assert.deepEqual(u.syntaxErrors, []);
  assert.deepEqual(u.statements.map((s) => s.sql), [
    'UPDATE dynamic_challenge SET dynamic_function = function WHERE id = 1',
    'ALTER TABLE a ADD COLUMN x int',
    'SELECT 1',
    'SELECT 2',
  ]);
});

test('a compound condition on the database (`== "postgresql" and ...`, `mysql or ...`) leaves every branch read: each may run on PostgreSQL', () => {
  const text = [
    'from alembic import op',
    'HAS_EXT = False',
    'FORCE = True',
    'def upgrade():',
    '    bind = op.get_bind()',
    '    if bind.dialect.name == "postgresql" and HAS_EXT:',
    '        op.execute("CREATE INDEX a_trgm ON a USING gin (name gin_trgm_ops)")',
    '    else:',
    '        op.execute("CREATE INDEX a_name ON a (name)")',
    '    if bind.dialect.name == "mysql" or FORCE:',
    '        op.execute("ALTER TABLE a ADD COLUMN y int")',
  ].join('\n');
  const u = unit('migrations/versions/0001_x.py', text);
  assert.deepEqual(u.syntaxErrors, []);
  assert.deepEqual(u.statements.map((s) => s.sql), ['CREATE INDEX a_trgm ON a USING gin (name gin_trgm_ops)', 'CREATE INDEX a_name ON a (name)', 'ALTER TABLE a ADD COLUMN y int']);
});

test('an except inside a SQL helper swallows the DDL its callers send through it', () => {
  const text = [
    IMPORTS,
    'def exec_ddl(engine, sql):',
    '    try:',
    '        with engine.begin() as conn:',
    '            conn.execute(text(sql))',
    '    except Exception as e:',
    '        print(e)',
    'def run():',
    '    exec_ddl(db.engine, "CREATE TABLE business_calendars (id bigint)")',
    '    exec_ddl(db.engine, "UPDATE leads SET x = 1 WHERE id = 1")',
  ].join('\n');
  const f = lint('server/db_migrate.py', text, { rules: ['no-swallowed-ddl-error'] });
  assert.deepEqual(f.map((x) => `${x.line}:${x.column} ${x.message}`), ['10:5 This catch swallows the failure of a DDL statement and lets the migration carry on.']);
});
