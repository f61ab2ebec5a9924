/**
 * The migration state of one Django app, as Django's loader builds it
 * (django/db/migrations/loader.py, state.py): the models and their fields just before a
 * migration, replayed from the app's earlier migrations (the sibling files of
 * `<app>/migrations/`), so that an `AlterField` can be compared with the field's earlier
 * definition the way the schema editor compares them.
 *
 * - Order: a migration's state is that of its ancestors, through the `dependencies` on
 *   migrations of the same app (other apps' migrations never change this app's fields),
 *   replayed depth first, each migration after its dependencies.
 * - Squashes: a migration with `replaces = [...]` stands for the migrations it replaces; when
 *   both are reached, the replaced ones are left out (their dependants depend on the squash),
 *   unless the migration being linted is one of them (its state is the unsquashed history).
 *   A dependency on a replaced migration whose file is gone is one on its squash.
 * - Operations replayed: CreateModel (its fields, `db_table`, `managed`), AddField,
 *   AlterField, RemoveField, RenameField, RenameModel, DeleteModel, AlterModelTable,
 *   AlterModelOptions (`managed`), the `state_operations` of SeparateDatabaseAndState and
 *   RunSQL. Operations that change no field (indexes, constraints, RunPython, ...) are skipped.
 * - Unknown: what the replay cannot read makes the definitions it could have changed unknown,
 *   with the reason: a field that is not a call (that field), a model name that is not a
 *   literal or an operation class miglint does not know (every model of the app so far), a
 *   dependency whose file is missing, a cycle, a file that does not parse (the whole state).
 *
 * Each sibling file is parsed once while its size and modification time stay the same
 * (a cache per path, shared by the units of a run; the language server's edits to a sibling
 * show once saved). The linted file's own operations come from its text, not the disk.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { Placeholders } from '../typescript/placeholders.js';
import { isUnknown, readField, text, type FieldDef, type UnknownField } from './django-fields.js';
import { named, parsePython, type PyNode } from './parse.js';
import { Bindings, keywords, positional, unparen } from './strings.js';
import { PyValues } from './values.js';

/** One change an operation makes to the app's models, as plain data. */
export type StateOp =
  | { kind: 'create'; model: string; fields: [string, FieldDef | UnknownField][]; table: string | null; managed: boolean }
  | { kind: 'add' | 'alter'; model: string; name: string; field: FieldDef | UnknownField }
  | { kind: 'remove'; model: string; name: string }
  | { kind: 'rename-field'; model: string; from: string; to: string }
  | { kind: 'rename-model'; from: string; to: string }
  | { kind: 'delete'; model: string }
  | { kind: 'table'; model: string; table: string | null }
  | { kind: 'managed'; model: string; managed: boolean }
  | { kind: 'opaque'; why: string };

/** A model as the replay knows it. */
export interface ModelState {
  /** The model's name as written (`Product`). */
  name: string;
  table: string;
  /** `db_table` was stated (RenameModel then keeps the table). */
  explicitTable: boolean;
  /** `managed = False`: Django's schema editor sends nothing for it. */
  managed: boolean;
  fields: Map<string, FieldDef | UnknownField>;
}

/** Operations that change no model field in Django's state (state_forwards leaves fields alone, or the operation has none). */
const NO_FIELD_CHANGE = new Set([
  'RunPython', 'AddIndex', 'AddIndexConcurrently', 'RemoveIndex', 'RemoveIndexConcurrently', 'RenameIndex', 'AddConstraint', 'AddConstraintNotValid', 'RemoveConstraint',
  'ValidateConstraint', 'AlterUniqueTogether', 'AlterIndexTogether', 'AlterModelManagers', 'AlterOrderWithRespectTo', 'AlterModelTableComment', 'CreateExtension',
  'BloomExtension', 'BtreeGinExtension', 'BtreeGistExtension', 'CITextExtension', 'CryptoExtension', 'HStoreExtension', 'TrigramExtension', 'UnaccentExtension',
  'CreateCollation', 'RemoveCollation',
]);

/** The app's models just before an operation; `apply` moves it past one. */
export class AppState {
  readonly models = new Map<string, ModelState>();
  /** Why models before this point are not known (set by an unreadable operation or history), or null. */
  unknown: string | null = null;

  /**
   * Other apps this migration depends on, for the models its relations point at: the app's
   * migrations directory and the newest of its migrations depended on.
   */
  others = new Map<string, { dir: string; name: string }>();
  private readonly otherStates = new Map<string, AppState | null>();

