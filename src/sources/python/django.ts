/**
 * Django migrations (`<app>/migrations/*.py` with `class Migration(migrations.Migration)`):
 * the `operations` list, each operation translated into the SQL Django's PostgreSQL
 * schema editor sends, with the operation as span. `RunSQL(sql=..., reverse_sql=...)`
 * carries raw SQL (a string or a list of them; `reverse_sql` is the down direction).
 *
 * Table names are `<app_label>_<model_name lower-cased>` (the app label is the
 * directory above `migrations/`), or the `db_table` a `CreateModel`/`AlterModelTable`
 * of this migration or an earlier one states. Django runs a migration in one transaction on
 * PostgreSQL unless the class says `atomic = False`
 * (https://docs.djangoproject.com/en/stable/howto/writing-migrations/#non-atomic-migrations).
 *
 * The app's models as its earlier migrations leave them (django-state.ts, moved past each
 * operation of this file) decide `AlterField` (django-alter.ts compares the field's two
 * definitions as Django's schema editor does), and the columns of `RenameField`/`RemoveField`.
 *
 * Fail closed: an operation whose SQL this file does not decide (`RunPython`, whose code
 * runs, an `AlterField` whose earlier definition cannot be read, an operation class
 * miglint does not know, an entry that is not a call) is an `unanalyzable-statement`
 * fact at the operation. `SeparateDatabaseAndState`'s `database_operations` are read
 * like the list (on a copy of the state); its `state_operations` send no SQL and move the state.
 */
import { basename, dirname } from 'node:path';
import type { MigrationUnit, Phase } from '../../core/unit.js';
import { qname } from '../../sql/write.js';
import { alterField, removeField, renameField } from './django-alter.js';
import type { BuiltSql } from '../typescript/types.js';
import { opName, translate, type TableOf } from './django-operations.js';
import { stateBefore } from './django-history.js';
import { classAttrs, migrationRefs, stateOps, type AppState, type StateOp } from './django-state.js';
import { oneLine, type PhaseRegion, type PyEnv } from './env.js';
import { named, type PyNode } from './parse.js';
import { keywords, positional, unparen } from './strings.js';
import { PyValues } from './values.js';

/** The `class Migration(...migrations.Migration)` of a file under `migrations/`, or null. */
export function djangoMigrationClass(env: PyEnv): PyNode | null {
  const underMigrations = basename(dirname(env.file)) === 'migrations';
  if (!underMigrations && !/^\s*from\s+django\.db\s+import\s+[^\n]*\bmigrations\b/m.test(env.source.text)) return null;
  for (const n of env.root.namedChildren) {
    if (n?.type !== 'class_definition') continue;
    const supers = n.childForFieldName('superclasses')?.text ?? '';
    if (n.childForFieldName('name')?.text === 'Migration' && /\bMigration\b/.test(supers)) return n;
  }
  return null;
}

/** The Django framework module (a `class Migration(migrations.Migration)`). */
export const django = {
  framework: 'django',
  name: 'Django',
  idioms: {
    batchedBackfill: 'in Django, a RunPython that updates one key range at a time (Model.objects.filter(pk__gte=lo, pk__lt=hi).update(...)) in a migration with `atomic = False`, so each range commits on its own',
    builderTypeChange: 'the operation is not rewritten: change the model field it names, in the model too',
    // Django's operations have no IF [NOT] EXISTS: the database side goes into RunSQL, the state side stays the operation.
    robustBuilder: (form: string, missing: string) =>
      `Django's operations have no ${missing} form: write the operation as migrations.SeparateDatabaseAndState(database_operations=[migrations.RunSQL("<the ${form} with ${missing}>", reverse_sql="<its reverse, with IF [NOT] EXISTS>")], state_operations=[<this operation>]) (python manage.py sqlmigrate prints the SQL it sends)`,
    // Django runs a migration's operations on one connection; unapplying runs their reverses last to first.
    runFirst: (sql: string, phase: Phase) =>
      phase === 'down'
        ? `Add migrations.RunSQL(migrations.RunSQL.noop, reverse_sql="${sql}") as the last operation (Django unapplies the operations last to first, on one connection, so it holds for the ones after it)`
        : `Add migrations.RunSQL("${sql}", reverse_sql=migrations.RunSQL.noop) as the first operation (Django runs the operations on one connection, so it holds for the ones after it)`,
  },
  claims: (env: PyEnv) => djangoMigrationClass(env) !== null,
  analyse: (env: PyEnv, unit: MigrationUnit) => analyseDjango(env, unit, djangoMigrationClass(env)!),
} as const;

