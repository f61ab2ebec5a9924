/**
 * Data changes as facts: for an `UPDATE`, `DELETE` or `INSERT ... SELECT`, the
 * table it writes, the existing tables it reads, and whether its `WHERE` bounds
 * it to a batch (a key range or a targeted set of rows) or lets it touch every
 * row in one transaction; and whether a DROP / TRUNCATE says `CASCADE`.
 *
 * "Bounded" is decided on the condition's shape, conservatively (sql-update.html,
 * sql-delete.html, sql-insert.html; functions-comparison.html for the operators), in three classes:
 * - targeted (a few rows): `col = const`, `col IN (consts)`, `col = ANY(const or $n)`, `col LIKE 'text'`
 *   with no wildcard (`%`, `_`; functions-matching.html: then it is an equality), `col = (SELECT ...)`
 *   whose subquery names no column of the outer table (a scalar subquery yields at most one value,
 *   functions-subquery.html / sql-expressions.html#SQL-SYNTAX-SCALAR-SUBQUERIES) -- provided the
 *   constant is not a boolean and the column is not one the UPDATE sets (below); `col = NULL` matches
 *   no row at all (it is null for every row, functions-comparison.html);
 * - batched (one batch): `col BETWEEN a AND b`, or both a lower (`>`, `>=`) and an upper (`<`, `<=`)
 *   bound by constants on the same key column (a primary-key column the migration declared, `id`,
 *   or `*_id`); `col IN (SELECT ... LIMIT n)` / `= ANY (SELECT ... LIMIT n)`;
 * - a backfill (any number of rows), everything else: no WHERE; `IS [NOT] NULL`; a boolean
 *   selection (`flag = true`, `flag IN (false)`, `flag = 't'::boolean`, `flag IS TRUE`, a bare
 *   `WHERE flag`: a flag splits a table into a few large parts, not a few rows); a value rewrite
 *   (`SET status = 'b' WHERE status = 'a'`: it migrates every row holding the old value; not when the
 *   column is `id`, a one-column primary key or a unique column the migration declared, whose value
 *   names one row); `NOT`, `<>` / `!=`, `NOT IN`, `IS DISTINCT FROM`; `LIKE` with a wildcard; a
 *   one-sided range, a range on a non-key column, a comparison with a non-constant (`created_at <
 *   now()`); a join condition (`a.id = b.x`); `EXISTS`; a subquery without LIMIT.
 * `a AND b` is bounded when either is (or when they make a two-sided key range), `a OR b` when both are.
 * Equality to a parameter `$n` counts as targeted: its value (possibly a boolean) is not known.
 * A `SELECT` that feeds an INSERT is bounded by its own `WHERE` the same way, or by a `LIMIT`.
 * An UPDATE or DELETE of a system catalog (`pg_catalog.*`, or an unqualified `pg_*` name, which
 * resolves to pg_catalog first unless the search_path lists it later; ddl-schemas.html#DDL-SCHEMAS-CATALOG)
 * is a catalog edit (e.g. `UPDATE pg_index SET indisready = false`), not a data change: no fact.
 */
import type { Node } from 'libpg-query';
import type { RangeVar } from 'libpg-query';
import type { RelationKey } from './names.js';
import type { SchemaView } from './schema-view.js';

export interface DmlFact {
  verb: 'UPDATE' | 'DELETE' | 'INSERT ... SELECT';
  /** The table written, keyed (names.ts); null when unnamed. */
  table: RelationKey | null;
  /** The table written, as SQL as written, for messages. */
  relation: string;
  /** Whether the table existed before the migration (false: created earlier in the unit, no rows). */
  existing: boolean;
  /**
   * `bounded`: a key range or a targeted set of rows; `unbounded`: a WHERE that does
   * not bound the rows (see the module comment); `none`: no WHERE at all.
   */
  bound: 'bounded' | 'unbounded' | 'none';
  /** Why it is not bounded, a short clause for messages (`its WHERE selects by a boolean`; empty when bounded). */
  reason: string;
  /** Why it is not bounded, one clause for notes (empty when bounded). */
  why: string;
  /** For `INSERT ... SELECT`: the existing tables the SELECT reads (keys and SQL names). */
  sources: { key: RelationKey; relation: string }[];
}

