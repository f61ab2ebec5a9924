/**
 * Identifiers longer than PostgreSQL keeps: NAMEDATALEN - 1 = 63 bytes of UTF-8
 * (sql-syntax-lexical.html, "Identifiers and Key Words"). The parser truncates
 * them before libpg-query's tree is built, so they are found in the scanner's
 * tokens of the statement's own text.
 */
import { scanSync } from 'libpg-query';
import { lexSql } from './lex.js';

/** The longest identifier PostgreSQL keeps, in bytes. */
export const MAX_IDENTIFIER_BYTES = 63;

export interface LongIdentifier {
  /** The identifier as PostgreSQL reads it (unquoted ones folded to lower case). */
  name: string;
  /** Its length in UTF-8 bytes. */
  bytes: number;
  /** What PostgreSQL keeps: the first 63 bytes, cut at a character boundary. */
  truncated: string;
  /** UTF-16 offsets of the token in the text. */
  start: number;
  end: number;
}

/** The identifier a token's text denotes: `"A""b"` → `A"b`, `Leads` → `leads`, `U&"d\0061"` → as written (not decoded). */
function identifierOf(text: string): string {
  if (text.startsWith('"')) return text.slice(1, -1).replace(/""/g, '"');
  if (/^u&"/i.test(text)) return text.slice(3, -1).replace(/""/g, '"');
  return text.replace(/[A-Z]+/g, (m) => m.toLowerCase());
}

/** The first `max` bytes of `s`, not splitting a character (PostgreSQL's pg_mbcliplen). */
export function clipBytes(s: string, max: number): string {
  let bytes = 0;
  let out = '';
  for (const ch of s) {
    const n = Buffer.byteLength(ch, 'utf8');
    if (bytes + n > max) break;
    bytes += n;
    out += ch;
  }
  return out;
}

/**
 * 22 (64 in ASCII text) code units or more with none of the separators `mayHoldLongIdentifier` counts
 * stretches between. Tried only at the start and after a separator: from every position, a stretch
 * 63 long would be read again 63 times.
 */
const LONG_STRETCH = /(?:^|[\x00-\x20(),.;])[^\x00-\x20(),.;]{22}/;
const LONG_ASCII_STRETCH = /(?:^|[\x00-\x20(),.;])[^\x00-\x20(),.;]{64}/;
/** A double quote and 22 (64 in ASCII text) code units or more that are not. */
const LONG_QUOTED = /"[^"]{22}/;
const LONG_ASCII_QUOTED = /"[^"]{64}/;
const NON_ASCII = /[^\x00-\x7f]/;

/**
 * Whether some token of `sql` could be an identifier over 63 bytes, cheaply, so the scanner
 * (whose token list costs more than linting the statement) runs only where one may be.
 * Without a double quote, such an identifier is a stretch of over 63 bytes with no separator
 * in it. With one, a quoted identifier may hold spaces: it lies inside one of the lexer's runs
 * (a quoted name is a single run, spaces included), so a run of over 63 bytes is needed.
 */
function mayHoldLongIdentifier(sql: string): boolean {
  // Over 63 bytes is 64 code units or more of ASCII text, and at least 22 of any text (3 bytes each at most). An
  // unquoted identifier is a stretch with no separator in it; a quoted one without a doubled quote inside is a
  // quote and that many code units that are not quotes. Neither in the text (the usual case): nothing to count.
  const ascii = !NON_ASCII.test(sql);
  const stretch = ascii ? LONG_ASCII_STRETCH : LONG_STRETCH;
  const quoted = ascii ? LONG_ASCII_QUOTED : LONG_QUOTED;
  if (!stretch.test(sql) && !(sql.includes('"') && (quoted.test(sql) || sql.includes('""')))) return false;
  if (!sql.includes('"')) {
    // One pass counting the UTF-8 bytes of each stretch between separators (ASCII white space and
    // `(),;.`; treating other spaces as part of a stretch only makes stretches longer).
    let bytes = 0;
    for (let i = 0; i < sql.length; i++) {
      const c = sql.charCodeAt(i);
      if (c <= 32 || c === 40 || c === 41 || c === 44 || c === 46 || c === 59) bytes = 0;
      else if ((bytes += c < 0x80 ? 1 : c < 0x800 || (c >= 0xd800 && c <= 0xdfff) ? 2 : 3) > MAX_IDENTIFIER_BYTES) return true;
    }
    return false;
  }
  const { runs } = lexSql(sql);
  for (let i = 0; i < runs.count; i++) if (runs.byteEnd[i]! - runs.byteStart[i]! > MAX_IDENTIFIER_BYTES) return true;
  return false;
}

/**
 * The identifiers over 63 bytes in `sql`, in order.
 * @throws nothing: text the scanner rejects yields no identifiers (the parser reports it as a syntax error).
 */
export function longIdentifiers(sql: string): LongIdentifier[] {
  if (!mayHoldLongIdentifier(sql)) return [];
  let tokens: { start: number; end: number; text: string; tokenName: string }[];
  try {
    tokens = scanSync(sql).tokens;
  } catch {
    return []; // Unscannable text is a syntax error the parser already reported for this statement.
  }
  const bytes = Buffer.from(sql, 'utf8');
  const out: LongIdentifier[] = [];
  for (const t of tokens) {
    if (t.tokenName !== 'IDENT' && t.tokenName !== 'UIDENT') continue;
    const name = identifierOf(t.text);
    const n = Buffer.byteLength(name, 'utf8');
    if (n <= MAX_IDENTIFIER_BYTES) continue;
    const start = bytes.subarray(0, t.start).toString('utf8').length;
    const end = bytes.subarray(0, t.end).toString('utf8').length;
    out.push({ name, bytes: n, truncated: clipBytes(name, MAX_IDENTIFIER_BYTES), start, end });
  }
  return out;
}
