/** Method-call chains: `t.string('x').notNullable()`, `db.schema.createIndex('i').on('t').execute()`. */
import type { CallExpression } from 'ts-morph';
import { Node } from './morph.js';
import { methodCall } from './sqlgen.js';

export interface Link {
  method: string;
  args: Node[];
  /** The link's call (`.where('a', 1)` of the chain). */
  call: CallExpression;
}

/** Whether `call` is the last call of its chain (its result is not called on). */
export function isOutermost(call: CallExpression): boolean {
  const pa = call.getParent();
  const next = pa?.getParent();
  return !(pa && Node.isPropertyAccessExpression(pa) && next && Node.isCallExpression(next) && next.getExpression() === pa);
}

/** The links of the chain starting at `first` (`t.string('x')`), first link first, and its outermost call. */
export function chainFrom(first: CallExpression): { links: Link[]; outer: CallExpression } {
  const links: Link[] = [];
  let call: CallExpression = first;
  for (;;) {
    const mc = methodCall(call);
    if (mc) links.push({ method: mc.method, args: call.getArguments(), call });
    if (isOutermost(call)) return { links, outer: call };
    call = call.getParentOrThrow().getParentOrThrow() as CallExpression;
  }
}

/** The links of the chain ending at `outer`, first link first, and what the first link is called on. */
export function chainDown(outer: CallExpression): { links: Link[]; base: Node } {
  const links: Link[] = [];
  let cur: Node = outer;
  while (Node.isCallExpression(cur)) {
    const callee = cur.getExpression();
    if (!Node.isPropertyAccessExpression(callee)) break;
    links.unshift({ method: callee.getName(), args: cur.getArguments(), call: cur });
    cur = callee.getExpression();
  }
  return { links, base: cur };
}
