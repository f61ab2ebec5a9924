/**
 * knex's query builder (`knex('t').where(...).update({...})`) on the migration's knex or a
 * transaction made from it, as the statement knex's pg dialect compiles (knex
 * lib/query/querycompiler.js and lib/dialects/postgres/query/pg-querycompiler.js): `update`,
 * `del`/`delete`, `insert`, `increment`/`decrement`, `truncate`, with the `where` family.
 * Values are written as in dml-builders.ts (literals inline, others `$n`), the form
 * `.toString()` shows. A chain this cannot read (a callback or subquery where, a dynamic
 * table, a method it does not model) is reported as not analysed. Chains that do not write
 * (selects) are left alone.
 */
import type { CallExpression } from 'ts-morph';
import { Node } from './morph.js';
import { chainDown, isOutermost, type Link } from './chains.js';
import { ident, isHandle, SqlValues, translated, Unreadable } from './dml-builders.js';
import { notTranslated } from './sqlgen.js';
import { isCallback } from './transactions.js';
import type { BuiltSql, Env } from './types.js';

const VERBS = new Set(['update', 'increment', 'decrement', 'del', 'delete', 'insert', 'truncate']);
/** Links that do not change the statement (how it runs, what happens with the result). */
const PASSIVE = new Set(['then', 'catch', 'finally', 'transacting', 'timeout', 'connection', 'options', 'debug', 'on']);
const TABLE = new Set(['table', 'from', 'into']);

/** `knex.raw('sql', [bindings])` and `knex.fn.now()` as SQL, or null for other nodes. */
function fragment(n: Node, v: SqlValues): string | null {
  if (!Node.isCallExpression(n)) return null;
  const callee = n.getExpression();
  if (!Node.isPropertyAccessExpression(callee)) return null;
  const method = callee.getName();
  if (method === 'now' && /\.fn$/.test(callee.getExpression().getText())) return 'CURRENT_TIMESTAMP';
  if (method === 'raw' && isHandle(callee.getExpression(), v.env)) {
    return v.rawSql(n, 'a `raw(...)` fragment whose SQL is not a literal');
  }
  // A query builder on the handle as a value: a subquery.
  let root: Node = n;
  while (Node.isCallExpression(root) || Node.isPropertyAccessExpression(root)) root = root.getExpression();
  if (isHandle(root, v.env)) return `(${selectSql(n, v)})`;
  return null;
}

/**
 * A select subquery (`knex('t').select('id').whereNull('x').limit(1000)`) as knex compiles it:
 * columns, the where family, `orderBy` and `limit`; anything else throws `Unreadable`.
 */
function selectSql(n: CallExpression, v: SqlValues): string {
  const { links, base } = chainDown(n);
  let tableArg = Node.isCallExpression(base) ? base.getArguments()[0] : undefined;
  const columns: string[] = [];
  const wheres: Where[] = [];
  let order = '';
  let limit = '';
  for (const l of links) {
    if (TABLE.has(l.method)) tableArg = l.args[0];
    else if (l.method === 'select' || l.method === 'column') {
      for (const a of l.args) for (const c of v.array(a) ?? [a]) columns.push(ident(v.str(c) ?? throwUnreadable('a subquery column that is not a literal')));
    } else if (l.method === 'orderBy') {
      const dir = v.str(l.args[1]);
      order = ` order by ${ident(v.str(l.args[0]) ?? throwUnreadable('a subquery `orderBy(...)`'))}${dir && /^(asc|desc)$/i.test(dir) ? ` ${dir.toLowerCase()}` : ' asc'}`;
    } else if (l.method === 'limit') limit = ` limit ${v.sql(l.args[0])}`;
    else {
      const w = whereSql(l, v);
      if (!w) throw new Unreadable(`\`${l.method}(...)\` in a subquery`);
      wheres.push(w);
    }
  }
  const table = v.str(tableArg);
  if (table === null) throw new Unreadable('a subquery whose table is not a literal');
  return `select ${columns.length ? columns.join(', ') : '*'} from ${ident(table)}${whereClause(wheres)}${order}${limit}`;
}

