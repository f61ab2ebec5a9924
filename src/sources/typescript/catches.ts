/**
 * Catch clauses and `.catch()` handlers that swallow errors from DDL: the code
 * fact behind `no-swallowed-ddl-error`.
 *
 * A handler handles the error when it rethrows (`throw`), exits non-zero
 * (`process.exit(1)`, `process.exitCode = 1`), returns a rejected promise, or
 * passes the error to a callback (`done(err)`, `reject(err)`), or runs DDL of
 * its own (a fallback that builds an alternative). Logging is not handling.
 */
import type { Block } from 'ts-morph';
import { Node, SyntaxKind, ts } from './morph.js';
import type { Span } from '../../core/diagnostic.js';
import type { Statement, SwallowedCatchFact } from '../../core/unit.js';
import { classify } from '../../sql/classify.js';
import { indentUnit, lineIndent, usesSemicolons } from './edits.js';
import { unwrap } from './literals.js';
import type { Env } from './types.js';

const LOGGING = /^(log|logger|warn|error|info|debug|trace|print|console|report|notify)$/i;

function isFunctionLike(n: Node): boolean {
  return Node.isFunctionDeclaration(n) || Node.isFunctionExpression(n) || Node.isArrowFunction(n) || Node.isMethodDeclaration(n);
}

function isNonZero(n: Node | undefined): boolean {
  if (!n) return false;
  const u = unwrap(n);
  return !(Node.isNumericLiteral(u) && Number(u.getLiteralValue()) === 0);
}

/** Whether a handler body (block or expression) handles the error named `err`. */
export function handles(body: Node, err: string | null): boolean {
  let handled = false;
  const visit = (n: Node): boolean => {
    if (Node.isThrowStatement(n)) return true;
    if (Node.isCallExpression(n)) {
      const callee = n.getExpression().getText();
      if (callee === 'process.exit') return isNonZero(n.getArguments()[0]);
      if (/^Promise\.reject$/.test(callee)) return true;
      const fn = n.getExpression();
      if (err && Node.isIdentifier(fn) && !LOGGING.test(fn.getText()) && n.getArguments().some((a) => a.getText() === err)) return true;
    }
    if (Node.isBinaryExpression(n) && n.getOperatorToken().getKind() === SyntaxKind.EqualsToken && n.getLeft().getText() === 'process.exitCode') {
      return isNonZero(n.getRight());
    }
    return false;
  };
  if (visit(body)) return true;
  body.forEachDescendant((n, t) => {
    if (handled) return;
    if (isFunctionLike(n)) {
      t.skip();
      return;
    }
    if (visit(n)) handled = true;
  });
  return handled;
}

function bodyIndent(env: Env, block: Block): string {
  const first = block.getStatements()[0];
  if (first) return lineIndent(env.text, first.getStart());
  return lineIndent(env.text, block.getStart()) + indentUnit(env.text);
}

const within = (outer: Span, inner: Span) => outer.start <= inner.start && inner.end <= outer.end;

/** DDL statements whose call lies in `[range)`. */
function ddlIn(range: Span, statements: Statement[], callSpans: Span[]): Span[] {
  const out: Span[] = [];
  statements.forEach((s, i) => {
    if (within(range, callSpans[i]!) && classify(s.node).class === 'ddl') out.push({ ...s.span });
  });
  return out;
}

/** Throw statements of the function holding `n` (not of functions nested in it) that start after `after`. */
function throwsAfter(n: Node, after: number): Node[] {
  const fn = n.getFirstAncestor(isFunctionLike) ?? n.getSourceFile();
  const out: Node[] = [];
  fn.forEachDescendant((d, t) => {
    if (d !== fn && isFunctionLike(d)) {
      t.skip();
      return;
    }
    if (Node.isThrowStatement(d) && d.getStart() >= after) out.push(d);
  });
  return out;
}

/**
 * `catch (err) { lastError = err; }` (or `errors.push(err)`) into a variable
 * declared outside the handler, which a `throw` later in the function rethrows:
 * the error is deferred, not swallowed (a "try the next constraint name" loop).
 */
function keptForLater(tryStmt: Node, block: Block, err: string | null): boolean {
  if (!err) return false;
  const kept = new Set<string>();
  block.forEachDescendant((d, t) => {
    if (isFunctionLike(d)) {
      t.skip();
      return;
    }
    const mentionsErr = (e: Node) => e.getText() === err || e.getDescendantsOfKind(SyntaxKind.Identifier).some((i) => i.getText() === err);
    if (Node.isBinaryExpression(d) && d.getOperatorToken().getKind() === SyntaxKind.EqualsToken && Node.isIdentifier(d.getLeft()) && mentionsErr(d.getRight())) kept.add(d.getLeft().getText());
    if (Node.isCallExpression(d)) {
      const callee = d.getExpression();
      if (Node.isPropertyAccessExpression(callee) && /^(push|unshift|add|set)$/.test(callee.getName()) && Node.isIdentifier(callee.getExpression()) && d.getArguments().some(mentionsErr)) {
        kept.add(callee.getExpression().getText());
      }
    }
  });
  // Declared outside the handler (an assignment to the handler's own variable keeps nothing).
  for (const name of [...kept]) if (name === err || block.getDescendantsOfKind(SyntaxKind.VariableDeclaration).some((v) => v.getName() === name)) kept.delete(name);
  if (!kept.size) return false;
  return throwsAfter(tryStmt, tryStmt.getEnd()).some((t) => t.getDescendantsOfKind(SyntaxKind.Identifier).some((i) => kept.has(i.getText())));
}

