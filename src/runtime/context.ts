/**
 * `ctx`, what a TS/JS migration's `up(ctx)` receives, and the same API for
 * programs that run their own migrations (`connectMigrun` in index.ts).
 *
 * Every executing call (`sql`, `ddl`, `dml`, `index`, `backfill`) is a step; the
 * runner records each as it completes, and on a rerun of a partly applied
 * migration the calls before the recorded step are skipped (so `up` must make
 * the same calls in the same order when rerun). `check` calls always run.
 */
import { initSqlParser } from '../sql/parse.js';
import { backfill, type BackfillCheckpoint, type BackfillOptions, type BackfillResult } from './backfill.js';
import { createChecks, type Checks } from './checks.js';
import type { Session } from './connection.js';
import { PlanError } from './errors.js';
import { execAutocommit, execDdl, execDml, execIndex, type ExecResult, type IndexResult } from './executors.js';
import { planSql, stepSummary, type Locator, type PlannedStatement, type PlannedStep } from './planner.js';
import { locatorForCall, type ModuleSource } from './call-site.js';
import { oneLine } from './blockers.js';
import type { Runtime } from './runtime.js';

export interface MigrationContext {
  /** Runs SQL text planned like a `.sql` file: transactional groups and autocommit steps. */
  sql(text: string): Promise<void>;
  /** Runs statements in one DDL transaction (lock timeout, statement timeout, retries). */
  ddl(text: string): Promise<ExecResult>;
  /** Runs statements in one DML transaction; `params` bind $1, $2, ... of a single statement. */
  dml(text: string, params?: unknown[]): Promise<ExecResult>;
  /** Runs one concurrent index statement; `bestEffort` warns instead of failing. */
  index(text: string, options?: { bestEffort?: boolean }): Promise<IndexResult>;
  /** Existence checks on short-lived autocommit sessions. */
  check: Checks;
  /** Batched update, one short transaction per batch; resumable. */
  backfill(options: Omit<BackfillOptions, 'resumeFrom' | 'onBatch'>): Promise<BackfillResult>;
  /** Writes a line to migrun's log. */
  log(message: string): void;
}

/** How the runner follows a module migration's steps. */
export interface StepHooks {
  /** Steps already recorded as done; calls numbered up to this are skipped. */
  doneThrough: number;
  /** The migration was started by an earlier run that stopped (its next step may have run unrecorded). */
  resumed: boolean;
  /** Prefix of step labels, e.g. `migrations/003_x.ts`. */
  label: string;
  /** The module's file and text, to locate each call's SQL in it. */
  module?: ModuleSource;
  /** Records step `n` as done, on the step's session (inside its transaction when it has one). */
  stepDone(session: Session, n: number): Promise<void>;
  /** The backfill checkpoint recorded for step `n`, if any. */
  checkpoint(n: number): BackfillCheckpoint | null;
  /** Records a backfill checkpoint of step `n` inside the batch's transaction. */
  saveCheckpoint(session: Session, n: number, c: BackfillCheckpoint): Promise<void>;
}

/**
 * Runs one planned step on its executor.
 * @param onDone records the step (inside its transaction for ddl/dml).
 * @param resuming the step may have completed in an interrupted run (see execIndex).
 */
export async function runPlannedStep(rt: Runtime, step: PlannedStep, label: string, onDone?: (s: Session) => Promise<void>, resuming = false): Promise<void> {
  switch (step.executor) {
    case 'ddl':
      await execDdl(rt, step.statements, { label, onDone });
      return;
    case 'dml':
      await execDml(rt, step.statements, { label, onDone });
      return;
    case 'index':
      await execIndex(rt, step.statements, { label, onDone, resuming, bestEffort: step.statements[0]?.bestEffort ?? false });
      return;
    case 'autocommit':
      await execAutocommit(rt, step.statements, { label, onDone });
      return;
  }
}

async function plan(text: string, label: string | Locator) {
  await initSqlParser();
  const outcome = planSql(text, label);
  if (!outcome.ok) throw new PlanError(outcome.problems);
  return outcome.plan;
}

const NOTHING: ExecResult = { attempts: 0, rows: [], rowCount: 0 };

/**
 * A context that executes. Without `hooks` (library use) every call simply runs.
 */
