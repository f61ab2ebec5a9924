/**
 * Suppression comments.
 *
 * - `-- miglint-ignore <rule-id>[, <rule-id>...][: reason]`, in any comment syntax of the
 *   file's language (its frontend's `CommentSyntax`: `//` and `/* *\/` in TS/JS, `#` in
 *   Python) or of SQL (whose comments every frontend's query strings may hold): the next
 *   statement — diagnostics that start after the comment and on or before the end of
 *   the next statement, plus any diagnostic whose span contains the comment.
 * - `-- miglint-ignore-file [<rule-id>...][: reason]`: the whole file (all rules when none is named).
 *
 * A suppression that suppresses nothing is reported as `unused-suppression`.
 *
 * squawk's `-- squawk-ignore <id>[, ...]` and `-- squawk-ignore-file [<id>...]` are honoured
 * the same way, squawk's ids mapped to miglint's (`SQUAWK_IDS`), so a team moving from
 * squawk keeps its suppressions. They belong to squawk as much as to miglint: an id miglint
 * does not know and a squawk comment that suppresses nothing here are not reported.
 */
import type { Diagnostic, Span } from '../core/diagnostic.js';
import type { Comment, MigrationUnit } from '../core/unit.js';
import type { CommentSyntax } from '../sources/registry.js';

export interface Suppression {
  comment: Comment;
  /** `squawk-ignore` rather than `miglint-ignore`. */
  squawk: boolean;
  fileLevel: boolean;
  /** Rule ids named; empty on a file-level suppression means every rule. */
  rules: string[];
  reason: string | null;
  /** Where a next-statement suppression applies. */
  scope: Span;
  used: boolean;
}

/** SQL's comments, accepted in every language: SQL inside a query string may carry the suppression. */
const SQL_COMMENTS: CommentSyntax = { line: ['--'], block: [['/*', '*/']] };

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
const patterns = new Map<string, RegExp>();
/** The patterns by syntax object: a frontend's syntax is one constant, so a file's look-up is one map get. */
const bySyntax = new WeakMap<CommentSyntax, RegExp>();

/** The suppression pattern for comments written in `syntax` or SQL's (built once per syntax). */
function patternFor(syntax: CommentSyntax): RegExp {
  const known = bySyntax.get(syntax);
  if (known) return known;
  const key = JSON.stringify(syntax);
  let re = patterns.get(key);
  if (!re) {
    const opens = new Set<string>();
    const closes = new Set<string>();
    for (const c of [syntax, SQL_COMMENTS]) {
      for (const l of c.line) opens.add(l);
      for (const [o, e] of c.block ?? []) {
        opens.add(o);
        closes.add(e);
      }
    }
    // Longest markers first, so `/*` is not read as `/` followed by text.
    const alt = (set: Set<string>) => [...set].sort((a, b) => b.length - a.length).map(escape).join('|');
    const close = closes.size ? `(?:${alt(closes)})?` : '';
    re = new RegExp(`^(?:${alt(opens)})\\s*(miglint|squawk)-ignore(-file)?\\b([^:*]*?)(?::\\s*(.*?))?\\s*${close}\\s*$`, 's');
    patterns.set(key, re);
  }
  bySyntax.set(syntax, re);
  return re;
}

/** squawk's ids whose miglint rule has another id (CATALOGUE.md, "Compatibility"); the others are the same. */
export const SQUAWK_IDS: Readonly<Record<string, readonly string[]>> = {
  'adding-serial-primary-key-field': ['adding-primary-key-constraint'],
  'adding-foreign-key-constraint': ['constraint-missing-not-valid'],
  'prefer-repack': ['ban-vacuum-full'],
  'require-timeout-settings': ['require-lock-timeout', 'require-statement-timeout'],
};

/**
 * Parses the suppressions of a unit's comments, written in `syntax` (the comment syntax of
 * the unit's language frontend) or SQL's.
 */
export function parseSuppressions(unit: MigrationUnit, syntax: CommentSyntax): Suppression[] {
  const pattern = patternFor(syntax);
  const out: Suppression[] = [];
  for (const c of unit.comments) {
    // Every suppression says `miglint-ignore` or `squawk-ignore` (the pattern is case-sensitive): most comments are not one.
    if (!c.text.includes('-ignore')) continue;
    const m = pattern.exec(c.text.trim());
    if (!m) continue;
    const squawk = m[1] === 'squawk';
    const fileLevel = !!m[2];
    const named = (m[3] ?? '')
      .split(/[\s,]+/)
      .map((r) => r.trim())
      .filter(Boolean);
    const rules = squawk ? named.flatMap((id) => SQUAWK_IDS[id] ?? [id]) : named;
    out.push({ comment: c, squawk, fileLevel, rules, reason: m[4]?.trim() || null, scope: fileLevel ? { start: 0, end: unit.source.text.length } : nextStatementScope(unit, c), used: false });
  }
  return out;
}

/** From the comment to the end of the next SQL statement, or else to the end of the next non-blank line. */
function nextStatementScope(unit: MigrationUnit, c: Comment): Span {
  const next = unit.statements.find((s) => s.span.start >= c.span.end);
  const text = unit.source.text;
  const nextLine = /\r?\n[ \t]*(?:\r?\n[ \t]*)*[^\r\n]*/.exec(text.slice(c.span.end));
  const lineEnd = nextLine ? c.span.end + nextLine.index + nextLine[0].length : text.length;
  // A statement that starts on that next line extends the scope to its end (a multi-line statement).
  const end = next && next.span.start <= lineEnd ? Math.max(next.span.end, lineEnd) : lineEnd;
  return { start: c.span.end, end };
}

function covers(s: Suppression, d: Diagnostic): boolean {
  if (s.rules.length > 0 && !s.rules.includes(d.ruleId)) return false;
  if (s.fileLevel) return true;
  const inScope = d.span.start >= s.scope.start && d.span.start <= s.scope.end;
  const contains = d.span.start <= s.comment.span.start && d.span.end >= s.comment.span.end;
  return inScope || contains;
}

/**
 * Drops suppressed diagnostics, marking every suppression that covers one as used; a new array
 * (a copy when the file has no suppressions, as most have none).
 */
export function applySuppressions(diagnostics: Diagnostic[], suppressions: Suppression[]): Diagnostic[] {
  if (suppressions.length === 0) return diagnostics.slice();
  const kept: Diagnostic[] = [];
  for (const d of diagnostics) {
    let hit = false;
    if (d.ruleId !== 'syntax-error') {
      for (const s of suppressions) {
        if (!covers(s, d)) continue;
        s.used = true;
        hit = true;
      }
    }
    if (!hit) kept.push(d);
  }
  return kept;
}

/** Diagnostics for suppressions that suppressed nothing, or name rules that do not exist. */
export function suppressionDiagnostics(suppressions: Suppression[], known: ReadonlySet<string>): Diagnostic[] {
  const out: Diagnostic[] = [];
  for (const s of suppressions) {
    if (s.squawk) continue;
    const unknown = s.rules.filter((r) => !known.has(r));
    if (unknown.length) {
      out.push({ ruleId: 'unused-suppression', message: `Unknown rule ${unknown.map((r) => `\`${r}\``).join(', ')} in a miglint-ignore comment.`, span: s.comment.span });
    } else if (!s.used) {
      out.push({
        ruleId: 'unused-suppression',
        message: `Unused miglint-ignore${s.fileLevel ? '-file' : ''}${s.rules.length ? ` for ${s.rules.join(', ')}` : ''}: nothing here is reported.`,
        help: 'Remove the comment.',
        span: s.comment.span,
      });
    }
  }
  return out;
}
