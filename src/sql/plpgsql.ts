/**
 * PL/pgSQL analysis of `DO` blocks: an `EXCEPTION` handler around DDL that only
 * logs (`RAISE WARNING/NOTICE`) swallows the failure, the SQL twin of a catch that
 * logs and carries on. Manual: plpgsql-control-structures.html#PLPGSQL-ERROR-TRAPPING.
 */
import { parsePlPgSQLSync, type Node } from 'libpg-query';
import { SourceText } from '../core/source-text.js';
import { classify, constText } from './classify.js';
import { parseSql } from './parse.js';
import { FileMemo } from '../core/file-memo.js';

/** `RAISE` levels as PostgreSQL numbers them (elog.h): ERROR is 21; NOTICE 18, WARNING 19. */
const ERROR_LEVEL = 21;

/** One `EXCEPTION` clause that swallows DDL failures (all its swallowing `WHEN` branches together). */
export interface SwallowedHandler {
  /** The DDL commands (command tags) the handler swallows. */
  ddl: string[];
  /** The conditions of the swallowing branches as written: `others`, `lock_not_available`, a SQLSTATE such as `0A000`. */
  conditions: string[];
  /**
   * Where the first swallowing branch's first statement is, in UTF-16 offsets into
   * the `DO` statement's SQL text: that line, trimmed. Null when the body is not a
   * dollar-quoted string found verbatim in the statement (escapes shift offsets).
   */
  span: { start: number; end: number } | null;
}

type Json = Record<string, unknown>;

function isDdlQuery(query: string, dynamic: boolean): string | null {
  let sql = query.trim();
  if (dynamic) {
    const m = /^'((?:[^']|'')*)'$/.exec(sql);
    if (!m) return /^(format\s*\(\s*)?'\s*(CREATE|ALTER|DROP|TRUNCATE)\b/i.exec(sql) ? 'dynamic DDL' : null;
    sql = m[1]!.replace(/''/g, "'");
  }
  try {
    const parsed = parseSql(sql);
    const ddl = parsed.statements.map((s) => classify(s.node)).find((c) => c.class === 'ddl');
    return ddl ? ddl.tag : null;
  } catch {
    return null;
  }
}

/** DDL tags executed anywhere in a list of PL/pgSQL statements (nested blocks, IFs, loops included). */
function ddlIn(value: unknown, out: string[]): void {
  if (Array.isArray(value)) {
    for (const v of value) ddlIn(v, out);
    return;
  }
  if (!value || typeof value !== 'object') return;
  const obj = value as Json;
  const exec = obj.PLpgSQL_stmt_execsql as Json | undefined;
  const dyn = obj.PLpgSQL_stmt_dynexecute as Json | undefined;
  const q = ((exec?.sqlstmt ?? dyn?.query) as Json | undefined)?.PLpgSQL_expr as Json | undefined;
  if (q && typeof q.query === 'string') {
    const tag = isDdlQuery(q.query, !!dyn);
    if (tag) out.push(tag);
  }
  for (const [k, v] of Object.entries(obj)) if (k !== 'exceptions') ddlIn(v, out);
}

function reraises(actions: unknown): boolean {
  let found = false;
  const walk = (v: unknown): void => {
    if (found || !v || typeof v !== 'object') return;
    if (Array.isArray(v)) return v.forEach(walk);
    const o = v as Json;
    const raise = o.PLpgSQL_stmt_raise as Json | undefined;
    if (raise && (raise.elog_level === undefined || (raise.elog_level as number) >= ERROR_LEVEL)) found = true;
    Object.values(o).forEach(walk);
  };
  walk(actions);
  return found;
}

/**
 * Whether a handler's conditions catch real failures. `WHEN duplicate_object` /
 * `WHEN undefined_table` and the like are the idempotency idiom (the object is
 * already there, or already gone), not a swallowed failure; `others`, lock and
 * timeout conditions are.
 */
function catchesFailures(names: string[]): boolean {
  if (names.length === 0) return true;
  return names.some((n) => !/^(duplicate_|undefined_|invalid_object_definition$|42p07$|42710$|42p01$|42701$|42704$|42883$)/i.test(n));
}

function conditionNames(conditions: unknown): string[] {
  return ((conditions as Json[] | undefined) ?? []).map((c) => {
    const cond = c.PLpgSQL_condition as Json | undefined;
    return String(cond?.condname ?? cond?.sqlerrstate ?? 'others');
  });
}

/** The trimmed text of 1-based `line` of `body`, as offsets into `sql` (which holds `body` verbatim at `bodyAt`). */
function lineSpan(body: string, bodyAt: number, line: number): { start: number; end: number } | null {
  const source = new SourceText(body);
  if (line > source.lineCount) return null;
  const text = source.lineText(line);
  const start = bodyAt + source.offsetAt({ line, column: 1 });
  return { start: start + text.length - text.trimStart().length, end: start + text.trimEnd().length };
}

function firstLine(v: unknown): number | null {
  if (!v || typeof v !== 'object') return null;
  if (Array.isArray(v)) {
    for (const x of v) {
      const l = firstLine(x);
      if (l !== null) return l;
    }
    return null;
  }
  const o = v as Json;
  if (typeof o.lineno === 'number') return o.lineno;
  for (const x of Object.values(o)) {
    const l = firstLine(x);
    if (l !== null) return l;
  }
  return null;
}

