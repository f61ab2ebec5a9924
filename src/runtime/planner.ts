/**
 * The planner: SQL text → ordered steps, each on one executor. It reads the
 * statement facts miglint's rules read (src/sql/facts.ts, computed on the file's
 * unit as the `migrun` runner runs it), so the lock a plan shows is the lock a
 * rule would report.
 *
 * - A migration whose statements can all run in a transaction block is one
 *   step: one transaction, all or nothing.
 * - Otherwise consecutive transactional statements form a transactional step
 *   and each statement that "cannot be executed inside a transaction block"
 *   (CREATE INDEX CONCURRENTLY, VACUUM, ...; see each command's reference page)
 *   is an autocommit step of its own. Progress is recorded per step.
 * - The file's own BEGIN / COMMIT are dropped: migrun runs the transaction.
 *
 * Directives (SQL comments): `-- migrun: no-transaction` (file: every
 * statement is its own step) and `-- migrun: best-effort` (the next statement,
 * an index build, warns instead of failing).
 */
import type { Node } from 'libpg-query';
import { SourceText } from '../core/source-text.js';
import { classify, type StatementInfo } from '../sql/classify.js';
import { DEFAULT_SETTINGS } from '../core/rule.js';
import type { LockRequirement } from '../sql/locks.js';
import { computeContexts } from '../sql/context.js';
import { factsOf, type LockFact, type StatementFacts } from '../sql/facts.js';
import type { LockMode } from '../sql/lock-modes.js';
import { parseSql } from '../sql/parse.js';
import { sqlUnit } from '../sources/sql.js';
import { oneLine } from './blockers.js';
import type { PlanProblem } from './errors.js';

/** `ddl` and `dml` run a transaction; `index` and `autocommit` run one statement outside any transaction. */
export type ExecutorKind = 'ddl' | 'dml' | 'index' | 'autocommit';

export interface PlannedStatement {
  text: string;
  node: Node;
  info: StatementInfo;
  /** Table-level locks it takes, with `existing` false for a table the migration created earlier. */
  locks: readonly LockFact[];
  /** Its statement facts (src/sql/facts.ts). */
  facts: StatementFacts;
  /** `file:line:column` of its first token. */
  where: string;
  /** Set by a preceding `-- migrun: best-effort` comment. */
  bestEffort: boolean;
}

export interface PlannedStep {
  executor: ExecutorKind;
  /** Whether the step runs in one transaction (ddl, dml) or in autocommit (index, autocommit). */
  transaction: boolean;
  statements: PlannedStatement[];
}

export interface SqlPlan {
  steps: PlannedStep[];
  /** The migration is a single transactional step: all or nothing. */
  singleTransaction: boolean;
  /** Things the planner changed or dropped, for `migrun plan`. */
  notes: string[];
}

/** The result of planning: a plan, or the problems that prevent one. */
export type PlanOutcome = { ok: true; plan: SqlPlan } | { ok: false; problems: PlanProblem[] };

const NO_TX = /^--\s*migrun:\s*no-transaction\b/i;
const BEST_EFFORT = /^(--|\/\*)\s*migrun:\s*best-effort\b/i;

/** Names a position in planned SQL (1-based line and UTF-16 column) for messages. */
export type Locator = (line: number, column: number) => string;

/**
 * Plans SQL text. `initSqlParser()` must have resolved.
 * @param text the SQL.
 * @param label the name used in locations, e.g. `migrations/002_x.sql` (giving `migrations/002_x.sql:3:1`), or a Locator.
 * @param pgVersion the server's major version, for the lock each statement takes (a plan is made before connecting: the default target unless given).
 */
export function planSql(text: string, label: string | Locator, pgVersion = DEFAULT_SETTINGS.pgVersion): PlanOutcome {
  const parsed = parseSql(text);
  const source = new SourceText(text);
  const locate: Locator = typeof label === 'string' ? (line, column) => `${label}:${line}:${column}` : label;
  const at = (offset: number) => {
    const p = source.positionAt(offset);
    return locate(p.line, p.column);
  };
  if (parsed.error) return { ok: false, problems: [{ where: at(parsed.error.offset), message: `syntax error: ${parsed.error.message}` }] };

  const facts = statementFacts(text, typeof label === 'string' ? label : 'migration.sql', pgVersion);
  const noTransaction = parsed.comments.some((c) => NO_TX.test(c.text));
  const notes: string[] = [];
  const problems: PlanProblem[] = [];
  const statements: PlannedStatement[] = [];
  let inExplicitBlock = false;
  let prevEnd = 0;
  for (const p of parsed.statements) {
    const info = classify(p.node);
    const bestEffort = parsed.comments.some((c) => c.start >= prevEnd && c.end <= p.start && BEST_EFFORT.test(c.text));
    prevEnd = p.endWithSemicolon;
    if (info.class === 'transaction-control') {
      if (info.transactionControl === 'begin') {
        inExplicitBlock = true;
        notes.push(`${at(p.start)}: ${info.tag} dropped; migrun runs the transaction itself`);
        continue;
      }
      if (info.transactionControl === 'commit') {
        inExplicitBlock = false;
        notes.push(`${at(p.start)}: ${info.tag} dropped; migrun commits the step itself`);
        continue;
      }
      problems.push({ where: at(p.start), message: `${info.tag} is not supported in a migrun migration: migrun manages transactions (each step commits or rolls back as a whole)` });
      continue;
    }
    if (!info.transactional && inExplicitBlock) {
      problems.push({ where: at(p.start), message: `${info.tag} cannot be executed inside a transaction block, and this file wraps it in BEGIN ... COMMIT` });
      continue;
    }
    if (bestEffort && !info.concurrentIndex) {
      problems.push({ where: at(p.start), message: `-- migrun: best-effort applies only to concurrent index statements, not ${info.tag}` });
    }
    const f = facts.get(p.start);
    if (!f) throw new Error(`planSql: no statement facts for the statement at ${at(p.start)}`);
    statements.push({ text: p.text, node: p.node, info, locks: f.locks, facts: f, where: at(p.start), bestEffort });
  }
  if (problems.length) return { ok: false, problems };
  const steps = groupSteps(statements, noTransaction);
  if (noTransaction) notes.push('-- migrun: no-transaction: every statement is its own step');
  return { ok: true, plan: { steps, singleTransaction: steps.length === 1 && steps[0]!.transaction, notes } };
}

