/**
 * `miglint lsp` across edits: what the server keeps from one lint of a document to the next
 * (its SQL parses, by text) never changes what a lint finds. Each lint after an edit is
 * compared with the CLI's lint of the same text.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, before, describe, test } from 'node:test';
import type { Diagnostic, DocumentDiagnosticReport } from 'vscode-languageserver-protocol';
import { rules } from '../../rules/index.js';
import { ConfigLoader } from '../../src/config/index.js';
import { discoverFiles } from '../../src/lint/discover.js';
import { lintText } from '../../src/lint/engine.js';
import { configForFile } from '../../src/lint/run.js';
import { DocumentParses } from '../../src/lsp/parse-cache.js';
import { MemoStore } from '../../src/core/file-memo.js';
import { prepareAllFrontends } from '../../src/sources/index.js';
import { withParseMemo, type ParsedSql, type ParseMemo } from '../../src/sql/parse.js';
import type { ts as Ts } from 'ts-morph';
import { ts } from '../../src/sources/typescript/morph.js';
import { openSourceFile } from '../../src/sources/typescript/project.js';
import { ScriptTrees, withScriptTrees } from '../../src/sources/typescript/script-trees.js';
import { startLsp, type LspSession } from '../support/lsp-client.js';
import { repoRoot } from '../support/paths.js';

const PULL = { general: { positionEncodings: ['utf-16'] }, textDocument: { diagnostic: { dynamicRegistration: false }, codeAction: {} } };

/**
 * A TypeORM migration of three queries in `up`; the third is the one edited, to a statement whose
 * findings differ and whose neighbours' do not depend on it (`EDITED` and its replacement have the same length).
 */
const EDITED = 'CREATE INDEX idx_b ON b (x)';
const REPLACEMENT = 'ALTER TABLE b DROP COLUMN z';
const TS = `import { MigrationInterface, QueryRunner } from 'typeorm';

export class Edits1700000000000 implements MigrationInterface {
  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(\`CREATE INDEX idx_a ON a (x)\`);
    await queryRunner.query(\`ALTER TABLE c ADD COLUMN y int\`);
    await queryRunner.query(\`${EDITED}\`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP INDEX idx_a');
  }
}
`;
const EDITED_LINE = 6; // 0-based

type Row = [code: string, line: number, character: number, endLine: number, endCharacter: number, message: string];

const rows = (items: Diagnostic[]): Row[] => items.map((d) => [String(d.code), d.range.start.line, d.range.start.character, d.range.end.line, d.range.end.character, String(d.message).split('\n')[0]!]);

/** The CLI's findings for `text` saved as `file`, as rows. */
function cli(file: string, text: string): Row[] {
  writeFileSync(file, text);
  const r = spawnSync(process.execPath, [join(repoRoot, 'bin', 'miglint.js'), '--format', 'json', file], { encoding: 'utf8' });
  const [report] = JSON.parse(r.stdout) as { messages: { ruleId: string; line: number; column: number; endLine: number; endColumn: number; message: string }[] }[];
  return report!.messages.map((m) => [m.ruleId, m.line - 1, m.column - 1, m.endLine - 1, m.endColumn - 1, m.message]);
}

describe('miglint lsp: re-lint after edits', () => {
  let s: LspSession;
  let dir: string;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'miglint-lsp-relint-'));
    writeFileSync(join(dir, 'package.json'), '{}');
    s = await startLsp(dir, PULL);
  });
  after(async () => assert.equal(await s.close(), 0));

  async function lint(uri: string, version: number, text: string): Promise<Row[]> {
    if (version === 1) await s.connection.sendNotification('textDocument/didOpen', { textDocument: { uri, languageId: 'typescript', version, text } });
    else await s.connection.sendNotification('textDocument/didChange', { textDocument: { uri, version }, contentChanges: [{ text }] });
    const r = (await s.connection.sendRequest('textDocument/diagnostic', { textDocument: { uri } })) as DocumentDiagnosticReport;
    return r.kind === 'full' ? rows(r.items) : [];
  }

  test('an edit that changes one query changes exactly its diagnostics, and undoing it brings the first ones back', async () => {
    const file = join(dir, '1700000000000-Edits.ts');
    const uri = pathToFileURL(file).href;
    const edited = TS.replace(EDITED, REPLACEMENT);
    const first = await lint(uri, 1, TS);
    assert.deepEqual(first, cli(file, TS));
    const second = await lint(uri, 2, edited);
    assert.deepEqual(second, cli(file, edited));
    const elsewhere = (rs: Row[]) => rs.filter((r) => r[1] !== EDITED_LINE);
    const there = (rs: Row[]) => rs.filter((r) => r[1] === EDITED_LINE).map((r) => r[0]);
    assert.deepEqual(elsewhere(second), elsewhere(first));
    assert.ok(there(first).includes('require-concurrent-index-creation') && !there(second).includes('require-concurrent-index-creation'), String(there(second)));
    assert.ok(there(second).includes('ban-drop-column'), String(there(second)));
    assert.deepEqual(await lint(uri, 3, TS), first);
    assert.deepEqual(await lint(uri, 4, edited), second);
  });
});

describe('DocumentParses', () => {
  const parsed = (n: number) => ({ statements: [], comments: [], error: null, errors: [], unparsed: [], nulCount: n }) as ParsedSql;

  test('keeps what the last lint used and drops the rest', () => {
    const p = new DocumentParses();
    p.nextLint();
    p.set('a', parsed(1));
    p.set('b', parsed(2));
    p.nextLint();
    assert.equal(p.get('a')?.nulCount, 1);
    p.set('c', parsed(3));
    p.nextLint();
    // 'b' was not used by the second lint: gone; 'a' and 'c' were.
    assert.equal(p.get('b'), undefined);
    assert.equal(p.get('c')?.nulCount, 3);
    assert.equal(p.size, 2);
    p.nextLint();
    p.nextLint();
    assert.equal(p.size, 0);
  });
});

