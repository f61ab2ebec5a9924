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
import { alterSubcommands } from './alter.js';
import { classify } from './classify.js';
import { effectsOf } from './costs.js';
import { dmlFact, saysCascade } from './dml.js';
import { DO_BLOCK_TRANSACTION } from './do-blocks.js';
import type { LockFact, StatementFacts } from './facts.js';
import { locksOf } from './locks.js';
import { creationKey, fromRangeVar, relationKey, resetsAllSettings, resolvedKey, searchPathChange, SearchPaths } from './names.js';
import { SchemaDelta } from './schema-delta.js';
import { SettingsTracker, timeoutInForce } from './settings.js';
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
  /** Every setting in force per connection and transaction block (src/sql/settings.ts). */
  settings: SettingsTracker;
  /** What the unit created or changed so far (src/sql/schema-delta.ts). */
  schema: SchemaDelta;
  /** How many BEGINs each connection has run, so two BEGIN ... COMMIT blocks get two identities. */
  blocks: Map<string, number>;
}

const fresh = (frameworkTx: boolean): PhaseState => ({ explicitTx: new Set(), frameworkTx, created: new AddOnlySet(), paths: new SearchPaths(), settings: new SettingsTracker(), schema: new SchemaDelta(), blocks: new Map() });

const MIGRUN_TIMEOUTS = ['lock_timeout', 'statement_timeout'] as const;

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

    // The context a statement sees is the state before it runs (BEGIN itself is not inside).
    const owner = ownerOf(s, st, batchSizes.get(s.batch) ?? 1);
    const migrunTimeouts = settings.runtimeSetsTimeouts || s.executor === 'migrun-ddl' || s.executor === 'migrun-dml' || s.executor === 'migrun-sql';
    const conn = connectionKey(s);
    // A statement inside a DO block runs in the DO's transaction block: the one the DO itself runs in (sql-do.html).
    const inDo = s.codeTransaction === DO_BLOCK_TRANSACTION;
    const tx: string | null = inDo && enclosing !== null ? enclosing : transactionKey(s, owner, st.blocks.get(conn) ?? 0);
    if (!inDo) enclosing = tx;
    const searchPath = st.paths.current(conn, tx);
    // SET LOCAL is keyed by the connection's open transaction: a code transaction inside the framework's is a savepoint of it, so its SET LOCAL holds on.
    const localKey = owner !== 'none' ? conn : null;
    const inForce = st.settings.current(conn, localKey, migrunTimeouts ? MIGRUN_TIMEOUTS : [], unit.clientSettings);
    s.context = {
      inTransaction: owner !== 'none',
      transaction: owner,
      createdTables: st.created.snapshot(),
      searchPath,
      lockTimeoutSet: timeoutInForce(inForce, 'lock_timeout'),
      statementTimeoutSet: timeoutInForce(inForce, 'statement_timeout'),
    };
    const facts = statementFacts(s, info, settings.pgVersion, st.schema, inForce, { owner, id: tx }, conn);
    s.facts = facts;

    for (const t of info.creates) st.created.add(creationKey(t, searchPath));
    const isTemp = (name: string) => st.created.has(relationKey('pg_temp', name));
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
 * The facts of one statement (src/sql/facts.ts), given the state before it.
 * @param schema the delta before the statement (not yet applied).
 */
function statementFacts(s: Statement, info: ReturnType<typeof classify>, pgVersion: number, schema: SchemaDelta, inForce: StatementFacts['settings'], transaction: StatementFacts['transaction'], connection: string): StatementFacts {
  const view = schema.view();
  const locks: LockFact[] = locksOf(s.node, pgVersion).map((l) => {
    const key = l.target ? resolvedKey(l.target, s.context) : null;
    return { ...l, key, existing: l.relationKind === 'index' || key === null || !s.context.createdTables.has(key) };
  });
  const rv = 'AlterTableStmt' in s.node ? s.node.AlterTableStmt.relation : 'RenameStmt' in s.node ? s.node.RenameStmt.relation : undefined;
  const tname = fromRangeVar(rv);
  const table = tname ? resolvedKey(tname, s.context) : null;
  const alter = alterSubcommands(s.node, pgVersion).map((sub) => (sub.kind === 'alter-column-type' && table !== null ? { ...sub, oldType: view.column(table, sub.column)?.type ?? s.priorColumnTypes?.[sub.column] ?? null } : sub));
  const keyOf = (r: Parameters<typeof fromRangeVar>[0]) => {
    const n = fromRangeVar(r);
    return n ? resolvedKey(n, s.context) : null;
  };
  const dml = dmlFact(s.node, keyOf, view);
  const effects = effectsOf(s.node, alter, table, view, pgVersion, keyOf, { timeZone: inForce.get('timezone')?.value ?? null, dml });
  return { kind: info, pgVersion, locks, table, alter, effects, dml, cascade: saysCascade(s.node), schema: view, settings: inForce, transaction, connection };
}

/** Which transaction block a statement runs in, as a key (for `SET LOCAL`), or null in autocommit. */
function transactionKey(s: Statement, owner: TransactionOwner, begins: number): string | null {
  if (owner === 'none') return null;
  const which = owner === 'implicit' ? `:${s.batch}` : owner === 'code' ? `:${s.codeTransactionId ?? s.codeTransaction ?? ''}` : owner === 'explicit' ? `:${begins}` : '';
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