  constructor(readonly app: string) {}

  clone(): AppState {
    const s = new AppState(this.app);
    s.unknown = this.unknown;
    s.others = this.others;
    for (const [k, m] of this.models) s.models.set(k, { ...m, fields: new Map(m.fields) });
    return s;
  }

  /** The model `name` (any case), or undefined. */
  model(name: string): ModelState | undefined {
    return this.models.get(name.toLowerCase());
  }

  /** The field's definition before the operation, or why it is not known. */
  field(model: string, name: string): FieldDef | UnknownField {
    const m = this.model(model);
    if (!m) return { unknown: this.unknown ?? `no earlier migration of the app \`${this.app}\` creates the model \`${model}\`` };
    const f = m.fields.get(name);
    if (f) return f;
    return { unknown: this.unknown && m.fields.size === 0 ? this.unknown : `no earlier migration gives the model \`${model}\` a field \`${name}\`` };
  }

  /** The table of the model a relation's `to` names (`self`, `Product`, `product.Product`), when it is of this app and known. */
  related(to: string | null, self: string): ModelState | undefined {
    if (to === null) return undefined;
    if (to === 'self') return this.model(self);
    const [app, model] = to.includes('.') ? to.split('.', 2) : [this.app, to];
    if (app === this.app) return this.model(model!);
    // Another app's model, as that app's migrations this one depends on leave it.
    if (!this.otherStates.has(app!)) {
      const dep = this.others.get(app!);
      this.otherStates.set(app!, dep ? stateAfter(dep.dir, app!, dep.name) : null);
    }
    return this.otherStates.get(app!)?.model(model!);
  }

  apply(op: StateOp): void {
    const m = 'model' in op ? this.model(op.model) : undefined;
    switch (op.kind) {
      case 'create':
        this.models.set(op.model.toLowerCase(), { name: op.model, table: op.table ?? defaultTable(this.app, op.model), explicitTable: op.table !== null, managed: op.managed, fields: new Map(op.fields) });
        return;
      case 'add':
      case 'alter':
        m?.fields.set(op.name, op.field);
        return;
      case 'remove':
        m?.fields.delete(op.name);
        return;
      case 'rename-field': {
        const f = m?.fields.get(op.from);
        if (!m || !f) return;
        const fields = [...m.fields].map(([k, v]): [string, FieldDef | UnknownField] => [k === op.from ? op.to : k, v]);
        m.fields = new Map(fields);
        return;
      }
      case 'rename-model': {
        const old = this.model(op.from);
        if (!old) return;
        this.models.delete(op.from.toLowerCase());
        this.models.set(op.to.toLowerCase(), { ...old, name: op.to, table: old.explicitTable ? old.table : defaultTable(this.app, op.to) });
        // Django's state points the relations to the old model at the new one.
        const refs = new Set([op.from.toLowerCase(), `${this.app}.${op.from.toLowerCase()}`]);
        for (const model of this.models.values()) {
          for (const [k, f] of model.fields) {
            const to = isUnknown(f) ? null : text(f, 'to');
            if (!isUnknown(f) && to !== null && refs.has(to.toLowerCase())) model.fields.set(k, { ...f, kw: { ...f.kw, to: JSON.stringify(`${this.app}.${op.to}`) } });
          }
        }
        return;
      }
      case 'delete':
        this.models.delete(op.model.toLowerCase());
        return;
      case 'table':
        if (m) Object.assign(m, op.table === null ? { table: defaultTable(this.app, m.name), explicitTable: false } : { table: op.table, explicitTable: true });
        return;
      case 'managed':
        if (m) m.managed = op.managed;
        return;
      case 'opaque':
        this.models.clear();
        this.unknown = op.why;
        return;
    }
  }
}

const defaultTable = (app: string, model: string) => `${app}_${model.toLowerCase()}`;

/** What a migration file says about itself and its operations' effect on the state. */
export interface MigrationSummary {
  name: string;
  /** Dependencies on migrations of `app`, by name. */
  deps: string[];
  /** `replaces` entries of `app`, by name. */
  replaces: string[];
  ops: StateOp[];
  /** Why the file could not be read (it does not parse, has no Migration class or no operations list), or null. */
  problem: string | null;
}

