/**
 * How a file is parsed: TypeScript's own parser (`ts.createSourceFile`, parent pointers set,
 * ESNext), the tree then given a ts-morph wrapper of its own (`createWrappedNode`: no project,
 * no file system, no language service, no type checker), so that a file costs a parse. The
 * analysis never asks for types or symbols, and its edits are text spans, not ts-morph
 * manipulations. The wrapper is dropped whole when the file is released: removing the file
 * from a shared project instead makes ts-morph visit and forget every node wrapper the analysis
 * made (a tenth of a re-lint of a 500-line TypeORM file). A ts-morph `Project` per file (an
 * in-memory file system, a language service, a directory cache) cost about a third as much
 * again as the parse; the tree is the one the project made (same parser, target and flags).
 * Where the language server keeps a document's last tree (`script-trees.ts`), the next text of
 * the document is parsed incrementally from it.
 */
import type { SourceFile, ts as Ts } from 'ts-morph';
import { createWrappedNode, ScriptKind, ts } from './morph.js';
import { scriptTrees } from './script-trees.js';

/** The one range where `next` differs from `old` (their common start and end left out), for the incremental parser. */
function changeRange(old: string, next: string): Ts.TextChangeRange {
  const shorter = Math.min(old.length, next.length);
  let start = 0;
  while (start < shorter && old.charCodeAt(start) === next.charCodeAt(start)) start++;
  let oldEnd = old.length;
  let newEnd = next.length;
  while (oldEnd > start && newEnd > start && old.charCodeAt(oldEnd - 1) === next.charCodeAt(newEnd - 1)) {
    oldEnd--;
    newEnd--;
  }
  return ts.createTextChangeRange(ts.createTextSpan(start, oldEnd - start), newEnd - start);
}

function scriptKind(file: string): ScriptKind {
  const lower = file.toLowerCase();
  if (/\.(c|m)?js$/.test(lower)) return ScriptKind.JS;
  if (lower.endsWith('.tsx')) return ScriptKind.TSX;
  if (lower.endsWith('.jsx')) return ScriptKind.JSX;
  return ScriptKind.TS;
}

/**
 * The TypeScript parser ran out of call stack on a file (it recurses once per
 * nesting level of most constructs). `depth.ts` keeps bracket nesting far from
 * that point; this covers what brackets do not count (thousands of chained
 * `=>`, `? :` or `!`). The parser starts afresh on the next file.
 */
export class ParserStackError extends Error {
  constructor() {
    super('the TypeScript parser ran out of call stack');
    this.name = 'ParserStackError';
  }
}

/** Whether `e` is V8's stack overflow (not another RangeError such as an invalid array length). */
export function isStackOverflow(e: unknown): boolean {
  return e instanceof RangeError && /call stack/i.test(e.message);
}

/** Whether a file is parsed with JSX syntax. */
export function isJsx(file: string): boolean {
  return /\.[jt]sx$/i.test(file);
}

/** A parsed file kept alive for later questions: `alive()` until `release()` or the next file opened. */
export interface OpenSourceFile {
  sf: SourceFile;
  /** Whether the tree can still be read (not released, not overwritten by a later file). */
  alive: () => boolean;
  /** Ends the file's life (its tree is left to the garbage collector); idempotent. */
  release: () => void;
}

let generation = 0;

/**
 * Parses `text` as the file `file` into a tree of its own (from the document's last tree when
 * one is kept: `withScriptTrees`). The file is alive until `release()`, or until the next call
 * opens another file, whichever comes first; its nodes must not be read after that (`alive()`
 * says whether they can: the next parse of the same document rewrites them).
 * @throws ParserStackError when the parser runs out of call stack.
 */
export function openSourceFile(file: string, text: string): OpenSourceFile {
  const ext = /\.[cm]?[jt]sx?$/i.exec(file)?.[0]?.toLowerCase() ?? '.ts';
  // ts-morph drops a byte order mark, which would shift every offset by one: hide it behind a space instead.
  const source = text.charCodeAt(0) === 0xfeff ? ` ${text.slice(1)}` : text;
  const mine = ++generation;
  const fileName = `/miglint/migration${ext}`;
  // The document's last tree is given up whatever happens: an update rewrites its nodes.
  const trees = scriptTrees();
  const last = trees?.last;
  if (trees) trees.last = null;
  let sf: SourceFile;
  try {
    // A tree a type checker bound (its nodes carry symbols) is not updated: the file is parsed afresh.
    const compiled =
      last && last.fileName === fileName && (last.tree as { locals?: unknown }).locals === undefined
        ? ts.updateSourceFile(last.tree, source, changeRange(last.text, source))
        : ts.createSourceFile(fileName, source, ts.ScriptTarget.ESNext, true, scriptKind(file));
    if (trees) trees.last = { fileName, text: source, tree: compiled };
    sf = createWrappedNode(compiled) as SourceFile;
  } catch (e) {
    if (isStackOverflow(e)) throw new ParserStackError();
    throw e;
  }
  let released = false;
  return {
    sf,
    alive: () => !released && generation === mine,
    release: () => {
      released = true;
    },
  };
}
