/**
 * Turns SQL found in code (literals and builder translations) into the unit's
 * statements, batches and syntax errors.
 */
import type { Span } from '../../core/diagnostic.js';
import type { Executor, Phase, Statement, SyntaxErrorFact } from '../../core/unit.js';
import { parseSql, type ParsedSql } from '../../sql/parse.js';
import { render, type PlaceholderForm, type RenderedSql, type SqlSource } from './literals.js';
import type { Placeholders } from './placeholders.js';
import type { BuilderHooks, BuiltSql } from './types.js';

const blankContext = (): Statement['context'] => ({
  inTransaction: false,
  transaction: 'none',
  createdTables: new Set(),
  lockTimeoutSet: false,
  statementTimeoutSet: false,
});

export class Collector {
  readonly statements: Statement[] = [];
  readonly syntaxErrors: SyntaxErrorFact[] = [];
  /** For each statement, the call that runs it (differs from its span for SQL held in a const). */
  readonly callSpans: Span[] = [];
  /** Fix hooks of builder statements. */
  readonly hooks = new Map<Statement, BuilderHooks>();
  private nextBatch = 0;

  constructor(private readonly placeholders?: Placeholders) {}

  /** Adds the statements of SQL passed to one query call: one batch. Returns the new statements. */
  addSql(src: SqlSource, call: Span, executor: Executor, phase: Phase): Statement[] {
    const first = this.statements.length;
    const { rendered, parsed } = parseWithPlaceholders(src, this.placeholders);
    const batch = this.nextBatch++;
    if (parsed.error && !src.interpolated) {
      // An interpolated template that does not parse is most likely dynamic SQL, not a mistake.
      this.syntaxErrors.push({ message: parsed.error.message, offset: fileOffset(rendered, parsed.error.offset, src.span.start) });
    }
    for (const p of parsed.statements) {
      if (p.end <= p.start) continue;
      const start = p.start;
      const end = p.end;
      this.statements.push({
        sql: p.text,
        node: p.node,
        span: { start: rendered.from[start]!, end: rendered.to[end - 1]! },
        sqlToFile: (o: number) => {
          if (!Number.isInteger(o) || o < 0 || start + o > end) return null;
          const f = rendered.at[start + o]!;
          return f < 0 ? null : f;
        },
        origin: src.origin,
        interpolated: src.interpolated,
        batch,
        executor,
        phase,
        context: blankContext(),
      });
      this.callSpans.push(call);
    }
    return this.statements.slice(first);
  }

  /** Adds translated builder statements; each is its own batch unless it says otherwise. Returns the new statements. */
  addBuilt(items: BuiltSql[], phase: Phase): Statement[] {
    const first = this.statements.length;
    for (const item of items) {
      let parsed: ParsedSql;
      try {
        parsed = parseSql(item.sql);
      } catch {
        continue;
      }
      if (!item.sameBatch || this.nextBatch === 0) this.nextBatch++;
      const batch = this.nextBatch - 1;
      // Our own translation: a statement that does not parse is dropped, never reported.
      for (const p of parsed.statements) {
        const statement: Statement = {
          sql: p.text,
          node: p.node,
          span: { ...item.span },
          sqlToFile: null,
          origin: 'builder',
          interpolated: item.interpolated,
          batch,
          executor: item.executor ?? 'builder',
          phase,
          context: blankContext(),
        };
        this.statements.push(statement);
        this.callSpans.push({ ...item.span });
        // A call whose names or values are not all known cannot be rewritten as SQL text.
        const hooks = item.hooks && item.interpolated ? { ...(item.hooks.setOptions ? { setOptions: item.hooks.setOptions } : {}) } : item.hooks;
        if (hooks) this.hooks.set(statement, hooks);
      }
    }
    return this.statements.slice(first);
  }
}

/**
 * Parses rendered SQL, turning placeholders the grammar rejects as `$n` into
 * quoted identifiers (`CREATE INDEX ${name} ON ${table}` → `CREATE INDEX "${name}" ON "${table}"`),
 * one at a time, where the parser points.
 */
function parseWithPlaceholders(src: SqlSource, placeholders?: Placeholders): { rendered: RenderedSql; parsed: ParsedSql } {
  const forms: PlaceholderForm[] = [];
  let rendered = render(src, forms, placeholders);
  let parsed = parseSql(rendered.sql);
  for (let attempt = 0; parsed.error && attempt < rendered.placeholders.length; attempt++) {
    const offset = parsed.error.offset;
    let pick = -1;
    rendered.placeholders.forEach((ph, i) => {
      if (ph.start <= offset && forms[i] !== 'ident') pick = i;
    });
    if (pick < 0) break;
    forms[pick] = 'ident';
    const next = render(src, forms, placeholders);
    const reparsed = parseSql(next.sql);
    rendered = next;
    parsed = reparsed;
  }
  return { rendered, parsed };
}

function fileOffset(r: RenderedSql, sqlOffset: number, fallback: number): number {
  if (r.sql.length === 0) return fallback;
  if (sqlOffset < r.sql.length) return r.from[Math.max(0, sqlOffset)]!;
  return r.at[r.sql.length]!;
}
