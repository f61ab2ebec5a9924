/**
 * Helpers for builder translations: reading option values out of code, and
 * writing the SQL statement a builder call sends.
 */
import type { CallExpression } from 'ts-morph';
import { Node, SyntaxKind, ts } from './morph.js';
import { wrapperOf } from './nodes.js';
import type { Span } from '../../core/diagnostic.js';
import { constString, stringValue, unwrap, type ConstTable } from './literals.js';
import { literal } from '../../sql/write.js';

export { alterTableSql, column, columnDef, createIndexSql, createTableSql, dropIndexSql, dropTableSql, literal, nameFrom, qname, referencesSql, type ColumnSpec, type IndexSpec } from '../../sql/write.js';
import type { BuiltSql, Env } from './types.js';


export function span(n: Node): Span {
  return { start: n.getStart(), end: n.getEnd() };
}

/**
 * Reads literal values out of call arguments. A value that is not a literal (a
 * variable, a call) is replaced by a placeholder and marks the result interpolated.
 */
export class Values {
  interpolated = false;
  constructor(readonly env: Env) {}

  str(e: Node | undefined): string | null {
    return stringValue(e, this.env.consts);
  }

  /**
   * A name: the string (also a same-file const), or the unit's placeholder for the
   * expression (`${table}`), the same one a `${table}` in a template gets.
   */
  name(e: Node | undefined, fallback = 'unknown'): string {
    const s = this.str(e) ?? (e ? constString(e, this.env.consts) : null);
    if (s !== null) return s;
    this.interpolated = true;
    return e ? this.env.placeholders.name(e.getText()) : fallback;
  }

  /** A string or an array of strings (or of `{ name }` objects). */
  names(e: Node | undefined): string[] {
    const n = e ? this.resolve(e) : undefined;
    if (n && Node.isArrayLiteralExpression(n)) {
      return n.getElements().map((el) => {
        const o = this.props(el);
        return o ? this.name(o.get('name') ?? o.get('attribute') ?? o.get('column')) + this.order(o) : this.name(el);
      });
    }
    if (n && Node.isObjectLiteralExpression(n)) {
      const o = this.props(n)!;
      return [this.name(o.get('name') ?? o.get('attribute')) + this.order(o)];
    }
    return e ? [this.name(e)] : [];
  }

  private order(o: Map<string, Node>): string {
    const order = this.str(o.get('sort') ?? o.get('order'));
    return order && /^(asc|desc)$/i.test(order) ? ` ${order.toUpperCase()}` : '';
  }

  bool(e: Node | undefined): boolean | null {
    const n = e ? this.resolve(e) : undefined;
    if (!n) return null;
    if (Node.isTrueLiteral(n)) return true;
    if (Node.isFalseLiteral(n)) return false;
    return null;
  }

  num(e: Node | undefined): number | null {
    const n = e ? this.resolve(e) : undefined;
    return n && Node.isNumericLiteral(n) ? Number(n.getLiteralValue()) : null;
  }

