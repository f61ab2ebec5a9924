/**
 * Sessions and transactions that migration code opens by hand, and whether
 * every path closes them: the code fact behind `no-idle-in-transaction`.
 *
 * The openings are recognised by the framework module that owns each session kind
 * (`FrameworkSupport.sessionOpening`): `const client = await pool.connect()` (and
 * `new Client()`), `dataSource.createQueryRunner()`, `await knex.transaction()` and
 * `await sequelize.transaction()` without a callback (the callback forms are
 * managed by the library), kysely's `await db.startTransaction().execute()`.
 *
 * The path analysis is structural, not a full control-flow graph: a close is
 * guaranteed when it sits in the `finally` of a `try` that covers the uses
 * after the opening (or, for commit/rollback, a commit in the `try` and a
 * rollback in the `catch`). Otherwise the code between the opening and the
 * last close is searched for an early `return`/`break`/`continue` and for
 * awaited calls or `throw`s outside a handling `try`.
 */
import type { CallExpression, TryStatement } from 'ts-morph';
import { Node, SyntaxKind } from './morph.js';
import type { SessionFact } from '../../core/unit.js';
import { sqlSourceOf, unwrap } from './literals.js';
import { sessionFix } from './session-fix.js';
import { methodCall, span } from './sqlgen.js';
import type { Env } from './types.js';
import { FileMemo } from '../../core/file-memo.js';

type Kind = SessionFact['kind'];
type CloseKind = 'end' | 'release';

export interface Opening {
  name: string;
  kind: Kind;
  node: Node;
  opensTransaction: boolean;
}

const CATALOG = /\b(pg_constraint|pg_indexes|pg_index|pg_class|pg_attribute|pg_namespace|pg_tables|pg_type|pg_trigger|pg_views|pg_proc|pg_extension|pg_sequences?|pg_attrdef|information_schema)\b/i;

function isFunctionLike(n: Node): boolean {
  return Node.isFunctionDeclaration(n) || Node.isFunctionExpression(n) || Node.isArrowFunction(n) || Node.isMethodDeclaration(n) || Node.isConstructorDeclaration(n) || Node.isGetAccessorDeclaration(n) || Node.isSetAccessorDeclaration(n);
}

function scopeOf(n: Node): Node {
  return n.getFirstAncestor(isFunctionLike) ?? n.getSourceFile();
}

/** The framework modules to ask about a session, the unit's own first. */
function modulesOf(env: Env) {
  const own = env.frameworks.filter((f) => f.framework === env.framework);
  return [...own, ...env.frameworks.filter((f) => f.framework !== env.framework)];
}

function openingOf(name: string, value: Node, node: Node, env: Env): Opening | null {
  let e = unwrap(value);
  let awaited = false;
  if (Node.isAwaitExpression(e)) {
    e = unwrap(e.getExpression());
    awaited = true;
  }
  // Each framework module recognises the openings of its own session kinds (FrameworkSupport.sessionOpening).
  for (const f of modulesOf(env)) {
    const o = f.sessionOpening?.(e, awaited, env);
    if (o) return { name, kind: o.kind, node, opensTransaction: o.opensTransaction };
  }
  return null;
}

const openingsOf = new FileMemo<Env, readonly Opening[]>();

/** The connections and transactions the file's code opens, found once per file (several analyses ask). */
export function findOpenings(env: Env): readonly Opening[] {
  let found = openingsOf.get(env);
  if (!found) {
    found = scanOpenings(env);
    openingsOf.set(env, found);
  }
  return found;
}

function scanOpenings(env: Env): Opening[] {
  const out: Opening[] = [];
  for (const n of env.nodes.ofKinds(SyntaxKind.VariableDeclaration, SyntaxKind.BinaryExpression)) {
    if (Node.isVariableDeclaration(n)) {
      const init = n.getInitializer();
      const name = n.getNameNode();
      if (init && Node.isIdentifier(name)) {
        const o = openingOf(name.getText(), init, n, env);
        if (o) out.push(o);
      }
    } else if (Node.isBinaryExpression(n) && n.getOperatorToken().getKind() === SyntaxKind.EqualsToken && Node.isIdentifier(n.getLeft())) {
      const o = openingOf(n.getLeft().getText(), n.getRight(), n, env);
      if (o) out.push(o);
    }
  }
  return out;
}

/** The SQL keyword a literal query sends, upper-cased (`BEGIN`, `COMMIT`...), or null. */
function literalSql(call: CallExpression, env: Env): string | null {
  const arg = call.getArguments()[0];
  const src = arg ? sqlSourceOf(arg, env.consts) : null;
  if (!src) return null;
  return src.pieces.map((p) => (p.kind === 'placeholder' ? '$1' : p.text)).join('').trim();
}

interface Uses {
  closes: Record<CloseKind, CallExpression[]>;
  begins: CallExpression[];
  queries: Array<{ call: Node; sql: string | null }>;
}

