/**
 * SQL text held in JavaScript string expressions, with a map from every SQL
 * character back to the file.
 *
 * A literal's cooked value differs from its source text wherever an escape
 * (`\n`, `\'`, `\\`, `\x41`, `\u{1F600}`), a line continuation or, in a
 * template, a CRLF line break sits. The text is decoded here piece by piece so
 * that each SQL character knows the file range that produced it; edits are
 * possible only at the boundaries between pieces. `${}` substitutions (and
 * non-literal operands of `+`) become placeholders: `$1`, `$2`... first, and
 * the form the grammar wants where it rejects that (a name, a literal, a
 * clause: see `PlaceholderForm`).
 */
import type { Expression, ts } from 'ts-morph';
import { Node, SyntaxKind, VariableDeclarationKind } from './morph.js';
import type { NodeIndex } from './nodes.js';

export { highestParam, PLACEHOLDER_FORMS, placeholderValue, render, type Piece, type PlaceholderForm, type RenderedSql, type SqlSource } from '../../sql/embedded.js';
import type { Piece, SqlSource } from '../../sql/embedded.js';

/** `const NAME = ...` declarations of the file, for SQL and options passed by name. */
export class ConstTable {
  private readonly byName = new Map<string, Node[]>();

  constructor(nodes: NodeIndex) {
    for (const list of nodes.ofKind(SyntaxKind.VariableDeclarationList)) {
      if (list.getDeclarationKind() !== VariableDeclarationKind.Const) continue;
      for (const d of list.getDeclarations()) {
        const init = d.getInitializer();
        const nameNode = d.getNameNode();
        if (!init || !Node.isIdentifier(nameNode)) continue;
        const all = this.byName.get(nameNode.getText()) ?? [];
        all.push(init);
        this.byName.set(nameNode.getText(), all);
      }
    }
  }

  /** The initializer of the `const` that `id` most plausibly names (the innermost enclosing scope). */
  resolve(id: Node): Node | undefined {
    const all = this.byName.get(id.getText());
    if (!all) return undefined;
    if (all.length === 1) return all[0];
    let best: Node | undefined;
    let bestDepth = -1;
    for (const init of all) {
      const scope = this.scopeOf(init);
      if (!scope || id.getPos() < scope.pos || id.getEnd() > scope.end) continue;
      if (scope.depth > bestDepth) {
        best = init;
        bestDepth = scope.depth;
      }
    }
    return best;
  }

  private readonly scopes = new Map<Node, { pos: number; end: number; depth: number } | null>();

  /** The block (or file) around a const's initializer and how many ancestors it has, worked out once per const (on the compiler's parent links). */
  private scopeOf(init: Node): { pos: number; end: number; depth: number } | null {
    let found = this.scopes.get(init);
    if (found === undefined) {
      let scope: ts.Node | undefined = init.compilerNode.parent;
      while (scope && scope.kind !== SyntaxKind.Block && scope.kind !== SyntaxKind.SourceFile) scope = scope.parent;
      let depth = 0;
      for (let a = scope?.parent; a; a = a.parent) depth++;
      found = scope ? { pos: scope.pos, end: scope.end, depth } : null;
      this.scopes.set(init, found);
    }
    return found;
  }
}

/** Strips parentheses, `as`, `satisfies` and `!` around an expression. */
export function unwrap(node: Node): Node {
  let n = node;
  for (;;) {
    if (Node.isParenthesizedExpression(n) || Node.isAsExpression(n) || Node.isSatisfiesExpression(n) || Node.isNonNullExpression(n) || Node.isTypeAssertion(n)) {
      n = n.getExpression();
    } else return n;
  }
}

/** The kinds `unwrap` looks through: parentheses, `as`, `satisfies`, `!`, `<T>x`. */
const TRANSPARENT = new Set<SyntaxKind>([SyntaxKind.ParenthesizedExpression, SyntaxKind.AsExpression, SyntaxKind.SatisfiesExpression, SyntaxKind.NonNullExpression, SyntaxKind.TypeAssertionExpression]);

/**
 * What `sqlSourceOf(unwrap(expr))` gives when `expr` is, inside what `unwrap` looks through, a
 * string literal or a template without substitutions (most query arguments), read on the
 * compiler's nodes (no wrapper); null for any other expression.
 */
export function literalSourceOf(expr: ts.Node, file: ts.SourceFile): SqlSource | null {
  let n = expr;
  while (TRANSPARENT.has(n.kind as number as SyntaxKind)) n = (n as ts.ParenthesizedExpression).expression;
  const template = (n.kind as number) === (SyntaxKind.NoSubstitutionTemplateLiteral as number);
  if (!template && (n.kind as number) !== (SyntaxKind.StringLiteral as number)) return null;
  const start = n.getStart(file);
  const pieces = decode(file.text, start + 1, n.end - 1, template, (n as ts.StringLiteral | ts.NoSubstitutionTemplateLiteral).text);
  return { pieces, interpolated: false, origin: template ? 'template' : 'literal', span: { start, end: n.end } };
}

