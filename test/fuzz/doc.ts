/**
 * A generated input: segments written as bytes, decoded the way the CLI reads a
 * file (`readFile(file, 'utf8')`: each invalid UTF-8 sequence becomes U+FFFD),
 * with each generated statement located in the decoded text.
 */
import type { ConfigFile } from '../../src/config/index.js';
import type { Expected, Seg } from './model.js';

export interface Input {
  /** The file name the input is linted as (its extension picks the frontend). */
  name: string;
  /** What the input is, for grouping: `sql:psql`, `knex.ts`, ... */
  label: string;
  config: ConfigFile;
  bytes: Buffer;
  /** `bytes` decoded as the CLI decodes a file. */
  text: string;
  expected: Expected[];
}

/**
 * Writes `segs` as bytes and decodes them, filling in each expected statement's
 * extent (the UTF-16 range of the segments it owns) and adding the file's
 * `features` (and `dollar-brace`, text like `$q${{ y }}`) to each.
 * @throws Error when a byte segment does not decode on its own the same way as in the file (a generator bug).
 */
export function decode(name: string, label: string, config: ConfigFile, segs: readonly Seg[], expected: Expected[], features: readonly string[]): Input {
  const chunks: Buffer[] = [];
  const parts: string[] = [];
  const extents = new Map<number, { start: number; end: number }>();
  let at = 0;
  for (const s of segs) {
    const chunk = s.bytes ? Buffer.from(s.bytes) : Buffer.from(s.text ?? s.hole?.text ?? '', 'utf8');
    const decoded = s.bytes ? chunk.toString('utf8') : (s.text ?? s.hole?.text ?? '');
    chunks.push(chunk);
    parts.push(decoded);
    if (s.owner !== undefined && decoded.length > 0) {
      const e = extents.get(s.owner);
      if (e) e.end = at + decoded.length;
      else extents.set(s.owner, { start: at, end: at + decoded.length });
    }
    at += decoded.length;
  }
  const bytes = Buffer.concat(chunks);
  const text = bytes.toString('utf8');
  if (text !== parts.join('')) throw new Error('fuzz generator: byte segments do not decode independently');
  const fileFeatures = [...features, ...(/\$\w*\$\{/.test(text) && !features.includes('dollar-brace') ? ['dollar-brace'] : [])];
  for (const e of expected) {
    e.features.push(...fileFeatures);
    const x = extents.get(e.id);
    if (!x) throw new Error(`fuzz generator: statement ${e.id} has no text`);
    e.start = x.start;
    e.end = x.end;
    if (e.anchor !== undefined) e.anchorEnd = extents.get(e.anchor)?.end;
  }
  return { name, label, config, bytes, text, expected };
}

/** Text segments with LF turned into CRLF (byte and hole segments unchanged). */
export function crlf(segs: Seg[]): Seg[] {
  return segs.map((s) => (s.text !== undefined && s.text.includes('\n') ? { ...s, text: s.text.replace(/\r?\n/g, '\r\n') } : s));
}

/** Features of a file that segments tell: a NUL byte in it. */
export function segFeatures(segs: readonly Seg[], into: Set<string>): void {
  if (segs.some((s) => s.bytes?.[0] === 0)) into.add('nul-in-file');
}

/** `text` with control characters other than tab, LF and CR written as `\uXXXX`. */
export function visible(text: string): string {
  return text.replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
