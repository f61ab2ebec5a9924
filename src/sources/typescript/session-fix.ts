/**
 * The fix of a session that migration code leaves open (`no-idle-in-transaction`),
 * computed while the syntax tree is alive:
 *
 * 1. When the session exists only to run a catalog check (acquire, maybe BEGIN,
 *    the check, maybe a close), the check moves to the framework's autocommit
 *    path and the session goes: pg `pool.query(...)` (the pool it was checked out
 *    of), TypeORM the migration's own `queryRunner.query(...)`, knex
 *    `knex.raw(...)`, Sequelize the same query without `{ transaction: t }`,
 *    Kysely `.execute(db)`; in a migrun migration a constraint check becomes
 *    `ctx.check.constraintExists(...)`.
 * 2. Otherwise the statements after the acquisition that use the session are
 *    wrapped in `try { ... } catch (err) { <rollback>; throw err; } finally
 *    { <release> }`, an early exit inside the transaction rolls back first, the
 *    release calls inside move to the `finally`, and a transaction that is never
 *    committed gets its COMMIT at the end of the `try`.
 *
 * The edits keep the file's indentation, quotes, semicolon style and comments
 * (lines inside multi-line literals are not re-indented). When the code does not
 * have the plain shape these edits assume, there is no fix.
 */
import type { Block, CallExpression } from 'ts-morph';
import { Node, SyntaxKind } from './morph.js';
import type { Edit } from '../../core/diagnostic.js';
import type { SessionFact } from '../../core/unit.js';
import { indentUnit, jsString, lineIndent, lineStart, prefersSingleQuotes, startWithComments, usesSemicolons } from './edits.js';
import { sqlSourceOf, unwrap } from './literals.js';
import { methodCall } from './sqlgen.js';
import type { Env } from './types.js';

/** What the session analysis knows, as this module needs it. */
export interface SessionUses {
  name: string;
  kind: SessionFact['kind'];
  /** The variable declaration or assignment that acquires the session. */
  node: Node;
  scope: Node;
  inTransaction: boolean;
  /** Where the transaction starts (the acquisition, or the first BEGIN). */
  txStart: number;
  begins: CallExpression[];
  ends: CallExpression[];
  releases: CallExpression[];
  /** The catalog check query call, if any. */
  check: Node | null;
  /** Early exits inside the transaction that skip its end, in `[from, to)`. */
  exitsIn: (from: number, to: number) => Node[];
}

export interface SessionFix {
  title: string;
  edits: Edit[];
}

const UNSAFE_MOVE = 'unsafe: the check no longer runs on a session of its own, and the lines that opened and closed that session are removed';
const UNSAFE_WRAP = 'unsafe: it changes control flow';

function isFunctionLike(n: Node): boolean {
  return Node.isFunctionDeclaration(n) || Node.isFunctionExpression(n) || Node.isArrowFunction(n) || Node.isMethodDeclaration(n);
}

const contains = (outer: Node, inner: Node) => outer.getStart() <= inner.getStart() && inner.getEnd() <= outer.getEnd();

/** The statement a call is the whole of (`call;` or `await call;`), when that statement sits in a block. */
function soleStatement(call: Node): Node | null {
  let n: Node = call;
  const parent = n.getParent();
  if (parent && Node.isAwaitExpression(parent)) n = parent;
  const stmt = n.getParent();
  if (!stmt || !Node.isExpressionStatement(stmt) || stmt.getExpression() !== n) return null;
  const block = stmt.getParent();
  return block && Node.isBlock(block) ? stmt : null;
}

/** The statement (in a block) that acquires the session. */
function acquisitionStatement(node: Node): Node | null {
  if (Node.isVariableDeclaration(node)) {
    const list = node.getParent();
    const stmt = list?.getParent();
    if (!list || !Node.isVariableDeclarationList(list) || list.getDeclarations().length !== 1 || !stmt || !Node.isVariableStatement(stmt)) return null;
    return stmt.getParent() && Node.isBlock(stmt.getParent()!) ? stmt : null;
  }
  const stmt = node.getParent();
  return stmt && Node.isExpressionStatement(stmt) && stmt.getParent() && Node.isBlock(stmt.getParent()!) ? stmt : null;
}