/** The SQL source of a string-valued expression, or null when it holds no string literal at all. */
export function sqlSourceOf(expr: Node, consts: ConstTable, depth = 0): SqlSource | null {
  const pieces: Piece[] = [];
  const state = { interpolated: false, template: false };
  if (!collect(unwrap(expr), consts, depth, pieces, state)) return null;
  return { pieces, interpolated: state.interpolated, origin: state.template ? 'template' : 'literal', span: { start: expr.getStart(), end: expr.getEnd() } };
}

function collect(n: Node, consts: ConstTable, depth: number, out: Piece[], state: { interpolated: boolean; template: boolean }): boolean {
  if (Node.isStringLiteral(n) || Node.isNoSubstitutionTemplateLiteral(n)) {
    if (Node.isNoSubstitutionTemplateLiteral(n)) state.template = true;
    out.push(...decode(n.getSourceFile().getFullText(), n.getStart() + 1, n.getEnd() - 1, Node.isNoSubstitutionTemplateLiteral(n), n.getLiteralText()));
    return true;
  }
  if (Node.isTemplateExpression(n)) {
    state.template = true;
    const text = n.getSourceFile().getFullText();
    const head = n.getHead();
    out.push(...decode(text, head.getStart() + 1, head.getEnd() - 2, true, head.compilerNode.text));
    let previousEnd = head.getEnd();
    for (const span of n.getTemplateSpans()) {
      const lit = span.getLiteral();
      // From the `${` to the `}` that closes the substitution: a same-file const string is its value.
      const value = constString(span.getExpression(), consts, depth);
      if (value !== null) out.push({ kind: 'escape', text: value, from: previousEnd - 2, to: lit.getStart() + 1 });
      else {
        state.interpolated = true;
        out.push({ kind: 'placeholder', from: previousEnd - 2, to: lit.getStart() + 1, expr: span.getExpression().getText() });
      }
      const closing = Node.isTemplateTail(lit) ? 1 : 2;
      out.push(...decode(text, lit.getStart() + 1, lit.getEnd() - closing, true, lit.compilerNode.text));
      previousEnd = lit.getEnd();
    }
    return true;
  }
  if (Node.isBinaryExpression(n) && n.getOperatorToken().getKind() === SyntaxKind.PlusToken) {
    const left: Piece[] = [];
    const right: Piece[] = [];
    const l = operand(unwrap(n.getLeft()), consts, depth, left, state);
    const r = operand(unwrap(n.getRight()), consts, depth, right, state);
    if (!l && !r) return false;
    if (l) out.push(...left);
    else out.push(placeholderFor(n.getLeft(), state));
    if (r) out.push(...right);
    else out.push(placeholderFor(n.getRight(), state));
    return true;
  }
  if (Node.isIdentifier(n) && depth < 4) {
    const init = consts.resolve(n);
    if (init) return collect(unwrap(init), consts, depth + 1, out, state);
  }
  return false;
}

function placeholderFor(n: Node, state: { interpolated: boolean }): Piece {
  state.interpolated = true;
  return { kind: 'placeholder', from: n.getStart(), to: n.getEnd(), expr: n.getText() };
}

/** An operand of `+`: a name of a same-file const string is its value, mapped to the name. */
function operand(n: Node, consts: ConstTable, depth: number, out: Piece[], state: { interpolated: boolean; template: boolean }): boolean {
  if (Node.isIdentifier(n) || Node.isPropertyAccessExpression(n)) {
    const value = constString(n, consts, depth);
    if (value === null) return collect(n, consts, depth, out, state);
    out.push({ kind: 'escape', text: value, from: n.getStart(), to: n.getEnd() });
    return true;
  }
  return collect(n, consts, depth, out, state);
}

/**
 * The value of a same-file `const` string named by `expr` (`TABLE`, or
 * `TABLES.runs` for `const TABLES = { runs: 'dryruns' }`), or null.
 */
export function constString(expr: Node, consts: ConstTable, depth = 0): string | null {
  const n = unwrap(expr);
  if (depth >= 4) return null;
  let init: Node | undefined;
  if (Node.isIdentifier(n)) init = consts.resolve(n);
  else if (Node.isPropertyAccessExpression(n) && Node.isIdentifier(n.getExpression())) {
    const obj = consts.resolve(n.getExpression());
    const o = obj ? unwrap(obj) : undefined;
    const p = o && Node.isObjectLiteralExpression(o) ? o.getProperty(n.getName()) : undefined;
    init = p && Node.isPropertyAssignment(p) ? p.getInitializer() : undefined;
  }
  if (!init) return null;
  const src = sqlSourceOf(init, consts, depth + 1);
  if (!src || src.interpolated) return null;
  return src.pieces.map((p) => (p.kind === 'placeholder' ? '' : p.text)).join('');
}

