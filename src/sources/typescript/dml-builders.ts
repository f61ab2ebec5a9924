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
import { unwrap } from './literals.js';
import { declarationOf } from './scopes.js';
import { isPhaseParam, literal, methodCall, Values } from './sqlgen.js';
import { isCallback } from './transactions.js';
import type { Env } from './types.js';

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

/** A name as the builders quote it for PostgreSQL: each dot-separated part in double quotes (`"s"."t"`), `*` as is, `x as y` as `"x" as "y"`. */
export function ident(name: string): string {
  const alias = /^(.*?)\s+as\s+(.*)$/i.exec(name.trim());
  if (alias) return `${ident(alias[1]!)} as ${ident(alias[2]!)}`;
  return name
    .trim()
    .split('.')
    .map((p) => (p === '*' ? '*' : `"${p.replace(/"/g, '""')}"`))
    .join('.');
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
    const s = this.str(n);
    if (s !== null) return literal(s);
    if (Node.isNumericLiteral(n)) return n.getText();
    if (Node.isPrefixUnaryExpression(n) && Node.isNumericLiteral(n.getOperand())) return n.getText();
    if (Node.isTrueLiteral(n) || Node.isFalseLiteral(n)) return n.getText();
    if (Node.isNullLiteral(n)) return 'NULL';
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
    for (const p of n.getProperties()) {
      const named = (Node.isPropertyAssignment(p) && !Node.isComputedPropertyName(p.getNameNode())) || Node.isShorthandPropertyAssignment(p);
      if (!named) throw new Unreadable('an object with a spread, a computed name or a method');
    }
    return this.props(n);
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

  /**
   * Replaces the `?` bindings of a raw SQL fragment by the values in `bindings` (an array
   * literal): knex's positional form, `??` an identifier. Throws `Unreadable` when there are
   * bindings it cannot read.
   */
  rawSql(sql: string, bindings: Node | undefined): string {
    if (!bindings) return sql;
    const items = this.array(bindings);
    if (!items) throw new Unreadable('the bindings of a raw fragment');
    let i = 0;
    return sql.replace(/\\\?|\?\??/g, (m) => {
      if (m === '\\?') return '?';
      const item = items[i++];
      if (!item) throw new Unreadable('the bindings of a raw fragment');
      if (m === '??') {
        const name = this.str(item);
        if (name === null) throw new Unreadable('a name bound with `??`');
        return ident(name);
      }
      return this.sql(item);
    });
  }
}
