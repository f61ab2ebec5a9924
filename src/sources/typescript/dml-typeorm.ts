/**
 * TypeORM's data-change calls on the migration's query runner, as the statement TypeORM's
 * query builders write for PostgreSQL (typeorm src/entity-manager/EntityManager.ts,
 * src/query-builder/UpdateQueryBuilder.ts, QueryBuilder.ts, PostgresQueryRunner.clearTable):
 * - `queryRunner.manager.update(target, criteria, values)`, `.delete(target, criteria)`,
 *   `.updateAll(target, values)`, `.deleteAll(target)`, `.insert(target, values)`,
 *   `.increment/.decrement(target, criteria, column, n)` and `.clear(target)` (TRUNCATE TABLE):
 *   criteria an object (`{ id: 1, deletedAt: IsNull() }`, `In([...])`, `Not(...)`, ...) or ids
 *   (`whereInIds`: the primary column, taken to be `id`);
 * - `queryRunner.manager.createQueryBuilder().update(target).set({...}).where('sql', params)
 *   .andWhere(...).orWhere(...).execute()`, `.delete().from(target)`, `.insert().into(target).values(...)`;
 * - the same on a repository (`manager.getRepository(target).update(criteria, values)`,
 *   `.createQueryBuilder().update().set(...)`), on `queryRunner.connection`, on a const holding
 *   any of these, and on the manager a `manager.transaction(async (m) => ...)` callback gets.
 * Writes that depend on entity metadata or rows read at run time (`save`, `upsert`, `remove`,
 * `softDelete`, `softRemove`, `restore`, `recover`, `relation(...).add(...)`), and any write
 * through TypeORM's global `getRepository()` / `getManager()` / `getConnection()` (another
 * connection than the migration's), are reported as not analysed, with the reason. Reads
 * (`find`, `count`, a select builder) are not statements.
 * The target is a table only when it can be known: a string, or an entity class declared in
 * the file with `@Entity('name')` / `@Entity({ name })` (`@Entity()` alone: the class name in
 * snake_case, TypeORM's default naming). An imported entity class, or anything else this cannot
 * read, is reported as not analysed. Columns are written as the property names given (an
 * entity's `@Column({ name })` mapping is not read), values as in dml-builders.ts.
 */
import type { CallExpression } from 'ts-morph';
import { Node } from './morph.js';
import { chainDown, isOutermost, type Link } from './chains.js';
import { ident, SqlValues, translated, Unreadable } from './dml-builders.js';
import { unwrap } from './literals.js';
import { declarationOf } from './scopes.js';
import { isPhaseParam, methodCall, notTranslated } from './sqlgen.js';
import { isCallback } from './transactions.js';
import type { BuiltSql, Env } from './types.js';
import { FileMemo } from '../../core/file-memo.js';

const MANAGER_METHODS = new Set(['update', 'delete', 'updateAll', 'deleteAll', 'insert', 'increment', 'decrement', 'clear']);
/** Manager and repository methods that write but are not translated (they depend on entity metadata or on rows read at run time), and why. */
const UNMODELLED: Record<string, string> = {
  save: 'an INSERT or an UPDATE per entity, depending on whether its row exists when the migration runs',
  upsert: "an INSERT ... ON CONFLICT built from the entity's columns and unique keys",
  remove: 'a DELETE per loaded entity, by its primary key',
  softDelete: "an UPDATE of the entity's `@DeleteDateColumn`",
  softRemove: 'an UPDATE of the `@DeleteDateColumn` per loaded entity',
  restore: "an UPDATE that clears the entity's `@DeleteDateColumn`",
  recover: 'an UPDATE that clears the `@DeleteDateColumn` per loaded entity',
};
/** Query-builder verbs that write but are not translated, and why. */
const UNMODELLED_VERBS: Record<string, string> = {
  softDelete: UNMODELLED.softDelete!,
  restore: UNMODELLED.restore!,
};
/** RelationQueryBuilder's writes (`relation(User, 'roles').of(1).add(2)`): rows of a junction table or a foreign key. */
const RELATION_WRITES = new Set(['add', 'remove', 'set', 'addAndRemove']);
const OPERATORS: Record<string, string> = { LessThan: '<', LessThanOrEqual: '<=', MoreThan: '>', MoreThanOrEqual: '>=', Equal: '=', Like: 'LIKE', ILike: 'ILIKE' };
const HELP = 'Write the statement with `queryRunner.query(\'...\')` so miglint can check it.';

