/**
 * The libpg-query adapter: PostgreSQL's own grammar, statements with exact
 * UTF-16 spans, and comments.
 *
 * The text is lexed once (`lex.ts`: comments, runs of code with their UTF-8 and
 * UTF-16 offsets, the semicolons that end statements) and parsed in pieces of whole
 * statements of at most `PARSE_CHUNK_BYTES`, so the time is linear in the size of the
 * file and a large file stays within what the parser's WebAssembly memory holds.
 */
import { loadModule, parseSync, type Node } from 'libpg-query';
import { ambient } from '../core/ambient.js';
import { codePointToUtf16 } from '../core/source-text.js';
import { lexSql, TERMINATOR, type Runs } from './lex.js';

let loading: Promise<void> | null = null;
let loaded = false;

/** Loads the parser's WebAssembly module once; every other call waits for the first. */
export function initSqlParser(): Promise<void> {
  loading ??= loadModule().then(() => {
    loaded = true;
  });
  return loading;
}

/** The most UTF-8 bytes of SQL handed to the parser in one call (a single larger statement goes alone). */
export const PARSE_CHUNK_BYTES = 1 << 20;

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

/** Text the parser could not handle at all (not a syntax error: e.g. a statement too large for its memory). */
export interface SqlUnparsed {
  /** UTF-16 offsets of the statement(s) not analysed. */
  start: number;
  end: number;
  /** Why, in one sentence. */
  reason: string;
}

export interface ParsedSql {
  statements: ParsedStatement[];
  comments: SqlComment[];
  /** The first of `errors`, if any; statements before and after it are still returned. */
  error: SqlSyntaxError | null;
  /**
   * Every syntax error, by offset: one per statement that does not parse (the others are
   * still returned), and the first NUL byte in the text (read as a space so the rest is analysed).
   */
  errors: SqlSyntaxError[];
  /** Statements the parser failed on for another reason than their syntax; never silently dropped. */
  unparsed: SqlUnparsed[];
  /** How many NUL bytes (U+0000) the text has. */
  nulCount: number;
}

/** Each statement node `parseSql` returned: its text, and where that text starts (UTF-8 bytes) in the text the parser was given. */
const origins = new WeakMap<Node, { text: string; byteOffset: number }>();

/**
 * Where the `location`s in a statement node that `parseSql` returned count from: the UTF-8 byte
 * offset of the first character of `text` (its `ParsedStatement.text`) in the piece of SQL the
 * parser was given, so `location - offset` is a UTF-8 offset into `text`, as if `text` had been
 * parsed alone. Null when `node` is not such a node or `text` is not its statement's text.
 */
