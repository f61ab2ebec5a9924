/**
 * Relation names: schema-qualified, case-correct keys, and how an unqualified
 * name resolves through `search_path`.
 *
 * PostgreSQL behaviour relied on (manual: "Schemas", § The Schema Search Path,
 * ddl-schemas.html#DDL-SCHEMAS-PATH; runtime-config-client.html#GUC-SEARCH-PATH;
 * "Identifiers and Key Words", sql-syntax-lexical.html#SQL-SYNTAX-IDENTIFIERS):
 * - unquoted identifiers are folded to lower case by the parser, quoted ones keep
 *   their case: libpg-query's names are already the names PostgreSQL stores;
 * - an object created without a schema goes into the first schema of
 *   `search_path` that exists; an unqualified name is looked up in the schemas of
 *   `search_path` in order;
 * - the session's temporary schema (`pg_temp`) is searched first for relations
 *   unless `search_path` lists it elsewhere; `CREATE TEMP TABLE` always creates there;
 * - the default `search_path` is `"$user", public`.
 *
 * What miglint cannot know, and what it assumes instead:
 * - `"$user"` names a schema only when one with the role's name exists; the role
 *   that runs a migration is not in the migration, so `"$user"` is skipped when
 *   resolving (a project whose role has its own schema should qualify names or set
 *   `search_path`);
 * - which schemas exist: the first schema named is taken to exist, so a name
 *   resolves to that schema even when the table may in fact live in a later one.
 *   Both a `CREATE TABLE x` and a later `CREATE INDEX ... ON x` under the same path
 *   resolve alike, so "created in this migration" stays correct; a table created in
 *   a later schema of the path is not taken to be what an unqualified name means
 *   (an earlier schema may hold a table of that name), which errs towards a finding.
 */
import type { Node, RangeVar } from 'libpg-query';

/** A relation's name as the parser gives it. */
export interface RelationName {
  /** The schema written before the name, or null when unqualified. */
  schema: string | null;
  /** The relation's name, exactly as stored (case kept for quoted names). */
  name: string;
  /** `CREATE TEMP TABLE`: the relation lives in the session's temporary schema. */
  temp?: boolean;
}

/** A relation's identity within a migration: `public.leads`, `audit."Leads"`, `pg_temp.scratch`. */
export type RelationKey = string;

/** `search_path` when nothing sets it (runtime-config-client.html#GUC-SEARCH-PATH). */
export const DEFAULT_SEARCH_PATH: readonly string[] = ['$user', 'public'];

/** The name from a RangeVar (`CREATE TABLE`, `CREATE INDEX ... ON`, `ALTER TABLE`, ...); null when it has none. */
export function fromRangeVar(rv: RangeVar | undefined): RelationName | null {
  if (!rv?.relname) return null;
  const n: RelationName = { schema: rv.schemaname ?? null, name: rv.relname };
  if (rv.relpersistence === 't') n.temp = true;
  return n;
}

/**
 * The name from a qualified-name list (`DROP INDEX a.b`, `DROP TABLE x`):
 * `['public', 'leads']` or `['db', 'public', 'leads']` (the catalog is ignored); null when empty.
 */
export function fromNameList(parts: readonly string[]): RelationName | null {
  if (parts.length === 0) return null;
  return { schema: parts.length > 1 ? parts[parts.length - 2]! : null, name: parts[parts.length - 1]! };
}

/** An identifier as PostgreSQL would print it: bare when it is lower-case letters, digits, `_` and `$`; double-quoted otherwise. */
export function sqlIdent(id: string): string {
  return /^[a-z_][a-z0-9_$]*$/.test(id) ? id : `"${id.replace(/"/g, '""')}"`;
}

/** The name as SQL text, quoted where needed: `public."Leads"`, `leads`. */
export function sqlName(n: RelationName): string {
  return n.schema !== null ? `${sqlIdent(n.schema)}.${sqlIdent(n.name)}` : sqlIdent(n.name);
}

/** The key of `name` in `schema`. */
export function relationKey(schema: string, name: string): RelationKey {
  return `${sqlIdent(schema)}.${sqlIdent(name)}`;
}

/** The first schema of a path that names a real schema (`"$user"` skipped: see the module comment), or `''`. */
function firstUsable(path: readonly string[]): string {
  for (const s of path) if (s !== '$user') return s;
  return '';
}

/**
 * The schema a CREATE puts `n` in: its own schema, `pg_temp` for a temporary
 * relation, else the first schema of `path` (`"$user"` skipped). An empty path
 * (where PostgreSQL reports "no schema has been selected to create in") gives
 * `''`, a schema no real name resolves to.
 */
export function creationSchema(n: RelationName, path: readonly string[]): string {
  if (n.schema !== null) return n.schema;
  if (n.temp) return 'pg_temp';
  return firstUsable(path);
}

/** The key a CREATE gives `n` under `path` (see `creationSchema`). */
export function creationKey(n: RelationName, path: readonly string[]): RelationKey {
  return relationKey(creationSchema(n, path), n.name);
}

