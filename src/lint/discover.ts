/**
 * File discovery: explicit files, directories (searched for migration sources) and
 * glob patterns, minus the usual ignores, `.miglintignore` (gitignore syntax) and
 * the configuration's `ignores`.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import ignore from 'ignore';
import { glob } from 'tinyglobby';
import { isMigrationSource } from '../sources/index.js';

export const DEFAULT_IGNORES = ['**/node_modules/**', '**/.git/**', '**/dist/**', '**/build/**', '**/coverage/**', '**/*.d.ts', '**/*.min.js'];
const SOURCE_GLOB = '**/*.{sql,ts,mts,cts,js,mjs,cjs}';

export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/**
 * The files to lint, absolute, sorted, without duplicates.
 * @throws UsageError when a path names nothing.
 */
export async function discoverFiles(paths: string[], cwd: string, extraIgnores: string[] = []): Promise<string[]> {
  const ig = ignore().add(extraIgnores);
  const ignoreFile = join(cwd, '.miglintignore');
  if (existsSync(ignoreFile)) ig.add(readFileSync(ignoreFile, 'utf8'));
  const found = new Set<string>();
  const keep = (abs: string) => {
    const rel = relative(cwd, abs);
    if (rel && !rel.startsWith('..') && ig.ignores(rel.split('\\').join('/'))) return;
    found.add(abs);
  };

  for (const p of paths) {
    const abs = resolve(cwd, p);
    if (existsSync(abs)) {
      if (statSync(abs).isDirectory()) {
        const files = await glob(SOURCE_GLOB, { cwd: abs, absolute: true, ignore: DEFAULT_IGNORES, dot: false });
        files.filter(isMigrationSource).forEach(keep);
      } else {
        found.add(abs); // named explicitly: linted whatever the ignores say
      }
      continue;
    }
    const files = await glob(p, { cwd, absolute: true, ignore: DEFAULT_IGNORES });
    if (files.length === 0) throw new UsageError(`no files match "${p}"`);
    files.filter(isMigrationSource).forEach(keep);
  }
  return [...found].sort();
}
