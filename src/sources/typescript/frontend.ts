/**
 * The TypeScript/JavaScript language frontend: registry entry for `typescriptUnit`
 * (index.ts). The TypeScript compiler behind ts-morph costs about 0.4 s to load, so
 * this file imports nothing of it: `prepare()` loads the frontend, and `syntaxProblem`
 * loads the compiler on first use (SQL-only runs never need it).
 */
import { createRequire } from 'node:module';
import type { LanguageFrontend } from '../registry.js';
import { oneFileHost } from './one-file-host.js';

type Analysis = typeof import('./index.js');
let analysis: Analysis | null = null;

const require = createRequire(import.meta.url);
let tsModule: typeof import('ts-morph').ts | null = null;
const typescript = () => (tsModule ??= (require('ts-morph') as typeof import('ts-morph')).ts);

export const typescriptFrontend: LanguageFrontend = {
  id: 'ts',
  kind: 'code',
  name: 'TypeScript/JavaScript',
  extensions: ['.ts', '.mts', '.cts', '.js', '.mjs', '.cjs'],
  skipsInWalk: (file) => file.toLowerCase().endsWith('.d.ts'),
  comments: { line: ['//'], block: [['/*', '*/']] },
  editorLanguages: { typescript: '.ts', javascript: '.js' },
  // In the order of frameworks.ts (pg last: other libraries depend on it).
  frameworks: [
    { framework: 'migrun', name: 'migrun', packages: [] },
    { framework: 'mikro-orm', name: 'MikroORM', packages: ['@mikro-orm/migrations', '@mikro-orm/core'] },
    { framework: 'typeorm', name: 'TypeORM', packages: ['typeorm'] },
    { framework: 'node-pg-migrate', name: 'node-pg-migrate', packages: ['node-pg-migrate'] },
    { framework: 'knex', name: 'knex', packages: ['knex'] },
    { framework: 'kysely', name: 'Kysely', packages: ['kysely'] },
    { framework: 'db-migrate', name: 'db-migrate', packages: ['db-migrate', 'db-migrate-pg'] },
    { framework: 'slonik', name: 'Slonik', packages: ['slonik', '@slonik/migrator', '@silverhand/slonik'] },
    { framework: 'postgres-js', name: 'postgres.js', packages: ['postgres', 'ley', 'postgres-shift'] },
    { framework: 'sequelize', name: 'Sequelize', packages: ['sequelize', 'sequelize-cli'] },
    { framework: 'pg', name: 'node-postgres', packages: ['pg'] },
  ],
  async prepare() {
    analysis ??= await import('./index.js');
  },
  parse(file, text, settings) {
    if (!analysis) throw new Error('loadUnit: call prepareFrontends() before linting TypeScript/JavaScript');
    return analysis.typescriptUnit(file, text, settings);
  },
  syntaxProblem(file, text) {
    const ts = typescript();
    const errors = syntacticDiagnostics(ts, file, text).filter((d) => d.category === ts.DiagnosticCategory.Error);
    return errors.length ? ts.flattenDiagnosticMessageText(errors[0]!.messageText, '\n') : null;
  },
  invalidUtf8Note: 'Node.js reads them as U+FFFD too, so SQL built from this text differs from what the file seems to say.',
};

/**
 * The syntactic diagnostics of one file on its own, as `ts.transpileModule` reports them (the parser's,
 * and for JavaScript the TypeScript-only syntax it may not hold), without the emit that call goes on
 * to do: a program of the one file, no lib, no module resolution. The emit, and the type checker it
 * creates, were most of the time of a fix's two syntax checks; the diagnostics are the same (compared
 * over 10,000 texts: the fixtures, their fixed outputs and 579 TypeORM migrations, each also cut short,
 * unbalanced, or given TypeScript-only syntax).
 */
function syntacticDiagnostics(ts: typeof import('ts-morph').ts, file: string, text: string): readonly import('ts-morph').ts.Diagnostic[] {
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest);
  const program = ts.createProgram([file], { allowJs: true, isolatedModules: true, noLib: true, noResolve: true, noEmit: true, allowNonTsExtensions: true }, oneFileHost(source));
  return [...program.getSyntacticDiagnostics(source), ...program.getOptionsDiagnostics()];
}
