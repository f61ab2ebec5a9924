/**
 * What the catalog says about the indexes an index statement builds, drops or
 * rebuilds: whether one exists and is valid (`pg_index.indisvalid`), and the
 * INVALID leftovers of failed concurrent builds. Used by `execIndex`.
 */
import type { PlannedStatement } from './planner.js';
import { quoteIdent, type Session } from './connection.js';

export interface IndexTarget {
  name: string;
  schema: string | null;
  table: string;
}

/** The named index a CREATE INDEX builds, if it names one. */
export function createdIndex(st: PlannedStatement): (IndexTarget & { ifNotExists: boolean }) | null {
  if (!('IndexStmt' in st.node)) return null;
  const s = st.node.IndexStmt;
  if (!s.idxname) return null;
  return { name: s.idxname, schema: s.relation?.schemaname ?? null, table: s.relation?.relname ?? '?', ifNotExists: !!s.if_not_exists };
}

export interface IndexState {
  qualified: string;
  valid: boolean;
}

/** Whether an index of this name exists (in `schema`, or visible on the search path), and whether it is valid (pg_index.indisvalid). */
export async function indexState(session: Session, name: string, schema: string | null): Promise<IndexState | null> {
  const r = await session.query<{ nspname: string; relname: string; indisvalid: boolean }>(
    `SELECT n.nspname, c.relname, i.indisvalid
     FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace JOIN pg_index i ON i.indexrelid = c.oid
     WHERE c.relname = $1 AND CASE WHEN $2::text IS NULL THEN pg_table_is_visible(c.oid) ELSE n.nspname = $2 END`,
    [name, schema],
  );
  const row = r.rows[0];
  return row ? { qualified: `${quoteIdent(row.nspname)}.${quoteIdent(row.relname)}`, valid: row.indisvalid } : null;
}

/** The index or table a `REINDEX INDEX/TABLE ... CONCURRENTLY` rebuilds; null for other statements and wider REINDEX forms. */
export function reindexed(st: PlannedStatement): { kind: 'index' | 'table'; qualified: string; name: string } | null {
  if (!('ReindexStmt' in st.node)) return null;
  const s = st.node.ReindexStmt;
  const kind = s.kind === 'REINDEX_OBJECT_INDEX' ? 'index' : s.kind === 'REINDEX_OBJECT_TABLE' ? 'table' : null;
  if (!kind || !s.relation?.relname) return null;
  const name = s.relation.relname;
  return { kind, name, qualified: s.relation.schemaname ? `${quoteIdent(s.relation.schemaname)}.${quoteIdent(name)}` : quoteIdent(name) };
}

/**
 * INVALID indexes a failed `REINDEX ... CONCURRENTLY` left on the table: the new
 * copy, suffixed `_ccnew`, and (when it failed while dropping) the old one,
 * suffixed `_ccold`; PostgreSQL's advice for both is to drop them (manual:
 * sql-reindex.html, "Rebuilding Indexes Concurrently"). For `REINDEX INDEX`, only
 * the copies of that index: PostgreSQL names them from its name, truncated to fit 63 bytes.
 */
export async function reindexLeftovers(session: Session, target: NonNullable<ReturnType<typeof reindexed>>): Promise<IndexState[]> {
  const r = await session.query<{ nspname: string; relname: string }>(
    `SELECT n.nspname, c.relname
     FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE NOT i.indisvalid AND c.relname ~ '_cc(new|old)[0-9]*$'
       AND i.indrelid = CASE WHEN $2 = 'table' THEN to_regclass($1)::oid ELSE (SELECT indrelid FROM pg_index WHERE indexrelid = to_regclass($1)::oid) END
       AND ($2 = 'table' OR starts_with(c.relname, left($3, 50)))
     ORDER BY c.relname`,
    [target.qualified, target.kind, target.name],
  );
  return r.rows.map((row) => ({ qualified: `${quoteIdent(row.nspname)}.${quoteIdent(row.relname)}`, valid: false }));
}

/**
 * The INVALID indexes a failed earlier run of `st` left behind: for CREATE INDEX,
 * an INVALID index of the same name; for REINDEX, its `_ccnew`/`_ccold` copies.
 * Empty for other statements and for an unnamed index (its name is unknown).
 */
export async function invalidLeftovers(session: Session, st: PlannedStatement): Promise<IndexState[]> {
  const rebuilt = reindexed(st);
  if (rebuilt) return reindexLeftovers(session, rebuilt);
  const target = createdIndex(st);
  if (!target) return [];
  const state = await indexState(session, target.name, target.schema);
  return state && !state.valid ? [state] : [];
}