/**
 * What a receiver stands for: the migration's entity manager (`qr.manager`, `qr.connection`,
 * `qr.connection.manager`, a const holding one, the manager a `manager.transaction(async (m) => ...)`
 * callback is given), a repository of it (`manager.getRepository(Target)`, also through a const),
 * TypeORM's global default connection (`getRepository(X)`, `getManager()`, `getConnection()`
 * imported from typeorm: not the migration's query runner), or null.
 */
type Source = { kind: 'manager' } | { kind: 'repository'; target: Node | undefined } | { kind: 'global'; what: string };

function sourceOf(n: Node, env: Env, depth = 0): Source | null {
  const u = unwrap(n);
  if (depth > 4) return null;
  if (Node.isPropertyAccessExpression(u) && ['manager', 'connection'].includes(u.getName())) {
    const inner = unwrap(u.getExpression());
    if (isPhaseParam(inner, env)) return { kind: 'manager' };
    const outer = sourceOf(inner, env, depth + 1);
    return outer?.kind === 'repository' ? null : outer;
  }
  if (Node.isCallExpression(u)) {
    const callee = u.getExpression();
    if (Node.isIdentifier(callee) && /^get(Repository|Manager|Connection)$/.test(callee.getText()) && env.imports.some((i) => /^typeorm(\/|$)/.test(i))) {
      return { kind: 'global', what: `\`${callee.getText()}(...)\`` };
    }
    const mc = methodCall(u);
    if (mc?.method === 'getRepository') {
      const on = sourceOf(mc.receiver, env, depth + 1);
      if (on?.kind === 'manager') return { kind: 'repository', target: u.getArguments()[0] };
      return on?.kind === 'global' ? on : null;
    }
    return null;
  }
  if (!Node.isIdentifier(u)) return null;
  const d = declarationOf(u.getText(), u);
  if (d && Node.isVariableDeclaration(d) && d.getVariableStatement()?.getDeclarationKind() === 'const' && Node.isIdentifier(d.getNameNode())) {
    const first = d.getInitializer();
    let init: Node | undefined = first ? unwrap(first) : undefined;
    if (init && Node.isAwaitExpression(init)) init = init.getExpression();
    return init ? sourceOf(init, env, depth + 1) : null;
  }
  if (d && Node.isParameterDeclaration(d)) {
    // `manager.transaction(async (m) => ...)`, also `transaction('SERIALIZABLE', async (m) => ...)`.
    const fn = d.getParent();
    const call = fn?.getParent();
    if (!fn || !isCallback(fn) || (fn as never as { getParameters(): Node[] }).getParameters()[0] !== d || !call || !Node.isCallExpression(call)) return null;
    const mc = methodCall(call);
    if (mc?.method !== 'transaction' || !call.getArguments().includes(fn as never)) return null;
    const on = sourceOf(mc.receiver, env, depth + 1);
    return on?.kind === 'manager' || on?.kind === 'global' ? on : null;
  }
  return null;
}

/** `() => 'CURRENT_TIMESTAMP'` (TypeORM's raw value) as its SQL. */
function fragment(n: Node, v: SqlValues): string | null {
  if (Node.isArrowFunction(n) && n.getParameters().length === 0) {
    const s = v.str(n.getBody());
    if (s !== null) return s;
  }
  return null;
}

