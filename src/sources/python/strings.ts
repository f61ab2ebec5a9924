/**
 * SQL held in Python string expressions, as the language-neutral pieces of
 * src/sql/embedded.ts (each SQL character knows the file range it came from).
 *
 * Read: plain, raw (`r`), byte (`b`) and triple-quoted literals with their escapes
 * (`\n`, `\x41`, `\u05e9`, `\N{...}`, a backslash-newline continuation, and a CRLF
 * inside a triple-quoted literal, which Python reads as `\n`), implicit concatenation
 * (`"a" "b"`), `+`, names bound once in their scope (`SQL = """..."""`), `sa.text(...)`,
 * and the parts no one can know as placeholders: f-string `{expr}`, `%`-formatting
 * (`%s`, `%(name)s`), `.format(...)` fields, and the driver's or SQLAlchemy's bind
 * parameters (`%s` with a parameters argument, `:name` in `text()`), which the
 * SQL layer then writes as the value, name or clause their place needs.
 */
import type { Piece, SqlSource } from '../../sql/embedded.js';
import { kids, named, nodeMemo, perNode, type PyNode } from './parse.js';

/**
 * Names bound exactly once in their scope (`NAME = <expr>`), for SQL passed by name. A name
 * assigned in a function is that function's local (Python's scoping: execution model, "Resolution
 * of names"), so `q = "..."` in `upgrade()` and another `q = "..."` in `downgrade()` are two
 * bindings; a name a function does not bind is looked up in the enclosing functions, then the module.
 *
 * Every way Python binds a name counts (a parameter, a `for` target, `+=`, `:=`, `as`, an import,
 * a `def`, unpacking, `global`): a name bound so, or assigned more than once, is not resolved. Nor
 * is one whose single assignment may not have run where it is used: one inside an `if`, loop,
 * `try` or `match` block that does not also hold the use (a `with` or class body runs through), or
 * one assigned after the use in the same function. `why` says which.
 */
export class Bindings {
  /** `<scope>:<name>` → its one assignment; the scope is the enclosing function's start offset, -1 for the module. */
  private readonly once = new Map<string, PyNode>();
  /** `<scope>:<name>` → why the name has no single binding there (`bound more than once`, `a parameter`, ...). */
  private readonly many = new Map<string, string>();

  /** The guarding block of each assignment looked up so far (`guardingBlock`), by its start: the walk up the tree is done once. */
  private readonly guards = new Map<number, { block: { startIndex: number; endIndex: number }; what: string } | null>();

  /** The functions' spans, by start: the scopes (innermost last among those containing an offset). */
  private readonly functions: { start: number; end: number; name: string }[];

  /**
   * @param all the binding nodes to read: assignments, and (for the other ways to bind a name)
   *   augmented assignments, `for` statements, named expressions, `as` patterns, parameter lists,
   *   imports, `global`/`nonlocal` statements, function and class definitions; other nodes are skipped;
   * @param functions the file's function definitions (their spans are the scopes; none: every name is the module's).
   */
  constructor(all: Iterable<PyNode>, functions: Iterable<PyNode> = []) {
    this.functions = [...functions].map((f) => ({ start: f.startIndex, end: f.endIndex, name: f.childForFieldName('name')?.text ?? '?' })).sort((a, b) => a.start - b.start);
    for (const n of all) {
      switch (n.type) {
        case 'assignment': {
          const left = n.childForFieldName('left');
          const right = n.childForFieldName('right');
          if (left?.type === 'identifier') {
            const key = this.key(n, left.text);
            if (!right) this.opaque(key, 'declared without a value');
            else if (this.once.has(key) || this.many.has(key)) this.opaque(key, `assigned more than once in ${this.scopeName(n)}`);
            else this.once.set(key, n);
          } else if (left) for (const id of targets(left)) this.opaque(this.key(n, id.text), 'assigned by unpacking');
          break;
        }
        case 'augmented_assignment':
          for (const id of targets(n.childForFieldName('left'))) this.opaque(this.key(n, id.text), `changed by \`${n.childForFieldName('operator')?.text ?? '+='}\``);
          break;
        case 'for_statement':
          for (const id of targets(n.childForFieldName('left'))) this.opaque(this.key(n, id.text), 'a `for` loop variable');
          break;
        case 'named_expression':
          for (const id of targets(n.childForFieldName('name'))) this.opaque(this.key(n, id.text), 'bound by `:=`');
          break;
        case 'as_pattern':
          for (const id of targets(n.childForFieldName('alias'))) this.opaque(this.key(n, id.text), 'bound by `as`');
          break;
        case 'parameters':
        case 'lambda_parameters':
          for (const p of named(n)) for (const id of paramNames(p)) this.opaque(this.key(p, id.text), 'a parameter');
          break;
        case 'import_statement':
        case 'import_from_statement':
          for (const imported of n.childrenForFieldName('name')) {
            const id = imported?.type === 'aliased_import' ? imported.childForFieldName('alias') : imported?.type === 'dotted_name' ? named(imported)[0] : null;
            if (id) this.opaque(this.key(n, id.text), 'imported');
          }
          break;
        case 'global_statement':
        case 'nonlocal_statement':
          for (const id of named(n)) if (id.type === 'identifier') (this.opaque(this.key(n, id.text), `declared \`${n.type.split('_')[0]}\``), this.opaque(`-1:${id.text}`, `declared \`${n.type.split('_')[0]}\` in a function`));
          break;
        case 'function_definition':
        case 'class_definition': {
          const id = n.childForFieldName('name');
          if (id) this.opaque(this.key(n, id.text), `a \`${n.type === 'class_definition' ? 'class' : 'def'}\``);
          break;
        }
      }
    }
  }

