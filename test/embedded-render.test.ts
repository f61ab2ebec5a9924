/** Rendering embedded SQL: every character and boundary maps back to the file range that produced it. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { PLACEHOLDER_FORMS, render, type Piece, type PlaceholderForm, type SqlSource } from '../src/sql/embedded.js';

/** The map per character, read plainly off what each piece produces (`lengths`: each placeholder's rendered length). */
function perCharacter(src: SqlSource, sql: string, lengths: readonly number[]): { from: number[]; to: number[]; at: number[] } {
  const from: number[] = [];
  const to: number[] = [];
  const at: number[] = [];
  let k = 0;
  let ph = 0;
  for (const p of src.pieces) {
    const len = p.kind === 'placeholder' ? lengths[ph++]! : p.text.length;
    for (let j = 0; j < len; j++, k++) {
      if (p.kind === 'raw') {
        from.push(p.from + j);
        to.push(p.from + j + 1);
        at.push(p.from + j);
      } else {
        from.push(p.from);
        to.push(p.to);
        at.push(j === 0 ? p.from : -1);
      }
    }
  }
  assert.equal(k, sql.length);
  const last = src.pieces[src.pieces.length - 1];
  at.push(last === undefined ? src.span.start : last.kind === 'raw' ? last.from + last.text.length : last.to);
  return { from, to, at };
}

const pieceArb: fc.Arbitrary<{ kind: Piece['kind']; text: string; width: number }> = fc.record({
  kind: fc.constantFrom<Piece['kind']>('raw', 'escape', 'placeholder'),
  text: fc.string({ maxLength: 6 }),
  width: fc.integer({ min: 0, max: 5 }),
});

describe('rendered SQL', () => {
  test('from, to and at give, for every character and boundary, the file range of the piece that produced it', () => {
    fc.assert(
      fc.property(fc.array(pieceArb, { maxLength: 12 }), fc.array(fc.constantFrom<PlaceholderForm>(...PLACEHOLDER_FORMS), { maxLength: 12 }), fc.integer({ min: 0, max: 50 }), (specs, forms, start) => {
        let at = start;
        const pieces: Piece[] = specs.map((s, i) => {
          const from = at;
          at += s.kind === 'raw' ? s.text.length : s.width;
          if (s.kind === 'raw') return { kind: 'raw', text: s.text, from };
          if (s.kind === 'escape') return { kind: 'escape', text: s.text, from, to: at };
          return { kind: 'placeholder', from, to: at, expr: `e${i}` };
        });
        const src: SqlSource = { pieces, interpolated: true, origin: 'template', span: { start, end: at } };
        const r = render(src, forms);
        // Each placeholder's length as rendered in its form (`$n`, `"e1"`, nothing, ...).
        const want = perCharacter(src, r.sql, r.placeholders.map((p) => p.end - p.start));
        for (let i = 0; i < r.sql.length; i++) {
          assert.equal(r.from(i), want.from[i], `from(${i})`);
          assert.equal(r.to(i), want.to[i], `to(${i})`);
        }
        for (let i = 0; i <= r.sql.length; i++) assert.equal(r.at(i), want.at[i], `at(${i})`);
      }),
      { seed: 7, numRuns: 2000 },
    );
  });
});