/** The table an entity target names (module comment), quoted; throws `Unreadable`. */
function tableOf(target: Node | undefined, v: SqlValues): string {
  const s = v.str(target);
  if (s !== null) return ident(s);
  const t = target ? unwrap(target) : undefined;
  const cls = t && Node.isIdentifier(t) ? v.env.sf.getClass(t.getText()) : undefined;
  const entity = cls?.getDecorator('Entity');
  if (!cls || !entity) throw new Unreadable('an entity target whose table is not known here (an imported entity class, a variable)');
  const [a] = entity.getArguments();
  const named = v.str(a) ?? v.str(v.record(a)?.get('name'));
  if (named !== null) {
    const schema = v.str(v.record(a)?.get('schema'));
    return ident(schema ? `${schema}.${named}` : named);
  }
  if (a && !v.record(a)?.size) throw new Unreadable('the `@Entity(...)` options of the target');
  return ident((cls.getName() ?? '').replace(/([a-z0-9])([A-Z])/g, '$1_$2').toLowerCase());
}

/** A criteria value: a literal, or a find operator (`IsNull()`, `In([...])`, `Not(...)`, `LessThan(x)`...). */
function condition(column: string, e: Node, v: SqlValues): string {
  const n = v.resolve(e);
  const c = ident(column);
  if (Node.isCallExpression(n) && Node.isIdentifier(n.getExpression())) {
    const op = n.getExpression().getText();
    const [a, b] = n.getArguments();
    if (op === 'IsNull') return `${c} IS NULL`;
    if (op === 'Not' && a) return `NOT(${condition(column, a, v)})`;
    if (op === 'In') {
      const items = v.array(a);
      if (items && !items.length) return '0=1';
      return `${c} IN (${items ? items.map((x) => v.sql(x)).join(', ') : v.sql(a)})`;
    }
    if (op === 'Between') return `${c} BETWEEN ${v.sql(a)} AND ${v.sql(b)}`;
    if (op === 'Any') return `${c} = ANY(${v.sql(a)})`;
    if (OPERATORS[op]) return `${c} ${OPERATORS[op]} ${v.sql(a)}`;
    if (/^[A-Z]/.test(op)) throw new Unreadable(`the find operator \`${op}(...)\``);
  }
  if (Node.isObjectLiteralExpression(n) || Node.isArrayLiteralExpression(n)) throw new Unreadable('criteria on a relation or an embedded entity');
  return v.isNull(n) ? `${c} IS NULL` : `${c} = ${v.sql(n)}`;
}

/** `criteria` as TypeORM's `where(object)` or `whereInIds(ids)`. */
function criteriaSql(e: Node | undefined, v: SqlValues): string {
  const o = v.record(e);
  if (o) {
    if (!o.size) throw new Unreadable('empty criteria (TypeORM rejects them)');
    const parts = [...o].map(([k, val]) => condition(k, val, v));
    return parts.length > 1 ? `(${parts.join(' AND ')})` : parts[0]!;
  }
  const items = v.array(e);
  if (items) return items.length === 1 ? `"id" = ${v.sql(items[0])}` : `"id" IN (${items.map((x) => v.sql(x)).join(', ')})`;
  if (!e) throw new Unreadable('missing criteria');
  // An id written as a literal; a variable may hold criteria of any shape.
  const n = v.resolve(e);
  if (!Node.isNumericLiteral(n) && v.str(n) === null) throw new Unreadable('criteria that are not a literal (an object, an id or an array of ids)');
  return `"id" = ${v.sql(n)}`;
}

/** The `SET` list of an object of values. */
function setList(e: Node | undefined, v: SqlValues): string {
  const o = v.record(e);
  if (!o || !o.size) throw new Unreadable('the values');
  return v.assignments(o).join(', ');
}

/** `INSERT` values: columns in the order the first row names them (TypeORM's, for a target without metadata). */
function insertBody(e: Node | undefined, v: SqlValues): string {
  return v.rows(e, 'the values of the insert', { sort: false, values: 'VALUES', missing: 'DEFAULT' }) ?? 'DEFAULT VALUES';
}

