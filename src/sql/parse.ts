/**
 * The libpg-query adapter: PostgreSQL's own grammar, statements with exact
 * UTF-16 spans, and comments from its scanner.
 */
import { loadModule, parseSync, scanSync, type Node, type ScanToken } from 'libpg-query';
import { codePointToUtf16, Utf8OffsetMap } from '../core/source-text.js';

let loading: Promise<void> | null = null;
let loaded = false;

/** Loads the parser's WebAssembly module once; every other call waits for the first. */
export function initSqlParser(): Promise<void> {
  loading ??= loadModule().then(() => {
    loaded = true;
  });
  return loading;
}

export interface ParsedStatement {
  node: Node;
  /** UTF-16 offset of the statement's first token. */
  start: number;
  /** UTF-16 offset just past its last token (the terminating `;` excluded). */
  end: number;
  /** UTF-16 offset just past the terminating `;`, or `end` when there is none. */
  endWithSemicolon: number;
  text: string;
}

export interface SqlComment {
  text: string;
  start: number;
  end: number;
}

export interface SqlSyntaxError {
  message: string;
  /** UTF-16 offset the parser points at. */
  offset: number;
}

export interface ParsedSql {
  statements: ParsedStatement[];
  comments: SqlComment[];
  /** The first syntax error, if any; statements before and after it are still returned. */
  error: SqlSyntaxError | null;
}

interface Token {
  start: number;
  end: number;
  name: string;
}

const COMMENT_TOKENS = new Set(['SQL_COMMENT', 'C_COMMENT']);

function scan(sql: string, map: Utf8OffsetMap): Token[] | null {
  let tokens: ScanToken[];
  try {
    tokens = scanSync(sql).tokens;
  } catch {
    return null; // e.g. an unterminated quoted string; the parser will say where.
  }
  return tokens.map((t) => ({ start: map.toUtf16(t.start), end: map.toUtf16(t.end), name: t.tokenName }));
}

/**
 * Parses SQL text into statements.
 *
 * Offsets in the result are UTF-16 code units into `sql`. libpg-query reports
 * UTF-8 byte offsets, omits `stmt_location` when it is 0 and `stmt_len` on the
 * last statement; both are handled here. On a syntax error the text is split at
 * top-level semicolons (from the scanner, so quoted and dollar-quoted text is
 * respected) and each piece parsed alone, so one bad statement hides no other.
 *
 * @throws Error if `initSqlParser()` has not completed.
 */
export function parseSql(sql: string): ParsedSql {
  if (!loaded) throw new Error('parseSql called before initSqlParser() resolved');
  // An empty migration runs nothing; PostgreSQL's parser would call it an empty query.
  if (sql.trim() === '') return { statements: [], comments: [], error: null };
  const map = new Utf8OffsetMap(sql);
  const tokens = scan(sql, map);
  const comments: SqlComment[] = [];
  const code: Token[] = [];
  for (const t of tokens ?? []) {
    if (COMMENT_TOKENS.has(t.name)) comments.push({ text: sql.slice(t.start, t.end), start: t.start, end: t.end });
    else code.push(t);
  }
  if (tokens !== null && code.length === 0) return { statements: [], comments, error: null };

  try {
    return { statements: statementsOf(sql, 0, sql, map, code), comments, error: null };
  } catch (e) {
    const first = toSyntaxError(e, sql);
    if (tokens === null) return { statements: [], comments, error: first };
    return { ...recover(sql, code), comments, error: first };
  }
}

/** The parser's error, located: its cursor is a 0-based code point index into `sql`. */
function toSyntaxError(e: unknown, sql: string): SqlSyntaxError {
  const err = e as { message?: string; sqlDetails?: { message: string; cursorPosition: number } };
  const message = err.sqlDetails?.message ?? err.message ?? String(e);
  const pos = err.sqlDetails?.cursorPosition;
  return { message, offset: typeof pos === 'number' && pos >= 0 ? codePointToUtf16(sql, pos) : 0 };
}

/** Statements of `piece` (which starts at `base` in `sql`), trimmed to their tokens. */
function statementsOf(piece: string, base: number, sql: string, map: Utf8OffsetMap, code: Token[]): ParsedStatement[] {
  const result = parseSync(piece);
  const out: ParsedStatement[] = [];
  for (const raw of result.stmts ?? []) {
    if (!raw.stmt) continue;
    const from = base + map.toUtf16(raw.stmt_location ?? 0);
    const to = raw.stmt_len === undefined || raw.stmt_len === 0 ? base + piece.length : base + map.toUtf16((raw.stmt_location ?? 0) + raw.stmt_len);
    const inside = tokensWithin(code, from, to);
    if (inside.length === 0) continue;
    const start = inside[0]!.start;
    let last = inside[inside.length - 1]!;
    if (last.name === 'ASCII_59' && inside.length > 1) last = inside[inside.length - 2]!;
    const end = last.end;
    const next = code[code.indexOf(last) + 1];
    const endWithSemicolon = next && next.name === 'ASCII_59' ? next.end : end;
    out.push({ node: raw.stmt, start, end, endWithSemicolon, text: sql.slice(start, end) });
  }
  return out;
}

function tokensWithin(code: Token[], from: number, to: number): Token[] {
  let lo = 0;
  let hi = code.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (code[mid]!.start < from) lo = mid + 1;
    else hi = mid;
  }
  const out: Token[] = [];
  for (let i = lo; i < code.length && code[i]!.end <= to; i++) out.push(code[i]!);
  return out;
}

/**
 * Parses each `;`-separated piece alone, keeping the ones that parse. A piece that
 * does not parse alone is retried joined with the next few (a `CREATE RULE` with
 * several actions or a `BEGIN ATOMIC` body has semicolons inside it); one that never
 * parses is the error already reported, and is skipped.
 */
function recover(sql: string, code: Token[]): { statements: ParsedStatement[] } {
  const bounds = [0, ...code.filter((t) => t.name === 'ASCII_59').map((t) => t.end)];
  if (bounds[bounds.length - 1] !== sql.length) bounds.push(sql.length);
  const statements: ParsedStatement[] = [];
  let i = 0;
  while (i < bounds.length - 1) {
    let next = i + 1;
    for (let j = i + 1; j < bounds.length && j <= i + 8; j++) {
      const piece = sql.slice(bounds[i], bounds[j]);
      if (!/\S/.test(piece)) break;
      try {
        statements.push(...statementsOf(piece, bounds[i]!, sql, new Utf8OffsetMap(piece), code));
        next = j;
        break;
      } catch {
        /* try a longer piece */
      }
    }
    i = next;
  }
  return { statements };
}
