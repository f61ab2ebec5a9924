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
import { kids, named, type PyNode } from './parse.js';

/**
 * Names bound exactly once in their scope (`NAME = <expr>`), for SQL passed by name. A name
 * assigned in a function is that function's local (Python's scoping: execution model, "Resolution
 * of names"), so `q = "..."` in `upgrade()` and another `q = "..."` in `downgrade()` are two
 * bindings; a name a function does not assign is looked up in the enclosing functions, then the module.
 */
export class Bindings {
  /** `<scope>:<name>` → its one expression; the scope is the enclosing function's start offset, -1 for the module. */
  private readonly once = new Map<string, PyNode>();
  private readonly many = new Set<string>();

  /** The functions' spans, by start: the scopes (innermost last among those containing an offset). */
  private readonly functions: { start: number; end: number }[];

  /**
   * @param all the assignments to read (other nodes are skipped);
   * @param functions the file's function definitions (their spans are the scopes; none: every name is the module's).
   */
  constructor(all: Iterable<PyNode>, functions: Iterable<PyNode> = []) {
    this.functions = [...functions].map((f) => ({ start: f.startIndex, end: f.endIndex })).sort((a, b) => a.start - b.start);
    for (const n of all) {
      if (n.type !== 'assignment') continue;
      const left = n.childForFieldName('left');
      const right = n.childForFieldName('right');
      if (left?.type !== 'identifier') continue;
      const key = `${this.scopeOf(n)[0] ?? -1}:${left.text}`;
      if (this.once.has(key) || this.many.has(key) || !right) {
        this.once.delete(key);
        this.many.add(key);
      } else this.once.set(key, right);
    }
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

  /** The expression the name `id` (an identifier where it is used) is bound to, when its scope binds it exactly once. */
  resolve(id: PyNode): PyNode | null {
    for (const scope of [...this.scopeOf(id), -1]) {
      const key = `${scope}:${id.text}`;
      if (this.many.has(key)) return null;
      const bound = this.once.get(key);
      if (bound) return bound;
    }
    return null;
  }
}


const MAX_DEPTH = 8;

/** `text(...)` of SQLAlchemy (`sa.text`, `sqlalchemy.text`, `text`). */
export function textCallArg(n: PyNode): PyNode | null {
  if (n.type !== 'call') return null;
  const fn = n.childForFieldName('function')?.text ?? '';
  if (!/^(?:(?:sa|sqlalchemy|sql|sqlalchemy\.sql)\.)?text$/.test(fn)) return null;
  return positional(n)[0] ?? null;
}

/** The positional arguments of a call. */
export function positional(call: PyNode): PyNode[] {
  const args = call.childForFieldName('arguments');
  return args ? named(args).filter((a) => a.type !== 'keyword_argument' && a.type !== 'list_splat' && a.type !== 'dictionary_splat') : [];
}

/** The keyword arguments of a call, by name. */
export function keywords(call: PyNode): Map<string, PyNode> {
  const out = new Map<string, PyNode>();
  const args = call.childForFieldName('arguments');
  for (const a of args ? named(args) : []) {
    if (a.type !== 'keyword_argument') continue;
    const k = a.childForFieldName('name');
    const v = a.childForFieldName('value');
    if (k && v) out.set(k.text, v);
  }
  return out;
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
      out.push(...stringPieces(n, state));
      return true;
    case 'concatenated_string':
      for (const s of named(n)) if (s.type === 'string') out.push(...stringPieces(s, state));
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

/** The pieces of one literal: its content with escapes decoded, f-string fields as placeholders. */
function stringPieces(s: PyNode, state: State): Piece[] {
  const start = kids(s).find((c) => c.type === 'string_start');
  const prefix = (start?.text ?? '').replace(/['"]+$/, '').toLowerCase();
  const raw = prefix.includes('r');
  const triple = /("""|''')$/.test(start?.text ?? '');
  const out: Piece[] = [];
  for (const c of kids(s)) {
    if (c.type === 'string_content') out.push(...contentPieces(c, raw, triple));
    else if (c.type === 'interpolation') {
      const e = c.childForFieldName('expression');
      state.interpolated = true;
      out.push({ kind: 'placeholder', from: c.startIndex, to: c.endIndex, expr: e?.text ?? c.text });
    }
  }
  return out;
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
