/**
 * A query call run once per element of a same-file const array, the shape of hand-written
 * runners that keep a migration's statements in a list:
 *
 *     const upStatements = ['CREATE TABLE ...', 'CREATE INDEX CONCURRENTLY ...'];
 *     for (const statement of upStatements) await sql.unsafe(statement);
 *
 * Each element is then its own query, sent in the array's order. Read only when that is
 * certain: the loop's body is nothing but expression statements (no `if`, `break`, `continue`,
 * `return`), the call is one of them and not inside a callback, the array is a literal whose
 * every element miglint can read (no spread), and the file never mutates it (`push`, `splice`,
 * an element assignment). Anything else stays an `unanalyzable-statement` (unknown-sql.ts).
 */
import type { CallExpression, ForOfStatement, Node as TsNode } from 'ts-morph';
import { sqlSourceOf, unwrap, type SqlSource } from './literals.js';
import { Node, SyntaxKind } from './morph.js';
import type { Env } from './types.js';

/** Array methods that change the array they are called on. */
const MUTATORS = new Set(['push', 'pop', 'shift', 'unshift', 'splice', 'reverse', 'sort', 'fill', 'copyWithin']);

const isFunctionLike = (n: TsNode) => Node.isFunctionDeclaration(n) || Node.isFunctionExpression(n) || Node.isArrowFunction(n) || Node.isMethodDeclaration(n);

/** The innermost function around `n` (or the file), so that a callback inside the loop is told apart. */
const functionOf = (n: TsNode) => n.getFirstAncestor(isFunctionLike) ?? n.getSourceFile();

/** The `for (const x of ...)` loop that binds the identifier `name` around `call`, or null. */
function bindingLoop(call: CallExpression, name: string): ForOfStatement | null {
  for (let a: TsNode | undefined = call.getParent(); a && !isFunctionLike(a); a = a.getParent()) {
    if (!Node.isForOfStatement(a)) continue;
    const init = a.getInitializer();
    if (!Node.isVariableDeclarationList(init) || init.getDeclarations().length !== 1) return null;
    const decl = init.getDeclarations()[0]!.getNameNode();
    if (Node.isIdentifier(decl) && decl.getText() === name) return a;
  }
  return null;
}

/** Whether the loop body runs `call` once per element: only expression statements, `call` (or `await call`) one of them. */
function runsOncePerElement(loop: ForOfStatement, call: CallExpression): boolean {
  const body = loop.getStatement();
  const statements = Node.isBlock(body) ? body.getStatements() : [body];
  if (!statements.every((s) => Node.isExpressionStatement(s))) return false;
  return statements.some((s) => {
    const e = unwrap((s as import('ts-morph').ExpressionStatement).getExpression());
    return e === call || (Node.isAwaitExpression(e) && unwrap(e.getExpression()) === call);
  });
}

/** Whether the file changes the array named `name` (a mutating method, an element or length assignment). */
function mutated(name: string, env: Env): boolean {
  const access = env.nodes.ofKind(SyntaxKind.PropertyAccessExpression).some((p) => p.getExpression().getText() === name && MUTATORS.has(p.getName()));
  const assigned = env.nodes.ofKind(SyntaxKind.BinaryExpression).some((b) => {
    const left = b.getLeft();
    return b.getOperatorToken().getKind() === SyntaxKind.EqualsToken && (Node.isElementAccessExpression(left) || Node.isPropertyAccessExpression(left)) && left.getExpression().getText() === name;
  });
  return access || assigned;
}

/**
 * The SQL of each run of `call` when it runs once per element of a same-file const array
 * (see the file's comment), in order; null when it does not, or an element cannot be read.
 */
export function loopSources(call: CallExpression, env: Env): SqlSource[] | null {
  const arg = call.getArguments()[0];
  const id = arg ? unwrap(arg) : undefined;
  if (!id || !Node.isIdentifier(id)) return null;
  const loop = bindingLoop(call, id.getText());
  if (!loop || loop.isAwaited() || functionOf(loop) !== functionOf(call) || !runsOncePerElement(loop, call)) return null;
  let list: TsNode = unwrap(loop.getExpression());
  if (Node.isIdentifier(list)) {
    if (mutated(list.getText(), env)) return null;
    const init = env.consts.resolve(list);
    if (!init) return null;
    list = unwrap(init);
  }
  if (!Node.isArrayLiteralExpression(list)) return null;
  const out: SqlSource[] = [];
  for (const el of list.getElements()) {
    if (Node.isSpreadElement(el)) return null;
    const src = sqlSourceOf(unwrap(el), env.consts);
    if (!src) return null;
    out.push(src);
  }
  return out;
}