export function createContext(rt: Runtime, hooks?: StepHooks): MigrationContext {
  let n = 0;
  const label = (what: string) => (hooks ? `${hooks.label} step ${n} (${what})` : what);
  /** Numbers the next step; true when it was done by an earlier run. */
  const next = (what: string, detail: string): boolean => {
    n++;
    if (hooks && n <= hooks.doneThrough) {
      rt.logger.info(`  step ${n} ${what}: done in an earlier run, skipped`);
      return true;
    }
    if (hooks) rt.logger.info(`  step ${n} ${what}: ${detail}`);
    return false;
  };
  const first = (text: string) => oneLine(text, 80);
  const done = () => {
    const k = n;
    return hooks ? (s: Session) => hooks.stepDone(s, k) : undefined;
  };
  const resuming = () => hooks !== undefined && hooks.resumed && n === hooks.doneThrough + 1;

  /** Where a call's SQL is in the module (call this before any await: it reads the stack). */
  const locate = (call: string) => locatorForCall(hooks?.module, hooks ? `${hooks.label} (${call})` : call);
  const statements = async (text: string, at: Locator) => (await plan(text, at)).steps.flatMap((s) => s.statements);

  return {
    async sql(text) {
      const p = await plan(text, locate('ctx.sql'));
      for (const step of p.steps) {
        if (next(`ctx.sql`, stepSummary(step, 0, null).replace(/^step 1 /, ''))) continue;
        await runPlannedStep(rt, step, label(`ctx.sql, ${step.executor}`), done(), resuming());
      }
    },
    async ddl(text) {
      const at = locate('ctx.ddl');
      if (next('ctx.ddl', first(text))) return NOTHING;
      return execDdl(rt, await statements(text, at), { label: label('ctx.ddl'), onDone: done() });
    },
    async dml(text, params) {
      const at = locate('ctx.dml');
      if (next('ctx.dml', first(text))) return NOTHING;
      return execDml(rt, await statements(text, at), { label: label('ctx.dml'), onDone: done(), params });
    },
    async index(text, options = {}) {
      const at = locate('ctx.index');
      if (next('ctx.index', first(text))) return { ...NOTHING, built: false, note: 'done in an earlier run' };
      return execIndex(rt, await statements(text, at), { label: label('ctx.index'), onDone: done(), bestEffort: options.bestEffort ?? false, resuming: resuming() });
    },
    check: createChecks(rt),
    async backfill(options) {
      const at = locate('ctx.backfill');
      if (next('ctx.backfill', `${options.table} SET ${first(options.set)}${options.where ? ` WHERE ${first(options.where)}` : ''}`)) return { rows: 0, batches: 0, partitions: 0, ms: 0 };
      const k = n;
      const result = await backfill(rt, {
        ...options,
        label: options.label ?? `${hooks ? `  step ${n} ` : ''}backfill ${options.table}`,
        at,
        resumeFrom: hooks?.checkpoint(k) ?? null,
        onBatch: hooks ? (c, s) => hooks.saveCheckpoint(s, k, c) : undefined,
      });
      if (hooks) await hooks.stepDone(await rt.work(), k);
      return result;
    },
    log(message) {
      rt.logger.info(`${hooks?.label ?? 'migrun'}: ${message}`);
    },
  };
}

/** A step `migrun plan` shows for a module migration. */
export interface RecordedStep extends PlannedStep {
  /** For steps that are not plain statements (a backfill). */
  description?: string;
}

/**
 * A context that records instead of executing, for `migrun plan`. Checks run
 * for real (they are read-only); executing calls return empty results, so a
 * migration that branches on what a call returned may plan differently than it runs.
 */
export function createRecordingContext(rt: Runtime, label: string, checks: Checks = createChecks(rt), module?: ModuleSource): { ctx: MigrationContext; steps: RecordedStep[] } {
  const steps: RecordedStep[] = [];
  // Located before any await: the call site is read from the stack.
  const planned = (text: string, call: string) => plan(text, locatorForCall(module, `${label} (${call})`));
  const statementsOf = async (text: string, call: string) => (await planned(text, call)).steps.flatMap((s) => s.statements);
  const ctx: MigrationContext = {
    async sql(text) {
      steps.push(...(await planned(text, 'ctx.sql')).steps);
    },
    async ddl(text) {
      steps.push({ executor: 'ddl', transaction: true, statements: await statementsOf(text, 'ctx.ddl') });
      return NOTHING;
    },
    async dml(text) {
      const statements: PlannedStatement[] = await statementsOf(text, 'ctx.dml');
      steps.push({ executor: 'dml', transaction: true, statements });
      return NOTHING;
    },
    async index(text, options = {}) {
      const statements = (await statementsOf(text, 'ctx.index')).map((s) => ({ ...s, bestEffort: options.bestEffort ?? false }));
      steps.push({ executor: 'index', transaction: false, statements });
      return { ...NOTHING, built: false };
    },
    check: checks,
    async backfill(o) {
      steps.push({
        executor: 'dml',
        transaction: true,
        statements: [],
        description:
          `backfill ${o.table}: UPDATE ... SET ${o.set}${o.where ? ` WHERE ${o.where}` : ''}, ` +
          `${o.batchSize ?? 1000} rows per transaction by ${o.key ?? 'id'}${o.partitionBy ? `, one ${o.partitionBy} at a time` : ''}; ROW EXCLUSIVE on ${o.table} per batch`,
      });
      return { rows: 0, batches: 0, partitions: 0, ms: 0 };
    },
    log: () => undefined,
  };
  return { ctx, steps };
}
