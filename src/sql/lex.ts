/**
 * One linear pass over SQL text that finds what the parser adapter needs before it
 * parses: the comments, the runs of code between whitespace and comments (with
 * their UTF-16 and UTF-8 offsets, so libpg-query's byte offsets map back without
 * a per-byte table), and the semicolons that end statements.
 *
 * It follows PostgreSQL's lexical rules (sql-syntax-lexical.html): `--` and nested
 * `/* *\/` comments; '...' strings with '' inside, E'...' strings with backslash
 * escapes (standard_conforming_strings on, the default since 9.1); "..." identifiers;
 * $tag$...$tag$ dollar quotes (a `$` inside an identifier belongs to it, `$1` is a
 * parameter). A semicolon ends a statement unless it is inside parentheses (a
 * `CREATE RULE` with several actions) or inside the `BEGIN ATOMIC ... END` body of
 * `CREATE [OR REPLACE] FUNCTION | PROCEDURE`, where psql does not end the statement
 * either (app-psql.html). Unterminated quotes and comments run to the end of the text;
 * the parser reports them.
 */

/** A comment, with UTF-16 offsets into the text. */
export interface LexComment {
  text: string;
  start: number;
  end: number;
}

/** Run kinds. */
export const CODE = 0;
/** A `;` inside parentheses or a `BEGIN ATOMIC` body: it does not end the statement. */
export const INNER_SEMICOLON = 1;
/** A `;` that ends a statement. */
export const TERMINATOR = 2;

/**
 * Runs of code: maximal stretches of text that are neither whitespace nor comments
 * (a quoted string is one run, spaces included), every `;` a run of its own.
 * Column arrays: `start`/`end` are UTF-16 offsets, `byteStart`/`byteEnd` UTF-8
 * byte offsets of the same places, `kind` one of CODE, INNER_SEMICOLON, TERMINATOR.
 * Plain arrays of small integers: five typed arrays per text (most texts are a few
 * statements) cost more to allocate, off the heap, than the runs cost to record.
 */
export class Runs {
  readonly start: number[] = [];
  readonly end: number[] = [];
  readonly byteStart: number[] = [];
  readonly byteEnd: number[] = [];
  readonly kind: number[] = [];

  /** How many runs there are. */
  get count(): number {
    return this.start.length;
  }

  push(start: number, end: number, byteStart: number, byteEnd: number, kind: number): void {
    this.start.push(start);
    this.end.push(end);
    this.byteStart.push(byteStart);
    this.byteEnd.push(byteEnd);
    this.kind.push(kind);
  }

  isSemicolon(i: number): boolean {
    return this.kind[i] !== CODE;
  }
}

export interface Lexed {
  runs: Runs;
  comments: LexComment[];
  /** UTF-8 length of the whole text. */
  bytes: number;
}

const enum Ch {
  Tab = 9,
  Lf = 10,
  Vt = 11,
  Ff = 12,
  Cr = 13,
  Space = 32,
  DoubleQuote = 34,
  Dollar = 36,
  Quote = 39,
  LParen = 40,
  RParen = 41,
  Star = 42,
  Minus = 45,
  Slash = 47,
  Semicolon = 59,
  Backslash = 92,
}

function isSpace(c: number): boolean {
  return c === Ch.Space || (c >= Ch.Tab && c <= Ch.Cr);
}

