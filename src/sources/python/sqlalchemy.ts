/**
 * SQLAlchemy sessions and connections in Python migration code: scripts like a
 * Flask-SQLAlchemy `db_migrate.py` that run SQL through `db.session` and an engine,
 * and the data steps of Alembic migrations (`Session(bind=op.get_bind())`).
 *
 * What each handle does with a transaction (SQLAlchemy 2.0, "Working with Transactions
 * and the DBAPI"; PostgreSQL's side: tutorial-transactions.html):
 * - a `Session` (`db.session`, `Session(engine)`, `SessionLocal()`) begins a transaction
 *   at its first `execute` (autobegin) and keeps it open until `commit()`, `rollback()`,
 *   `close()` (`db.session.remove()` for a scoped session); `with Session(...) as s:`
 *   closes it (rolling back) at the end of the block, `with s.begin():` commits there;
 * - `with engine.begin() as conn:` runs its body in one transaction and commits at the end;
 * - `with engine.connect() as conn:` begins at the first `execute` and rolls back at the
 *   end unless `conn.commit()`; a `conn = engine.connect()` must be closed by the code;
 * - `.execution_options(isolation_level="AUTOCOMMIT")` (on the engine or the connection)
 *   runs each statement in autocommit;
 * - SQLAlchemy 1.x's `engine.execute(...)` checks a pooled connection out per call.
 *
 * A function of the file that runs one of its parameters (`def exec_ddl(engine, sql):
 * ... conn.execute(text(sql))`) is a SQL helper: each call of it with SQL the file
 * states becomes that SQL's statements at the call, on a connection of its own opened
 * the way the helper opens it, after the `SET`s the helper sends first.
 */
import type { Span } from '../../core/diagnostic.js';
import type { MigrationUnit, Phase, Statement } from '../../core/unit.js';
import type { FrameworkModule } from '../registry.js';
import { alembicPhases, bindNames } from './alembic.js';
import { phaseAt, type PyEnv } from './env.js';
import { kids, named, nodeMemo, perNode, sameNode, type PyNode } from './parse.js';
import { keywords, positional, textCallArg, unparen } from './strings.js';
import { analyseSessions } from './sqlalchemy-sessions.js';

/**
 * The SQLAlchemy library module: migration scripts of their own (`db_migrate.py`), and the
 * sessions and connections of Alembic migrations' data steps; the session kinds its code opens.
 */
export const sqlalchemy = {
  framework: 'sqlalchemy',
  name: 'SQLAlchemy',
  sessionKinds: {
    'sqlalchemy-session': 'SQLAlchemy session',
    'sqlalchemy-connection': 'SQLAlchemy connection',
  } as Readonly<Record<string, string>>,
  idioms: {
    batchedBackfill: "in SQLAlchemy, a loop over key ranges of `with engine.begin() as conn: conn.execute(text('UPDATE ... WHERE id >= :lo AND id < :hi'), {'lo': lo, 'hi': hi})`, so each range commits on its own",
    // psycopg2 and psycopg hand `options` to libpq, which sends it at connection start (libpq-connect.html, "options").
    connectionSetting: (name: string, value: string) => `create_engine(url, connect_args={"options": "-c ${name}=${value}"}) (Flask-SQLAlchemy: SQLALCHEMY_ENGINE_OPTIONS = {"connect_args": {"options": "-c ${name}=${value}"}})`,
  },
  claims: (env: PyEnv) => isSqlAlchemyMigration(env),
  analyse: (env: PyEnv, unit: MigrationUnit) => void analyseSqlAlchemy(env, unit, unit.framework === 'alembic' ? 'alembic' : 'script'),
  alsoIn: ['alembic'] as readonly string[],
} satisfies FrameworkModule & Record<string, unknown>;

/** How a handle runs what it executes. */
export type HandleMode =
  /** A Session: autobegins, open until commit/rollback/close. */
  | 'session'
  /** `engine.begin()`: one transaction, committed at the end of the `with`. */
  | 'begin'
  /** `engine.connect()`: autobegins, rolled back at the end unless committed. */
  | 'connect'
  /** `isolation_level="AUTOCOMMIT"`: no transaction block. */
  | 'autocommit'
  /** An Engine's own `execute` (SQLAlchemy 1.x): any pooled connection, autocommit. */
  | 'engine'
  /** Alembic's migration connection (a Session bound to `op.get_bind()`): the framework's transaction. */
  | 'framework';

