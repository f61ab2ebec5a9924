/**
 * Linting many files on worker threads: files are handed out in batches to a pool of workers
 * (`pool-worker.ts`), each with its own parsers, rules and configuration loader, and the
 * reports are put back in the order of `files`, so output and exit codes are those of a run on
 * the main thread.
 *
 * A worker costs a Node.js environment and its own load of miglint's modules (about 0.1 s of
 * CPU, more with the TypeScript compiler), so `poolSize` uses one only where the files' work
 * outweighs that; small runs (a pre-commit hook's few files, an editor) stay on the main thread.
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { Finding } from '../core/diagnostic.js';
import { SourceText } from '../core/source-text.js';
import { ConfigError, type ConfigLoader } from '../config/index.js';
import { isSqlFile } from '../sources/index.js';
import { newRunResult, type RunOptions, type RunResult } from './run.js';

/** What a worker is started with: the run's options that can cross a thread (no functions, no rule objects). */
export interface PoolWorkerData {
  cwd: string;
  /** The `--config` file, or null to search per file. */
  explicitConfig: string | null;
  only: string[] | null;
  directions: string[] | null;
  unsafeFixes: boolean;
}

/** One batch of files to lint. */
export interface PoolRequest {
  id: number;
  files: string[];
}

/** A file's report as it crosses back: the text instead of its `SourceText`. */
export interface PoolFileReport {
  path: string;
  displayPath: string;
  text: string;
  findings: Finding[];
}

export type PoolResponse =
  | { id: number; ok: true; reports: PoolFileReport[]; internalErrors: number; fixErrors: RunResult['fixErrors'] }
  | { id: number; ok: false; configError: boolean; message: string };

/** Relative cost of linting one file, in units of one typical SQL migration (about 1 ms of CPU). */
function fileCost(file: string): number {
  return isSqlFile(file) ? 1 : 6;
}

/** Work (in `fileCost` units) below which a second thread does not pay for its start-up. */
const MIN_WORK_PER_WORKER = 300;
/** Files per batch: small enough to balance the workers, large enough that messages are few. */
const BATCH = 32;

/**
 * How many worker threads to lint `files` with: 0 (the main thread) unless the run can cross
 * threads (no `--fix` writes, no `--debug` callback) and the work is enough for two or more
 * threads. `requested` is `RunOptions.workers`: a number forces that many (0: none); `'auto'`
 * sizes the pool to the machine (`os.availableParallelism()`).
 */
export function poolSize(files: readonly string[], options: RunOptions): number {
  const requested = options.workers ?? 0;
  if (options.fix !== 'off' || options.debug || files.length < 2) return 0;
  if (typeof requested === 'number') return Math.max(0, Math.min(Math.floor(requested), files.length));
  let work = 0;
  for (const f of files) work += fileCost(f);
  const n = Math.min(availableParallelism(), Math.floor(work / MIN_WORK_PER_WORKER));
  return n >= 2 ? n : 0;
}

/**
 * Lints `files` on `size` worker threads (see `runFiles`, which calls it): the same reports,
 * in the same order, as linting them on the main thread.
 * @throws ConfigError when a file's configuration is invalid (as `runFiles`), Error when a worker fails.
 */
export async function runFilesInPool(files: string[], loader: ConfigLoader, options: RunOptions, size: number): Promise<RunResult> {
  const data: PoolWorkerData = {
    cwd: options.cwd,
    explicitConfig: loader.explicitPath,
    only: options.only ? [...options.only] : null,
    directions: options.directions ? [...options.directions] : null,
    unsafeFixes: options.unsafeFixes,
  };
  const batches: string[][] = [];
  for (let i = 0; i < files.length; i += BATCH) batches.push(files.slice(i, i + BATCH));
  const done: (PoolResponse & { ok: true })[] = new Array(batches.length);
  const workers: Worker[] = [];
  let next = 0;
  try {
    await new Promise<void>((resolve, reject) => {
      let pending = batches.length;
      let failed = false;
      const fail = (e: Error) => {
        if (!failed) reject(e);
        failed = true;
      };
      const feed = (w: Worker) => {
        if (next < batches.length) {
          const request: PoolRequest = { id: next, files: batches[next]! };
          next++;
          w.postMessage(request);
        }
      };
      for (let k = 0; k < size; k++) {
        const w = new Worker(new URL('./pool-worker.js', import.meta.url), { workerData: data });
        workers.push(w);
        w.on('message', (m: PoolResponse) => {
          if (!m.ok) return fail(m.configError ? new ConfigError(m.message) : new Error(m.message));
          done[m.id] = m;
          if (--pending === 0) resolve();
          else feed(w);
        });
        w.on('error', fail);
        w.on('exit', (code) => {
          if (pending > 0) fail(new Error(`a lint worker exited (code ${code}) before its files were linted`));
        });
        feed(w);
      }
    });
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
  const result = newRunResult();
  for (const batch of done) {
    result.internalErrors += batch.internalErrors;
    result.fixErrors.push(...batch.fixErrors);
    for (const r of batch.reports) result.files.push({ path: r.path, displayPath: r.displayPath, source: new SourceText(r.text), findings: r.findings });
  }
  return result;
}
