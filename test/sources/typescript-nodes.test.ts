/**
 * The node index (`nodes.ts`): a node is found by a binary search on `pos`, or through a map
 * when the tree's positions do not rise in document order; either way a node's descendants of
 * a kind and its wrapper are the tree's own.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { ts as Ts } from 'ts-morph';
import { NodeIndex, wrapperOf } from '../../src/sources/typescript/nodes.js';
import { openSourceFile } from '../../src/sources/typescript/project.js';
import { ts, type Node, type SyntaxKind } from '../../src/sources/typescript/morph.js';

/** Every node below `root` in document order (the file's children first). */
function descendants(root: Ts.Node): Ts.Node[] {
  const out: Ts.Node[] = [];
  const visit = (n: Ts.Node) => {
    out.push(n);
    ts.forEachChild(n, visit);
  };
  ts.forEachChild(root, visit);
  return out;
}

/** Checks, for every node of the file, `withinOfKind` against a walk of its subtree, and `node` against ts-morph's factory. */
function checkIndex(index: NodeIndex, sf: Node, kinds: SyntaxKind[]): number {
  let checked = 0;
  for (const n of descendants(sf.compilerNode)) {
    const w = index.node(n);
    assert.equal(w, wrapperOf(sf, n));
    for (const kind of kinds) {
      // A node the parser made up for a syntax error (zero width) at the subtree's very end is not
      // within it for `withinOfKind` (it scans the nodes that start before the end).
      const expected = descendants(n).filter((d) => (d.kind as number) === (kind as number) && d.pos < n.end);
      assert.deepEqual(index.withinOfKind(w, kind).map((d) => d.compilerNode), expected, `${ts.SyntaxKind[n.kind]} at ${n.pos}: ${ts.SyntaxKind[kind as number]}`);
    }
    checked++;
  }
  return checked;
}

const KINDS = [ts.SyntaxKind.Identifier, ts.SyntaxKind.CallExpression, ts.SyntaxKind.StringLiteral] as unknown as SyntaxKind[];

describe('node index', () => {
  test('every node is found: valid code, JSDoc and decorators, templates, a syntax error, JSX', () => {
    const texts: Array<[string, string]> = [
      ['m.ts', "/** @param q runner */\n@Entity()\nexport class M { @Column() a = 1; async up(q) { await q.query(`SELECT ${x}`, [f('a')]); } }\n"],
      ['m.ts', "export async function up(knex) { await knex.raw('x' + ; await knex.schema.createTable('t', (t) => { t.string('a') }) }\n"],
      ['m.tsx', "const v = <div a={f('x')}>{g('y')}</div>; export const up = (q) => q.query('SELECT 1');\n"],
      ['m.js', "exports.up = function (db) { return db.runSql(`CREATE TABLE t ()`, () => {}) };\n//\n"],
    ];
    for (const [file, text] of texts) {
      const open = openSourceFile(file, text);
      assert.ok(checkIndex(new NodeIndex(open.sf), open.sf, KINDS) > 10);
    }
  });

  test('a tree whose positions do not rise in document order is indexed by a map, with the same answers', () => {
    const open = openSourceFile('m.ts', "f('a'); g(h('b'));\n");
    const second = open.sf.compilerNode.statements[1]!;
    // The second statement starts (by `pos`) before the first one's nodes, as no parse leaves it.
    (second as { pos: number }).pos = 0;
    const index = new NodeIndex(open.sf);
    assert.deepEqual(
      index.withinOfKind(index.node(second), ts.SyntaxKind.CallExpression as unknown as SyntaxKind).map((c) => c.getText()),
      ["g(h('b'))", "h('b')"],
    );
    assert.ok(checkIndex(index, open.sf, KINDS) > 5);
  });
});
