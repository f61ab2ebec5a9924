/**
 * Parsing SQL with placeholders for the values the frontend cannot know: each
 * `${}` gets the form that fits its grammatical position (see `PlaceholderForm`),
 * one statement of a query string at a time, and what still does not parse is
 * returned as a failure per statement (never dropped).
 */
import { parseSql, type ParsedSql } from '../../sql/parse.js';
import { highestParam, PLACEHOLDER_FORMS, placeholderValue, render, type PlaceholderForm, type RenderedSql, type SqlSource } from '../../sql/embedded.js';
import type { Placeholders } from './placeholders.js';

/** A statement that parses with no form of its placeholders. */
export interface TemplateFailure {
  /** PostgreSQL's syntax error for the statement with its placeholders' last forms. */
  message: string;
  /** Indexes of the placeholders inside it. */
  placeholders: Set<number>;
}

/**
 * The offset of the first `;` at or after `from` outside quotes, dollar quotes and
 * comments (the end of the statement `from` is in), or -1 when none follows.
 */
export function statementEnd(sql: string, from: number): number {
  let i = from;
  while (i < sql.length) {
    const c = sql[i]!;
    if (c === ';') return i;
    if (c === "'" || c === '"') {
      const backslashes = c === "'" && /[eE]/.test(sql[i - 1] ?? '');
      let j = i + 1;
      while (j < sql.length && !(sql[j] === c && sql[j + 1] !== c)) j += (sql[j] === c || (backslashes && sql[j] === '\\')) ? 2 : 1;
      i = j + 1;
    } else if (c === '-' && sql[i + 1] === '-') {
      const nl = sql.indexOf('\n', i);
      i = nl < 0 ? sql.length : nl + 1;
    } else if (c === '/' && sql[i + 1] === '*') {
      let depth = 1;
      let j = i + 2;
      while (j < sql.length && depth > 0) {
        if (sql.startsWith('/*', j)) (depth++, (j += 2));
        else if (sql.startsWith('*/', j)) (depth--, (j += 2));
        else j++;
      }
      i = j;
    } else if (c === '$' && !/[\w$]/.test(sql[i - 1] ?? '')) {
      const tag = /^\$([A-Za-z_][A-Za-z0-9_]*)?\$/.exec(sql.slice(i, i + 64));
      if (tag) {
        const close = sql.indexOf(tag[0], i + tag[0].length);
        i = close < 0 ? sql.length : close + tag[0].length;
      } else i++;
    } else i++;
  }
  return -1;
}

/** `parseSql` of `sql[from, to)`, with offsets in the whole text. */
function parseRange(sql: string, from: number, to: number): ParsedSql {
  const p = parseSql(sql.slice(from, to));
  return { ...p, error: p.error ? { ...p.error, offset: p.error.offset + from } : null };
}

/** The end of the statement starting at `from`, after `extra` more `;`-separated pieces: its `;`, or the text's end. */
function segmentEnd(sql: string, from: number, extra = 0): number {
  let end = statementEnd(sql, from);
  for (let k = 0; k < extra && end >= 0; k++) end = statementEnd(sql, end + 1);
  return end < 0 ? sql.length : end;
}

/** How many `;`-separated pieces a statement may span (`BEGIN ATOMIC ... END`, `CREATE RULE ... DO (...; ...)`), as in `parseSql`. */
const MAX_JOINED = 8;

/**
 * Parses rendered SQL, choosing for each placeholder the grammar rejects a form
 * that fits its grammatical position (`$n`, `"${expr}"`, a string literal, `1`,
 * `($n)`, `SELECT $n`, nothing): `CREATE INDEX ${name} ON ${table} (${cols}) ${where}`
 * parses as `CREATE INDEX "${name}" ON "${table}" ("${cols}")`.
 *
 * When the whole text does not parse as first rendered, it is worked through
 * one `;`-separated statement at a time (each parse is of that statement only).
 * In a statement, the placeholder changed is the last undecided one at or
 * before where the parser points; it takes the first form that parses, else the
 * one that moves the error farthest past it (its current form on a tie), and is
 * then decided. A statement whose error lies before every undecided placeholder,
 * and that does not parse joined with the next few either, is a failure, and the
 * search goes on after its `;`. Every form of every placeholder is tried at most once.
 */