const SIMPLE_ESCAPES: Record<string, string> = { n: '\n', t: '\t', r: '\r', b: '\b', f: '\f', v: '\v' };

/**
 * Decodes the source text `[start, end)` of a string or template literal part
 * into pieces. `cooked` is the compiler's value: when the decoding disagrees
 * with it (an escape this decoder does not know), the whole part becomes one
 * opaque piece, so offsets are never wrong, only less precise.
 */
export function decode(text: string, start: number, end: number, template: boolean, cooked: string | undefined): Piece[] {
  const pieces: Piece[] = [];
  let rawFrom = start;
  let raw = '';
  const flushRaw = () => {
    if (raw) pieces.push({ kind: 'raw', text: raw, from: rawFrom });
    raw = '';
  };
  let i = start;
  while (i < end) {
    const c = text[i]!;
    if (c === '\\') {
      const [value, len] = escapeAt(text, i, end);
      flushRaw();
      pieces.push({ kind: 'escape', text: value, from: i, to: i + len });
      i += len;
      rawFrom = i;
    } else if (template && c === '\r') {
      // Template literals normalise CRLF and CR to LF in their cooked value.
      const len = text[i + 1] === '\n' ? 2 : 1;
      flushRaw();
      pieces.push({ kind: 'escape', text: '\n', from: i, to: i + len });
      i += len;
      rawFrom = i;
    } else {
      // The run of plain characters up to the next backslash (or, in a template, carriage return), in one slice.
      let j = i + 1;
      for (; j < end; j++) {
        const d = text.charCodeAt(j);
        if (d === 0x5c || (template && d === 0x0d)) break;
      }
      if (!raw) rawFrom = i;
      raw += text.slice(i, j);
      i = j;
    }
  }
  flushRaw();
  const decoded = pieces.map((p) => (p.kind === 'placeholder' ? '' : p.text)).join('');
  if (cooked !== undefined && decoded !== cooked) return [{ kind: 'escape', text: cooked, from: start, to: end }];
  return pieces;
}

/** The value and source length of the escape sequence at `i` (a backslash). */
function escapeAt(text: string, i: number, end: number): [string, number] {
  const c = text[i + 1];
  if (c === undefined || i + 1 >= end) return ['', 1];
  if (c in SIMPLE_ESCAPES) return [SIMPLE_ESCAPES[c]!, 2];
  if (c === '\r') return ['', text[i + 2] === '\n' ? 3 : 2]; // line continuation
  if (c === '\n' || c === '\u2028' || c === '\u2029') return ['', 2];
  if (c === 'x') {
    const hex = text.slice(i + 2, i + 4);
    if (/^[0-9a-fA-F]{2}$/.test(hex)) return [String.fromCharCode(parseInt(hex, 16)), 4];
  }
  if (c === 'u') {
    if (text[i + 2] === '{') {
      const close = text.indexOf('}', i + 3);
      const hex = close > 0 ? text.slice(i + 3, close) : '';
      if (/^[0-9a-fA-F]{1,6}$/.test(hex) && parseInt(hex, 16) <= 0x10ffff) return [String.fromCodePoint(parseInt(hex, 16)), close + 1 - i];
    }
    const hex = text.slice(i + 2, i + 6);
    if (/^[0-9a-fA-F]{4}$/.test(hex)) return [String.fromCharCode(parseInt(hex, 16)), 6];
  }
  if (c === '0' && !/[0-9]/.test(text[i + 2] ?? '')) return ['\0', 2];
  if (/[1-7]/.test(c)) {
    // Legacy octal escape (sloppy-mode JavaScript only).
    const m = /^[0-7]{1,3}/.exec(text.slice(i + 1, i + 4))![0];
    const value = parseInt(m, 8) <= 0o377 ? m : m.slice(0, 2);
    return [String.fromCharCode(parseInt(value, 8)), 1 + value.length];
  }
  const code = text.charCodeAt(i + 1);
  if (code >= 0xd800 && code <= 0xdbff) return [text.slice(i + 1, i + 3), 3];
  return [c, 2];
}


/** The string value of an expression if it is (or names a `const` holding) a literal without substitutions. */
export function stringValue(expr: Node | undefined, consts: ConstTable): string | null {
  if (!expr) return null;
  const src = sqlSourceOf(expr, consts);
  if (!src || src.interpolated) return null;
  return src.pieces.map((p) => (p.kind === 'placeholder' ? '' : p.text)).join('');
}

/** Whether an expression is an expression node (for typing call arguments). */
export function isExpression(n: Node | undefined): n is Expression {
  return !!n && Node.isExpression(n);
}
