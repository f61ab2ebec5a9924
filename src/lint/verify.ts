/**
 * Whether a file's text parses, by the syntax check of the language frontend that reads
 * it (`LanguageFrontend.syntaxProblem`: SQL through libpg-query, TS/JS through the
 * TypeScript compiler's parser, ...). Used to refuse writing a broken fix.
 */
import { frontendFor } from '../sources/index.js';

/**
 * A description of the first syntax problem, or null when the text parses.
 * @throws Error when no frontend reads `file` (nothing is fixed in such a file).
 */
export function syntaxProblem(file: string, text: string): string | null {
  const frontend = frontendFor(file);
  if (!frontend) throw new Error(`syntaxProblem: no frontend reads ${file}`);
  return frontend.syntaxProblem(file, text);
}