/** The `(app, name)` tuples of a `dependencies` or `replaces` list. */
export function migrationRefs(list: PyNode | undefined, v: PyValues): { app: string; name: string }[] {
  const u = list ? unparen(list) : null;
  if (!u || (u.type !== 'list' && u.type !== 'tuple')) return [];
  return named(u).flatMap((e) => {
    const [a, n] = e.type === 'tuple' ? named(e) : [];
    const app = v.str(a);
    const name = v.str(n);
    return app !== null && name !== null ? [{ app, name }] : [];
  });
}

/** The state changes of a list of operations (SeparateDatabaseAndState and RunSQL give theirs through `state_operations`). */
export function stateOps(ops: PyNode[], v: PyValues): StateOp[] {
  return ops.flatMap((op) => stateOpsOf(op, v));
}

function stateOpsOf(op: PyNode, v: PyValues): StateOp[] {
  if (op.type !== 'call') return [{ kind: 'opaque', why: `an operation is \`${op.text.replace(/\s+/g, ' ').slice(0, 40)}\`, not a call` }];
  const name = (op.childForFieldName('function')?.text ?? '').split('.').pop() ?? '';
  const kw = keywords(op);
  const a = positional(op);
  const inner = (n: PyNode | undefined): StateOp[] => {
    if (!n) return [];
    const items = listItems(n, v);
    if (!items) return [{ kind: 'opaque', why: `the \`state_operations\` of a \`${name}\` are not a list miglint can read` }];
    return stateOps(items, v);
  };
  if (name === 'SeparateDatabaseAndState') return inner(kw.get('state_operations') ?? a[1]);
  if (name === 'RunSQL') return inner(kw.get('state_operations') ?? a[2]);
  if (NO_FIELD_CHANGE.has(name)) return [];
  const str = (n: PyNode | undefined) => v.str(n);
  const model = str(kw.get('model_name') ?? a[0]);
  const opaque = (what: string): StateOp[] => [{ kind: 'opaque', why: `a \`${name}\` has a ${what} that is not a string literal` }];
  switch (name) {
    case 'CreateModel': {
      const m = str(kw.get('name') ?? a[0]);
      if (m === null) return opaque('model name');
      const list = unparen(kw.get('fields') ?? a[1] ?? op);
      if (list.type !== 'list' && list.type !== 'tuple') return [{ kind: 'create', model: m, fields: [], table: null, managed: true }, { kind: 'opaque', why: `the fields of \`${m}\` are not a list` }];
      const fields: [string, FieldDef | UnknownField][] = [];
      for (const f of named(list)) {
        const [n, def] = f.type === 'tuple' ? named(f) : [];
        const fname = str(n);
        if (fname === null) return [{ kind: 'opaque', why: `a field of \`${m}\` has a name that is not a string literal` }];
        fields.push([fname, readField(def, v)]);
      }
      const opts = unparen(kw.get('options') ?? a[2] ?? op);
      const opt = (key: string) => (opts.type === 'dictionary' ? named(opts).find((p) => str(p.childForFieldName('key') ?? undefined) === key)?.childForFieldName('value') : undefined);
      const table = opt('db_table');
      return [{ kind: 'create', model: m, fields, table: table ? (str(table) ?? `${m}?`) : null, managed: unparen(opt('managed') ?? op).type !== 'false' }];
    }
    case 'AddField':
    case 'AlterField': {
      const f = str(kw.get('name') ?? a[1]);
      if (model === null || f === null) return opaque('model or field name');
      return [{ kind: name === 'AddField' ? 'add' : 'alter', model, name: f, field: readField(kw.get('field') ?? a[2], v) }];
    }
    case 'RemoveField': {
      const f = str(kw.get('name') ?? a[1]);
      return model === null || f === null ? opaque('model or field name') : [{ kind: 'remove', model, name: f }];
    }
    case 'RenameField': {
      const from = str(kw.get('old_name') ?? a[1]);
      const to = str(kw.get('new_name') ?? a[2]);
      return model === null || from === null || to === null ? opaque('name') : [{ kind: 'rename-field', model, from, to }];
    }
    case 'RenameModel': {
      const from = str(kw.get('old_name') ?? a[0]);
      const to = str(kw.get('new_name') ?? a[1]);
      return from === null || to === null ? opaque('model name') : [{ kind: 'rename-model', from, to }];
    }
    case 'DeleteModel': {
      const m = str(kw.get('name') ?? a[0]);
      return m === null ? opaque('model name') : [{ kind: 'delete', model: m }];
    }
    case 'AlterModelTable': {
      const m = str(kw.get('name') ?? a[0]);
      const t = kw.get('table') ?? a[1];
      if (m === null || (t && unparen(t).type !== 'none' && str(t) === null)) return opaque('model or table name');
      return [{ kind: 'table', model: m, table: t && unparen(t).type !== 'none' ? str(t) : null }];
    }
    case 'AlterModelOptions': {
      const m = str(kw.get('name') ?? a[0]);
      if (m === null) return [];
      const opts = unparen(kw.get('options') ?? a[1] ?? op);
      const managed = opts.type === 'dictionary' ? named(opts).find((p) => str(p.childForFieldName('key') ?? undefined) === 'managed')?.childForFieldName('value') : undefined;
      // AlterModelOptions replaces the alterable options: `managed` left out is the default, True.
      return [{ kind: 'managed', model: m, managed: !managed || unparen(managed).type !== 'false' }];
    }
    default:
      return [{ kind: 'opaque', why: `an operation \`${name || op.text.slice(0, 30)}\` miglint does not replay` }];
  }
}

