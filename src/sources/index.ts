/**
 * Frontend dispatch: a file's extension picks the frontend that turns it into a
 * migration unit. A new framework is a new frontend, never a change to the rules.
 */
import type { LintSettings } from '../core/rule.js';
import type { MigrationUnit } from '../core/unit.js';
import { computeContexts } from '../sql/context.js';
import { sqlUnit } from './sql.js';
import { typescriptUnit } from './typescript/index.js';

export const SQL_EXTENSIONS = ['.sql'] as const;
export const SCRIPT_EXTENSIONS = ['.ts', '.mts', '.cts', '.js', '.mjs', '.cjs'] as const;

export function isMigrationSource(file: string): boolean {
  const lower = file.toLowerCase();
  if (lower.endsWith('.d.ts')) return false;
  return [...SQL_EXTENSIONS, ...SCRIPT_EXTENSIONS].some((e) => lower.endsWith(e));
}

/**
 * Builds the migration unit of one file and computes its statements' contexts.
 * The SQL parser must be initialised (`initSqlParser()`).
 */
export function loadUnit(file: string, text: string, settings: LintSettings): MigrationUnit {
  const unit = file.toLowerCase().endsWith('.sql') ? sqlUnit(file, text, settings) : typescriptUnit(file, text, settings);
  computeContexts(unit, { runtimeSetsTimeouts: settings.runtimeSetsTimeouts || settings.sqlRunner === 'migrun' });
  return unit;
}
