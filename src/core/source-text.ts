/**
 * Source text with offset ↔ line/column conversion and the one place where
 * UTF-8 byte offsets (what libpg-query reports) become UTF-16 code unit offsets
 * (what JavaScript strings, ts-morph and editors count).
 */

/** A 1-based line and a 1-based column counted in UTF-16 code units. */
export interface Position {
  line: number;
  column: number;
}

export class SourceText {
  readonly text: string;
  /** UTF-16 offset of the first character of each line. */
  private readonly lineStarts: number[];

  constructor(text: string) {
    this.text = text;
    this.lineStarts = [0];
    if (text.indexOf('\r') < 0) {
      // LF only (most files): the string search finds each line end without stepping every character.
      for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) this.lineStarts.push(i + 1);
      return;
    }
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c === 10 /* \n */) this.lineStarts.push(i + 1);
      else if (c === 13 /* \r */ && text.charCodeAt(i + 1) !== 10) this.lineStarts.push(i + 1);
    }
  }

  /** Position of a UTF-16 offset; offsets past the end clamp to the end. */
  positionAt(offset: number): Position {
    const o = Math.max(0, Math.min(offset, this.text.length));
    let lo = 0;
    let hi = this.lineStarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.lineStarts[mid]! <= o) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo + 1, column: o - this.lineStarts[lo]! + 1 };
  }

  /** UTF-16 offset of a 1-based line and column. */
  offsetAt(pos: Position): number {
    const start = this.lineStarts[Math.max(0, Math.min(pos.line - 1, this.lineStarts.length - 1))]!;
    return Math.min(this.text.length, start + pos.column - 1);
  }

  /** The text of a 1-based line, without its line terminator. */
  lineText(line: number): string {
    const start = this.lineStarts[line - 1];
    if (start === undefined) return '';
    const next = this.lineStarts[line] ?? this.text.length;
    return this.text.slice(start, next).replace(/\r?\n$|\r$/, '');
  }

  get lineCount(): number {
    return this.lineStarts.length;
  }

  /** The line terminator the file mostly uses: CRLF when its first line ends so. */
  get eol(): '\n' | '\r\n' {
    const i = this.text.indexOf('\n');
    return i > 0 && this.text.charCodeAt(i - 1) === 13 ? '\r\n' : '\n';
  }
}

/**
 * Maps UTF-8 byte offsets of a string to UTF-16 code unit offsets.
 * ASCII-only strings map to themselves without allocating a table.
 */
export class Utf8OffsetMap {
  private readonly table: Uint32Array | null;

  constructor(text: string) {
    // eslint-disable-next-line no-control-regex
    if (/^[\x00-\x7f]*$/.test(text)) {
      this.table = null;
      return;
    }
    const bytes = Buffer.byteLength(text, 'utf8');
    const table = new Uint32Array(bytes + 1);
    let b = 0;
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      let width: number;
      if (c < 0x80) width = 1;
      else if (c < 0x800) width = 2;
      else if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) {
        const d = text.charCodeAt(i + 1);
        if (d >= 0xdc00 && d <= 0xdfff) {
          // A surrogate pair is 4 bytes and 2 code units; every byte maps to its start.
          for (let k = 0; k < 4; k++) table[b + k] = i;
          b += 4;
          i++;
          continue;
        }
        width = 3;
      } else width = 3;
      for (let k = 0; k < width; k++) table[b + k] = i;
      b += width;
    }
    table[b] = text.length;
    this.table = table;
  }

  /** UTF-16 offset of a UTF-8 byte offset (clamped to the string's end). */
  toUtf16(byteOffset: number): number {
    if (this.table === null) return byteOffset;
    const last = this.table.length - 1;
    return this.table[Math.max(0, Math.min(byteOffset, last))]!;
  }
}

/**
 * UTF-16 offset of a code point index (PostgreSQL's error cursor counts characters,
 * and libpg-query reports it 0-based): astral characters such as emoji are one code
 * point but two UTF-16 code units.
 */
export function codePointToUtf16(text: string, codePoints: number): number {
  let i = 0;
  for (let cp = 0; cp < codePoints && i < text.length; cp++) {
    const c = text.charCodeAt(i);
    i += c >= 0xd800 && c <= 0xdbff && i + 1 < text.length ? 2 : 1;
  }
  return i;
}
