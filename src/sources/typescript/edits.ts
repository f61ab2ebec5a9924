/**
 * Text edits a fix can make to migration code: inserting a statement at the
 * top of a phase function, and the string literal that carries SQL into it.
 *
 * Everything here is computed while the syntax tree is alive and kept as plain
 * data: the tree is discarded before any fix asks for its edits.
 */
import type { NodeIndex } from './nodes.js';
import { Node, SyntaxKind, ts } from './morph.js';
import type { Edit } from '../../core/diagnostic.js';
import type { SwallowedCatchFact } from '../../core/unit.js';
import type { BuilderHooks, FunctionLike } from './types.js';

/** Where and how a statement goes at the top of a function body. */
export type InsertionPlan =
  /** Before the first statement, on its own line. */
  | { kind: 'line'; offset: number; indent: string; asyncAt: number | null }
  /** Before the first statement, on the same line as the `{`. */
  | { kind: 'inline'; offset: number; asyncAt: number | null }
  /** After the last statement (all statements were skipped), on the same line. */
  | { kind: 'after'; offset: number; asyncAt: number | null }
  /** Into an empty block `{}` (right after the `{`). */
  | { kind: 'empty'; offset: number; indent: string; closeIndent: string; closeOnSameLine: boolean; asyncAt: number | null }
  /** An expression-bodied arrow: the body becomes a block that returns the expression. */
  | { kind: 'expression'; start: number; end: number; expr: string; indent: string; closeIndent: string; asyncAt: number | null };

/** The whitespace at the start of the line holding `offset`. */
export function lineIndent(text: string, offset: number): string {
  const lineStart = text.lastIndexOf('\n', offset - 1) + 1;
  return /^[ \t]*/.exec(text.slice(lineStart, offset))![0];
}

/** Offset of the start of the line holding `offset`. */
export function lineStart(text: string, offset: number): number {
  return text.lastIndexOf('\n', offset - 1) + 1;
}

/**
 * The file's indentation unit: a tab, or the smallest run of leading spaces (2
 * when unknown). Block comment continuation lines (` * @param`) do not count.
 */
export function indentUnit(text: string): string {
  let min = Infinity;
  for (const m of text.matchAll(/^([ \t]+)[^\s*]/gm)) {
    if (m[1]!.startsWith('\t')) return '\t';
    min = Math.min(min, m[1]!.length);
  }
  return ' '.repeat(Number.isFinite(min) && min > 0 && min <= 8 ? min : 2);
}

/** Where a statement's leading comments (on lines of their own) start, else the statement's start. */
export function startWithComments(n: Node): number {
  const ranges = n.getLeadingCommentRanges();
  return ranges.length ? Math.min(n.getStart(), ranges[0]!.getPos()) : n.getStart();
}

/** Where `async` goes to make the function async, or null if it already is. */
function asyncOffset(fn: FunctionLike): number | null {
  if (fn.isAsync()) return null;
  if (Node.isMethodDeclaration(fn)) return fn.getNameNode().getStart();
  const keyword = fn.getFirstChildByKind(SyntaxKind.FunctionKeyword);
  if (keyword) return keyword.getStart();
  return fn.getStart();
}

/**
 * Where a statement goes at the top of `fn`'s body, after the leading
 * statements `skip` accepts (the SET queries a fix inserted before).
 */
