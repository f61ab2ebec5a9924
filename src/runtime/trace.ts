/**
 * `migrun trace [paths...]`: runs migrations on a throwaway server
 * (scratch-server.ts) and reports what each statement locked, rewrote and how
 * long it held its locks (trace-observe.ts).
 *
 * What runs:
 * - migrun's own migrations (a directory or file whose configuration says
 *   `sqlRunner: "migrun"`, or a module using `ctx`) as `migrun up` runs them:
 *   the same planner, executors and transaction grouping, without the history table;
 * - any other migration as the SQL miglint extracted from it (sources/index.ts
 *   `loadUnit`), phase `up`, under its runner's or framework's transaction
 *   grouping as the unit's contexts give it: the framework's wrapping transaction,
 *   the file's own BEGIN/COMMIT, a transaction the code opens, one query string
 *   with several statements (one implicit transaction), else autocommit. Statements
 *   on another connection than the migration's run on a session of their own.
 *   A statement with placeholders, or one the frontend could not read, is not
 *   traced and listed as such.
 *
 * The first failing migration stops the trace, as it would stop the runner.
 */
import { readFile, stat } from 'node:fs/promises';
import { basename, join, relative, resolve } from 'node:path';
import { rules } from '../../rules/index.js';
import { ConfigLoader } from '../config/index.js';
import type { MigrationUnit, Statement } from '../core/unit.js';
import { discoverFiles } from '../lint/discover.js';
import { configForFile } from '../lint/run.js';
import { loadUnit, prepareFrontends } from '../sources/index.js';
import { classify } from '../sql/classify.js';
import { onFrameworkConnection } from '../sql/context.js';
import { createContext, runPlannedStep } from './context.js';
import { resolveConnection, type Session } from './connection.js';
import { MigrunError, UsageError, messageOf } from './errors.js';
import { discoverMigrations, loadMigrations, type LoadedMigration, type MigrationFile } from './migrations.js';
import { Runtime, type Logger } from './runtime.js';
import { scratchServer, type ScratchServer } from './scratch-server.js';
import { LockTracer, type TraceStatement } from './trace-observe.js';

export interface NotTraced {
  line: number;
  reason: string;
}

export interface TraceMigration {
  file: string;
  /** How it was run, e.g. `knex runs each migration in a transaction`. */
  how: string;
  statements: TraceStatement[];
  notTraced: NotTraced[];
  /** Why it failed (the trace stopped there), when it did. */
  error?: string;
}

/** The JSON document `migrun trace --format json` prints. */
export interface TraceReport {
  server: { version: string };
  migrations: TraceMigration[];
}

export interface TraceResult {
  report: TraceReport;
  /** Where the server came from and how long it took to start, for the text report's first line. */
  server: Pick<ScratchServer, 'source' | 'description' | 'startMs' | 'version'>;
}

export interface TraceOptions {
  paths: string[];
  cwd?: string;
  /** SQL run before the migrations (schema and rows), as one query string. */
  seed?: string;
  /** A scratch database to use instead of a throwaway server. */
  databaseUrl?: string;
  allowExisting?: boolean;
  env?: Record<string, string | undefined>;
  logger: Logger;
  signal?: AbortSignal;
}

type Item =
  | { display: string; kind: 'migrun'; migration: LoadedMigration }
  | { display: string; kind: 'unit'; unit: MigrationUnit }
  | { display: string; kind: 'unreadable'; line: number; reason: string };

const UP_ONLY = 'only the up direction is traced';

/** Whether the configuration that applies in `dir` says the SQL there is migrun's. */
async function isMigrunDir(loader: ConfigLoader, dir: string): Promise<boolean> {
  const cfg = await loader.forFile(join(dir, 'migration.sql'));
  return cfg.settings.sqlRunner === 'migrun';
}

/** A single migrun file, planned or loaded as `up` would. */
async function migrunItem(file: string, display: string, text: string): Promise<Item> {
  const f: MigrationFile = { version: '0', name: basename(file), path: file, display, kind: file.endsWith('.sql') ? 'sql' : 'module', checksum: '', text };
  const { migrations, problems } = await loadMigrations([f]);
  if (problems.length) return { display, kind: 'unreadable', line: lineOf(problems[0]!.where), reason: problems.map((p) => p.message).join('; ') };
  return { display, kind: 'migrun', migration: migrations[0]! };
}

const lineOf = (where: string) => Number(/:(\d+):\d+$/.exec(where)?.[1] ?? 1);

