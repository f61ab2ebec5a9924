/**
 * What every module of the Python frontend knows about the file being analysed,
 * and the reading of SQL out of call arguments into the unit's statements.
 */
import type { Span } from '../../core/diagnostic.js';
import type { SourceText } from '../../core/source-text.js';
import type { Phase, Statement, UnanalysedFact } from '../../core/unit.js';
import { Collector } from '../typescript/collect.js';
import { Placeholders } from '../typescript/placeholders.js';
import type { BuiltSql } from '../typescript/types.js';
import { nodesOfTypes, type PyNode } from './parse.js';
import { Bindings, sqlSourceOf, textCallArg, unparen } from './strings.js';
import { partitionPoint } from '../../core/search.js';

/** A module-level `def upgrade()` / `def downgrade()` (Alembic), or Django's operations and reverse_sql. */
export interface PhaseRegion {
  phase: Phase;
  span: Span;
}

/** The node types that bind a name (see `Bindings`). */
const BINDERS = ['assignment', 'augmented_assignment', 'for_statement', 'named_expression', 'as_pattern', 'parameters', 'lambda_parameters', 'import_statement', 'import_from_statement', 'global_statement', 'nonlocal_statement', 'function_definition', 'class_definition'];

/** The node types the frontend's passes ask `ofType` for (and the binders), indexed together in one walk (another type costs a walk of its own). */
const INDEXED_TYPES = [...new Set(['call', 'comment', 'elif_clause', 'if_statement', 'try_statement', 'with_statement', ...BINDERS])];

export class PyEnv {
  /** The named nodes of `INDEXED_TYPES` (no punctuation or keywords), in document order. */
  private readonly nodes: PyNode[];
  /** Where each node type stands in `nodes` (see `ofType`). */
  private readonly byType: Map<string, number[]>;
  /** The nodes of other types asked for, by the types' names joined with NUL. */
  private readonly others = new Map<string, PyNode[]>();
  /** The nodes of one type, kept for `ofTypeWithin`. */
  private readonly lists = new Map<string, PyNode[]>();
  readonly bindings: Bindings;
  readonly placeholders: Placeholders;
  readonly collector: Collector;
  /** The call spans of SQL sent to the database, for the code facts (sessions, excepts) a later module adds. */
  readonly calls: Span[] = [];
  /**
   * The execute inside a SQL helper (`conn.execute(text(sql))` of `def exec_ddl(engine, sql)`) and
   * the statements each call of the helper runs through it: an `except` around that execute
   * handles their errors too.
   */
  readonly helperRuns: { execute: Span; statements: Statement[] }[] = [];

  constructor(
    readonly file: string,
    readonly source: SourceText,
    readonly root: PyNode,
  ) {
    const { all, byType } = nodesOfTypes(root, INDEXED_TYPES);
    this.nodes = all;
    this.byType = byType;
    this.bindings = new Bindings(
      // Each kind apart (what they bind does not depend on their order): no sort of the file's nodes.
      BINDERS.flatMap((t) => this.ofType(t)),
      this.ofType('function_definition'),
    );
    this.placeholders = new Placeholders(source.text);
    this.collector = new Collector(this.placeholders, {
      interpolatedValue: 'If the SQL is right, pass the changing part as a name bound once in this file to a string, or as a bind parameter (sa.text("... :name").bindparams(name=...)), so miglint can read it; check this statement by hand.',
      wholeStatement: 'Write the statement in the call (an f-string, % or .format that fills in only names and values), or check what it runs by hand.',
    });
  }

  /** The named nodes of these types, in document order (faster than filtering `nodes` by `type`). */
  ofType(...types: string[]): PyNode[] {
    if (!types.every((t) => INDEXED_TYPES.includes(t))) {
      const key = types.join('\0');
      let found = this.others.get(key);
      if (!found) this.others.set(key, (found = nodesOfTypes(this.root, types).all));
      return [...found];
    }
    if (types.length === 1) return (this.byType.get(types[0]!) ?? []).map((i) => this.nodes[i]!);
    return types.flatMap((t) => this.byType.get(t) ?? []).sort((a, b) => a - b).map((i) => this.nodes[i]!);
  }

  /**
   * The named nodes of `type` that lie within `start`..`end` (offsets), in document order: a binary
   * search of the file's nodes of that type (one walk of the tree per type and file, as `ofType`)
   * rather than a walk of the range, which would cost a call into the WebAssembly each time.
   */
  ofTypeWithin(type: string, start: number, end: number): PyNode[] {
    let all = this.lists.get(type);
    if (!all) this.lists.set(type, (all = this.ofType(type)));
    const lo = partitionPoint(all, (n) => n.startIndex < start);
    const out: PyNode[] = [];
    for (let i = lo; i < all.length && all[i]!.startIndex < end; i++) if (all[i]!.endIndex <= end) out.push(all[i]!);
    return out;
  }

  get unanalysed(): UnanalysedFact[] {
    return this.collector.unanalysed;
  }

  /**
   * Adds the SQL an expression passed to a raw-SQL call holds (`op.execute(arg)`):
   * its statements (one batch), or an `unanalyzable-statement` fact naming what it is.
   * Returns the new statements.
   */
  addRawSql(arg: PyNode | undefined, call: PyNode, callName: string, phase: Phase, bindParams: 'text' | 'driver' | null = null): Statement[] {
    const span = { start: call.startIndex, end: call.endIndex };
    this.calls.push(span);
    if (!arg) return [];
    // `q = text("... :id ...")` then `conn.execute(q, {...})`: the name's one binding is the text() call.
    const named = unparen(arg).type === 'identifier' ? this.bindings.resolve(unparen(arg)) : null;
    const inner = textCallArg(unparen(arg)) ?? (named ? textCallArg(unparen(named)) : null);
    const src = sqlSourceOf(inner ?? arg, this.bindings, inner ? 'text' : bindParams);
    if (!src) {
      // A name: why it is not read (bound more than once, in a loop, a parameter, ...).
      const name = unparen(inner ?? arg);
      const why = name.type === 'identifier' ? this.bindings.why(name) : null;
      this.collector.unanalysed.push({
        scope: 'statement',
        message: `Not analysed: the SQL passed to \`${callName}\` is \`${oneLine(arg.text)}\`, which miglint cannot reconstruct${why ? ` (${why})` : ''}, so it was not checked.`,
        help: 'Write the SQL in the call (a string literal, or a name bound once in this file to one) so miglint can check it, or check what it runs by hand.',
        span,
        phase,
      });
      return [];
    }
    return this.collector.addSql(src, span, 'raw', phase);
  }

  /** Adds builder statements translated from a call. */
  addBuilt(items: BuiltSql[], phase: Phase): Statement[] {
    for (const i of items) this.calls.push(i.span);
    return this.collector.addBuilt(items, phase);
  }
}

/** An expression's text on one line, shortened for a message. */
export function oneLine(text: string, max = 60): string {
  const t = text.replace(/\s+/g, ' ').trim();
  return t.length > max ? `${t.slice(0, max - 1)}…` : t;
}

/** The innermost phase region holding `offset`, else 'other'. */
export function phaseAt(regions: readonly PhaseRegion[], offset: number): Phase {
  let best: PhaseRegion | null = null;
  for (const r of regions) if (r.span.start <= offset && offset < r.span.end && (!best || r.span.end - r.span.start < best.span.end - best.span.start)) best = r;
  return best?.phase ?? 'other';
}
