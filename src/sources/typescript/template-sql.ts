/**
 * Parsing SQL with placeholders for the values the frontend cannot know: each
 * `${}` gets the form that fits its grammatical position (see `PlaceholderForm`),
 * one statement of a query string at a time, and what still does not parse is
 * returned as a failure per statement (never dropped).
 */
import { parseSql, type ParsedSql } from '../../sql/parse.js';
import { PLACEHOLDER_FORMS, render, type PlaceholderForm, type RenderedSql, type SqlSource } from './literals.js';
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

/** `parseSql` of the text from `floor` on, with offsets in the whole text. */
function parseFrom(sql: string, floor: number): ParsedSql {
  const p = parseSql(sql.slice(floor));
  if (floor === 0) return p;
  return { ...p, error: p.error ? { ...p.error, offset: p.error.offset + floor } : null };
}

/**
 * Parses rendered SQL, choosing for each placeholder the grammar rejects a form
 * that fits its grammatical position (`$n`, `"${expr}"`, a string literal, `1`,
 * `($n)`, `SELECT $n`, nothing): `CREATE INDEX ${name} ON ${table} (${cols}) ${where}`
 * parses as `CREATE INDEX "${name}" ON "${table}" ("${cols}")`.
 *
 * The placeholder changed is the last undecided one at or before where the
 * parser points (in the first statement that does not parse yet); it takes the
 * first form that parses, else the one that moves the error farthest past it
 * (its current form on a tie), and is then decided. A statement whose error
 * lies before every undecided placeholder is a failure; the search goes on
 * after its `;`, so the statements after it get their forms too. Every form
 * of every placeholder is tried at most once.
 */
export function parseWithPlaceholders(src: SqlSource, placeholders?: Placeholders): { rendered: RenderedSql; parsed: ParsedSql; forms: PlaceholderForm[]; failures: TemplateFailure[] } {
  const forms: PlaceholderForm[] = [];
  const failures: TemplateFailure[] = [];
  const decided = new Set<number>();
  let rendered = render(src, forms, placeholders);
  // Text before `floor` is final: every placeholder in it is decided, so no re-rendering moves it.
  let floor = 0;
  let tail = parseFrom(rendered.sql, floor);
  if (!rendered.placeholders.length) return { rendered, parsed: tail, forms, failures: tail.error ? [{ message: tail.error.message, placeholders: new Set() }] : [] };
  while (tail.error) {
    const offset = tail.error.offset;
    let pick = -1;
    rendered.placeholders.forEach((ph, i) => {
      if (ph.start >= floor && ph.start <= offset && !decided.has(i)) pick = i;
    });
    if (pick < 0) {
      const end = statementEnd(rendered.sql, offset);
      const inside = new Set<number>();
      rendered.placeholders.forEach((ph, i) => {
        if (ph.start >= floor && (end < 0 || ph.start < end)) inside.add(i);
      });
      failures.push({ message: tail.error.message, placeholders: inside });
      if (end < 0) break;
      for (const i of inside) decided.add(i);
      floor = end + 1;
      tail = parseFrom(rendered.sql, floor);
      continue;
    }
    decided.add(pick);
    // How far past the placeholder the parser gets (Infinity: the rest parses).
    const progress = (r: RenderedSql, p: ParsedSql) => (p.error ? p.error.offset - r.placeholders[pick]!.end : Infinity);
    let best = { form: forms[pick] ?? 'param', rendered, tail, progress: progress(rendered, tail) };
    // A query goes where a statement wants one (`AS ${query}`), never as a statement of its own (`${x} t` is no `SELECT $1 t`).
    const startsStatement = /(^|;)\s*$/.test(rendered.sql.slice(0, rendered.placeholders[pick]!.start));
    for (const form of PLACEHOLDER_FORMS) {
      if (form === best.form || best.progress === Infinity || (form === 'query' && startsStatement)) continue;
      const tried = [...forms];
      tried[pick] = form;
      const r = render(src, tried, placeholders);
      const p = parseFrom(r.sql, floor);
      const moved = progress(r, p);
      if (moved > best.progress) best = { form, rendered: r, tail: p, progress: moved };
    }
    forms[pick] = best.form;
    rendered = best.rendered;
    tail = best.tail;
  }
  return { rendered, parsed: floor === 0 ? tail : parseSql(rendered.sql), forms, failures };
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