/**
 * The schema an existing relation named `n` is found in under `path`: its own
 * schema; else `pg_temp` when `isTemp(name)` says the session has a temporary
 * relation of that name and `pg_temp` comes first (it does unless `path` lists it
 * later); else the first schema of `path` (`"$user"` skipped), `''` for an empty path.
 * @param isTemp whether the session created a temporary relation of that name.
 */
export function lookupSchema(n: RelationName, path: readonly string[], isTemp: (name: string) => boolean = () => false): string {
  if (n.schema !== null) return n.schema;
  // The schemas searched, in order: pg_temp first unless the path lists it, then the path's without "$user".
  if (!path.includes('pg_temp') && isTemp(n.name)) return 'pg_temp';
  for (const s of path) {
    if (s === '$user') continue;
    if (s !== 'pg_temp') return s;
    if (isTemp(n.name)) return 'pg_temp';
  }
  return '';
}

/** The key an existing relation named `n` is found under with `path` (see `lookupSchema`). */
export function lookupKey(n: RelationName, path: readonly string[], isTemp?: (name: string) => boolean): RelationKey {
  return relationKey(lookupSchema(n, path, isTemp), n.name);
}

/**
 * Splits a `search_path` string as PostgreSQL does (SplitIdentifierString):
 * comma-separated, unquoted names folded to lower case, `"..."` kept as written
 * with `""` for a quote. `'audit, "Public"'` → `['audit', 'Public']`.
 */
export function parseSearchPath(text: string): string[] {
  const out: string[] = [];
  const re = /\s*(?:"((?:[^"]|"")*)"|([^,\s"]+))\s*(?:,|$)/y;
  let m: RegExpExecArray | null;
  while (re.lastIndex < text.length && (m = re.exec(text))) {
    out.push(m[1] !== undefined ? m[1].replace(/""/g, '"') : m[2]!.toLowerCase());
    if (m[0].length === 0) break;
  }
  return out;
}

/** What a statement does to `search_path`. */
export interface SearchPathChange {
  /** The new path; null for RESET, `SET ... TO DEFAULT`, `RESET ALL`, `DISCARD ALL` (back to the session default). */
  path: string[] | null;
  /** `SET LOCAL` / `set_config(..., true)`: until the end of the transaction. */
  local: boolean;
}

/**
 * The change a statement makes to `search_path`, or null when it makes none:
 * `SET [LOCAL] search_path TO a, "B"` (each element exactly as given: quoted or
 * not, a list element is one schema name), `SET SCHEMA 'a'`, `RESET search_path`,
 * `RESET ALL`, `DISCARD ALL`, and `SELECT set_config('search_path', 'a, b', is_local)`
 * (the string split as `parseSearchPath` does). Manual: sql-set.html, sql-reset.html,
 * functions-admin.html#FUNCTIONS-ADMIN-SET.
 */
export function searchPathChange(node: Node): SearchPathChange | null {
  if (resetsAllSettings(node)) return { path: null, local: false };
  if ('VariableSetStmt' in node) {
    const s = node.VariableSetStmt;
    const local = !!s.is_local;
    if ((s.name ?? '').toLowerCase() !== 'search_path') return null;
    if (s.kind === 'VAR_SET_VALUE') return { path: (s.args ?? []).map(constString), local };
    if (s.kind === 'VAR_SET_DEFAULT' || s.kind === 'VAR_RESET') return { path: null, local };
    return null;
  }
  if ('SelectStmt' in node) {
    const sel = node.SelectStmt;
    if (sel.fromClause?.length || sel.targetList?.length !== 1) return null;
    const t = sel.targetList[0]!;
    const val = 'ResTarget' in t ? t.ResTarget.val : undefined;
    if (!val || !('FuncCall' in val)) return null;
    const fname = (val.FuncCall.funcname ?? []).map((p) => ('String' in p ? p.String.sval : '')).join('.');
    if (fname !== 'set_config' && fname !== 'pg_catalog.set_config') return null;
    const args = val.FuncCall.args ?? [];
    if (args.length !== 3 || constString(args[0]!).toLowerCase() !== 'search_path') return null;
    return { path: parseSearchPath(constString(args[1]!)), local: constString(args[2]!) === 'true' };
  }
  return null;
}

/** The text of a constant (`'a'`, `a`, `true`); for anything else (a parameter, an expression), `?`. */
function constString(n: Node): string {
  if ('A_Const' in n) {
    const c = n.A_Const;
    if (c.sval) return c.sval.sval ?? '';
    if (c.boolval) return String(c.boolval.boolval ?? false);
    if (c.ival) return String(c.ival.ival ?? 0);
    return '?';
  }
  if ('TypeCast' in n && n.TypeCast.arg) return constString(n.TypeCast.arg);
  return '?';
}

