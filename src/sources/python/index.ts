/**
 * The Python language frontend (`.py`): one migration unit per module, through
 * web-tree-sitter (see parse.ts). Its framework modules are listed in frameworks.ts:
 * Django (django.ts), Alembic (alembic.ts), and SQLAlchemy sessions and connections
 * (sqlalchemy.ts) in migration scripts and in Alembic migrations; a file none claims is
 * read for nothing but its syntax and comments (framework 'unknown', no statements).
 * Its registry entry is `pythonFrontend` (frontend.ts), which loads this module lazily.
 */
import type { LintSettings } from '../../core/rule.js';
import { SourceText } from '../../core/source-text.js';
import type { MigrationUnit } from '../../core/unit.js';
import { djangoMigrationClass } from './django.js';
import { pythonEdits } from './edits.js';
import { PyEnv } from './env.js';
import { deleteTree, firstSyntaxError, parsePython } from './parse.js';
import { analyseFrameworks } from './frameworks.js';

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
    unit.comments = env.ofType('comment').map((n) => ({ text: n.text, span: { start: n.startIndex, end: n.endIndex } }));
    const syntax = firstSyntaxError(tree.rootNode);
    if (syntax) unit.syntaxErrors.push(syntax);
    // Two modules may read one file (Alembic's own calls, then SQLAlchemy's executes): back in code order.
    if (analyseFrameworks(env, unit).length > 1) inDocumentOrder(env);
    dropOtherDialects(env);
    unit.statements = env.collector.statements;
    unit.edits = pythonEdits(env, unit, unit.framework === 'django' ? djangoMigrationClass(env) : null);
    unit.syntaxErrors.push(...env.collector.syntaxErrors);
    unit.unanalysed = [...env.collector.unanalysed];
    if (settings.assumeInTransaction !== null) unit.wrapped = { inTransaction: settings.assumeInTransaction, reason: 'configuration `assumeInTransaction`' };
  } finally {
    deleteTree(tree);
  }
  return unit;
}

/**
 * Alembic's own calls and the SQLAlchemy executes of the same file are read in two passes:
 * put their statements back in the order the code runs them (by the call that runs each;
 * a sort that keeps the order of statements of one call).
 */
function inDocumentOrder(env: PyEnv): void {
  const c = env.collector;
  const order = c.statements.map((s, i) => ({ s, call: c.callSpans[i]!, i }));
  order.sort((a, b) => a.call.start - b.call.start || a.i - b.i);
  c.statements.splice(0, c.statements.length, ...order.map((o) => o.s));
  c.callSpans.splice(0, c.callSpans.length, ...order.map((o) => o.call));
}

/** A condition that holds only on another database: `url.startswith("mysql")`, `bind.dialect.name == "sqlite"`. */
const OTHER_DIALECT = /(?:startswith\(\s*["'](?:mysql|mariadb|sqlite|mssql|oracle)|==\s*["'](?:mysql|mariadb|sqlite|mssql|oracle)["'])/;

/** A condition that holds only on PostgreSQL: `url.startswith("postgres")`, `bind.dialect.name == "postgresql"`. */
const POSTGRES = /(?:startswith\(\s*["']postgres|==\s*["']postgres(?:ql)?["'])/;

/**
 * Leaves out what runs only on another database: the body of an `if` whose condition tests
 * for MySQL, SQLite, SQL Server or Oracle (a migration that supports several; its `elif` and
 * `else` branches stay, PostgreSQL may run them), and the `elif`/`else` branches of an `if`
 * whose condition tests for PostgreSQL.
 */
function dropOtherDialects(env: PyEnv): void {
  const blocks: { start: number; end: number }[] = [];
  for (const n of env.ofType('if_statement', 'elif_clause')) {
    const cond = n.childForFieldName('condition');
    const body = n.childForFieldName('consequence');
    // A negated or compound condition (`== "postgresql" and HAS_EXT`) says nothing of which branch is PostgreSQL's: all are read.
    if (!cond || !body || /\bnot\b|!=|\b(?:and|or)\b/.test(cond.text)) continue;
    if (OTHER_DIALECT.test(cond.text)) blocks.push({ start: body.startIndex, end: body.endIndex });
    else if (n.type === 'if_statement' && POSTGRES.test(cond.text)) {
      // `if url.startswith("postgres"): ... else: <MySQL's SQL>`: the other branches are not PostgreSQL's.
      for (const alt of n.childrenForFieldName('alternative')) {
        const other = alt?.childForFieldName(alt.type === 'else_clause' ? 'body' : 'consequence');
        if (other) blocks.push({ start: other.startIndex, end: other.endIndex });
      }
    }
  }
  if (!blocks.length) return;
  const inside = (sp: { start: number; end: number }) => blocks.some((b) => b.start <= sp.start && sp.end <= b.end);
  const c = env.collector;
  const keep = c.statements.map((_, i) => !inside(c.callSpans[i]!));
  const statements = c.statements.filter((_, i) => keep[i]);
  const calls = c.callSpans.filter((_, i) => keep[i]);
  c.statements.splice(0, c.statements.length, ...statements);
  c.callSpans.splice(0, c.callSpans.length, ...calls);
  const unanalysed = c.unanalysed.filter((u) => !inside(u.span));
  c.unanalysed.splice(0, c.unanalysed.length, ...unanalysed);
  const errors = c.syntaxErrors.filter((e) => !inside({ start: e.offset, end: e.offset }));
  c.syntaxErrors.splice(0, c.syntaxErrors.length, ...errors);
}