export function parseWithPlaceholders(src: SqlSource, placeholders?: Placeholders): { rendered: RenderedSql; parsed: ParsedSql; forms: PlaceholderForm[]; failures: TemplateFailure[] } {
  const forms: PlaceholderForm[] = [];
  const failures: TemplateFailure[] = [];
  const first = render(src, forms, placeholders);
  const whole = parseSql(first.sql);
  if (!whole.error) return { rendered: first, parsed: whole, forms, failures };
  if (!first.placeholders.length) return { rendered: first, parsed: whole, forms, failures: [{ message: whole.error.message, placeholders: new Set() }] };

  // The text while forms are tried: a form change splices one placeholder and shifts the ones after it.
  let sql = first.sql;
  const phs = first.placeholders.map((ph) => ({ ...ph }));
  const base = highestParam(src);
  const textOf = (i: number, form: PlaceholderForm) => placeholderValue(i, phs[i]!.expr, form, base, placeholders);
  const setForm = (i: number, form: PlaceholderForm) => {
    const ph = phs[i]!;
    const text = textOf(i, form);
    const delta = text.length - (ph.end - ph.start);
    sql = sql.slice(0, ph.start) + text + sql.slice(ph.end);
    ph.end = ph.start + text.length;
    for (let j = i + 1; j < phs.length; j++) {
      phs[j]!.start += delta;
      phs[j]!.end += delta;
    }
    forms[i] = form;
  };

  // Text before `floor` is final, and so is every placeholder before `next`.
  let floor = 0;
  let next = 0;
  while (floor < sql.length) {
    let seg = parseRange(sql, floor, segmentEnd(sql, floor));
    const decided = new Set<number>();
    while (seg.error) {
      const offset = seg.error.offset;
      const end = segmentEnd(sql, floor);
      let pick = -1;
      for (let i = next; i < phs.length && phs[i]!.start <= offset && phs[i]!.start < end; i++) if (!decided.has(i)) pick = i;
      if (pick < 0) break;
      decided.add(pick);
      const ph = phs[pick]!;
      // How far past the placeholder the parser gets in this statement (Infinity: it parses).
      const progress = (p: ParsedSql, phEnd: number) => (p.error ? p.error.offset - phEnd : Infinity);
      const initial = forms[pick] ?? 'param';
      let best = { form: initial, seg, progress: progress(seg, ph.end) };
      // A query goes where a statement wants one (`AS ${query}`), never as a statement of its own (`${x} t` is no `SELECT $1 t`).
      const startsStatement = /^\s*$/.test(sql.slice(floor, ph.start));
      for (const form of PLACEHOLDER_FORMS) {
        if (form === initial || best.progress === Infinity || (form === 'query' && startsStatement)) continue;
        const text = textOf(pick, form);
        const tried = sql.slice(0, ph.start) + text + sql.slice(ph.end);
        const p = parseRange(tried, floor, segmentEnd(tried, floor));
        const moved = progress(p, ph.start + text.length);
        if (moved > best.progress) best = { form, seg: p, progress: moved };
      }
      if (best.form !== initial) setForm(pick, best.form);
      seg = best.seg;
    }
    let end = segmentEnd(sql, floor);
    if (seg.error) {
      // Split inside a statement that holds `;` (`BEGIN ATOMIC ... END`)? Then it parses joined with the pieces after it.
      let joined = 0;
      for (let k = 1; /end of input/.test(seg.error.message) && k <= MAX_JOINED && end < sql.length; k++) {
        const to = segmentEnd(sql, floor, k);
        if (!parseRange(sql, floor, to).error) {
          joined = to;
          break;
        }
        if (to >= sql.length) break;
      }
      if (joined) end = joined;
      else {
        const inside = new Set<number>();
        for (let i = next; i < phs.length && phs[i]!.start < end; i++) inside.add(i);
        failures.push({ message: seg.error.message, placeholders: inside });
      }
    }
    while (next < phs.length && phs[next]!.start < end) next++;
    floor = end + 1;
  }
  const rendered = render(src, forms, placeholders);
  return { rendered, parsed: parseSql(rendered.sql), forms, failures };
}

/**
 * Placeholders written as an omitted clause that no parsed statement can hold:
 * between two `;` (or the text's ends) there is nothing else, so the value is
 * SQL of its own (`${sql}`, `CREATE TABLE ...; ${more}`). A clause just before
 * or after a statement's text (`${explain} SELECT ...`, `... (a) ${where}`) is
 * taken as part of it, and one inside a failed statement is that failure's.
 */
export function wholeStatements(rendered: RenderedSql, parsed: ParsedSql, forms: PlaceholderForm[], failures: TemplateFailure[]): RenderedSql['placeholders'] {
  const sql = rendered.sql;
  // The range of text each statement may own: from the `;` that ends the one before to its own `;`.
  const owned: Array<[number, number]> = [];
  let previousEnd = 0;
  parsed.statements.forEach((st, i) => {
    const gap = sql.slice(previousEnd, st.start);
    const from = previousEnd + gap.lastIndexOf(';') + 1;
    const next = parsed.statements[i + 1];
    const to = st.endWithSemicolon > st.end ? st.endWithSemicolon : next ? next.start : sql.length;
    owned.push([from, to]);
    previousEnd = st.endWithSemicolon;
  });
  const failed = (i: number) => failures.some((f) => f.placeholders.has(i));
  return rendered.placeholders.filter((ph, i) => forms[i] === 'clause' && !failed(i) && !owned.some(([from, to]) => from <= ph.start && ph.start <= to));
}