/**
 * `search_path` in force per session and per transaction block, as statements
 * run (sql-set.html): a `SET` lasts for the session (a later `SET LOCAL` in a
 * transaction shadows it until that transaction ends; a `SET` inside one also
 * replaces an earlier `SET LOCAL` of it); `SET LOCAL` lasts until the end of the
 * transaction and does nothing outside one. Not modelled: a ROLLBACK undoing a
 * session-level `SET` made inside the rolled-back transaction.
 */
export class SearchPaths {
  private readonly session = new Map<string, readonly string[]>();
  private readonly local = new Map<string, readonly string[]>();

  /**
   * The path a statement sees.
   * @param connection the session's key (context.ts `connectionKey`).
   * @param transaction the key of the transaction block it runs in, null in autocommit.
   */
  current(connection: string, transaction: string | null): readonly string[] {
    return (transaction !== null ? this.local.get(transaction) : undefined) ?? this.session.get(connection) ?? DEFAULT_SEARCH_PATH;
  }

  /** Applies a statement's change (see `searchPathChange`). */
  apply(change: SearchPathChange, connection: string, transaction: string | null): void {
    const path = change.path ?? DEFAULT_SEARCH_PATH;
    if (change.local) {
      if (transaction !== null) this.local.set(transaction, path);
      return;
    }
    if (transaction !== null) this.local.delete(transaction);
    if (change.path === null) this.session.delete(connection);
    else this.session.set(connection, path);
  }

  /** A transaction block ended (COMMIT, ROLLBACK, PREPARE TRANSACTION): its `SET LOCAL`s end with it. */
  endTransaction(transaction: string | null): void {
    if (transaction !== null) this.local.delete(transaction);
  }
}

/** What `resolvedKey` needs of a statement's context (core/unit.ts StatementContext). */
export interface NameContext {
  searchPath?: readonly string[];
  createdTables: ReadonlySet<string>;
}

/**
 * The key of an existing relation named `n` for a statement with this context: its
 * `search_path` (default when unset), and the temporary tables created earlier.
 */
export function resolvedKey(n: RelationName, context: NameContext): RelationKey {
  return lookupKey(n, context.searchPath ?? DEFAULT_SEARCH_PATH, (name) => context.createdTables.has(relationKey('pg_temp', name)));
}

/** Whether `n` names a table the unit created earlier in the statement's phase. */
export function isCreatedTable(n: RelationName | null, context: NameContext): boolean {
  return n !== null && context.createdTables.has(resolvedKey(n, context));
}

/** The schema and name of a key (`audit."Leads"` → `{ schema: 'audit', name: 'Leads' }`). */
export function splitKey(key: RelationKey): { schema: string; name: string } {
  const { schema, name } = sharedSplit(key);
  return { schema, name };
}

/** The schema of a key (`audit."Leads"` → `audit`), from the same kept splits as `splitKey`. */
export function keySchema(key: RelationKey): string {
  return sharedSplit(key).schema;
}

/** `splitKey`'s answer, shared (read-only): callers compare each table created so far with a name (`namesakes`), so the splits are kept, bounded. */
function sharedSplit(key: RelationKey): { readonly schema: string; readonly name: string; readonly lowerName: string } {
  let split = splitKeys.get(key);
  if (!split) {
    if (splitKeys.size >= 10_000) splitKeys.clear();
    const { schema, name } = splitKeyUncached(key);
    split = { schema, name, lowerName: name.toLowerCase() };
    splitKeys.set(key, split);
  }
  return split;
}

const splitKeys = new Map<RelationKey, { schema: string; name: string; lowerName: string }>();

function splitKeyUncached(key: RelationKey): { schema: string; name: string } {
  const parts: string[] = [];
  const re = /"((?:[^"]|"")*)"|([^."]*)/y;
  for (let i = 0; i <= key.length; ) {
    re.lastIndex = i;
    const m = re.exec(key)!;
    parts.push(m[1] !== undefined ? m[1].replace(/""/g, '"') : m[2]!);
    i = re.lastIndex + 1; // past the dot
  }
  return { schema: parts.slice(0, -1).join('.'), name: parts[parts.length - 1] ?? '' };
}

/**
 * Tables created earlier whose name is `n`'s but in another schema or with
 * another case (`audit.leads`, `public."Leads"` for `leads`): what a reader may
 * have taken `n` to mean. For messages.
 */
export function namesakes(n: RelationName, context: NameContext): RelationKey[] {
  const key = resolvedKey(n, context);
  const lower = n.name.toLowerCase();
  const out: RelationKey[] = [];
  for (const k of context.createdTables) if (k !== key && sharedSplit(k).lowerName === lower) out.push(k);
  return out;
}

/** `RESET ALL` or `DISCARD ALL`: the statements that put every session setting back to its default (sql-reset.html, sql-discard.html). */
export function resetsAllSettings(node: Node): boolean {
  if ('VariableSetStmt' in node) return node.VariableSetStmt.kind === 'VAR_RESET_ALL';
  return 'DiscardStmt' in node && node.DiscardStmt.target === 'DISCARD_ALL';
}
