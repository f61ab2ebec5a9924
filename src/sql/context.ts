/**
 * Works out each statement's context once a frontend has built a unit: whether
 * it runs inside a transaction block and whose, which tables the unit created
 * before it, and whether lock_timeout / statement_timeout are in force.
 *
 * PostgreSQL behaviour relied on:
 * - several statements sent as one simple-protocol query string run in one
 *   implicit transaction block (protocol-flow.html, "Multiple Statements in a Simple Query");
 * - `SET LOCAL` lasts until the end of the current transaction, and has no effect
 *   outside a transaction block (sql-set.html); a session-level `SET` lasts for the
 *   session, across the transactions run on it;
 * - a framework's autocommit block on the migration's connection (`Statement.autocommitBlock`,
 *   Alembic's `autocommit_block()`) COMMITs the open transaction, runs its statements in
 *   autocommit on the same session, and BEGINs a new transaction after them.
 */
import type { MigrationUnit, Phase, Statement, TransactionOwner } from '../core/unit.js';
import { AddOnlySet } from './add-only-set.js';
import { classify } from './classify.js';
import { DO_BLOCK_TRANSACTION } from './do-blocks.js';
import { creationKey, relationKey, resetsAllSettings, searchPathChange, SearchPaths } from './names.js';
import { SchemaDelta } from './schema-delta.js';
import { SettingsTracker, timeoutInForce } from './settings.js';
import { LazyStatementFacts } from './statement-facts.js';
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
  /** The framework wraps the direction in a transaction (its own state, which a COMMIT in the code does not change). */
  wrapped: boolean;
  /** Tables created so far, by schema-qualified key (src/sql/names.ts). */
  created: AddOnlySet;
  /** Whether `created` has a temporary table (a `pg_temp` key). */
  createdTemp: boolean;
  /** `search_path` per connection and transaction block. */
  paths: SearchPaths;
  /** Every setting in force per connection and transaction block (src/sql/settings.ts). */
  settings: SettingsTracker;
  /** What the unit created or changed so far (src/sql/schema-delta.ts). */
  schema: SchemaDelta;
  /** How many BEGINs each connection has run, so two BEGIN ... COMMIT blocks get two identities. */
  blocks: Map<string, number>;
  /** How many transactions the framework began after its first (one after each autocommit block): their identities. */
  frameworkBegins: number;
  /** The autocommit block the framework connection is in, and whether the framework begins a new transaction after it. */
  suspended: { block: string; reopen: boolean } | null;
}

/** How a temporary table's key starts (`relationKey('pg_temp', name)`). */
const TEMP_PREFIX = relationKey('pg_temp', 'x').slice(0, -1);

const fresh = (frameworkTx: boolean): PhaseState => ({ explicitTx: new Set(), frameworkTx, wrapped: frameworkTx, created: new AddOnlySet(), createdTemp: false, paths: new SearchPaths(), settings: new SettingsTracker(), schema: new SchemaDelta(), blocks: new Map(), frameworkBegins: 0, suspended: null });