type KeyOf = (rv: RangeVar | undefined) => RelationKey | null;

const isConst = (n: Node | undefined): boolean => !!n && ('A_Const' in n || 'ParamRef' in n || ('TypeCast' in n && isConst(n.TypeCast.arg)) || ('A_ArrayExpr' in n && (n.A_ArrayExpr.elements ?? []).every(isConst)));

function columnOf(n: Node | undefined): string | null {
  if (!n || !('ColumnRef' in n)) return null;
  const fields = n.ColumnRef.fields ?? [];
  const last = fields[fields.length - 1];
  return last && 'String' in last ? (last.String.sval ?? null) : null;
}

function opName(e: { name?: Node[] }): string {
  const n = e.name?.[e.name.length - 1];
  return n && 'String' in n ? (n.String.sval ?? '') : '';
}

const limited = (n: Node | undefined): boolean => !!n && 'SubLink' in n && !!n.SubLink.subselect && 'SelectStmt' in n.SubLink.subselect && !!n.SubLink.subselect.SelectStmt.limitCount;

/** Whether a tree holds a column reference qualified by one of `names` (a correlated subquery's outer reference). */
function refersTo(n: unknown, names: ReadonlySet<string>): boolean {
  if (!n || typeof n !== 'object') return false;
  if (Array.isArray(n)) return n.some((x) => refersTo(x, names));
  const o = n as Record<string, unknown>;
  if ('ColumnRef' in o) {
    const fields = ((o.ColumnRef as { fields?: Node[] }).fields ?? []);
    const first = fields[0];
    return fields.length > 1 && !!first && 'String' in first && names.has(first.String.sval ?? '');
  }
  return Object.values(o).some((v) => refersTo(v, names));
}

/** A scalar subquery `(SELECT ...)` that does not refer to the outer table: one value for every row. */
const oneValue = (n: Node | undefined, outer: ReadonlySet<string>): boolean => !!n && 'SubLink' in n && n.SubLink.subLinkType === 'EXPR_SUBLINK' && !refersTo(n.SubLink.subselect, outer);

/** A boolean constant: `true`, `false`, or a constant cast to boolean (`'t'::boolean`). */
const isBoolConst = (n: Node | undefined): boolean => !!n && (('A_Const' in n && 'boolval' in n.A_Const) || ('TypeCast' in n && isConst(n.TypeCast.arg) && /^bool(ean)?$/.test(lastName(n.TypeCast.typeName?.names))));

/** The constant NULL (perhaps cast). */
const isNullConst = (n: Node | undefined): boolean => !!n && (('A_Const' in n && !!n.A_Const.isnull) || ('TypeCast' in n && isNullConst(n.TypeCast.arg)));

/** A boolean constant as SQL: `true`, `false`, or the cast as written (`'t'::boolean`). */
function boolText(n: Node): string {
  if ('A_Const' in n) return n.A_Const.boolval?.boolval ? 'true' : 'false';
  if ('TypeCast' in n && n.TypeCast.arg && 'A_Const' in n.TypeCast.arg) return `'${n.TypeCast.arg.A_Const.sval?.sval ?? '?'}'::boolean`;
  return 'a boolean';
}

function lastName(names: Node[] | undefined): string {
  const n = names?.[names.length - 1];
  return n && 'String' in n ? (n.String.sval ?? '') : '';
}

/**
 * What a condition is judged against: `isKey` says whether a column is a key column (a range on
 * it is a batch); `isUnique` whether a value of it names one row (a primary key or `id`, or a
 * one-column unique constraint the migration declared; default: `id`); `sets` holds the columns
 * the UPDATE sets (empty for DELETE and INSERT ... SELECT); `outer` the name and alias of the
 * table written, which a correlated subquery names.
 */
export interface BoundContext {
  isKey: (column: string) => boolean;
  isUnique?: (column: string) => boolean;
  sets?: ReadonlySet<string>;
  outer?: ReadonlySet<string>;
}

/** A verdict on a condition: bounded, or not with the reason (a short clause for messages) and why (one clause for notes), both lower case. */
export type Bound = { bounded: true } | { bounded: false; reason: string; why: string };