  private key(n: PyNode, name: string): string {
    return `${this.scopeOf(n)[0] ?? -1}:${name}`;
  }

  private opaque(key: string, why: string): void {
    this.once.delete(key);
    if (!this.many.has(key)) this.many.set(key, why);
  }

  private scopeName(n: PyNode): string {
    const s = this.scopeOf(n)[0];
    const f = s === undefined ? undefined : this.functions.find((x) => x.start === s);
    return f ? `\`${f.name}()\`` : 'the module';
  }

  /** The start offsets of the functions enclosing a node, innermost first (from their spans: no walk up the tree). */
  private scopeOf(n: PyNode): number[] {
    const at = n.startIndex;
    const out: number[] = [];
    for (const f of this.functions) {
      if (f.start > at) break;
      if (at < f.end && f.start < at) out.unshift(f.start);
    }
    return out;
  }

  /** The expression the name `id` (an identifier where it is used) is bound to, when its scope binds it exactly once, before the use and where the use sees it. */
  resolve(id: PyNode): PyNode | null {
    const r = this.lookup(id);
    return 'bound' in r ? r.bound : null;
  }

  /** Why the name `id` is not resolved (`\`q\` is assigned more than once in \`upgrade()\``), or null when it is. */
  why(id: PyNode): string | null {
    const r = this.lookup(id);
    return 'why' in r ? r.why : null;
  }

  private lookup(id: PyNode): { bound: PyNode } | { why: string } {
    const scopes = this.scopeOf(id);
    for (const scope of [...scopes, -1]) {
      const key = `${scope}:${id.text}`;
      const many = this.many.get(key);
      if (many) return { why: `\`${id.text}\` is ${many}` };
      const a = this.once.get(key);
      if (!a) continue;
      // The use's own scope: the assignment must come first (a later one leaves the name unbound there).
      if (scope === (scopes[0] ?? -1) && a.startIndex > id.startIndex) return { why: `\`${id.text}\` is assigned only after this use (line ${a.startPosition.row + 1})` };
      let guard = this.guards.get(a.startIndex);
      if (guard === undefined) this.guards.set(a.startIndex, (guard = guardingBlock(a)));
      if (guard && !(guard.block.startIndex <= id.startIndex && id.endIndex <= guard.block.endIndex)) return { why: `\`${id.text}\` is assigned inside ${guard.what} (line ${a.startPosition.row + 1}) that does not hold this use, so it may be unbound or another value here` };
      return { bound: a.childForFieldName('right')! };
    }
    return { why: `\`${id.text}\` is not assigned in this file` };
  }
}

/** The names a binding target binds: `q`, `a, b`, `(a, [b, *c])`. */
function targets(n: PyNode | null | undefined): PyNode[] {
  if (!n) return [];
  if (n.type === 'identifier') return [n];
  if (/^(pattern_list|tuple_pattern|list_pattern|tuple|list|parenthesized_expression|list_splat_pattern|as_pattern_target)$/.test(n.type)) return named(n).flatMap(targets);
  return [];
}

/** The names one parameter binds: `x`, `x=1`, `x: int`, `*args`, `**kw`. */
function paramNames(p: PyNode): PyNode[] {
  if (p.type === 'identifier') return [p];
  const name = p.childForFieldName('name');
  if (name?.type === 'identifier') return [name];
  const first = named(p)[0];
  return first?.type === 'identifier' ? [first] : first ? paramNames(first) : [];
}

