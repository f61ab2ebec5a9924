/**
 * The `.sql` language frontend: registry entry for `sqlUnit` (sql.ts). The SQL parser
 * (libpg-query's wasm) is shared by every frontend and initialised by `prepareFrontends`.
 */
import { initSqlParser, parseSql } from '../sql/parse.js';
import type { LanguageFrontend } from './registry.js';
import { parseableSql, sqlUnit } from './sql.js';

export const sqlFrontend: LanguageFrontend = {
  id: 'sql',
  kind: 'sql',
  name: 'SQL',
  extensions: ['.sql'],
  comments: { line: ['--'], block: [['/*', '*/']] },
  editorLanguages: { sql: '.sql' },
  prepare: initSqlParser,
  parse: sqlUnit,
  syntaxProblem(_file, text) {
    // psql syntax is masked too: a fix is refused only for what it breaks, not for the runner's own syntax.
    const r = parseSql(parseableSql(text, true));
    return r.error ? r.error.message : null;
  },
  invalidUtf8Note:
    'psql and most runners send these bytes as they are: with client_encoding UTF8, PostgreSQL rejects the statement (SQLSTATE 22021 character_not_in_repertoire; manual: "Character Set Support").',
};
