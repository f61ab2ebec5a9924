/**
 * The statements a `DO` block runs, as statements of their own, for every frontend:
 * a `DO` in a `.sql` file and one sent through a TS/JS query call are read alike.
 * They run inside the DO statement, which is atomic: PostgreSQL treats the block as
 * one statement (sql-do.html), so no CONCURRENTLY inside it and no COMMIT of its own.
 */
import type { Statement, UnanalysedFact } from '../core/unit.js';
import { parseSql } from './parse.js';
import { doBlockStatements } from './plpgsql.js';

/**
 * The statements inside `outer` when it is a `DO` block (empty otherwise), located in the
 * file through `outer.sqlToFile` where the body's text is found in `outer.sql`. A body
 * PL/pgSQL does not parse, and a statement in it that does not parse on its own, are
 * pushed to `unanalysed` as statement facts at the DO.
 */
export function doBlockInnerStatements(outer: Statement, unanalysed: UnanalysedFact[]): Statement[] {
  const body = doBlockStatements(outer.node);
  if (!Array.isArray(body)) {
    unanalysed.push({ scope: 'statement', message: `The statements inside this DO block were not analysed: ${body.unread}.`, span: outer.span, phase: outer.phase });
    return [];
  }
  return body.flatMap((q) => innerStatements(outer, q, unanalysed));
}

/** The `codeTransaction` label of a statement inside a DO block (context.ts gives it the DO's own transaction block). */
export const DO_BLOCK_TRANSACTION = 'a DO block, which runs as one statement';

function innerStatements(outer: Statement, query: string, unanalysed: UnanalysedFact[]): Statement[] {
  const parsed = parseSql(query);
  if (parsed.error) {
    unanalysed.push({
      scope: 'statement',
      message: `A statement inside this DO block was not analysed: it does not parse as SQL on its own (${parsed.error.message}).`,
      span: outer.span,
      phase: outer.phase,
    });
  }
  const at = outer.sql.indexOf(query);
  const toFile = outer.sqlToFile;
  return parsed.statements.map((st) => {
    const start = at >= 0 && toFile ? toFile(at + st.start) : null;
    const end = at >= 0 && toFile ? toFile(at + st.end) : null;
    const located = start !== null && end !== null;
    return {
      ...outer,
      sql: st.text,
      node: st.node,
      span: located ? { start, end } : outer.span,
      sqlToFile: located ? (o: number) => toFile!(at + st.start + o) : null,
      origin: 'literal' as const,
      codeTransaction: DO_BLOCK_TRANSACTION,
      context: { ...outer.context },
    };
  });
}