  /** Properties of an object literal (also `new X({...})`, or a const holding one). */
  props(e: Node | undefined): Map<string, Node> | null {
    let n = e ? this.resolve(e) : undefined;
    if (n && Node.isNewExpression(n)) {
      // `new TableIndex({...})`: only its first argument is read, so only it gets a wrapper.
      const first = n.compilerNode.arguments?.[0];
      n = first ? this.resolve(wrapperOf(n, first)) : undefined;
    }
    if (!n || !Node.isObjectLiteralExpression(n)) return null;
    const out = new Map<string, Node>();
    // Read on the compiler's nodes (the names as getName() reads them); only the values get wrappers.
    const file = n.getSourceFile().compilerNode;
    for (const p of n.compilerNode.properties) {
      if (ts.isPropertyAssignment(p)) out.set(p.name.getText(file).replace(/^["']|["']$/g, ''), (p.initializer ? wrapperOf(n, p.initializer) : undefined)!);
      else if (ts.isShorthandPropertyAssignment(p)) out.set(p.name.getText(file), wrapperOf(n, p.name));
    }
    return out;
  }

  /**
   * The properties of an object literal of columns (also through a const), or null when `e` is
   * not one or any of its properties is not a plain named one: a spread, a computed name or a
   * method hides which columns it holds.
   */
  columns(e: Node | undefined): Map<string, Node> | null {
    const n = e ? this.resolve(e) : undefined;
    if (!n || !Node.isObjectLiteralExpression(n)) return null;
    const named = (p: Node) => (Node.isPropertyAssignment(p) && !Node.isComputedPropertyName(p.getNameNode())) || Node.isShorthandPropertyAssignment(p);
    return n.getProperties().every(named) ? this.props(n) : null;
  }

  /** Follows `const` names to their initializers. */
  resolve(e: Node): Node {
    let n = unwrap(e);
    for (let i = 0; i < 4 && Node.isIdentifier(n); i++) {
      const init = this.env.consts.resolve(n);
      if (!init) break;
      n = unwrap(init);
    }
    return n;
  }

  /**
   * A default value as SQL: strings and numbers as literals, `knex.fn.now()` /
   * `pgm.func('now()')` / `Sequelize.fn('now')` / `knex.raw('...')` as the SQL they
   * stand for; anything else as a parameter placeholder.
   */
  defaultSql(e: Node | undefined, stringsAreSql = false): string {
    const n = e ? this.resolve(e) : undefined;
    if (!n) return 'NULL';
    const s = this.str(n);
    if (s !== null && stringsAreSql) return s;
    const lit = literalSql(n, this.env.consts);
    if (lit !== null) return lit;
    const text = n.getText();
    if (/\.fn\.now\(\)$|\.NOW$|^Sequelize\.literal\(['"]CURRENT_TIMESTAMP['"]\)$/.test(text)) return 'now()';
    if (Node.isCallExpression(n)) {
      const callee = n.getExpression().getText();
      const arg = this.str(n.getArguments()[0]);
      if (/\.(func|raw|literal)$|^sql\.raw$/.test(callee) && arg !== null) return arg;
      if (/\.fn$/.test(callee) && arg !== null) return `${arg}()`;
    }
    if (Node.isTaggedTemplateExpression(n)) {
      const t = this.str(n.getTemplate());
      if (t !== null) return t;
    }
    this.interpolated = true;
    return '$1';
  }

  built(sql: string, node: Node | Span, sameBatch = false): BuiltSql {
    const s = 'start' in node ? node : span(node);
    return { sql, span: s, interpolated: this.interpolated, ...(sameBatch ? { sameBatch } : {}) };
  }
}


/**
 * A value written as a literal in the code, as that SQL literal: a string (also a same-file
 * const) quoted, a number (also negative) and `true`/`false` as written, `null` as NULL; null
 * when `n` is not one (a variable, a call).
 */
export function literalSql(n: Node, consts: ConstTable): string | null {
  const s = stringValue(n, consts);
  if (s !== null) return literal(s);
  if (Node.isNumericLiteral(n) || Node.isTrueLiteral(n) || Node.isFalseLiteral(n)) return n.getText();
  if (Node.isPrefixUnaryExpression(n) && n.getOperatorToken() === SyntaxKind.MinusToken && Node.isNumericLiteral(n.getOperand())) return n.getText();
  if (Node.isNullLiteral(n)) return 'NULL';
  return null;
}

/**
 * The receiver and method of a call `a.b.method(...)`, or null. Read on the compiler's nodes, the
 * name as its source text (as `getName()` reads it); the receiver's wrapper (the node ts-morph's
 * `getExpression()` gives) is made when first read: most callers only compare the name.
 */
export function methodCall(call: CallExpression): { receiver: Node; receiverText: string; method: string } | null {
  const callee = call.compilerNode.expression;
  if (!ts.isPropertyAccessExpression(callee)) return null;
  const file = call.getSourceFile().compilerNode;
  let receiver: Node | undefined;
  return {
    get receiver() {
      return (receiver ??= wrapperOf(call, callee.expression));
    },
    /** The receiver's source text (`receiver.getText()`, without its wrapper). */
    get receiverText() {
      return callee.expression.getText(file);
    },
    method: callee.name.getText(file),
  };
}

/**
 * A builder call whose SQL the translation cannot reconstruct (a method it does not model,
 * or arguments it cannot read), as one statement that becomes an `unanalyzable-statement`
 * at the call: never a silently skipped call. `why` completes "Not analysed: ...".
 */
export function notTranslated(call: Node, why: string, help: string): BuiltSql[] {
  return [{ sql: '', span: span(call), interpolated: true, unanalysed: { message: `Not analysed: ${why}, so miglint cannot know the SQL this call sends and it was not checked.`, help } }];
}

/**
 * The `notTranslated` statement of an untranslated `<param>.<method>(...)` call on the migration
 * function's parameter whose method sends SQL (`sendsSql`); null for any other call. `raw` is the
 * framework's raw-query method on that receiver (`query`, `sql`, `sequelize.query`), named in the
 * help; `why` completes "Not analysed: ..." given the call's text (`` `pgm.createType(...)` ``).
 */
export function untranslatedBuilder(
  call: CallExpression,
  env: Env,
  sendsSql: (method: string) => boolean,
  raw: string,
  why: (what: string, method: string) => string = (what) => `miglint cannot translate ${what} (a method it does not model, or arguments that are not literals it can read)`,
): BuiltSql[] | null {
  const mc = methodCall(call);
  if (!mc || !sendsSql(mc.method) || !isPhaseParam(mc.receiver, env)) return null;
  const receiver = mc.receiverText;
  return notTranslated(call, why(`\`${receiver}.${mc.method}(...)\``, mc.method), `Write the statement with \`${receiver}.${raw}('...')\` (or pass literal options) so miglint can check it.`);
}

/** Whether `receiver` is the name the enclosing migration function's first parameter binds (`queryRunner`, `pgm`, `queryInterface`). */
export function isPhaseParam(receiver: Node, env: Env): boolean {
  const n = unwrap(receiver);
  return Node.isIdentifier(n) && env.phases.some((p) => p.param === n.getText() && n.getFirstAncestor((a) => a === p.fn) !== undefined);
}
