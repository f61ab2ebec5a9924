/**
 * The syntax tree of one open document kept from one lint to the next, so that the next lint
 * parses only what an edit changed (TypeScript's incremental parser, `ts.updateSourceFile`, as
 * editors' TypeScript servers do): the language server keeps one per open document. A tree
 * gives the same nodes, offsets and parse errors as a fresh parse of the text; the update reuses
 * the old tree's unchanged nodes and rewrites their offsets, so the old tree is given up (its
 * unit is no longer alive: see `openSourceFile`). This module loads nothing of the compiler
 * (the command line imports it).
 */
import type { ts as Ts } from 'ts-morph';
import { ambient } from '../../core/ambient.js';

/** The last tree parsed for one document, handed to the next parse of it. */
export class ScriptTrees {
  /** The tree, with the file name and text it was parsed from; null before the first parse or after a failed one. */
  last: { fileName: string; text: string; tree: Ts.SourceFile } | null = null;
}

const current = ambient<ScriptTrees | null>(null);

/** Runs `fn` with `trees` as the document's kept tree for the parses it makes (none: null); nests, restores the outer one. */
export function withScriptTrees<T>(trees: ScriptTrees | null, fn: () => T): T {
  return current.run(trees, fn);
}

/** The kept tree of the document being linted, or null (a batch run: every file parsed afresh). */
export function scriptTrees(): ScriptTrees | null {
  return current.current;
}
