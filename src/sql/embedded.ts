/**
 * SQL held in another language's string expressions (a TS template, a Python
 * f-string, a `%`-formatted literal), as pieces with a map from every SQL character
 * back to the file, and its rendering with placeholders for the parts no frontend
 * can know. Language-neutral: the TypeScript and Python frontends both decode their
 * literals into `Piece`s and render them here.
 */
import type { Span } from '../core/diagnostic.js';
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
  /** File offset where the piece producing character i starts. */
  from: Int32Array;
  /** File offset where the piece producing character i ends. */
  to: Int32Array;
  /** File offset of the boundary before character i (i ≤ length); -1 inside an escape or placeholder. */
  at: Int32Array;
  /** Placeholder ranges in `sql`, in order, with the expression each stands for. */
  placeholders: Array<{ start: number; end: number; expr: string }>;
}

/**
 * Renders the pieces with each placeholder in the given form (`$n` by default),
 * numbered by `placeholders` (one numbering per unit) when given.
 */
export function render(src: SqlSource, forms: PlaceholderForm[] = [], numbering?: Placeholders): RenderedSql {
  // First the text each piece stands for (and so the SQL's length), then the maps, straight into typed arrays.
  const values: string[] = new Array<string>(src.pieces.length);
  const placeholders: RenderedSql['placeholders'] = [];
  const numberBase = highestParam(src);
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
    length += value.length;
  }
  const from = new Int32Array(length);
  const to = new Int32Array(length);
  const at = new Int32Array(length + 1);
  let k = 0;
  for (let i = 0; i < src.pieces.length; i++) {
    const p = src.pieces[i]!;
    const count = values[i]!.length;
    if (p.kind === 'raw') {
      for (let j = 0; j < count; j++, k++) {
        from[k] = p.from + j;
        to[k] = p.from + j + 1;
        at[k] = p.from + j;
      }
    } else {
      for (let j = 0; j < count; j++, k++) {
        from[k] = p.from;
        to[k] = p.to;
        at[k] = j === 0 ? p.from : -1;
      }
    }
  }
  const last = src.pieces[src.pieces.length - 1];
  at[length] = last === undefined ? src.span.start : last.kind === 'raw' ? last.from + last.text.length : last.to;
  return { sql: values.join(''), from, to, at, placeholders };
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