/** A session or connection the code opens (or names, for `db.session`). */
export interface Handle {
  /** Identity: the receiver text plus, for opened ones, where they are opened. */
  key: string;
  /** The name the code uses, e.g. `db.session`, `conn`. */
  name: string;
  mode: HandleMode;
  /** The expression that opens it (a `with` item's value, an assignment's right side), or null for `db.session`. */
  opening: PyNode | null;
  /** Offsets in which the name means this handle: from its opening to the end of its `with` block or function. */
  from: number;
  to: number;
  /** Closed by its `with` block at `to` (rolled back, or committed for `begin`). */
  managed: boolean;
  /** For a connection: the engine expression it was opened from (`db.engine`). */
  engine?: string;
}

/** One `execute` of SQL on a handle, or a transaction-ending call. */
export interface HandleUse {
  handle: Handle;
  call: PyNode;
  method: string;
  /** For executes: the statements it added. */
  statements: Statement[];
  /** For a helper call site: the helper's name (the statements run inside it). */
  via?: string;
}

export interface SqlAlchemyAnalysis {
  handles: Handle[];
  uses: HandleUse[];
  /** `with S.begin():` blocks of sessions, by session key: a session transaction inside one is committed at its end. */
  beginBlocks: Map<string, Span[]>;
}

const IMPORT = /^\s*(?:from\s+(?:sqlalchemy|flask_sqlalchemy)\b|import\s+(?:sqlalchemy|flask_sqlalchemy)\b)/m;

/**
 * Whether a Python file that is neither an Alembic nor a Django migration is SQLAlchemy
 * migration code: it imports SQLAlchemy (or Flask-SQLAlchemy) and its path says migration
 * (`db_migrate.py`, `migrations/`, `migrate_users.py`). Application modules are not read:
 * a web request's session is closed by the framework, not by the code miglint sees.
 */
export function isSqlAlchemyMigration(env: PyEnv): boolean {
  return IMPORT.test(env.source.text) && /migrat/i.test(env.file.replace(/\\/g, '/').split('/').slice(-3).join('/'));
}

const EXECUTES = new Set(['execute', 'exec_driver_sql', 'scalar', 'scalars']);
const ENDS = new Set(['commit', 'rollback', 'close', 'remove']);
const SESSION_CTOR = /(^|\.)(Session|SessionLocal|ScopedSession|scoped_session)$/;

const flat = (n: PyNode) => n.text.replace(/\s+/g, '');
/** The receiver and method of `recv.method(...)`, or null. */
export function methodOf(call: PyNode): { recv: PyNode; method: string } | null {
  const fn = call.childForFieldName('function');
  if (fn?.type !== 'attribute') return null;
  const recv = fn.childForFieldName('object');
  const method = fn.childForFieldName('attribute')?.text;
  return recv && method ? { recv, method } : null;
}

/** The innermost function around `n`, or the module. */
export function scopeOf(n: PyNode): PyNode {
  // The session passes ask this of the same calls many times: kept per node.
  return perNode(SCOPES, n, scopeWalk);
}
const SCOPES = nodeMemo<PyNode>();

function scopeWalk(n: PyNode): PyNode {
  // One walk up: `.parent` searches down from the root inside tree-sitter, so the module (the last
  // ancestor) is kept from this walk rather than found by a second one.
  let root = n;
  for (let p = n.parent; p; p = p.parent) {
    if (p.type === 'function_definition' || p.type === 'lambda') return p;
    root = p;
  }
  return root;
}

