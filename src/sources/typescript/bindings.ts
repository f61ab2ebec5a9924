/**
 * Query placeholders that are not PostgreSQL's, replaced before the SQL is
 * parsed: knex's `?` (a value), `??` (an identifier) and named `:name` /
 * `:name:` bindings, when `raw` is called with bindings; Sequelize's `?` and
 * `:name` replacements and `$name` bind parameters (`$1` is PostgreSQL's own),
 * when the options carry `replacements` / `bind`; db-migrate's `?` when `runSql` is given parameters.
 *
 * Each placeholder becomes a piece of its own mapped to its source range (like
 * an escape sequence), so offsets around it stay exact and edits elsewhere in the
 * literal remain possible. A binding whose value is a literal in the call is
 * rendered as that value (`'web'`, `"leads"`); any other becomes the unit's
 * placeholder for the binding's expression (`$n`, or `"${expr}"` for a name).
 * Placeholders inside SQL string literals, quoted identifiers and comments are
 * left alone (they still count for positional bindings, as in knex).
 */
import { Node } from './morph.js';
import { stringValue, unwrap, type Piece, type SqlSource } from './literals.js';
import { literalSql, qname } from './sqlgen.js';
import type { Env } from './types.js';

type Style = 'knex' | 'sequelize';

interface Marker {
  /** Offset in the joined SQL text, and its length. */
  at: number;
  length: number;
  kind: 'value' | 'ident' | 'escaped';
  /** Position (for `?`) or name (for `:name`, `$name`). */
  key: number | string;
}

/** What a binding position or name holds: a node in the call, or only a description of where it comes from. */
type Lookup = (key: number | string) => { node: Node | null; text: string } | null;

/** The bindings of a `raw(sql, bindings)` / `query(sql, { replacements, bind })` call, or null when it passes none. */
export function bindingsOf(call: Node, method: string, env: Env): { style: Style; positional: Lookup | null; named: Lookup | null; bind: Lookup | null } | null {
  if (!Node.isCallExpression(call)) return null;
  // No second argument (and no bound `this` to skip), no bindings: no wrappers for the arguments of every one-argument query.
  if (method !== 'bind' && call.compilerNode.arguments.length < 2) return null;
  let args = call.getArguments();
  // The callee is read only for `bind` (no wrappers for it otherwise).
  const bound = method === 'bind' ? (() => {
    const callee = call.getExpression();
    return Node.isPropertyAccessExpression(callee) ? callee.getExpression() : null;
  })() : null;
  if (method === 'bind' && bound && Node.isPropertyAccessExpression(bound) && bound.getName() === 'runSql') {
    // db-migrate's `db.runSql.bind(db, sql, params)`: the bound `this` first.
    method = 'runSql';
    args = args.slice(1);
  }
  const second = args[1] ? unwrap(args[1]) : undefined;
  if (!second) return null;
  if (method === 'runSql') {
    // db-migrate's pg driver turns `?` into `$n` when runSql is given parameters (an array, or a value that is not the callback).
    if (Node.isArrowFunction(second) || Node.isFunctionExpression(second) || /^(cb|callback|done|next)$/.test(second.getText())) return null;
    return { style: 'knex', positional: Node.isArrayLiteralExpression(second) ? arrayLookup(second) : opaque(second), named: null, bind: null };
  }
  if (method === 'raw') {
    // knex: an array binds `?`/`??`; an object binds `:name`/`:name:`; anything else could be either.
    if (Node.isArrayLiteralExpression(second)) return { style: 'knex', positional: arrayLookup(second), named: null, bind: null };
    if (Node.isObjectLiteralExpression(second)) return { style: 'knex', positional: null, named: objectLookup(second), bind: null };
    return { style: 'knex', positional: opaque(second), named: opaque(second), bind: null };
  }
  if (method === 'query' && Node.isObjectLiteralExpression(second) && (env.framework === 'sequelize' || /sequelize$/i.test(call.getExpression().getText().replace(/\.query$/, '')))) {
    const prop = (name: string) => {
      const p = second.getProperty(name);
      if (p && Node.isPropertyAssignment(p)) return unwrap(p.getInitializer()!);
      if (p && Node.isShorthandPropertyAssignment(p)) return p.getNameNode();
      return undefined;
    };
    const replacements = prop('replacements');
    const bind = prop('bind');
    if (!replacements && !bind) return null;
    const lookups = (n: Node | undefined) => {
      if (!n) return { positional: null, named: null };
      if (Node.isArrayLiteralExpression(n)) return { positional: arrayLookup(n), named: null };
      if (Node.isObjectLiteralExpression(n)) return { positional: null, named: objectLookup(n) };
      return { positional: opaque(n), named: opaque(n) };
    };
    const r = lookups(replacements);
    const b = bind ? lookups(bind) : null;
    return { style: 'sequelize', positional: r.positional, named: r.named, bind: b ? (b.named ?? b.positional) : null };
  }
  return null;
}

