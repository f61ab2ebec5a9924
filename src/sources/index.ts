/**
 * Frontend dispatch: a file's extension picks the frontend that turns it into a
 * migration unit. A new framework is a new frontend, never a change to the rules.
 *
 * The TypeScript frontend (ts-morph, i.e. the whole TypeScript compiler) costs about
 * 0.4 s to load, so it is loaded only when a TS/JS file is about to be linted:
 * call `prepareFrontends(files)` first.
 */
import type { LintSettings } from '../core/rule.js';
import type { MigrationUnit } from '../core/unit.js';
import { computeContexts } from '../sql/context.js';
import { initSqlParser } from '../sql/parse.js';
import { sqlUnit } from './sql.js';

export const SQL_EXTENSIONS = ['.sql'] as const;
export const SCRIPT_EXTENSIONS = ['.ts', '.mts', '.cts', '.js', '.mjs', '.cjs'] as const;

type TypescriptFrontend = typeof import('./typescript/index.js');
let typescriptFrontend: TypescriptFrontend | null = null;

export function isMigrationSource(file: string): boolean {
  const lower = file.toLowerCase();
  if (lower.endsWith('.d.ts')) return false;
  return [...SQL_EXTENSIONS, ...SCRIPT_EXTENSIONS].some((e) => lower.endsWith(e));
}

export function isSqlFile(file: string): boolean {
  return file.toLowerCase().endsWith('.sql');
}

/** Loads the SQL parser, and the TypeScript frontend when any of `files` needs it. */
export async function prepareFrontends(files: Iterable<string>): Promise<void> {
  await initSqlParser();
  if (!typescriptFrontend && [...files].some((f) => !isSqlFile(f))) typescriptFrontend = await import('./typescript/index.js');
}

/**
 * Builds the migration unit of one file and computes its statements' contexts.
 * @throws Error when the frontends were not prepared for this kind of file.
 */
export function loadUnit(file: string, text: string, settings: LintSettings): MigrationUnit {
  let unit: MigrationUnit;
  if (isSqlFile(file)) unit = sqlUnit(file, text, settings);
  else if (typescriptFrontend) unit = typescriptFrontend.typescriptUnit(file, text, settings);
  else throw new Error('loadUnit: call prepareFrontends() before linting TypeScript/JavaScript');
  computeContexts(unit, { runtimeSetsTimeouts: settings.runtimeSetsTimeouts || settings.sqlRunner === 'migrun', pgVersion: settings.pgVersion });
  return unit;
}
