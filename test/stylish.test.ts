/** The stylish reporter's exact text: code frames (tabs, line ends, spans over lines, a wider gutter), related places, notes, fixes, colours. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Finding } from '../src/core/diagnostic.js';
import { SourceText } from '../src/core/source-text.js';
import { stylish } from '../src/report/stylish.js';
import type { FileReport } from '../src/report/types.js';

/** 1-based positions of a span in `source`, as `toFinding` places them. */
function placed(source: SourceText, start: number, end: number) {
  const s = source.positionAt(start);
  const e = source.positionAt(end);
  return { span: { start, end }, line: s.line, column: s.column, endLine: e.line, endColumn: e.column };
}

/** Three files: four findings on a text with a tab, CRLF and CR line ends; one on line 13; none. */
function cases(): FileReport[] {
  const text = 'BEGIN;\n\tALTER TABLE\tleads ADD COLUMN x int;\r\nCREATE INDEX i ON t\n  (a);\rDROP TABLE t;\n';
  const source = new SourceText(text);
  const a = text.indexOf('ALTER');
  const c = text.indexOf('CREATE');
  const d = text.indexOf('DROP');
  const file = '/x/a.sql';
  const findings: Finding[] = [
    { ruleId: 'adding-field-with-default', message: 'A tabbed line.', note: 'Why.', help: 'Do this.', ...placed(source, a, a + 30), fix: { title: 'Rewrite it', applicability: 'unsafe', edits: [{ start: a, end: a + 1, text: 'x' }] }, file, severity: 'error' },
    { ruleId: 'require-concurrent-index-creation', message: 'Two lines.', ...placed(source, c, text.indexOf('(a)') + 3), related: [{ span: { start: 0, end: 5 }, message: 'the block opens here' }], fix: { title: 'Advice', applicability: 'display-only', edits: [] }, file, severity: 'warning' },
    { ruleId: 'ban-drop-table', message: 'An empty span at a CR line.', help: 'Keep it.', ...placed(source, d, d), fix: { title: 'Safe', applicability: 'safe', edits: [{ start: d, end: d, text: '-- ' }] }, file, severity: 'error' },
    { ruleId: 'syntax-error', message: 'At the end.', ...placed(source, text.length, text.length), file, severity: 'error' },
  ];
  const wide = new SourceText('x\n'.repeat(12) + 'SELECT 1;\n');
  const far: Finding = { ruleId: 'ban-vacuum-full', message: 'Line 13: a wider gutter.', ...placed(wide, 24, 33), file: '/x/b.sql', severity: 'warning' };
  return [
    { path: '/x/a.sql', displayPath: 'a.sql', source, findings },
    { path: '/x/b.sql', displayPath: 'b.sql', source: wide, findings: [far] },
    { path: '/x/c.sql', displayPath: 'c.sql', source: new SourceText(''), findings: [] },
  ];
}

const expectedPlain = "error[adding-field-with-default]: A tabbed line.\n  --> a.sql:2:2\n   │\n 2 │  ALTER TABLE leads ADD COLUMN x int;\n   │  ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^\n   = note: Why.\n   = help: Do this.\n   = fix (unsafe): Rewrite it\n\nwarning[require-concurrent-index-creation]: Two lines.\n  --> a.sql:3:1\n   │\n 3 │ CREATE INDEX i ON t\n   │ ^^^^^^^^^^^^^^^^^^^ … to line 4\n  ::: a.sql:1:1: the block opens here\n   = fix (display-only): Advice\n\nerror[ban-drop-table]: An empty span at a CR line.\n  --> a.sql:5:1\n   │\n 5 │ DROP TABLE t;\n   │ ^\n   = help: Keep it.\n   = fix (safe): Safe\n\nerror[syntax-error]: At the end.\n  --> a.sql:6:1\n   │\n 6 │ \n   │ ^\n\nwarning[ban-vacuum-full]: Line 13: a wider gutter.\n   --> b.sql:13:1\n    │\n 13 │ SELECT 1;\n    │ ^^^^^^^^^\n\n✖ 5 problems (3 errors, 2 warnings) in 3 files\n  1 is fixable with `miglint --fix`.\n  1 more is fixable with `miglint --fix --unsafe-fixes`.\n";

