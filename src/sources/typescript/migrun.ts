/**
 * migrun's own API: `export async function up(ctx)` calling `ctx.sql(...)`,
 * `ctx.ddl(...)`, `ctx.dml(...)` and `ctx.index(...)` (also as tagged
 * templates), and `ctx.backfill({ table, set, where })`. migrun wraps nothing
 * itself: each executor decides (`execDdl` and `execDml` run a short
 * transaction with timeouts, `execIndex` runs in autocommit, `ctx.sql` plans
 * each statement by its classification). Its raw-query recognition
 * (`rawQuery`) gives each SQL string its executor.
 */
import type { CallExpression, TaggedTemplateExpression } from 'ts-morph';
import type { Executor } from '../../core/unit.js';
import type { Edit } from '../../core/diagnostic.js';
import { jsString, prefersSingleQuotes } from './edits.js';
import { sqlSourceOf } from './literals.js';
import { Node, SyntaxKind } from './morph.js';
import type { MovedCheck, SessionUses } from './session-fix.js';
import { callQuery, templateQuery, type RawQuery } from './queries.js';
import { Values, methodCall, qname } from './sqlgen.js';
import type { BuiltSql, Env, FrameworkSupport } from './types.js';

const isFunctionLike = (n: Node) => Node.isFunctionDeclaration(n) || Node.isFunctionExpression(n) || Node.isArrowFunction(n) || Node.isMethodDeclaration(n);

const EXECUTORS: Record<string, Executor> = { sql: 'migrun-sql', ddl: 'migrun-ddl', dml: 'migrun-dml', index: 'migrun-index' };

/** Whether `receiver` is migrun's context (the phase's parameter, or a conventional name). */
function isContext(receiver: Node, env: Env): boolean {
  if (!Node.isIdentifier(receiver)) return false;
  const name = receiver.getText();
  return env.phases.some((p) => p.param === name) || /^(ctx|context|migrun|m)$/.test(name);
}

/** `ctx.sql/ddl/dml/index(...)` and their tagged-template forms in a migrun migration, each on its executor. */
function rawQuery(node: CallExpression | TaggedTemplateExpression, env: Env): RawQuery | null {
  if (env.framework !== 'migrun') return null;
  if (Node.isCallExpression(node)) {
    const mc = methodCall(node);
    if (!mc || !(mc.method in EXECUTORS) || !isContext(mc.receiver, env)) return null;
    return callQuery(node, env, { executor: EXECUTORS[mc.method]!, bindings: false });
  }
  const tag = node.getTag();
  if (!Node.isPropertyAccessExpression(tag) || !(tag.getName() in EXECUTORS) || !isContext(tag.getExpression(), env)) return null;
  return templateQuery(node, env, EXECUTORS[tag.getName()]!, tag.getName());
}

/** `ctx.backfill({ table, set, where })`: batches of `UPDATE table SET set WHERE where`, on execDml. */
function translate(call: CallExpression, env: Env): BuiltSql[] | null {
  const mc = methodCall(call);
  if (!mc || mc.method !== 'backfill' || !Node.isIdentifier(mc.receiver)) return null;
  const v = new Values(env);
  const o = v.props(call.getArguments()[0]);
  if (!o) return null;
  const set = v.str(o.get('set'));
  const where = v.str(o.get('where'));
  if (set === null) return null;
  const sql = `UPDATE ${qname(v.name(o.get('table')))} SET ${set}${where ? ` WHERE ${where}` : ''}`;
  return [{ ...v.built(sql, call), executor: 'migrun-dml' }];
}

/**
 * In a migrun migration, `const { rows } = await client.query("SELECT 1 FROM
 * pg_constraint WHERE conname = 'x'")` used only as `rows.length` (or `r.rows.length`,
 * `r.rowCount`) becomes `const exists = await ctx.check.constraintExists('x')`,
 * each use the boolean.
 */
