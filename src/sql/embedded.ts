/**
 * SQL held in another language's string expressions (a TS template, a Python
 * f-string, a `%`-formatted literal), as pieces with a map from every SQL character
 * back to the file, and its rendering with placeholders for the parts no frontend
 * can know. Language-neutral: the TypeScript and Python frontends both decode their
 * literals into `Piece`s and render them here.
 */
import type { Span } from '../core/diagnostic.js';
import { partitionPoint } from '../core/search.js';
import type { Placeholders } from '../sources/typescript/placeholders.js';

/** A run of SQL text from one place in the file. */
export type Piece =
  /** Source characters copied one for one, starting at `from`. */
  | { kind: 'raw'; text: string; from: number }
  /** An escape sequence (or a normalised line break) producing `text` from `[from, to)`. */
  | { kind: 'escape'; text: string; from: number; to: number }
  /** A `${}` substitution or a non-literal operand covering `[from, to)`; `expr` is the expression's text. */
  | { kind: 'placeholder'; from: number; to: number; expr: string };

export interface SqlSource {
  pieces: Piece[];
  interpolated: boolean;
  origin: 'literal' | 'template';
  /** The whole expression holding the SQL. */
  span: Span;
}

/**
 * How a placeholder is written into the SQL, by the grammatical position it fills:
 * a value `$n`, a name `"${expr}"`, a string literal `'${expr}'`, a number `1`,
 * a parenthesised row `($n)` (`VALUES ${rows}`), a query `SELECT $n`
 * (`CREATE VIEW v AS ${query}`), or a clause of its own, written as nothing
 * (`... ON t (a) ${where}`).
 */
export type PlaceholderForm = 'param' | 'ident' | 'literal' | 'number' | 'row' | 'query' | 'clause';

/** The forms in the order they are preferred: the most common position first, an omitted clause last. */
export const PLACEHOLDER_FORMS: readonly PlaceholderForm[] = ['param', 'ident', 'literal', 'number', 'row', 'query', 'clause'];

/** SQL text with, per character, the file range that produced it. */
export interface RenderedSql {
  sql: string;
  /** File offset where the piece producing character `i` (0 ≤ i < length) starts. */
  from(i: number): number;
  /** File offset where the piece producing character `i` (0 ≤ i < length) ends. */
  to(i: number): number;
  /** File offset of the boundary before character `i` (0 ≤ i ≤ length); -1 inside an escape or placeholder. */
  at(i: number): number;
  /** Placeholder ranges in `sql`, in order, with the expression each stands for. */
  placeholders: Array<{ start: number; end: number; expr: string }>;
}

/**
 * Renders the pieces with each placeholder in the given form (`$n` by default),
 * numbered by `placeholders` (one numbering per unit) when given.
 *
 * The map from the SQL back to the file is the pieces themselves: a character's piece is found by
 * a binary search on where each piece starts in the SQL (a few look-ups per statement), not kept
 * per character (three 4-byte entries per character of every SQL string a file holds).
 */
export function render(src: SqlSource, forms: PlaceholderForm[] = [], numbering?: Placeholders): RenderedSql {
  const values: string[] = new Array<string>(src.pieces.length);
  const placeholders: RenderedSql['placeholders'] = [];
  const numberBase = highestParam(src);
  /** The pieces that produce at least one character, and where in the SQL each starts (ascending). */
  const producing: Piece[] = [];
  const starts: number[] = [];
  let length = 0;
  let n = 0;
  for (let i = 0; i < src.pieces.length; i++) {
    const p = src.pieces[i]!;
    let value: string;
    if (p.kind !== 'placeholder') value = p.text;
    else {
      const form = forms[n] ?? 'param';
      n++;
      value = placeholderText(form, p.expr, numberBase + n, numbering);
      placeholders.push({ start: length, end: length + value.length, expr: p.expr });
    }
    values[i] = value;
    if (value.length > 0) {
      producing.push(p);
      starts.push(length);
    }
    length += value.length;
  }
  const last = src.pieces[src.pieces.length - 1];
  const end = last === undefined ? src.span.start : last.kind === 'raw' ? last.from + last.text.length : last.to;
  /** The index in `producing` of the piece producing character `i` (0 ≤ i < length). */
  const pieceAt = (i: number): number => partitionPoint(starts, (s) => s <= i) - 1;
  return {
    sql: values.join(''),
    from(i) {
      const k = pieceAt(i);
      const p = producing[k]!;
      return p.kind === 'raw' ? p.from + (i - starts[k]!) : p.from;
    },
    to(i) {
      const k = pieceAt(i);
      const p = producing[k]!;
      return p.kind === 'raw' ? p.from + (i - starts[k]!) + 1 : p.to;
    },
    at(i) {
      if (i >= length) return end;
      const k = pieceAt(i);
      const p = producing[k]!;
      if (p.kind === 'raw') return p.from + (i - starts[k]!);
      return i === starts[k] ? p.from : -1;
    },
    placeholders,
  };
}

/** A placeholder's SQL text in one form: numbered by `numbering` when given, else `$n` for the n-th. */
function placeholderText(form: PlaceholderForm, expr: string, n: number, numbering?: Placeholders): string {
  const param = numbering ? numbering.param(expr) : `$${n}`;
  const name = numbering ? numbering.name(expr) : `$${n}`;
  switch (form) {
    case 'param':
      return param;
    case 'ident':
      return `"${name}"`;
    case 'literal':
      return `'${name.replace(/'/g, "''")}'`;
    case 'number':
      return '1';
    case 'row':
      return `(${param})`;
    case 'query':
      return `SELECT ${param}`;
    case 'clause':
      return '';
  }
}

/**
 * The SQL text of placeholder `index` (0-based, in order) in `form`, as `render`
 * writes it (`base`: `highestParam` of the source): for trying a form without
 * rendering the whole text again.
 */
export function placeholderValue(index: number, expr: string, form: PlaceholderForm, base: number, numbering?: Placeholders): string {
  return placeholderText(form, expr, base + index + 1, numbering);
}

/** Placeholders number after the highest `$n` the literal text already uses (pg parameters): that `n`, the `base` of `placeholderValue`. */
export function highestParam(src: SqlSource): number {
  if (!src.interpolated) return 0;
  let max = 0;
  for (const p of src.pieces) {
    if (p.kind === 'placeholder') continue;
    for (const m of p.text.matchAll(/\$(\d+)/g)) max = Math.max(max, Number(m[1]));
  }
  return max;
}
