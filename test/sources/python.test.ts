/**
 * The Python frontend: offsets after non-ASCII text, string literals, syntax errors,
 * Alembic's and Django's translations and transaction semantics, `#` suppressions, and
 * that linting Python never loads the TypeScript compiler.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { loadUnit, prepareFrontends } from '../../src/sources/index.js';
import { config, lint } from '../support/lint.js';
import { syntaxProblem } from '../../src/lint/verify.js';
import { factsOf } from '../../src/sql/facts.js';
import { nodesOfTypes, parsePython } from '../../src/sources/python/parse.js';

await prepareFrontends(['m.py']);
const unit = (file: string, text: string) => loadUnit(file, text, config().settings);

test('statement offsets are UTF-16 after Hebrew and emoji lines, and map back into the literal', () => {
  const text = ['"""מיגרציה 🎉 — indexes"""', 'from alembic import op', '', 'def upgrade():', '    # שלום 👋🏽 עולם', '    op.execute("CREATE INDEX ix ON leads (phone) -- 🎉")', ''].join('\n');
  const u = unit('versions/a.py', text);
  assert.equal(u.statements.length, 1);
  const s = u.statements[0]!;
  const at = text.indexOf('CREATE INDEX');
  assert.equal(s.span.start, at);
  assert.equal(text.slice(s.span.start, s.span.end), 'CREATE INDEX ix ON leads (phone)');
  assert.equal(s.sqlToFile!(s.sql.indexOf('leads')), text.indexOf('leads'));
  const f = lint('versions/a.py', text, { rules: ['require-concurrent-index-creation'] });
  assert.deepEqual(f.map((x) => [x.line, x.column]), [[6, 17]]);
});

test('a SQL syntax error after an emoji in the literal is located at its character', () => {
  const text = 'from alembic import op\ndef upgrade():\n    op.execute("SELECT \'🎉\' FROMM t")\n';
  const f = lint('versions/b.py', text);
  const e = f.find((x) => x.ruleId === 'syntax-error');
  assert.ok(e, 'a syntax error is reported');
  assert.equal(e.line, 3);
  assert.equal(e.column, text.split('\n')[2]!.indexOf('t")') + 1);
});

test('string literals: escapes, raw, triple-quoted with CRLF, implicit concatenation, names bound once', () => {
  const text = [
    'from alembic import op',
    'SQL = """CREATE INDEX a ON t (x);\r\nCREATE INDEX b ON t (y)"""',
    'def upgrade():',
    '    op.execute("CREATE INDEX c ON t " "(\\x7a)")',
    "    op.execute(r\"CREATE INDEX d ON t (w) WHERE w ~ '\\d+\\n'\")",
    '    op.execute(SQL)',
  ].join('\n');
  const u = unit('versions/c.py', text);
  assert.deepEqual(
    u.statements.map((s) => s.sql),
    ['CREATE INDEX c ON t (z)', "CREATE INDEX d ON t (w) WHERE w ~ '\\d+\\n'", 'CREATE INDEX a ON t (x)', 'CREATE INDEX b ON t (y)'].map((s) => s),
  );
  assert.ok(u.statements.every((s) => !s.interpolated));
});

test('f-strings, % and .format with unknown parts are analysed with placeholders', () => {
  const text = [
    'from alembic import op',
    'def upgrade():',
    '    op.execute(f"CREATE INDEX ix_{name} ON {table} (a)")',
    '    op.execute("CREATE INDEX ix2 ON %s (a)" % table)',
    '    op.execute("CREATE INDEX ix3 ON {} (a)".format(table))',
    '    op.execute(f"{whole_statement}")',
  ].join('\n');
  const u = unit('versions/d.py', text);
  assert.equal(u.statements.length, 3);
  assert.ok(u.statements.every((s) => s.interpolated));
  // The same expression is the same table in every statement.
  assert.deepEqual(new Set(u.statements.map((s) => /ON ("[^"]+")/.exec(s.sql)?.[1])).size, 1);
  assert.equal(u.unanalysed.length, 1);
  assert.match(u.unanalysed[0]!.message, /whole_statement/);
  const f = lint('versions/d.py', text, { rules: ['require-concurrent-index-creation', 'unanalyzable-statement'] });
  assert.deepEqual(f.map((x) => `${x.line} ${x.ruleId}`), ['3 require-concurrent-index-creation', '4 require-concurrent-index-creation', '5 require-concurrent-index-creation', '6 unanalyzable-statement']);
});

test('a file that does not parse as Python is a syntax error at its place', () => {
  const text = 'from alembic import op\n\ndef upgrade(:\n    op.execute("SELECT 1")\n';
  const f = lint('versions/e.py', text);
  const e = f.filter((x) => x.ruleId === 'syntax-error');
  assert.equal(e.length, 1);
  assert.deepEqual([e[0]!.line, e[0]!.column], [3, 13]);
  assert.match(syntaxProblem('x.py', text) ?? '', /invalid Python/);
  assert.equal(syntaxProblem('x.py', 'x = 1\n'), null);
});

test('an Alembic constraint named None is added without a name (the naming convention or PostgreSQL names it)', () => {
  const text = [
    'from alembic import op',
    'def upgrade():',
    '    op.create_foreign_key(None, "dynamic_challenge", "challenges", ["id"], ["id"], ondelete="CASCADE")',
    '    op.create_unique_constraint(None, "leads", ["a"])',
    '    op.create_check_constraint(None, "leads", "a > 0")',
    '    op.create_primary_key(None, "leads", ["id"])',
  ].join('\n');
  assert.deepEqual(unit('versions/f.py', text).statements.map((s) => s.sql), [
    'ALTER TABLE "dynamic_challenge" ADD FOREIGN KEY ("id") REFERENCES "challenges" ("id") ON DELETE CASCADE',
    'ALTER TABLE "leads" ADD UNIQUE ("a")',
    'ALTER TABLE "leads" ADD CHECK (a > 0)',
    'ALTER TABLE "leads" ADD PRIMARY KEY ("id")',
  ]);
});

test('sa.DateTime(True) is timestamptz: its first positional argument is timezone', () => {
  const text = [
    'from alembic import op',
    'import sqlalchemy as sa',
    'def upgrade():',
    '    op.add_column("users", sa.Column("disabled_at", sa.DateTime(True), nullable=True))',
    '    op.add_column("users", sa.Column("seen_at", sa.DateTime(timezone=True), nullable=True))',
    '    op.add_column("users", sa.Column("local_at", sa.DateTime(), nullable=True))',
  ].join('\n');
  assert.deepEqual(unit('versions/f.py', text).statements.map((s) => s.sql), [
    'ALTER TABLE "users" ADD COLUMN "disabled_at" timestamptz',
    'ALTER TABLE "users" ADD COLUMN "seen_at" timestamptz',
    'ALTER TABLE "users" ADD COLUMN "local_at" timestamp',
  ]);
});

test('a name bound once in its function is read there: upgrade() and downgrade() may each bind it; a module constant is read in both', () => {
  const text = [
    'from alembic import op',
    'TABLE_SQL = "CREATE TABLE t (id bigint)"',
    'def upgrade():',
    '    connection = op.get_bind()',
    '    update_query = "UPDATE users SET a = 1 WHERE 1=1"',
    '    connection.execute(update_query)',
    '    op.execute(TABLE_SQL)',
    '    twice = "SELECT 1"',
    '    twice = "SELECT 2"',
    '    op.execute(twice)',
    'def downgrade():',
    '    connection = op.get_bind()',
    '    update_query = "UPDATE users SET b = 2"',
    '    connection.execute(update_query)',
  ].join('\n');
  const u = unit('versions/f.py', text);
  assert.deepEqual(u.statements.map((s) => `${s.phase} ${s.sql}`), ['up UPDATE users SET a = 1 WHERE 1=1', 'up CREATE TABLE t (id bigint)', 'down UPDATE users SET b = 2']);
  assert.equal(u.unanalysed.length, 1, 'the name bound twice in upgrade() is not guessed');
  assert.match(u.unanalysed[0]!.message, /twice/);
});

test('Alembic add_column(if_not_exists=True) and drop_column(if_exists=True) send IF [NOT] EXISTS', () => {
  const text = [
    'from alembic import op',
    'import sqlalchemy as sa',
    'def upgrade():',
    '    op.add_column("leads", sa.Column("score", sa.Integer(), nullable=True), if_not_exists=True)',
    '    op.drop_column("leads", "legacy", if_exists=True)',
    '    op.drop_column("leads", "other")',
  ].join('\n');
  assert.deepEqual(unit('versions/f.py', text).statements.map((s) => s.sql), [
    'ALTER TABLE "leads" ADD COLUMN IF NOT EXISTS "score" integer',
    'ALTER TABLE "leads" DROP COLUMN IF EXISTS "legacy"',
    'ALTER TABLE "leads" DROP COLUMN "other"',
  ]);
});

test('Alembic builders become the SQL Alembic sends', () => {
  const text = [
    'from alembic import op',
    'import sqlalchemy as sa',
    'def upgrade():',
    '    op.create_index("ix_a", "leads", ["a", "b"], unique=True, postgresql_concurrently=True, if_not_exists=True, postgresql_where=sa.text("a > 0"))',
    '    op.add_column("leads", sa.Column("c", sa.String(20), nullable=False, server_default="x"))',
    '    op.alter_column("leads", "c", nullable=True, type_=sa.Text(), new_column_name="d")',
    '    op.create_foreign_key("fk", "leads", "users", ["user_id"], ["id"], ondelete="CASCADE")',
    '    op.create_check_constraint("ck", "leads", "a > 0")',
    '    op.create_unique_constraint("uq", "leads", ["a"])',
    '    op.rename_table("leads", "prospects")',
    '    op.create_table("t", sa.Column("id", sa.Integer(), primary_key=True), sa.Column("n", sa.Text(), nullable=False))',
    '    with op.batch_alter_table("t") as batch_op:',
    '        batch_op.drop_column("n")',
    '        batch_op.create_index("ix_t", ["id"])',
    'def downgrade():',
    '    op.drop_index("ix_a", table_name="leads", postgresql_concurrently=True, if_exists=True)',
    '    op.drop_table("t")',
  ].join('\n');
  const u = unit('versions/f.py', text);
  assert.deepEqual(
    u.statements.map((s) => `${s.phase} ${s.sql}`),
    [
      'up CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS "ix_a" ON "leads" ("a", "b") WHERE a > 0',
      `up ALTER TABLE "leads" ADD COLUMN "c" varchar(20) NOT NULL DEFAULT 'x'`,
      'up ALTER TABLE "leads" ALTER COLUMN "c" TYPE text, ALTER COLUMN "c" DROP NOT NULL',
      'up ALTER TABLE "leads" RENAME COLUMN "c" TO "d"',
      'up ALTER TABLE "leads" ADD CONSTRAINT "fk" FOREIGN KEY ("user_id") REFERENCES "users" ("id") ON DELETE CASCADE',
      'up ALTER TABLE "leads" ADD CONSTRAINT "ck" CHECK (a > 0)',
      'up ALTER TABLE "leads" ADD CONSTRAINT "uq" UNIQUE ("a")',
      'up ALTER TABLE "leads" RENAME TO "prospects"',
      'up CREATE TABLE "t" ("id" serial PRIMARY KEY, "n" text NOT NULL)',
      'up ALTER TABLE "t" DROP COLUMN "n"',
      'up CREATE INDEX "ix_t" ON "t" ("id")',
      'down DROP INDEX CONCURRENTLY IF EXISTS "ix_a"',
      'down DROP TABLE "t"',
    ],
  );
  assert.ok(u.statements.every((s) => s.origin === 'builder' && !s.interpolated));
  assert.equal(u.framework, 'alembic');
});

test('Alembic: a migration runs in a transaction; autocommit_block runs its body outside it', () => {
  const text = [
    'from alembic import op',
    'def upgrade():',
    '    op.execute("SET lock_timeout = \'5s\'")',
    '    with op.get_context().autocommit_block():',
    '        op.create_index("ix_a", "leads", ["a"], postgresql_concurrently=True)',
    '    op.create_index("ix_b", "leads", ["b"], postgresql_concurrently=True)',
    '    conn = op.get_bind()',
    '    conn.execute(sa.text("UPDATE leads SET a = :a WHERE id = :id"), {"a": 1, "id": 2})',
  ].join('\n');
  const u = unit('versions/g.py', text);
  assert.deepEqual(u.statements.map((s) => s.context.inTransaction), [true, false, true, true]);
  assert.match(u.statements[3]!.sql, /^UPDATE leads SET a = \$\d+ WHERE id = \$\d+$/);
  const f = lint('versions/g.py', text, { rules: ['ban-concurrent-index-creation-in-transaction'] });
  assert.deepEqual(f.map((x) => x.line), [6]);
});

test('Alembic autocommit_block: same session, outside any transaction block; SET LOCAL ends with the commit before it, a new transaction after it', () => {
  const text = [
    'from alembic import op',
    'def upgrade():',
    '    op.execute("SET lock_timeout = \'5s\'")',
    '    op.execute("SET LOCAL statement_timeout = \'10s\'")',
    '    op.execute("ALTER TYPE mood ADD VALUE \'meh\'")',
    '    with op.get_context().autocommit_block():',
    '        op.execute("CREATE INDEX CONCURRENTLY ix_a ON leads (a)")',
    '        op.execute("SET LOCAL idle_in_transaction_session_timeout = \'1s\'")',
    '        op.execute("SET statement_timeout = \'1min\'")',
    '    op.execute("UPDATE leads SET mood = \'meh\' WHERE id = 1")',
    '    op.create_index("ix_b", "leads", ["b"], postgresql_concurrently=True)',
  ].join('\n');
  const u = unit('versions/h.py', text);
  const at = (prefix: string) => {
    const s = u.statements.find((x) => x.sql.startsWith(prefix));
    assert.ok(s, prefix);
    const f = factsOf(s);
    return { owner: f.transaction.owner, id: f.transaction.id, connection: f.connection, lock: f.settings.get('lock_timeout')?.value ?? null, statement: f.settings.get('statement_timeout')?.value ?? null, idle: f.settings.get('idle_in_transaction_session_timeout')?.value ?? null };
  };
  const before = at('ALTER TYPE');
  assert.deepEqual({ ...before, id: null }, { owner: 'framework', id: null, connection: 'unit', lock: '5s', statement: '10s', idle: null });
  // In the block: no transaction block, the same session, its session SET in force; the SET LOCAL ended with Alembic's COMMIT.
  assert.deepEqual(at('CREATE INDEX CONCURRENTLY ix_a'), { owner: 'none', id: null, connection: 'unit', lock: '5s', statement: null, idle: null });
  // A SET LOCAL in autocommit has no effect (sql-set.html); a SET in the block holds on after it.
  assert.deepEqual(at('SET statement_timeout'), { owner: 'none', id: null, connection: 'unit', lock: '5s', statement: null, idle: null });
  const after = at('UPDATE leads');
  assert.deepEqual({ ...after, id: null }, { owner: 'framework', id: null, connection: 'unit', lock: '5s', statement: '1min', idle: null });
  // After the block Alembic begins a new transaction: another identity than the one before it.
  assert.ok(before.id !== null && after.id !== null && before.id !== after.id, `${before.id} vs ${after.id}`);
  assert.equal(at('CREATE INDEX CONCURRENTLY "ix_b"').id, after.id);
  const f = lint('versions/h.py', text, { rules: ['ban-concurrent-index-creation-in-transaction', 'ban-new-enum-value-use-in-transaction', 'require-lock-timeout', 'require-statement-timeout', 'ban-statement-in-transaction-block'] });
  assert.deepEqual(f.map((x) => `${x.line} ${x.ruleId}`), ['11 ban-concurrent-index-creation-in-transaction']);
});

test('Alembic autocommit_block: after a COMMIT the code sent, Alembic still begins a new transaction after the block', () => {
  const text = [
    'from alembic import op',
    'def upgrade():',
    '    op.execute("COMMIT")',
    '    op.execute("CREATE INDEX CONCURRENTLY ix_a ON leads (a)")',
    '    with op.get_context().autocommit_block():',
    '        op.execute("CREATE INDEX CONCURRENTLY ix_b ON leads (b)")',
    '    op.execute("CREATE INDEX CONCURRENTLY ix_c ON leads (c)")',
  ].join('\n');
  const u = unit('versions/i.py', text);
  assert.deepEqual(u.statements.map((s) => factsOf(s).transaction.owner), ['framework', 'none', 'none', 'framework']);
});

test('display-only fixes in the framework\'s words: SET first in the direction (Alembic downgrade(), Django\'s reverses last to first), types in the call', () => {
  const alembic = ['from alembic import op', 'import sqlalchemy as sa', 'def upgrade():', '    op.create_table("accounts", sa.Column("id", sa.Integer(), sa.Identity(), primary_key=True))', 'def downgrade():', '    op.drop_column("leads", "n")'].join('\n');
  const titles = (file: string, text: string, rules: string[]) => lint(file, text, { rules }).map((f) => f.fix?.title ?? '');
  assert.deepEqual(titles('versions/j.py', alembic, ['require-lock-timeout', 'prefer-bigint-over-int']), [
    'Declare it as id bigint (the op.* call is not rewritten: change the SQLAlchemy type it passes)',
    'Insert op.execute("SET lock_timeout = \'5s\'") at the start of downgrade() (Alembic runs it on the migration\'s connection, so it holds for every operation after it)',
  ]);
  const django = [
    'from django.db import migrations',
    'class Migration(migrations.Migration):',
    '    operations = [',
    '        migrations.RunSQL(migrations.RunSQL.noop, reverse_sql="ALTER TABLE crm_lead ADD COLUMN n bigint"),',
    '    ]',
  ].join('\n');
  assert.deepEqual(titles('crm/migrations/0003_n.py', django, ['require-lock-timeout']), [
    'Add migrations.RunSQL(migrations.RunSQL.noop, reverse_sql="SET lock_timeout = \'5s\'") as the last operation (Django unapplies the operations last to first, on one connection, so it holds for the ones after it)',
  ]);
});

test('Django: operations with app-label tables, RunSQL in both directions, atomic = False', () => {
  const ops = [
    '    operations = [',
    '        migrations.AddIndex(model_name="Lead", index=models.Index(fields=["phone"], name="leads_phone_idx")),',
    '        AddIndexConcurrently(model_name="lead", index=models.Index(fields=["-email"], name="leads_email_idx")),',
    '        migrations.AddField(model_name="lead", name="score", field=models.IntegerField()),',
    '        migrations.RenameField(model_name="lead", old_name="score", new_name="rank"),',
    '        migrations.RunSQL(sql=["CREATE INDEX a ON crm_lead (x)", "SELECT 1"], reverse_sql="DROP INDEX a"),',
    '    ]',
  ];
  const head = ['from django.db import migrations, models', 'from django.contrib.postgres.operations import AddIndexConcurrently', 'class Migration(migrations.Migration):'];
  const u = unit('crm/migrations/0002_x.py', [...head, ...ops].join('\n'));
  assert.equal(u.framework, 'django');
  assert.deepEqual(
    u.statements.map((s) => `${s.phase} ${s.sql}`),
    [
      'up CREATE INDEX "leads_phone_idx" ON "crm_lead" ("phone")',
      'up CREATE INDEX CONCURRENTLY "leads_email_idx" ON "crm_lead" ("email")',
      'up ALTER TABLE "crm_lead" ADD COLUMN "score" integer NOT NULL',
      'up ALTER TABLE "crm_lead" RENAME COLUMN "score" TO "rank"',
      'up CREATE INDEX a ON crm_lead (x)',
      'up SELECT 1',
      'down DROP INDEX a',
    ],
  );
  assert.equal(u.wrapped.inTransaction, true);
  const f = lint('crm/migrations/0002_x.py', [...head, ...ops].join('\n'), { rules: ['ban-concurrent-index-creation-in-transaction'] });
  assert.deepEqual(f.map((x) => x.line), [6]);
  const nonAtomic = unit('crm/migrations/0002_x.py', [...head, '    atomic = False', ...ops].join('\n'));
  assert.equal(nonAtomic.wrapped.inTransaction, false);
  assert.ok(nonAtomic.statements.every((s) => !s.context.inTransaction));
});

test('# miglint-ignore suppresses the next statement; an unused one is reported', () => {
  const text = ['from alembic import op', 'def upgrade():', '    # miglint-ignore require-concurrent-index-creation: empty table', '    op.create_index("ix", "t", ["a"])', '    # miglint-ignore require-concurrent-index-deletion: nothing here', '    op.execute("SELECT 1")'].join('\n');
  const f = lint('versions/h.py', text, { rules: ['require-concurrent-index-creation', 'require-concurrent-index-deletion'] });
  assert.deepEqual(f, []);
  const all = lintText(text);
  assert.deepEqual(all.filter((x) => x.ruleId === 'unused-suppression').map((x) => x.line), [5]);
});

function lintText(text: string) {
  return lint('versions/h.py', text).filter((x) => x.ruleId === 'unused-suppression' || x.ruleId === 'require-concurrent-index-creation');
}

test('linting a Python file does not load the TypeScript compiler', () => {
  const script = `
    import { createRequire } from 'node:module';
    const { prepareFrontends, loadUnit } = await import(${JSON.stringify(new URL('../../src/sources/index.js', import.meta.url).href)});
    const { resolveConfig } = await import(${JSON.stringify(new URL('../../src/config/index.js', import.meta.url).href)});
    await prepareFrontends(['versions/a.py']);
    const u = loadUnit('versions/a.py', 'from alembic import op\\ndef upgrade():\\n    op.execute("SELECT 1")\\n', resolveConfig({}, null, new Set()).settings);
    const loaded = Object.keys(createRequire(import.meta.url).cache).some((k) => k.includes('/ts-morph/') || k.includes('/typescript/lib/'));
    console.log(JSON.stringify({ statements: u.statements.length, loaded }));`;
  const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], { cwd: fileURLToPath(new URL('.', import.meta.url)), encoding: 'utf8' });
  assert.deepEqual(JSON.parse(out), { statements: 1, loaded: false });
});

test('a CRLF inside a triple-quoted literal is the LF Python reads, mapped to both characters', () => {
  const text = 'from alembic import op\r\ndef upgrade():\r\n    op.execute("""COMMENT ON TABLE t IS \'a\r\nb\'""")\r\n';
  const s = unit('versions/i.py', text).statements[0]!;
  assert.equal(s.sql, "COMMENT ON TABLE t IS 'a\nb'");
  assert.equal(s.sqlToFile!(s.sql.indexOf('b')), text.indexOf("b'"));
});

test('local string constants: a name assigned once, before the use and where it runs, is read; the others are not analysed, with the reason', () => {
  const text = [
    'from alembic import op',
    'import sqlalchemy as sa',
    'from sqlalchemy import text',
    'from elsewhere import sql_expressions',
    'TABLE = "users"',
    'STMT = "SELECT 9"',
    '',
    'def upgrade():',
    '    update_query = "UPDATE users SET a = 1 " "WHERE id = 1"',
    '    op.execute(update_query)',
    '    op.execute(sa.text(update_query))',
    '    q = "ALTER TABLE users " + "ADD COLUMN b int"',
    '    connection = op.get_bind()',
    '    connection.execute(text(q))',
    '    op.execute(f"ALTER TABLE {TABLE} DROP COLUMN c")',
    '    twice = "SELECT 1"',
    '    twice = "SELECT 2"',
    '    op.execute(twice)',
    '    for t in ["a", "b"]:',
    '        looped = "SELECT 3"',
    '        op.execute(looped)',
    '    op.execute(looped)',
    '    if op.get_context().dialect.name == "postgresql":',
    '        maybe = "SELECT 4"',
    '    op.execute(maybe)',
    '    op.execute(later)',
    '    later = "SELECT 5"',
    '    op.execute(t)',
    '    op.execute(sql_expressions)',
    '',
    'def helper(STMT):',
    '    op.execute(STMT)',
    '',
  ].join('\n');
  const u = unit('versions/0001_x.py', text);
  const line = (o: number) => text.slice(0, o).split('\n').length;
  assert.deepEqual(
    u.statements.map((s) => `${line(s.span.start)} ${s.sql}`),
    // A statement's span is its SQL, in the literal the name is bound to.
    ['9 UPDATE users SET a = 1 WHERE id = 1', '9 UPDATE users SET a = 1 WHERE id = 1', '12 ALTER TABLE users ADD COLUMN b int', '15 ALTER TABLE users DROP COLUMN c', '20 SELECT 3'],
  );
  assert.equal(u.statements[3]!.interpolated, false);
  assert.deepEqual(
    u.unanalysed.map((x) => `${line(x.span.start)} ${/reconstruct \((.*)\), so it was not checked/.exec(x.message)?.[1]}`),
    [
      '18 `twice` is assigned more than once in `upgrade()`',
      '22 `looped` is assigned inside a `for` loop (line 20) that does not hold this use, so it may be unbound or another value here',
      '25 `maybe` is assigned inside an `if` (line 24) that does not hold this use, so it may be unbound or another value here',
      '26 `later` is assigned only after this use (line 27)',
      '28 `t` is a `for` loop variable',
      '29 `sql_expressions` is imported',
      '32 `STMT` is a parameter',
    ],
  );
});

test('nodesOfTypes keeps named nodes only, also of a name the grammar gives a keyword token too (lambda)', async () => {
  await prepareFrontends(['x.py']);
  const tree = parsePython('f = lambda: 1\ng = 2\n');
  try {
    assert.deepEqual(nodesOfTypes(tree.rootNode, ['lambda', 'assignment']).all.map((n) => `${n.type}@${n.startIndex}`), ['assignment@0', 'lambda@4', 'assignment@14']);
    assert.deepEqual(nodesOfTypes(tree.rootNode, ['assignment']).all.map((n) => n.startIndex), [0, 14]);
  } finally {
    tree.delete();
  }
});

test('a file large enough to grow the parser\'s WebAssembly memory is read right after the growth', async () => {
  await prepareFrontends(['x.py']);
  const lines = Array.from({ length: 60000 }, (_, i) => `x_${i} = f("${'a'.repeat(20)}", ${i})`);
  const text = `${lines.join('\n')}\n`;
  const tree = parsePython(text);
  try {
    const statements = tree.rootNode.namedChildren;
    assert.equal(statements.length, 60000);
    const last = statements.at(-1)!;
    assert.equal(last.type, 'expression_statement');
    assert.equal(last.text, lines.at(-1));
    assert.equal(last.endIndex, text.length - 1);
  } finally {
    tree.delete();
  }
});