function moveCheck(_u: SessionUses, check: CallExpression, env: Env): MovedCheck | null {
  const phase = env.phases.find((p) => p.fn === check.getFirstAncestor(isFunctionLike));
  const ctx = phase?.param;
  if (!ctx) return null;
  const src = check.getArguments()[0] ? sqlSourceOf(check.getArguments()[0]!, env.consts) : null;
  if (!src || src.interpolated) return null;
  const sql = src.pieces.map((p) => (p.kind === 'placeholder' ? '' : p.text)).join('');
  const m = /^\s*SELECT\s+[\w*]+\s+FROM\s+(?:pg_catalog\.)?pg_constraint\s+WHERE\s+conname\s*=\s*'([^']+)'\s*;?\s*$/i.exec(sql);
  if (!m) return null;
  const awaited = check.getParent();
  const decl = awaited && Node.isAwaitExpression(awaited) ? awaited.getParent() : undefined;
  if (!decl || !Node.isVariableDeclaration(decl)) return null;
  const name = decl.getNameNode();
  // The expressions that test whether a row came back.
  let counts: Node[] = [];
  if (Node.isObjectBindingPattern(name)) {
    const els = name.getElements();
    if (els.length !== 1 || els[0]!.getPropertyNameNode() || els[0]!.getName() !== 'rows') return null;
    counts = usesOf(decl, 'rows', (id) => {
      const pa = id.getParent();
      return pa && Node.isPropertyAccessExpression(pa) && pa.getName() === 'length' ? pa : null;
    });
  } else if (Node.isIdentifier(name)) {
    counts = usesOf(decl, name.getText(), (id) => {
      const pa = id.getParent();
      if (!pa || !Node.isPropertyAccessExpression(pa)) return null;
      if (pa.getName() === 'rowCount') return pa;
      const pb = pa.getParent();
      return pa.getName() === 'rows' && pb && Node.isPropertyAccessExpression(pb) && pb.getName() === 'length' ? pb : null;
    });
  } else return null;
  if (!counts.length || counts.some((c) => !c)) return null;
  const taken = new Set(decl.getFirstAncestor(isFunctionLike)!.getDescendantsOfKind(SyntaxKind.Identifier).map((i) => i.getText()));
  const flag = ['exists', 'constraintExists', 'alreadyExists'].find((n) => !taken.has(n));
  if (!flag) return null;
  const edits: Edit[] = [{ start: decl.getStart(), end: decl.getEnd(), text: `${flag} = await ${ctx}.check.constraintExists(${jsString(m[1]!, prefersSingleQuotes(env.nodes))})` }];
  for (const c of counts) {
    const e = booleanUse(c, flag);
    if (!e) return null;
    edits.push(e);
  }
  return { path: `\`${ctx}.check.constraintExists(...)\` (its own short-lived session)`, edits };
}


/** Uses of `name` after `decl` in its function, each mapped by `pick` (null: a use this fix does not understand). */
function usesOf(decl: Node, name: string, pick: (id: Node) => Node | null): Node[] {
  const fn = decl.getFirstAncestor(isFunctionLike);
  if (!fn) return [];
  return fn
    .getDescendantsOfKind(SyntaxKind.Identifier)
    .filter((i) => i.getText() === name && i.getStart() >= decl.getEnd())
    .map((i) => pick(i)!);
}

/** Rewrites a row count used as a truth value into the boolean `flag`. */
function booleanUse(count: Node, flag: string): Edit | null {
  const parent = count.getParent();
  if (parent && Node.isBinaryExpression(parent) && parent.getLeft() === count) {
    const op = parent.getOperatorToken().getText();
    const right = parent.getRight().getText();
    const positive = (op === '>' && right === '0') || ((op === '!==' || op === '!=') && right === '0') || (op === '>=' && right === '1');
    const negative = ((op === '===' || op === '==') && right === '0') || (op === '<' && right === '1');
    if (positive || negative) return { start: parent.getStart(), end: parent.getEnd(), text: positive ? flag : `!${flag}` };
    return null;
  }
  const truthy = parent && (Node.isIfStatement(parent) || Node.isPrefixUnaryExpression(parent) || Node.isConditionalExpression(parent) || (Node.isBinaryExpression(parent) && /^(&&|\|\|)$/.test(parent.getOperatorToken().getText())));
  return truthy ? { start: count.getStart(), end: count.getEnd(), text: flag } : null;
}

export const migrun: FrameworkSupport = {
  framework: 'migrun',
  name: 'migrun',
  connections: 'single',
  detect: {
    paramType: /^(Migrun|Migration)?(Context|Ctx)\b/,
    imports: /(^|\/)migrun(\/|$)|^miglint(\/|$)/,
    byUse: { order: 10, test: (uses, p) => ['ddl', 'dml', 'index', 'backfill'].some((u) => uses.has(u)) || (uses.has('sql') && /^(ctx|context)$/.test(p.param ?? '')) },
  },
  builder: translate,
  rawQuery,
  rawQueryOnlyInOwnUnits: true,
  moveCheck,
  runsSql: (_call, receiver, method, env) => env.framework === 'migrun' && method in EXECUTORS && isContext(receiver, env),
  wrapped() {
    return { inTransaction: false, reason: "migrun's executors decide per statement" };
  },
  rawStatement(_env, phase) {
    const ctx = phase.param ?? 'ctx';
    return { awaits: true, code: (sql, quote) => `await ${ctx}.sql(${quote(sql)})` };
  },
};