const BOUNDED: Bound = { bounded: true };
const no = (reason: string, why: string): Bound => ({ bounded: false, reason, why });
const GENERIC = no('its WHERE bounds no key range', 'its WHERE bounds no key range (no equality to a constant, no two-sided range on a key column, no LIMIT)');
const nonKeyRange = (col: string) => no('its WHERE is a range on a non-key column', `its WHERE is a range on ${col}, which is not a key column: any number of rows, not one batch of keys`);

/**
 * Whether a condition bounds the rows, and if not why (module comment).
 * `a AND b` is bounded when either conjunct is (or when they make a two-sided key range), and
 * otherwise gives the first conjunct's reason (the first more specific than "no key range"); `a OR b` is bounded when every branch is, and
 * otherwise gives the first unbounded branch's reason.
 */
export function classifyBound(cond: Node, ctx: BoundContext): Bound {
  const outer = ctx.outer ?? new Set<string>();
  const sets = ctx.sets ?? new Set<string>();
  const unique = ctx.isUnique ?? ((c: string) => c === 'id');
  const lower = new Set<string>();
  const upper = new Set<string>();
  /** An equality-like selection of `col` by constants `values`: targeted unless by a boolean or a rewrite of `col`. */
  const targeted = (col: string, values: (Node | undefined)[]): Bound => {
    // `col = NULL` is null for every row (functions-comparison.html): it matches none.
    if (values.length && values.every(isNullConst)) return BOUNDED;
    const flag = values.find(isBoolConst);
    if (flag) return no('its WHERE selects by a boolean', `its WHERE selects by a boolean (${col} = ${boolText(flag)}), which matches a large share of the rows, not a few`);
    if (sets.has(col) && !unique(col)) return no('it rewrites the column it selects on', `it rewrites the column it selects on (SET ${col} = ... WHERE ${col} = ...): a data migration of every row holding the old value, not a few rows`);
    return BOUNDED;
  };
  const judge = (n: Node): Bound => {
    if ('BoolExpr' in n) {
      const args = n.BoolExpr.args ?? [];
      if (n.BoolExpr.boolop === 'AND_EXPR') {
        let first: Bound | null = null;
        let any = false;
        for (const a of args) {
          const v = judge(a);
          if (v.bounded) any = true;
          else if (!first || first === GENERIC) first = v;
        }
        if (any || [...lower].some((c) => upper.has(c) && ctx.isKey(c))) return BOUNDED;
        const range = [...lower].find((c) => upper.has(c));
        if (range !== undefined) return nonKeyRange(range);
        return first ?? GENERIC;
      }
      if (n.BoolExpr.boolop === 'OR_EXPR') {
        if (!args.length) return GENERIC;
        for (const a of args) {
          const v = classifyBound(a, ctx);
          if (!v.bounded) return v;
        }
        return BOUNDED;
      }
      return no('its WHERE is a negation', 'its WHERE is a negation (NOT), which selects every other row, not a few');
    }
    if ('NullTest' in n) return no('its WHERE tests IS [NOT] NULL', 'its WHERE (IS NULL / IS NOT NULL) matches every row still to do, not one batch');
    if ('BooleanTest' in n || 'ColumnRef' in n) return no('its WHERE selects by a boolean', 'its WHERE selects by a boolean (IS TRUE / IS FALSE, or a bare boolean column), which matches a large share of the rows, not a few');
    if ('A_Expr' in n) {
      const e = n.A_Expr;
      const col = columnOf(e.lexpr) ?? columnOf(e.rexpr);
      const other = columnOf(e.lexpr) ? e.rexpr : e.lexpr;
      const op = opName(e);
      if (e.kind === 'AEXPR_OP' && op === '=') {
        if (col !== null && (isConst(other) || oneValue(other, outer))) return targeted(col, [other]);
        return col !== null && columnOf(other) !== null ? no('its WHERE is a join condition', 'its WHERE is a join condition (a.x = b.y), which matches every row that has a partner, not a few') : GENERIC;
      }
      if (e.kind === 'AEXPR_LIKE' && op === '~~') {
        const c = columnOf(e.lexpr);
        return c !== null && !!e.rexpr && 'A_Const' in e.rexpr && !/[%_]/.test(e.rexpr.A_Const.sval?.sval ?? '%') ? targeted(c, []) : no('its WHERE is a LIKE pattern', 'its WHERE is a pattern (LIKE with a wildcard), which matches any number of rows');
      }
      if (e.kind === 'AEXPR_IN' && op === '=') {
        const items = !!e.rexpr && 'List' in e.rexpr ? (e.rexpr.List.items ?? []) : null;
        return col !== null && items !== null && items.every(isConst) ? targeted(col, items) : GENERIC;
      }
      if (e.kind === 'AEXPR_OP_ANY' && op === '=') {
        const c = columnOf(e.lexpr);
        const r = e.rexpr;
        if (c !== null && isConst(r)) return targeted(c, r && 'A_ArrayExpr' in r ? (r.A_ArrayExpr.elements ?? []) : [r]);
        return c !== null && limited(r) ? BOUNDED : no('its WHERE is a subquery without LIMIT', 'its WHERE is = ANY of a subquery without LIMIT, which selects any number of rows');
      }
      if (e.kind === 'AEXPR_DISTINCT' || ((e.kind === 'AEXPR_OP' || e.kind === 'AEXPR_IN') && op === '<>')) return no('its WHERE is an inequality', `its WHERE is an inequality (${e.kind === 'AEXPR_IN' ? 'NOT IN' : e.kind === 'AEXPR_DISTINCT' ? 'IS DISTINCT FROM' : '<>'}), which selects every other row, not a few`);
      if (e.kind === 'AEXPR_BETWEEN') return col !== null && ctx.isKey(col) && !!e.rexpr && 'List' in e.rexpr && (e.rexpr.List.items ?? []).every(isConst) ? BOUNDED : col !== null && !ctx.isKey(col) ? nonKeyRange(col) : GENERIC;
      if (e.kind === 'AEXPR_OP' && ['<', '<=', '>', '>='].includes(op)) {
        if (col === null || !isConst(other)) return no('its WHERE compares with a non-constant', 'its WHERE compares with a value that is not a constant (a function such as now(), or another column): an open range, not one batch');
        // `col < c` is an upper bound; `c < col` a lower one.
        const flipped = columnOf(e.lexpr) === null;
        const up = (op === '<' || op === '<=') !== flipped;
        (up ? upper : lower).add(col);
        return no('its WHERE is a one-sided range', `its WHERE is a one-sided range (${col} ${up ? '<' : '>'} ...), which bounds no batch`);
      }
      return GENERIC;
    }
    if ('SubLink' in n && n.SubLink.subLinkType === 'ANY_SUBLINK') return columnOf(n.SubLink.testexpr) !== null && limited(n) ? BOUNDED : no('its WHERE is a subquery without LIMIT', 'its WHERE is IN a subquery without LIMIT, which selects any number of rows');
    if ('SubLink' in n && n.SubLink.subLinkType === 'EXISTS_SUBLINK') return no('its WHERE is EXISTS', 'its WHERE is EXISTS of a subquery, which selects any number of rows');
    return GENERIC;
  };
  return judge(cond);
}

