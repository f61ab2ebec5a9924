/**
 * The Python language frontend: registry entry for `pythonUnit` (index.ts). Cheap to
 * import: `prepare()` loads the analysis and web-tree-sitter with the Python grammar
 * (about 20-40 ms, once), only when a `.py` file is about to be linted.
 */
import type { LanguageFrontend } from '../registry.js';

type Analysis = typeof import('./index.js');
let analysis: Analysis | null = null;

export const pythonFrontend: LanguageFrontend = {
  id: 'python',
  kind: 'code',
  name: 'Python',
  extensions: ['.py'],
  comments: { line: ['#'] },
  editorLanguages: { python: '.py' },
  frameworks: [
    { framework: 'django', name: 'Django', packages: ['django'] },
    { framework: 'alembic', name: 'Alembic', packages: ['alembic'] },
    { framework: 'sqlalchemy', name: 'SQLAlchemy', packages: ['sqlalchemy', 'flask-sqlalchemy'] },
  ],
  async prepare() {
    if (analysis) return;
    const a = await import('./index.js');
    await a.preparePython();
    analysis = a;
  },
  parse(file, text, settings) {
    if (!analysis) throw new Error('loadUnit: call prepareFrontends() before linting Python');
    return analysis.pythonUnit(file, text, settings);
  },
  /** @throws Error when `prepare()` has not completed: tree-sitter's wasm loads asynchronously (a fix is written only after its file was linted, which prepares it). */
  syntaxProblem(_file, text) {
    if (!analysis) throw new Error('syntaxProblem: the Python parser is not loaded (call prepareFrontends() first)');
    return analysis.pythonSyntaxProblem(text);
  },
  invalidUtf8Note: 'Python refuses to import such a file (SyntaxError: it is not valid UTF-8), so the migration cannot run.',
};