/**
 * The elements of a list or tuple, also through a name bound once and `+` of such lists
 * (`operations = FIELDS + INDEXES`), or null for anything else.
 */
export function listItems(n: PyNode, v: PyValues, depth = 0): PyNode[] | null {
  const u = v.resolve(n);
  if (u.type === 'list' || u.type === 'tuple') return named(u);
  if (u.type === 'binary_operator' && u.childForFieldName('operator')?.text === '+' && depth < 20) {
    const l = listItems(u.childForFieldName('left')!, v, depth + 1);
    const r = l && listItems(u.childForFieldName('right')!, v, depth + 1);
    return l && r ? [...l, ...r] : null;
  }
  return null;
}

/** The class body's assignments (`dependencies = [...]`, `operations = [...]`). */
export function classAttrs(cls: PyNode): Map<string, PyNode> {
  const attrs = new Map<string, PyNode>();
  const body = cls.childForFieldName('body');
  for (const st of body ? named(body) : []) {
    const a = st.type === 'expression_statement' ? named(st)[0] : null;
    const left = a?.type === 'assignment' ? a.childForFieldName('left') : null;
    const right = a?.childForFieldName('right');
    if (left?.type === 'identifier' && right) attrs.set(left.text, right);
  }
  return attrs;
}

/** Reads a migration's text into its summary (parses it, then frees the tree). */
export function summarize(name: string, app: string, source: string): MigrationSummary {
  const tree = parsePython(source);
  try {
    return summarizeTree(name, app, source, tree.rootNode);
  } finally {
    tree.delete();
  }
}

/** `summarize` of a tree already parsed. */
function summarizeTree(name: string, app: string, source: string, root: PyNode): MigrationSummary {
  {
    const empty = (problem: string): MigrationSummary => ({ name, deps: [], replaces: [], ops: [], problem });
    if (root.hasError) return empty(`the migration \`${name}\` does not parse`);
    const cls = root.namedChildren.find((n) => n?.type === 'class_definition' && n.childForFieldName('name')?.text === 'Migration');
    if (!cls) return empty(`the migration \`${name}\` has no \`class Migration\``);
    // Names bound at the top of the module or of the class (`FIELDS = [...]`, `state_operations = [...]`): no walk of every node.
    const assignments = [...named(root), ...named(cls.childForFieldName('body') ?? cls)].flatMap((st) => (st.type === 'expression_statement' ? named(st).filter((x) => x.type === 'assignment') : []));
    const v = new PyValues(new Bindings(assignments), new Placeholders(source));
    const attrs = classAttrs(cls);
    const ops = attrs.get('operations');
    const own = (list: PyNode | undefined) => migrationRefs(list, v).flatMap((r) => (r.app === app ? [r.name] : []));
    const base = { name, deps: own(attrs.get('dependencies')), replaces: own(attrs.get('replaces')) };
    if (!ops) return { ...base, ops: [], problem: null };
    const items = listItems(ops, v);
    if (!items) return { ...base, ops: [], problem: `the operations of the migration \`${name}\` are not a list miglint can read` };
    return { ...base, ops: stateOps(items, v), problem: null };
  }
}

/**
 * Lets the cache take the linted file's summary from the tree the linter parsed, when its text
 * is the file's content on disk (a later unit of the run then needs no second parse).
 */
