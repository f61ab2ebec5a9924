/**
 * Data changes as facts: for an `UPDATE`, `DELETE` or `INSERT ... SELECT`, the
 * table it writes, the existing tables it reads, and whether its `WHERE` bounds
 * it to a batch (a key range or a targeted set of rows) or lets it touch every
 * row in one transaction; and whether a DROP / TRUNCATE says `CASCADE`.
 *
 * "Bounded" is decided on the condition's shape, conservatively (sql-update.html,
 * sql-delete.html, sql-insert.html; functions-comparison.html for the operators):
 * - `col = const`, `col IN (consts)`, `col = ANY(const or $n)`, `col LIKE 'text'` with no
 *   wildcard (`%`, `_`; functions-matching.html: then it is an equality), `col = (SELECT ...)`
 *   whose subquery names no column of the outer table (a scalar subquery yields at most one value,
 *   functions-subquery.html / sql-expressions.html#SQL-SYNTAX-SCALAR-SUBQUERIES): a targeted set of rows;
 * - `col BETWEEN a AND b`, or both a lower (`>`, `>=`) and an upper (`<`, `<=`)
 *   bound on the same key column (a primary-key column the migration declared, `id`, or `*_id`): a key range;
 * - `col IN (SELECT ... LIMIT n)` / `= ANY (SELECT ... LIMIT n)`: one batch;
 * - `a AND b` is bounded when either is, `a OR b` when both are;
 * - everything else is not: `IS NULL`, `NOT`, `<>`, `LIKE`, a one-sided or
 *   non-key inequality, a join condition (`a.id = b.x`), `EXISTS`, a subquery without LIMIT.
 * A `SELECT` that feeds an INSERT is bounded by its own `WHERE` the same way, or by a `LIMIT`.
 * An UPDATE or DELETE of a system catalog (`pg_catalog.*`, or an unqualified `pg_*` name, which
 * resolves to pg_catalog first unless the search_path lists it later; ddl-schemas.html#DDL-SCHEMAS-CATALOG)
 * is a catalog edit (e.g. `UPDATE pg_index SET indisready = false`), not a data change: no fact.
 */
import type { Node } from 'libpg-query';
import type { RangeVar } from 'libpg-query';
import type { RelationKey } from './names.js';
import type { SchemaView } from './schema-delta.js';

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

/**
 * Whether a condition bounds the rows (module comment); `isKey` says whether a column is a key column;
 * `outer` holds the name and alias of the table written, which a correlated subquery names.
 */
export function boundsRows(cond: Node, isKey: (column: string) => boolean, outer: ReadonlySet<string> = new Set()): boolean {
  const lower = new Set<string>();
  const upper = new Set<string>();
  const bounded = (n: Node): boolean => {
    if ('BoolExpr' in n) {
      const args = n.BoolExpr.args ?? [];
      if (n.BoolExpr.boolop === 'AND_EXPR') {
        let any = false;
        for (const a of args) if (bounded(a)) any = true;
        return any || [...lower].some((c) => upper.has(c));
      }
      if (n.BoolExpr.boolop === 'OR_EXPR') return args.length > 0 && args.every((a) => boundsRows(a, isKey, outer));
      return false;
    }
    if ('A_Expr' in n) {
      const e = n.A_Expr;
      const col = columnOf(e.lexpr) ?? columnOf(e.rexpr);
      const other = columnOf(e.lexpr) ? e.rexpr : e.lexpr;
      const op = opName(e);
      if (e.kind === 'AEXPR_OP' && op === '=') return col !== null && (isConst(other) || oneValue(other, outer));
      if (e.kind === 'AEXPR_LIKE' && op === '~~') return columnOf(e.lexpr) !== null && !!e.rexpr && 'A_Const' in e.rexpr && !/[%_]/.test(e.rexpr.A_Const.sval?.sval ?? '%');
      if (e.kind === 'AEXPR_IN' && op === '=') return col !== null && !!e.rexpr && 'List' in e.rexpr && (e.rexpr.List.items ?? []).every(isConst);
      if (e.kind === 'AEXPR_OP_ANY' && op === '=') return columnOf(e.lexpr) !== null && (isConst(e.rexpr) || limited(e.rexpr));
      if (e.kind === 'AEXPR_BETWEEN') return col !== null && isKey(col) && !!e.rexpr && 'List' in e.rexpr && (e.rexpr.List.items ?? []).every(isConst);
      if (e.kind === 'AEXPR_OP' && col !== null && isKey(col) && isConst(other) && ['<', '<=', '>', '>='].includes(op)) {
        // `col < c` is an upper bound; `c < col` a lower one.
        const flipped = columnOf(e.lexpr) === null;
        const up = (op === '<' || op === '<=') !== flipped;
        (up ? upper : lower).add(col);
        return false;
      }
      return false;
    }
    if ('SubLink' in n && n.SubLink.subLinkType === 'ANY_SUBLINK') return columnOf(n.SubLink.testexpr) !== null && limited(n);
    return false;
  };
  return bounded(cond);
}

/** Why a condition does not bound the rows, for notes. */
function whyUnbounded(cond: Node): string {
  if ('NullTest' in cond) return 'its WHERE (IS NULL / IS NOT NULL) matches every row still to do, not one batch';
  if ('BoolExpr' in cond && cond.BoolExpr.boolop === 'NOT_EXPR') return 'its WHERE is a negation, which bounds no key range';
  return 'its WHERE bounds no key range (no equality to a constant, no two-sided range on a key column, no LIMIT)';
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
  const keyColumns = (t: RelationKey | null) => {
    const pk = new Set<string>();
    if (t) for (const k of schema.constraints(t)) if (k.kind === 'primary-key') for (const c of k.columns ?? []) pk.add(c);
    return (c: string) => pk.has(c) || c === 'id' || c.endsWith('_id');
  };
  const judge = (where: Node | undefined, t: RelationKey | null, rv?: RangeVar): Pick<DmlFact, 'bound' | 'why'> => {
    if (!where) return { bound: 'none', why: 'it has no WHERE: every row' };
    const outer = new Set([rv?.relname, rv?.alias?.aliasname].filter((x): x is string => !!x));
    return boundsRows(where, keyColumns(t), outer) ? { bound: 'bounded', why: '' } : { bound: 'unbounded', why: whyUnbounded(where) };
  };
  if ('UpdateStmt' in node || 'DeleteStmt' in node) {
    const s = 'UpdateStmt' in node ? node.UpdateStmt : node.DeleteStmt;
    if (isCatalog(s.relation)) return null;
    const t = keyOf(s.relation);
    return { verb: 'UpdateStmt' in node ? 'UPDATE' : 'DELETE', table: t, relation: name(s.relation), existing: !(t && schema.tableCreated(t)), ...judge(s.whereClause, t, s.relation), sources: [] };
  }
  if ('InsertStmt' in node) {
    const s = node.InsertStmt;
    const sel = s.selectStmt;
    if (!sel || !('SelectStmt' in sel) || sel.SelectStmt.valuesLists) return null;
    const sources = selectSources(sel, keyOf, schema);
    if (!sources.length) return null;
    const t = keyOf(s.relation);
    const verdict = sel.SelectStmt.limitCount ? { bound: 'bounded' as const, why: '' } : judge(sel.SelectStmt.whereClause, sources.length === 1 ? sources[0]!.key : null);
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