/**
 * Operations that send no SQL: they change only the state Django keeps of the models
 * (options such as `ordering` or `verbose_name`, managers). `AlterModelOptions` and
 * `AlterModelManagers` have empty `database_forwards` in Django's operations/models.py.
 */
const NO_SQL = new Set(['AlterModelOptions', 'AlterModelManagers']);

/** Reads a Django migration into the unit. */
export function analyseDjango(env: PyEnv, unit: MigrationUnit, cls: PyNode): void {
  const app = appLabel(env, cls);
  const attrs = classAttrs(cls);
  const atomicNode = attrs.get('atomic');
  const atomic = atomicNode ? unparen(atomicNode).type !== 'false' : true;
  const ops = attrs.get('operations');
  const list = ops ? unparen(ops) : null;
  const regions: PhaseRegion[] = [];
  if (list) regions.push({ phase: 'up', span: { start: list.startIndex, end: list.endIndex } });
  const notAnalysed = (node: PyNode, message: string, help: string, phase: Phase = 'up') =>
    env.collector.unanalysed.push({ scope: 'statement', message, help, span: { start: node.startIndex, end: node.endIndex }, phase });
  if (list && list.type !== 'list' && list.type !== 'tuple') {
    notAnalysed(list, `Not analysed: the migration's \`operations\` is \`${oneLine(list.text)}\`, not a list miglint can read, so none of its operations were checked.`, 'Write the operations as a list literal in the Migration class so miglint can check them.');
  }

  const isList = !!list && (list.type === 'list' || list.type === 'tuple');
  const operations = isList ? named(list) : [];
  // Each operation's change to the app's models, read once: for the replay below and for the file's summary, which later units of the run replay.
  const values = new PyValues(env.bindings, env.placeholders);
  const changes = operations.map((op) => stateOps([op], values));
  // The app's models as its earlier migrations leave them, moved past each operation of this file (django-state.ts).
  const deps = migrationRefs(attrs.get('dependencies'), values);
  const state = stateBefore(env.file, app, deps.refs, { text: env.source.text, root: env.root, ...(isList ? { ops: changes.flat() } : {}) });
  if (deps.problem) state.unknown ??= `the migration's dependencies: ${deps.problem}, so the migrations before it were not read`;
  // A model's table as the state says it just before the operation: a `db_table` stated in this migration or an earlier one, else Django's `<app>_<model>`.
  // A CreateModel's own table is the one its change states (`change`: the operation's state changes, not applied yet).
  const tableOf =
    (st: AppState, change: StateOp[] = []): TableOf =>
    (v, model) => {
      const m = v.str(model);
      if (m === null) return v.name(model);
      const created = change.find((c) => c.kind === 'create' && c.model.toLowerCase() === m.toLowerCase());
      if (created?.kind === 'create' && created.table !== null) return created.table;
      const known = st.model(m);
      return known?.explicitTable ? known.table : `${app}_${m.toLowerCase()}`;
    };

  const read = (op: PyNode, st: AppState, change: StateOp[] = stateOps([op], values)): void => {
    readOp(op, st, change);
    for (const c of change) st.apply(c);
  };
  const readOp = (op: PyNode, st: AppState, change: StateOp[]): void => {
    if (op.type !== 'call') {
      notAnalysed(op, `Not analysed: the operation \`${oneLine(op.text)}\` is not an operation call miglint can read, so what it sends was not checked.`, 'Write the operation as a call in the `operations` list so miglint can check it, or check what it sends by hand (`python manage.py sqlmigrate <app> <migration>`).');
      return;
    }
    const name = opName(op);
    const kw = keywords(op);
    const a = positional(op);
    const v = new PyValues(env.bindings, env.placeholders);
    if (name === 'RunSQL') {
      for (const [arg, phase] of [[kw.get('sql') ?? a[0], 'up'], [kw.get('reverse_sql') ?? a[1], 'down']] as const) {
        if (!arg) continue;
        const u = unparen(arg);
        if (phase === 'down') regions.push({ phase, span: { start: u.startIndex, end: u.endIndex } });
        if (/^migrations\.RunSQL\.noop$/.test(u.text)) continue;
        const items = u.type === 'list' || u.type === 'tuple' ? named(u) : [u];
        // A (sql, params) pair in the list: the params are values.
        for (const item of items) env.addRawSql(item.type === 'tuple' ? named(item)[0] : item, op, 'migrations.RunSQL', phase, item.type === 'tuple' ? 'driver' : null);
      }
      return;
    }
    if (name === 'RunPython') {
      // Python code: what it sends (through the ORM or `schema_editor.execute`) is known only when it runs.
      for (const [arg, phase] of [[kw.get('code') ?? a[0], 'up'], [kw.get('reverse_code') ?? a[1], 'down']] as const) {
        if (!arg || isNoop(unparen(arg), env)) continue;
        const u = unparen(arg);
        if (phase === 'down') regions.push({ phase, span: { start: u.startIndex, end: u.endIndex } });
        notAnalysed(
          phase === 'up' ? op : u,
          `Not analysed: \`RunPython\` runs the Python code \`${oneLine(u.text, 40)}\`${phase === 'down' ? ' when the migration is reversed' : ''}, which miglint does not read, so the SQL it sends (ORM updates, \`schema_editor.execute\`) was not checked.`,
          'Check by hand what the code sends: a data migration over a large table should update in batches (and be non-atomic), DDL belongs in `migrations.RunSQL` where miglint checks it; suppress this once checked.',
          phase,
        );
      }
      return;
    }
    if (name === 'SeparateDatabaseAndState') {
      // state_operations change only Django's model state (no SQL); database_operations run.
      const dbOps = kw.get('database_operations') ?? a[0];
      if (!dbOps) return;
      const u = unparen(dbOps);
      // Django runs them on a copy of the state; the state moves on by the state_operations (applied by `read`).
      const scratch = st.clone();
      if (u.type === 'list' || u.type === 'tuple') for (const inner of named(u)) read(inner, scratch);
      else notAnalysed(u, `Not analysed: the \`database_operations\` of \`SeparateDatabaseAndState\` are \`${oneLine(u.text)}\`, not a list miglint can read, so they were not checked.`, 'Write the database operations as a list literal so miglint can check them.');
      return;
    }
    if (name === 'AlterField') {
      // What AlterField sends depends on the field as the earlier migrations left it (django-alter.ts compares the two, as Django's schema editor does).
      const r = alterField(op, v, st);
      const field = `\`${v.str(kw.get('model_name') ?? a[0]) ?? '?'}.${v.str(kw.get('name') ?? a[1]) ?? '?'}\``;
      const help = 'Lint the SQL Django sends (`python manage.py sqlmigrate <app> <migration>` into a .sql file), or check the change by hand; suppress this once checked.';
      if ('unknown' in r) {
        notAnalysed(op, `Not analysed: \`AlterField\` on ${field} changes the field from its earlier definition, which miglint could not read (${r.unknown}), so what it sends (ALTER COLUMN ... TYPE, SET or DROP NOT NULL, or nothing) was not checked.`, help);
        return;
      }
      env.addBuilt(r.built, 'up');
      if (r.unanalysed) notAnalysed(op, `Not analysed: \`AlterField\` on ${field}: ${r.unanalysed}, so those statements were not checked.`, help);
      return;
    }
    if (name === 'AlterModelTable') {
      // Renames the model's table: from its name so far to the one stated.
      const model = kw.get('name') ?? a[0];
      const oldTable = tableOf(st)(v, model);
      const m = v.str(model);
      const table = kw.get('table') ?? a[1];
      // `table=None` goes back to Django's default name, `<app>_<model>`.
      const to = table && v.isNone(table) && m ? `${app}_${m.toLowerCase()}` : v.name(table);
      if (to !== oldTable) env.addBuilt([v.built(`ALTER TABLE ${qname(oldTable)} RENAME TO ${qname(to)}`, op)], 'up');
      return;
    }
    if (NO_SQL.has(name)) return;
    // RenameModel of a model with its own db_table keeps the table (Django's alter_db_table: same name, nothing sent).
    if (name === 'RenameModel' && st.model(v.str(kw.get('old_name') ?? a[0]) ?? '')?.explicitTable) return;
    // Fields the state knows: their columns, not their names (django-alter.ts).
    const renamed = name === 'RenameField' ? renameField(op, v, st) : null;
    const removed = name === 'RemoveField' ? removeField(op, v, st) : null;
    if ((renamed && !('unknown' in renamed)) || removed) {
      const r = renamed as { built: BuiltSql[]; unanalysed?: string } | null;
      env.addBuilt(removed ?? r!.built, 'up');
      if (r?.unanalysed) notAnalysed(op, `Not analysed: \`RenameField\`: ${r.unanalysed}, so those statements were not checked.`, 'Lint the SQL Django sends (`python manage.py sqlmigrate <app> <migration>` into a .sql file), or check it by hand; suppress this once checked.');
      return;
    }
    const built = translate(name, op, env, tableOf(st, change));
    if (built) {
      env.addBuilt(built, 'up');
      return;
    }
    notAnalysed(
      op,
      `Not analysed: the Django operation \`${name || oneLine(op.text, 40)}\` is not one miglint translates to SQL, so what it sends was not checked.`,
      'Lint the SQL Django sends (`python manage.py sqlmigrate <app> <migration>` into a .sql file), or check it by hand; suppress this once checked.',
    );
  };
  operations.forEach((op, i) => read(op, state, changes[i]));
  unit.phaseRegions = regions;
  unit.framework = 'django';
  unit.wrapped = atomic
    ? { inTransaction: true, reason: 'Django runs each migration in a transaction on PostgreSQL (the class does not say `atomic = False`)', switchAdvice: 'set `atomic = False` on the Migration class' }
    : { inTransaction: false, reason: 'the Migration class says `atomic = False`' };
}