function arrayLookup(arr: Node): Lookup {
  const elements = Node.isArrayLiteralExpression(arr) ? arr.getElements() : [];
  return (key) => {
    if (typeof key !== 'number') return null;
    const el = elements[key];
    return el ? { node: el, text: el.getText() } : { node: null, text: `${arr.getText()}[${key}]` };
  };
}

function objectLookup(obj: Node): Lookup {
  return (key) => {
    if (typeof key !== 'string' || !Node.isObjectLiteralExpression(obj)) return null;
    const p = obj.getProperty(key);
    if (p && Node.isPropertyAssignment(p)) return { node: p.getInitializer()!, text: p.getInitializer()!.getText() };
    if (p && Node.isShorthandPropertyAssignment(p)) return { node: p.getNameNode(), text: p.getName() };
    return null;
  };
}

/** Bindings held in a variable: every position or name is unknown but bound. */
function opaque(n: Node): Lookup {
  const base = n.getText();
  return (key) => ({ node: null, text: typeof key === 'number' ? `${base}[${key}]` : `${base}.${key}` });
}

/**
 * Finds the binding markers of `sql` outside string literals, quoted identifiers
 * and comments (and counts `?` inside them, as knex does).
 */
function markers(sql: string, style: Style, b: NonNullable<ReturnType<typeof bindingsOf>>): Marker[] {
  const out: Marker[] = [];
  let position = 0;
  let i = 0;
  const n = sql.length;
  while (i < n) {
    const c = sql[i]!;
    const next = sql[i + 1];
    // Skip what PostgreSQL's lexer treats as one token: strings, quoted names, comments.
    if (c === "'" || c === '"') {
      const escapes = c === "'" && /[eE]/.test(sql[i - 1] ?? '') && !/\w/.test(sql[i - 2] ?? '');
      let j = i + 1;
      while (j < n) {
        if (escapes && sql[j] === '\\') j += 2;
        else if (sql[j] === c && sql[j + 1] === c) j += 2;
        else if (sql[j] === c) break;
        else {
          if (b.positional && style === 'knex' && sql[j] === '?') position++;
          j++;
        }
      }
      i = j + 1;
      continue;
    }
    if (c === '-' && next === '-') {
      const end = sql.indexOf('\n', i);
      i = end < 0 ? n : end;
      continue;
    }
    if (c === '/' && next === '*') {
      let depth = 1;
      let j = i + 2;
      while (j < n && depth > 0) {
        if (sql[j] === '/' && sql[j + 1] === '*') (depth++, (j += 2));
        else if (sql[j] === '*' && sql[j + 1] === '/') (depth--, (j += 2));
        else j++;
      }
      i = j;
      continue;
    }
    if (c === '$') {
      const tag = /^\$([A-Za-z_][A-Za-z0-9_]*)?\$/.exec(sql.slice(i));
      if (tag && !/[\w$]/.test(sql[i - 1] ?? '')) {
        const close = sql.indexOf(tag[0], i + tag[0].length);
        i = close < 0 ? n : close + tag[0].length;
        continue;
      }
      const name = /^\$([A-Za-z_]\w*)/.exec(sql.slice(i));
      if (name && b.bind && !/[\w$]/.test(sql[i - 1] ?? '')) {
        out.push({ at: i, length: name[0].length, kind: 'value', key: name[1]! });
        i += name[0].length;
        continue;
      }
      i++;
      continue;
    }
    if (b.positional && c === '\\' && next === '?' && style === 'knex') {
      // knex: `\?` is a literal `?` (the jsonb operator).
      out.push({ at: i, length: 2, kind: 'escaped', key: -1 });
      i += 2;
      continue;
    }
    if (b.positional && c === '?') {
      if (style === 'knex' && next === '?') {
        out.push({ at: i, length: 2, kind: 'ident', key: position++ });
        i += 2;
      } else {
        out.push({ at: i, length: 1, kind: 'value', key: position++ });
        i++;
      }
      continue;
    }
    if (b.named && c === ':' && next !== ':' && sql[i - 1] !== ':') {
      const m = /^:([A-Za-z_]\w*)(:(?!:))?/.exec(sql.slice(i));
      if (m && b.named(m[1]!) && !/[\w\]]/.test(sql[i - 1] ?? '')) {
        const ident = style === 'knex' && m[2] !== undefined;
        const length = ident ? m[0].length : 1 + m[1]!.length;
        out.push({ at: i, length, kind: ident ? 'ident' : 'value', key: m[1]! });
        i += length;
        continue;
      }
    }
    i++;
  }
  return out;
}