/** A character that may start an identifier (or a dollar-quote tag): a letter, `_`, or any non-ASCII character. */
function isIdentStart(c: number): boolean {
  return (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95 || c >= 0x80;
}

/** A character that may continue an identifier: also digits and `$`. */
function isIdentCont(c: number): boolean {
  return isIdentStart(c) || (c >= 48 && c <= 57) || c === Ch.Dollar;
}

/**
 * Lexes `text` (which must be well-formed UTF-16: lone surrogates replaced) in one pass.
 * Linear in the length of the text; never throws.
 */
export function lexSql(text: string): Lexed {
  if (!warmedUp) warmUp();
  return new Lexer(text).lex();
}

/**
 * SQL with every construct the lexer has a branch for: comments (nested, at the end of a line),
 * strings ('' and E'' with a backslash), quoted identifiers, dollar quotes with and without a tag,
 * a parameter, `$` inside a name, parentheses with a `;`, a `BEGIN ATOMIC` body, every kind of white
 * space, and non-ASCII text in each of them; it ends with a string closed at the last character.
 */
const WARM_UP_SQL = [
  '-- c',
  '/* a /* b */ c */ CREATE OR REPLACE FUNCTION f() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT CASE WHEN true THEN 1 END; END;',
  "SELECT E'a\\'b', 'x''y', \"Q\"\"d\", $tag$ z $tag$, $$ w $$, $1, a$b, (1; 2);\r",
  "\t\u00e9\u{1F600} caf\u00e9 '\u00e9' \"\u00e9\" -- \u00e9",
  "/* \u00e9 */ E'\u00e9\\n' $q$ \u00e9 $q$;\f\vend 'x'",
].join('\n');

let warmedUp = false;

/**
 * Lexes WARM_UP_SQL a few times, once per process, before the first real text. V8 compiles `lex` with
 * its optimising compiler once it is hot, from the type feedback gathered so far; a branch that has
 * none yet (the first block comment, E'' string, dollar quote or non-ASCII text of a run) throws that
 * code away when reached, and `lex` is compiled again later. That was five or six compiles of this
 * large function a run (the 2,105-file SQL set: about 20 ms of CPU each, on the compiler's thread);
 * with every branch seen first, one. Several passes: V8 gives a function its feedback vector only
 * after it has run for a while. The results are dropped; each pass is a new Lexer, so nothing carries over.
 */
function warmUp(): void {
  warmedUp = true;
  for (let k = 0; k < 4; k++) new Lexer(WARM_UP_SQL).lex();
}

/**
 * The lexer's state as fields, not as variables its helpers close over: the position and byte
 * count change on every character, and a closure's variables live in a heap context the
 * optimising compiler reloads and stores at each step.
 */
class Lexer {
  private readonly runs = new Runs();
  private readonly comments: LexComment[] = [];
  private readonly n: number;
  private i = 0;
  /** UTF-8 offset of text[i]. */
  private b = 0;
  private runStart = -1;
  private runByte = 0;

  /** No character past U+007F: every code unit is one UTF-8 byte. */
  private readonly ascii: boolean;

  constructor(private readonly text: string) {
    this.n = text.length;
    this.ascii = !/[^\0-\x7f]/.test(text);
  }

  private endRun(): void {
    if (this.runStart >= 0) this.runs.push(this.runStart, this.i, this.runByte, this.b, CODE);
    this.runStart = -1;
  }

  private startRun(): void {
    if (this.runStart < 0) {
      this.runStart = this.i;
      this.runByte = this.b;
    }
  }

  /** Advances over text[i], counting its UTF-8 bytes. */
  private step(): void {
    const c = this.text.charCodeAt(this.i);
    if (c < 0x80) this.b += 1;
    else if (c < 0x800) this.b += 2;
    else if (c >= 0xd800 && c <= 0xdbff && this.i + 1 < this.n) {
      this.b += 4;
      this.i += 1;
    } else this.b += 3;
    this.i += 1;
  }

  /** Advances to `to` (exclusive), counting bytes. */
  private advanceTo(to: number): void {
    if (this.ascii) {
      if (to > this.i) {
        this.b += to - this.i;
        this.i = to;
      }
      return;
    }
    while (this.i < to) this.step();
  }

  lex(): Lexed {
    const { text, n, runs, comments } = this;
    let parens = 0;
    /** BEGIN/CASE ... END nesting inside a CREATE FUNCTION / PROCEDURE statement. */
    let atomic = 0;
    /** The first four words of the current statement, lower-cased. */
    let words: string[] = [];
    /** The current statement is CREATE [OR REPLACE] FUNCTION | PROCEDURE. */
    let routine = false;
    const isRoutine = () =>
      words[0] === 'create' && (words[1] === 'function' || words[1] === 'procedure' || (words[1] === 'or' && words[2] === 'replace' && (words[3] === 'function' || words[3] === 'procedure')));

    while (this.i < n) {
      const i = this.i;
      const c = text.charCodeAt(i);
      if (isSpace(c)) {
        this.endRun();
        this.i += 1;
        this.b += 1;
        continue;
      }
      if (c === Ch.Minus && text.charCodeAt(i + 1) === Ch.Minus) {
        this.endRun();
        let j = i + 2;
        while (j < n && text.charCodeAt(j) !== Ch.Lf && text.charCodeAt(j) !== Ch.Cr) j++;
        this.advanceTo(j);
        comments.push({ text: text.slice(i, this.i), start: i, end: this.i });
        continue;
      }
      if (c === Ch.Slash && text.charCodeAt(i + 1) === Ch.Star) {
        this.endRun();
        let depth = 1;
        let j = i + 2;
        while (j < n && depth > 0) {
          const d = text.charCodeAt(j);
          if (d === Ch.Slash && text.charCodeAt(j + 1) === Ch.Star) {
            depth++;
            j += 2;
          } else if (d === Ch.Star && text.charCodeAt(j + 1) === Ch.Slash) {
            depth--;
            j += 2;
          } else j++;
        }
        this.advanceTo(j);
        comments.push({ text: text.slice(i, this.i), start: i, end: this.i });
        continue;
      }
      if (c === Ch.Semicolon) {
        this.endRun();
        const ends = parens === 0 && atomic === 0;
        runs.push(i, i + 1, this.b, this.b + 1, ends ? TERMINATOR : INNER_SEMICOLON);
        this.i += 1;
        this.b += 1;
        if (ends) {
          words = [];
          routine = false;
        }
        continue;
      }
      this.startRun();
      if (c === Ch.Quote) {
        // E'...' when the E is a token of its own (not the end of a longer identifier).
        const prev = text.charCodeAt(i - 1);
        const extended = (prev === 69 || prev === 101) && i - 1 >= this.runStart && !(i >= 2 && isIdentCont(text.charCodeAt(i - 2)) && i - 2 >= this.runStart);
        this.advanceTo(quotedEnd(text, i, Ch.Quote, extended));
        continue;
      }
      if (c === Ch.DoubleQuote) {
        this.advanceTo(quotedEnd(text, i, Ch.DoubleQuote, false));
        continue;
      }
      if (c === Ch.Dollar) {
        // Not inside an identifier (the identifier branch takes `a$b$` whole): $tag$ or $$ opens a
        // dollar quote that the same delimiter closes; `$1` is a parameter.
        let j = i + 1;
        if (j < n && isIdentStart(text.charCodeAt(j))) {
          j++;
          while (j < n && isIdentCont(text.charCodeAt(j)) && text.charCodeAt(j) !== Ch.Dollar) j++;
        }
        if (text.charCodeAt(j) === Ch.Dollar) {
          const delimiter = text.slice(i, j + 1);
          const close = text.indexOf(delimiter, j + 1);
          this.advanceTo(close < 0 ? n : close + delimiter.length);
          continue;
        }
        this.step();
        continue;
      }
      if (isIdentStart(c)) {
        let j = i + 1;
        while (j < n && isIdentCont(text.charCodeAt(j))) j++;
        if (words.length < 4) {
          words.push(text.slice(i, j).toLowerCase());
          routine = isRoutine();
        }
        if (routine && j - i >= 3 && j - i <= 5) {
          const word = text.slice(i, j).toLowerCase();
          if (word === 'begin' || word === 'case') atomic++;
          else if (word === 'end' && atomic > 0) atomic--;
        }
        this.advanceTo(j);
        continue;
      }
      if (c === Ch.LParen) parens++;
      else if (c === Ch.RParen && parens > 0) parens--;
      this.step();
    }
    this.endRun();
    return { runs, comments, bytes: this.b };
  }
}

/**
 * The end of the quoted string or identifier opening at `start` (a `'` or `"`): after the
 * closing quote, a doubled quote being one character; with `backslashEscapes` (an E'' string)
 * a backslash escapes the next character. Unterminated: the end of the text.
 */
function quotedEnd(text: string, start: number, quote: number, backslashEscapes: boolean): number {
  const n = text.length;
  let j = start + 1;
  while (j < n) {
    const d = text.charCodeAt(j);
    if (backslashEscapes && d === Ch.Backslash) j += 2;
    else if (d !== quote) j++;
    else if (j + 1 < n && text.charCodeAt(j + 1) === quote) j += 2;
    else return j + 1;
  }
  return n;
}
