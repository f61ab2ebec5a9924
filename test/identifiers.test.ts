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

  test('a long string literal is not an identifier', () => {
    assert.deepEqual(longIdentifiers(`INSERT INTO t VALUES ('${'x'.repeat(80)}', 'a "quoted" ${'y'.repeat(70)}')`), []);
  });
});