function selectSources(sel: Node | undefined, keyOf: KeyOf, schema: SchemaView): { key: RelationKey; relation: string }[] {
  if (!sel || !('SelectStmt' in sel)) return [];
  const s = sel.SelectStmt;
  const out: { key: RelationKey; relation: string }[] = [];
  const visit = (n: Node) => {
    if ('RangeVar' in n) {
      const k = keyOf(n.RangeVar);
      if (k && !schema.tableCreated(k)) out.push({ key: k, relation: `${n.RangeVar.schemaname ? `${n.RangeVar.schemaname}.` : ''}${n.RangeVar.relname ?? '?'}` });
    } else if ('JoinExpr' in n) {
      if (n.JoinExpr.larg) visit(n.JoinExpr.larg);
      if (n.JoinExpr.rarg) visit(n.JoinExpr.rarg);
    }
  };
  for (const f of s.fromClause ?? []) visit(f);
  for (const branch of [s.larg, s.rarg]) if (branch) out.push(...selectSources({ SelectStmt: branch }, keyOf, schema));
  return out;
}

/** Whether a RangeVar names a system catalog (module comment). */
const isCatalog = (rv: RangeVar | undefined): boolean => !!rv && (rv.schemaname === 'pg_catalog' || (!rv.schemaname && (rv.relname ?? '').startsWith('pg_')));

