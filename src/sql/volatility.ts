/**
 * How volatile an expression is (a DEFAULT, a generated column's expression), in
 * the sense of xfunc-volatility.html: IMMUTABLE, STABLE or VOLATILE. Only the
 * built-in functions listed here are known; any other function is taken to be
 * VOLATILE (the verdict that makes `ADD COLUMN ... DEFAULT` rewrite the table), and the
 * verdict carries a note saying so.
 *
 * PostgreSQL behaviour relied on (sql-altertable.html, Notes): from PostgreSQL 11,
 * `ADD COLUMN` with a non-volatile DEFAULT stores the value once and does not
 * rewrite the table; a volatile DEFAULT (`clock_timestamp()`, `random()`,
 * `gen_random_uuid()`, a sequence's `nextval()`) is evaluated per row and rewrites it.
 * `now()` / `CURRENT_TIMESTAMP` are STABLE (the transaction's start time).
 */
import type { Node } from 'libpg-query';

export type Volatility = 'immutable' | 'stable' | 'volatile';

/** Built-in functions whose pg_proc.provolatile is 'v'. */
const VOLATILE = new Set(['gen_random_uuid', 'uuid_generate_v1', 'uuid_generate_v1mc', 'uuid_generate_v4', 'uuidv4', 'uuidv7', 'random', 'random_normal', 'clock_timestamp', 'timeofday', 'nextval', 'setval', 'txid_current', 'pg_current_xact_id', 'gen_random_bytes']);
/** Built-in functions whose pg_proc.provolatile is 's'. */
const STABLE = new Set(['now', 'statement_timestamp', 'transaction_timestamp', 'current_setting', 'current_database', 'current_schema', 'to_timestamp', 'to_date', 'to_char', 'age', 'date_part', 'extract', 'concat', 'concat_ws', 'format', 'currval', 'lastval']);
/** Built-in functions whose pg_proc.provolatile is 'i', often used in defaults. */
const IMMUTABLE = new Set(['lower', 'upper', 'length', 'char_length', 'abs', 'round', 'trim', 'btrim', 'ltrim', 'rtrim', 'substr', 'substring', 'replace', 'md5', 'jsonb_build_object', 'json_build_object', 'jsonb_build_array', 'json_build_array', 'make_interval', 'array_length', 'greatest', 'least', 'int4', 'int8', 'numeric', 'text']);

const RANK: Record<Volatility, number> = { immutable: 0, stable: 1, volatile: 2 };

export interface VolatilityVerdict {
  volatility: Volatility;
  /** Functions called, lower-cased, as written (`now`, `pg_catalog.nextval`). */
  functions: string[];
  /** Set when an unknown function was taken as volatile. */
  note?: string;
}

/** The volatility of an expression node: the most volatile of what it calls (SQLValueFunction such as `CURRENT_TIMESTAMP`: stable). Never throws. */
export function expressionVolatility(expr: Node): VolatilityVerdict {
  let worst: Volatility = 'immutable';
  const functions: string[] = [];
  const unknown: string[] = [];
  const raise = (v: Volatility) => {
    if (RANK[v] > RANK[worst]) worst = v;
  };
  const visit = (n: unknown): void => {
    if (Array.isArray(n)) return n.forEach(visit);
    if (!n || typeof n !== 'object') return;
    const o = n as Record<string, unknown>;
    if ('FuncCall' in o) {
      const f = o.FuncCall as { funcname?: Node[] };
      const parts = (f.funcname ?? []).flatMap((p) => ('String' in p && p.String.sval !== undefined ? [p.String.sval.toLowerCase()] : []));
      const name = parts.join('.');
      const bare = parts[parts.length - 1] ?? '';
      const builtin = parts.length === 1 || parts[0] === 'pg_catalog' || parts[0] === 'public';
      functions.push(name);
      if (builtin && VOLATILE.has(bare)) raise('volatile');
      else if (builtin && STABLE.has(bare)) raise('stable');
      else if (!(builtin && IMMUTABLE.has(bare))) {
        unknown.push(name);
        raise('volatile');
      }
    } else if ('SQLValueFunction' in o) {
      raise('stable');
    } else if ('SubLink' in o) {
      unknown.push('a subquery');
      raise('volatile');
    }
    for (const v of Object.values(o)) visit(v);
  };
  visit(expr);
  const note = unknown.length ? `${unknown.join(', ')} ${unknown.length > 1 ? 'are' : 'is'} not a function miglint knows the volatility of, so it is taken as VOLATILE` : undefined;
  return { volatility: worst, functions, ...(note ? { note } : {}) };
}
