/**
 * TypeORM's data-change calls on the migration's query runner, as the statement TypeORM's
 * query builders write for PostgreSQL (typeorm src/entity-manager/EntityManager.ts,
 * src/query-builder/UpdateQueryBuilder.ts, QueryBuilder.ts):
 * - `queryRunner.manager.update(target, criteria, values)`, `.delete(target, criteria)`,
 *   `.updateAll(target, values)`, `.deleteAll(target)`, `.insert(target, values)`: criteria
 *   an object (`{ id: 1, deletedAt: IsNull() }`, `In([...])`, `Not(...)`, ...) or ids
 *   (`whereInIds`: the primary column, taken to be `id`);
 * - `queryRunner.manager.createQueryBuilder().update(target).set({...}).where('sql', params)
 *   .andWhere(...).orWhere(...).execute()`, `.delete().from(target)`, `.insert().into(target).values(...)`
 *   (also on `queryRunner.connection`).
 * The target is a table only when it can be known: a string, or an entity class declared in
 * the file with `@Entity('name')` / `@Entity({ name })` (`@Entity()` alone: the class name in
 * snake_case, TypeORM's default naming). An imported entity class, or anything else this cannot
 * read, is reported as not analysed. Columns are written as the property names given (an
 * entity's `@Column({ name })` mapping is not read), values as in dml-builders.ts.
 */
import type { CallExpression } from 'ts-morph';
import { Node } from './morph.js';
import { chainDown, isOutermost, type Link } from './chains.js';
import { ident, SqlValues, Unreadable } from './dml-builders.js';
import { unwrap } from './literals.js';
import { isPhaseParam, methodCall, notTranslated } from './sqlgen.js';
import type { BuiltSql, Env } from './types.js';

const MANAGER_METHODS = new Set(['update', 'delete', 'updateAll', 'deleteAll', 'insert']);
/** Manager and repository methods that write but are not translated (they depend on entity metadata). */
const UNMODELLED = new Set(['save', 'remove', 'softDelete', 'softRemove', 'restore', 'recover', 'increment', 'decrement', 'upsert', 'clear']);
const OPERATORS: Record<string, string> = { LessThan: '<', LessThanOrEqual: '<=', MoreThan: '>', MoreThanOrEqual: '>=', Equal: '=', Like: 'LIKE', ILike: 'ILIKE' };

/** Whether `n` is `qr.manager`, `qr.connection` or `qr.connection.manager` on the migration's query runner. */
function isManager(n: Node, env: Env): boolean {
  const u = unwrap(n);
  if (!Node.isPropertyAccessExpression(u) || !['manager', 'connection'].includes(u.getName())) return false;
  const inner = unwrap(u.getExpression());
  return isPhaseParam(inner, env) || (Node.isPropertyAccessExpression(inner) && inner.getName() === 'connection' && isPhaseParam(inner.getExpression(), env));
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
  return [...o].map(([k, val]) => `${ident(k)} = ${v.sql(val)}`).join(', ');
}

/** `INSERT` values: columns in the order the first row names them (TypeORM's, for a target without metadata). */
function insertBody(e: Node | undefined, v: SqlValues): string {
  const rows = (v.array(e) ?? [e]).map((r) => v.record(r));
  if (!e || rows.some((r) => !r)) throw new Unreadable('the values of the insert');
  const maps = rows as Map<string, Node>[];
  const columns = [...new Set(maps.flatMap((r) => [...r.keys()]))];
  return `(${columns.map(ident).join(', ')}) VALUES ${maps.map((r) => `(${columns.map((c) => (r.has(c) ? v.sql(r.get(c)) : 'DEFAULT')).join(', ')})`).join(', ')}`;
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
  try {
    return [v.built(run(v), call)];
  } catch (e) {
    if (!(e instanceof Unreadable)) throw e;
    return notTranslated(call, `miglint cannot translate ${e.what} in this TypeORM call`, 'Write the statement with `queryRunner.query(\'...\')` so miglint can check it.');
  }
}

/** `manager.update(...)` & co. */
function managerCall(call: CallExpression, method: string, env: Env, repoTarget?: Node): BuiltSql[] {
  const args = call.getArguments();
  const [target, b, c] = repoTarget ? [repoTarget, ...args] : args;
  return built(call, env, (v) => {
    const table = tableOf(target, v);
    switch (method) {
      case 'update': {
        const set = setList(c, v);
        return `UPDATE ${table} SET ${set} WHERE ${criteriaSql(b, v)}`;
      }
      case 'updateAll':
        return `UPDATE ${table} SET ${setList(b, v)}`;
      case 'delete':
        return `DELETE FROM ${table} WHERE ${criteriaSql(b, v)}`;
      case 'deleteAll':
        return `DELETE FROM ${table}`;
      default:
        return `INSERT INTO ${table} ${insertBody(b, v)}`;
    }
  });
}

/** `manager.createQueryBuilder().update(t).set({...}).where(...).execute()` & co. */
function queryBuilderChain(call: CallExpression, links: Link[], env: Env): BuiltSql[] | null {
  const at = links.findIndex((l) => l.method === 'createQueryBuilder');
  const rest = links.slice(at + 1);
  const verb = rest[0];
  if (!verb || !['update', 'delete', 'insert'].includes(verb.method) || !rest.some((l) => l.method === 'execute')) return null;
  return built(call, env, (v) => {
    if (links[at]!.args.length) throw new Unreadable('`createQueryBuilder(...)` with arguments');
    let target = verb.args[0];
    let set = verb.method === 'update' && verb.args[1] ? setList(verb.args[1], v) : '';
    let values = '';
    const wheres: string[] = [];
    for (const l of rest.slice(1)) {
      if (l.method === 'from' || l.method === 'into') target = l.args[0];
      else if (l.method === 'set') set = setList(l.args[0], v);
      else if (l.method === 'values') values = insertBody(l.args[0], v);
      else if (l.method === 'where' || l.method === 'andWhere' || l.method === 'orWhere') {
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
 * The statement a TypeORM data-change call on the migration's query runner sends (module
 * comment), or null when `call` is not one.
 */
export function typeormDml(call: CallExpression, env: Env): BuiltSql[] | null {
  const mc = methodCall(call);
  if (mc && (MANAGER_METHODS.has(mc.method) || UNMODELLED.has(mc.method))) {
    // `manager.update(Target, ...)`, or `manager.getRepository(Target).update(...)`.
    const repo = Node.isCallExpression(mc.receiver) ? methodCall(mc.receiver) : null;
    const onRepo = repo?.method === 'getRepository' && isManager(repo.receiver, env);
    if (onRepo || isManager(mc.receiver, env)) {
      if (UNMODELLED.has(mc.method)) return notTranslated(call, `miglint does not translate TypeORM's \`${mc.method}(...)\` into SQL`, 'Write the statement with `queryRunner.query(\'...\')` so miglint can check it.');
      const target = onRepo ? (mc.receiver as CallExpression).getArguments()[0] : undefined;
      return managerCall(call, mc.method, env, target);
    }
  }
  if (!isOutermost(call)) return null;
  const { links, base } = chainDown(call);
  if (!isManager(base, env) || links[0]?.method !== 'createQueryBuilder') return null;
  return queryBuilderChain(call, links, env);
}
