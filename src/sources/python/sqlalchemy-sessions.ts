/**
 * Whether SQLAlchemy sessions and connections opened in migration code are ended on
 * every path: the code fact behind `no-idle-in-transaction` for Python.
 *
 * A session's transaction begins at its first `execute` (autobegin) and lasts until the
 * next `commit()` / `rollback()` / `close()` / `remove()` on it in the same function.
 * It leaks when
 * - nothing in that function ends it (`never-closed`, left "idle in transaction");
 * - DDL runs on another connection before it ends (`other-connection`): the seeds'
 *   migration 113, a catalog check on `db.session` and then `CREATE`/`ALTER` through
 *   `engine.begin()`, which waits for the locks the session still holds;
 * - a `return` leaves the function before it ends (`early-exit`).
 * A `conn = engine.connect()` outside a `with` must be closed in its function.
 * The analysis is structural, in document order, not a control-flow graph: a commit in
 * another function the code calls later is not seen.
 */
import type { Edit, Span } from '../../core/diagnostic.js';
import type { SessionFact } from '../../core/unit.js';
import { classify } from '../../sql/classify.js';
import { connectionKey } from '../../sql/context.js';
import { statementOf, wrapStatement } from './edits.js';
import type { PyEnv } from './env.js';
import { sameNode, type PyNode } from './parse.js';
import { methodOf, scopeOf, sqlalchemy, type Handle, type HandleUse, type SqlAlchemyAnalysis } from './sqlalchemy.js';

const CATALOG = /\b(pg_constraint|pg_indexes|pg_index|pg_class|pg_attribute|pg_namespace|pg_tables|pg_type|pg_trigger|pg_views|pg_proc|pg_extension|pg_sequences?|pg_attrdef|information_schema)\b/i;

const span = (n: PyNode): Span => ({ start: n.startIndex, end: n.endIndex });
const label = (kind: string) => sqlalchemy.sessionKinds?.[kind] ?? kind;

/** Nested function bodies inside `scope` (their code does not run where it is written). */
function nestedDefs(scope: PyNode): Span[] {
  return scope.descendantsOfType(['function_definition', 'lambda']).filter((d): d is PyNode => !!d && !sameNode(d, scope)).map(span);
}

const inside = (outer: Span, at: number) => outer.start <= at && at < outer.end;

/** The SessionFacts of every session transaction and unmanaged connection the analysis found. */
export function analyseSessions(a: SqlAlchemyAnalysis, env: PyEnv): SessionFact[] {
  const out: SessionFact[] = [];
  const byKey = new Map<string, HandleUse[]>();
  for (const u of a.uses) {
    if (u.handle.mode === 'engine' || u.handle.mode === 'framework' || u.handle.mode === 'autocommit') continue;
    const key = u.via && u.handle.opening ? `${u.handle.key}@${u.call.startIndex}` : u.handle.key;
    const list = byKey.get(key) ?? [];
    list.push(u);
    byKey.set(key, list);
  }
  for (const [key, uses] of byKey) {
    const h = uses[0]!.handle;
    if (h.mode === 'session' || (h.mode === 'connect' && !h.managed)) out.push(...sessionTransactions(h, key, uses, a, env));
  }
  for (const h of a.handles) {
    if (h.managed || !h.opening || (h.mode !== 'connect' && h.mode !== 'autocommit' && h.mode !== 'begin')) continue;
    const fact = unclosedConnection(h, a.uses.filter((u) => u.handle.key === h.key));
    if (fact) out.push(fact);
  }
  return out;
}