function remember(file: string, app: string, own: { text: string; root: PyNode }): void {
  const hit = cache.get(file);
  if (hit && Date.now() - hit.checkedAt < RECHECK_MS) return;
  try {
    const st = statSync(file);
    if (hit && hit.size === st.size && hit.mtimeMs === st.mtimeMs) return;
    if (st.size !== Buffer.byteLength(own.text) || readFileSync(file, 'utf8') !== own.text) return;
    cache.set(file, { size: st.size, mtimeMs: st.mtimeMs, checkedAt: Date.now(), summary: summarizeTree(basename(file).replace(/\.py$/, ''), app, own.text, own.root) });
  } catch {
    // Not on disk (an editor's unsaved buffer): nothing to remember.
  }
}

/** Summaries by file path, with the size and mtime they were read at. */
const cache = new Map<string, { size: number; mtimeMs: number; checkedAt: number; summary: MigrationSummary }>();
/** How long a file's size and mtime, once checked, are taken as they were (ms): a run stats each sibling about once a second, not once per unit. */
const RECHECK_MS = 1000;
/** Directory listings (migration names) by directory, with the directory's mtime. */
const listings = new Map<string, { mtimeMs: number; names: string[] }>();

/** The summary of `<dir>/<name>.py` (from the cache while the file is unchanged), or null when there is no such file. */
function summaryOf(dir: string, name: string, app: string): MigrationSummary | null {
  const path = join(dir, `${name}.py`);
  const hit = cache.get(path);
  const now = Date.now();
  if (hit && now - hit.checkedAt < RECHECK_MS) return hit.summary;
  let st;
  try {
    st = statSync(path);
  } catch {
    return null;
  }
  if (hit && hit.size === st.size && hit.mtimeMs === st.mtimeMs) {
    hit.checkedAt = now;
    return hit.summary;
  }
  let summary: MigrationSummary;
  try {
    summary = summarize(name, app, readFileSync(path, 'utf8'));
  } catch (e) {
    summary = { name, deps: [], replaces: [], ops: [], problem: `the migration \`${name}\` could not be read (${(e as Error).message})` };
  }
  cache.set(path, { size: st.size, mtimeMs: st.mtimeMs, checkedAt: now, summary });
  return summary;
}

function listing(dir: string): string[] {
  let mtimeMs: number;
  try {
    mtimeMs = statSync(dir).mtimeMs;
  } catch {
    return [];
  }
  const hit = listings.get(dir);
  if (hit && hit.mtimeMs === mtimeMs) return hit.names;
  const names = readdirSync(dir)
    .filter((f) => /^\w+\.py$/.test(f) && f !== '__init__.py')
    .map((f) => f.slice(0, -3))
    .sort();
  listings.set(dir, { mtimeMs, names });
  return names;
}

/**
 * The ancestors of a migration (its same-app dependencies, transitively), each after its own
 * dependencies, or why they cannot all be read.
 * @param dir the app's migrations directory; @param self the linted migration's name (never read from disk).
 */
export function ancestors(dir: string, app: string, self: string, deps: string[]): { order: MigrationSummary[]; problem: string | null } {
  // Squashes to use in place of what they replace: found among the ancestors, or in the directory for a missing file.
  const squashOf = new Map<string, string>();
  const keep = (s: MigrationSummary) => !s.replaces.includes(self);
  for (let round = 0; round < 3; round++) {
    const order: MigrationSummary[] = [];
    const done = new Set<string>();
    const visiting = new Set<string>();
    let problem: string | null = null;
    let changed = false;
    const visit = (name: string): void => {
      if (problem) return;
      const target = squashOf.get(name) ?? name;
      if (done.has(target)) return;
      if (visiting.has(target)) {
        problem = `the migrations of \`${app}\` depend on each other in a cycle through \`${target}\``;
        return;
      }
      let s = summaryOf(dir, target, app);
      if (!s) {
        const squash = listing(dir)
          .filter((n) => n !== self)
          .map((n) => summaryOf(dir, n, app))
          .find((m) => m && m.replaces.includes(target) && keep(m));
        if (!squash) {
          problem = `the migration \`${target}\` it depends on is not in ${basename(dirname(dir))}/${basename(dir)}/`;
          return;
        }
        squashOf.set(target, squash.name);
        s = squash;
      }
      if (s.problem) {
        problem = s.problem;
        return;
      }
      visiting.add(s.name);
      for (const d of [...s.deps].sort()) visit(d);
      visiting.delete(s.name);
      done.add(s.name);
      order.push(s);
      if (s.replaces.length && keep(s)) for (const r of s.replaces) if (squashOf.get(r) !== s.name) (squashOf.set(r, s.name), (changed = true));
    };
    for (const d of [...deps].sort()) visit(d);
    if (problem) return { order: [], problem };
    // A squash reached after some of what it replaces: walk again with the replaced ones pointing at it.
    if (!changed || !order.some((s) => squashOf.has(s.name))) return { order, problem: null };
  }
  return { order: [], problem: `the squashed migrations of \`${app}\` replace each other in a way miglint cannot order` };
}

