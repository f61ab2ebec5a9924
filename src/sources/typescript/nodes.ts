/**
 * Every node of the file in document order, indexed by kind: the analyses ask for the nodes
 * of the kinds they read instead of walking the tree again (each ts-morph walk costs about as
 * much as the parse). The index holds the compiler's nodes; a ts-morph wrapper is made only for
 * a node an analysis asks for (wrapping every node, and forgetting them all when the file is
 * released, was a fifth of a re-lint).
 */
import type { KindToNodeMappings, SourceFile, ts as Ts } from 'ts-morph';
import { SYNTAX_DEPTH_LIMIT, type LimitHit } from './depth.js';
import { Node, ts, type SyntaxKind } from './morph.js';

/** The wrapper of a compiler node of the same file as `near` (ts-morph's own factory: the same object however it is reached). */
export function wrapperOf(near: Node, n: Ts.Node): Node {
  return (near as unknown as { _getNodeFromCompilerNode(n: Ts.Node): Node })._getNodeFromCompilerNode(n);
}

export class NodeIndex {
  private readonly raw: Ts.Node[] = [];
  /**
   * Each node's index, kept only for a tree whose nodes' `pos` do not rise in document order at
   * every step (none the parser makes has been seen): otherwise a node is found by a binary
   * search on `pos` (a map of every node of every file was a tenth of the indexing's cost).
   */
  private at: Map<Ts.Node, number> | null = null;
  private readonly byKind = new Map<SyntaxKind, number[]>();
  private readonly wrapped: (Node | undefined)[] = [];
  private readonly kindCache = new Map<SyntaxKind, Node[]>();

  /**
   * The first node (in document order) more than `depthLimit` levels below the file (the
   * file's children are one level below it); null when the tree stays within the limit.
   */
  readonly deep: LimitHit | null = null;

  constructor(
    private readonly sf: SourceFile,
    depthLimit = SYNTAX_DEPTH_LIMIT,
  ) {
    // Pre-order, without recursion (a deeply nested file does not overflow the stack).
    const stack: Ts.Node[] = [];
    /** The level of each node on `stack` (the file's children are at 1). */
    const levels: number[] = [];
    const kids: Ts.Node[] = [];
    const collect = (c: Ts.Node) => {
      kids.push(c);
    };
    const pushChildren = (n: Ts.Node, level: number) => {
      kids.length = 0;
      ts.forEachChild(n, collect);
      for (let i = kids.length - 1; i >= 0; i--) {
        stack.push(kids[i]!);
        levels.push(level);
      }
    };
    const file = sf.compilerNode;
    pushChildren(file, 1);
    let ordered = true;
    while (stack.length) {
      const n = stack.pop()!;
      const level = levels.pop()!;
      if (level > depthLimit && !this.deep) this.deep = { offset: n.getStart(file), limit: depthLimit, what: 'syntax' };
      const i = this.raw.length;
      if (i > 0 && n.pos < this.raw[i - 1]!.pos) ordered = false;
      this.raw.push(n);
      const list = this.byKind.get(n.kind as number as SyntaxKind);
      if (list) list.push(i);
      else this.byKind.set(n.kind as number as SyntaxKind, [i]);
      pushChildren(n, level + 1);
    }
    if (!ordered) this.at = new Map(this.raw.map((n, i) => [n, i]));
  }

  /** The index of one of the file's nodes in `raw`, or undefined for a node the index does not hold. */
  private indexOf(n: Ts.Node): number | undefined {
    if (this.at) return this.at.get(n);
    const raw = this.raw;
    // The first node at or after n's `pos`, then along the nodes that start there too (a node and its first descendants).
    let lo = 0;
    let hi = raw.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (raw[mid]!.pos < n.pos) lo = mid + 1;
      else hi = mid;
    }
    for (let k = lo; k < raw.length && raw[k]!.pos === n.pos; k++) if (raw[k] === n) return k;
    return undefined;
  }

  /** The compiler's node of the file. */
  get file(): Ts.SourceFile {
    return this.sf.compilerNode;
  }

  private wrap(i: number): Node {
    let w = this.wrapped[i];
    // The file's own wrapper factory, so a node is the same object however it is reached.
    if (!w) w = this.wrapped[i] = wrapperOf(this.sf, this.raw[i]!);
    return w;
  }

  /** The wrapper of one of the file's compiler nodes (the same object however it is reached). */
  node(n: Ts.Node): Node {
    const i = this.indexOf(n);
    return i === undefined ? wrapperOf(this.sf, n) : this.wrap(i);
  }

  /** Nodes of one kind, in document order. */
  ofKind<K extends SyntaxKind>(kind: K): Array<KindToNodeMappings[K]> {
    let list = this.kindCache.get(kind);
    if (!list) this.kindCache.set(kind, (list = (this.byKind.get(kind) ?? []).map((i) => this.wrap(i))));
    return list as Array<KindToNodeMappings[K]>;
  }

  /** The compiler's nodes of one kind, in document order (no wrappers made). */
  rawOfKind(kind: SyntaxKind): Ts.Node[] {
    return (this.byKind.get(kind) ?? []).map((i) => this.raw[i]!);
  }

  /** Nodes of any of these kinds, in document order. */
  ofKinds(...kinds: SyntaxKind[]): Node[] {
    return kinds
      .flatMap((k) => this.byKind.get(k) ?? [])
      .sort((a, b) => a - b)
      .map((i) => this.wrap(i));
  }

  /**
   * Nodes of any of these kinds that pass `keep`, a test of the compiler's node (cheaper than a
   * wrapper: only the nodes kept get one), in document order.
   */
  ofKindsWhere(kinds: SyntaxKind[], keep: (n: Ts.Node) => boolean): Node[] {
    return this.indexesWhere(kinds, keep).map((i) => this.wrap(i));
  }

  /** The compiler's nodes of any of these kinds that pass `keep`, in document order (no wrappers made). */
  rawOfKindsWhere(kinds: SyntaxKind[], keep: (n: Ts.Node) => boolean): Ts.Node[] {
    return this.indexesWhere(kinds, keep).map((i) => this.raw[i]!);
  }

  private indexesWhere(kinds: SyntaxKind[], keep: (n: Ts.Node) => boolean): number[] {
    return kinds
      .flatMap((k) => this.byKind.get(k) ?? [])
      .filter((i) => keep(this.raw[i]!))
      .sort((a, b) => a - b);
  }

  /** Descendants of `node` of one kind. */
  withinOfKind<K extends SyntaxKind>(node: Node, kind: K): Array<KindToNodeMappings[K]> {
    if (Node.isSourceFile(node)) return this.ofKind(kind);
    const i = this.indexOf(node.compilerNode);
    if (i === undefined) return [];
    const end = node.getEnd();
    const out: Node[] = [];
    for (let k = i + 1; k < this.raw.length && this.raw[k]!.pos < end; k++) if ((this.raw[k]!.kind as number) === (kind as number)) out.push(this.wrap(k));
    return out as Array<KindToNodeMappings[K]>;
  }
}
