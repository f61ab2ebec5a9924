/**
 * The edit operations the TypeScript/JavaScript frontend offers fixes (`MigrationUnit.edits`):
 * a statement inserted before a statement on its connection (a SET), just before a call (the
 * drop of a concurrent build's leftover), the transaction switched off, a builder call's options
 * or its raw-query form, a rethrow in a catch. What they need of the analysis (where each call
 * stands, which connection it runs on) is gathered while the syntax tree is alive; the edits
 * themselves are computed only when a fix asks.
 */
import type { ts as Ts } from 'ts-morph';
import type { Edit } from '../../core/diagnostic.js';
import type { FrontendEdits, Phase, Statement } from '../../core/unit.js';
import { classify } from '../../sql/classify.js';
import type { Collector } from './collect.js';
import { applyInsertion, jsString, lineIndent, lineStart, planInsertion, prefersSingleQuotes, rethrowEdit, templateBody, usesSemicolons, type InsertionPlan } from './edits.js';
import { Node } from './morph.js';
import type { Env, FrameworkSupport, RawStatementMaker } from './types.js';

/** Where a SET for a statement can go so that it runs on the statement's connection. */
export type Pin = 'phase' | 'anchor' | null;

export interface Anchor {
  offset: number;
  indent: string;
  code: (sql: string, quote: (s: string) => string) => string;
}

/** The statement a query or builder call is the whole of, as a place to insert a statement just before it. */
interface Holder {
  /** Start of the statement's line (nothing but blanks before the statement on it). */
  offset: number;
  indent: string;
  /** `await <the call>;`: a statement inserted before it, awaited, completes before the call starts. */
  awaited: boolean;
}

/**
 * The expression statement that is `call` (or `await call`, or a chain on it such as Kysely's
 * `` await sql`...`.execute(db) ``), alone at the start of its line; null otherwise.
 */
function holderOf(call: Node): Holder | null {
  let top: Node = call;
  for (let p = top.getParent(); p && ((Node.isPropertyAccessExpression(p) || Node.isCallExpression(p)) && p.getExpression() === top); p = top.getParent()) top = p;
  const parent = top.getParent();
  const holder = parent && Node.isAwaitExpression(parent) ? parent.getParent() : parent;
  if (!holder || !Node.isExpressionStatement(holder)) return null;
  const text = call.getSourceFile().getFullText();
  const start = holder.getStart();
  const ls = lineStart(text, start);
  if (/\S/.test(text.slice(ls, start))) return null;
  return { offset: ls, indent: lineIndent(text, start), awaited: parent !== holder };
}

/** What the edit operations need of the analysis, per statement. */
export interface EditFacts {
  /** Where a statement goes before each raw query's statements, worked out when first asked (the tree must be alive). */
  anchors: Map<Statement, () => Anchor | null>;
  pins: Map<Statement, Pin>;
  /** The call each call's first statement comes from (not a loop's), for a statement inserted just before it (its compiler node: a wrapper is made if a fix asks). */
  calls: Map<Statement, Ts.Node>;
  /** Statements of a tagged template whose tag is a name (`sql`), with the tag. */
  tagged: Map<Statement, string>;
}

/**
 * The edits a fix may ask for. Each is computed from the syntax tree the first time a fix asks
 * (only findings that fire have fixes), and handed out as copies.
 * @throws Error when asked after the unit's `release()` (the tree is gone): a bug in the caller.
 */
