/**
 * What the data-change (DML) query builders of the TS/JS frameworks share: recognising
 * the handle a chain runs on (the migration's parameter, or a transaction made from it),
 * and writing a value or a name the way the builders put it into SQL.
 *
 * The builders send every value as a bind parameter; a translation writes a value that
 * is a literal in the code (a string, a number, `true`, `null`) as that SQL literal, so
 * the statement reads the way the migration does, and any other value as a placeholder
 * `$n` (placeholders.ts), which marks the statement interpolated. Where the rules look
 * at values (ban-unbatched-backfill's "bounded", src/sql/dml.ts), a literal and a
 * parameter count the same: a constant.
 *
 * The framework translations are dml-knex.ts, dml-kysely.ts and dml-typeorm.ts.
 */
import type { CallExpression } from 'ts-morph';
import { Node } from './morph.js';
import { applyBindings } from './bindings.js';
import { sqlSourceOf, unwrap } from './literals.js';
import { declarationOf } from './scopes.js';
import { isPhaseParam, literalSql, methodCall, qname, Values } from './sqlgen.js';
import { isCallback } from './transactions.js';
import type { BuiltSql, Env } from './types.js';

/**
 * Whether `receiver` is a query handle of the migration: the phase function's parameter
 * (`knex`, `db`), the parameter of a callback a handle runs in a transaction
 * (`knex.transaction(async (trx) => ...)`, `db.transaction().execute(async (trx) => ...)`),
 * or a variable holding a transaction opened on a handle (`const trx = await knex.transaction()`).
 */
export function isHandle(receiver: Node, env: Env, depth = 0): boolean {
  const n = unwrap(receiver);
  if (!Node.isIdentifier(n) || depth > 4) return false;
  if (isPhaseParam(n, env)) return true;
  const d = declarationOf(n.getText(), n);
  if (!d) return false;
  if (Node.isParameterDeclaration(d)) {
    const fn = d.getParent();
    const call = fn?.getParent();
    if (!fn || !isCallback(fn) || !call || !Node.isCallExpression(call) || !call.getArguments().includes(fn as never)) return false;
    if ((fn as { getParameters(): Node[] }).getParameters()[0] !== d) return false;
    return transactionOn(call, env, depth);
  }
  if (Node.isVariableDeclaration(d)) {
    const first = d.getInitializer();
    let init: Node | undefined = first ? unwrap(first) : undefined;
    if (init && Node.isAwaitExpression(init)) init = unwrap(init.getExpression());
    return !!init && Node.isCallExpression(init) && init.getArguments().every((a) => !isCallback(a)) && transactionOn(init, env, depth);
  }
  return false;
}

/** Whether `call` is `H.transaction(...)`, `H.startTransaction().execute()` or `H.transaction().execute(...)` on a handle H. */
function transactionOn(call: CallExpression, env: Env, depth: number): boolean {
  const mc = methodCall(call);
  if (!mc) return false;
  if (mc.method === 'transaction') return isHandle(mc.receiver, env, depth + 1);
  if (mc.method === 'execute' && Node.isCallExpression(mc.receiver)) {
    const inner = methodCall(mc.receiver);
    if (inner && (inner.method === 'transaction' || inner.method === 'startTransaction')) return isHandle(inner.receiver, env, depth + 1);
  }
  return false;
}

/** A value the translation cannot write (a callback, a subquery): the part, for the not-analysed message. */
export class Unreadable extends Error {
  constructor(readonly what: string) {
    super(what);
  }
}

/** A name as the builders quote it for PostgreSQL: `qname` (`"s"."t"`), with `*` as is and `x as y` as `"x" as "y"`. */
export function ident(name: string): string {
  const alias = /^(.*?)\s+as\s+(.*)$/i.exec(name.trim());
  if (alias) return `${ident(alias[1]!)} as ${ident(alias[2]!)}`;
  return name
    .trim()
    .split('.')
    .map((p) => (p === '*' ? '*' : qname(p)))
    .join('.');
}

/** How a builder writes insert rows: columns sorted (knex) or in first-seen order, the keyword's case, and a missing value. */
export interface RowsStyle {
  sort: boolean;
  values: 'values' | 'VALUES';
  missing: 'DEFAULT' | 'default';
}

/**
 * The statement `run` writes for `call` (or the statements it returns), or the call as not
 * analysed, with `why(part)`, when it throws `Unreadable`.
 */
export function translated(call: CallExpression, v: SqlValues, run: () => string | BuiltSql[], why: (what: string) => BuiltSql[]): BuiltSql[] {
  try {
    const out = run();
    return typeof out === 'string' ? [v.built(out, call)] : out;
  } catch (e) {
    if (e instanceof Unreadable) return why(e.what);
    throw e;
  }
}