/**
 * Whether RunPython code does nothing: `migrations.RunPython.noop` (Django's documented
 * no-op), a lambda returning `None`, or a function of this file whose body is only
 * `pass`, a docstring or a bare `return`.
 */
function isNoop(code: PyNode, env: PyEnv): boolean {
  if (/^(?:migrations\.)?RunPython\.noop$/.test(code.text.replace(/\s+/g, ''))) return true;
  if (code.type === 'lambda') return unparen(code.childForFieldName('body') ?? code).type === 'none';
  if (code.type !== 'identifier') return false;
  const defs = env.root.namedChildren.filter((n) => n?.type === 'function_definition' && n.childForFieldName('name')?.text === code.text);
  if (defs.length !== 1) return false;
  const stmts = named(defs[0]!.childForFieldName('body')!);
  return stmts.every(
    (s) =>
      s.type === 'pass_statement' ||
      (s.type === 'expression_statement' && named(s)[0]?.type === 'string') ||
      (s.type === 'return_statement' && (named(s).length === 0 || named(s)[0]?.type === 'none')),
  );
}


/**
 * The app label: the directory above `migrations/`; for a file elsewhere, the app of its
 * first dependency (a migration depends on its app's previous one), else `app`.
 */
function appLabel(env: PyEnv, cls: PyNode): string {
  if (basename(dirname(env.file)) === 'migrations') return basename(dirname(dirname(env.file)));
  const dep = /\bdependencies\s*=\s*\[\s*\(\s*['"]([A-Za-z_]\w*)['"]/.exec(cls.text);
  return dep?.[1] ?? 'app';
}

