/**
 * Batched backfills: one UPDATE per range of the key, one short transaction per
 * batch, through execDml (lock timeout, retries, blocker report). Row locks of a
 * batch last only for that batch's transaction, so concurrent writers wait
 * milliseconds, not the length of the whole backfill (explicit-locking.html,
 * "Row-Level Locks": row locks are held until the transaction ends).
 *
 * Batches are keyset ranges: the upper bound of each batch is the key of the
 * `batchSize`-th row still to do after the previous bound, so every batch has
 * `batchSize` rows whatever gaps the key has. Rows inserted after a partition
 * starts (keys above its largest key then) are left to the application. With
 * `partitionBy` the table is done one partition value at a time (the seeds batch per tenant).
 */
import { quoteIdent, quoteQualified, type Session } from './connection.js';
import { formatDuration } from './duration.js';
import { execDml } from './executors.js';
import { MigrunError } from './errors.js';
import type { Locator } from './planner.js';
import type { Runtime } from './runtime.js';

export interface BackfillOptions {
  /** The table, `name` or `schema.name`. */
  table: string;
  /** The SQL assignment list, e.g. `direction = coalesce(direction, 'in')`. Trusted SQL, not a value. */
  set: string;
  /**
   * A SQL condition for rows still to do, e.g. `direction IS NULL`. With it a rerun
   * skips finished rows by itself; without it every row in range is updated.
   */
  where?: string;
  /** A unique, ordered key column (the primary key). Default `id`. */
  key?: string;
  /** Rows per batch (per transaction). Default 1000. */
  batchSize?: number;
  /** Do the table one value of this column at a time, in order, e.g. `tenant_id`. */
  partitionBy?: string;
  /** Pause between batches, ms. Default 0. */
  pauseMs?: number;
  /** Shown in log lines. Default `backfill <table>`. */
  label?: string;
  /** Where the backfill is in the migration, for its batches' `file:line:column` (the ctx.backfill call). */
  at?: Locator;
  /** Where an interrupted run stopped (from onBatch); the backfill continues after it. */
  resumeFrom?: BackfillCheckpoint | null;
  /** Runs inside each batch's transaction after its UPDATE (migrun records the checkpoint here). */
  onBatch?: (checkpoint: BackfillCheckpoint, session: Session) => Promise<void>;
}

/** Where a backfill got to: the partition being done and the last key updated in it. */
export interface BackfillCheckpoint {
  partition: unknown;
  lastKey: unknown;
  /** Rows updated so far (by this backfill, across runs). */
  rows: number;
}

export interface BackfillResult {
  rows: number;
  batches: number;
  partitions: number;
  /** Wall time, ms. */
  ms: number;
}

/**
 * Backfills a column in batches.
 * @returns rows updated, batches and partitions done, wall time in ms.
 * @throws MigrunError for a bad batch size; LockTimeoutError / StatementError from a batch (earlier batches stay committed).
 */