/** A binding's value as SQL text: a literal in the call as itself, else the unit's placeholder. */
function valueSql(found: { node: Node | null; text: string } | null, kind: 'value' | 'ident', fallback: string, env: Env): string {
  const node = found?.node ? unwrap(found.node) : null;
  const text = found?.text ?? fallback;
  if (node) {
    const s = kind === 'ident' ? stringValue(node, env.consts) : literalSql(node, env.consts);
    if (s !== null) return kind === 'ident' ? qname(s) : s;
  }
  return kind === 'ident' ? env.placeholders.ident(text) : env.placeholders.param(text);
}

/**
 * The SQL source with the call's binding placeholders replaced, or `src` itself
 * when the call passes no bindings or the SQL holds none.
 */
export function applyBindings(src: SqlSource, call: Node, method: string, env: Env): SqlSource {
  const b = bindingsOf(call, method, env);
  if (!b) return src;
  // The joined text, and for each character the piece (and offset in it) it comes from.
  let sql = '';
  const owner: Array<{ piece: number; offset: number }> = [];
  src.pieces.forEach((p, k) => {
    const text = p.kind === 'placeholder' ? '\u0000' : p.text;
    for (let j = 0; j < text.length; j++) owner.push({ piece: k, offset: j });
    sql += text;
  });
  const isRaw = (i: number) => src.pieces[owner[i]!.piece]!.kind === 'raw';
  // knex's `\?` written in JavaScript as '\\?': the backslash is an escape piece of its own, which becomes a space.
  const spaced = new Set<number>();
  const found = markers(sql, b.style, b).filter((m) => {
    if (m.kind === 'escaped') {
      const back = owner[m.at]!;
      const piece = src.pieces[back.piece]!;
      if (piece.kind === 'escape' && piece.text === '\\') {
        spaced.add(back.piece);
        return false;
      }
    }
    // Other markers must lie inside one raw piece to map back exactly.
    const first = owner[m.at]!;
    const last = owner[m.at + m.length - 1]!;
    return isRaw(m.at) && first.piece === last.piece && last.offset - first.offset === m.length - 1;
  });
  if (!found.length && !spaced.size) return src;
  const pieces: Piece[] = [];
  src.pieces.forEach((p, k) => {
    if (spaced.has(k) && p.kind === 'escape') {
      pieces.push({ ...p, text: ' ' });
      return;
    }
    const own = found.filter((m) => owner[m.at]!.piece === k);
    if (p.kind !== 'raw' || !own.length) {
      pieces.push(p);
      return;
    }
    let from = 0;
    for (const m of own) {
      const local = owner[m.at]!.offset;
      if (local > from) pieces.push({ kind: 'raw', text: p.text.slice(from, local), from: p.from + from });
      let text: string;
      if (m.kind === 'escaped') text = ' ?';
      else {
        const lookup = sql[m.at] === '$' ? b.bind : typeof m.key === 'number' ? b.positional : b.named;
        text = valueSql(lookup ? lookup(m.key) : null, m.kind, sql.slice(m.at, m.at + m.length), env);
      }
      pieces.push({ kind: 'escape', text, from: p.from + local, to: p.from + local + m.length });
      from = local + m.length;
    }
    if (from < p.text.length) pieces.push({ kind: 'raw', text: p.text.slice(from), from: p.from + from });
  });
  return { ...src, pieces };
}