export function frontendEdits(env: Env, support: FrameworkSupport, collector: Collector, { anchors, pins, calls, tagged }: EditFacts, alive: () => boolean): FrontendEdits {
  const eol = env.source.eol;
  const needTree = () => {
    if (!alive()) throw new Error(`${env.file}: a fix asked for an edit after the unit was released (its syntax tree is gone)`);
  };
  const lazy = <K, V>(compute: (k: K) => V) => {
    const memo = new Map<K, V>();
    return (k: K): V => {
      if (!memo.has(k)) {
        needTree();
        memo.set(k, compute(k));
      }
      return memo.get(k)!;
    };
  };
  const disable = lazy((phase: Phase) => (support.disableTransaction ? support.disableTransaction(env, phase) : null));
  const semicolons = lazy((_: null) => usesSemicolons(env));
  const quote = (() => {
    let single: boolean | null = null;
    return (s: string) => {
      if (single === null) {
        needTree();
        single = prefersSingleQuotes(env.nodes);
      }
      return jsString(s, single);
    };
  })();

  // A fix inserts its statement after the SET queries (and `noTransaction()`) already at the top.
  const plans = lazy((phase: Phase): { plan: InsertionPlan; maker: RawStatementMaker } | null => {
    const fn = env.phases.find((p) => p.phase === phase);
    const maker = fn && support.rawStatement ? support.rawStatement(env, fn) : null;
    if (!fn || !maker) return null;
    const skip = (n: Node) => {
      if (!Node.isExpressionStatement(n)) return false;
      if (/^\s*[\w$.]+\.noTransaction\(\s*\)\s*;?\s*$/.test(n.getText())) return true;
      // A statement that only runs SET queries (not one that also runs anything else): every SQL
      // statement of every call inside it is a session setting.
      return onlySettingCalls(collector, n.getStart(), n.getEnd());
    };
    const plan = planInsertion(fn.fn, env.text, skip);
    return plan ? { plan, maker } : null;
  });
  const copy = (edits: Edit[] | null | undefined) => (edits ? edits.map((e) => ({ ...e })) : null);
  const anchorOfStatement = (statement: Statement): Anchor | null => {
    const at = anchors.get(statement);
    if (!at) return null;
    needTree();
    return at();
  };
  return {
    disableTransaction: (phase) => copy(disable(phase)),
    insertStatementBefore: (statement, sql) => {
      // A SET must reach the connection that runs the statement: never through a pool.
      const pin = pins.get(statement) ?? null;
      if (pin === null) return null;
      const p = statement.phase === 'other' ? null : plans(statement.phase);
      if (p && pin === 'phase') {
        const edits = [...applyInsertion(p.plan, p.maker.code(sql, quote), eol, p.maker.awaits, semicolons(null)), ...(copy(p.maker.extraEdits) ?? [])];
        return edits.sort((a, b) => a.start - b.start);
      }
      const a = anchorOfStatement(statement);
      return a ? [{ start: a.offset, end: a.offset, text: `${a.indent}${a.code(sql, quote)}${semicolons(null) ? ';' : ''}${eol}` }] : null;
    },
    insertStatementJustBefore: (statement, sql) => {
      const call = calls.get(statement);
      if (!call || statement.phase === 'other') return null;
      needTree();
      const h = holderOf(env.nodes.node(call));
      if (!h) return null;
      // On the phase's connection: the phase's raw query (the same receiver as its raw queries); elsewhere the call's own receiver.
      const a = anchorOfStatement(statement);
      const pin = pins.get(statement) ?? null;
      const fn = env.phases.find((p) => p.phase === statement.phase);
      const maker = pin !== 'anchor' && fn && support.rawStatement ? support.rawStatement(env, fn) : null;
      const viaPhase = !!maker && (pin === 'phase' || !a);
      let code: string;
      if (maker && viaPhase) {
        // Awaited as the call is, so it completes first; a framework that collects its statements (node-pg-migrate's pgm.sql) needs no await.
        if (maker.awaits && !h.awaited) return null;
        code = maker.code(sql, quote);
      } else if (a && h.awaited) code = `await ${a.code(sql, quote).replace(/^await /, '')}`;
      else if (tagged.has(statement) && h.awaited) code = `await ${tagged.get(statement)}\`${templateBody(sql)}\``;
      else return null;
      const edits = [{ start: h.offset, end: h.offset, text: `${h.indent}${code}${semicolons(null) ? ';' : ''}${eol}` }, ...((maker && viaPhase ? copy(maker.extraEdits) : null) ?? [])];
      return edits.sort((x, y) => x.start - y.start);
    },
    setBuilderOptions: (statement, options) => collector.hooks.get(statement)?.setOptions?.(options) ?? null,
    replaceWithRawQuery: (statement, sql) => collector.hooks.get(statement)?.replaceWithRaw?.(sql, quote) ?? null,
    rethrow: (handler) => rethrowEdit(env.text, eol, handler),
  };
}

/**
 * Whether `[start, end)` holds at least one query call and every call in it only changes session
 * settings (`SET lock_timeout = ...`): each SQL statement of those calls is a session setting. Only
 * the statements of the calls in the range are classified.
 */
function onlySettingCalls(collector: Collector, start: number, end: number): boolean {
  let any = false;
  for (let i = 0; i < collector.statements.length; i++) {
    const span = collector.callSpans[i]!;
    if (span.start < start || span.end > end) continue;
    if (classify(collector.statements[i]!.node).class !== 'session-setting') return false;
    any = true;
  }
  return any;
}

/**
 * For a raw query outside the framework's phase functions, a statement goes on
 * its own line just before the statement holding the call, through the same receiver.
 */
export function anchorOf(call: Node, receiver: string | null, method: string): Anchor | null {
  if (!receiver) return null;
  const holder = call.getFirstAncestor((a) => Node.isStatement(a) && !!a.getParent() && (Node.isBlock(a.getParent()!) || Node.isSourceFile(a.getParent()!)));
  if (!holder) return null;
  const text = call.getSourceFile().getFullText();
  const start = holder.getStart();
  const ls = lineStart(text, start);
  if (/\S/.test(text.slice(ls, start))) return null;
  const awaits = /\bawait\b/.test(holder.getText());
  return { offset: ls, indent: lineIndent(text, start), code: (sql, quote) => `${awaits ? 'await ' : ''}${receiver}.${method}(${quote(sql)})` };
}
