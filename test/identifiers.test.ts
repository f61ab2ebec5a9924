/** Identifiers over 63 bytes (src/sql/identifiers.ts), including those the scanner is skipped for. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { longIdentifiers } from '../src/sql/identifiers.js';
import { initSqlParser } from '../src/sql/parse.js';

await initSqlParser();

describe('longIdentifiers', () => {
  test('a quoted identifier with spaces and dots in it is found', () => {
    const name = 'total revenue. per tenant, per month, before tax, fees and refunds';
    assert.ok(Buffer.byteLength(name) > 63 && name.split(/[\s.,]/).every((w) => w.length < 16));
    const found = longIdentifiers(`ALTER TABLE leads ADD COLUMN "${name}" bigint`);
    assert.deepEqual(found.map((f) => f.name), [name]);
  });

  test('64 bytes is too long, 63 is not, counted in UTF-8 (16 four-byte characters are 64 bytes)', () => {
    assert.deepEqual(longIdentifiers(`CREATE TABLE ${'a'.repeat(64)} (id int)`).map((f) => f.bytes), [64]);
    assert.deepEqual(longIdentifiers(`CREATE TABLE ${'a'.repeat(63)} (id int)`), []);
    assert.deepEqual(longIdentifiers(`CREATE TABLE "${'🎉'.repeat(16)}" (id int)`).map((f) => f.bytes), [64]);
    assert.deepEqual(longIdentifiers(`CREATE TABLE t_${'é'.repeat(31)} (id int)`).map((f) => f.bytes), [64]);
  });

  test('the shortest texts of each kind that hold one are still found (the pre-check before counting bytes)', () => {
    const bytesOf = (sql: string) => longIdentifiers(sql).map((f) => f.bytes);
    // 22 three-byte characters (66 bytes), unquoted and quoted with a space: the fewest code units over 63 bytes.
    assert.deepEqual(bytesOf(`CREATE TABLE ${'ア'.repeat(22)} (id int)`), [66]);
    assert.deepEqual(bytesOf(`CREATE TABLE "${'ア'.repeat(11)} ${'ア'.repeat(11)}" (id int)`), [67]);
    assert.deepEqual(bytesOf(`CREATE TABLE "${'ア'.repeat(10)} ${'ア'.repeat(10)}" (id int)`), []);
    // ASCII: 64 code units, quoted with separators in it, and with doubled quotes splitting it into short pieces.
    assert.deepEqual(bytesOf(`CREATE TABLE "${'a'.repeat(30)} (${'b'.repeat(32)}" (id int)`), [64]);
    assert.deepEqual(bytesOf(`CREATE TABLE "${'a""'.repeat(32)}" (id int)`), [64]);
    assert.deepEqual(bytesOf(`CREATE TABLE "${'a""'.repeat(31)}a" (id int)`), []);
    assert.deepEqual(bytesOf(`CREATE TABLE "${'ab "" c'.repeat(11)}" (id int)`), [66]);
    // Non-ASCII elsewhere in the statement lowers the bound for ASCII names too: still exact.
    assert.deepEqual(bytesOf(`CREATE TABLE ${'a'.repeat(64)} (note text DEFAULT 'é')`), [64]);
    assert.deepEqual(bytesOf(`CREATE TABLE ${'a'.repeat(63)} (note text DEFAULT 'é')`), []);
  });

  test('a long string literal is not an identifier', () => {
    assert.deepEqual(longIdentifiers(`INSERT INTO t VALUES ('${'x'.repeat(80)}', 'a "quoted" ${'y'.repeat(70)}')`), []);
  });
});
