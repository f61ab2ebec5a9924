/**
 * The Python language frontend (`.py`): one migration unit per module, through
 * web-tree-sitter (see parse.ts). Framework modules: Alembic (alembic.ts) and
 * Django (django.ts); a file that is neither is read for nothing but its syntax
 * and comments (framework 'unknown', no statements).
 * Its registry entry is `pythonFrontend` (frontend.ts), which loads this module lazily.
 */
import type { LintSettings } from '../../core/rule.js';
import { SourceText } from '../../core/source-text.js';
import type { MigrationUnit } from '../../core/unit.js';
import { analyseAlembic, isAlembic } from './alembic.js';
import { analyseDjango, djangoMigrationClass } from './django.js';
import { PyEnv } from './env.js';
import { firstSyntaxError, parsePython } from './parse.js';

export { preparePython, pythonSyntaxProblem } from './parse.js';

/**
 * Builds the unit of a Python migration. `preparePython()` (and the SQL parser's init) must have finished.
 * @throws whatever an analysis step throws (a bug): the caller reports it as an internal error.
 */
export function pythonUnit(file: string, text: string, settings: LintSettings): MigrationUnit {
  const source = new SourceText(text);
  const unit: MigrationUnit = {
    file,
    source,
    language: 'python',
    framework: 'unknown',
    statements: [],
    wrapped: { inTransaction: false, reason: 'no migration framework recognised' },
    sessions: [],
    swallowedCatches: [],
    phaseRegions: [],
    unanalysed: [],
    comments: [],
    syntaxErrors: [],
    edits: {},
  };
  const tree = parsePython(text);
  try {
    const env = new PyEnv(file, source, tree.rootNode);
    unit.comments = env.nodes.filter((n) => n.type === 'comment').map((n) => ({ text: n.text, span: { start: n.startIndex, end: n.endIndex } }));
    const syntax = firstSyntaxError(tree.rootNode);
    if (syntax) unit.syntaxErrors.push(syntax);
    const cls = djangoMigrationClass(env);
    if (cls) analyseDjango(env, unit, cls);
    else if (isAlembic(env)) analyseAlembic(env, unit);
    unit.statements = env.collector.statements;
    unit.syntaxErrors.push(...env.collector.syntaxErrors);
    unit.unanalysed = [...env.collector.unanalysed];
    if (settings.assumeInTransaction !== null) unit.wrapped = { inTransaction: settings.assumeInTransaction, reason: 'configuration `assumeInTransaction`' };
  } finally {
    tree.delete();
  }
  return unit;
}
