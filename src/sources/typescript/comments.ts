/**
 * Every `//` and `/* *\/` comment of a script, for suppressions such as
 * `// miglint-ignore <rule-id>: reason`. String, template and regular
 * expression literals are taken from the syntax tree so that `//` inside them
 * is never mistaken for a comment.
 */
import type { SourceFile, ts as TS } from 'ts-morph';
import { ts, type SyntaxKind } from './morph.js';
import type { NodeIndex } from './nodes.js';
import type { Comment } from '../../core/unit.js';

const OPAQUE = new Set<TS.SyntaxKind>([
  ts.SyntaxKind.StringLiteral,
  ts.SyntaxKind.NoSubstitutionTemplateLiteral,
  ts.SyntaxKind.TemplateHead,
  ts.SyntaxKind.TemplateMiddle,
  ts.SyntaxKind.TemplateTail,
  ts.SyntaxKind.RegularExpressionLiteral,
  ts.SyntaxKind.JsxText,
]);

/** Ranges of literal tokens (leaves of the tree: the index holds them all), in file order. */
function opaqueRanges(sf: TS.SourceFile, nodes: NodeIndex): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  for (const kind of OPAQUE) for (const n of nodes.rawOfKind(kind as number as SyntaxKind)) out.push([n.getStart(sf), n.getEnd()]);
  return out.sort((a, b) => a[0] - b[0]);
}

/** The comments of the file, in file order, each with its text and span (UTF-16 offsets). */
export function scriptComments(sf: SourceFile, nodes: NodeIndex): Comment[] {
  const text = sf.getFullText();
  const out: Comment[] = [];
  let i = text.startsWith('#!') ? text.indexOf('\n') + 1 || text.length : 0;
  // Every comment starts with a `/`: a file with none past its `#!` line has no comments, and its literals need not be located.
  if (text.indexOf('/', i) < 0) return out;
  const skip = opaqueRanges(sf.compilerNode, nodes);
  let k = 0;
  while (i < text.length) {
    while (k < skip.length && skip[k]![1] <= i) k++;
    const range = skip[k];
    if (range && range[0] <= i) {
      i = range[1];
      continue;
    }
    const next = range ? range[0] : text.length;
    const slash = text.indexOf('/', i);
    if (slash < 0 || slash >= next) {
      i = next;
      continue;
    }
    const c = text[slash + 1];
    if (c === '/') {
      let end = slash + 2;
      while (end < text.length && text[end] !== '\n' && text[end] !== '\r' && text[end] !== '\u2028' && text[end] !== '\u2029') end++;
      out.push({ text: text.slice(slash, end), span: { start: slash, end } });
      i = end;
    } else if (c === '*') {
      const close = text.indexOf('*/', slash + 2);
      const end = close < 0 ? text.length : close + 2;
      out.push({ text: text.slice(slash, end), span: { start: slash, end } });
      i = end;
    } else i = slash + 1;
  }
  return out;
}