/** The migrations named by `paths`, in the order a runner would apply them. */
async function collect(paths: string[], cwd: string): Promise<Item[]> {
  const loader = new ConfigLoader(new Set(rules.map((r) => r.meta.id)));
  const items: Item[] = [];
  const display = (f: string) => relative(cwd, f) || f;
  for (const p of paths) {
    const abs = resolve(cwd, p);
    const isDir = await stat(abs).then((s) => s.isDirectory()).catch(() => false);
    if (isDir && (await isMigrunDir(loader, abs))) {
      const { migrations, problems } = await loadMigrations(await discoverMigrations(abs, cwd));
      for (const pr of problems) items.push({ display: pr.where.replace(/:\d+:\d+$/, ''), kind: 'unreadable', line: lineOf(pr.where), reason: pr.message });
      for (const m of migrations) items.push({ display: m.display, kind: 'migrun', migration: m });
      continue;
    }
    let files: string[];
    try {
      files = await discoverFiles([p], cwd);
    } catch (e) {
      throw new UsageError((e as Error).message);
    }
    await prepareFrontends(files);
    for (const file of files) {
      const cfg = await configForFile(file, loader);
      const text = await readFile(file, 'utf8');
      if (file.endsWith('.sql') && cfg.settings.sqlRunner === 'migrun') {
        items.push(await migrunItem(file, display(file), text));
        continue;
      }
      const unit = loadUnit(file, text, cfg.settings);
      unit.release?.(); // A trace runs the statements; it asks for no fix edits.
      if (unit.framework === 'migrun') items.push(await migrunItem(file, display(file), text));
      else items.push({ display: display(file), kind: 'unit', unit });
    }
  }
  return items;
}

/**
 * Traces the migrations under `paths` on a throwaway server (or the scratch
 * database `databaseUrl`), stopping it afterwards.
 * @returns the report; a failed migration is in it (`error`), and the ones after it are listed as not run.
 * @throws UsageError for bad paths, no server, a refused database or a failing seed.
 */
export async function traceMigrations(o: TraceOptions): Promise<TraceResult> {
  const cwd = o.cwd ?? process.cwd();
  const items = await collect(o.paths, cwd);
  if (items.length === 0) throw new UsageError(`no migrations found in ${o.paths.join(', ')}`);
  const server = await scratchServer({
    databaseUrl: o.databaseUrl,
    display: o.databaseUrl ? resolveConnection({ databaseUrl: o.databaseUrl, env: {} }).display : undefined,
    allowExisting: o.allowExisting,
    env: o.env,
    onStarting: (what) => o.logger.info(`starting ${what} (about a second)`),
  });
  const rt = new Runtime({ databaseUrl: server.url, env: {}, logger: o.logger, signal: o.signal, retries: 0, applicationName: 'migrun-trace' });
  try {
    if (o.seed !== undefined) {
      try {
        await rt.shortLived('seed', (s) => s.query(o.seed!));
      } catch (e) {
        throw new UsageError(`the seed failed: ${messageOf(e)}`);
      }
    }
    // The observer polls autocommit steps' backends; closed with the trace.
    return await rt.shortLived('observer', async (observer) => {
      const tracer = new LockTracer(observer);
      rt.tracer = tracer;
      const migrations: TraceMigration[] = [];
      let failed: string | null = null;
      for (const item of items) {
        if (failed || rt.interrupted) {
          migrations.push({ file: item.display, how: 'not run', statements: [], notTraced: [{ line: 1, reason: failed ? `not run: ${failed} failed before it` : `not run: interrupted by ${rt.interrupted}` }] });
          continue;
        }
        const m = await traceItem(rt, tracer, item);
        migrations.push(m);
        if (m.error) failed = m.file;
      }
      return { report: { server: { version: server.version }, migrations }, server };
    });
  } finally {
    await rt.close();
    await server.stop();
  }
}

async function traceItem(rt: Runtime, tracer: LockTracer, item: Item): Promise<TraceMigration> {
  if (item.kind === 'unreadable') return { file: item.display, how: 'not run', statements: [], notTraced: [{ line: item.line, reason: item.reason }] };
  await tracer.startMigration();
  const notTraced: NotTraced[] = [];
  let how: string;
  let error: string | undefined;
  try {
    if (item.kind === 'migrun') {
      how = 'migrun: the steps and executors of `migrun up`, without its history table';
      await runMigrun(rt, item.migration);
    } else {
      how = `${item.unit.wrapped.reason}; ${UP_ONLY}`;
      await runUnit(rt, tracer, item.unit, item.display, notTraced);
    }
  } catch (e) {
    how ??= 'failed';
    error = messageOf(e);
  } finally {
    tracer.endAll();
    await rt.resetWork();
  }
  const statements = tracer.finishMigration();
  return { file: item.display, how: how!, statements, notTraced, ...(error ? { error } : {}) };
}

/** A migrun migration: its planned steps on the executors, or its `up(ctx)` on an executing context. */
async function runMigrun(rt: Runtime, m: LoadedMigration): Promise<void> {
  if (m.plan) {
    const total = m.plan.steps.length;
    for (const [i, step] of m.plan.steps.entries()) await runPlannedStep(rt, step, total > 1 ? `${m.display} step ${i + 1}/${total}` : m.display);
    return;
  }
  const ctx = createContext(rt, {
    doneThrough: 0,
    resumed: false,
    label: m.display,
    module: { path: m.path, text: m.text, display: m.display },
    stepDone: async () => undefined,
    checkpoint: () => null,
    saveCheckpoint: async () => undefined,
  });
  await (m.up as (c: typeof ctx) => unknown)(ctx);
}

