/**
 * migrun's settings from the project's configuration file: the `migrun` key of the
 * same file miglint reads (`.miglintrc.json`, `miglint.config.js`, package.json "miglint", ...).
 *
 * ```json
 * { "runtime": "migrun", "migrun": { "dir": "db/migrations", "lockTimeout": "3s", "retries": 8 } }
 * ```
 * Durations are strings such as `500ms`, `5s`, `2min`; `dir` is relative to the config file.
 */
import { dirname, join, resolve } from 'node:path';
import { rules } from '../../rules/index.js';
import { ConfigLoader } from '../config/index.js';
import { parseCount, parseDuration } from '../runtime/duration.js';
import { UsageError } from '../runtime/errors.js';
import type { CliDefaults } from './migrun.js';

const DURATIONS: Record<string, keyof CliDefaults> = {
  lockTimeout: 'lockTimeoutMs',
  statementTimeout: 'statementTimeoutMs',
  idleInTransactionTimeout: 'idleInTransactionTimeoutMs',
  dmlLockTimeout: 'dmlLockTimeoutMs',
  indexLockTimeout: 'indexLockTimeoutMs',
  retryDelay: 'retryDelayMs',
  terminateIdle: 'terminateIdleMs',
  lockWait: 'lockWaitMs',
};

/**
 * Reads the `migrun` settings that apply in `cwd`.
 * @throws UsageError (exit 2) for an unreadable or invalid configuration.
 */
export async function migrunDefaults(cwd: string): Promise<CliDefaults> {
  let config;
  try {
    config = await new ConfigLoader(new Set(rules.map((r) => r.meta.id))).forFile(join(resolve(cwd), 'migrun.config'));
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  const raw = config.migrun;
  const out: Record<string, unknown> = {};
  const where = config.path ?? 'configuration';
  for (const [key, value] of Object.entries(raw)) {
    if (key in DURATIONS) {
      if (typeof value !== 'string' && typeof value !== 'number') throw new UsageError(`${where}: migrun.${key} must be a duration such as "5s"`);
      out[DURATIONS[key]!] = parseDuration(String(value), `${where}: migrun.${key}`);
    } else if (key === 'retries') {
      out.retries = parseCount(String(value), `${where}: migrun.retries`);
    } else if (key === 'dir' || key === 'table' || key === 'databaseUrl') {
      if (typeof value !== 'string') throw new UsageError(`${where}: migrun.${key} must be a string`);
      out[key] = key === 'dir' && config.path ? resolve(dirname(config.path), value) : value;
    } else {
      throw new UsageError(`${where}: unknown setting migrun.${key}`);
    }
  }
  return out as CliDefaults;
}