export function planInsertion(fn: FunctionLike, text: string, skip: (statement: Node) => boolean = () => false): InsertionPlan | null {
  const body = fn.getBody();
  if (!body) return null;
  const asyncAt = asyncOffset(fn);
  if (Node.isBlock(body)) {
    const statements = body.getStatements();
    let i = 0;
    while (i < statements.length && skip(statements[i]!)) i++;
    const first = statements[i];
    const previous = statements[i - 1];
    if (first) {
      const at = startWithComments(first);
      const between = text.slice(previous ? previous.getEnd() : body.getStart() + 1, at);
      if (!between.includes('\n')) return { kind: 'inline', offset: at, asyncAt };
      return { kind: 'line', offset: lineStart(text, at), indent: lineIndent(text, at), asyncAt };
    }
    if (previous) {
      const end = previous.getEnd();
      const nl = text.indexOf('\n', end);
      const close = body.getEnd() - 1;
      if (nl >= 0 && nl < close) return { kind: 'line', offset: nl + 1, indent: lineIndent(text, previous.getStart()), asyncAt };
      return { kind: 'after', offset: end, asyncAt };
    }
    const open = body.getStart();
    const close = body.getEnd() - 1;
    const closeOnSameLine = !text.slice(open + 1, close).includes('\n');
    // The file's indentation unit (a scan of the whole text) only where the plan indents a new line.
    return { kind: 'empty', offset: open + 1, indent: lineIndent(text, close) + indentUnit(text), closeIndent: lineIndent(text, close), closeOnSameLine, asyncAt };
  }
  const fnIndent = lineIndent(text, fn.getStart());
  return { kind: 'expression', start: body.getStart(), end: body.getEnd(), expr: body.getText(), indent: fnIndent + indentUnit(text), closeIndent: fnIndent, asyncAt };
}

/**
 * The edits inserting `code;` (a statement without its semicolon) according to a
 * plan; with `semicolons` false (a file written without them) a statement on a
 * line of its own gets none.
 */
export function applyInsertion(plan: InsertionPlan, code: string, eol: string, awaits: boolean, semicolons = true): Edit[] {
  const edits: Edit[] = [];
  const end = semicolons ? ';' : '';
  if (awaits && plan.asyncAt !== null) edits.push({ start: plan.asyncAt, end: plan.asyncAt, text: 'async ' });
  switch (plan.kind) {
    case 'line':
      edits.push({ start: plan.offset, end: plan.offset, text: `${plan.indent}${code}${end}${eol}` });
      break;
    case 'inline':
      edits.push({ start: plan.offset, end: plan.offset, text: `${code}; ` });
      break;
    case 'after':
      edits.push({ start: plan.offset, end: plan.offset, text: ` ${code};` });
      break;
    case 'empty':
      edits.push({ start: plan.offset, end: plan.offset, text: `${eol}${plan.indent}${code}${end}${plan.closeOnSameLine ? `${eol}${plan.closeIndent}` : ''}` });
      break;
    case 'expression':
      edits.push({ start: plan.start, end: plan.end, text: `{${eol}${plan.indent}${code}${end}${eol}${plan.indent}return ${plan.expr}${end}${eol}${plan.closeIndent}}` });
      break;
  }
  return edits.sort((a, b) => a.start - b.start);
}

/**
 * A JavaScript string literal for `value`: in the file's usual quote when the
 * value holds neither quote, else in the quote that needs no escaping.
 */
