/**
 * The runner behind `migrun up`, `plan` and `status`: discover, plan, take the
 * migration lock, apply, record.
 *
 * Order of `up`: every file is planned (SQL parsed and split into steps, modules
 * loaded) before anything connects, so a syntax error anywhere fails the run
 * with nothing executed. Then: connect, take the advisory lock on its own idle
 * session (advisory.ts), create the migrations table if missing, and apply the
 * pending migrations in version order, each on a fresh work session.
 */
import { resolve } from 'node:path';
import { acquireMigrationLock, advisoryKey, type MigrationLock } from './advisory.js';
import { createContext, createRecordingContext, runPlannedStep, type RecordedStep } from './context.js';
import { offlineChecks } from './checks.js';
import { formatDuration } from './duration.js';
import { MigrunError, PlanError, indentRest, messageOf } from './errors.js';
import { execDdl } from './executors.js';
import { History, type HistoryRow } from './history.js';
import { discoverMigrations, loadMigrations, compareVersions, type LoadedMigration, type MigrationFile } from './migrations.js';
import { stepSummary } from './planner.js';
import { redact } from './connection.js';
import { Runtime, type RuntimeOptions } from './runtime.js';

export interface MigrunOptions extends RuntimeOptions {
  /** The migration directory; default `migrations` (relative to `cwd`). */
  dir?: string;
  /** The migrations table, `name` or `schema.name`; default `migrun_migrations` in the current schema. */
  table?: string;
  /** How long `up` waits for another migrun's migration lock, ms; default 60000. */
  lockWaitMs?: number;
  /** Working directory for `dir` and messages; default process.cwd(). */
  cwd?: string;
}

export const DEFAULT_TABLE = 'migrun_migrations';
export const DEFAULT_DIR = 'migrations';

export interface AppliedMigration {
  version: string;
  display: string;
  steps: number;
  resumedAt: number | null;
  ms: number;
}

export interface UpResult {
  applied: AppliedMigration[];
  /** Migrations already applied before this run. */
  alreadyApplied: number;
}

async function prepare(options: MigrunOptions): Promise<{ cwd: string; files: MigrationFile[]; migrations: LoadedMigration[] }> {
  const cwd = options.cwd ?? process.cwd();
  const files = await discoverMigrations(resolve(cwd, options.dir ?? DEFAULT_DIR), cwd);
  const { migrations, problems } = await loadMigrations(files);
  if (problems.length) throw new PlanError(problems);
  return { cwd, files, migrations };
}

/**
 * Applies pending migrations.
 * @returns what was applied, with durations in ms.
 * @throws PlanError before connecting when any migration cannot be planned;
 *   UsageError when the directory or server is unusable; MigrunError (exit 1)
 *   when a migration fails (its completed steps stay recorded) or the lock wait runs out.
 */
export async function migrateUp(options: MigrunOptions = {}): Promise<UpResult> {
  const { migrations } = await prepare(options);
  const rt = new Runtime(options);
  const log = rt.logger;
  log.info(`connecting to ${rt.connection.display}`);
  let lock: MigrationLock | null = null;
  try {
    const history = await History.resolve(await rt.work(), options.table ?? DEFAULT_TABLE);
    lock = await acquireMigrationLock(rt, advisoryKey(history.display), options.lockWaitMs ?? 60_000, log);
    if (!(await history.exists(await rt.work()))) await execDdl(rt, history.createSql(), { label: `create ${history.display}` });
    const rows = await history.read(await rt.work());

    const pending: LoadedMigration[] = [];
    let alreadyApplied = 0;
    let latestApplied: string | null = null;
    for (const m of migrations) {
      const row = rows.get(m.version);
      if (row?.status === 'applied') {
        alreadyApplied++;
        latestApplied = m.version;
        if (row.checksum !== m.checksum) log.warn(`${m.display} has changed since it was applied (checksum differs); it is not run again`);
        continue;
      }
      if (row?.status === 'partial' && row.checksum !== m.checksum) {
        throw new MigrunError(
          `${m.display} was partly applied (${row.stepsDone}${row.stepsTotal !== null ? ` of ${row.stepsTotal}` : ''} steps) and has changed since; ` +
            `restore the file as it was to resume it, or finish or undo it by hand and delete its row from ${history.display}`,
        );
      }
      if (!row && latestApplied !== null && compareVersions(m.version, latestApplied) < 0) {
        log.warn(`${m.display} is older than the latest applied migration (${latestApplied}); applying it now`);
      }
      pending.push(m);
    }
    const known = new Set(migrations.map((m) => m.version));
    for (const v of rows.keys()) if (!known.has(v)) log.warn(`migration ${v} is recorded in ${history.display} but has no file in the directory`);
    if (pending.length === 0) {
      log.info(`nothing to do: ${alreadyApplied} migration${alreadyApplied === 1 ? '' : 's'} applied, none pending`);
      return { applied: [], alreadyApplied };
    }
    log.info(`${pending.length} pending migration${pending.length === 1 ? '' : 's'} (${alreadyApplied} already applied)`);

    const applied: AppliedMigration[] = [];
    const started = Date.now();
    for (const m of pending) {
      rt.throwIfInterrupted(`applying ${m.display}`);
      if (!lock.held) throw new MigrunError('the migration lock session was terminated; stopping so that no other migrun runs the same migrations at once');
      applied.push(await applyOne(rt, history, m, rows.get(m.version) ?? null, () => lock!.held));
      await rt.resetWork();
    }
    log.info(`applied ${applied.length} migration${applied.length === 1 ? '' : 's'} in ${formatDuration(Date.now() - started)}`);
    return { applied, alreadyApplied };
  } finally {
    await lock?.release();
    await rt.close();
  }
}

