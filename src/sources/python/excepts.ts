/**
 * `except` clauses that swallow errors from DDL: the code fact behind
 * `no-swallowed-ddl-error` for Python (Alembic `op.*` calls, Django schema work,
 * SQLAlchemy executes and the SQL helpers a script calls, inside a `try`).
 *
 * A handler handles the error when it raises (a bare `raise`, `raise X from e`, any
 * `raise`), exits non-zero (`sys.exit(1)`, `sys.exit("message")`, `os._exit(1)`;
 * `sys.exit()` and `sys.exit(0)` exit successfully), or runs DDL of its own (a
 * fallback that builds an alternative). Logging, a `rollback()`, `pass` or a
 * `return` is not handling: the migration carries on with part of its schema missing.
 * A `try` in a loop that retries (its handler `continue`s, or its body `break`s or
 * `return`s on success) handles the error when the loop's `else:` or the statement
 * after the loop raises.
 */
import type { Edit, Span } from '../../core/diagnostic.js';
import type { SwallowedCatchFact } from '../../core/unit.js';
import { classify } from '../../sql/classify.js';
import type { PyEnv } from './env.js';
import { named, sameNode, type PyNode } from './parse.js';
import { positional } from './strings.js';

const span = (n: PyNode): Span => ({ start: n.startIndex, end: n.endIndex });
const within = (outer: Span, inner: Span) => outer.start <= inner.start && inner.end <= outer.end;

/** Descendants of `n` of `types` that run as part of it (not inside a nested function or class). */
function own(n: PyNode, types: string[]): PyNode[] {
  return n.descendantsOfType(types).filter((d): d is PyNode => {
    if (!d) return false;
    for (let p = d.parent; p && !sameNode(p, n); p = p.parent) if (p.type === 'function_definition' || p.type === 'lambda' || p.type === 'class_definition') return false;
    return true;
  });
}

/** DDL statements whose call lies in `range`. */
function ddlIn(range: Span, env: PyEnv): Span[] {
  const { statements, callSpans } = env.collector;
  const out: Span[] = [];
  statements.forEach((s, i) => {
    if (within(range, callSpans[i]!) && classify(s.node).class === 'ddl') out.push({ ...s.span });
  });
  // A SQL helper's own execute: the DDL its callers send through it.
  for (const run of env.helperRuns) {
    if (within(range, run.execute)) for (const s of run.statements) if (classify(s.node).class === 'ddl') out.push({ ...s.span });
  }
  return out;
}

/** Whether a call exits the process with a failure status. */
function failingExit(call: PyNode): boolean {
  const fn = call.childForFieldName('function')?.text ?? '';
  if (!/^(sys\.exit|exit|quit|os\._exit)$/.test(fn)) return false;
  const arg = positional(call)[0];
  if (!arg) return false;
  return !/^(0|None|False)$/.test(arg.text);
}

function handles(handler: PyNode, env: PyEnv): boolean {
  if (own(handler, ['raise_statement']).length) return true;
  if (own(handler, ['call']).some(failingExit)) return true;
  return ddlIn(span(handler), env).length > 0;
}

/** A retry loop around the try: the handler continues, or the body leaves the loop on success; and failing at the end raises. */
function retriedThenRaised(tryStmt: PyNode, handler: PyNode): boolean {
  let loop: PyNode | null = tryStmt.parent;
  while (loop && loop.type !== 'for_statement' && loop.type !== 'while_statement') {
    if (loop.type === 'function_definition' || loop.type === 'class_definition' || loop.type === 'module') return false;
    loop = loop.parent;
  }
  if (!loop) return false;
  const body = tryStmt.childForFieldName('body');
  const retries = own(handler, ['continue_statement']).length > 0 || (!!body && own(body, ['break_statement', 'return_statement']).length > 0);
  if (!retries) return false;
  const elseClause = loop.childForFieldName('alternative');
  if (elseClause && own(elseClause, ['raise_statement']).length) return true;
  const next = loop.nextNamedSibling;
  return next?.type === 'raise_statement';
}

/** The `except` clauses of the file that swallow DDL errors, with the edits that re-raise in each. */
export function findSwallowedExcepts(env: PyEnv): { fact: SwallowedCatchFact; rethrow: Edit[] | null }[] {
  const out: { fact: SwallowedCatchFact; rethrow: Edit[] | null }[] = [];
  if (!env.collector.statements.length) return out;
  for (const t of env.ofType('try_statement')) {
    const body = t.childForFieldName('body');
    if (!body) continue;
    const ddl = ddlIn(span(body), env);
    if (!ddl.length) continue;
    for (const handler of named(t)) {
      if (handler.type !== 'except_clause' && handler.type !== 'except_group_clause') continue;
      if (handles(handler, env) || retriedThenRaised(t, handler)) continue;
      const value = handler.childForFieldName('value');
      const alias = value?.type === 'as_pattern' ? named(value.childForFieldName('alias') ?? value).at(-1) : null;
      const errorName = alias?.type === 'identifier' ? alias.text : null;
      const edits = raiseEdits(handler, env);
      out.push({
        fact: { span: span(handler), ddl, rethrow: edits ? { offset: edits.at, errorName, indent: edits.indent } : null },
        rethrow: edits ? edits.edits : null,
      });
    }
  }
  return out;
}

/**
 * A bare `raise` as the handler's last statement: replacing a lone `pass`, before a final
 * `return`/`continue`/`break`, else after the last statement (on its own line with the
 * body's indentation, or `; raise` when the body is on the `except` line). A comment at
 * the end of the last line stays on it.
 */
function raiseEdits(handler: PyNode, env: PyEnv): { edits: Edit[]; at: number; indent: string } | null {
  const block = named(handler).filter((c) => c.type === 'block').at(-1);
  const stmts = block ? named(block) : [];
  const last = stmts.at(-1);
  if (!last) return null;
  const text = env.source.text;
  const lineStart = text.lastIndexOf('\n', last.startIndex - 1) + 1;
  const indent = text.slice(lineStart, last.startIndex);
  const ownLine = /^[ \t]*$/.test(indent);
  if (last.type === 'pass_statement') return { edits: [{ start: last.startIndex, end: last.endIndex, text: 'raise' }], at: last.startIndex, indent };
  if (/^(return|continue|break)_statement$/.test(last.type)) {
    const before = ownLine ? `raise${env.source.eol}${indent}` : 'raise; ';
    return { edits: [{ start: last.startIndex, end: last.startIndex, text: before }], at: last.startIndex, indent };
  }
  if (!ownLine) return { edits: [{ start: last.endIndex, end: last.endIndex, text: '; raise' }], at: last.endIndex, indent: '' };
  // After the statement's line (and a comment ending it).
  const nl = text.indexOf('\n', last.endIndex);
  const rest = text.slice(last.endIndex, nl < 0 ? text.length : nl).replace(/\r$/, '');
  const at = /^[ \t]*(#.*)?$/.test(rest) ? last.endIndex + rest.length : last.endIndex;
  return { edits: [{ start: at, end: at, text: `${env.source.eol}${indent}raise` }], at, indent };
}