/** knex's `where ...` clause of the where links, or '' when there are none. */
function whereClause(wheres: Where[]): string {
  return wheres.length ? ` where ${wheres.map((w, i) => (i ? `${w.bool} ${w.sql}` : w.sql)).join(' ')}` : '';
}

interface Where {
  bool: 'and' | 'or';
  sql: string;
}

/** One `where...` link as SQL (knex's `where()` compilation), or null when the link is not a where. */
function whereSql(l: Link, v: SqlValues): Where | null {
  const m = /^(or|and)?(where)(Not)?(.*)$/i.exec(l.method);
  if (!m || m[2] !== (m[1] ? 'Where' : 'where')) return null;
  const bool = m[1] === 'or' ? 'or' : 'and';
  let not = !!m[3];
  let kind = m[4]!;
  if (!m[3] && /^Not(In|Null|Between|Like|ILike)$/.test(kind)) {
    not = true;
    kind = kind.slice(3);
  }
  const [a, b, c] = l.args;
  const col = (e: Node | undefined) => {
    const s = v.str(e);
    if (s === null) throw new Unreadable(`a column of \`${l.method}(...)\` that is not a literal`);
    return ident(s);
  };
  const neg = (s: string) => (not ? `not ${s}` : s);
  const list = (e: Node | undefined) => {
    const items = v.array(e);
    if (items && !items.length) return null;
    if (items) return `(${items.map((x) => v.sql(x)).join(', ')})`;
    const one = v.sql(e);
    return one.startsWith('(select ') ? one : `(${one})`;
  };
  const inList = (column: Node | undefined, values: Node | undefined): string => {
    const items = list(values);
    // knex turns an empty list into `where(false)` (`1 = 0`), or `1 = 1` negated.
    if (items === null) return not ? '1 = 1' : '1 = 0';
    return `${col(column)} ${not ? 'not in' : 'in'} ${items}`;
  };
  const sql = ((): string => {
    switch (kind) {
      case '': {
        if (!a) throw new Unreadable(`\`${l.method}()\` without arguments`);
        const obj = v.record(a);
        if (obj && l.args.length === 1) {
          const parts = [...obj].map(([k, val]) => neg(v.isNull(val) ? `${ident(k)} is null` : `${ident(k)} = ${v.sql(val)}`));
          // `orWhere({...})` wraps its pairs in parentheses; `where({...})` adds them one by one.
          return bool === 'or' ? `(${parts.join(' and ')})` : parts.join(' and ');
        }
        if (l.args.length === 1) {
          const raw = fragment(v.resolve(a), v);
          if (raw !== null) return neg(raw);
          throw new Unreadable(isCallback(a) ? 'a callback `where`' : `the argument of \`${l.method}(...)\``);
        }
        if (l.args.length === 2) return v.isNull(b) ? `${col(a)} is ${not ? 'not null' : 'null'}` : neg(`${col(a)} = ${v.sql(b)}`);
        const op = v.str(b)?.toLowerCase().trim();
        if (!op) throw new Unreadable(`the operator of \`${l.method}(...)\``);
        if (op === 'in' || op === 'not in') {
          not = not !== (op === 'not in');
          return inList(a, c);
        }
        if (op === 'between' || op === 'not between') {
          not = not !== (op === 'not between');
          return between(a, c);
        }
        if (v.isNull(c) && (op === 'is' || op === 'is not')) return `${col(a)} is ${(op === 'is not') !== not ? 'not null' : 'null'}`;
        return neg(`${col(a)} ${op} ${v.sql(c)}`);
      }
      case 'In':
        return inList(a, b);
      case 'Null':
        return `${col(a)} is ${not ? 'not null' : 'null'}`;
      case 'Between':
        return between(a, b);
      case 'Like':
      case 'ILike':
        return `${col(a)} ${not ? 'not ' : ''}${kind.toLowerCase()} ${v.sql(b)}`;
      case 'Raw': {
        return neg(v.rawSql(l.call, `\`${l.method}(...)\` whose SQL is not a literal`));
      }
      default:
        throw new Unreadable(`\`${l.method}(...)\``);
    }
  })();
  function between(column: Node | undefined, range: Node | undefined): string {
    const items = v.array(range);
    if (!items || items.length !== 2) throw new Unreadable(`the range of \`${l.method}(...)\``);
    return `${col(column)} ${not ? 'not between' : 'between'} ${v.sql(items[0])} and ${v.sql(items[1])}`;
  }
  return { bool, sql };
}