/** Groups planned statements into steps (see the module comment). */
export function groupSteps(statements: PlannedStatement[], eachAlone = false): PlannedStep[] {
  const steps: PlannedStep[] = [];
  let group: PlannedStatement[] = [];
  const flush = () => {
    if (group.length) steps.push({ executor: groupExecutor(group), transaction: true, statements: group });
    group = [];
  };
  for (const s of statements) {
    if (!s.info.transactional) {
      flush();
      steps.push({ executor: s.info.concurrentIndex ? 'index' : 'autocommit', transaction: false, statements: [s] });
    } else {
      group.push(s);
      if (eachAlone) flush();
    }
  }
  flush();
  return steps;
}

/** `dml` when the group changes data only (plus queries and settings), else `ddl`. */
export function groupExecutor(group: readonly PlannedStatement[]): 'ddl' | 'dml' {
  const dataOnly = group.every((s) => s.info.class === 'dml' || s.info.class === 'query' || s.info.class === 'session-setting');
  return dataOnly && group.some((s) => s.info.class === 'dml') ? 'dml' : 'ddl';
}

/**
 * The facts of each top-level statement of `text` (keyed by its start offset), computed on
 * the file's unit as the `migrun` runner runs it (migrun sets the timeouts itself).
 */
function statementFacts(text: string, file: string, pgVersion: number): Map<number, StatementFacts> {
  const unit = sqlUnit(file, text, { ...DEFAULT_SETTINGS, sqlRunner: 'migrun', sqlRunnerExplicit: true, pgVersion });
  computeContexts(unit, { runtimeSetsTimeouts: true, pgVersion });
  const out = new Map<number, StatementFacts>();
  // A DO block's inner statements follow it and start inside it: the first statement at an offset is the top-level one.
  for (const s of unit.statements) if (!out.has(s.span.start)) out.set(s.span.start, factsOf(s));
  return out;
}

/**
 * The locks a step's statements take on relations that exist before the migration:
 * not a table it created earlier (the facts' `existing`), not an index it built earlier.
 */
function preexistingLocks(statements: readonly PlannedStatement[]): { s: PlannedStatement; l: LockFact }[] {
  return statements.flatMap((s) =>
    s.locks.filter((l) => l.target && l.existing && !(l.relationKind === 'index' && l.key !== null && s.facts.schema.index(l.key))).map((l) => ({ s, l })),
  );
}

/** Relations a step takes locks on, as SQL names (for the idle-in-transaction report). */
export function stepRelations(statements: readonly PlannedStatement[]): string[] {
  return [...new Set(preexistingLocks(statements).map(({ l }) => l.relation))];
}

/**
 * The table locks a step is about to request, for the idle-in-transaction report.
 * A concurrent index build also waits out every transaction holding a lock that
 * conflicts with SHARE on its table (sql-createindex.html#SQL-CREATEINDEX-CONCURRENTLY).
 */
export function stepWants(statements: readonly PlannedStatement[]): { relation: string; mode: LockMode }[] {
  const out: { relation: string; mode: LockMode }[] = [];
  for (const { s, l } of preexistingLocks(statements)) {
    out.push({ relation: l.relation, mode: l.mode });
    if (s.info.concurrentIndex && l.relationKind === 'table' && !('DropStmt' in s.node)) out.push({ relation: l.relation, mode: 'SHARE' });
  }
  return out;
}

/** The executor's name as the library exports it. */
export function executorName(kind: ExecutorKind): string {
  return { ddl: 'execDdl', dml: 'execDml', index: 'execIndex', autocommit: 'autocommit' }[kind];
}

/** `ACCESS EXCLUSIVE on leads, SHARE ROW EXCLUSIVE on accounts`, or `no table lock`. */
export function describeLocks(locks: readonly LockRequirement[]): string {
  if (locks.length === 0) return 'no table lock';
  return locks.map((l) => `${l.mode} on ${l.relation}`).join(', ');
}

/** One line for a statement: its text, shortened. */
export function statementLine(s: PlannedStatement, max = 100): string {
  return oneLine(s.text, max);
}

/** One line per step: `step 2/3 execIndex (autocommit): CREATE INDEX CONCURRENTLY ... [SHARE UPDATE EXCLUSIVE on items]`. */
export function stepSummary(step: PlannedStep & { description?: string }, i: number, total: number | null): string {
  const head = `step ${i + 1}${total !== null ? `/${total}` : ''} ${executorName(step.executor)} (${step.transaction ? 'transaction' : 'autocommit'})`;
  if ('description' in step && step.description) return `${head}: ${step.description}`;
  const first = step.statements[0];
  if (!first) return `${head}: no statements`;
  const more = step.statements.length > 1 ? ` (+${step.statements.length - 1} more)` : '';
  return `${head}: ${statementLine(first, 80)}${more} [${describeLocks(first.locks)}]`;
}

