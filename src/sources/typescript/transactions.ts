/**
 * Transactions the migration code opens itself, for `Statement.codeTransaction`:
 * - a callback a library runs in a transaction it manages:
 *   `knex.transaction(async (trx) => ...)`, `sequelize.transaction(async (t) => ...)`,
 *   TypeORM's `manager.transaction(...)` / `dataSource.transaction(...)`, Kysely's
 *   `db.transaction().execute(async (trx) => ...)`, postgres.js's `sql.begin(async (tx) => ...)`; every statement in the callback
 *   is taken to run on the transaction (an approximation: code may use another
 *   connection there);
 * - a transaction object held in a variable: `const trx = await knex.transaction()`,
 *   `await sequelize.transaction()`, `await db.startTransaction().execute()`, a TypeORM
 *   query runner after `qr.startTransaction()`; statements run through it (`trx.raw`,
 *   `trx.schema...`, `` sql`...`.execute(trx) ``);
 * - Sequelize's `{ transaction: t }` option on a query or builder call.
 */
import type { CallExpression } from 'ts-morph';
import { Node, SyntaxKind } from './morph.js';
import { unwrap } from './literals.js';
import { bindingKey } from './scopes.js';
import { findOpenings } from './sessions.js';
import { methodCall } from './sqlgen.js';
import type { Env } from './types.js';

export const isCallback = (n: Node | undefined) => !!n && (Node.isArrowFunction(n) || Node.isFunctionExpression(n));

/** The callback a call runs inside a managed transaction, or null. */
export function managedCallback(call: CallExpression): Node | null {
  const mc = methodCall(call);
  if (!mc) return null;
  // `begin`: postgres.js's `sql.begin(async (tx) => ...)`.
  const managed = mc.method === 'transaction' || mc.method === 'begin' || (mc.method === 'execute' && Node.isCallExpression(mc.receiver) && methodCall(mc.receiver)?.method === 'transaction');
  return managed ? (call.getArguments().find(isCallback) ?? null) : null;
}

/** The identifier a call chain starts from (`trx` in `trx.schema.createTable(...)`), or null. */
function rootName(n: Node): string | null {
  let cur: Node = n;
  for (;;) {
    if (Node.isPropertyAccessExpression(cur) || Node.isCallExpression(cur) || Node.isNonNullExpression(cur)) cur = cur.getExpression();
    else return Node.isIdentifier(cur) ? cur.getText() : null;
  }
}

/** The identifier passed as a `{ transaction: t }` (or `{ transaction }`) option, or null. */
function transactionOption(args: Node[]): string | null {
  for (const a of args) {
    const o = unwrap(a);
    if (!Node.isObjectLiteralExpression(o)) continue;
    const p = o.getProperty('transaction');
    if (p && Node.isShorthandPropertyAssignment(p)) return p.getName();
    if (p && Node.isPropertyAssignment(p)) {
      const v = p.getInitializer();
      if (v && Node.isIdentifier(v)) return v.getText();
    }
  }
  return null;
}

/** A transaction the code opens, as a statement sees it. */
export interface CodeTransaction {
  /** For messages: the call that opens it (`knex.transaction(...)`, `const trx = await knex.transaction()`). */
  label: string;
  /**
   * Its identity, from the code: the callback's or the opening declaration's offset. Two
   * `knex.transaction(cb)` blocks are two transactions (possibly on two connections) even
   * though their labels are the same.
   */
  key: string;
}

export class CodeTransactions {
  private readonly regions: Array<{ start: number; end: number; label: string }> = [];
  /** Openings that start a transaction, in document order. */
  private readonly opened: Array<{ name: string; start: number; end: number; scope: Node; label: string }> = [];

  /** Whether the file's text spells `transaction` at all. */
  private readonly mentioned: boolean;

  constructor(env: Env) {
    this.mentioned = env.text.includes('transaction');
    // A managed callback is the argument of a `transaction`, `begin` or `transaction().execute` call: a file that spells neither word has none.
    if (/transaction|begin/.test(env.text)) {
      for (const call of env.nodes.ofKind(SyntaxKind.CallExpression)) {
        const cb = managedCallback(call);
        if (cb) this.regions.push({ start: cb.getStart(), end: cb.getEnd(), label: `${call.getExpression().getText()}(...)` });
      }
    }
    const startsTransaction = (name: string) =>
      env.text.includes('startTransaction') &&
      env.nodes.ofKind(SyntaxKind.CallExpression).some((c) => {
        const mc = methodCall(c);
        return mc?.method === 'startTransaction' && mc.receiverText === name;
      });
    for (const o of findOpenings(env)) {
      if (o.opensTransaction || (o.kind === 'query-runner' && startsTransaction(o.name))) {
        const text = o.node.getText().replace(/\s+/g, ' ');
        const scope = o.node.getFirstAncestor((a) => Node.isBlock(a) || Node.isSourceFile(a)) ?? o.node.getSourceFile();
        this.opened.push({ name: o.name, start: o.node.getStart(), end: o.node.getEnd(), scope, label: text.length > 70 ? `${text.slice(0, 67)}...` : text });
      }
    }
  }

  /** The opening a name used at `node` refers to: the last one of that name before it whose block holds it. */
  private named(name: string, node: Node): CodeTransaction | undefined {
    let found: (typeof this.opened)[number] | undefined;
    for (const o of this.opened) {
      if (o.name === name && o.start <= node.getStart() && o.scope.getPos() <= node.getPos() && node.getEnd() <= o.scope.getEnd()) found = o;
    }
    return found ? { label: found.label, key: `${found.name}@${found.start}` } : undefined;
  }

  /** True when `of` gives undefined for every node: nothing opened, and no `{ transaction: t }` option can be written without the word. */
  get idle(): boolean {
    return !this.opened.length && !this.regions.length && !this.mentioned;
  }

  /** The code transaction a query or builder call runs in, or undefined. */
  of(node: Node): CodeTransaction | undefined {
    if (this.idle) return undefined;
    let call: Node | undefined = node;
    if (Node.isTaggedTemplateExpression(node)) {
      // sql`...`.execute(trx)
      const pa = node.getParent();
      call = pa && Node.isPropertyAccessExpression(pa) ? pa.getParent() : undefined;
      const arg = call && Node.isCallExpression(call) ? call.getArguments()[0] : undefined;
      const t = arg && Node.isIdentifier(arg) ? this.named(arg.getText(), node) : undefined;
      if (t) return t;
    }
    const option = Node.isCallExpression(node) ? transactionOption(node.getArguments()) : null;
    if (Node.isCallExpression(node)) {
      const root = rootName(node.getExpression());
      const t = (root ? this.named(root, node) : undefined) ?? (option ? this.named(option, node) : undefined);
      if (t) return t;
    }
    const at = node.getStart();
    let best: { start: number; end: number; label: string } | undefined;
    for (const r of this.regions) if (r.start <= at && node.getEnd() <= r.end && (!best || r.start >= best.start)) best = r;
    if (best) return { label: best.label, key: `callback@${best.start}` };
    // A `{ transaction: t }` naming something this frontend did not see opened (a parameter): its declaration says which.
    return option ? { label: `{ transaction: ${option} }`, key: bindingKey(option, node) } : undefined;
  }
}