/**
 * A try inside a loop that leaves the loop when its work succeeds (`return`, or a
 * `break` out of the loop), so that the catch only moves on to the next attempt,
 * with a `throw` after the loop for when every attempt failed.
 */
function retriedThenThrown(tryStmt: Node): boolean {
  if (!Node.isTryStatement(tryStmt)) return false;
  const loop = tryStmt.getFirstAncestor((a) => Node.isIterationStatement(a) || isFunctionLike(a));
  if (!loop || !Node.isIterationStatement(loop)) return false;
  let leaves = false;
  tryStmt.getTryBlock().forEachDescendant((d, t) => {
    if (isFunctionLike(d)) {
      t.skip();
      return;
    }
    if (Node.isReturnStatement(d)) leaves = true;
    else if (Node.isBreakStatement(d)) {
      const label = d.getLabel()?.getText();
      const target = label
        ? d.getFirstAncestor((a) => Node.isLabeledStatement(a) && a.getLabel().getText() === label)
        : d.getFirstAncestor((a) => Node.isIterationStatement(a) || Node.isSwitchStatement(a));
      const loopNode = target && Node.isLabeledStatement(target) ? target.getStatement() : target;
      if (loopNode === loop) leaves = true;
    }
  });
  return leaves && throwsAfter(loop, loop.getEnd()).length > 0;
}

export function findSwallowedCatches(env: Env, statements: Statement[], callSpans: Span[]): SwallowedCatchFact[] {
  const out: SwallowedCatchFact[] = [];
  const semicolons = usesSemicolons(env);
  for (const n of env.nodes.ofKinds(SyntaxKind.TryStatement, SyntaxKind.CallExpression)) check(n);
  return out;

  /** A handler that runs DDL of its own builds an alternative (a fallback): that is handling. */
  function runsFallbackDdl(body: Node): boolean {
    return ddlIn({ start: body.getStart(), end: body.getEnd() }, statements, callSpans).length > 0;
  }

  function check(n: Node): void {
    if (Node.isTryStatement(n)) {
      const clause = n.getCatchClause();
      if (!clause) return;
      const tryBlock = n.getTryBlock();
      const ddl = ddlIn({ start: tryBlock.getStart(), end: tryBlock.getEnd() }, statements, callSpans);
      if (!ddl.length) return;
      const decl = clause.getVariableDeclaration();
      const name = decl && Node.isIdentifier(decl.getNameNode()) ? decl.getName() : null;
      const block = clause.getBlock();
      if (handles(block, name) || runsFallbackDdl(block)) return;
      if (keptForLater(n, block, name) || retriedThenThrown(n)) return;
      out.push({
        span: { start: clause.getStart(), end: clause.getEnd() },
        ddl,
        rethrow: { offset: block.getEnd() - 1, errorName: name, indent: bodyIndent(env, block), semicolons },
      });
      return;
    }
    if (!Node.isCallExpression(n)) return;
    // `x.catch(...)`, told on the compiler's nodes (no wrappers for the callee of every other call).
    const raw = n.compilerNode.expression;
    if (!ts.isPropertyAccessExpression(raw) || raw.name.getText(env.sf.compilerNode) !== 'catch') return;
    const callee = n.getExpression();
    if (!Node.isPropertyAccessExpression(callee)) return;
    const target = callee.getExpression();
    const ddl = ddlIn({ start: target.getStart(), end: target.getEnd() }, statements, callSpans);
    if (!ddl.length) return;
    const handler = n.getArguments()[0] ? unwrap(n.getArguments()[0]!) : undefined;
    const factSpan = { start: callee.getNameNode().getStart(), end: n.getEnd() };
    if (handler && (Node.isArrowFunction(handler) || Node.isFunctionExpression(handler))) {
      const param = handler.getParameters()[0];
      const name = param && Node.isIdentifier(param.getNameNode()) ? param.getName() : null;
      const body = handler.getBody();
      if (handles(body, name) || runsFallbackDdl(body)) return;
      const rethrow = Node.isBlock(body) ? { offset: body.getEnd() - 1, errorName: name, indent: bodyIndent(env, body), semicolons } : null;
      out.push({ span: factSpan, ddl, rethrow });
    } else if (!handler || Node.isPropertyAccessExpression(handler) || LOGGING.test(handler.getText())) {
      // `.catch(console.error)`, `.catch(logger.warn)`, `.catch()`: logs or ignores.
      if (handler && Node.isPropertyAccessExpression(handler) && !/^(console|logger|log)\b/.test(handler.getText())) return;
      out.push({ span: factSpan, ddl, rethrow: null });
    }
  }
}
