/** Reading files to lint: UTF-8 checked and located, special files and oversized files refused without hanging. */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { describe, test } from 'node:test';
import { decodeUtf8, firstInvalidUtf8, lastRead, readSource, readStreamLimited } from '../src/lint/read.js';

const bytes = (...parts: (string | number[])[]) => Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p, 'utf8') : Buffer.from(p))));

describe('firstInvalidUtf8', () => {
  test('well-formed text, including 4-byte sequences and a real U+FFFD, has none', () => {
    assert.deepEqual(firstInvalidUtf8(bytes('SELECT 1; -- 🎉 שלום \uFFFD é')), { start: -1, end: -1 });
  });
  const cases: [string, Buffer, { start: number; end: number }][] = [
    ['a Latin-1 byte', bytes('ab', [0xe9], 'c'), { start: 2, end: 3 }],
    ['a lone continuation byte', bytes('a', [0x80]), { start: 1, end: 2 }],
    ['an overlong 2-byte form', bytes([0xc0, 0x80]), { start: 0, end: 1 }],
    ['an overlong 3-byte form', bytes('x', [0xe0, 0x80, 0x80]), { start: 1, end: 2 }],
    ['a surrogate', bytes([0xed, 0xa0, 0x80]), { start: 0, end: 1 }],
    ['past U+10FFFF', bytes([0xf4, 0x90, 0x80, 0x80]), { start: 0, end: 1 }],
    ['a sequence cut short by ASCII', bytes('é', [0xe2, 0x82], 'a'), { start: 2, end: 4 }],
    ['a sequence cut short by the end', bytes('ok', [0xf0, 0x9f, 0x8e]), { start: 2, end: 5 }],
    ['an invalid lead byte', bytes([0xff]), { start: 0, end: 1 }],
  ];
  for (const [name, input, expected] of cases) test(name, () => assert.deepEqual(firstInvalidUtf8(input), expected));
});

describe('decodeUtf8', () => {
  test('locates the first ill-formed sequence in bytes and in UTF-16 code units, and decodes it as U+FFFD', () => {
    // 🎉 is 4 bytes and 2 UTF-16 code units; é is 2 bytes and 1 code unit.
    const d = decodeUtf8(bytes('🎉é\n-- x', [0xe9], ' y'));
    assert.deepEqual(d.invalidUtf8, { byteOffset: 11, offset: 8, bytes: '0xE9' });
    assert.equal(d.text, '🎉é\n-- x\uFFFD y');
    assert.equal(d.text[d.invalidUtf8!.offset], '\uFFFD');
  });
  test('keeps a byte-order mark (a fix writes it back)', () => {
    assert.deepEqual(decodeUtf8(bytes([0xef, 0xbb, 0xbf], 'SELECT 1;')), { text: '\uFEFFSELECT 1;', invalidUtf8: null });
  });
});

describe('readSource', () => {
  const dir = mkdtempSync(join(tmpdir(), 'miglint-read-'));
  test('reads a regular file up to the limit, and refuses one byte more without reading it', async () => {
    const file = join(dir, 'ten.sql');
    writeFileSync(file, 'SELECT 1;\n');
    assert.deepEqual(await readSource(file, 10), { ok: true, text: 'SELECT 1;\n', invalidUtf8: null });
    const r = await readSource(file, 9);
    assert.equal(r.ok, false);
    assert.match(!r.ok ? r.message : '', /^This file is 10 bytes, over the maxFileSize limit of 9 bytes: it was not read/);
  });
  test('files read one after another, larger and smaller, multi-chunk and multi-byte, each come back exactly', async () => {
    // Over 1 MiB (more than one read), with a 4-byte sequence across every 64 KiB, then shorter files after it.
    const big = `${'-- 🎉 '.repeat(200_000)}SELECT 1;\n`;
    const texts = [big, 'SELECT 2;\n', `${big.slice(0, 70_001)}x`, 'é', ''];
    for (const [i, text] of texts.entries()) writeFileSync(join(dir, `seq-${i}.sql`), text);
    for (const [i, text] of [...texts.entries(), ...texts.entries()]) {
      assert.deepEqual(await readSource(join(dir, `seq-${i}.sql`), 10_000_000), { ok: true, text, invalidUtf8: null }, `file ${i}`);
    }
  });
  test('a FIFO is refused at once (no writer: reading it would block for ever)', async () => {
    const fifo = join(dir, 'pipe.sql');
    execFileSync('mkfifo', [fifo]);
    const r = await readSource(fifo, 1000);
    assert.equal(r.ok, false);
    assert.ok(!r.ok && r.special);
    assert.match(!r.ok ? r.message : '', /^This is a FIFO \(named pipe\), not a regular file: it was not read/);
  });
  test('read after discovery saw a regular file (no second stat): the same answers, and a FIFO swapped in is still refused at once', async () => {
    const file = join(dir, 'seen.sql');
    writeFileSync(file, 'SELECT 1;\n');
    assert.deepEqual(await readSource(file, 10, true), await readSource(file, 10));
    assert.deepEqual(await readSource(file, 9, true), await readSource(file, 9), 'too large, with the same message');
    assert.deepEqual(await readSource(join(dir, 'gone.sql'), 10, true), await readSource(join(dir, 'gone.sql'), 10));
    const swapped = join(dir, 'swapped.sql');
    execFileSync('mkfifo', [swapped]);
    const r = await readSource(swapped, 1000, true);
    assert.ok(!r.ok && r.special);
    assert.match(!r.ok ? r.message : '', /^This is a FIFO \(named pipe\), not a regular file: it was not read/);
  });
  test('a character device is refused', async () => {
    const r = await readSource('/dev/zero', 1000);
    assert.match(!r.ok ? r.message : '', /^This is a character device, not a regular file/);
  });
  test('lastRead is the last file read whole as UTF-8, with its size and mtime; null after a read that failed or was not UTF-8', async () => {
    const file = join(dir, 'last.sql');
    writeFileSync(file, 'SELECT é;\n');
    const st = statSync(file);
    await readSource(file, 1000);
    assert.deepEqual(lastRead(), { file, text: 'SELECT é;\n', size: 11, mtimeMs: st.mtimeMs });
    await readSource(file, 5);
    assert.equal(lastRead(), null, 'too large');
    await readSource(file, 1000);
    await readSource(join(dir, 'gone.sql'), 1000);
    assert.equal(lastRead(), null, 'missing');
    const latin1 = join(dir, 'latin1.sql');
    writeFileSync(latin1, bytes('SELECT ', [0xe9], ';'));
    await readSource(latin1, 1000);
    assert.equal(lastRead(), null, 'not UTF-8');
  });
  test('a file that does not exist is a reason, not an exception', async () => {
    const r = await readSource(join(dir, 'gone.sql'), 1000);
    assert.match(!r.ok ? r.message : '', /could not be read \(ENOENT\)/);
  });
});

describe('readStreamLimited', () => {
  test('reads a stream to its end, or gives up past the limit', async () => {
    assert.equal((await readStreamLimited(Readable.from([Buffer.from('abc'), Buffer.from('de')]), 5))?.toString(), 'abcde');
    assert.equal(await readStreamLimited(Readable.from([Buffer.from('abc'), Buffer.from('def')]), 5), null);
  });
});