/** The state of `app` once its migration `name` in `dir` (and its ancestors) ran. */
export function stateAfter(dir: string, app: string, name: string): AppState | null {
  return after(dir, app, name).state;
}

/** States after a migration, by path, with the summaries they were replayed from (valid while each is current). Never changed once made. */
const afters = new Map<string, { used: MigrationSummary[]; state: AppState | null; problem: string | null }>();

/**
 * The state after migration `name`, memoised: a migration with one dependency (the usual chain) is
 * its dependency's state and its own operations; a merge, a squash or a missing file is replayed
 * from all its ancestors (`ancestors`).
 */
function after(dir: string, app: string, name: string, depth = 0): { used: MigrationSummary[]; state: AppState | null; problem: string | null } {
  const path = join(dir, `${name}.py`);
  const hit = afters.get(path);
  if (hit && hit.used.every((u) => summaryOf(dir, u.name, app) === u)) return hit;
  const s = summaryOf(dir, name, app);
  let result: { used: MigrationSummary[]; state: AppState | null; problem: string | null };
  if (s && !s.problem && s.deps.length === 1 && s.replaces.length === 0 && s.deps[0] !== name && depth < 2000) {
    const prev = after(dir, app, s.deps[0]!, depth + 1);
    if (prev.state) {
      const state = prev.state.clone();
      for (const op of s.ops) state.apply(op);
      result = { used: [...prev.used, s], state, problem: null };
    } else result = { used: [...prev.used, s], state: null, problem: prev.problem };
  } else if (s && !s.problem && s.deps.length === 0 && s.replaces.length === 0) {
    const state = new AppState(app);
    for (const op of s.ops) state.apply(op);
    result = { used: [s], state, problem: null };
  } else {
    const { order, problem } = ancestors(dir, app, '', [name]);
    const state = problem ? null : new AppState(app);
    if (state) for (const m of order) for (const op of m.ops) state.apply(op);
    result = { used: problem ? (s ? [s] : []) : order, state, problem };
  }
  // A missing file is looked for again next time (its result is not kept).
  if (s) afters.set(path, result);
  return result;
}

/**
 * The state of `app` just before the migration `file` (a path `<app>/migrations/<name>.py`),
 * whose same-app dependencies are `deps` (read from its own text). A file outside a
 * `migrations/` directory gets an empty state that says why it is unknown.
 */
export function stateBefore(file: string, app: string, refs: { app: string; name: string }[], own?: { text: string; root: PyNode }): AppState {
  const state = new AppState(app);
  const dir = dirname(file);
  const deps = refs.flatMap((r) => (r.app === app ? [r.name] : []));
  for (const r of refs) {
    const known = state.others.get(r.app);
    if (r.app !== app && r.name !== '__first__' && r.name !== '__latest__' && (!known || known.name < r.name)) state.others.set(r.app, { dir: join(dirname(dirname(dir)), r.app, 'migrations'), name: r.name });
  }
  if (basename(dir) !== 'migrations') {
    state.unknown = 'the file is not in an app\'s `migrations/` directory, so miglint cannot read the migrations before it';
    return state;
  }
  const self = basename(file).replace(/\.py$/, '');
  if (own) remember(join(dir, `${self}.py`), app, own);
  if (deps.length === 1 && deps[0] !== self) {
    // The usual chain: the memoised state after the one dependency.
    const prev = after(dir, app, deps[0]!);
    if (prev.state) return Object.assign(prev.state.clone(), { others: state.others });
  }
  const { order, problem } = ancestors(dir, app, self, deps);
  if (problem) {
    state.unknown = problem;
    return state;
  }
  for (const s of order) for (const op of s.ops) state.apply(op);
  return state;
}