/** Whether a call chain sets `isolation_level="AUTOCOMMIT"`. */
function autocommitIn(expr: PyNode): boolean {
  for (let e: PyNode | null = unparen(expr); e && e.type === 'call'; ) {
    const m = methodOf(e);
    if (!m) break;
    if (m.method === 'execution_options' && /^["']AUTOCOMMIT["']$/.test(keywords(e).get('isolation_level')?.text ?? '')) return true;
    e = unparen(m.recv);
  }
  return false;
}

/** The innermost `connect()`/`begin()` call of a chain (`engine.connect().execution_options(...)`), with its engine. */
function connectionOpening(expr: PyNode): { method: 'connect' | 'begin'; engine: PyNode } | null {
  for (let e: PyNode | null = unparen(expr); e && e.type === 'call'; ) {
    const m = methodOf(e);
    if (!m) return null;
    if ((m.method === 'connect' || m.method === 'begin') && positional(e).length === 0) {
      // The engine side may itself carry execution_options: `engine.execution_options(...).connect()`.
      let engine = unparen(m.recv);
      while (engine.type === 'call' && methodOf(engine)?.method === 'execution_options') engine = unparen(methodOf(engine)!.recv);
      return { method: m.method, engine };
    }
    if (m.method !== 'execution_options') return null;
    e = unparen(m.recv);
  }
  return null;
}

/** `Session(engine)`, `SessionLocal()`, `sessionmaker(bind=engine)()`, `orm.Session(bind=op.get_bind())`. */
function isSessionCtor(expr: PyNode): boolean {
  const e = unparen(expr);
  if (e.type !== 'call') return false;
  const fn = e.childForFieldName('function');
  if (!fn) return false;
  if (fn.type === 'call') return /(^|\.)sessionmaker$/.test(fn.childForFieldName('function')?.text ?? '');
  return SESSION_CTOR.test(fn.text);
}

/** Reads the file's handles and the SQL they execute into the unit (statements with their connections). */
export function analyseSqlAlchemy(env: PyEnv, unit: MigrationUnit, host: 'alembic' | 'script'): SqlAlchemyAnalysis {
  const regions = host === 'alembic' ? alembicPhases(env) : [];
  const phaseOf = (n: PyNode): Phase => (host === 'alembic' ? phaseAt(regions, n.startIndex) : 'up');
  const frameworkBinds = host === 'alembic' ? bindNames(env) : new Set<string>();
  const isFrameworkBind = (n: PyNode | undefined) => !!n && (/^op\.get_bind\(\)$/.test(flat(n)) || frameworkBinds.has(flat(n)));
  const handles: Handle[] = [];
  const engines = new Set<string>(['engine', 'db.engine']);
  const beginBlocks = new Map<string, Span[]>();

  // `scopeOf` only for an opening: it walks up the tree, and most assignments open nothing.
  const open = (name: string, value: PyNode, scope: () => { from: number; to: number }, managed: boolean) => {
    const conn = connectionOpening(value);
    if (conn) {
      if (isFrameworkBind(conn.engine) || resolve(flat(conn.engine), value.startIndex)?.mode === 'session') return;
      const mode: HandleMode = autocommitIn(value) ? 'autocommit' : conn.method === 'begin' ? 'begin' : 'connect';
      handles.push({ key: `${name}@${value.startIndex}`, name, mode, opening: value, ...scope(), managed, engine: conn.engine.text });
    } else if (isSessionCtor(value)) {
      const kw = keywords(unparen(value));
      const framework = isFrameworkBind(kw.get('bind') ?? positional(unparen(value))[0]);
      handles.push({ key: `${name}@${value.startIndex}`, name, mode: framework ? 'framework' : 'session', opening: value, ...scope(), managed });
    }
  };
  /** The handle a receiver names at an offset: the latest opening in range, else `db.session`-like or an engine. */
  function resolve(recv: string, at: number): Handle | null {
    let best: Handle | null = null;
    for (const h of handles) if (h.name === recv && h.opening && h.from <= at && at < h.to && (!best || h.from > best.from)) best = h;
    if (best) return best;
    if (/^(\w+\.)*session$/.test(recv) && recv.includes('.')) {
      let h = handles.find((x) => x.key === recv);
      if (!h) handles.push((h = { key: recv, name: recv, mode: 'session', opening: null, from: 0, to: Infinity, managed: false }));
      return h;
    }
    if (engines.has(recv) || /(^|\.)engine$/.test(recv)) return { key: `${recv}@pool`, name: recv, mode: 'engine', opening: null, from: 0, to: Infinity, managed: false };
    return null;
  }

  // Openings, in document order (so a later opening of the same name wins inside its range).
  for (const n of env.ofType('with_statement', 'assignment')) {
    if (n.type === 'with_statement') {
      for (const item of n.descendantsOfType('with_item')) {
        const value = item?.childForFieldName('value');
        if (!value || !sameNode(item!.parent?.parent, n)) continue;
        if (value.type === 'as_pattern') {
          const alias = value.childForFieldName('alias');
          const target = alias ? named(alias)[0] : null;
          const expr = named(value)[0];
          if (target?.type === 'identifier' && expr) open(target.text, expr, () => ({ from: n.startIndex, to: n.endIndex }), true);
        } else if (value.type === 'call' && methodOf(value)?.method === 'begin' && positional(value).length === 0) {
          // `with session.begin():` commits the session's transaction at its end.
          const recv = flat(methodOf(value)!.recv);
          const list = beginBlocks.get(recv) ?? [];
          list.push({ start: n.startIndex, end: n.endIndex });
          beginBlocks.set(recv, list);
        }
      }
    } else if (n.type === 'assignment') {
      const left = n.childForFieldName('left');
      const right = n.childForFieldName('right');
      if (left?.type !== 'identifier' || !right) continue;
      const r = unparen(right);
      if (r.type === 'call' && /(^|\.)(create_engine|get_engine)$/.test(r.childForFieldName('function')?.text ?? '')) engines.add(left.text);
      else if (/^(\w+\.)*engine$/.test(flat(r))) engines.add(left.text);
      else open(left.text, right, () => ({ from: n.startIndex, to: scopeOf(n).endIndex }), false);
    }
  }

  const helpers = findHelpers(env, resolve);
  const uses: HandleUse[] = [];
  const modeCalls = new Map<string, number[]>();
  for (const call of env.ofType('call')) {
    const helper = helpers.get(call.childForFieldName('function')?.text ?? '');
    if (helper && !(helper.def.startIndex <= call.startIndex && call.endIndex <= helper.def.endIndex)) {
      uses.push(...expandHelper(helper, call, env, phaseOf(call)));
      continue;
    }
    const m = methodOf(call);
    if (!m) continue;
    const recv = flat(m.recv);
    if (recv === 'op' || isFrameworkBind(m.recv)) continue; // Alembic's own calls (alembic.ts)
    const h = resolve(recv, call.startIndex);
    if (!h) continue;
    if (m.method === 'execution_options' && autocommitIn(call)) {
      const list = modeCalls.get(h.key) ?? [];
      list.push(call.startIndex);
      modeCalls.set(h.key, list);
      continue;
    }
    if (ENDS.has(m.method) && h.mode !== 'engine') {
      uses.push({ handle: h, call, method: m.method, statements: [] });
      continue;
    }
    if (!EXECUTES.has(m.method)) continue;
    if (helpers.size && [...helpers.values()].some((x) => x.paramOps.some((o) => sameNode(o.call, call)))) continue; // run at its call sites
    const arg = positional(call)[0];
    // A plain string: a Session's execute makes it text() (`:name` parameters, SQLAlchemy 1.x), a
    // connection's (1.x) and exec_driver_sql send it to the driver (`%(name)s` parameters).
    const binds = h.mode === 'session' || h.mode === 'framework' ? 'text' : positional(call).length > 1 || keywords(call).size > 0 ? 'driver' : null;
    const added = env.addRawSql(arg, call, `${m.recv.text}.${m.method}`, phaseOf(call), m.method === 'exec_driver_sql' ? (positional(call).length > 1 ? 'driver' : null) : binds);
    const switched = (modeCalls.get(h.key) ?? []).some((at) => at < call.startIndex);
    uses.push({ handle: switched ? { ...h, mode: 'autocommit' } : h, call, method: m.method, statements: added });
  }
  assignConnections(uses, beginBlocks);
  if (host === 'script') {
    unit.framework = 'sqlalchemy';
    unit.wrapped = { inTransaction: false, reason: 'SQLAlchemy code: each session or connection runs its own transactions, no framework wraps the script' };
  }
  const analysis = { handles, uses, beginBlocks };
  unit.sessions.push(...analyseSessions(analysis, env));
  return analysis;
}

/** Sets each statement's connection key and code transaction from the handle that runs it. */
function assignConnections(uses: HandleUse[], beginBlocks: Map<string, Span[]>): void {
  const txCount = new Map<string, number>();
  const open = new Set<string>();
  for (const u of uses) {
    const h = u.handle;
    const key = u.via && h.opening ? `${h.key}@${u.call.startIndex}` : h.key;
    if (!u.statements.length) {
      open.delete(key);
      continue;
    }
    if (!open.has(key)) {
      txCount.set(key, (txCount.get(key) ?? 0) + 1);
      open.add(key);
    }
    const inBegin = (beginBlocks.get(h.name) ?? []).some((b) => b.start <= u.call.startIndex && u.call.endIndex <= b.end);
    for (const s of u.statements) {
      if (h.mode === 'framework') continue; // the migration's own connection
      s.connection = h.mode === 'engine' ? null : `sqlalchemy:${key}`;
      if (h.mode === 'session' || h.mode === 'begin' || h.mode === 'connect') {
        s.codeTransaction = h.mode === 'begin' || inBegin ? `${h.name}.begin() transaction` : `${h.name} transaction (begun by its first execute)`;
        s.codeTransactionId = `${key}#${txCount.get(key)}`;
      }
    }
  }
}

/** A function of the file that executes one of its parameters. */
interface Helper {
  name: string;
  def: PyNode;
  params: string[];
  /** Its executes in order: of a parameter (`index` in `params`), or of literal SQL (`SET lock_timeout`). */
  ops: { call: PyNode; handle: Handle; method: string; param: number | null }[];
  paramOps: { call: PyNode }[];
}

function findHelpers(env: PyEnv, resolve: (recv: string, at: number) => Handle | null): Map<string, Helper> {
  const out = new Map<string, Helper>();
  for (const def of env.ofType('function_definition')) {
    const name = def.childForFieldName('name')?.text;
    const paramsNode = def.childForFieldName('parameters');
    if (!name || !paramsNode) continue;
    const params = named(paramsNode).map((p) => (p.type === 'identifier' ? p.text : (p.childForFieldName('name')?.text ?? named(p)[0]?.text ?? '')));
    const ops: Helper['ops'] = [];
    // The file's calls (indexed once) that lie in the function, rather than a walk of its own.
    for (const call of env.ofTypeWithin('call', def.startIndex, def.endIndex)) {
      const m = methodOf(call);
      if (!m || !EXECUTES.has(m.method)) continue;
      if (!sameNode(scopeOf(call), def)) continue; // after the cheap tests: it walks up the tree
      const h = resolve(flat(m.recv), call.startIndex);
      if (!h) continue;
      const arg = positional(call)[0];
      const inner = arg ? (textCallArg(unparen(arg)) ?? unparen(arg)) : null;
      const param = inner?.type === 'identifier' ? params.indexOf(inner.text) : -1;
      ops.push({ call, handle: h, method: m.method, param: param >= 0 ? param : null });
    }
    const paramOps = ops.filter((o) => o.param !== null);
    if (paramOps.length) out.set(name, { name, def, params, ops, paramOps });
  }
  return out;
}

/** The statements a call of a SQL helper runs, at the call, on a connection of its own. */
function expandHelper(helper: Helper, call: PyNode, env: PyEnv, phase: Phase): HandleUse[] {
  const pos = positional(call);
  const kw = keywords(call);
  const out: HandleUse[] = [];
  for (const op of helper.ops) {
    let added: Statement[];
    if (op.param === null) {
      // Only the helper's session settings repeat per call; other literal SQL in it is read where it is.
      const src = positional(op.call)[0];
      if (!src || !/^\s*(SET|RESET)\b/i.test(stringValue(src))) continue;
      added = env.addRawSql(src, call, `${helper.name}(...)`, phase);
      for (const s of added) s.span = { start: call.startIndex, end: call.endIndex };
      for (const s of added) s.sqlToFile = null;
    } else {
      const pname = helper.params[op.param]!;
      const arg = kw.get(pname) ?? pos[op.param];
      if (!arg) continue;
      added = env.addRawSql(arg, call, `${helper.name}(...)`, phase);
    }
    if (op.param !== null) env.helperRuns.push({ execute: { start: op.call.startIndex, end: op.call.endIndex }, statements: added });
    out.push({ handle: op.handle, call, method: op.method, statements: added, via: helper.name });
  }
  return out;
}

/** The literal text of a string (or `text("...")`) argument, for a quick look at its first keyword. */
function stringValue(n: PyNode): string {
  const inner = textCallArg(unparen(n)) ?? unparen(n);
  if (inner.type !== 'string') return '';
  return kids(inner)
    .filter((c) => c.type === 'string_content')
    .map((c) => c.text)
    .join('');
}
