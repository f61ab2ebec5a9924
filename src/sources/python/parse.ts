/**
 * The Python parser: web-tree-sitter with the tree-sitter-python grammar (the
 * `.wasm` that ships inside the `tree-sitter-python` package; both pinned, the
 * grammar's ABI 15 is in the runtime's range). Loaded once, lazily, the first
 * time a `.py` file is linted (`preparePython`), so SQL and TS runs never pay for it.
 *
 * Offsets: the text is handed to tree-sitter as a JavaScript string, which it reads
 * as UTF-16, so `startIndex`/`endIndex` are already UTF-16 code unit offsets into
 * the file (what `SourceText`, spans and editors count) and need no mapping; the
 * one UTF-8 byte mapping (`Utf8OffsetMap`, src/core/source-text.ts) stays the SQL
 * layer's. test/python-parse.test.ts checks this after Hebrew and emoji lines.
 */
import { createRequire } from 'node:module';
import type { Language, Node as TsNode, Parser, Tree } from 'web-tree-sitter';
import type { SyntaxErrorFact } from '../../core/unit.js';

export type PyNode = TsNode;

/** Every kind of per-node value made (`nodeMemo`), for `deleteTree`. */
const SLOTS: NodeMemo<unknown>[] = [];

let loading: Promise<void> | null = null;
let parser: Parser | null = null;

/**
 * Loads the tree-sitter runtime and the Python grammar (about 20-40 ms, once per process).
 * @throws Error when the runtime or the grammar cannot be loaded (a broken install).
 */
export function preparePython(): Promise<void> {
  loading ??= (async () => {
    const require = createRequire(import.meta.url);
    const ts = (await import('web-tree-sitter')) as typeof import('web-tree-sitter');
    // Emscripten's module factory makes the object it is given the module (MODULARIZE): its heap readers are then ours to replace.
    const binding: Partial<HeapAccess> = {};
    await ts.Parser.init(binding);
    fastWordAccess(binding);
    const language: Language = await ts.Language.load(require.resolve('tree-sitter-python/tree-sitter-python.wasm'));
    const p = new ts.Parser();
    p.setLanguage(language);
    parser = p;
  })();
  return loading;
}

/** The part of the Emscripten module of web-tree-sitter that its JavaScript reads and writes the WebAssembly memory with. */
interface HeapAccess {
  getValue(ptr: number, type?: string): number;
  setValue(ptr: number, value: number, type?: string): void;
  /** The memory as 32-bit words; a new view once the memory grows (the old one is then detached, 0 bytes long). */
  HEAP32: Int32Array;
}

/**
 * Replaces the module's `getValue`/`setValue` for `i32` (all but two of web-tree-sitter's reads and
 * writes: a node's five words on each call into the WebAssembly, each node handed back, each
 * child count) with a load or store of the heap's 32-bit view: Emscripten's versions test the
 * type's name (`endsWith("*")`, then a switch) and go through a little-endian DataView on every
 * call, which over 310 migrations was about 3% of a run. Other types keep Emscripten's. Only on a
 * little-endian machine (where the view's words are the DataView's); leaves a module of another
 * shape alone.
 */
function fastWordAccess(m: Partial<HeapAccess>): void {
  const { getValue: get, setValue: set } = m;
  if (typeof get !== 'function' || typeof set !== 'function' || !(m.HEAP32 instanceof Int32Array)) return;
  if (new Uint8Array(Uint32Array.of(1).buffer)[0] !== 1) return;
  let heap = m.HEAP32;
  const words = (): Int32Array => (heap.byteLength !== 0 ? heap : (heap = m.HEAP32!));
  m.getValue = (ptr: number, type = 'i8') => (type === 'i32' ? words()[ptr >> 2]! : get(ptr, type));
  m.setValue = (ptr: number, value: number, type = 'i8') => {
    if (type === 'i32') words()[ptr >> 2] = value;
    else set(ptr, value, type);
  };
}

/** Whether the grammar has an anonymous node type (a token such as a keyword) named as one of `types`. */
function hasAnonymous(language: Language, types: readonly string[]): boolean {
  const names = new Set(types);
  for (let id = 0; id < language.types.length; id++) if (names.has(language.types[id]!) && !language.nodeTypeIsNamed(id)) return true;
  return false;
}

/** Whether `preparePython` has finished. */
export function pythonReady(): boolean {
  return parser !== null;
}

/**
 * Parses Python source. The caller must `deleteTree()` the tree when done (it lives in the wasm heap).
 * @throws Error when `preparePython` has not finished, or tree-sitter gives up (it returns no tree).
 */
export function parsePython(text: string): Tree {
  if (!parser) throw new Error('parsePython: call preparePython() first');
  const tree = parser.parse(text);
  if (!tree) throw new Error('parsePython: tree-sitter returned no tree');
  return tree;
}

/**
 * The first place tree-sitter could not read as Python (an ERROR node, or a MISSING token
 * it had to invent), in document order, as a syntax error; null when the tree is clean.
 */