/**
 * The data-change fact of a statement, or null for other statements and `INSERT ... VALUES`.
 * @param keyOf resolves a RangeVar to its key with the statement's search_path;
 * @param schema the unit's delta before the statement (tables it created, their primary keys).
 */
export function dmlFact(node: Node, keyOf: KeyOf, schema: SchemaView): DmlFact | null {
  const name = (rv: RangeVar | undefined) => (rv ? `${rv.schemaname ? `${rv.schemaname}.` : ''}${rv.relname ?? '?'}` : '?');
  const keys = (t: RelationKey | null) => {
    const pk = new Set<string>();
    const unique = new Set<string>();
    if (t) {
      for (const k of schema.constraints(t)) {
        if (k.kind === 'primary-key') for (const c of k.columns ?? []) pk.add(c);
        // A one-column primary key or unique constraint: a value of it names one row.
        if ((k.kind === 'primary-key' || k.kind === 'unique') && k.columns?.length === 1) unique.add(k.columns[0]!);
      }
    }
    return { isKey: (c: string) => pk.has(c) || c === 'id' || c.endsWith('_id'), isUnique: (c: string) => unique.has(c) || c === 'id' };
  };
  const judge = (where: Node | undefined, t: RelationKey | null, rv?: RangeVar, sets: ReadonlySet<string> = new Set()): Pick<DmlFact, 'bound' | 'reason' | 'why'> => {
    if (!where) return { bound: 'none', reason: 'it has no WHERE', why: 'it has no WHERE: every row' };
    const outer = new Set([rv?.relname, rv?.alias?.aliasname].filter((x): x is string => !!x));
    const v = classifyBound(where, { ...keys(t), outer, sets });
    return v.bounded ? { bound: 'bounded', reason: '', why: '' } : { bound: 'unbounded', reason: v.reason, why: v.why };
  };
  if ('UpdateStmt' in node || 'DeleteStmt' in node) {
    const s = 'UpdateStmt' in node ? node.UpdateStmt : node.DeleteStmt;
    if (isCatalog(s.relation)) return null;
    const t = keyOf(s.relation);
    const sets = new Set<string>();
    if ('UpdateStmt' in node) for (const r of node.UpdateStmt.targetList ?? []) if ('ResTarget' in r && r.ResTarget.name) sets.add(r.ResTarget.name);
    return { verb: 'UpdateStmt' in node ? 'UPDATE' : 'DELETE', table: t, relation: name(s.relation), existing: !(t && schema.tableCreated(t)), ...judge(s.whereClause, t, s.relation, sets), sources: [] };
  }
  if ('InsertStmt' in node) {
    const s = node.InsertStmt;
    const sel = s.selectStmt;
    if (!sel || !('SelectStmt' in sel) || sel.SelectStmt.valuesLists) return null;
    const sources = selectSources(sel, keyOf, schema);
    if (!sources.length) return null;
    const t = keyOf(s.relation);
    const verdict = sel.SelectStmt.limitCount ? { bound: 'bounded' as const, reason: '', why: '' } : judge(sel.SelectStmt.whereClause, sources.length === 1 ? sources[0]!.key : null);
    return { verb: 'INSERT ... SELECT', table: t, relation: name(s.relation), existing: !(t && schema.tableCreated(t)), ...verdict, sources };
  }
  return null;
}

/** Whether a DROP or TRUNCATE says CASCADE (sql-truncate.html, sql-droptable.html). */
export function saysCascade(node: Node): boolean {
  if ('TruncateStmt' in node) return node.TruncateStmt.behavior === 'DROP_CASCADE';
  if ('DropStmt' in node) return node.DropStmt.behavior === 'DROP_CASCADE';
  return false;
}
