/**
 * Reading a file to lint, failing closed: what cannot be read as it is (not a regular
 * file, larger than `maxFileSize`, unreadable) is a reason to report, never a hang, a
 * crash or an empty text; bytes that are not UTF-8 are located, not silently replaced.
 */
import { isUtf8 } from 'node:buffer';
import { closeSync, constants, fstatSync, openSync, readSync, statSync, type Stats } from 'node:fs';

/** How much `readSource` reads at a time, in bytes. */
const READ_CHUNK = 1024 * 1024;

/**
 * The buffer a file's first chunk is read into, kept from file to file and grown as needed (to at
 * most `READ_CHUNK` + 64 KiB). A new buffer per file was fresh memory for the kernel to fault in on
 * every read: 70 ms of reading 2,105 files, against 25 ms for the same reads into one buffer.
 */
let scratch = Buffer.allocUnsafe(0);

/** `scratch`, at least `bytes` long. */
function scratchOf(bytes: number): Buffer {
  if (scratch.length < bytes) scratch = Buffer.allocUnsafe(Math.max(bytes, 65536));
  return scratch;
}

/** A file's text as `readSourceSync` last read it whole, with the size and mtime of the open file (see `lastRead`). */
export interface FileRead {
  /** The path as the caller named it. */
  file: string;
  text: string;
  /** Bytes read, which were the whole file as `fstat` gave its size. */
  size: number;
  mtimeMs: number;
}

let last: FileRead | null = null;

/**
 * The last file `readSourceSync` read in full as well-formed UTF-8, or null: its text is those bytes
 * decoded, and `size`/`mtimeMs` are the open file's, from `fstat` before reading (the bytes read
 * were `size`, so the file did not grow or shrink meanwhile). Lets a caller that linted that text
 * know it is the file on disk without reading it a second time (src/sources/sql-history.ts).
 */
export function lastRead(): FileRead | null {
  return last;
}

/** Where the first byte sequence that is not UTF-8 is. */
export interface InvalidUtf8 {
  /** Byte offset of the start of the ill-formed sequence in the file. */
  byteOffset: number;
  /** The same place as a UTF-16 offset in the decoded text (where its U+FFFD stands). */
  offset: number;
  /** The ill-formed bytes, e.g. `0xE9` or `0xE2 0x82` (a sequence cut short). */
  bytes: string;
}

/** A file's text, or why it was not read. */
export type SourceRead =
  | {
      ok: true;
      /** The text; ill-formed UTF-8 sequences decoded as U+FFFD. */
      text: string;
      /** The first ill-formed sequence, or null when the file is UTF-8. */
      invalidUtf8: InvalidUtf8 | null;
    }
  | {
      ok: false;
      /** What was not read and why, in one sentence. */
      message: string;
      help: string;
      /** The file is not a regular file (a FIFO, socket, device or directory). */
      special: boolean;
    };

/** What kind of non-regular file `s` is, in words, e.g. "a FIFO (named pipe)". */
export function fileKind(s: Stats): string {
  if (s.isFIFO()) return 'a FIFO (named pipe)';
  if (s.isSocket()) return 'a socket';
  if (s.isCharacterDevice()) return 'a character device';
  if (s.isBlockDevice()) return 'a block device';
  if (s.isDirectory()) return 'a directory';
  return s.isFile() ? 'a regular file' : 'not a regular file';
}

function notRegular(kind: string): SourceRead {
  return {
    ok: false,
    special: true,
    message: `This is ${kind}, not a regular file: it was not read, and nothing in it was analysed.`,
    help: 'Name the migration file itself; reading a pipe or a device could block or never end (a directory walk skips such files).',
  };
}

function tooLarge(size: string, maxBytes: number): SourceRead {
  return {
    ok: false,
    special: false,
    message: `This file is ${size} bytes, over the maxFileSize limit of ${maxBytes} bytes: it was not read, and nothing in it was analysed.`,
    help: 'Split the migration, or raise "maxFileSize" (bytes) in the configuration if it really is this large.',
  };
}

/**
 * Reads `file` as UTF-8 text, at most `maxBytes` bytes (the `maxFileSize` setting).
 * Never throws for the file itself: a file that is not regular, too large or unreadable
 * (ENOENT, EACCES, ...) comes back as `{ ok: false }` with the reason. The file is opened
 * non-blocking and checked again once open, so a FIFO swapped in after the first check
 * cannot hang the run.
 *
 * The first check is a stat by path, so that a device is never opened (opening some has
 * effects of its own). `seenRegular` says the caller's own stat of the path, just before
 * (file discovery's), found a regular file: that check is then not made twice.
 *
 * The reads are synchronous (the promise is for the callers' sake): a migration is a small
 * local file, and each asynchronous call would be a round trip through libuv's thread pool
 * (stat, open, fstat, read, close), which made reading thousands of files slower than
 * linting them.
 */
export async function readSource(file: string, maxBytes: number, seenRegular = false): Promise<SourceRead> {
  return readSourceSync(file, maxBytes, seenRegular);
}

/** `readSource`, synchronously. */
export function readSourceSync(file: string, maxBytes: number, seenRegular = false): SourceRead {
  return takeRead(readRecorded(file, maxBytes, seenRegular));
}

/** A read made ahead of its use (`readRecorded`), with what `lastRead` is to say once it is used. */
export interface RecordedRead {
  read: SourceRead;
  record: FileRead | null;
}

/** Uses a read made earlier: `lastRead` then gives its record, as if the file had just been read. */
export function takeRead(r: RecordedRead): SourceRead {
  last = r.record;
  return r.read;
}