function usesOf(o: Opening, scope: Node, env: Env): Uses {
  const uses: Uses = { closes: { end: [], release: [] }, begins: [], queries: [] };
  const after = o.node.getEnd();
  for (const n of env.nodes.withinOfKind(scope, SyntaxKind.CallExpression)) {
    if (n.getStart() < after) continue;
    const mc = methodCall(n);
    if (!mc) continue;
    const onSession = unwrap(mc.receiver).getText() === o.name;
    if (onSession) {
      const m = mc.method;
      if (m === 'release' || m === 'end' || m === 'destroy' || m === 'done') uses.closes.release.push(n);
      else if (m === 'commit' || m === 'rollback' || m === 'commitTransaction' || m === 'rollbackTransaction') uses.closes.end.push(n);
      else if (m === 'startTransaction') uses.begins.push(n);
      else if (m === 'query' || m === 'raw') {
        const sql = literalSql(n, env);
        const word = sql?.replace(/;\s*$/, '').toUpperCase() ?? '';
        if (/^(COMMIT|END|ABORT)\b/.test(word) || (/^ROLLBACK\b/.test(word) && !/^ROLLBACK\s+TO\b/.test(word))) uses.closes.end.push(n);
        else if (/^(BEGIN|START\s+TRANSACTION)\b/.test(word)) uses.begins.push(n);
        else uses.queries.push({ call: n, sql });
      }
      continue;
    }
    // sql`...`.execute(trx), and Sequelize's `{ transaction: t }` option.
    const args = n.getArguments();
    if (mc.method === 'execute' && args[0]?.getText() === o.name && Node.isTaggedTemplateExpression(mc.receiver)) {
      const src = sqlSourceOf(mc.receiver.getTemplate(), env.consts);
      uses.queries.push({ call: n, sql: src ? src.pieces.map((p) => (p.kind === 'placeholder' ? '$1' : p.text)).join('') : null });
    } else if (args.some((a) => Node.isObjectLiteralExpression(a) && a.getProperties().some((p) => (Node.isPropertyAssignment(p) && p.getName() === 'transaction' && p.getInitializer()?.getText() === o.name) || (Node.isShorthandPropertyAssignment(p) && p.getName() === 'transaction' && o.name === 'transaction')))) {
      uses.queries.push({ call: n, sql: literalSql(n, env) });
    }
  }
  return uses;
}

function contains(outer: Node, inner: Node | number): boolean {
  const s = typeof inner === 'number' ? inner : inner.getStart();
  const e = typeof inner === 'number' ? inner : inner.getEnd();
  return outer.getStart() <= s && e <= outer.getEnd();
}

function inNestedFunction(n: Node, scope: Node): boolean {
  return scopeOf(n) !== scope;
}

/** Whether a close precedes `n` in a block that also holds `n` (the path to `n` passed it). */
function closedBefore(n: Node, closes: Node[]): boolean {
  return closes.some((c) => {
    if (c.getStart() >= n.getStart()) return false;
    const stmt = c.getFirstAncestor((a) => Node.isStatement(a) && !!a.getParent() && (Node.isBlock(a.getParent()!) || Node.isSourceFile(a.getParent()!) || Node.isCaseClause(a.getParent()!)));
    const block = stmt?.getParent();
    return !!block && contains(block, n);
  });
}

interface Guard {
  mode: 'finally' | 'catch';
  tryStmt: TryStatement;
}

function guardFor(closes: Node[], kind: CloseKind, o: Opening, scope: Node, env: Env): Guard | null {
  const tries = env.nodes.withinOfKind(scope, SyntaxKind.TryStatement).filter((t) => !inNestedFunction(t, scope) && (t.getStart() >= o.node.getEnd() || contains(t.getTryBlock(), o.node)));
  for (const t of tries) {
    const fin = t.getFinallyBlock();
    if (fin && closes.some((c) => contains(fin, c))) return { mode: 'finally', tryStmt: t };
  }
  if (kind === 'end') {
    for (const t of tries) {
      const cat = t.getCatchClause();
      if (cat && closes.some((c) => contains(cat, c)) && closes.some((c) => contains(t.getTryBlock(), c))) return { mode: 'catch', tryStmt: t };
    }
  }
  return null;
}

interface Problem {
  path: 'early-exit' | 'throw-path';
  node: Node;
}

/** Early exits and throwing points in `[from, to)` of the scope that bypass the closes. */
function problemsIn(from: number, to: number, o: Opening, scope: Node, closes: Node[], exitsOnly: boolean): Problem[] {
  const out: Problem[] = [];
  if (to <= from) return out;
  scope.forEachDescendant((n, traversal) => {
    if (n.getEnd() <= from || n.getStart() >= to) {
      traversal.skip();
      return;
    }
    if (isFunctionLike(n) && n !== scope) {
      traversal.skip();
      return;
    }
    if (n.getStart() < from) return;
    if (Node.isReturnStatement(n) || Node.isBreakStatement(n) || Node.isContinueStatement(n)) {
      if (!Node.isReturnStatement(n)) {
        const target = n.getFirstAncestor((a) => Node.isIterationStatement(a) || (Node.isBreakStatement(n) && Node.isSwitchStatement(a)));
        if (target && !contains(target, o.node)) return;
      }
      if (!closedBefore(n, closes)) out.push({ path: 'early-exit', node: n });
    } else if (!exitsOnly && (Node.isAwaitExpression(n) || Node.isThrowStatement(n))) {
      if (closes.some((c) => contains(n, c))) return; // `await client.query('COMMIT')` is the close itself
      const handler = n.getFirstAncestor((a) => Node.isTryStatement(a) && a.getStart() >= from && contains(a.getTryBlock(), n));
      const handled = handler && Node.isTryStatement(handler) && handler.getCatchClause() && handler.getCatchClause()!.getDescendantsOfKind(SyntaxKind.ThrowStatement).length === 0;
      if (!handled && !closedBefore(n, closes)) out.push({ path: 'throw-path', node: Node.isAwaitExpression(n) ? unwrap(n.getExpression()) : n });
    }
  });
  return out;
}