export function locationOffset(node: Node, text: string): number | null {
  const o = origins.get(node);
  return o && o.text === text ? o.byteOffset : null;
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/**
 * Parses SQL text into statements.
 *
 * Offsets in the result are UTF-16 code units into `sql`. libpg-query reports
 * UTF-8 byte offsets, omits `stmt_location` when it is 0 and `stmt_len` on the last
 * statement of what it is given; all handled here. A statement that does not parse
 * is reported at the parser's cursor and skipped; the statements around it are parsed
 * on their own, so one bad statement hides no other. A NUL byte is reported (a
 * PostgreSQL query string ends at a NUL: protocol-overview.html, "Messaging
 * Overview", strings are null-terminated) and read as a space. Lone UTF-16
 * surrogates (not possible in text decoded from UTF-8) are read as U+FFFD.
 *
 * @throws Error if `initSqlParser()` has not completed.
 */
export function parseSql(input: string): ParsedSql {
  if (!loaded) throw new Error('parseSql called before initSqlParser() resolved');
  const kept = memo.current;
  if (!kept) return parseUncached(input);
  let parsed = kept.get(input);
  if (!parsed) kept.set(input, (parsed = parseUncached(input)));
  return parsed;
}

/** Earlier parses by their input text, for `withParseMemo`. */
export interface ParseMemo {
  get(sql: string): ParsedSql | undefined;
  set(sql: string, parsed: ParsedSql): void;
}

const memo = ambient<ParseMemo | null>(null);

/**
 * Runs `fn` with `parseSql` answering a text it has parsed before from `m` (the language
 * server keeps a document's parses across edits: an edit re-parses only the SQL it changed).
 * The same `ParsedSql` object, nodes included, is then handed to every caller of that text:
 * callers treat it as read-only (test/lsp/relint.test.ts checks that every rule fixture, linted
 * with each parse shared and deep-frozen, gets the same findings).
 */
export function withParseMemo<T>(m: ParseMemo | null, fn: () => T): T {
  return memo.run(m, fn);
}

function parseUncached(input: string): ParsedSql {
  const errors: SqlSyntaxError[] = [];
  let sql = input;
  let nulCount = 0;
  const firstNul = sql.indexOf('\0');
  if (firstNul >= 0) {
    sql = sql.replace(/\0/g, () => {
      nulCount++;
      return ' ';
    });
    const more = nulCount > 1 ? ` (and ${nulCount - 1} more after it)` : '';
    errors.push({
      message: `a NUL byte (U+0000)${more}: a PostgreSQL query string ends at a NUL, so the runner would cut the SQL off here or reject it; it is read as a space to analyse the rest`,
      offset: firstNul,
    });
  }
  if (/[\uD800-\uDFFF]/.test(sql)) sql = sql.replace(LONE_SURROGATE, '\uFFFD');

  const lexed = lexSql(sql);
  const comments: SqlComment[] = lexed.comments;
  const result: ParsedSql = { statements: [], comments, error: null, errors, unparsed: [], nulCount };
  if (lexed.runs.count > 0) new Pieces(sql, lexed.runs, lexed.bytes, result).parseAll();
  result.statements.sort((a, b) => a.start - b.start);
  errors.sort((a, b) => a.offset - b.offset);
  result.error = errors[0] ?? null;
  return result;
}

/** A libpg-query syntax error (as opposed to a failure of the parser itself, such as running out of memory). */
function syntaxDetails(e: unknown): { message: string; cursorPosition: number } | null {
  const details = (e as { sqlDetails?: { message?: unknown; cursorPosition?: unknown } } | null)?.sqlDetails;
  if (!details || typeof details.message !== 'string') return null;
  return { message: details.message, cursorPosition: typeof details.cursorPosition === 'number' ? details.cursorPosition : 0 };
}

/**
 * The statements of a text as ranges of runs, and the parsing of ranges of them.
 * Statement k spans runs [runFrom[k], runFrom[k + 1]); a piece of text that starts at
 * run r starts just after run r - 1 (a `;`), so comments before a statement belong to it.
 */
class Pieces {
  /** First run of each statement; one extra entry: the run count. */
  private readonly runFrom: number[] = [];

  constructor(
    private readonly sql: string,
    private readonly runs: Runs,
    private readonly bytes: number,
    private readonly out: ParsedSql,
  ) {
    this.runFrom.push(0);
    for (let r = 0; r < runs.count; r++) if (runs.kind[r] === TERMINATOR && r + 1 < runs.count) this.runFrom.push(r + 1);
    this.runFrom.push(runs.count);
  }

  private get count(): number {
    return this.runFrom.length - 1;
  }

  /** UTF-16 / UTF-8 offsets where a piece starting at run r starts, and where one ending before run r ends. */
  private textAt(r: number): number {
    return r === 0 ? 0 : r === this.runs.count ? this.sql.length : this.runs.end[r - 1]!;
  }
  private byteAt(r: number): number {
    return r === 0 ? 0 : r === this.runs.count ? this.bytes : this.runs.byteEnd[r - 1]!;
  }

  /** Parses every statement, in chunks of at most PARSE_CHUNK_BYTES. */
  parseAll(): void {
    const ranges: [number, number][] = [];
    let a = 0;
    for (let k = 1; k <= this.count; k++) {
      if (k === this.count || this.byteAt(this.runFrom[k + 1] ?? this.runs.count) - this.byteAt(this.runFrom[a]!) > PARSE_CHUNK_BYTES) {
        ranges.push([a, k]);
        a = k;
      }
    }
    // A work list instead of recursion: a file with thousands of bad statements must not overflow the stack.
    const work = ranges.reverse();
    while (work.length > 0) {
      const [from, to] = work.pop()!;
      for (const next of this.parseStatements(from, to).reverse()) work.push(next);
    }
  }

  /** Parses runs [r0, r1) as one text; throws what the parser throws. */
  private parse(r0: number, r1: number): void {
    this.collect(parseSync(this.sql.slice(this.textAt(r0), this.textAt(r1))), r0, r1);
  }

  /** Parses statements [a, b); returns the ranges still to parse, in text order. */
  private parseStatements(a: number, b: number): [number, number][] {
    const r0 = this.runFrom[a]!;
    const r1 = this.runFrom[b]!;
    if (r0 === r1) return [];
    try {
      this.parse(r0, r1);
      return [];
    } catch (e) {
      const syntax = syntaxDetails(e);
      if (!syntax) return this.parserFailed(a, b, e);
      const start = this.textAt(r0);
      const offset = start + codePointToUtf16(this.sql.slice(start, this.textAt(r1)), syntax.cursorPosition);
      const k = this.statementAt(offset, a, b);
      const rest: [number, number][] = k > a ? [[a, k]] : [];
      if (k === a && b === a + 1) this.recoverInside(k, { message: syntax.message, offset });
      else rest.push([k, k + 1]);
      if (k + 1 < b) rest.push([k + 1, b]);
      return rest;
    }
  }

  /**
   * Statement k does not parse. Its text is cut at every `;` (the lexer kept some inside
   * parentheses or a BEGIN ATOMIC body, which an unbalanced parenthesis also causes) and each
   * piece is parsed alone, or joined with the next few (a `CREATE RULE` with several actions
   * has semicolons inside it). `error` is reported, and so is each piece that never parses elsewhere.
   */
  private recoverInside(k: number, error: SqlSyntaxError): void {
    const cuts = [this.runFrom[k]!];
    for (let r = this.runFrom[k]!; r < this.runFrom[k + 1]!; r++) if (this.runs.isSemicolon(r)) cuts.push(r + 1);
    if (cuts[cuts.length - 1] !== this.runFrom[k + 1]) cuts.push(this.runFrom[k + 1]!);
    this.out.errors.push(error);
    let i = 0;
    while (i < cuts.length - 1) {
      let next = -1;
      let failure: SqlSyntaxError | null = null;
      for (let j = i + 1; j < cuts.length && j <= i + 8; j++) {
        if (i === 0 && j === cuts.length - 1) break; // the whole statement: failed already
        try {
          this.parse(cuts[i]!, cuts[j]!);
          next = j;
          break;
        } catch (e) {
          const syntax = syntaxDetails(e);
          if (!syntax) break;
          if (j === i + 1) {
            const start = this.textAt(cuts[i]!);
            failure = { message: syntax.message, offset: start + codePointToUtf16(this.sql.slice(start, this.textAt(cuts[j]!)), syntax.cursorPosition) };
          }
        }
      }
      if (next < 0) {
        // A piece that never parses: the error already reported, or one of its own.
        const holdsError = error.offset >= this.textAt(cuts[i]!) && error.offset <= this.textAt(cuts[i + 1]!);
        if (failure && !holdsError) this.out.errors.push(failure);
        next = i + 1;
      }
      i = next;
    }
  }

  /** The parser failed for another reason than syntax (memory): halve the range, down to one statement. */
  private parserFailed(a: number, b: number, e: unknown): [number, number][] {
    if (b - a > 1) {
      const mid = (a + b) >> 1;
      return [
        [a, mid],
        [mid, b],
      ];
    }
    const first = this.runFrom[a]!;
    const last = this.runFrom[b]! - 1;
    const bytes = this.byteAt(this.runFrom[b]!) - this.byteAt(first);
    const why = e instanceof Error ? e.message : ((e as { message?: string } | null)?.message ?? String(e));
    this.out.unparsed.push({
      start: this.runs.start[first]!,
      end: this.runs.end[last]!,
      reason: `PostgreSQL's parser (libpg-query) failed on this statement of ${(bytes / 1e6).toFixed(1)} MB: ${why}`,
    });
    return [];
  }

  /** The statement in [a, b) whose text contains `offset` (the last one for an offset at the end). */
  private statementAt(offset: number, a: number, b: number): number {
    let lo = a;
    let hi = b - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.textAt(this.runFrom[mid + 1]!) > offset) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  }

  /** Turns the parser's statements for runs [r0, r1) into spans trimmed to their code runs. */
  private collect(result: ReturnType<typeof parseSync>, r0: number, r1: number): void {
    const runs = this.runs;
    const base = this.byteAt(r0);
    const pieceEnd = this.byteAt(r1);
    let r = r0;
    for (const raw of result.stmts ?? []) {
      if (!raw.stmt) continue;
      const from = base + (raw.stmt_location ?? 0);
      const to = raw.stmt_len === undefined || raw.stmt_len === 0 ? pieceEnd : from + raw.stmt_len;
      while (r < r1 && runs.byteEnd[r]! <= from) r++;
      if (r >= r1 || runs.byteStart[r]! >= to) continue;
      let last = r;
      while (last + 1 < r1 && runs.byteStart[last + 1]! < to) last++;
      if (runs.isSemicolon(last) && last > r) last--;
      const start = runs.start[r]!;
      const end = runs.end[last]!;
      const next = last + 1 < runs.count && runs.isSemicolon(last + 1) ? runs.end[last + 1]! : end;
      const text = this.sql.slice(start, end);
      origins.set(raw.stmt, { text, byteOffset: runs.byteStart[r]! - base });
      this.out.statements.push({ node: raw.stmt, start, end, endWithSemicolon: next, text });
      r = last + 1;
    }
  }
}
