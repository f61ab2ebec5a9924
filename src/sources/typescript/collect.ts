/**
 * Turns SQL found in code (literals and builder translations) into the unit's
 * statements, batches and syntax errors, and records what could not be read:
 * an interpolated template that parses with no form of its placeholders, a
 * `${}` that stands for whole statements, a builder call whose translation does
 * not parse (each an `UnanalysedFact` of scope 'statement' at the call).
 */
import type { Span } from '../../core/diagnostic.js';
import type { Executor, Phase, Statement, SyntaxErrorFact, UnanalysedFact } from '../../core/unit.js';
import { doBlockInnerStatements } from '../../sql/do-blocks.js';
import { typeFact, type TypeFact } from '../../sql/alter.js';
import { parseSql } from '../../sql/parse.js';
import type { RenderedSql, SqlSource } from './literals.js';
import type { Placeholders } from './placeholders.js';
import { parseWithPlaceholders, wholeStatements } from './template-sql.js';
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
  /** Query and builder calls whose SQL could not be (fully) reconstructed or parsed. */
  readonly unanalysed: UnanalysedFact[] = [];
  /** For each statement, the call that runs it (differs from its span for SQL held in a const). */
  readonly callSpans: Span[] = [];
  /** Fix hooks of builder statements. */
  readonly hooks = new Map<Statement, BuilderHooks>();
  private nextBatch = 0;

  /**
   * @param help the help of what an interpolated query leaves unread, in the language's words
   * (Python's f-strings and bind parameters); absent: TS/JS templates and consts.
   */
  constructor(
    private readonly placeholders?: Placeholders,
    private readonly help: { interpolatedValue: string; wholeStatement: string } = {
      interpolatedValue: 'If the SQL is right, pass the changing part as a same-file const or a query binding so miglint can read it; check this statement by hand.',
      wholeStatement: 'Write the statement in the call (a template with only names and values interpolated), or check what it runs by hand.',
    },
  ) {}

  /** Adds the statements of SQL passed to one query call: one batch. Returns the new statements. */
  addSql(src: SqlSource, call: Span, executor: Executor, phase: Phase): Statement[] {
    const first = this.statements.length;
    const { rendered, parsed, forms, failures } = parseWithPlaceholders(src, this.placeholders);
    const batch = this.nextBatch++;
    if (parsed.error && !src.interpolated) {
      this.syntaxErrors.push({ message: parsed.error.message, offset: fileOffset(rendered, parsed.error.offset, src.span.start) });
    }
    const n = rendered.placeholders.length;
    for (const f of src.interpolated ? failures : []) {
      // Most likely dynamic SQL the placeholders cannot stand for, possibly a real mistake: not analysed, and said so.
      const which = parsed.statements.length || failures.length > 1 ? 'a statement of this query does' : 'the SQL of this query does';
      this.unanalysed.push({
        scope: 'statement',
        message: `Not analysed: ${which} not parse with its ${n === 1 ? 'interpolated value' : `${n} interpolated values`} written as names, values, literals or clauses (${f.message}), so it was not checked.`,
        help: this.help.interpolatedValue,
        span: { ...call },
        phase,
      });
    }
    for (const ph of wholeStatements(rendered, parsed, forms, failures)) {
      this.unanalysed.push({
        scope: 'statement',
        message: `Not analysed: \`\${${ph.expr}}\` stands for SQL of its own that miglint cannot know (a value built elsewhere), so it was not checked.`,
        help: this.help.wholeStatement,
        span: { ...call },
        phase,
      });
    }
    for (const p of parsed.statements) {
      if (p.end <= p.start) continue;
      const start = p.start;
      const end = p.end;
      const outer: Statement = {
        sql: p.text,
        node: p.node,
        span: { start: rendered.from(start), end: rendered.to(end - 1) },
        sqlToFile: (o: number) => {
          if (!Number.isInteger(o) || o < 0 || start + o > end) return null;
          const f = rendered.at(start + o);
          return f < 0 ? null : f;
        },
        origin: src.origin,
        interpolated: src.interpolated,
        batch,
        executor,
        phase,
        context: blankContext(),
      };
      // A DO block's statements are read as in a .sql file (they run inside the one DO statement).
      for (const st of [outer, ...doBlockInnerStatements(outer, this.unanalysed)]) {
        this.statements.push(st);
        this.callSpans.push(call);
      }
    }
    return this.statements.slice(first);
  }

  /** Adds translated builder statements; each is its own batch unless it says otherwise. Returns the new statements. */
  addBuilt(items: BuiltSql[], phase: Phase): Statement[] {
    const first = this.statements.length;
    for (const item of items) {
      if (item.unanalysed) {
        this.unanalysed.push({ scope: 'statement', ...item.unanalysed, span: { ...item.span }, phase });
        continue;
      }
      const parsed = parseSql(item.sql);
      if (!item.sameBatch || this.nextBatch === 0) this.nextBatch++;
      const batch = this.nextBatch - 1;
      if (parsed.error) {
        // Our own translation: when it does not parse (a value we rendered badly), the call was not checked.
        this.unanalysed.push({
          scope: 'statement',
          message: `Not analysed: miglint's translation of this builder call into SQL does not parse (${parsed.error.message}), so the call was not checked.`,
          help: 'Check the statement by hand; please report the call, so the translation can learn it.',
          span: { ...item.span },
          phase,
        });
      }
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
          ...(item.effect ? { builderEffect: item.effect } : {}),
        };
        if (item.priorColumnTypes) statement.priorColumnTypes = priorTypes(item.priorColumnTypes);
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

/** Column types given as SQL text (`varchar(50)`) as type facts; a text that does not parse as a type is left out. */
function priorTypes(types: Record<string, string>): Record<string, TypeFact> {
  const out: Record<string, TypeFact> = {};
  for (const [column, text] of Object.entries(types)) {
    const node = parseSql(`SELECT NULL::${text}`).statements[0]?.node;
    const target = node && 'SelectStmt' in node ? node.SelectStmt.targetList?.[0] : undefined;
    const value = target && 'ResTarget' in target ? target.ResTarget.val : undefined;
    const fact = value && 'TypeCast' in value ? typeFact(value.TypeCast.typeName) : null;
    if (fact) out[column] = fact;
  }
  return out;
}

function fileOffset(r: RenderedSql, sqlOffset: number, fallback: number): number {
  if (r.sql.length === 0) return fallback;
  if (sqlOffset < r.sql.length) return r.from(Math.max(0, sqlOffset));
  return r.at(r.sql.length);
}