/** The end of the line holding `offset`, before its line break. */
function lineEnd(text: string, offset: number): number {
  const nl = text.indexOf('\n', offset);
  const end = nl < 0 ? text.length : nl;
  return text[end - 1] === '\r' ? end - 1 : end;
}

/** Deletes a statement with its line when it is alone on it (its own comments before it stay). */
function deleteLine(text: string, stmt: Node): Edit {
  const start = stmt.getStart();
  const end = stmt.getEnd();
  const ls = lineStart(text, start);
  const rest = /^[ \t]*(\r?\n|$)/.exec(text.slice(end));
  if (/^[ \t]*$/.test(text.slice(ls, start)) && rest) return { start: ls, end: end + rest[0].length, text: '' };
  const trailing = /^[ \t]*/.exec(text.slice(end))![0];
  return { start, end: end + trailing.length, text: '' };
}

/** Identifiers naming the session after its acquisition, in the function that acquires it. */
function references(u: SessionUses): Node[] {
  return u.scope.getDescendantsOfKind(SyntaxKind.Identifier).filter((i) => i.getText() === u.name && i.getStart() >= u.node.getEnd());
}

/** The code of the session's operations, in the file's style. */
function operations(u: SessionUses, env: Env) {
  const q = (s: string) => jsString(s, prefersSingleQuotes(env.nodes));
  const n = u.name;
  const newClient = /\bnew\s/.test(u.node.getText());
  // The framework module that owns the session kind writes its code (FrameworkSupport.sessionCode).
  for (const f of env.frameworks) {
    const code = f.sessionCode?.[u.kind];
    if (code) return code(n, q, { newClient });
  }
  return null;
}

/** Whether an end call commits (rather than rolls back). */
function commits(call: CallExpression, env: Env): boolean {
  const m = methodCall(call)?.method ?? '';
  if (m === 'commit' || m === 'commitTransaction') return true;
  if (m !== 'query' && m !== 'raw') return false;
  const src = call.getArguments()[0] ? sqlSourceOf(call.getArguments()[0]!, env.consts) : null;
  const sql = src ? src.pieces.map((p) => (p.kind === 'placeholder' ? '' : p.text)).join('').trim() : '';
  return /^(COMMIT|END)\b/i.test(sql);
}

export function sessionFix(u: SessionUses, env: Env): SessionFix | null {
  return (u.check ? moveCheck(u, env) : null) ?? wrap(u, env);
}

// ---------------------------------------------------------------- 1. move the check

function moveCheck(u: SessionUses, env: Env): SessionFix | null {
  const check = u.check!;
  const acq = acquisitionStatement(u.node);
  if (!acq) return null;
  // Every use of the session is the check, a BEGIN or a close, each a statement of its own.
  const removable = [...u.begins, ...u.ends, ...u.releases];
  const statements: Node[] = [];
  for (const c of removable) {
    const stmt = soleStatement(c);
    if (!stmt) return null;
    statements.push(stmt);
  }
  for (const ref of references(u)) {
    if (!contains(check, ref) && !removable.some((c) => contains(c, ref))) return null;
  }
  const replaced = replaceCheck(u, check, env);
  if (!replaced) return null;
  const edits = [deleteLine(env.text, acq), ...statements.map((s) => deleteLine(env.text, s)), ...replaced.edits];
  return { title: `Run the catalog check through ${replaced.path} and drop \`${u.name}\` (${UNSAFE_MOVE})`, edits: edits.sort((a, b) => a.start - b.start) };
}

/** The receiver the session was acquired from: `pool` of `pool.connect()`, `knex` of `knex.transaction()`, `db` of `db.startTransaction().execute()`. */
export function sourceOf(u: SessionUses): string | null {
  const init = Node.isVariableDeclaration(u.node) ? u.node.getInitializer() : Node.isBinaryExpression(u.node) ? u.node.getRight() : undefined;
  let e = init ? unwrap(init) : undefined;
  if (e && Node.isAwaitExpression(e)) e = unwrap(e.getExpression());
  if (!e || !Node.isCallExpression(e)) return null;
  const mc = methodCall(e);
  if (!mc) return null;
  if (mc.method === 'execute' && Node.isCallExpression(mc.receiver) && methodCall(mc.receiver)?.method === 'startTransaction') {
    return methodCall(mc.receiver)!.receiverText;
  }
  return mc.receiverText;
}

