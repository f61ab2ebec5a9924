/**
 * SQL segments written as a JavaScript string expression: a quoted string, a
 * template literal (its holes as `${}` substitutions), or a concatenation of
 * quoted strings (its holes as `+` operands). Escapes a literal needs are always
 * written; optional ones (`\x41`, `\u05D0`, `\u{1F389}`, a surrogate pair, a line
 * continuation) are sprinkled from a seed. Each output segment keeps the owner
 * of the SQL it encodes, so statements stay located in the file.
 */
import type { Hole, Seg } from './model.js';

export type LitKind = 'single' | 'double' | 'template' | 'concat';
export type HoleMode = 'inline' | 'const' | 'unknown';

/** A small deterministic generator (mulberry32) for the optional escapes. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const hex = (n: number, width: number) => n.toString(16).toUpperCase().padStart(width, '0');

function optionalEscape(cp: number, r: () => number): string {
  const k = r();
  if (cp < 0x100 && k < 0.4) return `\\x${hex(cp, 2)}`;
  if (cp > 0xffff) {
    if (k < 0.7) return `\\u{${hex(cp, 1)}}`;
    const v = cp - 0x10000;
    return `\\u${hex(0xd800 + (v >> 10), 4)}\\u${hex(0xdc00 + (v & 0x3ff), 4)}`;
  }
  return k < 0.8 ? `\\u${hex(cp, 4)}` : `\\u{${hex(cp, 1)}}`;
}

/** Where the literal's holes go and what a hole's expression is. */
export interface HoleWriter {
  /** How the hole is written (`inline`: its text inside the literal). */
  mode(hole: Hole): HoleMode;
  /** The expression for a hole written as `${expr}` or `+ expr +`. */
  expr(hole: Hole, mode: 'const' | 'unknown'): string;
}

/**
 * `segs` as a string expression of kind `kind`. `seed` picks the optional escapes
 * (three seeds in four: none). Holes go through `holes`; outside templates and concatenations they are inline.
 */
export function jsLiteral(segs: readonly Seg[], kind: LitKind, seed: number, holes: HoleWriter): Seg[] {
  const r = rng(seed);
  const rate = seed % 4 !== 1 ? 0 : 1 / (6 + (seed % 23));
  const template = kind === 'template';
  const quote = kind === 'double' ? '"' : kind === 'template' ? '`' : "'";
  const out: Seg[] = [{ text: quote }];
  const flat = segs.map((s) => (s.hole && (kind === 'single' || kind === 'double' || holes.mode(s.hole) === 'inline') ? { text: s.hole.text, owner: s.owner } : s));
  flat.forEach((s, i) => {
    if (s.bytes) {
      // NUL: raw, or written as an escape; invalid UTF-8: raw bytes (U+FFFD once decoded).
      if (s.bytes.length === 1 && s.bytes[0] === 0 && r() < 0.5) out.push({ text: r() < 0.5 ? '\\x00' : '\\u0000', owner: s.owner });
      else out.push(s);
      return;
    }
    if (s.hole) {
      const mode = holes.mode(s.hole) as 'const' | 'unknown';
      const e = holes.expr(s.hole, mode);
      out.push({ text: template ? `\${${e}}` : `${quote} + ${e} + ${quote}`, owner: s.owner });
      return;
    }
    const t = s.text ?? '';
    let enc = '';
    for (let j = 0; j < t.length; ) {
      const cp = t.codePointAt(j)!;
      const ch = String.fromCodePoint(cp);
      j += ch.length;
      if (ch === '\\') enc += '\\\\';
      else if (ch === quote) enc += `\\${quote}`;
      else if (ch === '\n') enc += template && r() < 0.7 ? '\n' : '\\n';
      else if (ch === '\r') enc += '\\r';
      else if (template && ch === '$' && (t[j] === '{' || (j >= t.length && flat[i + 1]?.text?.startsWith('{')))) enc += '\\$';
      else if (rate > 0 && r() < rate) enc += optionalEscape(cp, r);
      else enc += ch;
    }
    // A line continuation (backslash, newline) adds nothing to the string's value.
    if (rate > 0 && r() < rate / 2) enc += '\\\n';
    if (kind === 'concat' && i < flat.length - 1 && r() < 0.15) enc += `${quote} +\n  ${quote}`;
    out.push({ text: enc, owner: s.owner });
  });
  out.push({ text: quote });
  return out;
}