function sessionTransactions(h: Handle, key: string, uses: HandleUse[], a: SqlAlchemyAnalysis, env: PyEnv): SessionFact[] {
  const out: SessionFact[] = [];
  const ownKey = `sqlalchemy:${key}`;
  const begins = a.beginBlocks.get(h.name) ?? [];
  let i = 0;
  while (i < uses.length) {
    const o = uses[i]!;
    if (!o.statements.length) {
      i++;
      continue;
    }
    const scope = scopeOf(o.call);
    const nested = nestedDefs(scope);
    const sameScope = (n: PyNode) => sameNode(scopeOf(n), scope);
    const closeIdx = uses.findIndex((u, j) => j > i && !u.statements.length && sameScope(u.call));
    const close = closeIdx >= 0 ? uses[closeIdx]! : null;
    const managedEnd = h.managed ? h.to : (begins.find((b) => inside(b, o.call.startIndex))?.end ?? null);
    const end = close ? close.call.startIndex : (managedEnd ?? scope.endIndex);
    const first = o.statements[0]!;
    const isCheck = /^\s*(SELECT|WITH|TABLE)\b/i.test(first.sql) && CATALOG.test(first.sql);
    const kind = h.mode === 'session' ? 'sqlalchemy-session' : 'sqlalchemy-connection';
    const fact: SessionFact = { name: h.name, kind, label: label(kind), span: span(o.call), inTransaction: true, leak: null };
    if (isCheck) fact.checkQuery = span(o.call);
    const elsewhere = env.collector.statements.find(
      (s) => s.span.start > o.call.endIndex && s.span.start < end && connectionKey(s) !== ownKey && classify(s.node).class === 'ddl' && !nested.some((d) => inside(d, s.span.start)),
    );
    if (!close && managedEnd === null) {
      // An unmanaged `conn = engine.connect()` never closed is reported once, at its opening (unclosedConnection).
      if (h.mode === 'connect' && !elsewhere) break;
      fact.leak = { path: 'never-closed', span: span(o.call), state: 'idle in transaction' };
    } else if (elsewhere) {
      fact.leak = { path: 'other-connection', span: span(o.call), waiting: { ...elsewhere.span }, state: 'idle in transaction' };
    } else if (!managedEnd) {
      const ret = scope.descendantsOfType('return_statement').find((r) => r && r.startIndex > o.call.endIndex && r.startIndex < end && !nested.some((d) => inside(d, r.startIndex)));
      if (ret) fact.leak = { path: 'early-exit', span: span(ret), state: 'idle in transaction' };
    }
    if (fact.leak) {
      fact.help = isCheck
        ? `Run the catalog check on a short-lived \`with ${engineOf(h)}.connect() as conn:\` (closed, and so rolled back, at the end of the block), or commit \`${h.name}\` right after it.`
        : fact.leak.path === 'other-connection'
          ? `End \`${h.name}\`'s transaction (\`${h.name}.commit()\` or \`rollback()\`) before DDL runs on another connection.`
          : `End the transaction on every path: \`${h.name}.commit()\` (or \`rollback()\`) in the function, e.g. in a \`try\`/\`finally\`, or open it with \`with ${h.mode === 'session' ? 'Session(engine) as session, session.begin()' : 'engine.begin() as conn'}:\`.`;
      const fix = isCheck && h.mode === 'session' && i === firstExecute(uses) ? checkFix(o, h, env) : null;
      if (fix) fact.fix = fix;
      out.push(fact);
    }
    i = closeIdx >= 0 ? closeIdx + 1 : uses.length;
  }
  return out;
}

const firstExecute = (uses: HandleUse[]) => uses.findIndex((u) => u.statements.length > 0);

/** `conn = engine.connect()` that its function never closes. */
function unclosedConnection(h: Handle, uses: HandleUse[]): SessionFact | null {
  const opening = h.opening!;
  const scope = scopeOf(opening);
  const closes = uses.filter((u) => u.method === 'close' && sameNode(scopeOf(u.call), scope));
  if (closes.length) return null;
  const executes = uses.filter((u) => u.statements.length > 0);
  const lastExec = executes.at(-1);
  const committed = !!lastExec && uses.some((u) => (u.method === 'commit' || u.method === 'rollback') && u.call.startIndex > lastExec.call.startIndex);
  const inTx = h.mode === 'connect' && !!lastExec && !committed;
  return {
    name: h.name,
    kind: 'sqlalchemy-connection',
    label: label('sqlalchemy-connection'),
    span: span(opening),
    inTransaction: inTx,
    leak: { path: 'never-closed', span: span(opening), state: inTx ? 'idle in transaction' : 'idle' },
    help: `Open it with \`with ${h.engine ?? 'engine'}.${h.mode === 'begin' ? 'begin' : 'connect'}() as ${h.name}:\`, which closes it at the end of the block, or call \`${h.name}.close()\` in a \`finally\`.`,
  };
}

/** The engine behind a session: Flask-SQLAlchemy's `db.engine` for `db.session`, else the session's bind. */
function engineOf(h: Handle): string {
  const m = /^(.*)\.session$/.exec(h.name);
  return m ? `${m[1]}.engine` : `${h.name}.get_bind()`;
}

/**
 * Moves the check onto a short-lived connection: the statement holding the execute is
 * wrapped in `with <engine>.connect() as conn:` and runs on `conn`. Lines inside string
 * literals keep their text (the SQL is not re-indented).
 */
function checkFix(o: HandleUse, h: Handle, env: PyEnv): { title: string; edits: Edit[] } | null {
  const stmt = statementOf(o.call);
  const m = methodOf(o.call);
  if (!stmt || !m || (stmt.type !== 'expression_statement' && stmt.type !== 'return_statement')) return null;
  const conn = /\bconn\b/.test(scopeOf(o.call).text) ? 'check_conn' : 'conn';
  const engine = engineOf(h);
  const wrap = wrapStatement(stmt, `with ${engine}.connect() as ${conn}`, env);
  if (!wrap) return null;
  return {
    title: `Run the catalog check on a short-lived \`with ${engine}.connect() as ${conn}:\` (closed and rolled back at the end of the block, so no transaction is left open) (unsafe: the check runs on another connection, so it no longer sees what \`${h.name}\` has not committed)`,
    edits: [...wrap, { start: m.recv.startIndex, end: m.recv.endIndex, text: conn }],
  };
}