/** The check's new path, for the fix title, and the edits that put it there. */
export interface MovedCheck {
  path: string;
  edits: Edit[];
}

/** The framework modules' own way to move the check (FrameworkSupport.moveCheck): the unit's framework first, then the session kind's owner. */
function replaceCheck(u: SessionUses, check: Node, env: Env): MovedCheck | null {
  if (!Node.isCallExpression(check) || !methodCall(check)) return null;
  const own = env.frameworks.find((f) => f.framework === env.framework);
  const owner = env.frameworks.find((f) => f.sessionKinds && u.kind in f.sessionKinds);
  for (const f of new Set([own, owner])) {
    const moved = f?.moveCheck?.(u, check, env);
    if (moved) return moved;
  }
  // A session kind no module knows how to move a check off: the wrap-in-try fix may still apply.
  return null;
}

// ---------------------------------------------------------------- 2. wrap in try/catch/finally

function wrap(u: SessionUses, env: Env): SessionFix | null {
  const text = env.text;
  const acq = acquisitionStatement(u.node);
  if (!acq) return null;
  const block = acq.getParent() as Block;
  const fn = u.scope;
  if (!isFunctionLike(fn)) return null;
  const async = (fn as unknown as { isAsync(): boolean }).isAsync();
  const ops = operations(u, env);
  if (!ops) return null;
  if (!async && (u.inTransaction || ops.release?.startsWith('await'))) return null;
  const statements = block.getStatements();
  const first = statements.indexOf(acq as never) + 1;
  if (first <= 0 || first >= statements.length) return null;

  // The region: up to the last statement that uses the session or a variable declared in the region.
  let last = -1;
  const refs = references(u);
  for (let k = first; k < statements.length; k++) if (refs.some((r) => contains(statements[k]!, r))) last = k;
  if (last < 0) return null;
  for (let changed = true; changed; ) {
    changed = false;
    const declared = new Set<string>();
    for (let k = first; k <= last; k++) {
      const s = statements[k]!;
      if (Node.isVariableStatement(s)) for (const d of s.getDeclarations()) for (const id of d.getNameNode().getDescendantsOfKind(SyntaxKind.Identifier)) declared.add(id.getText());
      if (Node.isVariableStatement(s)) for (const d of s.getDeclarations()) if (Node.isIdentifier(d.getNameNode())) declared.add(d.getName());
      if (Node.isFunctionDeclaration(s) || Node.isClassDeclaration(s)) if (s.getName()) declared.add(s.getName()!);
    }
    for (let k = last + 1; k < statements.length; k++) {
      if (statements[k]!.getDescendantsOfKind(SyntaxKind.Identifier).some((i) => declared.has(i.getText()))) {
        last = k;
        changed = true;
      }
    }
  }
  const region = statements.slice(first, last + 1);
  const regionStart = lineStart(text, startWithComments(region[0]!));
  if (/\S/.test(text.slice(regionStart, startWithComments(region[0]!)))) return null;
  const endOfLast = region[region.length - 1]!.getEnd();
  const regionEnd = lineEnd(text, endOfLast);
  if (!/^[ \t]*(\/\/.*)?$/.test(text.slice(endOfLast, regionEnd))) return null;

  // Releases inside the region move to the finally; each must be a statement alone on its line.
  const dropLines = new Set<number>();
  for (const r of u.releases) {
    if (r.getStart() < regionStart || r.getStart() >= regionEnd) continue;
    const stmt = soleStatement(r);
    if (!stmt || stmt.getParent() !== block) return null;
    const ls = lineStart(text, stmt.getStart());
    if (/\S/.test(text.slice(ls, stmt.getStart())) || !/^[ \t]*(\/\/.*)?$/.test(text.slice(stmt.getEnd(), lineEnd(text, stmt.getEnd())))) return null;
    dropLines.add(ls);
  }
  if (u.releases.some((r) => r.getStart() >= regionEnd && r.getStart() < block.getEnd())) return null;

  const semi = usesSemicolons(env) ? ';' : '';
  const eol = env.source.eol;
  const unit = indentUnit(text);
  const indent = lineIndent(text, region[0]!.getStart());

  // Early exits inside the transaction roll it back first.
  const before = new Map<number, string>(); // line start -> line inserted before it
  const replace: Edit[] = [];
  if (u.inTransaction) {
    for (const exit of u.exitsIn(Math.max(u.txStart, regionStart), regionEnd)) {
      const parent = exit.getParent();
      const ls = lineStart(text, exit.getStart());
      if (parent && Node.isBlock(parent) && !/\S/.test(text.slice(ls, exit.getStart()))) {
        before.set(ls, `${lineIndent(text, exit.getStart())}${ops.rollback}${semi}`);
      } else if (parent && exit.getText().indexOf('\n') < 0) {
        // `if (x) return;` gets a block; `if (x) { return; }` on one line gets the rollback before the exit.
        const body = `${ops.rollback}; ${exit.getText().replace(/;?$/, ';')}`;
        replace.push({ start: exit.getStart(), end: exit.getEnd(), text: Node.isBlock(parent) ? body : `{ ${body} }` });
      } else return null;
    }
  }

  // Lines inside multi-line literals keep their text.
  const literals = env.nodes.ofKinds(SyntaxKind.NoSubstitutionTemplateLiteral, SyntaxKind.TemplateExpression, SyntaxKind.StringLiteral);
  const insideLiteral = (offset: number) => literals.some((l) => l.getStart() < offset && offset < l.getEnd());

  const hasCommit = u.ends.some((c) => commits(c, env) && c.getStart() >= regionStart && c.getStart() < regionEnd);
  const lines: string[] = [];
  let pos = regionStart;
  while (pos <= regionEnd) {
    const end = lineEnd(text, pos);
    const lineEndAt = Math.min(end, regionEnd);
    let line = text.slice(pos, lineEndAt);
    for (const e of replace.filter((r) => r.start >= pos && r.end <= lineEndAt).sort((a, b) => b.start - a.start)) {
      line = line.slice(0, e.start - pos) + e.text + line.slice(e.end - pos);
    }
    if (!dropLines.has(pos)) {
      const inserted = before.get(pos);
      if (inserted !== undefined) lines.push(unit + inserted);
      if (insideLiteral(pos) || !/\S/.test(line)) lines.push(/\S/.test(line) ? line : '');
      else lines.push(unit + line);
    }
    const nl = text.indexOf('\n', end);
    if (nl < 0 || nl >= regionEnd) break;
    pos = nl + 1;
  }
  while (lines.length && lines[lines.length - 1] === '') lines.pop();
  if (u.inTransaction && !hasCommit) lines.push(`${indent}${unit}${ops.commit}${semi}`);

  const taken = new Set(fn.getDescendantsOfKind(SyntaxKind.Identifier).map((i) => i.getText()));
  const err = ['err', 'error', 'cause', 'failure'].find((n) => !taken.has(n));
  if (!err) return null;
  const out = [`${indent}try {`, ...lines];
  if (u.inTransaction) out.push(`${indent}} catch (${err}) {`, `${indent}${unit}${ops.guardedRollback}${semi}`, `${indent}${unit}throw ${err}${semi}`);
  if (ops.release) out.push(`${indent}} finally {`, `${indent}${unit}${ops.release}${semi}`);
  if (!u.inTransaction && !ops.release) return null;
  out.push(`${indent}}`);
  const shape = u.inTransaction && ops.release ? 'try/catch/finally' : u.inTransaction ? 'try/catch' : 'try/finally';
  const parts = [
    u.inTransaction ? 'roll back and rethrow on failure' : '',
    before.size || replace.length ? 'roll back before an early return' : '',
    u.inTransaction && !hasCommit ? 'commit at the end' : '',
    ops.release ? 'release it on every path' : '',
  ].filter(Boolean);
  return {
    title: `Wrap the uses of \`${u.name}\` in ${shape}: ${parts.join(', ')} (${UNSAFE_WRAP})`,
    edits: [{ start: regionStart, end: regionEnd, text: out.join(eol) }],
  };
}
