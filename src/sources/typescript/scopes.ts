/**
 * Which declaration a name refers to, read lexically (the frontend has no type
 * checker): the innermost function parameter, or variable declared directly in
 * an enclosing block, function body or the file, with that name. Good enough to
 * tell two `client`s of two functions apart; it does not follow `var` hoisting
 * or destructuring defaults.
 */
import { Node } from './morph.js';
import { FileMemo } from '../../core/file-memo.js';

/** Whether a binding name (an identifier or a destructuring pattern) binds `name`. */
function binds(nameNode: Node, name: string): boolean {
  if (Node.isIdentifier(nameNode)) return nameNode.getText() === name;
  if (Node.isObjectBindingPattern(nameNode) || Node.isArrayBindingPattern(nameNode)) {
    return nameNode.getElements().some((e) => Node.isBindingElement(e) && binds(e.getNameNode(), name));
  }
  return false;
}

/** Names bound by a pattern or identifier. */
function boundNames(nameNode: Node, out: string[]): string[] {
  if (Node.isIdentifier(nameNode)) out.push(nameNode.getText());
  else if (Node.isObjectBindingPattern(nameNode) || Node.isArrayBindingPattern(nameNode)) {
    for (const e of nameNode.getElements()) if (Node.isBindingElement(e)) boundNames(e.getNameNode(), out);
  }
  return out;
}

/**
 * The variable declarations directly in a block (or file, or case clause), by name, in order: computed once per block.
 * Keyed by the block's wrapper (one per node and parsed file): a compiler node can outlive its file's
 * wrappers (an incremental parse of the document's next text reuses the unchanged nodes).
 */
const blockDeclarations = new FileMemo<object, Map<string, Node[]>>();

function declaredDirectlyIn(block: Node & { getStatements(): Node[] }): Map<string, Node[]> {
  let map = blockDeclarations.get(block);
  if (!map) {
    map = new Map();
    for (const st of block.getStatements()) {
      if (!Node.isVariableStatement(st)) continue;
      for (const d of st.getDeclarations()) {
        for (const name of boundNames(d.getNameNode(), [])) {
          const list = map.get(name) ?? [];
          list.push(d);
          map.set(name, list);
        }
      }
    }
    blockDeclarations.set(block, map);
  }
  return map;
}

/** The declaration `name` refers to at `at`, or undefined (a global, an import, `this`). */
export function declarationOf(name: string, at: Node): Node | undefined {
  for (let scope: Node | undefined = at.getParent(); scope; scope = scope.getParent()) {
    if (Node.isFunctionDeclaration(scope) || Node.isFunctionExpression(scope) || Node.isArrowFunction(scope) || Node.isMethodDeclaration(scope) || Node.isConstructorDeclaration(scope)) {
      const p = scope.getParameters().find((x) => binds(x.getNameNode(), name));
      if (p) return p;
    }
    if (Node.isBlock(scope) || Node.isSourceFile(scope) || Node.isCaseClause(scope) || Node.isDefaultClause(scope)) {
      const d = declaredDirectlyIn(scope).get(name)?.find((x) => x.getStart() <= at.getStart());
      if (d) return d;
    }
    if (Node.isForOfStatement(scope) || Node.isForInStatement(scope) || Node.isForStatement(scope)) {
      const init = scope.getInitializer();
      if (init && Node.isVariableDeclarationList(init)) {
        const d = init.getDeclarations().find((x) => binds(x.getNameNode(), name));
        if (d) return d;
      }
    }
    if (Node.isCatchClause(scope)) {
      const v = scope.getVariableDeclaration();
      if (v && binds(v.getNameNode(), name)) return v;
    }
  }
  return undefined;
}

/** A key for what `name` names at `at`: `name@<offset of its declaration>`, or `name@?` when it is not declared here. */
export function bindingKey(name: string, at: Node): string {
  const d = declarationOf(name, at);
  return `${name}@${d ? d.getStart() : '?'}`;
}