export function firstSyntaxError(root: PyNode): SyntaxErrorFact | null {
  if (!root.hasError) return null;
  let n: PyNode = root;
  // Descend to the earliest error: the first child that is or holds one, until the node itself is it.
  for (;;) {
    if (n.isMissing) return { message: `invalid Python: \`${n.type}\` expected here`, offset: n.startIndex, language: 'script' };
    if (n.isError && !kids(n).some((c) => c.hasError)) break;
    const next: PyNode | undefined = kids(n).find((c) => c.hasError || c.isMissing);
    if (!next) break;
    n = next;
  }
  const text = n.text.split(/\r?\n/)[0]!.trim().slice(0, 40);
  return { message: `invalid Python syntax${text ? ` at \`${text}\`` : ''}`, offset: n.startIndex, language: 'script' };
}

/**
 * A description of the first Python syntax problem in `text`, or null when it parses
 * (for refusing to write a fix that breaks the file).
 * @throws Error when `preparePython` has not finished.
 */
export function pythonSyntaxProblem(text: string): string | null {
  const tree = parsePython(text);
  try {
    return firstSyntaxError(tree.rootNode)?.message ?? null;
  } finally {
    deleteTree(tree);
  }
}

/** A node's children, in order. Shared per node: do not change it. */
export function kids(n: PyNode): readonly PyNode[] {
  return perNode(KIDS, n, kidsUncached);
}
const KIDS = nodeMemo<readonly PyNode[]>();
function kidsUncached(n: PyNode): readonly PyNode[] {
  return n.children.filter((c): c is PyNode => c !== null);
}

/**
 * Whether two nodes are the same node of the tree: web-tree-sitter hands out a new
 * object on every access (`parent`, `children`, `descendantsOfType`), so `===` is wrong.
 */
export function sameNode(a: PyNode | null | undefined, b: PyNode | null | undefined): boolean {
  return !!a && !!b && a.id === b.id;
}

/** One kind of value `perNode` keeps (a node's children, a call's arguments, ...): its memo per tree, the last tree's at hand. */
export interface NodeMemo<T> {
  trees: WeakMap<Tree, Map<number, T>>;
  /** The tree last read, and its memo: the analyses read one tree at a time. */
  tree: Tree | null;
  memo: Map<number, T>;
}

/** A new kind of per-node value for `perNode` (made once, at module level). */
export function nodeMemo<T>(): NodeMemo<T> {
  const slot: NodeMemo<T> = { trees: new WeakMap(), tree: null, memo: new Map() };
  SLOTS.push(slot as NodeMemo<unknown>);
  return slot;
}

/**
 * Deletes a tree (frees its WebAssembly memory) and drops what `perNode` kept of it. Left to the
 * weak maps, a tree's memos (and the node objects in them, with what each has read) would live
 * on until a full garbage collection: the young generation's collections copied them again and
 * again (a weak map's key that has left the young generation is not collected there).
 */
export function deleteTree(tree: Tree): void {
  for (const slot of SLOTS) {
    slot.trees.delete(tree);
    if (slot.tree === tree) {
      slot.tree = null;
      slot.memo = new Map();
    }
  }
  tree.delete();
}

/**
 * Per-tree memo of values computed from one node (by node id), for the readers that many
 * analyses call on the same nodes (`named`, a call's arguments): each computation crosses into
 * the WebAssembly for every child and makes a JavaScript object per node. Kept by the `Tree`
 * object, so a memo goes with its tree (ids are heap addresses, reused after `delete()`).
 */
export function perNode<T>(slot: NodeMemo<T>, n: PyNode, make: (n: PyNode) => T): T {
  const tree = n.tree;
  let memo = slot.memo;
  if (tree !== slot.tree) {
    memo = slot.trees.get(tree) ?? new Map<number, T>();
    slot.trees.set(tree, memo);
    slot.tree = tree;
    slot.memo = memo;
  }
  const id = n.id;
  const hit = memo.get(id);
  if (hit !== undefined || memo.has(id)) return hit as T;
  const v = make(n);
  memo.set(id, v);
  return v;
}

/** A node's named children (no punctuation), skipping comments. Shared per node: do not change it. */
export function named(n: PyNode): readonly PyNode[] {
  return perNode(NAMED, n, namedUncached);
}
const NAMED = nodeMemo<readonly PyNode[]>();
function namedUncached(n: PyNode): readonly PyNode[] {
  return n.namedChildren.filter((c): c is PyNode => c !== null && c.type !== 'comment');
}

/**
 * The named nodes of some types under `root` (itself included), in document order, from one
 * walk inside the parser's WebAssembly (`descendantsOfType`): a JavaScript node object is made
 * only for the nodes of these types. (Walking with a cursor and keeping every named node cost
 * a tenth of a Python run: each cursor step and each node object is a call across into the
 * WebAssembly.) `byType` says where each type stands in `all`.
 */
export function nodesOfTypes(root: PyNode, types: readonly string[]): { all: PyNode[]; byType: Map<string, number[]> } {
  const all: PyNode[] = [];
  const byType = new Map<string, number[]>();
  if (types.length === 0) return { all, byType };
  // A name may stand for an anonymous token too (a keyword); only named nodes are wanted. Asked of
  // each node (a call into the WebAssembly) only when the grammar has such a token for one of the names.
  const anonymous = hasAnonymous(root.tree.language, types);
  for (const n of root.descendantsOfType([...types])) {
    if (!n || (anonymous && !n.isNamed)) continue;
    const type = n.type;
    const at = byType.get(type);
    if (at) at.push(all.length);
    else byType.set(type, [all.length]);
    all.push(n);
  }
  return { all, byType };
}