/** The `set` list of knex's `_prepUpdate`: the update's columns, then the counters (`"c" = "c" + n`). */
function setList(links: Link[], v: SqlValues): string[] {
  const data = new Map<string, string>();
  const counters = new Map<string, string>();
  for (const l of links) {
    if (l.method === 'update') {
      const [a, b] = l.args;
      const column = v.str(a);
      if (column !== null) data.set(column, v.sql(b));
      else {
        const o = v.record(a);
        if (!o) throw new Unreadable('the values of `update(...)`');
        for (const [k, val] of o) data.set(k, v.sql(val));
      }
    } else if (l.method === 'increment' || l.method === 'decrement') {
      const sign = l.method === 'increment' ? 1 : -1;
      const o = v.record(l.args[0]);
      const pairs: [string, Node | undefined][] = o ? [...o] : [[v.str(l.args[0]) ?? '', l.args[1]]];
      for (const [k, amount] of pairs) {
        if (!k) throw new Unreadable(`the column of \`${l.method}(...)\``);
        const n = amount ? v.num(amount) : 1;
        const delta = n === null ? null : n * sign;
        const text = delta === null ? `${sign < 0 ? '- ' : '+ '}${v.param(amount!)}` : `${delta < 0 ? '-' : '+'} ${Math.abs(delta)}`;
        counters.set(k, `${ident(k)} ${text}`);
      }
    }
  }
  for (const [k, expr] of counters) if (!data.has(k)) data.set(k, expr);
  if (!data.size) throw new Unreadable('an `update(...)` without values');
  return [...data].map(([k, val]) => `${ident(k)} = ${val}`);
}

/** `insert(...)` values (knex's `_prepInsert`: the columns of all rows, sorted; a missing value is `DEFAULT`). */
function insertBody(arg: Node | undefined, v: SqlValues): string {
  return v.rows(arg, 'the rows of `insert(...)`', { sort: true, values: 'values', missing: 'DEFAULT' }) ?? 'default values';
}

/**
 * The statement a knex query-builder chain ending at `call` sends, or null when `call` is
 * not the outermost call of a writing chain on the migration's knex (or a transaction).
 */
