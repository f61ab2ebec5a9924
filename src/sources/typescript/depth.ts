/**
 * Nesting limits of the TypeScript/JavaScript frontend.
 *
 * The TypeScript parser is recursive descent, and ts-morph's walks (and some of
 * ours) recurse once per syntax level, so a file nested deeply enough runs out
 * of call stack (`RangeError: Maximum call stack size exceeded`). With Node's
 * default stack (about 1 MB) the parser gives up at about 270 nested callbacks
 * or 780 nested parentheses, and ts-morph's walks at a syntax tree about 1,900
 * levels deep (a chain of 950 calls, a concatenation of 1,900 strings).
 *
 * Two explicit limits, each about half of where the stack ends, keep every
 * step well inside it; a file past either is an expected limit, reported as
 * not analysed at the place the limit is reached:
 * - `NESTING_LIMIT`: brackets `(`, `[`, `{` and template substitutions `${`
 *   open at once, counted by TypeScript's scanner before anything is parsed (so
 *   the parser never sees such a file);
 * - `SYNTAX_DEPTH_LIMIT`: levels of the parsed syntax tree, counted without
 *   recursion on the first walk, the one that indexes the nodes (`NodeIndex.deep`).
 */
import type { ts as TS } from 'ts-morph';
import { ts } from './morph.js';
import type { Comment } from '../../core/unit.js';

/** Brackets and `${` open at once that the frontend analyses (a nested callback opens two: `(` and `{`). */
export const NESTING_LIMIT = 256;
/** Syntax tree levels the frontend analyses. */
export const SYNTAX_DEPTH_LIMIT = 1000;

/** Where a limit is reached: the offset (UTF-16) of the token or node one level past it. */
export interface LimitHit {
  offset: number;
  limit: number;
  what: 'brackets' | 'syntax';
}

/** Tokens after which a `/` divides; after any other token it starts a regular expression. */
const ENDS_OPERAND = new Set<TS.SyntaxKind>([
  ts.SyntaxKind.Identifier,
  ts.SyntaxKind.PrivateIdentifier,
  ts.SyntaxKind.NumericLiteral,
  ts.SyntaxKind.BigIntLiteral,
  ts.SyntaxKind.StringLiteral,
  ts.SyntaxKind.NoSubstitutionTemplateLiteral,
  ts.SyntaxKind.TemplateTail,
  ts.SyntaxKind.RegularExpressionLiteral,
  ts.SyntaxKind.CloseParenToken,
  ts.SyntaxKind.CloseBracketToken,
  ts.SyntaxKind.CloseBraceToken,
  ts.SyntaxKind.PlusPlusToken,
  ts.SyntaxKind.MinusMinusToken,
  ts.SyntaxKind.ThisKeyword,
  ts.SyntaxKind.SuperKeyword,
  ts.SyntaxKind.TrueKeyword,
  ts.SyntaxKind.FalseKeyword,
  ts.SyntaxKind.NullKeyword,
]);

/** Contextual keywords (`of`, `type`, `async`) are names as often as not: a `/` after one divides. */
const endsOperand = (t: TS.SyntaxKind) => ENDS_OPERAND.has(t) || (t > ts.SyntaxKind.LastReservedWord && t <= ts.SyntaxKind.LastKeyword);

const OPENERS = new Set<TS.SyntaxKind>([ts.SyntaxKind.OpenParenToken, ts.SyntaxKind.OpenBracketToken, ts.SyntaxKind.OpenBraceToken, ts.SyntaxKind.TemplateHead]);
const CLOSERS = new Set<TS.SyntaxKind>([ts.SyntaxKind.CloseParenToken, ts.SyntaxKind.CloseBracketToken, ts.SyntaxKind.CloseBraceToken]);

