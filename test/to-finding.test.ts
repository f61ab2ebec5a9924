/** toFinding's object: the diagnostic's keys in their order, then the placement keys (JSON output shows this order). */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Diagnostic, Finding } from '../src/core/diagnostic.js';
import { SourceText } from '../src/core/source-text.js';
import { toFinding } from '../src/lint/engine.js';

/** What an object spread gives: the reference toFinding must match key for key. */
function spread(file: string, source: SourceText, d: Diagnostic, severity: Finding['severity']): Finding {
  const start = source.positionAt(d.span.start);
  const end = source.positionAt(d.span.end);
  return { ...d, file, severity, line: start.line, column: start.column, endLine: end.line, endColumn: end.column };
}

test('toFinding keeps the diagnostic\'s key order and appends file, severity and the positions', () => {
  const source = new SourceText('SELECT 1;\nALTER TABLE t\r\n  ADD x int;\n');
  const fix = { title: 't', applicability: 'unsafe' as const, edits: [{ start: 0, end: 1, text: 'x' }] };
  const shapes: Diagnostic[] = [
    { ruleId: 'a', message: 'm', span: { start: 0, end: 9 } },
    { ruleId: 'b', message: 'm', note: 'n', help: 'h', span: { start: 10, end: 36 }, fix },
    { span: { start: 12, end: 12 }, help: 'h', ruleId: 'c', message: 'm', lock: { relation: 'public.t', mode: 'ACCESS EXCLUSIVE' } },
    { ruleId: 'd', message: 'm', span: { start: 40, end: 99 }, related: [{ span: { start: 0, end: 1 }, message: 'here' }] },
    // A key toFinding sets, already there: overwritten where it stands, as a spread does.
    { ruleId: 'e', message: 'm', span: { start: 3, end: 4 }, ...({ line: 99, file: 'other' } as object) } as Diagnostic,
  ];
  for (const d of shapes) {
    const got = toFinding('/x/a.sql', source, d, 'warning');
    const want = spread('/x/a.sql', source, d, 'warning');
    assert.deepEqual(Object.keys(got), Object.keys(want));
    assert.deepEqual(got, want);
    assert.equal(JSON.stringify(got), JSON.stringify(want));
    assert.notEqual(got, d, 'a new object: the diagnostic is not changed');
  }
});