/** `readSourceSync` without touching `lastRead`: the read and its record, for `takeRead` when the text is used. */
export function readRecorded(file: string, maxBytes: number, seenRegular = false): RecordedRead {
  const refused = (read: SourceRead): RecordedRead => ({ read, record: null });
  const unreadable = (e: unknown): RecordedRead =>
    refused({
      ok: false,
      special: false,
      message: `This file could not be read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}): nothing in it was analysed.`,
      help: 'Check that the file exists and is readable by the user running miglint.',
    });
  if (!seenRegular) {
    let before: Stats;
    try {
      before = statSync(file);
    } catch (e) {
      return unreadable(e);
    }
    if (!before.isFile()) return refused(notRegular(fileKind(before)));
    if (before.size > maxBytes) return refused(tooLarge(String(before.size), maxBytes));
  }
  let fd: number;
  try {
    fd = openSync(file, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (e) {
    return unreadable(e);
  }
  try {
    const now = fstatSync(fd);
    if (!now.isFile()) return refused(notRegular(fileKind(now)));
    if (now.size > maxBytes) return refused(tooLarge(String(now.size), maxBytes));
    // Read to the end, in chunks, but never more than one chunk past the limit (the file may have grown since it was checked).
    const chunks: Buffer[] = [];
    let length = 0;
    for (;;) {
      const want = Math.min(READ_CHUNK, Math.max(now.size - length, 0) + 65536);
      // The first chunk is read into the buffer every file reuses (later ones into buffers of their own).
      const chunk = chunks.length === 0 ? scratchOf(want) : Buffer.allocUnsafe(want);
      const bytesRead = readSync(fd, chunk, 0, want, null);
      if (bytesRead === 0) break;
      chunks.push(chunk.subarray(0, bytesRead));
      length += bytesRead;
      if (length > maxBytes) return refused(tooLarge(`over ${maxBytes}`, maxBytes));
      if (bytesRead < want) break; // a short read of a regular file is its end
    }
    const decoded = decodeUtf8(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, length));
    const record = !decoded.invalidUtf8 && length === now.size ? { file, text: decoded.text, size: length, mtimeMs: now.mtimeMs } : null;
    return { read: { ok: true, ...decoded }, record };
  } catch (e) {
    return unreadable(e);
  } finally {
    closeSync(fd);
  }
}

/**
 * Reads a stream (standard input) to its end, or until it passes `maxBytes` bytes.
 * @returns the bytes, or null when the stream is longer than `maxBytes`.
 */
export async function readStreamLimited(stream: NodeJS.ReadableStream, maxBytes: number): Promise<Buffer | null> {
  const chunks: Buffer[] = [];
  let length = 0;
  for await (const c of stream) {
    const chunk = typeof c === 'string' ? Buffer.from(c) : (c as Buffer);
    length += chunk.length;
    if (length > maxBytes) return null;
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

/** The `SourceRead` of bytes from a stream: too large when `bytes` is null. */
export function sourceFromBytes(bytes: Buffer | null, maxBytes: number): SourceRead {
  return bytes ? { ok: true, ...decodeUtf8(bytes) } : tooLarge(`over ${maxBytes}`, maxBytes);
}

/**
 * Decodes UTF-8, ill-formed sequences as U+FFFD (a byte-order mark is kept as U+FEFF, so
 * a fix writes it back), and locates the first ill-formed sequence.
 */
export function decodeUtf8(bytes: Buffer): { text: string; invalidUtf8: InvalidUtf8 | null } {
  const text = bytes.toString('utf8');
  if (isUtf8(bytes)) return { text, invalidUtf8: null };
  const at = firstInvalidUtf8(bytes);
  const bad = bytes.subarray(at.start, at.end);
  return {
    text,
    invalidUtf8: {
      byteOffset: at.start,
      // The well-formed bytes before it decode the same alone as in the whole text.
      offset: bytes.subarray(0, at.start).toString('utf8').length,
      bytes: [...bad].map((b) => `0x${b.toString(16).toUpperCase().padStart(2, '0')}`).join(' '),
    },
  };
}

/**
 * The first ill-formed UTF-8 sequence in `bytes` (Unicode 15, table 3-7 "Well-Formed UTF-8
 * Byte Sequences": no overlong forms, no surrogates, nothing past U+10FFFF), as byte offsets
 * `[start, end)` of its maximal subpart; `{ start: -1, end: -1 }` when there is none.
 */
export function firstInvalidUtf8(bytes: Uint8Array): { start: number; end: number } {
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i]!;
    if (b < 0x80) {
      i++;
      continue;
    }
    // Length of the sequence and the range its second byte must be in.
    let n: number;
    let lo = 0x80;
    let hi = 0xbf;
    if (b >= 0xc2 && b <= 0xdf) n = 2;
    else if (b >= 0xe0 && b <= 0xef) {
      n = 3;
      if (b === 0xe0) lo = 0xa0;
      if (b === 0xed) hi = 0x9f;
    } else if (b >= 0xf0 && b <= 0xf4) {
      n = 4;
      if (b === 0xf0) lo = 0x90;
      if (b === 0xf4) hi = 0x8f;
    } else return { start: i, end: i + 1 };
    let k = 1;
    for (; k < n; k++) {
      const c = bytes[i + k];
      const [min, max] = k === 1 ? [lo, hi] : [0x80, 0xbf];
      if (c === undefined || c < min || c > max) return { start: i, end: i + k };
    }
    i += n;
  }
  return { start: -1, end: -1 };
}