async function applyOne(rt: Runtime, history: History, m: LoadedMigration, row: HistoryRow | null, lockHeld: () => boolean): Promise<AppliedMigration> {
  const log = rt.logger;
  const started = Date.now();
  const resumed = row?.status === 'partial';
  const from = resumed ? row.stepsDone : 0;
  const plan = m.plan;

  if (plan && plan.steps.length <= 1 && !resumed) {
    // One transaction (or nothing): the history row commits with the migration's changes.
    const step = plan.steps[0];
    log.info(`applying ${m.display}: ${step ? `1 step, ${step.transaction ? 'one transaction' : 'autocommit'}` : 'no statements'}`);
    if (step) log.info(`  ${stepSummary(step, 0, 1)}`);
    try {
      if (!step) await history.markApplied(await rt.work(), m, 0, 0, 0);
      else if (step.transaction) await runPlannedStep(rt, step, m.display, (s) => history.markApplied(s, m, 1, 1, Date.now() - started));
      else {
        await history.markStarted(await rt.work(), m, 1);
        await runPlannedStep(rt, step, m.display, (s) => history.markApplied(s, m, 1, 1, Date.now() - started));
      }
    } catch (e) {
      if (step && !step.transaction) await recordFailure(rt, history, m, e, started);
      throw new MigrunError(`${m.display} failed; ${step?.transaction ? 'its transaction was rolled back and nothing of it was applied' : 'rerun migrun up to retry it'}:\n  ${indentRest(messageOf(e))}`);
    }
    const ms = Date.now() - started;
    log.info(`applied ${m.display} in ${formatDuration(ms)}`);
    return { version: m.version, display: m.display, steps: step ? 1 : 0, resumedAt: null, ms };
  }

  const total = plan ? plan.steps.length : null;
  log.info(
    `${resumed ? 'resuming' : 'applying'} ${m.display}: ${total !== null ? `${total} steps` : 'module, steps as it runs'}` +
      (resumed ? `, ${from} done in an earlier run, continuing at step ${from + 1}` : ''),
  );
  await history.markStarted(await rt.work(), m, total);
  let current = from;
  try {
    if (plan) {
      for (let i = from; i < plan.steps.length; i++) {
        if (!lockHeld()) throw new MigrunError('the migration lock session was terminated; stopping');
        current = i;
        const step = plan.steps[i]!;
        log.info(`  ${stepSummary(step, i, total)}`);
        await runPlannedStep(rt, step, `${m.display} step ${i + 1}/${total}`, (s) => history.markStep(s, m.version, i + 1), resumed && i === from);
      }
      current = plan.steps.length;
    } else {
      const ctx = createContext(rt, {
        doneThrough: from,
        resumed,
        label: m.display,
        module: { path: m.path, text: m.text, display: m.display },
        stepDone: async (s, n) => {
          current = n;
          await history.markStep(s, m.version, n);
        },
        checkpoint: (n) => ((row?.progress?.[String(n)] as never) ?? null),
        saveCheckpoint: (s, n, c) => history.markProgress(s, m.version, n, c),
      });
      await (m.up as (c: typeof ctx) => unknown)(ctx);
    }
    await history.markApplied(await rt.work(), m, total ?? current, total ?? current, Date.now() - started);
  } catch (e) {
    await recordFailure(rt, history, m, e, started);
    const at = plan ? `at step ${current + 1} of ${total}` : `in step ${current + 1}`;
    throw new MigrunError(
      `${m.display} failed ${at}; ${plan ? `steps 1-${current} are` : `${current} completed step${current === 1 ? ' is' : 's are'}`} recorded in ${history.display}` +
        (plan && current === 0 ? ' (none completed)' : '') +
        `, and migrun up resumes from the failed step once the cause is fixed:\n  ${indentRest(messageOf(e))}`,
    );
  }
  const ms = Date.now() - started;
  log.info(`applied ${m.display} in ${formatDuration(ms)}`);
  return { version: m.version, display: m.display, steps: total ?? current, resumedAt: resumed ? from : null, ms };
}