/**
 * Scans `text` (linear time, no recursion) for the first bracket or `${` that
 * opens a level past `limit`, and collects the comments on the way (the caller
 * needs them for suppressions when it then skips the parse).
 * Whether a `/` starts a regular expression is decided from the token before
 * it, as a parser would in most places; where that guess is wrong (`a++ /re/`)
 * only the count is less exact, never the analysis of a file within the limit.
 * With `withComments` false the scanner skips trivia itself (whitespace and comments are most of
 * the tokens of a file) and no comments are returned: the same tokens, so the same hit.
 * @returns the hit (null when the file stays within the limit) and the comments.
 */
export function bracketNesting(text: string, jsx: boolean, limit = NESTING_LIMIT, withComments = true): { hit: LimitHit | null; comments: Comment[] } {
  const scanner = ts.createScanner(ts.ScriptTarget.Latest, !withComments, jsx ? ts.LanguageVariant.JSX : ts.LanguageVariant.Standard, text);
  const open: TS.SyntaxKind[] = [];
  const comments: Comment[] = [];
  let previous: TS.SyntaxKind = ts.SyntaxKind.Unknown;
  let hit: LimitHit | null = null;
  for (let token = scanner.scan(); token !== ts.SyntaxKind.EndOfFileToken; token = scanner.scan()) {
    if (token === ts.SyntaxKind.SingleLineCommentTrivia || token === ts.SyntaxKind.MultiLineCommentTrivia) {
      comments.push({ text: scanner.getTokenText(), span: { start: scanner.getTokenStart(), end: scanner.getTokenEnd() } });
      continue;
    }
    if (token === ts.SyntaxKind.WhitespaceTrivia || token === ts.SyntaxKind.NewLineTrivia || token === ts.SyntaxKind.ShebangTrivia || token === ts.SyntaxKind.ConflictMarkerTrivia) continue;
    if ((token === ts.SyntaxKind.SlashToken || token === ts.SyntaxKind.SlashEqualsToken) && !endsOperand(previous)) token = scanner.reScanSlashToken();
    if (token === ts.SyntaxKind.CloseBraceToken && open[open.length - 1] === ts.SyntaxKind.TemplateHead) {
      // The `}` closing a substitution: the template goes on (`}...${` stays open, `}...\`` closes it).
      token = scanner.reScanTemplateToken(false);
      if (token === ts.SyntaxKind.TemplateTail) open.pop();
    } else if (OPENERS.has(token)) {
      open.push(token);
      if (open.length > limit && !hit) hit = { offset: scanner.getTokenStart(), limit, what: 'brackets' };
    } else if (CLOSERS.has(token)) open.pop();
    previous = token;
  }
  return { hit, comments };
}

/**
 * Whether `text` could open more than `limit` brackets at once: each bracket or `${` the scanner
 * counts is a `(`, `[` or `{` of its own in the text, so a text with no more of those characters
 * than `limit` (in strings and comments too) cannot, and `bracketNesting` would find no hit. A
 * count of characters is a small part of a scan.
 */
export function mayNestPast(text: string, limit = NESTING_LIMIT): boolean {
  let count = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if ((c === 0x28 || c === 0x5b || c === 0x7b) && ++count > limit) return true;
  }
  return false;
}

/** The sentence an `UnanalysedFact` gives for a limit hit. */
export function limitMessage(hit: LimitHit): { message: string; help: string } {
  if (hit.what === 'brackets') {
    return {
      message: `Not analysed: this file nests code more than ${hit.limit} brackets deep (the nesting depth limit is ${hit.limit}), so miglint did not analyse any of it.`,
      help: `Flatten the nesting (named functions instead of nested callbacks, fewer parentheses); miglint analyses code nested up to ${hit.limit} brackets deep.`,
    };
  }
  return {
    message: `Not analysed: this file's syntax tree is more than ${hit.limit} levels deep (the nesting depth limit for the syntax tree is ${hit.limit}), e.g. a very long call chain or string concatenation, so miglint did not analyse any of it.`,
    help: `Split the long chain or concatenation into several statements; miglint analyses syntax up to ${hit.limit} levels deep.`,
  };
}
