/**
 * The migration state of one Django app, as Django's loader builds it
 * (django/db/migrations/state.py): its models and their fields just before an operation,
 * as plain data, and the state changes an operation makes (`stateOps`), so that an
 * `AlterField` can be compared with the field's earlier definition the way the schema
 * editor compares them. Which migrations are replayed, from disk, is django-history.ts.
 *
 * - Operations replayed: CreateModel (its fields, `db_table`, `managed`), AddField,
 *   AlterField, RemoveField, RenameField, RenameModel, DeleteModel, AlterModelTable,
 *   AlterModelOptions (`managed`), the `state_operations` of SeparateDatabaseAndState and
 *   RunSQL. Operations that change no field (indexes, constraints, RunPython, ...) are skipped.
 * - Unknown: what the replay cannot read makes the definitions it could have changed unknown,
 *   with the reason: a field that is not a call (that field), a model name that is not a
 *   literal or an operation class miglint does not know (every model of the app so far).
 */
import { isUnknown, readField, text, type FieldDef, type UnknownField } from './django-fields.js';
import { named, type PyNode } from './parse.js';
import { keywords, positional, unparen } from './strings.js';
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
  /** By lower-case name. Read only: a model here may be shared with clones of this state (see `own`). */
  readonly models = new Map<string, ModelState>();
  /**
   * The models this state made or copied, which it may change in place; the others it shares with
   * the state it was cloned from or its clones, and copies on its first change to them. A clone
   * copies the map of models, not the models and their fields (a history replays a migration at a time).
   */
  private readonly own = new Set<ModelState>();
  /** Why models before this point are not known (set by an unreadable operation or history), or null. */
  unknown: string | null = null;

  /** Other apps this migration depends on, for the models its relations point at: each app's state as the migrations depended on leave it (loaded when asked). */
  others = new Map<string, () => AppState | null>();
  private readonly otherStates = new Map<string, AppState | null>();

  constructor(readonly app: string) {}

  clone(): AppState {
    const s = new AppState(this.app);
    s.unknown = this.unknown;
    s.others = this.others;
    for (const [k, m] of this.models) s.models.set(k, m);
    // Both now hold the same models: neither changes one in place.
    this.own.clear();
    return s;
  }

  /** The model under `key` (lower-case), made this state's own to change (copied when shared), or undefined. */
  private mine(key: string): ModelState | undefined {
    const m = this.models.get(key);
    if (!m || this.own.has(m)) return m;
    const copy = { ...m, fields: new Map(m.fields) };
    this.models.set(key, copy);
    this.own.add(copy);
    return copy;
  }

  /** Adds a model this state made. */
  private made(key: string, m: ModelState): void {
    this.models.set(key, m);
    this.own.add(m);
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
      const load = this.others.get(app!);
      this.otherStates.set(app!, load ? load() : null);
    }
    return this.otherStates.get(app!)?.model(model!);
  }

  apply(op: StateOp): void {
    const key = 'model' in op ? op.model.toLowerCase() : '';
    switch (op.kind) {
      case 'create':
        this.made(key, { name: op.model, table: op.table ?? defaultTable(this.app, op.model), explicitTable: op.table !== null, managed: op.managed, fields: new Map(op.fields) });
        return;
      case 'add':
      case 'alter':
        this.mine(key)?.fields.set(op.name, op.field);
        return;
      case 'remove':
        if (this.models.get(key)?.fields.has(op.name)) this.mine(key)!.fields.delete(op.name);
        return;
      case 'rename-field': {
        if (!this.models.get(key)?.fields.get(op.from)) return;
        const m = this.mine(key)!;
        const fields = [...m.fields].map(([k, v]): [string, FieldDef | UnknownField] => [k === op.from ? op.to : k, v]);
        m.fields = new Map(fields);
        return;
      }
      case 'rename-model': {
        const old = this.model(op.from);
        if (!old) return;
        this.models.delete(op.from.toLowerCase());
        // A new model object, but its fields are the old one's (maybe shared): not this state's own until copied.
        this.models.set(op.to.toLowerCase(), { ...old, name: op.to, table: old.explicitTable ? old.table : defaultTable(this.app, op.to) });
        // Django's state points the relations to the old model at the new one.
        const refs = new Set([op.from.toLowerCase(), `${this.app}.${op.from.toLowerCase()}`]);
        for (const [k, model] of [...this.models]) {
          let changed: ModelState | undefined;
          for (const [name, f] of model.fields) {
            const to = isUnknown(f) ? null : text(f, 'to');
            if (!isUnknown(f) && to !== null && refs.has(to.toLowerCase())) (changed ??= this.mine(k)!).fields.set(name, { ...f, kw: { ...f.kw, to: JSON.stringify(`${this.app}.${op.to}`) } });
          }
        }
        return;
      }
      case 'delete':
        this.models.delete(key);
        return;
      case 'table': {
        const m = this.mine(key);
        if (m) Object.assign(m, op.table === null ? { table: defaultTable(this.app, m.name), explicitTable: false } : { table: op.table, explicitTable: true });
        // A model the replay does not know (its history unread) still has the table stated, with no fields known.
        else if (op.table !== null) this.made(key, { name: op.model, table: op.table, explicitTable: true, managed: true, fields: new Map() });
        return;
      }
      case 'managed': {
        const m = this.mine(key);
        if (m) m.managed = op.managed;
        return;
      }
      case 'opaque':
        this.models.clear();
        this.own.clear();
        this.unknown = op.why;
        return;
    }
  }
}

const defaultTable = (app: string, model: string) => `${app}_${model.toLowerCase()}`;

/** The `(app, name)` tuples of a `dependencies` or `replaces` list. */
export function migrationRefs(list: PyNode | undefined, v: PyValues): { refs: { app: string; name: string }[]; problem: string | null } {
  if (!list) return { refs: [], problem: null };
  const items = listItems(list, v);
  if (!items) return { refs: [], problem: `\`${list.text.replace(/\s+/g, ' ').slice(0, 40)}\` is not a list miglint can read` };
  const refs: { app: string; name: string }[] = [];
  for (const e of items) {
    // `migrations.swappable_dependency(settings.AUTH_USER_MODEL)`: the first migration of the user model's app, another app.
    if (e.type === 'call' && /(^|\.)swappable_dependency$/.test(e.childForFieldName('function')?.text ?? '')) continue;
    const [a, n] = e.type === 'tuple' ? named(e) : [];
    const app = v.str(a);
    const name = v.str(n);
    if (app === null || name === null) return { refs, problem: `the entry \`${e.text.replace(/\s+/g, ' ').slice(0, 40)}\` is not an (app, migration) pair of strings` };
    refs.push({ app, name });
  }
  return { refs, problem: null };
}

/** The state changes of a list of operations (SeparateDatabaseAndState and RunSQL give theirs through `state_operations`). */
export function stateOps(ops: readonly PyNode[], v: PyValues): StateOp[] {
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
export function listItems(n: PyNode, v: PyValues, depth = 0): readonly PyNode[] | null {
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
