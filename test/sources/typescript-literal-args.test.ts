/**
 * A query argument that is a plain literal is read on the compiler's nodes (`literalSourceOf`):
 * the same SQL source, pieces and span as `sqlSourceOf` reads through the wrappers.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ConstTable, literalSourceOf, sqlSourceOf, unwrap } from '../../src/sources/typescript/literals.js';
import { SyntaxKind } from '../../src/sources/typescript/morph.js';
import { NodeIndex } from '../../src/sources/typescript/nodes.js';
import { openSourceFile } from '../../src/sources/typescript/project.js';

/** The first arguments of the `q.query(...)` calls of `text`, as both readings see them. */
function readings(text: string) {
  const open = openSourceFile('m.ts', text);
  const nodes = new NodeIndex(open.sf);
  const consts = new ConstTable(nodes);
  return nodes
    .ofKind(SyntaxKind.CallExpression)
    .filter((call) => call.getExpression().getText() === 'q.query')
    .map((call) => call.getArguments()[0]!)
    .map((arg) => ({ text: arg.getText(), raw: literalSourceOf(arg.compilerNode, open.sf.compilerNode), wrapped: sqlSourceOf(unwrap(arg), consts) }));
}

describe('plain literal query arguments', () => {
  test('strings and templates with escapes, line breaks and wrappers read as sqlSourceOf reads them', () => {
    const args = [
      "'SELECT 1'",
      '"SELECT \\"a\\" FROM t"',
      "'it\\'s \\x41\\u{1F600}\\\n done'",
      '`CREATE TABLE t (\r\n  a int\r\n)`',
      '`line\\ttab \\` tick`',
      "('SELECT 2')",
      "'SELECT 3' as string",
      "('SELECT 4' satisfies string)!",
      "<string>'SELECT 5'",
      "''",
      '``',
    ];
    const text = args.map((a) => `q.query(${a});\n`).join('');
    const got = readings(text);
    assert.equal(got.length, args.length);
    for (const r of got) {
      assert.ok(r.raw, r.text);
      assert.deepEqual(r.raw, r.wrapped, r.text);
    }
  });

  test('any other argument is left to sqlSourceOf', () => {
    const got = readings(["const S = 'SELECT 1';", 'q.query(S);', 'q.query(`SELECT ${x}`);', "q.query('a' + 'b');", "q.query({ text: 'SELECT 1' });", 'q.query(f());'].join('\n'));
    assert.equal(got.length, 5);
    for (const r of got) assert.equal(r.raw, null, r.text);
  });
});