/** Which session a statement runs on: the migration's connection, another named one, or a pool's. */
function sessionKey(s: Statement): string {
  if (onFrameworkConnection(s)) return 'migration';
  return s.connection ?? 'pool';
}

/** Which transaction block a statement needs (null: autocommit); the file's own BEGIN opens `explicit`. */
function transactionKey(s: Statement): string | null {
  switch (s.context.transaction) {
    case 'explicit':
      return 'explicit';
    case 'framework':
      return 'framework';
    case 'code':
      return `code:${s.codeTransactionId ?? s.codeTransaction}`;
    case 'implicit':
      return `batch:${s.batch}`;
    default:
      return null;
  }
}

interface UnitSession {
  session: Session;
  /** The transaction block open on it, by key, or null. */
  tx: string | null;
}

const hasPlaceholders = (s: Statement) => s.interpolated || /"ParamRef"/.test(JSON.stringify(s.node));

/**
 * Runs a unit's `up` statements on sessions of the runtime, opening and ending
 * transaction blocks as its contexts say, and reporting each statement to the tracer.
 * @throws the first statement's error (open transactions are rolled back when the sessions close).
 */
async function runUnit(rt: Runtime, tracer: LockTracer, unit: MigrationUnit, display: string, notTraced: NotTraced[]): Promise<void> {
  const line = (offset: number) => unit.source.positionAt(offset);
  for (const e of unit.syntaxErrors) throw new MigrunError(`syntax error at line ${line(e.offset).line}: ${e.message}`);
  for (const u of unit.unanalysed) {
    if (u.phase && u.phase !== 'up') continue;
    if (u.scope === 'file') throw new MigrunError(`not analysed from line ${line(u.span.start).line}: ${u.message}`);
    notTraced.push({ line: line(u.span.start).line, reason: u.message });
  }
  const sessions = new Map<string, UnitSession>();
  const sessionFor = async (key: string): Promise<UnitSession> => {
    let us = sessions.get(key);
    if (!us) {
      const session = await rt.open(`trace:${key}`.slice(0, 40));
      // Nothing else runs on the server: a wait can only be for the migration's own other connection.
      await session.query("SELECT set_config('lock_timeout', '5s', false)");
      sessions.set(key, (us = { session, tx: null }));
    }
    return us;
  };
  const endTx = async (us: UnitSession, how: 'COMMIT' | 'ROLLBACK') => {
    await us.session.query(how);
    await tracer.end(us.session, how === 'COMMIT' ? 'commit' : 'rollback');
    us.tx = null;
  };
  const begin = async (us: UnitSession, key: string | null) => {
    await us.session.query('BEGIN');
    tracer.begin(us.session, key === null);
    us.tx = key ?? 'single';
  };
  try {
    for (const s of unit.statements) {
      if (s.phase !== 'up') continue;
      const pos = line(s.span.start);
      if (hasPlaceholders(s)) {
        notTraced.push({ line: pos.line, reason: 'built from values known only when the migration runs (placeholders the trace cannot fill)' });
        continue;
      }
      const us = await sessionFor(sessionKey(s));
      const info = classify(s.node);
      const st = { text: s.sql, where: `${display}:${pos.line}:${pos.column}`, endLine: line(s.span.end).line };
      if (info.class === 'transaction-control') {
        // The file's own BEGIN / COMMIT / ROLLBACK, sent as written. A BEGIN inside the framework's transaction
        // only draws a warning from the server (the transaction goes on); a COMMIT ends whichever is open.
        await us.session.query(s.sql);
        if (info.transactionControl === 'begin') {
          if (us.tx === null) tracer.begin(us.session);
          us.tx = 'explicit';
        } else if ((info.transactionControl === 'commit' || info.transactionControl === 'rollback') && us.tx !== null) {
          await tracer.end(us.session, info.transactionControl);
          us.tx = null;
        }
        continue;
      }
      const want = transactionKey(s);
      if (us.tx && us.tx !== 'explicit' && us.tx !== want) await endTx(us, 'COMMIT');
      // A statement in autocommit that can run in a transaction block is its own transaction: run it as one to read its locks.
      const alone = want === null && info.transactional;
      if ((want !== null || alone) && us.tx === null) await begin(us, want);
      await tracer.before(us.session, st);
      try {
        await us.session.query(s.sql);
      } catch (e) {
        await tracer.after(us.session, st, e);
        throw e;
      }
      await tracer.after(us.session, st, null);
      if (alone) await endTx(us, 'COMMIT');
    }
    for (const us of sessions.values()) {
      if (us.tx === 'explicit') {
        notTraced.push({
          line: 1,
          reason: 'the migration leaves its own transaction block open: the trace rolls it back, as the server does when the session ends (a runner that goes on in the same session runs the next migration inside it)',
        });
        await endTx(us, 'ROLLBACK');
      } else if (us.tx) await endTx(us, 'COMMIT');
    }
  } finally {
    await Promise.all([...sessions.values()].map(async (us) => {
      rt.ownPids.delete(us.session.pid);
      await us.session.close();
    }));
  }
}