/** Freezes `o` and everything reachable from it. */
function deepFreeze<T>(o: T, seen = new Set<unknown>()): T {
  if (o === null || typeof o !== 'object' || seen.has(o)) return o;
  seen.add(o);
  for (const v of Object.values(o)) deepFreeze(v, seen);
  return Object.freeze(o);
}

describe('shared SQL parses', () => {
  test('every rule fixture gets the same findings when each parse is shared and frozen (no caller changes a parse)', async () => {
    await prepareAllFrontends();
    const loader = new ConfigLoader(new Set(rules.map((r) => r.meta.id)));
    const files = await discoverFiles([join(repoRoot, 'fixtures', 'rules')], repoRoot);
    assert.ok(files.length > 500, String(files.length));
    const shared = new Map<string, ParsedSql>();
    // A caller that wrote to a frozen parse would throw (modules are strict code), or find otherwise than without sharing.
    const memo: ParseMemo = { get: (sql) => shared.get(sql), set: (sql, parsed) => void shared.set(sql, deepFreeze(parsed)) };
    const opts = { rules, only: null, directions: null };
    for (const file of files) {
      const text = readFileSync(file, 'utf8');
      const config = await configForFile(file, loader);
      const alone = lintText(file, text, config, opts).findings;
      // Twice: the first lint fills the memo, the second reads every parse from it; with the caches kept between them, as the server keeps them.
      const memos = new MemoStore();
      for (const round of [1, 2]) assert.deepEqual(withParseMemo(memo, () => lintText(file, text, config, { ...opts, memos }).findings), alone, `${file} (${round})`);
    }
    assert.ok(shared.size > 500, String(shared.size));
  });
});

/**
 * Edits of a text, each applied to the one before: a character typed inside a line, a line
 * deleted, a line doubled, a bracket removed (the text stops parsing), then the original back.
 */
function editsOf(text: string): string[] {
  const lines = text.split('\n');
  const mid = Math.floor(lines.length / 2);
  const typed = lines.map((l, i) => (i === mid ? `${l.slice(0, l.length >> 1)}x${l.slice(l.length >> 1)}` : l)).join('\n');
  const deleted = lines.filter((_, i) => i !== mid).join('\n');
  const doubled = [...lines.slice(0, mid + 1), ...lines.slice(mid)].join('\n');
  const at = text.indexOf('(', text.length >> 1);
  const unbalanced = at < 0 ? `${text}{` : text.slice(0, at) + text.slice(at + 1);
  return [typed, deleted, doubled, unbalanced, `${text}\n// more`];
}

/** A tree's nodes in document order as kind, start and end, with its parse errors: what an incremental parse must reproduce. */
function shape(sf: Ts.SourceFile): string {
  const out: number[] = [];
  const visit = (n: Ts.Node) => {
    out.push(n.kind, n.pos, n.end);
    ts.forEachChild(n, visit);
  };
  visit(sf);
  const errors = (sf as { parseDiagnostics?: Ts.Diagnostic[] }).parseDiagnostics ?? [];
  return `${out.join(',')}|${errors.map((d) => `${d.start}:${d.code}`).join(',')}`;
}

describe('kept syntax trees', () => {
  test('every TS/JS rule fixture, edited one way after another and parsed from its last tree, gets the tree of a fresh parse, and the findings of a fresh lint', async () => {
    // Each fixture: a line added at the end (nearly every node reused: a cache keyed by compiler nodes then
    // answers for the old tree), two of the other four edits in turn, then back to its text. Every text's
    // tree is compared with a fresh parse; the findings are compared for the added line on every fixture and
    // for every text on every fifth.
    await prepareAllFrontends();
    const loader = new ConfigLoader(new Set(rules.map((r) => r.meta.id)));
    const files = (await discoverFiles([join(repoRoot, 'fixtures', 'rules')], repoRoot)).filter((f) => /\.[cm]?[jt]s$/.test(f));
    assert.ok(files.length > 300, String(files.length));
    const opts = { rules, only: null, directions: null };
    let updated = 0;
    let linted = 0;
    for (const [k, file] of files.entries()) {
      const config = await configForFile(file, loader);
      const trees = new ScriptTrees();
      // The caches the server keeps for a document from one lint to the next.
      const memos = new MemoStore();
      const original = readFileSync(file, 'utf8');
      const edits = editsOf(original);
      for (const [step, text] of [original, edits[4]!, edits[k % 4]!, edits[(k + 1) % 4]!, original].entries()) {
        const before = trees.last?.tree;
        const where = `${file}, text ${step}: ${JSON.stringify(text.slice(0, 80))}`;
        if (step < 2 || k % 5 === 0) {
          const kept = withScriptTrees(trees, () => lintText(file, text, config, { ...opts, memos }).findings);
          assert.deepEqual(kept, lintText(file, text, config, opts).findings, where);
          linted++;
        }
        if (step > 0) {
          // The tree the lint kept (or a parse from it), against a fresh parse of the same text.
          const kept = step < 2 || k % 5 === 0 ? trees.last!.tree : withScriptTrees(trees, () => openSourceFile(file, text)).sf.compilerNode;
          assert.equal(shape(kept), shape(openSourceFile(file, text).sf.compilerNode), where);
        }
        if (before && trees.last && trees.last.tree !== before) updated++;
      }
    }
    // Each text after the first of a file is parsed from the tree before it.
    assert.equal(updated, files.length * 4);
    assert.ok(linted > files.length * 2, String(linted));
  });
});
