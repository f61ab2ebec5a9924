/**
 * Existence checks for migrations that branch on the schema's state.
 *
 * Each check opens its own short-lived session, runs one parameterised catalog
 * query in autocommit, and closes the session, whatever happens: it cannot
 * leave a transaction open (the seeds' migration 113 left one open with a
 * session-level check and blocked the next DDL). Names are passed as
 * parameters, never spliced into SQL. Catalogs: pg_class, pg_attribute,
 * pg_index, pg_constraint (catalogs.html).
 *
 * A name is `table` (looked up on the search path, pg_table_is_visible) or
 * `schema.table`, compared exactly as stored (unquoted, case as created).
 */
import type { Session } from './connection.js';
import type { Runtime } from './runtime.js';

export interface Checks {
  /** Whether a table (or partitioned table, view, materialized view, foreign table) exists. */
  tableExists(table: string): Promise<boolean>;
  /** Whether `table` has a (not dropped) column `column`. */
  columnExists(table: string, column: string): Promise<boolean>;
  /**
   * Whether a VALID index of this name exists. An INVALID leftover of a failed
   * concurrent build counts as absent (execIndex drops it before building).
   */
  indexExists(index: string): Promise<boolean>;
  /** Whether a constraint of this name exists, on `table` when given. */
  constraintExists(constraint: string, table?: string): Promise<boolean>;
  /**
   * Any read-only query with parameters, on a short-lived session with
   * `default_transaction_read_only` on (so it cannot change anything).
   * @returns the rows.
   */
  query<R extends Record<string, unknown> = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<R[]>;
}

function split(name: string): [schema: string | null, rel: string] {
  const i = name.indexOf('.');
  return i < 0 ? [null, name] : [name.slice(0, i), name.slice(i + 1)];
}

/** `c` is pg_class joined with pg_namespace `n`: matches `$schema`/`$rel` parameters at positions a, b. */
const REL_MATCH = (a: number, b: number) =>
  `c.relname = $${b} AND CASE WHEN $${a}::text IS NULL THEN pg_table_is_visible(c.oid) ELSE n.nspname = $${a} END`;

async function one(rt: Runtime, sql: string, params: unknown[]): Promise<boolean> {
  return rt.shortLived('check', async (s: Session) => {
    const r = await s.query<{ ok: boolean }>(sql, params);
    return r.rows[0]?.ok === true;
  });
}

/** The checks of a runtime. Each call: one connection, one statement, closed. */
export function createChecks(rt: Runtime): Checks {
  return {
    tableExists(table) {
      const [schema, rel] = split(table);
      return one(
        rt,
        `SELECT EXISTS (SELECT 1 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
           WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f') AND ${REL_MATCH(1, 2)}) AS ok`,
        [schema, rel],
      );
    },
    columnExists(table, column) {
      const [schema, rel] = split(table);
      return one(
        rt,
        `SELECT EXISTS (SELECT 1 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
           JOIN pg_attribute a ON a.attrelid = c.oid
           WHERE a.attname = $3 AND a.attnum > 0 AND NOT a.attisdropped AND ${REL_MATCH(1, 2)}) AS ok`,
        [schema, rel, column],
      );
    },
    indexExists(index) {
      const [schema, rel] = split(index);
      return one(
        rt,
        `SELECT EXISTS (SELECT 1 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
           JOIN pg_index i ON i.indexrelid = c.oid
           WHERE i.indisvalid AND ${REL_MATCH(1, 2)}) AS ok`,
        [schema, rel],
      );
    },
    constraintExists(constraint, table) {
      const [schema, rel] = table ? split(table) : [null, null];
      return one(
        rt,
        `SELECT EXISTS (SELECT 1 FROM pg_constraint k
           LEFT JOIN pg_class c ON c.oid = k.conrelid LEFT JOIN pg_namespace n ON n.oid = c.relnamespace
           WHERE k.conname = $1 AND CASE WHEN $3::text IS NULL
             THEN k.connamespace IN (SELECT oid FROM pg_namespace WHERE nspname = ANY (current_schemas(false)))
             ELSE (${REL_MATCH(2, 3)}) END) AS ok`,
        [constraint, schema, rel],
      );
    },
    query<R extends Record<string, unknown>>(sql: string, params: unknown[] = []) {
      return rt.shortLived('check', async (s) => {
        await s.query("SELECT set_config('default_transaction_read_only', 'on', false), set_config('statement_timeout', $1, false)", [String(rt.settings.statementTimeoutMs)]);
        const r = await s.query(sql, params);
        return r.rows as R[];
      });
    },
  };
}

/**
 * Checks for planning without a database (`migrun plan --offline`): every check
 * answers as on a database the change has not reached yet (exists: false,
 * query: no rows), and `assumed` hears each assumption for the plan's notes.
 */
export function offlineChecks(assumed: (call: string) => void): Checks {
  const no = (call: string) => {
    assumed(`${call} = false`);
    return Promise.resolve(false);
  };
  return {
    tableExists: (t) => no(`tableExists(${t})`),
    columnExists: (t, c) => no(`columnExists(${t}, ${c})`),
    indexExists: (i) => no(`indexExists(${i})`),
    constraintExists: (c, t) => no(`constraintExists(${c}${t ? `, ${t}` : ''})`),
    query: <R extends Record<string, unknown>>(sql: string) => {
      assumed(`query(${sql.replace(/\s+/g, ' ').trim().slice(0, 60)}) = no rows`);
      return Promise.resolve([] as R[]);
    },
  };
}
