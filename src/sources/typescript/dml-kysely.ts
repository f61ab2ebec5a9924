/**
 * Kysely's data-change query builders on the migration's `db` or a transaction made from it
 * (`db.updateTable('t').set({...}).where('id', '=', 1).execute()`, `db.deleteFrom('t')...`,
 * `db.insertInto('t').values({...})...`), as the statement Kysely's PostgreSQL compiler
 * writes (kysely src/query-compiler/default-query-compiler.ts: `update "t" set "a" = $1
 * where ...`, successive `where` calls joined with `and`). Only chains that end in
 * `execute()` / `executeTakeFirst()` / `executeTakeFirstOrThrow()` run. Values are written
 * as in dml-builders.ts. A chain this cannot read (an expression-builder callback, a
 * subquery, a dynamic table, a method it does not model) is reported as not analysed.
 */
import type { CallExpression } from 'ts-morph';
import { Node } from './morph.js';
import { chainDown, isOutermost, type Link } from './chains.js';
import { ident, isHandle, SqlValues, translated, Unreadable } from './dml-builders.js';
import { unwrap } from './literals.js';
import { declarationOf } from './scopes.js';
import { notTranslated } from './sqlgen.js';
import { isCallback } from './transactions.js';
import type { BuiltSql, Env } from './types.js';

