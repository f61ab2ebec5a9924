/**
 * Frontend dispatch: a file's extension picks the language frontend (see
 * `registry.ts`) that turns it into a migration unit. A new framework is a new
 * framework module, a new language a new frontend; never a change to the rules.
 *
 * A frontend's parser may be costly to load (the TypeScript compiler behind ts-morph
 * takes about 0.4 s), so it is loaded only when a file of its kind is about to be
 * linted: call `prepareFrontends(files)` first.
 */
import type { LintSettings } from '../core/rule.js';
import type { MigrationUnit } from '../core/unit.js';
import { computeContexts } from '../sql/context.js';
import { initSqlParser } from '../sql/parse.js';
import { rememberSqlUnit } from './sql-history.js';
import { frontendFor, languageFrontends, type LanguageFrontend } from './registry.js';

export { frontendFor, languageFrontends, registerFrontend, supportedExtensions, type LanguageFrontend } from './registry.js';

/**
 * Whether a directory walk lints `file`: a kind some frontend reads, and not one its
 * frontend leaves out of walks (`.d.ts` declaration files).
 */
export function isMigrationSource(file: string): boolean {
  const f = frontendFor(file);
  return f !== null && !(f.skipsInWalk?.(file) ?? false);
}

/** Whether `file` is SQL itself (a frontend of kind `sql`), not code that carries SQL. */
export function isSqlFile(file: string): boolean {
  return frontendFor(file)?.kind === 'sql';
}

/**
 * Loads the SQL parser (every frontend's statements are SQL), then prepares each frontend
 * that reads one of `files` (`LanguageFrontend.prepare`), once.
 * @throws what a frontend's `prepare` throws (a parser that cannot be loaded).
 */
export async function prepareFrontends(files: Iterable<string>): Promise<void> {
  await initSqlParser();
  const needed = new Set<LanguageFrontend>();
  for (const f of files) {
    const fe = frontendFor(f);
    if (fe) needed.add(fe);
  }
  for (const fe of languageFrontends()) if (needed.has(fe)) await fe.prepare();
}

/** Prepares every registered frontend (the language server, which may be handed any kind of file). */
export async function prepareAllFrontends(): Promise<void> {
  await initSqlParser();
  for (const fe of languageFrontends()) await fe.prepare();
}

/**
 * Builds the migration unit of one file and computes its statements' contexts.
 * @throws Error when no frontend reads this kind of file (check `frontendFor` first), or
 * the frontend was not prepared for it.
 */
export function loadUnit(file: string, text: string, settings: LintSettings): MigrationUnit {
  const frontend = frontendFor(file);
  if (!frontend) throw new Error(`loadUnit: no frontend reads ${file}`);
  const unit = frontend.parse(file, text, settings);
  computeContexts(unit, { runtimeSetsTimeouts: settings.runtimeSetsTimeouts || settings.sqlRunner === 'migrun', pgVersion: settings.pgVersion });
  // A `.sql` migration's own statements serve the later files of its folder (sql-history.ts) without a second parse.
  if (unit.prior) rememberSqlUnit(unit, text, settings);
  return unit;
}
