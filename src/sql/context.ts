/**
 * Works out each statement's context once a frontend has built a unit: whether
 * it runs inside a transaction block and whose, which tables the unit created
 * before it, and whether lock_timeout / statement_timeout are in force.
 *
 * PostgreSQL behaviour relied on:
 * - several statements sent as one simple-protocol query string run in one
 *   implicit transaction block (protocol-flow.html, "Multiple Statements in a Simple Query");
 * - `SET LOCAL` lasts until the end of the current transaction, and has no effect
 *   outside a transaction block (sql-set.html).
 */
import type { MigrationUnit, Phase, Statement, TransactionOwner } from '../core/unit.js';
import { AddOnlySet } from './add-only-set.js';
import { classify, isZeroTimeout } from './classify.js';
import { creationKey, resetsAllSettings, searchPathChange, SearchPaths } from './names.js';
import { versionErrors } from './versions.js';

export interface ContextSettings {
  /** The migrations are run by migrun, which sets lock_timeout and statement_timeout itself. */
  runtimeSetsTimeouts: boolean;
  /** Target PostgreSQL major version (the `pgVersion` setting): statements it lacks become syntax errors. */
  pgVersion: number;
}

interface PhaseState {
  /** Connections (see connectionKey) with a transaction block the code opened with BEGIN. */
  explicitTx: Set<string>;
  /** The framework's wrapping transaction is open (until the code COMMITs it itself). */
  frameworkTx: boolean;
  /** Tables created so far, by schema-qualified key (src/sql/names.ts). */
  created: AddOnlySet;
  /** `search_path` per connection and transaction block. */
  paths: SearchPaths;
  /** Connections (see connectionKey) with a session-level lock_timeout / statement_timeout in force. */
  lockSession: Set<string>;
  stmtSession: Set<string>;
  /** Connections whose open transaction has a `SET LOCAL` lock_timeout / statement_timeout in force. */
  lockLocal: Set<string>;
  stmtLocal: Set<string>;
}

const fresh = (frameworkTx: boolean): PhaseState => ({ explicitTx: new Set(), frameworkTx, created: new AddOnlySet(), paths: new SearchPaths(), lockSession: new Set(), stmtSession: new Set(), lockLocal: new Set(), stmtLocal: new Set() });

/** Whether a statement runs on the connection the framework wraps in its transaction (not another pool or client). */
export function onFrameworkConnection(s: Statement): boolean {
  return s.connection === undefined || (s.connection?.startsWith('phase:') ?? false);
}

/**
 * The session a statement runs on, for session-level settings and transaction
 * blocks: its frontend's connection key, which comes from the code (a transaction
 * the code opens is keyed by the frontend, never by its display label); through
 * a pool, only the statements of one query string are known to share a connection.
 */
export function connectionKey(s: Statement): string {
  if (s.connection === undefined) return 'unit';
  if (s.connection !== null) return s.connection;
  return `batch:${s.batch}`;
}

/**
 * Fills in `context` on every statement of the unit, in place, and adds a syntax
 * error for each statement PostgreSQL `settings.pgVersion` does not have.
 */
export function computeContexts(unit: MigrationUnit, settings: ContextSettings): void {
  unit.syntaxErrors.push(...versionErrors(unit, settings.pgVersion));
  const batchSizes = new Map<number, number>();
  for (const s of unit.statements) batchSizes.set(s.batch, (batchSizes.get(s.batch) ?? 0) + 1);
  const states = new Map<Phase, PhaseState>();

  for (const s of unit.statements) {
    let st = states.get(s.phase);
    if (!st) states.set(s.phase, (st = fresh(unit.wrapped.byPhase?.[s.phase] ?? unit.wrapped.inTransaction)));
    const info = classify(s.node);

    // The context a statement sees is the state before it runs (BEGIN itself is not inside).
    const owner = ownerOf(s, st, batchSizes.get(s.batch) ?? 1);
    const migrunTimeouts = settings.runtimeSetsTimeouts || s.executor === 'migrun-ddl' || s.executor === 'migrun-dml' || s.executor === 'migrun-sql';
    const tx = transactionKey(s, owner);
    const searchPath = st.paths.current(connectionKey(s), tx);
    s.context = {
      inTransaction: owner !== 'none',
      transaction: owner,
      createdTables: st.created.snapshot(),
      searchPath,
      lockTimeoutSet: migrunTimeouts || st.lockSession.has(connectionKey(s)) || (st.lockLocal.has(connectionKey(s)) && owner !== 'none'),
      statementTimeoutSet: migrunTimeouts || st.stmtSession.has(connectionKey(s)) || (st.stmtLocal.has(connectionKey(s)) && owner !== 'none'),
    };

    for (const t of info.creates) st.created.add(creationKey(t, searchPath));
    const pathChange = searchPathChange(s.node);
    if (pathChange) st.paths.apply(pathChange, connectionKey(s), tx);
    switch (info.transactionControl) {
      case 'begin':
        st.explicitTx.add(connectionKey(s));
        break;
      case 'commit':
      case 'rollback':
      case 'prepare':
        // A COMMIT on the migration's connection also ends the framework's transaction (migrations do this to run CONCURRENTLY).
        st.explicitTx.delete(connectionKey(s));
        st.paths.endTransaction(tx);
        if (onFrameworkConnection(s)) st.frameworkTx = false;
        st.lockLocal.delete(connectionKey(s));
        st.stmtLocal.delete(connectionKey(s));
        break;
    }
    if (resetsAllSettings(s.node)) {
      // RESET ALL / DISCARD ALL: every session setting back to its default (sql-reset.html, sql-discard.html).
      for (const set of [st.lockSession, st.stmtSession, st.lockLocal, st.stmtLocal]) set.delete(connectionKey(s));
    }
    if (info.setting) {
      const on = !isZeroTimeout(info.setting.value);
      const inTx = owner !== 'none';
      const session = (set: Set<string>, holds: boolean) => (holds ? set.add(connectionKey(s)) : set.delete(connectionKey(s)));
      if (info.setting.name === 'lock_timeout') session(info.setting.local ? st.lockLocal : st.lockSession, info.setting.local ? inTx && on : on);
      else if (info.setting.name === 'statement_timeout') session(info.setting.local ? st.stmtLocal : st.stmtSession, info.setting.local ? inTx && on : on);
    }
  }
}

/** Which transaction block a statement runs in, as a key (for `SET LOCAL`), or null in autocommit. */
function transactionKey(s: Statement, owner: TransactionOwner): string | null {
  if (owner === 'none') return null;
  const which = owner === 'implicit' ? `:${s.batch}` : owner === 'code' ? `:${s.codeTransactionId ?? s.codeTransaction ?? ''}` : '';
  return `${owner}:${connectionKey(s)}${which}`;
}

function ownerOf(s: Statement, st: PhaseState, batchSize: number): TransactionOwner {
  if (s.executor === 'migrun-index') return 'none';
  if (s.executor === 'migrun-ddl' || s.executor === 'migrun-dml') return 'framework';
  if (s.executor === 'migrun-sql') {
    // migrun plans a SQL string statement by statement: non-transactional statements run in autocommit.
    return st.explicitTx.has(connectionKey(s)) ? 'explicit' : classify(s.node).transactional ? 'framework' : 'none';
  }
  if (st.explicitTx.has(connectionKey(s))) return 'explicit';
  if (s.codeTransaction) return 'code';
  if (st.frameworkTx && onFrameworkConnection(s)) return 'framework';
  if (batchSize > 1) return 'implicit';
  return 'none';
}

