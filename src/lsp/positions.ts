/**
 * LSP positions: 0-based line and a character offset counted in the encoding the
 * client and server agreed on at `initialize` (`positionEncoding`, LSP 3.17):
 * UTF-16 code units (the protocol's default) or UTF-8 bytes. miglint's spans are
 * UTF-16 offsets into the text (see `SourceText`); these functions are the one place
 * where the two meet.
 */
import type { Position, Range } from 'vscode-languageserver';
import type { SourceText } from '../core/source-text.js';

export type PositionEncoding = 'utf-16' | 'utf-8';

/**
 * Chooses the encoding from the client's `general.positionEncodings` (most preferred
 * first): UTF-8 when the client lists it first, else UTF-16, which every client supports.
 */
export function negotiateEncoding(offered: readonly string[] | undefined): PositionEncoding {
  return offered?.[0] === 'utf-8' ? 'utf-8' : 'utf-16';
}

/** The LSP position of a UTF-16 offset into `source`'s text. */
export function toLspPosition(source: SourceText, offset: number, encoding: PositionEncoding): Position {
  const { line, column } = source.positionAt(offset);
  if (encoding === 'utf-16') return { line: line - 1, character: column - 1 };
  return { line: line - 1, character: Buffer.byteLength(source.lineText(line).slice(0, column - 1), 'utf8') };
}

/** The LSP range of a UTF-16 span `[start, end)`. */
export function toLspRange(source: SourceText, span: { start: number; end: number }, encoding: PositionEncoding): Range {
  return { start: toLspPosition(source, span.start, encoding), end: toLspPosition(source, span.end, encoding) };
}

/**
 * The UTF-16 offset of an LSP position. A character past the end of its line clamps
 * to the line's end; a UTF-8 offset inside a character's bytes rounds up to the next
 * character (the protocol forbids such positions, clients still send them).
 */
export function fromLspPosition(source: SourceText, pos: Position, encoding: PositionEncoding): number {
  const lineNo = Math.min(pos.line + 1, source.lineCount);
  const lineStart = source.offsetAt({ line: lineNo, column: 1 });
  const text = source.lineText(lineNo);
  if (encoding === 'utf-16') return lineStart + Math.min(pos.character, text.length);
  let bytes = 0;
  let units = 0;
  for (const ch of text) {
    if (bytes >= pos.character) break;
    bytes += Buffer.byteLength(ch, 'utf8');
    units += ch.length;
  }
  return lineStart + units;
}