const VERBS = new Set(['updateTable', 'deleteFrom', 'insertInto']);
const RUNS = /^execute(TakeFirst(OrThrow)?)?$/;
/** Links that add a common table expression, and a write in one's query. */
const CTES = new Set(['with', 'withRecursive']);
const WRITES_IN = /\.\s*(updateTable|deleteFrom|insertInto|mergeInto)\s*\(/;

/** `` sql`now()` `` (a template without substitutions) as its SQL, or null for other nodes. */
function fragment(n: Node, v: SqlValues): string | null {
  if (Node.isTaggedTemplateExpression(n) && /^sql(<.*>)?$/.test(n.getTag().getText().replace(/\s+/g, ''))) {
    const s = v.str(n.getTemplate());
    if (s === null) throw new Unreadable('an `sql` template with substitutions');
    return s;
  }
  let root: Node = n;
  while (Node.isCallExpression(root) || Node.isPropertyAccessExpression(root)) root = root.getExpression();
  if (Node.isCallExpression(n) && isHandle(root, v.env)) throw new Unreadable('a subquery');
  return null;
}

const str = (v: SqlValues, e: Node | undefined, what: string): string => {
  const s = v.str(e);
  if (s === null) throw new Unreadable(what);
  return s;
};

/** One `where(...)` / `whereRef(...)` as SQL. */
function whereSql(l: Link, v: SqlValues): string {
  const [a, b, c] = l.args;
  if (l.args.length === 1) {
    const raw = a ? fragment(v.resolve(a), v) : null;
    if (raw !== null) return raw;
    throw new Unreadable(isCallback(a) ? 'an expression-builder callback' : `the argument of \`${l.method}(...)\``);
  }
  const col = ident(str(v, a, `a column of \`${l.method}(...)\` that is not a literal`));
  const op = str(v, b, `the operator of \`${l.method}(...)\``).toLowerCase().trim();
  if (l.method === 'whereRef') return `${col} ${op} ${ident(str(v, c, 'a `whereRef` column that is not a literal'))}`;
  if ((op === 'in' || op === 'not in') && c) {
    const items = v.array(c);
    if (items) return `${col} ${op} (${items.map((x) => v.sql(x)).join(', ')})`;
    // An `sql` fragment goes in as written (`sql\`(select ...)\``); an unknown list is one parameter.
    const one = v.sql(c);
    return `${col} ${op} ${one.startsWith('$') ? `(${one})` : one}`;
  }
  if ((op === 'is' || op === 'is not') && v.isNull(c)) return `${col} ${op} null`;
  return `${col} ${op} ${v.sql(c)}`;
}

/** The `set` list: `set({ a: 1 })` (also several calls) and `set('a', 1)`. */
function setList(links: Link[], v: SqlValues): string {
  const out: string[] = [];
  for (const l of links) {
    if (l.method !== 'set') continue;
    const [a, b] = l.args;
    if (l.args.length === 2) {
      out.push(`${ident(str(v, a, 'a `set` column that is not a literal'))} = ${v.sql(b)}`);
      continue;
    }
    const o = v.record(a);
    if (!o) throw new Unreadable(isCallback(a) ? 'an expression-builder callback in `set(...)`' : 'the values of `set(...)`');
    out.push(...v.assignments(o));
  }
  if (!out.length) throw new Unreadable('an update without `set(...)`');
  return out.join(', ');
}

/** `values(...)`: the columns in the order they first appear, a missing value `default`. */
function valuesBody(arg: Node | undefined, v: SqlValues): string {
  const rows = v.rows(arg, 'the rows of `values(...)`', { sort: false, values: 'values', missing: 'default' });
  return rows === null ? ' default values' : ` ${rows}`;
}

/** `onConflict((oc) => oc.column('a').doNothing())` / `.columns([...])` / `.constraint('c')`. */
function onConflict(l: Link, v: SqlValues): string {
  const cb = l.args[0];
  const body = cb && (Node.isArrowFunction(cb) || Node.isFunctionExpression(cb)) ? cb.getBody() : undefined;
  if (!body || !Node.isCallExpression(body)) throw new Unreadable('the `onConflict(...)` callback');
  const { links } = chainDown(body);
  let target = '';
  let action = '';
  for (const x of links) {
    if (x.method === 'column') target = ` (${ident(str(v, x.args[0], 'an `onConflict` column'))})`;
    else if (x.method === 'columns') target = ` (${(v.array(x.args[0]) ?? []).map((c) => ident(str(v, c, 'an `onConflict` column'))).join(', ')})`;
    else if (x.method === 'constraint') target = ` on constraint ${ident(str(v, x.args[0], 'an `onConflict` constraint'))}`;
    else if (x.method === 'doNothing') action = ' do nothing';
    else throw new Unreadable(`\`${x.method}(...)\` in the \`onConflict(...)\` callback`);
  }
  if (!action) throw new Unreadable('the `onConflict(...)` callback');
  return ` on conflict${target}${action}`;
}

/**
 * The links of the chain ending at `call` from the handle it starts on, also through consts
 * holding part of it (`const app = db.withSchema('app'); await app.updateTable(...)...`: Kysely's
 * builders are immutable, so the const's chain is exactly the start of this one); null when it
 * does not start on the migration's handle.
 */
function chainOnHandle(call: CallExpression, env: Env): { links: Link[]; base: Node } | null {
  let { links, base } = chainDown(call);
  for (let depth = 0; !isHandle(base, env); depth++) {
    const u = unwrap(base);
    const d = depth < 4 && Node.isIdentifier(u) ? declarationOf(u.getText(), u) : undefined;
    const init = d && Node.isVariableDeclaration(d) && d.getVariableStatement()?.getDeclarationKind() === 'const' ? d.getInitializer() : undefined;
    const inner = init ? unwrap(init) : undefined;
    if (!inner || !Node.isCallExpression(inner)) return null;
    const more = chainDown(inner);
    links = [...more.links, ...links];
    base = more.base;
  }
  return { links, base };
}

/**
 * The statement a Kysely data-change chain ending at `call` sends, or null when `call` is
 * not the outermost call of an executed update/delete/insert chain on the migration's handle.
 */
export function kyselyDml(call: CallExpression, env: Env): BuiltSql[] | null {
  if (!isOutermost(call)) return null;
  const { links, base } = chainOnHandle(call, env) ?? {};
  if (!links || !base) return null;
  if (!links.some((l) => RUNS.test(l.method))) return null;
  const verbAt = links.findIndex((l) => VERBS.has(l.method) || l.method === 'mergeInto');
  const before = verbAt < 0 ? links : links.slice(0, verbAt);
  // A write inside a CTE (`db.with('x', (qb) => qb.updateTable(...)...)`) runs whatever the outer query is.
  const cteWrites = before.some((l) => CTES.has(l.method) && l.args.some((a) => WRITES_IN.test(a.getText())));
  if (verbAt < 0 && !cteWrites) return null;
  const help = 'Write the statement with sql`...`.execute(db) so miglint can check it.';
  const other = before.find((l) => l.method !== 'withSchema');
  if (other) {
    const why = CTES.has(other.method)
      ? `miglint does not translate the \`${other.method}(...)\` common table expression of this Kysely query`
      : other.method === 'withPlugin'
        ? 'this Kysely query runs through `withPlugin(...)`, whose plugin may rewrite the names and values it sends'
        : `miglint does not translate \`${other.method}(...)\` before the verb of this Kysely query`;
    return notTranslated(call, why, help);
  }
  const verb = links[verbAt]!;
  if (verb.method === 'mergeInto') return notTranslated(call, "miglint does not translate Kysely's `mergeInto(...)` (a MERGE statement) into SQL", help);
  const v = new SqlValues(env, fragment);
  return translated(call, v, () => {
    const schemaLink = links.slice(0, verbAt).find((l) => l.method === 'withSchema');
    const schema = schemaLink ? str(v, schemaLink.args[0], 'a schema name that is not a literal') : null;
    const name = str(v, verb.args[0], 'a table name that is not a literal');
    const table = ident(schema && !name.includes('.') ? `${schema}.${name}` : name);
    // The values first, as Kysely numbers its parameters.
    const set = verb.method === 'updateTable' ? setList(links, v) : '';
    const wheres: string[] = [];
    let returning = '';
    let conflict = '';
    for (const l of links.slice(verbAt + 1)) {
      if (l.method === 'where' || l.method === 'whereRef') wheres.push(whereSql(l, v));
      else if (l.method === 'returning') returning = ` returning ${l.args.flatMap((a) => v.array(a) ?? [a]).map((c) => ident(str(v, c, 'a `returning` column that is not a literal'))).join(', ')}`;
      else if (l.method === 'returningAll') returning = ' returning *';
      else if (l.method === 'onConflict') conflict = onConflict(l, v);
      else if (l.method === 'limit' && verb.method !== 'insertInto') {
        return notTranslated(call, 'PostgreSQL has no LIMIT on UPDATE or DELETE: Kysely sends `limit` as written and the statement fails with a syntax error', 'Bound the statement with a key range, or `where(\'id\', \'in\', <select ... limit n>)`.');
      } else if (l.method === 'set' || l.method === 'values' || RUNS.test(l.method)) continue;
      else throw new Unreadable(`\`${l.method}(...)\``);
    }
    const where = wheres.length ? ` where ${wheres.join(' and ')}` : '';
    let sql: string;
    if (verb.method === 'updateTable') sql = `update ${table} set ${set}${where}${returning}`;
    else if (verb.method === 'deleteFrom') sql = `delete from ${table}${where}${returning}`;
    else sql = `insert into ${table}${valuesBody(links.find((l) => l.method === 'values')?.args[0], v)}${conflict}${returning}`;
    return sql;
  }, (what) => notTranslated(call, `miglint cannot translate ${what} in this Kysely query`, help));
}
