/** Rule fixture discovery and their per-file settings. */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { ConfigFile } from '../../src/config/index.js';
import { SQL_RUNNERS } from '../../src/core/rule.js';
import { fixturesDir } from './paths.js';

const RUNNERS: ReadonlySet<string> = new Set(SQL_RUNNERS);

/**
 * `bad.dbmate.sql` runs with `sqlRunner: 'dbmate'`, `bad.pg11.sql` with `pgVersion: 11`;
 * `good.db-migrate.no-transaction.js` with `assumeInTransaction: false` (a run that switches the
 * framework's transaction off, e.g. `db-migrate up --non-transactional`); `bad.typeorm.ts` only names its framework.
 */
export function fixtureConfig(file: string): ConfigFile {
  const middle = file.split('.').slice(1, -1);
  const runner = middle.find((m) => RUNNERS.has(m));
  const version = middle.map((m) => /^pg(\d{2})$/.exec(m)?.[1]).find((v) => v !== undefined);
  return {
    ...(runner ? { sqlRunner: runner as ConfigFile['sqlRunner'] } : {}),
    ...(version ? { pgVersion: Number(version) } : {}),
    ...(middle.includes('no-transaction') ? { assumeInTransaction: false } : {}),
  };
}

/** The bad.* and good.* inputs of a rule's fixture folder, sorted. */
export function fixtureInputs(id: string): string[] {
  const dir = join(fixturesDir, 'rules', id);
  return existsSync(dir) ? readdirSync(dir).filter((f) => /^(bad|good)\b.*\.(sql|ts|js|mjs|cjs)$/.test(f)).sort() : [];
}
