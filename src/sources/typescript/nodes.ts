/**
 * Every node of the file, wrapped once, in document order: the analyses filter
 * this list instead of walking the tree again (each ts-morph walk costs about
 * as much as the parse).
 */
import type { KindToNodeMappings, SourceFile } from 'ts-morph';
import { Node, type SyntaxKind } from './morph.js';

export class NodeIndex {
  readonly all: Node[] = [];
  private readonly index = new Map<Node, number>();
  private readonly byKind = new Map<SyntaxKind, Node[]>();

  constructor(sf: SourceFile) {
    sf.forEachDescendant((n) => {
      this.index.set(n, this.all.length);
      this.all.push(n);
      const kind = n.getKind();
      const list = this.byKind.get(kind);
      if (list) list.push(n);
      else this.byKind.set(kind, [n]);
    });
  }

  /** Nodes of one kind, in document order. */
  ofKind<K extends SyntaxKind>(kind: K): Array<KindToNodeMappings[K]> {
    return (this.byKind.get(kind) ?? []) as Array<KindToNodeMappings[K]>;
  }

  /** The descendants of `node`, in document order (a contiguous run of the pre-order list). */
  within(node: Node): Node[] {
    if (Node.isSourceFile(node)) return this.all;
    const i = this.index.get(node);
    if (i === undefined) return [];
    const end = node.getEnd();
    let j = i + 1;
    while (j < this.all.length && this.all[j]!.getPos() < end) j++;
    return this.all.slice(i + 1, j);
  }

  /** Descendants of `node` of one kind. */
  withinOfKind<K extends SyntaxKind>(node: Node, kind: K): Array<KindToNodeMappings[K]> {
    return this.within(node).filter((n) => n.getKind() === kind) as Array<KindToNodeMappings[K]>;
  }
}
