/**
 * Statement classification: what kind of statement a libpg-query node is,
 * whether PostgreSQL lets it run inside a transaction block, and the session
 * settings it changes.
 */
import type { Node } from 'libpg-query';
import { stringList } from './locks.js';
import { fromRangeVar, type RelationName } from './names.js';

export type StatementClass = 'transaction-control' | 'session-setting' | 'ddl' | 'dml' | 'query' | 'utility';

export type TransactionControl = 'begin' | 'commit' | 'rollback' | 'savepoint' | 'release' | 'rollback-to' | 'prepare';

export interface SettingChange {
  /** The GUC name, lower-cased, e.g. `lock_timeout`. */
  name: string;
  /** The new value as written, or null for RESET / SET ... TO DEFAULT. */
  value: string | null;
  /** `SET LOCAL` (or `set_config(..., true)`): lasts until the end of the transaction. */
  local: boolean;
}

export interface StatementInfo {
  class: StatementClass;
  /** The command tag, e.g. `CREATE INDEX CONCURRENTLY`, `ALTER TABLE`. */
  tag: string;
  /**
   * Whether PostgreSQL accepts the statement inside a transaction block. False for
   * `CREATE/DROP INDEX CONCURRENTLY`, `REINDEX CONCURRENTLY`, `VACUUM`, `CREATE DATABASE`, ...
   * (each command's reference page says "cannot be executed inside a transaction block").
   */
  transactional: boolean;
  /** `CREATE INDEX CONCURRENTLY`, `DROP INDEX CONCURRENTLY` or `REINDEX ... CONCURRENTLY`. */
  concurrentIndex: boolean;
  transactionControl?: TransactionControl;
  setting?: SettingChange;
  /**
   * Tables (and materialized views) the statement creates, as the parser gives
   * their names (resolve them with src/sql/names.ts): `CREATE TABLE`, `CREATE TABLE AS`,
   * `SELECT ... INTO`, `CREATE MATERIALIZED VIEW`, and the tables of `CREATE SCHEMA s CREATE TABLE ...`.
   */
  creates: RelationName[];
}

const TX_KINDS: Record<string, TransactionControl> = {
  TRANS_STMT_BEGIN: 'begin',
  TRANS_STMT_START: 'begin',
  TRANS_STMT_COMMIT: 'commit',
  TRANS_STMT_ROLLBACK: 'rollback',
  TRANS_STMT_SAVEPOINT: 'savepoint',
  TRANS_STMT_RELEASE: 'release',
  TRANS_STMT_ROLLBACK_TO: 'rollback-to',
  TRANS_STMT_PREPARE: 'prepare',
  TRANS_STMT_COMMIT_PREPARED: 'commit',
  TRANS_STMT_ROLLBACK_PREPARED: 'rollback',
};

function info(cls: StatementClass, tag: string, extra: Partial<StatementInfo> = {}): StatementInfo {
  return { class: cls, tag, transactional: true, concurrentIndex: false, creates: [], ...extra };
}