function analyse(o: Opening, env: Env): SessionFact {
  const scope = scopeOf(o.node);
  const uses = usesOf(o, scope, env);
  const inTransaction = o.opensTransaction || uses.begins.length > 0;
  const txStart = o.opensTransaction ? o.node.getStart() : uses.begins[0]?.getStart() ?? Infinity;
  const required: CloseKind[] = [];
  if (inTransaction) required.push('end');
  if (o.kind === 'pool-client' || o.kind === 'query-runner') required.push('release');
  const sessionSpan = span(o.node);

  const check = uses.queries.find((q) => q.sql !== null && /^\s*(SELECT|WITH|TABLE)\b/i.test(q.sql) && CATALOG.test(q.sql));
  const fact: SessionFact = { name: o.name, kind: o.kind, label: sessionKindLabel(o.kind, env), span: sessionSpan, inTransaction, leak: null };
  if (check) fact.checkQuery = span(check.call);
  const withFix = (f: SessionFact): SessionFact => {
    const fix = sessionFix(
      {
        name: o.name,
        kind: o.kind,
        node: o.node,
        scope,
        inTransaction,
        txStart: Number.isFinite(txStart) ? txStart : o.node.getStart(),
        begins: uses.begins,
        ends: uses.closes.end,
        releases: uses.closes.release,
        check: check?.call ?? null,
        exitsIn: (from, to) => problemsIn(from, to, o, scope, uses.closes.end, true).map((p) => p.node),
      },
      env,
    );
    if (fix) f.fix = fix;
    return f;
  };

  const missing = required.find((k) => uses.closes[k].length === 0);
  if (missing) {
    fact.leak = { path: 'never-closed', span: sessionSpan, state: missing === 'end' ? 'idle in transaction' : 'idle' };
    return withFix(fact);
  }

  const guards = new Map<CloseKind, Guard | null>();
  const problems: Problem[] = [];
  for (const k of required) {
    const closes = uses.closes[k];
    const guard = guardFor(closes, k, o, scope, env);
    guards.set(k, guard);
    const acqEnd = o.node.getEnd();
    const found: Problem[] = [];
    if (guard) {
      const tryStart = guard.tryStmt.getTryBlock().getStart();
      found.push(...problemsIn(acqEnd, tryStart, o, scope, closes, false));
      if (guard.mode === 'catch') {
        const lastInTry = Math.max(...closes.filter((c) => contains(guard.tryStmt.getTryBlock(), c)).map((c) => c.getStart()));
        found.push(...problemsIn(Math.max(acqEnd, tryStart), lastInTry, o, scope, closes, true));
      }
    } else {
      const last = Math.max(...closes.map((c) => c.getStart()));
      found.push(...problemsIn(acqEnd, last, o, scope, closes, false));
    }
    // Before BEGIN there is no transaction to leave open.
    problems.push(...(k === 'end' ? found.filter((p) => p.node.getStart() > txStart) : found));
  }
  const pick = problems.filter((p) => p.path === 'early-exit').sort(byStart)[0] ?? problems.sort(byStart)[0];
  if (!pick) return fact;
  const at = pick.node.getStart();
  const endGuard = guards.get('end');
  const endSafe =
    !inTransaction ||
    at <= txStart ||
    closedBefore(pick.node, uses.closes.end) ||
    (!!endGuard && contains(endGuard.tryStmt.getTryBlock(), pick.node) && (endGuard.mode === 'finally' || pick.path === 'throw-path'));
  fact.leak = { path: pick.path, span: span(pick.node), state: endSafe ? 'idle' : 'idle in transaction' };
  return withFix(fact);
}

/** A session kind in words, from the framework module that owns it (`FrameworkModule.sessionKinds`). */
function sessionKindLabel(kind: Kind, env: Env): string {
  for (const f of env.frameworks) {
    const label = f.sessionKinds?.[kind];
    if (label) return label;
  }
  return kind;
}

const byStart = (a: Problem, b: Problem) => a.node.getStart() - b.node.getStart();

/** Every session the file opens by hand, with its leak if one was found. */
export function findSessions(env: Env): SessionFact[] {
  return findOpenings(env).map((o) => analyse(o, env));
}