/**
 * Writes values as SQL (module comment): literals as literals, `raw` fragments as their SQL,
 * anything else as the unit's placeholder for the expression. `fragment` reads a
 * framework's raw fragment (`knex.raw('now()')`, `` sql`now()` ``) and returns its SQL, or
 * null when the node is not one; it may throw `Unreadable`.
 */
export class SqlValues extends Values {
  constructor(
    env: Env,
    private readonly fragment: (n: Node, values: SqlValues) => string | null = () => null,
  ) {
    super(env);
  }

  /** The SQL of one value; throws `Unreadable` for a callback. */
  sql(e: Node | undefined): string {
    if (!e) return 'DEFAULT';
    const n = this.resolve(e);
    const lit = literalSql(n, this.env.consts);
    if (lit !== null) return lit;
    const f = this.fragment(n, this);
    if (f !== null) return f;
    if (isCallback(n)) throw new Unreadable('a callback');
    return this.param(n);
  }

  /** The placeholder for an expression whose value is not known. */
  param(n: Node): string {
    this.interpolated = true;
    return this.env.placeholders.param(n.getText());
  }

  /**
   * The properties of an object literal of columns (also through a const), or null when `e` is
   * not one; throws `Unreadable` for a spread, a computed name or a method, whose columns
   * cannot be known.
   */
  record(e: Node | undefined): Map<string, Node> | null {
    const n = e ? this.resolve(e) : undefined;
    if (!n || !Node.isObjectLiteralExpression(n)) return null;
    const cols = this.columns(n);
    if (!cols) throw new Unreadable('an object with a spread, a computed name or a method');
    return cols;
  }

  /** Whether the expression is the literal `null`. */
  isNull(e: Node | undefined): boolean {
    return !!e && Node.isNullLiteral(this.resolve(e));
  }

  /** The elements of an array literal (also through a const), or null. */
  array(e: Node | undefined): Node[] | null {
    const n = e ? this.resolve(e) : undefined;
    return n && Node.isArrayLiteralExpression(n) ? n.getElements() : null;
  }

  /** `"k" = value` for each column of an object of values (a SET list, `merge({...})`). */
  assignments(o: Map<string, Node>): string[] {
    return [...o].map(([k, val]) => `${ident(k)} = ${this.sql(val)}`);
  }

  /**
   * The rows of an insert (an object of columns, or an array of them) as `("a", "b") values
   * (1, DEFAULT), ...` in the builder's `style`, or null when the rows name no column; throws
   * `Unreadable(what)` when they are not object literals.
   */
  rows(arg: Node | undefined, what: string, style: RowsStyle): string | null {
    const rows = (this.array(arg) ?? [arg]).map((r) => this.record(r));
    if (!arg || rows.some((r) => !r)) throw new Unreadable(what);
    const maps = rows as Map<string, Node>[];
    const columns = [...new Set(maps.flatMap((r) => [...r.keys()]))];
    if (style.sort) columns.sort();
    if (!columns.length) return null;
    return `(${columns.map(ident).join(', ')}) ${style.values} ${maps.map((r) => `(${columns.map((c) => (r.has(c) ? this.sql(r.get(c)) : style.missing)).join(', ')})`).join(', ')}`;
  }

  /**
   * The SQL of a knex raw fragment or `whereRaw` call, `(sql, bindings)`, with its `?` / `??` /
   * `:name` bindings replaced as `knex.raw` queries have them (bindings.ts); throws `Unreadable`
   * when the SQL is not a literal.
   */
  rawSql(call: CallExpression, what: string): string {
    const arg = call.getArguments()[0];
    const src = arg ? sqlSourceOf(arg, this.env.consts) : null;
    if (!src || src.interpolated) throw new Unreadable(what);
    const bound = applyBindings(src, call, 'raw', this.env);
    if (bound !== src && !literalBindings(call.getArguments()[1], this)) this.interpolated = true;
    return bound.pieces.map((p) => (p.kind === 'placeholder' ? '' : p.text)).join('');
  }
}

/** Whether every binding is a literal in the call (so none becomes a placeholder). */
function literalBindings(b: Node | undefined, v: SqlValues): boolean {
  const n = b ? v.resolve(b) : undefined;
  const items = n && Node.isArrayLiteralExpression(n) ? n.getElements() : n && Node.isObjectLiteralExpression(n) ? [...(v.props(n)?.values() ?? [])] : null;
  return !!items && items.every((x) => literalSql(unwrap(x), v.env.consts) !== null);
}
