/**
 * The migrations table: one row per migration that has started, with its
 * checksum, how many steps are done, where a backfill got to, how long it took
 * and the last error. A single-transaction migration writes its row inside its
 * own transaction, so the row exists exactly when the migration's changes do; a
 * multi-step one records each step in that step's transaction (or right after
 * an autocommit step), so a rerun resumes at the first step not recorded.
 */
import { quoteIdent, type Session } from './connection.js';

export interface HistoryRow {
  version: string;
  name: string;
  checksum: string;
  status: 'applied' | 'partial';
  stepsDone: number;
  /** Null for TS/JS migrations, whose steps are known only as they run. */
  stepsTotal: number | null;
  /** Checkpoints of the step in progress (a backfill's last key), keyed by step number. */
  progress: Record<string, unknown> | null;
  startedAt: Date;
  appliedAt: Date | null;
  durationMs: number | null;
  lastError: string | null;
}

/** Identity of a migration as recorded. */
export interface MigrationIdentity {
  version: string;
  name: string;
  checksum: string;
}

export class History {
  /** The quoted, schema-qualified table name. */
  readonly table: string;
  readonly display: string;

  constructor(
    readonly schema: string,
    readonly name: string,
  ) {
    this.table = `${quoteIdent(schema)}.${quoteIdent(name)}`;
    this.display = `${schema}.${name}`;
  }

  /**
   * Resolves `table` (`name` or `schema.name`) against the session's current schema.
   * @throws Error when no schema is current (empty search_path) and none is given.
   */
  static async resolve(session: Session, table: string): Promise<History> {
    const i = table.indexOf('.');
    if (i >= 0) return new History(table.slice(0, i), table.slice(i + 1));
    const r = await session.query<{ s: string | null }>('SELECT current_schema() AS s');
    const schema = r.rows[0]?.s;
    if (!schema) throw new Error('no current schema (search_path is empty); give the migrations table as schema.table');
    return new History(schema, table);
  }

  /** The CREATE TABLE statement, for execDdl. */
  createSql(): string {
    return `CREATE TABLE IF NOT EXISTS ${this.table} (
  version text PRIMARY KEY,
  name text NOT NULL,
  checksum text NOT NULL,
  status text NOT NULL CHECK (status IN ('applied', 'partial')),
  steps_done integer NOT NULL DEFAULT 0,
  steps_total integer,
  progress jsonb,
  started_at timestamptz NOT NULL DEFAULT now(),
  applied_at timestamptz,
  duration_ms bigint,
  last_error text
)`;
  }

  async exists(session: Session): Promise<boolean> {
    const r = await session.query<{ ok: boolean }>('SELECT to_regclass($1) IS NOT NULL AS ok', [this.table]);
    return r.rows[0]?.ok === true;
  }

  /** Every row, by version. Empty when the table does not exist. */
  async read(session: Session): Promise<Map<string, HistoryRow>> {
    const out = new Map<string, HistoryRow>();
    if (!(await this.exists(session))) return out;
    const r = await session.query(
      `SELECT version, name, checksum, status, steps_done, steps_total, progress, started_at, applied_at, duration_ms::float8 AS duration_ms, last_error FROM ${this.table}`,
    );
    for (const x of r.rows) {
      out.set(x.version, {
        version: x.version,
        name: x.name,
        checksum: x.checksum,
        status: x.status,
        stepsDone: x.steps_done,
        stepsTotal: x.steps_total,
        progress: x.progress,
        startedAt: x.started_at,
        appliedAt: x.applied_at,
        durationMs: x.duration_ms,
        lastError: x.last_error,
      });
    }
    return out;
  }

  /** Records a migration as applied (inside its transaction, for a single-transaction migration). */
  async markApplied(session: Session, m: MigrationIdentity, stepsTotal: number | null, stepsDone: number, durationMs: number): Promise<void> {
    await session.query(
      `INSERT INTO ${this.table} AS h (version, name, checksum, status, steps_done, steps_total, applied_at, duration_ms, last_error)
       VALUES ($1, $2, $3, 'applied', $4, $5, now(), $6, NULL)
       ON CONFLICT (version) DO UPDATE SET name = EXCLUDED.name, checksum = EXCLUDED.checksum, status = 'applied',
         steps_done = EXCLUDED.steps_done, steps_total = EXCLUDED.steps_total, applied_at = now(),
         duration_ms = coalesce(h.duration_ms, 0) + EXCLUDED.duration_ms, last_error = NULL, progress = NULL`,
      [m.version, m.name, m.checksum, stepsDone, stepsTotal, Math.round(durationMs)],
    );
  }

  /** Records that a multi-step migration has started (kept as is when resuming). */
  async markStarted(session: Session, m: MigrationIdentity, stepsTotal: number | null): Promise<void> {
    await session.query(
      `INSERT INTO ${this.table} (version, name, checksum, status, steps_done, steps_total)
       VALUES ($1, $2, $3, 'partial', 0, $4)
       ON CONFLICT (version) DO UPDATE SET last_error = NULL`,
      [m.version, m.name, m.checksum, stepsTotal],
    );
  }

  /** Records steps done (inside the step's transaction when it has one) and clears the step checkpoint. */
  async markStep(session: Session, version: string, stepsDone: number): Promise<void> {
    await session.query(`UPDATE ${this.table} SET steps_done = $2, progress = NULL WHERE version = $1`, [version, stepsDone]);
  }

  /** Records a checkpoint within step `step` (inside the batch's transaction). */
  async markProgress(session: Session, version: string, step: number, checkpoint: unknown): Promise<void> {
    await session.query(`UPDATE ${this.table} SET progress = jsonb_build_object($2::text, $3::jsonb) WHERE version = $1`, [
      version,
      String(step),
      JSON.stringify(checkpoint),
    ]);
  }

  /** Records why a multi-step migration stopped (redacted text). */
  async markFailed(session: Session, version: string, message: string, durationMs: number): Promise<void> {
    await session.query(`UPDATE ${this.table} SET last_error = $2, duration_ms = coalesce(duration_ms, 0) + $3 WHERE version = $1 AND status = 'partial'`, [
      version,
      message.slice(0, 4000),
      Math.round(durationMs),
    ]);
  }
}