/** Classifies one parsed statement. */
export function classify(node: Node): StatementInfo {
  const key = Object.keys(node)[0] ?? '';
  if ('TransactionStmt' in node) {
    const tc = TX_KINDS[node.TransactionStmt.kind ?? ''] ?? 'begin';
    return info('transaction-control', tc.toUpperCase(), { transactionControl: tc });
  }
  if ('VariableSetStmt' in node) {
    const s = node.VariableSetStmt;
    const name = (s.name ?? '').toLowerCase();
    const value = s.kind === 'VAR_SET_VALUE' ? (s.args ?? []).map(constText).join(', ') : null;
    return info('session-setting', s.kind === 'VAR_RESET' ? 'RESET' : 'SET', { setting: { name, value, local: !!s.is_local } });
  }
  if ('IndexStmt' in node) {
    const c = !!node.IndexStmt.concurrent;
    return info('ddl', c ? 'CREATE INDEX CONCURRENTLY' : 'CREATE INDEX', { transactional: !c, concurrentIndex: c });
  }
  if ('DropStmt' in node) {
    const s = node.DropStmt;
    const what = (s.removeType ?? 'OBJECT').replace('OBJECT_', '').replace('MATVIEW', 'MATERIALIZED VIEW').replace(/_/g, ' ');
    const c = !!s.concurrent;
    return info('ddl', `DROP ${what}${c ? ' CONCURRENTLY' : ''}`, { transactional: !c, concurrentIndex: c && s.removeType === 'OBJECT_INDEX' });
  }
  if ('ReindexStmt' in node) {
    const s = node.ReindexStmt;
    const c = (s.params ?? []).some((p) => 'DefElem' in p && p.DefElem.defname === 'concurrently');
    const wide = s.kind === 'REINDEX_OBJECT_SCHEMA' || s.kind === 'REINDEX_OBJECT_SYSTEM' || s.kind === 'REINDEX_OBJECT_DATABASE';
    return info('ddl', c ? 'REINDEX CONCURRENTLY' : 'REINDEX', { transactional: !c && !wide, concurrentIndex: c });
  }
  if ('AlterTableStmt' in node) {
    const s = node.AlterTableStmt;
    const detachConcurrently = (s.cmds ?? []).some(
      (c) => 'AlterTableCmd' in c && c.AlterTableCmd.subtype === 'AT_DetachPartition' && !!c.AlterTableCmd.def && 'PartitionCmd' in c.AlterTableCmd.def && !!c.AlterTableCmd.def.PartitionCmd.concurrent,
    );
    const tag = s.objtype === 'OBJECT_INDEX' ? 'ALTER INDEX' : s.objtype === 'OBJECT_MATVIEW' ? 'ALTER MATERIALIZED VIEW' : 'ALTER TABLE';
    return info('ddl', tag, { transactional: !detachConcurrently });
  }
  if ('CreateStmt' in node || 'CreateTableAsStmt' in node) {
    const mat = 'CreateTableAsStmt' in node && node.CreateTableAsStmt.objtype === 'OBJECT_MATVIEW';
    return info('ddl', mat ? 'CREATE MATERIALIZED VIEW' : 'CreateStmt' in node ? 'CREATE TABLE' : 'CREATE TABLE AS', { creates: createdRelations(node) });
  }
  if ('CreateSchemaStmt' in node) return info('ddl', 'CREATE SCHEMA', { creates: createdRelations(node) });
  if ('VacuumStmt' in node) return info('utility', node.VacuumStmt.is_vacuumcmd ? 'VACUUM' : 'ANALYZE', { transactional: !node.VacuumStmt.is_vacuumcmd });
  if ('CreatedbStmt' in node) return info('utility', 'CREATE DATABASE', { transactional: false });
  if ('DropdbStmt' in node) return info('utility', 'DROP DATABASE', { transactional: false });
  if ('AlterSystemStmt' in node) return info('utility', 'ALTER SYSTEM', { transactional: false });
  if ('CreateTableSpaceStmt' in node) return info('utility', 'CREATE TABLESPACE', { transactional: false });
  if ('DropTableSpaceStmt' in node) return info('utility', 'DROP TABLESPACE', { transactional: false });
  if ('ClusterStmt' in node) return info('ddl', 'CLUSTER', { transactional: !!node.ClusterStmt.relation });
  if ('UpdateStmt' in node) return info('dml', 'UPDATE');
  if ('DeleteStmt' in node) return info('dml', 'DELETE');
  if ('InsertStmt' in node) return info('dml', 'INSERT');
  if ('MergeStmt' in node) return info('dml', 'MERGE');
  if ('CopyStmt' in node) return info('dml', 'COPY');
  if ('SelectStmt' in node) {
    const setting = setConfigCall(node);
    if (setting) return info('session-setting', 'SELECT set_config', { setting });
    if (node.SelectStmt.intoClause) return info('ddl', 'SELECT INTO', { creates: createdRelations(node) });
    return info('query', 'SELECT');
  }
  if ('ExplainStmt' in node) return info('query', 'EXPLAIN');
  if ('DoStmt' in node) return info('utility', 'DO');
  if ('LockStmt' in node) return info('ddl', 'LOCK TABLE');
  if ('TruncateStmt' in node) return info('ddl', 'TRUNCATE');
  if ('RefreshMatViewStmt' in node) return info('ddl', 'REFRESH MATERIALIZED VIEW');
  if ('VariableShowStmt' in node) return info('query', 'SHOW');
  if ('NotifyStmt' in node || 'ListenStmt' in node || 'UnlistenStmt' in node || 'DiscardStmt' in node || 'CheckPointStmt' in node) {
    return info('utility', key.replace(/Stmt$/, '').toUpperCase());
  }
  if ('CallStmt' in node) return info('utility', 'CALL');
  return info('ddl', commandTag(key));
}

