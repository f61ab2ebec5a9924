/**
 * Whether a file's text parses: SQL through libpg-query, TS/JS through the
 * TypeScript compiler's parser (via ts-morph), Python through tree-sitter. Used to refuse writing a broken fix.
 */
import { createRequire } from 'node:module';
import { parseSql } from '../sql/parse.js';
import { frontendKind, isSqlFile } from '../sources/index.js';
import { pythonReady, pythonSyntaxProblem } from '../sources/python/parse.js';
import { parseableSql } from '../sources/sql.js';

// Loaded on first use: the TypeScript compiler costs ~0.4 s, and SQL-only runs never need it.
const require = createRequire(import.meta.url);
let tsModule: typeof import('ts-morph').ts | null = null;
const typescript = () => (tsModule ??= (require('ts-morph') as typeof import('ts-morph')).ts);

/** A description of the first syntax problem, or null when the text parses. */
export function syntaxProblem(file: string, text: string): string | null {
  if (isSqlFile(file)) {
    // psql syntax is masked too: a fix is refused only for what it breaks, not for the runner's own syntax.
    const r = parseSql(parseableSql(text, true));
    return r.error ? r.error.message : null;
  }
  if (frontendKind(file) === 'python') {
    if (!pythonReady()) throw new Error('syntaxProblem: the Python parser is not loaded (prepareFrontends)');
    return pythonSyntaxProblem(text);
  }
  const ts = typescript();
  const out = ts.transpileModule(text, { fileName: file, reportDiagnostics: true, compilerOptions: { allowJs: true, noEmit: false } });
  const errors = (out.diagnostics ?? []).filter((d) => d.category === ts.DiagnosticCategory.Error);
  return errors.length ? ts.flattenDiagnosticMessageText(errors[0]!.messageText, '\n') : null;
}