/** Blocks a name may be assigned in without running before what follows: the statement and the word a message uses. */
const GUARDS: Record<string, string> = {
  if_statement: 'an `if`',
  elif_clause: 'an `elif`',
  else_clause: 'an `else`',
  for_statement: 'a `for` loop',
  while_statement: 'a `while` loop',
  try_statement: 'a `try`',
  except_clause: 'an `except`',
  finally_clause: 'a `finally`',
  case_clause: 'a `case`',
};

/**
 * The innermost `if`/loop/`try`/`case` block around an assignment, up to its function or the
 * module (a `with` or class body is passed through: it runs), or null when there is none.
 */
function guardingBlock(a: PyNode): { block: { startIndex: number; endIndex: number }; what: string } | null {
  for (let p = a.parent; p && p.type !== 'function_definition' && p.type !== 'module' && p.type !== 'lambda'; p = p.parent) {
    if (p.type !== 'block') continue;
    const owner = p.parent;
    const what = owner ? GUARDS[owner.type] : undefined;
    if (what) return { block: { startIndex: p.startIndex, endIndex: p.endIndex }, what };
  }
  return null;
}


const MAX_DEPTH = 8;

/** `text(...)` of SQLAlchemy (`sa.text`, `sqlalchemy.text`, `text`). */
export function textCallArg(n: PyNode): PyNode | null {
  if (n.type !== 'call') return null;
  const fn = n.childForFieldName('function')?.text ?? '';
  if (!/^(?:(?:sa|sqlalchemy|sql|sqlalchemy\.sql)\.)?text$/.test(fn)) return null;
  return positional(n)[0] ?? null;
}

const POSITIONAL = nodeMemo<readonly PyNode[]>();
const KEYWORDS = nodeMemo<ReadonlyMap<string, PyNode>>();

/** The positional arguments of a call. Shared per call node: do not change it. */
export function positional(call: PyNode): readonly PyNode[] {
  return perNode(POSITIONAL, call, (c) => {
    const args = c.childForFieldName('arguments');
    return args ? named(args).filter((a) => a.type !== 'keyword_argument' && a.type !== 'list_splat' && a.type !== 'dictionary_splat') : [];
  });
}

/** The keyword arguments of a call, by name. Shared per call node: do not change it. */
export function keywords(call: PyNode): ReadonlyMap<string, PyNode> {
  return perNode(KEYWORDS, call, (c) => {
    const out = new Map<string, PyNode>();
    const args = c.childForFieldName('arguments');
    for (const a of args ? named(args) : []) {
      if (a.type !== 'keyword_argument') continue;
      const k = a.childForFieldName('name');
      const v = a.childForFieldName('value');
      if (k && v) out.set(k.text, v);
    }
    return out;
  });
}

/** Strips parentheses around an expression. */
export function unparen(n: PyNode): PyNode {
  let cur = n;
  while (cur.type === 'parenthesized_expression') {
    const inner = named(cur)[0];
    if (!inner) break;
    cur = inner;
  }
  return cur;
}

interface State {
  interpolated: boolean;
}

/**
 * The SQL source of a string-valued expression, or null when it holds no string literal
 * at all (a call, a name bound elsewhere): the caller reports that as not analysed.
 * `bindParams`: the text is `text()` SQL (`:name` is SQLAlchemy's bind parameter) or is
 * sent with driver parameters (`%s`, `%(name)s` are psycopg's).
 */
export function sqlSourceOf(expr: PyNode, bindings: Bindings, bindParams: 'text' | 'driver' | null = null): SqlSource | null {
  const pieces: Piece[] = [];
  const state: State = { interpolated: false };
  if (!collect(expr, bindings, 0, pieces, state)) return null;
  let out = pieces;
  if (bindParams === 'text') out = splitRaw(out, /(?<![:\w\\]):([A-Za-z_]\w*)/g, (m) => ({ expr: m[0] }), state);
  if (bindParams === 'driver') out = percentParams(out, null, state);
  return { pieces: out, interpolated: state.interpolated, origin: state.interpolated ? 'template' : 'literal', span: { start: expr.startIndex, end: expr.endIndex } };
}

