/**
 * Table-driven checks of builder translations: for each call form, the exact SQL
 * statements the frontend produces, that each parses, and the code each spans.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseSql } from '../../src/sql/parse.js';
import { slice, unitOf } from '../sources/support.js';

export interface BuilderCase {
  /** The call(s), as they appear in the migration's `up`. */
  code: string;
  /** The SQL of each statement, in order. */
  sql: string[];
  /** The code each statement spans (one entry per statement; a single entry applies to all). Default: `code` without a trailing `;`. */
  spans?: string[];
  /** Whether the statements carry interpolated (unknown) names or values. Default false. */
  interpolated?: boolean;
  /** The code of calls reported as not analysed. Default none. */
  unanalysed?: string[];
}

/** Runs one test per case; `wrap` makes the migration file around the case's code. */
export function builderCases(cases: BuilderCase[], wrap: (code: string) => string, file = 'migration.ts'): void {
  for (const c of cases) {
    test(c.code.replace(/\s+/g, ' ').slice(0, 100), () => {
      const text = wrap(c.code);
      const unit = unitOf(text, file);
      assert.deepEqual(unit.statements.map((s) => s.sql), c.sql);
      const spans = c.spans ?? [c.code.replace(/;\s*$/, '').replace(/^await /, '')];
      unit.statements.forEach((s, i) => {
        assert.equal(s.origin, 'builder', s.sql);
        assert.equal(slice(text, s.span), spans.length === 1 ? spans[0] : spans[i], `span of ${s.sql}`);
        assert.equal(s.interpolated, c.interpolated ?? false, `interpolated of ${s.sql}`);
        const parsed = parseSql(s.sql);
        assert.equal(parsed.error, null, `${s.sql} parses`);
        assert.equal(parsed.statements.length, 1, s.sql);
      });
      assert.deepEqual(unit.unanalysed.map((u) => slice(text, u.span)), c.unanalysed ?? []);
      assert.deepEqual(unit.syntaxErrors, []);
    });
  }
}
