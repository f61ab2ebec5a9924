/**
 * Frontend dispatch: a file's extension picks the frontend that turns it into a
 * migration unit. A new framework is a new frontend, never a change to the rules.
 * The Python frontend (web-tree-sitter) loads only when a `.py` file is linted.
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
export const PYTHON_EXTENSIONS = ['.py'] as const;

type TypescriptFrontend = typeof import('./typescript/index.js');
let typescriptFrontend: TypescriptFrontend | null = null;
type PythonFrontend = typeof import('./python/index.js');
let pythonFrontend: PythonFrontend | null = null;

/**
 * The kinds of file miglint reads, by file extension (lower-cased, with the dot): the one
 * list that discovery, the engine's "unsupported file type" check and the dispatch below
 * read. A new frontend (Python) adds its kind here and a case in `loadUnit`.
 */
export const FRONTEND_EXTENSIONS = { sql: SQL_EXTENSIONS, script: SCRIPT_EXTENSIONS, python: PYTHON_EXTENSIONS } as const;
export type FrontendKind = keyof typeof FRONTEND_EXTENSIONS;

/** Every extension some frontend reads, e.g. `['.sql', '.ts', ...]`. */
export const SUPPORTED_EXTENSIONS: readonly string[] = Object.values(FRONTEND_EXTENSIONS).flat();

/** The frontend that reads `file`, by its extension; null when no frontend does. */
export function frontendKind(file: string): FrontendKind | null {
  const lower = file.toLowerCase();
  for (const [kind, exts] of Object.entries(FRONTEND_EXTENSIONS) as [FrontendKind, readonly string[]][]) {
    if (exts.some((e) => lower.endsWith(e))) return kind;
  }
  return null;
}

/** Whether a directory walk lints `file`: a kind some frontend reads, and not a `.d.ts` declaration file. */
export function isMigrationSource(file: string): boolean {
  return frontendKind(file) !== null && !file.toLowerCase().endsWith('.d.ts');
}

export function isSqlFile(file: string): boolean {
  return frontendKind(file) === 'sql';
}

/** Loads the SQL parser, and the TypeScript or Python frontend when any of `files` needs it. */
export async function prepareFrontends(files: Iterable<string>): Promise<void> {
  await initSqlParser();
  const kinds = new Set([...files].map(frontendKind));
  if (!typescriptFrontend && kinds.has('script')) typescriptFrontend = await import('./typescript/index.js');
  if (!pythonFrontend && kinds.has('python')) {
    const py = await import('./python/index.js');
    await py.preparePython();
    pythonFrontend = py;
  }
}

/**
 * Builds the migration unit of one file and computes its statements' contexts.
 * @throws Error when no frontend reads this kind of file (check `frontendKind` first), or
 * the frontends were not prepared for it.
 */
export function loadUnit(file: string, text: string, settings: LintSettings): MigrationUnit {
  let unit: MigrationUnit;
  const kind = frontendKind(file);
  if (kind === 'sql') unit = sqlUnit(file, text, settings);
  else if (kind === null) throw new Error(`loadUnit: no frontend reads ${file}`);
  else if (kind === 'python') {
    if (!pythonFrontend) throw new Error('loadUnit: call prepareFrontends() before linting Python');
    unit = pythonFrontend.pythonUnit(file, text, settings);
  }
  else if (typescriptFrontend) unit = typescriptFrontend.typescriptUnit(file, text, settings);
  else throw new Error('loadUnit: call prepareFrontends() before linting TypeScript/JavaScript');
  computeContexts(unit, { runtimeSetsTimeouts: settings.runtimeSetsTimeouts || settings.sqlRunner === 'migrun', pgVersion: settings.pgVersion });
  return unit;
}