const expectedColor = "\u001b[31m\u001b[1merror[adding-field-with-default]\u001b[22m\u001b[39m\u001b[1m: A tabbed line.\u001b[22m\n  \u001b[34m-->\u001b[39m a.sql:2:2\n   \u001b[2m│\u001b[22m\n\u001b[2m 2\u001b[22m \u001b[2m│\u001b[22m  ALTER TABLE leads ADD COLUMN x int;\n   \u001b[2m│\u001b[22m  \u001b[31m^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^\u001b[39m\n   \u001b[34m=\u001b[39m \u001b[1mnote\u001b[22m: Why.\n   \u001b[34m=\u001b[39m \u001b[1mhelp\u001b[22m: Do this.\n   \u001b[34m=\u001b[39m \u001b[1mfix (unsafe)\u001b[22m: Rewrite it\n\n\u001b[33m\u001b[1mwarning[require-concurrent-index-creation]\u001b[22m\u001b[39m\u001b[1m: Two lines.\u001b[22m\n  \u001b[34m-->\u001b[39m a.sql:3:1\n   \u001b[2m│\u001b[22m\n\u001b[2m 3\u001b[22m \u001b[2m│\u001b[22m CREATE INDEX i ON t\n   \u001b[2m│\u001b[22m \u001b[31m^^^^^^^^^^^^^^^^^^^\u001b[39m\u001b[2m … to line 4\u001b[22m\n  \u001b[34m:::\u001b[39m a.sql:1:1: the block opens here\n   \u001b[34m=\u001b[39m \u001b[1mfix (display-only)\u001b[22m: Advice\n\n\u001b[31m\u001b[1merror[ban-drop-table]\u001b[22m\u001b[39m\u001b[1m: An empty span at a CR line.\u001b[22m\n  \u001b[34m-->\u001b[39m a.sql:5:1\n   \u001b[2m│\u001b[22m\n\u001b[2m 5\u001b[22m \u001b[2m│\u001b[22m DROP TABLE t;\n   \u001b[2m│\u001b[22m \u001b[31m^\u001b[39m\n   \u001b[34m=\u001b[39m \u001b[1mhelp\u001b[22m: Keep it.\n   \u001b[34m=\u001b[39m \u001b[1mfix (safe)\u001b[22m: Safe\n\n\u001b[31m\u001b[1merror[syntax-error]\u001b[22m\u001b[39m\u001b[1m: At the end.\u001b[22m\n  \u001b[34m-->\u001b[39m a.sql:6:1\n   \u001b[2m│\u001b[22m\n\u001b[2m 6\u001b[22m \u001b[2m│\u001b[22m \n   \u001b[2m│\u001b[22m \u001b[31m^\u001b[39m\n\n\u001b[33m\u001b[1mwarning[ban-vacuum-full]\u001b[22m\u001b[39m\u001b[1m: Line 13: a wider gutter.\u001b[22m\n   \u001b[34m-->\u001b[39m b.sql:13:1\n    \u001b[2m│\u001b[22m\n\u001b[2m 13\u001b[22m \u001b[2m│\u001b[22m SELECT 1;\n    \u001b[2m│\u001b[22m \u001b[31m^^^^^^^^^\u001b[39m\n\n\u001b[31m\u001b[1m✖\u001b[22m\u001b[39m 5 problems (3 errors, 2 warnings) in 3 files\n  1 is fixable with `miglint --fix`.\n  1 more is fixable with `miglint --fix --unsafe-fixes`.\n";

test('stylish writes each finding\'s block: frame, related places, note, help and fix', () => {
  assert.equal(stylish(cases(), { rules: [], color: false }), expectedPlain);
});

test('stylish colours the same blocks', () => {
  assert.equal(stylish(cases(), { rules: [], color: true }), expectedColor);
});