/** Writes the failure to the migration's row on a fresh session (the work session may be the thing that died). */
async function recordFailure(rt: Runtime, history: History, m: LoadedMigration, e: unknown, started: number): Promise<void> {
  try {
    await rt.shortLived('record', (s) => history.markFailed(s, m.version, redact(messageOf(e), rt.connection.secrets), Date.now() - started));
  } catch (err) {
    rt.logger.warn(`could not record the failure of ${m.display}: ${messageOf(err)}`);
  }
}

export type MigrationState = 'applied' | 'changed' | 'pending' | 'partial' | 'missing-file';

export interface StatusEntry {
  version: string;
  display: string;
  state: MigrationState;
  row: HistoryRow | null;
}

export interface StatusResult {
  table: string;
  tableExists: boolean;
  entries: StatusEntry[];
}

/**
 * Applied, pending, failed-and-resumable (`partial`), changed-since-applied and
 * recorded-without-file migrations. Reads only; takes no lock.
 * @throws UsageError when the directory or server is unusable.
 */
export async function migrationStatus(options: MigrunOptions = {}): Promise<StatusResult> {
  const cwd = options.cwd ?? process.cwd();
  const files = await discoverMigrations(resolve(cwd, options.dir ?? DEFAULT_DIR), cwd);
  const rt = new Runtime(options);
  try {
    const s = await rt.work();
    const history = await History.resolve(s, options.table ?? DEFAULT_TABLE);
    const tableExists = await history.exists(s);
    const rows = await history.read(s);
    const entries: StatusEntry[] = files.map((f) => {
      const row = rows.get(f.version) ?? null;
      const state: MigrationState = !row ? 'pending' : row.status === 'partial' ? 'partial' : row.checksum !== f.checksum ? 'changed' : 'applied';
      return { version: f.version, display: f.display, state, row };
    });
    const known = new Set(files.map((f) => f.version));
    for (const row of rows.values()) {
      if (!known.has(row.version)) entries.push({ version: row.version, display: `${row.version}_${row.name}`, state: 'missing-file', row });
    }
    entries.sort((a, b) => compareVersions(a.version, b.version));
    return { table: history.display, tableExists, entries };
  } finally {
    await rt.close();
  }
}

export interface PlannedMigration {
  version: string;
  display: string;
  state: 'pending' | 'partial';
  kind: 'sql' | 'module';
  steps: RecordedStep[];
  /** Steps done by an earlier run (partial migrations). */
  doneSteps: number;
  singleTransaction: boolean;
  notes: string[];
}

export interface PlanResult {
  migrations: PlannedMigration[];
  alreadyApplied: number;
  /** Planned without a database: the history was not read, so every migration counts as pending. */
  offline: boolean;
}

/**
 * What `up` would do, statement by statement, changing nothing: reads the
 * migrations table if it exists; module migrations run against a recording
 * context (their checks query for real, read-only). With `offline`, nothing
 * connects: every migration is planned as pending, and a module migration's
 * checks answer as on a database without the change (each assumption noted).
 * @throws PlanError when any migration cannot be planned; UsageError as migrationStatus.
 */
export async function planMigrations(options: MigrunOptions & { offline?: boolean } = {}): Promise<PlanResult> {
  const { migrations } = await prepare(options);
  const rt = new Runtime(options);
  const offline = options.offline === true;
  try {
    let rows = new Map<string, HistoryRow>();
    if (!offline) {
      const s = await rt.work();
      rows = await (await History.resolve(s, options.table ?? DEFAULT_TABLE)).read(s);
    }
    const out: PlannedMigration[] = [];
    let alreadyApplied = 0;
    for (const m of migrations) {
      const row = rows.get(m.version);
      if (row?.status === 'applied') {
        alreadyApplied++;
        continue;
      }
      const state = row?.status === 'partial' ? 'partial' : 'pending';
      const doneSteps = row?.status === 'partial' ? row.stepsDone : 0;
      if (m.plan) {
        out.push({ version: m.version, display: m.display, state, kind: 'sql', steps: m.plan.steps, doneSteps, singleTransaction: m.plan.singleTransaction && state === 'pending', notes: m.plan.notes });
        continue;
      }
      const assumed: string[] = [];
      const rec = createRecordingContext(rt, m.display, offline ? offlineChecks((a) => assumed.push(a)) : undefined, { path: m.path, text: m.text, display: m.display });
      const notes = [`module migration: steps recorded by running up(ctx) without executing; ${offline ? 'offline, each check answered as on a database without the change' : 'checks ran for real'}`];
      try {
        await (m.up as (c: typeof rec.ctx) => unknown)(rec.ctx);
      } catch (e) {
        notes.push(`up(ctx) threw while planning: ${messageOf(e)}`);
      }
      if (assumed.length) notes.push(`assumed ctx.check.${assumed.join(', ctx.check.')}`);
      out.push({ version: m.version, display: m.display, state, kind: 'module', steps: rec.steps, doneSteps, singleTransaction: false, notes });
    }
    return { migrations: out, alreadyApplied, offline };
  } finally {
    await rt.close();
  }
}