/** The tables a statement creates (see `StatementInfo.creates`). */
function createdRelations(node: Node): RelationName[] {
  const one = (n: RelationName | null) => (n ? [n] : []);
  if ('CreateStmt' in node) return one(fromRangeVar(node.CreateStmt.relation));
  if ('CreateTableAsStmt' in node) return one(fromRangeVar(node.CreateTableAsStmt.into?.rel));
  if ('SelectStmt' in node) return one(fromRangeVar(node.SelectStmt.intoClause?.rel));
  if ('CreateSchemaStmt' in node) {
    // Elements without a schema go into the new schema (sql-createschema.html); AUTHORIZATION alone names it after the role.
    const s = node.CreateSchemaStmt;
    const schema = s.schemaname ?? s.authrole?.rolename ?? null;
    if (schema === null) return [];
    return (s.schemaElts ?? []).flatMap((e) => createdRelations(e).map((n) => ({ ...n, schema: n.schema ?? schema })));
  }
  return [];
}

/** `CreateFunctionStmt` → `CREATE FUNCTION`, a readable fallback tag. */
function commandTag(key: string): string {
  return key
    .replace(/Stmt$/, '')
    .replace(/([a-z])([A-Z])/g, '$1 $2')
    .toUpperCase();
}

/** The literal text of a constant node (`'5s'` → `5s`, `0` → `0`). */
export function constText(node: Node): string {
  if ('A_Const' in node) {
    const c = node.A_Const;
    if (c.sval) return c.sval.sval ?? '';
    if (c.ival) return String(c.ival.ival ?? 0);
    if (c.fval) return c.fval.fval ?? '';
    if (c.boolval) return String(c.boolval.boolval ?? false);
    if (c.isnull) return 'NULL';
    return '0';
  }
  if ('TypeCast' in node && node.TypeCast.arg) return constText(node.TypeCast.arg);
  if ('String' in node) return node.String.sval ?? '';
  return '?';
}

/** `SELECT set_config('lock_timeout', '5s', false)` as a setting change. */
function setConfigCall(node: Node & { SelectStmt: unknown }): SettingChange | null {
  const sel = (node as { SelectStmt: { targetList?: Node[]; fromClause?: Node[] } }).SelectStmt;
  if (sel.fromClause?.length || sel.targetList?.length !== 1) return null;
  const target = sel.targetList[0]!;
  const val = 'ResTarget' in target ? target.ResTarget.val : undefined;
  if (!val || !('FuncCall' in val)) return null;
  const fname = stringList({ List: { items: val.FuncCall.funcname ?? [] } }).join('.');
  if (fname !== 'set_config' && fname !== 'pg_catalog.set_config') return null;
  const args = (val.FuncCall.args ?? []).map(constText);
  if (args.length !== 3) return null;
  return { name: args[0]!.toLowerCase(), value: args[1]!, local: args[2] === 'true' };
}

/** Whether a timeout setting's value disables the timeout (`0`, `'0s'`, `'0ms'`, ...). */
export function isZeroTimeout(value: string | null): boolean {
  if (value === null) return true;
  return /^\s*0+(\.0*)?\s*(us|ms|s|min|h|d)?\s*$/i.test(value);
}