/** A where string with TypeORM's `:name` / `:...name` parameters replaced by the values of `params`. */
function whereString(l: Link, v: SqlValues): string {
  const [a, b] = l.args;
  const s = v.str(a);
  if (s === null) {
    const o = v.record(a);
    if (o) return criteriaSql(a, v);
    throw new Unreadable(`the condition of \`${l.method}(...)\` (a Brackets or callback condition, or SQL that is not a literal)`);
  }
  const params = b ? v.record(b) : new Map<string, Node>();
  if (!params) throw new Unreadable(`the parameters of \`${l.method}(...)\``);
  return s.replace(/(?<!:):(\.\.\.)?([A-Za-z_][A-Za-z0-9_]*)/g, (m, spread: string | undefined, name: string) => {
    const val = params.get(name);
    if (!val) throw new Unreadable(`the parameter \`${m}\` of \`${l.method}(...)\``);
    if (!spread) return v.sql(val);
    const items = v.array(val);
    return items ? items.map((x) => v.sql(x)).join(', ') : v.sql(val);
  });
}

/** The statement `run` writes for `call`, or the call as not analysed when `run` throws `Unreadable`. */
function built(call: CallExpression, env: Env, run: (v: SqlValues) => string): BuiltSql[] {
  const v = new SqlValues(env, fragment);
  return translated(call, v, () => run(v), (what) => notTranslated(call, `miglint cannot translate ${what} in this TypeORM call`, HELP));
}

/** `manager.update(...)` & co.; on a repository, its target comes first. */
function managerCall(call: CallExpression, method: string, env: Env, repo: Source | null): BuiltSql[] {
  const args = call.getArguments();
  const [target, b, c, d] = repo?.kind === 'repository' ? [repo.target, ...args] : args;
  return built(call, env, (v) => {
    const table = tableOf(target, v);
    switch (method) {
      case 'update': {
        const set = setList(c, v);
        return `UPDATE ${table} SET ${set} WHERE ${criteriaSql(b, v)}`;
      }
      case 'updateAll':
        return `UPDATE ${table} SET ${setList(b, v)}`;
      case 'increment':
      case 'decrement': {
        // EntityManager.increment: `update(target).set({ [path]: () => '"col" + value' }).where(criteria)`.
        const column = v.str(c);
        if (column === null || column.includes('.')) throw new Unreadable(`the column of \`${method}(...)\` (a name that is not a literal, or a property of an embedded entity)`);
        if (!v.record(b)) throw new Unreadable(`the criteria of \`${method}(...)\` (an object)`);
        const n = v.str(d);
        // TypeORM throws "Value ... is not a number." for any other string.
        if (n !== null && (n.trim() === '' || isNaN(Number(n)))) throw new Unreadable(`the amount of \`${method}(...)\`, a string that is not a number (TypeORM throws)`);
        const amount = n !== null ? n.trim() : v.sql(d);
        return `UPDATE ${table} SET ${ident(column)} = ${ident(column)} ${method === 'increment' ? '+' : '-'} ${amount} WHERE ${criteriaSql(b, v)}`;
      }
      case 'delete':
        return `DELETE FROM ${table} WHERE ${criteriaSql(b, v)}`;
      case 'deleteAll':
        return `DELETE FROM ${table}`;
      case 'clear':
        // The query runner's clearTable: PostgresQueryRunner sends `TRUNCATE TABLE <table>`.
        return `TRUNCATE TABLE ${table}`;
      default:
        return `INSERT INTO ${table} ${insertBody(b, v)}`;
    }
  });
}

/** The `createQueryBuilder(...)` call a chain ending at `outer` is built on, and how many links come after it. */
function builderCall(outer: CallExpression): { qb: CallExpression; after: number } | null {
  let cur: Node = outer;
  for (let after = 0; Node.isCallExpression(cur); after++) {
    const mc = methodCall(cur);
    if (!mc) return null;
    if (mc.method === 'createQueryBuilder') return { qb: cur, after };
    cur = mc.receiver;
  }
  return null;
}