export function jsString(value: string, preferSingle: boolean): string {
  const hasSingle = value.includes("'");
  const hasDouble = value.includes('"');
  const plain = !/[\\\n\r\u2028\u2029]/.test(value);
  if (plain && !hasSingle && (preferSingle || hasDouble)) return `'${value}'`;
  if (plain && hasSingle && hasDouble && !/[`]|\$\{/.test(value)) return `\`${value}\``;
  return JSON.stringify(value);
}

/**
 * Whether the file ends its statements with semicolons (the usual style), or
 * leaves them to automatic semicolon insertion (standard, some prettier setups).
 */
export function usesSemicolons(env: { nodes: NodeIndex; text: string }): boolean {
  let semi = 0;
  let none = 0;
  const kinds = [SyntaxKind.ExpressionStatement, SyntaxKind.VariableStatement, SyntaxKind.ReturnStatement, SyntaxKind.ImportDeclaration, SyntaxKind.ThrowStatement];
  // Counted on the compiler's nodes: no wrappers for every statement of the file.
  for (const kind of kinds) {
    for (const n of env.nodes.rawOfKind(kind)) {
      if (env.text[n.end - 1] === ';') semi++;
      else none++;
    }
  }
  return semi >= none;
}

/** Whether the file mostly writes string literals with single quotes (counted on the compiler's nodes). */
export function prefersSingleQuotes(nodes: NodeIndex): boolean {
  let single = 0;
  let double = 0;
  const file = nodes.file;
  for (const lit of nodes.rawOfKind(SyntaxKind.StringLiteral)) {
    if (file.text[lit.getStart(file)] === "'") single++;
    else double++;
  }
  return single >= double;
}

/** A template literal body for `value` (backticks, `${` and backslashes escaped). */
export function templateBody(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/`/g, '\\`').replace(/\$\{/g, '\\${');
}

/**
 * An editor setting boolean options on a builder call: in the options object
 * literal `target` when there is one, else as a new last argument after
 * `appendAfter`. `keys` maps the generic option names to the framework's
 * (`concurrently` → TypeORM's `isConcurrent`); options it lacks are left out.
 */
export function optionsEditor(text: string, eol: string, target: Node | undefined, appendAfter: Node | undefined, keys: Record<string, string>): NonNullable<BuilderHooks['setOptions']> {
  const wanted = (options: Record<string, boolean>) =>
    Object.entries(options)
      .filter(([k]) => keys[k])
      .map(([k, v]) => [keys[k]!, v] as const);
  if (!target) {
    if (!appendAfter) return () => null;
    const end = appendAfter.getEnd();
    // Arguments one per line: the new one goes on a line of its own, after a trailing comma if there is one.
    const ownLine = /\n[ \t]*$/.test(text.slice(0, appendAfter.getStart()));
    const trailing = /^[ \t]*,/.exec(text.slice(end));
    const indent = lineIndent(text, appendAfter.getStart());
    return (options) => {
      const w = wanted(options);
      if (!w.length) return null;
      const obj = `{ ${w.map(([k, v]) => `${k}: ${v}`).join(', ')} }`;
      if (ownLine && trailing) return [{ start: end + trailing[0].length, end: end + trailing[0].length, text: `${eol}${indent}${obj},` }];
      if (ownLine) return [{ start: end, end, text: `,${eol}${indent}${obj}` }];
      return [{ start: end, end, text: `, ${obj}` }];
    };
  }
  if (!Node.isObjectLiteralExpression(target)) return () => null;
  // The object's layout is read when an edit is first asked for one of the framework's options (most calls never are),
  // on the compiler's nodes (names as getName() reads them, texts as getText()): no wrappers for the properties.
  const layoutOf = () => {
    const file = target.getSourceFile().compilerNode;
    const properties = target.compilerNode.properties;
    const props = properties.map((p) => {
      const init = ts.isPropertyAssignment(p) ? p.initializer : undefined;
      return { name: ts.isPropertyAssignment(p) || ts.isShorthandPropertyAssignment(p) ? p.name.getText(file).replace(/^["']|["']$/g, '') : '', value: init ? { start: init.getStart(file), end: init.end, text: init.getText(file) } : null };
    });
    const last = properties[properties.length - 1];
    const objStart = target.getStart();
    const objEnd = target.getEnd();
    const lastEnd = last?.end ?? objStart + 1;
    return {
      props,
      last,
      objStart,
      objEnd,
      multiline: text.slice(objStart, objEnd).includes('\n'),
      lastEnd,
      comma: last ? /^\s*,/.exec(text.slice(lastEnd, objEnd)) : null,
      indent: last ? lineIndent(text, last.getStart(file)) : '',
    };
  };
  let layout: ReturnType<typeof layoutOf> | undefined;
  return (options) => {
    const w = wanted(options);
    if (!w.length) return null;
    const { props, last, objStart, objEnd, multiline, lastEnd, comma, indent } = (layout ??= layoutOf());
    const edits: Edit[] = [];
    const added: Array<readonly [string, boolean]> = [];
    for (const [k, v] of w) {
      const p = props.find((x) => x.name === k);
      if (!p) added.push([k, v]);
      else if (p.value && p.value.text !== String(v)) edits.push({ start: p.value.start, end: p.value.end, text: String(v) });
    }
    if (added.length) {
      const items = added.map(([k, v]) => `${k}: ${v}`);
      if (!last) edits.push({ start: objStart, end: objEnd, text: `{ ${items.join(', ')} }` });
      else if (multiline && comma) edits.push({ start: lastEnd + comma[0].length, end: lastEnd + comma[0].length, text: items.map((i) => `${eol}${indent}${i},`).join('') });
      else if (multiline) edits.push({ start: lastEnd, end: lastEnd, text: items.map((i) => `,${eol}${indent}${i}`).join('') });
      else edits.push({ start: lastEnd, end: lastEnd, text: items.map((i) => `, ${i}`).join('') });
    }
    return edits;
  };
}

/** A hook replacing `[start, end)` (a builder call) with `make(sql, quote)`. */
export function replacer(start: number, end: number, make: (sql: string, quote: (s: string) => string) => string, extra: Edit[] = []): NonNullable<BuilderHooks['replaceWithRaw']> {
  return (sql, quote) => [{ start, end, text: make(sql, quote) }, ...extra.map((e) => ({ ...e }))].sort((a, b) => a.start - b.start);
}

/**
 * The edit that makes a swallowing catch rethrow (`throw err;` at the end of the handler body):
 * on a new line with the body's indentation before a closing brace alone on its line, else inline
 * (after a `;` when the statement before it lacks one); without the `;` where the file leaves
 * statements to automatic semicolon insertion. Null when the handler has no error binding to rethrow.
 */
export function rethrowEdit(text: string, eol: string, handler: SwallowedCatchFact): Edit[] | null {
  const r = handler.rethrow;
  if (!r || !r.errorName) return null;
  const lineStart = text.lastIndexOf('\n', r.offset - 1) + 1;
  const own = /^[ \t]*$/.test(text.slice(lineStart, r.offset));
  if (own) return [{ start: lineStart, end: lineStart, text: `${r.indent}throw ${r.errorName}${r.semicolons === false ? '' : ';'}${eol}` }];
  const before = text.slice(0, r.offset).trimEnd();
  if (/[;{}]$/.test(before)) return [{ start: r.offset, end: r.offset, text: ` throw ${r.errorName}; ` }];
  return [{ start: before.length, end: before.length, text: `; throw ${r.errorName};` }];
}

/**
 * An editor setting a builder's boolean options that are positional arguments (TypeORM's
 * `createTable(table, ifNotExists)`, `dropTable(table, ifExists)`): `positions` maps a generic
 * option name to the argument's index. A `true`/`false` literal there is replaced; a missing
 * argument is appended right after the one before it (only when that one is the last). Any
 * other argument (a variable), or a gap before it, gives null.
 */
export function argumentEditor(args: Node[], positions: Record<string, number>): NonNullable<BuilderHooks['setOptions']> {
  const at = args.map((a) => ({ start: a.getStart(), end: a.getEnd(), bool: Node.isTrueLiteral(a) || Node.isFalseLiteral(a) ? a.getText() === 'true' : null }));
  return (options) => {
    const edits: Edit[] = [];
    for (const [k, value] of Object.entries(options)) {
      const i = positions[k];
      if (i === undefined) continue;
      const a = at[i];
      if (a) {
        if (a.bool === null) return null;
        if (a.bool !== value) edits.push({ start: a.start, end: a.end, text: String(value) });
      } else if (at.length === i && i > 0) edits.push({ start: at[i - 1]!.end, end: at[i - 1]!.end, text: `, ${value}` });
      else return null;
    }
    return edits.length ? edits : null;
  };
}