export function knexDml(call: CallExpression, env: Env): BuiltSql[] | null {
  if (!isOutermost(call)) return null;
  const { links, base } = chainDown(call);
  let tableArg: Node | undefined;
  if (Node.isCallExpression(base)) {
    if (!isHandle(base.getExpression(), env)) return null;
    tableArg = base.getArguments()[0];
  } else if (!isHandle(base, env)) return null;
  if (links.some((l) => l.method === 'upsert')) {
    return notTranslated(call, 'knex\'s pg dialect refuses to compile `upsert(...)` ("Upsert is not yet supported for dialect postgresql"), so this query fails when it runs', 'Write `insert(...).onConflict(...).merge()` instead.');
  }
  const verbLink = links.find((l) => VERBS.has(l.method));
  if (!verbLink) return null;
  const v = new SqlValues(env, fragment);
  const why = (what: string) => notTranslated(call, `miglint cannot translate ${what} in this knex query`, 'Write the statement with `knex.raw(...)` (literal SQL, values as bindings) so miglint can check it.');
  return translated(call, v, () => {
    let schema: string | null = null;
    const wheres: Where[] = [];
    let returning: string | null = null;
    let conflict = '';
    let limited = false;
    for (const l of links) {
      if (l.method === 'withSchema') schema = v.str(l.args[0]) ?? throwUnreadable('a schema name that is not a literal');
      else if (TABLE.has(l.method)) tableArg = l.args[0];
      else if (l.method === 'returning') returning = (v.array(l.args[0]) ?? [l.args[0]]).map((c) => ident(v.str(c) ?? throwUnreadable('a `returning(...)` column that is not a literal'))).join(', ');
      else if (l.method === 'limit') limited = true;
      else if (l.method === 'onConflict') conflict = ` on conflict ${l.args[0] ? `(${(v.array(l.args[0]) ?? [l.args[0]]).map((c) => ident(v.str(c) ?? throwUnreadable('an `onConflict(...)` column'))).join(', ')})` : ''}`;
      else if (l.method === 'ignore') conflict += ' do nothing';
      else if (l.method === 'merge') conflict += ` do update set ${mergeSet(l, links, v)}`;
      else if (VERBS.has(l.method) || PASSIVE.has(l.method)) continue;
      else {
        const w = whereSql(l, v);
        if (!w) throw new Unreadable(`\`${l.method}(...)\``);
        wheres.push(w);
      }
    }
    if (tableArg === undefined) throw new Unreadable('a query without a table');
    const tableName = v.str(tableArg);
    if (tableName === null) throw new Unreadable('a table name that is not a literal (a variable, an alias object)');
    const table = ident(schema ? `${schema}.${tableName}` : tableName);
    const where = whereClause(wheres);
    const ret = returning ? ` returning ${returning}` : '';
    let sql: string;
    switch (verbLink.method) {
      case 'update':
      case 'increment':
      case 'decrement':
        // knex's pg update compiles no LIMIT: `.limit()` on an update is dropped, the update is not batched.
        sql = `update ${table} set ${setList(links, v).join(', ')}${where}${ret}`;
        break;
      case 'del':
      case 'delete':
        if (limited) {
          return notTranslated(call, 'knex refuses to compile a delete with `.limit()` ("`limit` has no effect on a `delete` statement"), so this query fails when it runs', 'Bound the delete with a key range or `whereIn(\'id\', subquery.limit(n))`.');
        }
        sql = `delete from ${table}${where}${ret}`;
        break;
      case 'insert':
        // A where on an insert is the `do update ... where` of `onConflict(...).merge()` (knex ignores it otherwise).
        if (wheres.length && !conflict.includes(' do update ')) throw new Unreadable('a `where` on an insert without `onConflict(...).merge()`');
        sql = `insert into ${table} ${insertBody(verbLink.args[0], v)}${conflict}${conflict.includes(' do update ') ? where : ''}${ret}`;
        break;
      default:
        sql = `truncate ${table} restart identity`;
    }
    return sql;
  }, why);
}

function throwUnreadable(what: string): never {
  throw new Unreadable(what);
}

/** `merge()` (every inserted column from `excluded`), `merge(['a'])`, or `merge({ a: 1 })`. */
function mergeSet(l: Link, links: Link[], v: SqlValues): string {
  const arg = l.args[0];
  const o = arg ? v.record(arg) : null;
  if (o) return v.assignments(o).join(', ');
  const listed = arg ? v.array(arg) : null;
  if (arg && !listed) throw new Unreadable('the columns of `merge(...)`');
  let columns: string[];
  if (listed) columns = listed.map((c) => v.str(c) ?? throwUnreadable('a `merge(...)` column'));
  else {
    const rows = links.find((x) => x.method === 'insert')?.args[0];
    columns = [...new Set((v.array(rows) ?? [rows]).flatMap((r) => [...(v.record(r)?.keys() ?? [])]))].sort();
  }
  return columns.map((c) => `${ident(c)} = excluded.${ident(c)}`).join(', ');
}