function collect(node: PyNode, bindings: Bindings, depth: number, out: Piece[], state: State): boolean {
  if (depth > MAX_DEPTH) return false;
  const n = unparen(node);
  switch (n.type) {
    case 'string':
      out.push(...stringPieces(n, state, bindings, depth));
      return true;
    case 'concatenated_string':
      for (const s of named(n)) if (s.type === 'string') out.push(...stringPieces(s, state, bindings, depth));
      return true;
    case 'identifier': {
      const bound = bindings.resolve(n);
      return bound ? collect(bound, bindings, depth + 1, out, state) : false;
    }
    case 'call': {
      const inner = textCallArg(n);
      if (inner) return collect(inner, bindings, depth + 1, out, state);
      return formatCall(n, bindings, depth, out, state);
    }
    case 'binary_operator': {
      const op = n.childForFieldName('operator')?.type;
      const left = n.childForFieldName('left');
      const right = n.childForFieldName('right');
      if (!left || !right) return false;
      if (op === '+') {
        const l: Piece[] = [];
        const r: Piece[] = [];
        const okL = collect(left, bindings, depth + 1, l, state);
        const okR = collect(right, bindings, depth + 1, r, state);
        if (!okL && !okR) return false;
        out.push(...(okL ? l : [placeholder(left, state)]), ...(okR ? r : [placeholder(right, state)]));
        return true;
      }
      if (op === '%') {
        const l: Piece[] = [];
        if (!collect(left, bindings, depth + 1, l, state)) return false;
        out.push(...percentParams(l, right, state));
        return true;
      }
      return false;
    }
    default:
      return false;
  }
}

function placeholder(n: PyNode, state: State): Piece {
  state.interpolated = true;
  return { kind: 'placeholder', from: n.startIndex, to: n.endIndex, expr: n.text };
}

/**
 * The pieces of one literal: its content with escapes decoded, f-string fields as placeholders,
 * but a field that is only a name bound to a string without placeholders (`f"ALTER TABLE {TABLE} ..."`
 * after `TABLE = "users"`) as that string's pieces.
 */
