/**
 * Whether a file's text parses: SQL through libpg-query, TS/JS through the
 * TypeScript compiler's parser (via ts-morph). Used to refuse writing a broken fix.
 */
import { ts } from 'ts-morph';
import { parseSql } from '../sql/parse.js';

/** A description of the first syntax problem, or null when the text parses. */
export function syntaxProblem(file: string, text: string): string | null {
  if (file.toLowerCase().endsWith('.sql')) {
    const r = parseSql(text.charCodeAt(0) === 0xfeff ? ` ${text.slice(1)}` : text);
    return r.error ? r.error.message : null;
  }
  const out = ts.transpileModule(text, { fileName: file, reportDiagnostics: true, compilerOptions: { allowJs: true, noEmit: false } });
  const errors = (out.diagnostics ?? []).filter((d) => d.category === ts.DiagnosticCategory.Error);
  return errors.length ? ts.flattenDiagnosticMessageText(errors[0]!.messageText, '\n') : null;
}