const MIGRUN_TIMEOUTS = ['lock_timeout', 'statement_timeout'] as const;
const NO_RUNTIME_SETTINGS: readonly string[] = [];

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
  /** The transaction block of the last statement not inside a DO block (a DO's inner statements follow it). */
  let enclosing: string | null = null;

  for (const s of unit.statements) {
    let st = states.get(s.phase);
    if (!st) states.set(s.phase, (st = fresh(unit.wrapped.byPhase?.[s.phase] ?? unit.wrapped.inTransaction)));
    const info = classify(s.node);
    if (onFrameworkConnection(s)) autocommitBlockEdge(s, st);

    // The context a statement sees is the state before it runs (BEGIN itself is not inside).
    const owner = ownerOf(s, st, batchSizes.get(s.batch) ?? 1);
    const migrunTimeouts = settings.runtimeSetsTimeouts || s.executor === 'migrun-ddl' || s.executor === 'migrun-dml' || s.executor === 'migrun-sql';
    const conn = connectionKey(s);
    // A statement inside a DO block runs in the DO's transaction block: the one the DO itself runs in (sql-do.html).
    const inDo = s.codeTransaction === DO_BLOCK_TRANSACTION;
    const tx: string | null = inDo && enclosing !== null ? enclosing : transactionKey(s, owner, owner === 'framework' ? st.frameworkBegins : (st.blocks.get(conn) ?? 0));
    if (!inDo) enclosing = tx;
    const searchPath = st.paths.current(conn, tx);
    // SET LOCAL is keyed by the connection's open transaction: a code transaction inside the framework's is a savepoint of it, so its SET LOCAL holds on.
    const localKey = owner !== 'none' ? conn : null;
    const inForce = st.settings.current(conn, localKey, migrunTimeouts ? MIGRUN_TIMEOUTS : NO_RUNTIME_SETTINGS, unit.clientSettings);
    s.context = {
      inTransaction: owner !== 'none',
      transaction: owner,
      createdTables: st.created.snapshot(),
      searchPath,
      lockTimeoutSet: timeoutInForce(inForce, 'lock_timeout'),
      statementTimeoutSet: timeoutInForce(inForce, 'statement_timeout'),
    };
    const facts = new LazyStatementFacts(s, info, settings.pgVersion, st.schema.view(), inForce, { owner, id: tx }, conn, s.phase === 'up' ? unit.prior : undefined);
    s.facts = facts;

    for (const t of info.creates) {
      const key = creationKey(t, searchPath);
      st.created.add(key);
      if (key.startsWith(TEMP_PREFIX)) st.createdTemp = true;
    }
    // Asked for every name the statement looks up: most units create no temporary table at all.
    const isTemp = (name: string) => st.createdTemp && st.created.has(relationKey('pg_temp', name));
    st.schema.apply(s.node, searchPath, tx, settings.pgVersion, isTemp);
    const pathChange = searchPathChange(s.node);
    if (pathChange) st.paths.apply(pathChange, conn, tx);
    switch (info.transactionControl) {
      case 'begin':
        // A BEGIN inside an open block only warns (sql-begin.html): the block stays the same.
        if (!st.explicitTx.has(conn)) st.blocks.set(conn, (st.blocks.get(conn) ?? 0) + 1);
        st.explicitTx.add(conn);
        facts.transaction.opens = `explicit:${conn}:${st.blocks.get(conn)}`;
        break;
      case 'commit':
      case 'rollback':
      case 'prepare':
        // A COMMIT on the migration's connection also ends the framework's transaction (migrations do this to run CONCURRENTLY).
        st.explicitTx.delete(conn);
        st.paths.endTransaction(tx);
        st.settings.endTransaction(conn);
        if (onFrameworkConnection(s)) st.frameworkTx = false;
        break;
    }
    // RESET ALL / DISCARD ALL: every session setting back to its default (sql-reset.html, sql-discard.html).
    if (resetsAllSettings(s.node)) st.settings.resetAll(conn, localKey);
    else if (info.setting) st.settings.apply(info.setting, conn, localKey, s.span.start);
  }
}

/**
 * Entering or leaving a framework's autocommit block (`Statement.autocommitBlock`) before a
 * statement on the framework's connection: entering commits the framework's open transaction
 * (its `SET LOCAL`s and local search_path end; session settings stay); leaving begins a new
 * one, with a new identity, when the framework wraps the direction. (Alembic decides by its
 * own transaction object, which a COMMIT the code sends does not close: it begins again
 * after the block even then.)
 */
function autocommitBlockEdge(s: Statement, st: PhaseState): void {
  const block = s.autocommitBlock ?? null;
  if (st.suspended && st.suspended.block !== block) {
    if (st.suspended.reopen) {
      st.frameworkTx = true;
      st.frameworkBegins++;
    }
    st.suspended = null;
  }
  if (block === null || st.suspended) return;
  const reopen = st.wrapped;
  if (st.frameworkTx) {
    const conn = connectionKey(s);
    st.settings.endTransaction(conn);
    st.paths.endTransaction(transactionKey(s, 'framework', st.frameworkBegins));
    st.frameworkTx = false;
  }
  st.suspended = { block, reopen };
}

/**
 * Which transaction block a statement runs in, as a key (for `SET LOCAL`), or null in autocommit.
 * @param begins for `explicit`, the connection's count of BEGINs; for `framework`, how many transactions the framework began after its first.
 */
function transactionKey(s: Statement, owner: TransactionOwner, begins: number): string | null {
  if (owner === 'none') return null;
  const which = owner === 'implicit' ? `:${s.batch}` : owner === 'code' ? `:${s.codeTransactionId ?? s.codeTransaction ?? ''}` : owner === 'explicit' || (owner === 'framework' && begins > 0) ? `:${begins}` : '';
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