/**
 * `manager.createQueryBuilder().update(t).set({...}).where(...).execute()` & co., also on a
 * repository (`getRepository(T).createQueryBuilder().update().set(...)`: the target is the
 * repository's unless the chain names one).
 */
function queryBuilderChain(call: CallExpression, qb: CallExpression, rest: Link[], env: Env, source: Source): BuiltSql[] | null {
  const verb = rest[0];
  const last = rest[rest.length - 1];
  if (!verb) return null;
  const runs = rest.some((l) => l.method === 'execute');
  const relation = verb.method === 'relation' && !!last && RELATION_WRITES.has(last.method);
  const unmodelled = runs ? UNMODELLED_VERBS[verb.method] : undefined;
  if (!relation && !unmodelled && !(runs && ['update', 'delete', 'insert'].includes(verb.method))) return null;
  if (source.kind === 'global') return onGlobal(call, source);
  if (relation) return notTranslated(call, "miglint does not translate TypeORM's `relation(...)` writes into SQL (rows of a junction table, or a foreign key, from the entity's relation metadata)", HELP);
  if (unmodelled) return notTranslated(call, `miglint does not translate TypeORM's \`${verb.method}()\` (${unmodelled}) into SQL`, HELP);
  return built(call, env, (v) => {
    const repo = source.kind === 'repository' ? source : null;
    const qbArgs = qb.getArguments();
    // A repository's builder takes an alias; a `where` naming it (`u.id = 1`) needs the entity's columns.
    const alias = repo && qbArgs.length === 1 ? v.str(qbArgs[0]) : null;
    if (qbArgs.length && alias === null) throw new Unreadable('`createQueryBuilder(...)` with arguments');
    let target = repo ? repo.target : verb.args[0];
    let setArg = verb.method === 'update' ? verb.args[1] : undefined;
    if (repo && verb.args.length) {
      // `update({...})` sets on the repository's target; `update(Target, {...})` names another.
      if (verb.method === 'update' && v.record(verb.args[0])) setArg = verb.args[0];
      else [target, setArg] = [verb.args[0], verb.method === 'update' ? verb.args[1] : undefined];
    }
    let set = setArg ? setList(setArg, v) : '';
    let values = '';
    const wheres: string[] = [];
    for (const l of rest.slice(1)) {
      if (l.method === 'from' || l.method === 'into') target = l.args[0];
      else if (l.method === 'set') set = setList(l.args[0], v);
      else if (l.method === 'values') values = insertBody(l.args[0], v);
      else if (l.method === 'where' || l.method === 'andWhere' || l.method === 'orWhere') {
        if (alias && new RegExp(`(^|[^\\w."])${alias.replace(/[^\w]/g, '\\$&')}\\.`).test(v.str(l.args[0]) ?? '')) throw new Unreadable(`a condition on the alias \`${alias}\` (its properties are the entity's columns)`);
        const w = whereString(l, v);
        wheres.push(wheres.length ? `${l.method === 'orWhere' ? 'OR' : 'AND'} ${w}` : w);
      } else if (l.method === 'whereInIds') wheres.push(`${wheres.length ? 'AND ' : ''}${criteriaSql(l.args[0], v)}`);
      else if (l.method !== 'execute') throw new Unreadable(`\`${l.method}(...)\``);
    }
    const table = tableOf(target, v);
    const where = wheres.length ? ` WHERE ${wheres.join(' ')}` : '';
    if (verb.method === 'update') {
      if (!set) throw new Unreadable('an update without `set(...)`');
      return `UPDATE ${table} SET ${set}${where}`;
    }
    if (verb.method === 'delete') return `DELETE FROM ${table}${where}`;
    if (!values) throw new Unreadable('an insert without `values(...)`');
    return `INSERT INTO ${table} ${values}`;
  });
}

/**
 * A write run on a query builder held in a variable (`const qb = manager.createQueryBuilder();
 * await qb.update('t').set(...).execute()`): TypeORM's builders are mutable, so other statements
 * may add to it (`qb.where(...)`); reported as not analysed. Null when `call` is no such write.
 */
