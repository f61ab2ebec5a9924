/** Helpers for the TypeScript frontend's tests. */
import assert from 'node:assert/strict';
import type { Edit, Span } from '../../src/core/diagnostic.js';
import { DEFAULT_SETTINGS, type LintSettings } from '../../src/core/rule.js';
import type { MigrationUnit, Statement } from '../../src/core/unit.js';
import { computeContexts } from '../../src/sql/context.js';
import { initSqlParser } from '../../src/sql/parse.js';
import { typescriptUnit } from '../../src/sources/typescript/index.js';

export { initSqlParser };

/** The unit of `text` as `file`, with statement contexts computed. */
export function unitOf(text: string, file = 'migration.ts', settings: Partial<LintSettings> = {}): MigrationUnit {
  const all = { ...DEFAULT_SETTINGS, ...settings };
  const unit = typescriptUnit(file, text, all);
  computeContexts(unit, { runtimeSetsTimeouts: false, pgVersion: all.pgVersion });
  return unit;
}

/** Lines joined with `\n` (keeps backticks and backslashes of migration code readable). */
export function lines(...ls: string[]): string {
  return ls.join('\n');
}

export function slice(text: string, span: Span): string {
  return text.slice(span.start, span.end);
}

/** Applies edits (non-overlapping) to `text`. */
export function applyEdits(text: string, edits: Edit[] | null | undefined): string {
  assert.ok(edits, 'expected edits, got null');
  let out = text;
  for (const e of [...edits].sort((a, b) => b.start - a.start || b.end - a.end)) out = out.slice(0, e.start) + e.text + out.slice(e.end);
  return out;
}

/** The one statement whose SQL starts with `prefix`. */
export function statement(unit: MigrationUnit, prefix: string): Statement {
  const found = unit.statements.filter((s) => s.sql.startsWith(prefix));
  assert.equal(found.length, 1, `one statement starting with ${JSON.stringify(prefix)} in ${JSON.stringify(unit.statements.map((s) => s.sql))}`);
  return found[0]!;
}
