/**
 * A lint worker thread (see `pool.ts`): lints the batches of files it is sent with the built-in
 * rules and its own configuration loader, and answers each with the files' reports. Started
 * only by `runFilesInPool`.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { rules } from '../../rules/index.js';
import { ConfigError, ConfigLoader, type Direction } from '../config/index.js';
import { prepareFrontends } from '../sources/index.js';
import type { PoolFileReport, PoolRequest, PoolResponse, PoolWorkerData } from './pool.js';
import { readSource } from './read.js';
import { lintSource, newRunResult, type RunOptions } from './run.js';

const data = workerData as PoolWorkerData;
const loader = new ConfigLoader(new Set(rules.map((r) => r.meta.id)), data.explicitConfig);
const options: RunOptions = {
  cwd: data.cwd,
  rules,
  only: data.only ? new Set(data.only) : null,
  fix: 'off',
  unsafeFixes: data.unsafeFixes,
  directions: data.directions ? new Set(data.directions as Direction[]) : null,
};

async function lintBatch(request: PoolRequest): Promise<PoolResponse> {
  try {
    await prepareFrontends(request.files);
    const result = newRunResult();
    const reports: PoolFileReport[] = [];
    for (const file of request.files) {
      const { report } = await lintSource(file, (max) => readSource(file, max), loader, options, result);
      reports.push({ path: report.path, displayPath: report.displayPath, text: report.source.text, findings: report.findings });
    }
    return { id: request.id, ok: true, reports, internalErrors: result.internalErrors, fixErrors: result.fixErrors };
  } catch (e) {
    return { id: request.id, ok: false, configError: e instanceof ConfigError, message: (e as Error).message ?? String(e) };
  }
}

parentPort!.on('message', (request: PoolRequest) => {
  void lintBatch(request).then((response) => parentPort!.postMessage(response));
});