/**
 * A `DO` statement's body: its text and, for PL/pgSQL, its parse (null when libpg-query's
 * PL/pgSQL parser rejects it, with the reason). Null for other statements.
 */
function doBody(node: Node): DoBody | null {
  if (!('DoStmt' in node)) return null;
  // The frontends and no-swallowed-ddl-error both read a DO statement's body: it is parsed once.
  const known = bodies.get(node);
  if (known !== undefined) return known;
  const body = parseDoBody(node);
  bodies.set(node, body);
  return body;
}

interface DoBody {
  text: string;
  language: string;
  parsed: unknown;
  failure?: string;
}

const bodies = new FileMemo<Node, DoBody | null>();

function parseDoBody(node: Node): DoBody | null {
  if (!('DoStmt' in node)) return null;
  const args = node.DoStmt.args ?? [];
  let body: string | null = null;
  let language = 'plpgsql';
  for (const a of args) {
    if (!('DefElem' in a) || !a.DefElem.arg) continue;
    if (a.DefElem.defname === 'as') body = constText(a.DefElem.arg);
    if (a.DefElem.defname === 'language') language = constText(a.DefElem.arg).toLowerCase();
  }
  if (body === null) return null;
  if (language !== 'plpgsql') return { text: body, language, parsed: null };
  try {
    // The body starts on line 1 of the wrapper, so PL/pgSQL line numbers are the body's own.
    const tag = body.includes('$miglint$') ? '$miglint_do$' : '$miglint$';
    return { text: body, language, parsed: parsePlPgSQLSync(`CREATE FUNCTION miglint_do() RETURNS void LANGUAGE plpgsql AS ${tag}${body}${tag}`) };
  } catch (e) {
    return { text: body, language, parsed: null, failure: (e as Error).message ?? String(e) };
  }
}

/**
 * The static SQL a `DO` block runs (not `EXECUTE` strings), in order, exception handlers
 * included; `{ unread }` with the reason when its body cannot be read (not PL/pgSQL, or
 * PL/pgSQL the parser rejects), so the caller reports it instead of dropping it.
 */
export function doBlockStatements(node: Node): string[] | { unread: string } {
  const body = doBody(node);
  if (body && body.parsed === null) {
    return { unread: body.language !== 'plpgsql' ? `its body is in ${body.language}, which miglint does not read` : `PL/pgSQL's parser rejects its body (${body.failure})` };
  }
  const parsed = body?.parsed ?? null;
  const out: string[] = [];
  const walk = (v: unknown): void => {
    if (!v || typeof v !== 'object') return;
    if (Array.isArray(v)) return v.forEach(walk);
    const o = v as Json;
    const exec = o.PLpgSQL_stmt_execsql as Json | undefined;
    const q = (exec?.sqlstmt as Json | undefined)?.PLpgSQL_expr as Json | undefined;
    if (q && typeof q.query === 'string') out.push(q.query);
    Object.values(o).forEach(walk);
  };
  walk(parsed);
  return out;
}

/**
 * `EXCEPTION` clauses in a `DO` statement's PL/pgSQL body that swallow DDL errors:
 * around DDL, a branch catching real failures that neither re-raises (`RAISE;`,
 * `RAISE EXCEPTION`) nor runs DDL of its own (a fallback, such as a btree index
 * when a hash index fails, is handling). `sql` is the statement's text, for spans.
 */
export function swallowedInDo(node: Node, sql: string): SwallowedHandler[] {
  const body = doBody(node);
  if (body === null) return [];
  const bodyAt = sql.indexOf(body.text);
  const out: SwallowedHandler[] = [];
  const visit = (v: unknown): void => {
    if (!v || typeof v !== 'object') return;
    if (Array.isArray(v)) return v.forEach(visit);
    const o = v as Json;
    const block = o.PLpgSQL_stmt_block as Json | undefined;
    const excBlock = (block?.exceptions as Json | undefined)?.PLpgSQL_exception_block as Json | undefined;
    if (block && excBlock) {
      const ddl: string[] = [];
      ddlIn(block.body, ddl);
      const swallowing = ((excBlock.exc_list as Json[] | undefined) ?? [])
        .map((e) => e.PLpgSQL_exception as Json | undefined)
        .filter((h): h is Json => !!h && catchesFailures(conditionNames(h.conditions)) && !reraises(h.action) && !runsDdl(h.action));
      if (ddl.length && swallowing.length) {
        const line = firstLine(swallowing[0]!.action);
        out.push({
          ddl: [...new Set(ddl)],
          conditions: swallowing.flatMap((h) => conditionNames(h.conditions)).map((c) => (/^(?=.*\d)[0-9A-Z]{5}$/.test(c) ? `SQLSTATE '${c}'` : c)),
          span: bodyAt >= 0 && line !== null ? lineSpan(body.text, bodyAt, line) : null,
        });
      }
    }
    Object.values(o).forEach(visit);
  };
  visit(body.parsed);
  return out;
}

function runsDdl(actions: unknown): boolean {
  const ddl: string[] = [];
  ddlIn(actions, ddl);
  return ddl.length > 0;
}