function heldBuilder(call: CallExpression, env: Env): BuiltSql[] | null {
  const { links, base } = chainDown(call);
  const u = unwrap(base);
  const d = Node.isIdentifier(u) ? declarationOf(u.getText(), u) : undefined;
  const first = d && Node.isVariableDeclaration(d) ? d.getInitializer() : undefined;
  let init: Node | undefined = first ? unwrap(first) : undefined;
  if (init && Node.isAwaitExpression(init)) init = unwrap(init.getExpression());
  if (!init || !Node.isCallExpression(init)) return null;
  const found = builderCall(init);
  const source = found ? sourceOf(methodCall(found.qb)!.receiver, env) : null;
  if (!found || !source) return null;
  const held = chainDown(init).links;
  const rest = [...held.slice(held.length - found.after), ...links];
  const verb = rest.find((l) => ['update', 'delete', 'insert', 'relation', ...Object.keys(UNMODELLED_VERBS)].includes(l.method));
  const last = rest[rest.length - 1];
  const writes = !!verb && (verb.method === 'relation' ? !!last && RELATION_WRITES.has(last.method) : rest.some((l) => l.method === 'execute'));
  if (!writes) return null;
  if (source.kind === 'global') return onGlobal(call, source);
  return notTranslated(call, `this TypeORM write runs on the query builder \`${u.getText()}\` held in a variable, which other statements may change (TypeORM's builders are mutable)`, HELP);
}

/** A write through TypeORM's global default connection: not the migration's query runner. */
function onGlobal(call: CallExpression, source: { what: string }): BuiltSql[] {
  return notTranslated(
    call,
    `this TypeORM write goes through ${source.what}, the default connection, not the migration's query runner: it runs on another connection, outside the migration's transaction`,
    'Write the statement with `queryRunner.query(\'...\')` (or `queryRunner.manager`) so it runs in the migration and miglint can check it.',
  );
}

const spellsBuilder = new FileMemo<Env, boolean>();

/** Whether the file's text spells `createQueryBuilder` (looked up once per file: the text can be long, the calls many). */
function buildsQueries(env: Env): boolean {
  let found = spellsBuilder.get(env);
  if (found === undefined) spellsBuilder.set(env, (found = env.text.includes('createQueryBuilder')));
  return found;
}

/** False only where `typeormDml` returns null for every call `receiver.<method>(...)` of the unit. */
export function typeormDmlMayClaim(method: string, env: Env): boolean {
  return MANAGER_METHODS.has(method) || method in UNMODELLED || buildsQueries(env);
}

/**
 * The statement a TypeORM data-change call on the migration's query runner sends (module
 * comment), or null when `call` is not one. Reads (`find`, `count`, a select builder) are not.
 */
export function typeormDml(call: CallExpression, env: Env): BuiltSql[] | null {
  const mc = methodCall(call);
  if (mc && (MANAGER_METHODS.has(mc.method) || mc.method in UNMODELLED)) {
    // `manager.update(Target, ...)`, `manager.getRepository(Target).update(...)`, also through consts.
    const source = sourceOf(mc.receiver, env);
    if (source?.kind === 'global') return onGlobal(call, source);
    if (source) {
      const why = UNMODELLED[mc.method];
      if (why) return notTranslated(call, `miglint does not translate TypeORM's \`${mc.method}(...)\` (${why}) into SQL`, HELP);
      return managerCall(call, mc.method, env, source);
    }
  }
  // Both kinds of query builder write below start from a `createQueryBuilder(...)` call in this file.
  if (!buildsQueries(env) || !isOutermost(call)) return null;
  const found = builderCall(call);
  if (!found) return heldBuilder(call, env);
  const source = sourceOf(methodCall(found.qb)!.receiver, env);
  if (!source) return null;
  const { links } = chainDown(call);
  return queryBuilderChain(call, found.qb, links.slice(links.length - found.after), env, source);
}