export async function backfill(rt: Runtime, o: BackfillOptions): Promise<BackfillResult> {
  const batchSize = o.batchSize ?? 1000;
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new MigrunError(`backfill: batchSize must be a positive whole number, got ${batchSize}`);
  const table = quoteQualified(o.table);
  const key = quoteIdent(o.key ?? 'id');
  const part = o.partitionBy ? quoteIdent(o.partitionBy) : null;
  const where = o.where ? `(${o.where})` : 'true';
  const label = o.label ?? `backfill ${o.table}`;
  const started = Date.now();
  const log = rt.logger;

  const reader = await rt.work();
  // The reads that find partitions and batch bounds take ACCESS SHARE: bound their lock waits like a batch's.
  await reader.query("SELECT set_config('lock_timeout', $1, false), set_config('statement_timeout', '0', false)", [String(rt.settings.dmlLockTimeoutMs)]);
  const partitions: unknown[] = part
    ? (await reader.query(`SELECT DISTINCT ${part} AS p FROM ${table} WHERE ${where} ORDER BY 1`)).rows.map((r) => r.p)
    : [null];
  const total = log.progress ? Number((await reader.query(`SELECT count(*)::int8 AS n FROM ${table} WHERE ${where}`)).rows[0]?.n ?? 0) : null;

  let startAt = 0;
  let resumeKey: unknown = null;
  let rows = o.resumeFrom?.rows ?? 0;
  const rowsBefore = rows;
  if (o.resumeFrom) {
    const i = partitions.findIndex((p) => JSON.stringify(p) === JSON.stringify(o.resumeFrom!.partition));
    if (i >= 0) {
      startAt = i;
      resumeKey = o.resumeFrom.lastKey;
      log.info(`${label}: resuming${part ? ` at ${o.partitionBy}=${String(partitions[i])}` : ''} after ${o.key ?? 'id'} ${String(resumeKey)}`);
    }
  }

  let batches = 0;
  let lastLine = Date.now();
  for (let pi = startAt; pi < partitions.length; pi++) {
    const pv = partitions[pi];
    let last: unknown = pi === startAt ? resumeKey : null;
    let partRows = 0;
    let partBatches = 0;
    // The backfill ends at the largest key present when the partition starts: rows inserted
    // later are the application's to write, and chasing them could go on as long as it inserts.
    const limit = (await reader.query(`SELECT max(${key}) AS k FROM ${table} WHERE ${part ? `${part} IS NOT DISTINCT FROM $1 AND ` : ''}${where}`, part ? [pv] : [])).rows[0]?.k;
    for (;;) {
      if (limit === null || limit === undefined) break;
      const conds: string[] = [];
      const params: unknown[] = [limit];
      conds.push(`${key} <= $1`);
      if (last !== null && last !== undefined) {
        params.push(last);
        conds.push(`${key} > $${params.length}`);
      }
      if (part) {
        params.push(pv);
        conds.push(`${part} IS NOT DISTINCT FROM $${params.length}`);
      }
      conds.push(where);
      const filter = conds.join(' AND ');
      const session = await rt.work();
      let upper = (await session.query(`SELECT ${key} AS k FROM ${table} WHERE ${filter} ORDER BY ${key} OFFSET ${batchSize - 1} LIMIT 1`, params)).rows[0]?.k;
      if (upper === undefined) upper = (await session.query(`SELECT max(${key}) AS k FROM ${table} WHERE ${filter}`, params)).rows[0]?.k;
      if (upper === undefined || upper === null) break;
      const upperParam = params.length + 1;
      const r = await execDml(rt, `UPDATE ${table} SET ${o.set} WHERE ${filter} AND ${key} <= $${upperParam}`, {
        params: [...params, upper],
        label: `${label} batch ${batches + 1}`,
        at: o.at,
        onDone: o.onBatch ? (s) => o.onBatch!({ partition: pv, lastKey: upper, rows: rows + partRows }, s) : undefined,
      });
      // rowCount is only known after the UPDATE; the checkpoint's row count lags one batch, which is fine for progress.
      partRows += r.rowCount;
      partBatches++;
      batches++;
      last = upper;
      if (log.progress && total !== null) {
        log.progress(progressBar(label, rows + partRows - rowsBefore, total, batches, Date.now() - started, part ? `${o.partitionBy} ${pi + 1}/${partitions.length}` : ''));
      } else if (!part && Date.now() - lastLine > 10_000) {
        lastLine = Date.now();
        log.info(`${label}: ${rows + partRows} rows in ${batches} batches so far (${formatDuration(Date.now() - started)})`);
      }
      if (o.pauseMs) await rt.sleep(o.pauseMs);
    }
    rows += partRows;
    if (part) {
      log.progress?.(null);
      log.info(`${label}: ${o.partitionBy}=${String(pv)}: ${partRows} rows in ${partBatches} batch${partBatches === 1 ? '' : 'es'} (partition ${pi + 1} of ${partitions.length})`);
    }
  }
  log.progress?.(null);
  const ms = Date.now() - started;
  log.info(`${label}: done, ${rows - rowsBefore} rows in ${batches} batch${batches === 1 ? '' : 'es'}${part ? ` over ${partitions.length - startAt} partitions` : ''} in ${formatDuration(ms)}`);
  return { rows: rows - rowsBefore, batches, partitions: partitions.length - startAt, ms };
}

/** `backfill items [########------------] 40% 400000/1000000 rows, 40 batches, 3.1s` */
export function progressBar(label: string, done: number, total: number, batches: number, ms: number, extra: string): string {
  const width = 24;
  const frac = total > 0 ? Math.min(1, done / total) : 1;
  const filled = Math.round(frac * width);
  return `${label} [${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${Math.round(frac * 100)}% ${done}/${total} rows, ${batches} batches, ${formatDuration(ms)}${extra ? `, ${extra}` : ''}`;
}