function stringPieces(s: PyNode, state: State, bindings: Bindings, depth: number): Piece[] {
  const start = kids(s).find((c) => c.type === 'string_start');
  const prefix = (start?.text ?? '').replace(/['"]+$/, '').toLowerCase();
  const raw = prefix.includes('r');
  const triple = /("""|''')$/.test(start?.text ?? '');
  const out: Piece[] = [];
  for (const c of kids(s)) {
    if (c.type === 'string_content') out.push(...contentPieces(c, raw, triple));
    else if (c.type === 'interpolation') {
      const e = c.childForFieldName('expression');
      const constant = e?.type === 'identifier' && !kids(c).some((k) => k.type === 'type_conversion' || k.type === 'format_specifier') ? constantPieces(e, bindings, depth) : null;
      if (constant) {
        out.push(...constant);
        continue;
      }
      state.interpolated = true;
      out.push({ kind: 'placeholder', from: c.startIndex, to: c.endIndex, expr: e?.text ?? c.text });
    }
  }
  return out;
}

/** The pieces of a name bound to a string that holds no placeholder, or null. */
function constantPieces(id: PyNode, bindings: Bindings, depth: number): Piece[] | null {
  const pieces: Piece[] = [];
  const inner: State = { interpolated: false };
  return collect(id, bindings, depth + 1, pieces, inner) && !inner.interpolated ? pieces : null;
}

function contentPieces(c: PyNode, raw: boolean, triple: boolean): Piece[] {
  const text = c.text;
  const base = c.startIndex;
  const out: Piece[] = [];
  let i = 0;
  const pushRaw = (to: number) => {
    // Python reads a CRLF inside a literal as LF (universal newlines when the source is read).
    let from = i;
    for (let k = i; k < to; k++) {
      if (triple && text[k] === '\r') {
        if (k > from) out.push({ kind: 'raw', text: text.slice(from, k), from: base + from });
        const crlf = text[k + 1] === '\n' ? 2 : 1;
        out.push({ kind: 'escape', text: '\n', from: base + k, to: base + k + crlf });
        k += crlf - 1;
        from = k + 1;
      }
    }
    if (to > from) out.push({ kind: 'raw', text: text.slice(from, to), from: base + from });
    i = to;
  };
  for (const e of kids(c)) {
    const s = e.startIndex - base;
    const end = e.endIndex - base;
    const decoded = e.type === 'escape_interpolation' ? e.text[0]! : e.type === 'escape_sequence' && !raw ? decodeEscape(e.text) : null;
    if (decoded === null) continue;
    pushRaw(s);
    if (decoded === undefined) out.push({ kind: 'placeholder', from: base + s, to: base + end, expr: e.text });
    else out.push({ kind: 'escape', text: decoded, from: base + s, to: base + end });
    i = end;
  }
  pushRaw(text.length);
  return out;
}

const SIMPLE: Record<string, string> = { '\\': '\\', "'": "'", '"': '"', a: '\x07', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v', '\n': '', '\r': '', '\r\n': '' };

/** The text a Python escape sequence stands for; undefined for `\N{name}` (not decoded: a placeholder). */
function decodeEscape(e: string): string | undefined {
  const body = e.slice(1);
  if (body in SIMPLE) return SIMPLE[body]!;
  if (/^[0-7]{1,3}$/.test(body)) return String.fromCharCode(parseInt(body, 8));
  const hex = /^(?:x([0-9a-fA-F]{2})|u([0-9a-fA-F]{4})|U([0-9a-fA-F]{8}))$/.exec(body);
  if (hex) {
    const cp = parseInt(hex[1] ?? hex[2] ?? hex[3]!, 16);
    return cp <= 0x10ffff ? String.fromCodePoint(cp) : e;
  }
  if (body.startsWith('N{')) return undefined;
  return e; // an unknown escape keeps its backslash, as Python does
}

/**
 * Splits the raw pieces at each match of `re`, a placeholder in its place; `%%`-like
 * literal escapes come back through `escape`.
 */
function splitRaw(pieces: Piece[], re: RegExp, make: (m: RegExpExecArray) => { expr: string } | { escape: string }, state: State): Piece[] {
  const out: Piece[] = [];
  for (const p of pieces) {
    if (p.kind !== 'raw') {
      out.push(p);
      continue;
    }
    let last = 0;
    re.lastIndex = 0;
    for (let m = re.exec(p.text); m; m = re.exec(p.text)) {
      if (m.index > last) out.push({ kind: 'raw', text: p.text.slice(last, m.index), from: p.from + last });
      const r = make(m);
      const from = p.from + m.index;
      const to = from + m[0].length;
      if ('escape' in r) out.push({ kind: 'escape', text: r.escape, from, to });
      else {
        state.interpolated = true;
        out.push({ kind: 'placeholder', from, to, expr: r.expr });
      }
      last = m.index + m[0].length;
    }
    if (last < p.text.length) out.push({ kind: 'raw', text: p.text.slice(last), from: p.from + last });
  }
  return out;
}

/** `%`-formatting: `%s`/`%d`/`%r`, `%(name)s` become the values given (their text), `%%` is `%`. */
function percentParams(pieces: Piece[], args: PyNode | null, state: State): Piece[] {
  const a = args ? unparen(args) : null;
  const items = a?.type === 'tuple' ? named(a) : a ? [a] : [];
  const dict = new Map<string, string>();
  if (a?.type === 'dictionary') {
    for (const pair of named(a)) {
      const k = pair.childForFieldName('key');
      const v = pair.childForFieldName('value');
      if (k && v) dict.set(k.text.replace(/^['"]|['"]$/g, ''), v.text);
    }
  }
  let k = 0;
  return splitRaw(
    pieces,
    /%%|%\(([A-Za-z_]\w*)\)[-#0 +]*\d*(?:\.\d+)?[sdrifgex]|%[-#0 +]*\d*(?:\.\d+)?[sdrifgex]/g,
    (m) => {
      if (m[0] === '%%') return { escape: '%' };
      if (m[1] !== undefined) return { expr: dict.get(m[1]) ?? `${a?.text ?? 'params'}[${m[1]}]` };
      const item = items[k++];
      return { expr: a?.type === 'tuple' ? (item?.text ?? `${a.text}[${k - 1}]`) : (a?.text ?? `params[${k - 1}]`) };
    },
    state,
  );
}

/** `"...{}...".format(a, b=...)`: each field becomes the argument it names; `{{`/`}}` are braces. */
function formatCall(call: PyNode, bindings: Bindings, depth: number, out: Piece[], state: State): boolean {
  const fn = call.childForFieldName('function');
  if (fn?.type !== 'attribute' || fn.childForFieldName('attribute')?.text !== 'format') return false;
  const object = fn.childForFieldName('object');
  const pieces: Piece[] = [];
  if (!object || !collect(object, bindings, depth + 1, pieces, state)) return false;
  const pos = positional(call);
  const kw = keywords(call);
  let auto = 0;
  out.push(
    ...splitRaw(
      pieces,
      /\{\{|\}\}|\{([^{}!:]*)(?:![rsa])?(?::[^{}]*)?\}/g,
      (m) => {
        if (m[0] === '{{') return { escape: '{' };
        if (m[0] === '}}') return { escape: '}' };
        const key = m[1]!.trim();
        const arg = key === '' ? pos[auto++] : /^\d+$/.test(key) ? pos[Number(key)] : kw.get(key.split(/[.[]/)[0]!);
        return { expr: arg?.text ?? (key || `{${auto - 1}}`) };
      },
      state,
    ),
  );
  return true;
}
