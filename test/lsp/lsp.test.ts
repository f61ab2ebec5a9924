/** `miglint lsp` end to end: a real client over stdio, as an editor uses it. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { glob } from 'tinyglobby';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, before, describe, test } from 'node:test';
import type { CodeAction, Diagnostic, DocumentDiagnosticReport, TextEdit } from 'vscode-languageserver-protocol';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { startLsp, type LspSession } from '../support/lsp-client.js';
import { repoRoot } from '../support/paths.js';

const PULL = { general: { positionEncodings: ['utf-16'] }, textDocument: { diagnostic: { dynamicRegistration: false }, codeAction: {} }, workspace: { diagnostics: { refreshSupport: true }, didChangeWatchedFiles: { dynamicRegistration: true } } };
const PUSH = { general: { positionEncodings: ['utf-16'] }, textDocument: { publishDiagnostics: { versionSupport: true } } };
const UTF8 = { ...PULL, general: { positionEncodings: ['utf-8', 'utf-16'] } };

/** The comment line puts multi-byte characters (2-byte Hebrew, a 4-byte emoji) before the finding on the same line. */
// The drop of an INVALID leftover comes first, so the concurrent build the edits make is robust (prefer-robust-stmts).
const SQL = "SET lock_timeout = '5s'; SET statement_timeout = '60s';\nDROP INDEX CONCURRENTLY IF EXISTS idx_a;\n/* שלום 🎉 */ CREATE INDEX idx_a ON leads (a);\n";

function project(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'miglint-lsp-'));
  writeFileSync(join(dir, 'package.json'), '{}');
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

async function open(s: LspSession, path: string, text: string, languageId = 'sql', version = 1): Promise<string> {
  const uri = pathToFileURL(path).href;
  await s.connection.sendNotification('textDocument/didOpen', { textDocument: { uri, languageId, version, text } });
  return uri;
}

async function pull(s: LspSession, uri: string): Promise<Diagnostic[]> {
  const r = (await s.connection.sendRequest('textDocument/diagnostic', { textDocument: { uri } })) as DocumentDiagnosticReport;
  assert.equal(r.kind, 'full');
  return r.kind === 'full' ? r.items : [];
}

async function actions(s: LspSession, uri: string, d: Diagnostic, only?: string[]): Promise<CodeAction[]> {
  return (await s.connection.sendRequest('textDocument/codeAction', { textDocument: { uri }, range: d.range, context: { diagnostics: [d], ...(only ? { only } : {}) } })) as CodeAction[];
}

function apply(text: string, edits: TextEdit[]): string {
  return TextDocument.applyEdits(TextDocument.create('file:///x', 'sql', 1, text), edits);
}

describe('miglint lsp: pull diagnostics, UTF-16', () => {
  let s: LspSession;
  let dir: string;
  before(async () => {
    dir = project({});
    s = await startLsp(dir, PULL);
  });
  after(async () => assert.equal(await s.close(), 0));

  test('initialize advertises pull diagnostics, incremental sync, code actions and the negotiated encoding', () => {
    const c = s.initialize.capabilities;
    assert.equal(c.positionEncoding, 'utf-16');
    assert.deepEqual(c.diagnosticProvider, { identifier: 'miglint', interFileDependencies: false, workspaceDiagnostics: false });
    assert.equal(typeof c.textDocumentSync === 'object' && c.textDocumentSync.change, 2);
    assert.ok(c.codeActionProvider);
  });

  test('a SQL document: the finding after Hebrew and emoji text, in UTF-16 code units, with code, docs link, source and fix', async () => {
    const uri = await open(s, join(dir, '0001.sql'), SQL);
    const items = await pull(s, uri);
    assert.deepEqual(items.map((d) => d.code), ['require-concurrent-index-creation']);
    const d = items[0]!;
    const col = '/* שלום 🎉 */ '.length; // UTF-16: the emoji is two code units
    assert.deepEqual(d.range, { start: { line: 2, character: col }, end: { line: 2, character: col + 'CREATE INDEX idx_a ON leads (a);'.length - 1 } });
    assert.equal(d.source, 'miglint');
    assert.equal(d.severity, 1);
    assert.match(d.codeDescription!.href, /rules\/require-concurrent-index-creation\.md$/);
  });

  test('code actions: the safe fix is preferred and clears the finding; ignore-for-statement and ignore-for-file each suppress it and nothing else', async () => {
    const path = join(dir, '0002.sql');
    const uri = await open(s, path, SQL);
    const [d] = await pull(s, uri);
    const list = await actions(s, uri, d!);
    const titles = list.map((a) => a.title);
    assert.deepEqual(titles, [
      'Fix: Use CREATE INDEX CONCURRENTLY',
      'Ignore require-concurrent-index-creation for this statement',
      'Ignore require-concurrent-index-creation for this file',
      'Show documentation for require-concurrent-index-creation',
    ]);
    assert.equal(list[0]!.isPreferred, true);
    let version = 1;
    for (const action of list.slice(0, 3)) {
      const fixed = apply(SQL, action.edit!.changes![uri]!);
      await s.connection.sendNotification('textDocument/didChange', { textDocument: { uri, version: ++version }, contentChanges: [{ text: fixed }] });
      assert.deepEqual(await pull(s, uri), [], `${action.title}:\n${fixed}`);
    }
    assert.equal(apply(SQL, list[1]!.edit!.changes![uri]!), SQL.replace('/* שלום', '-- miglint-ignore require-concurrent-index-creation\n/* שלום'));
    assert.deepEqual(list[3]!.command!.command, 'miglint.showDocumentation');
  });

  test('incremental edits are applied and re-linted; a stale diagnostic gets no code action', async () => {
    const uri = await open(s, join(dir, '0003.sql'), SQL);
    const [stale] = await pull(s, uri);
    const at = { line: 2, character: '/* שלום 🎉 */ CREATE INDEX'.length };
    await s.connection.sendNotification('textDocument/didChange', { textDocument: { uri, version: 2 }, contentChanges: [{ range: { start: at, end: at }, text: ' CONCURRENTLY IF NOT EXISTS' }] });
    assert.deepEqual(await pull(s, uri), []);
    assert.deepEqual(await actions(s, uri, stale!), []);
  });

  test('a code action takes the fix of the very finding its diagnostic names, and none for a diagnostic this lint did not make', async () => {
    const path = join(dir, '0005.sql');
    const uri = await open(s, path, SQL);
    const [d] = await pull(s, uri);
    assert.deepEqual((await actions(s, uri, d!, ['quickfix'])).map((a) => a.title)[0], 'Fix: Use CREATE INDEX CONCURRENTLY');
    // An index that names no finding, or another rule's finding: nothing.
    assert.deepEqual(await actions(s, uri, { ...d!, data: { ...(d!.data as object), index: 7 } }), []);
    // Closed and reopened at the same version with other text: the old diagnostic's index now names a finding elsewhere.
    await s.connection.sendNotification('textDocument/didClose', { textDocument: { uri } });
    await open(s, path, `SELECT 1;\n${SQL}`);
    const [moved] = await pull(s, uri);
    assert.deepEqual([moved?.code, moved?.range.start.line, (moved?.data as { version: number; index: number }).index], [d!.code, d!.range.start.line + 1, 0]);
    assert.deepEqual(await actions(s, uri, d!), []);
    const [fix] = await actions(s, uri, moved!, ['quickfix']);
    assert.equal(apply(`SELECT 1;\n${SQL}`, fix!.edit!.changes![uri]!), `SELECT 1;\n${SQL}`.replace('CREATE INDEX', 'CREATE INDEX CONCURRENTLY'));
  });

  test('a TS document gets the same findings as the CLI, and fix-all gives what `miglint --fix` writes', async () => {
    const text = readFileSync(join(repoRoot, 'fixtures', 'rules', 'require-concurrent-index-creation', 'bad.knex.ts'), 'utf8');
    const file = join(dir, 'bad.knex.ts');
    writeFileSync(file, text);
    const uri = await open(s, file, text, 'typescript');
    const items = await pull(s, uri);
    assert.ok(items.length >= 3, String(items.length));
    assert.deepEqual(items.map((d) => [d.code, d.range.start.line + 1, d.range.start.character + 1]), cliFindings(file).map((m) => [m.ruleId, m.line, m.column]));
    const [fixAll] = await actions(s, uri, items[0]!, ['source.fixAll']);
    assert.equal(fixAll!.kind, 'source.fixAll.miglint');
    const r = spawnSync(process.execPath, [join(repoRoot, 'bin', 'miglint.js'), '--fix', file], { cwd: dir, encoding: 'utf8' });
    assert.notEqual(r.status, 2, r.stderr);
    const written = readFileSync(file, 'utf8');
    assert.notEqual(written, text);
    assert.equal(apply(text, fixAll!.edit!.changes![uri]!), written);
  });

  test('a multi-part finding carries its other places as related information', async () => {
    const file = join(repoRoot, 'fixtures', 'rules', 'no-idle-in-transaction', 'bad.pg.check.ts');
    const uri = await open(s, file, readFileSync(file, 'utf8'), 'typescript');
    const d = (await pull(s, uri)).find((x) => x.code === 'no-idle-in-transaction')!;
    assert.deepEqual(
      d.relatedInformation?.map((r) => [r.location.uri, r.location.range.start.line + 1, r.location.range.start.character + 1, r.message]),
      [
        [uri, 7, 9, '`client` is acquired here.'],
        [uri, 9, 26, 'The check query that opens the transaction.'],
      ],
    );
  });

  test('a new configuration file refreshes the diagnostics', async () => {
    const path = join(dir, '0004.sql');
    const uri = await open(s, path, SQL);
    assert.equal((await pull(s, uri)).length, 1);
    writeFileSync(join(dir, '.miglintrc.json'), JSON.stringify({ rules: { 'require-concurrent-index-creation': 'off' }, startAfter: '0001' }));
    await s.connection.sendNotification('workspace/didChangeWatchedFiles', { changes: [{ uri: pathToFileURL(join(dir, '.miglintrc.json')).href, type: 1 }] });
    assert.deepEqual(await pull(s, uri), []);
    assert.ok(s.serverRequests.includes('workspace/diagnostic/refresh'), String(s.serverRequests));
    // As the CLI, a migration up to startAfter is not linted: the timeout findings of 0001 are gone too.
    const first = await open(s, join(dir, '0001_early.sql'), 'ALTER TABLE leads ADD COLUMN x int;\n');
    assert.deepEqual(await pull(s, first), []);
    const later = await open(s, join(dir, '0002_later.sql'), 'ALTER TABLE leads ADD COLUMN x int;\n');
    assert.deepEqual((await pull(s, later)).map((d) => d.code), ['require-lock-timeout', 'require-statement-timeout']);
  });
  test('a new migration_lock.toml makes the open migration.sql a Prisma migration', async () => {
    const path = join(dir, 'prisma', 'migrations', '20240101000000_x', 'migration.sql');
    mkdirSync(join(path, '..'), { recursive: true });
    const text = "SET lock_timeout = '5s';\nSET statement_timeout = '60s';\nDROP INDEX CONCURRENTLY IF EXISTS leads_region_idx;\nCREATE INDEX CONCURRENTLY leads_region_idx ON leads (region);\n";
    const uri = await open(s, path, text);
    assert.deepEqual(await pull(s, uri), [], 'run by psql, statement by statement');
    const lock = join(dir, 'prisma', 'migrations', 'migration_lock.toml');
    writeFileSync(lock, 'provider = "postgresql"\n');
    // As a client does: the server hears of the change only when one of the globs it registered matches the file.
    const globs = (s.registrations as { registrations: { method: string; registerOptions: { watchers: { globPattern: string }[] } }[] }[])
      .flatMap((r) => r.registrations)
      .filter((r) => r.method === 'workspace/didChangeWatchedFiles')
      .flatMap((r) => r.registerOptions.watchers.map((w) => w.globPattern));
    assert.ok((await glob(globs, { cwd: dir, dot: true })).includes('prisma/migrations/migration_lock.toml'), `no watcher matches the lock file: ${globs.join(' ')}`);
    await s.connection.sendNotification('workspace/didChangeWatchedFiles', { changes: [{ uri: pathToFileURL(lock).href, type: 1 }] });
    // One query string: both the drop and the build run in its implicit transaction block.
    assert.deepEqual((await pull(s, uri)).map((d) => d.code), ['ban-concurrent-index-creation-in-transaction', 'ban-concurrent-index-creation-in-transaction']);
  });
});

describe('miglint lsp: UTF-8 positions', () => {
  test('ranges count UTF-8 bytes when the client prefers UTF-8, in both directions', async () => {
    const dir = project({});
    const s = await startLsp(dir, UTF8);
    try {
      assert.equal(s.initialize.capabilities.positionEncoding, 'utf-8');
      const uri = await open(s, join(dir, '0001.sql'), SQL);
      const [d] = await pull(s, uri);
      const col = Buffer.byteLength('/* שלום 🎉 */ ', 'utf8');
      assert.deepEqual(d!.range.start, { line: 2, character: col });
      // A replacement whose range is given in UTF-8 bytes lands exactly after the multi-byte text.
      const from = { line: 2, character: col };
      const to = { line: 2, character: Buffer.byteLength('/* שלום 🎉 */ CREATE INDEX', 'utf8') };
      await s.connection.sendNotification('textDocument/didChange', { textDocument: { uri, version: 2 }, contentChanges: [{ range: { start: from, end: to }, text: 'CREATE UNIQUE INDEX' }] });
      const [unique] = await pull(s, uri);
      assert.deepEqual(unique!.range, { start: { line: 2, character: col }, end: { line: 2, character: col + 'CREATE UNIQUE INDEX idx_a ON leads (a)'.length } });
      const at = { line: 2, character: Buffer.byteLength('/* שלום 🎉 */ CREATE UNIQUE INDEX', 'utf8') };
      await s.connection.sendNotification('textDocument/didChange', { textDocument: { uri, version: 3 }, contentChanges: [{ range: { start: at, end: at }, text: ' CONCURRENTLY IF NOT EXISTS' }] });
      assert.deepEqual(await pull(s, uri), []);
      // Two changes in one notification: the second's range is in the text the first made.
      const two = [
        { range: { start: { line: 2, character: 0 }, end: { line: 2, character: 0 } }, text: '/* 🎉 */ ' },
        { range: { start: at, end: { line: 2, character: at.character + Buffer.byteLength('/* 🎉 */ ', 'utf8') + ' CONCURRENTLY IF NOT EXISTS'.length } }, text: '' },
      ];
      two[1]!.range.start = { line: 2, character: at.character + Buffer.byteLength('/* 🎉 */ ', 'utf8') };
      await s.connection.sendNotification('textDocument/didChange', { textDocument: { uri, version: 4 }, contentChanges: two });
      const [again] = await pull(s, uri);
      const from2 = Buffer.byteLength('/* 🎉 */ /* שלום 🎉 */ ', 'utf8');
      assert.deepEqual([again?.code, again?.range], ['require-concurrent-index-creation', { start: { line: 2, character: from2 }, end: { line: 2, character: from2 + 'CREATE UNIQUE INDEX idx_a ON leads (a)'.length } }], 'CONCURRENTLY removed again, after the inserted comment');
      // The server's text, as fix-all rewrites it whole: exactly what the two changes make.
      const [fixAll] = await actions(s, uri, again!, ['source.fixAll']);
      assert.match(fixAll!.edit!.changes![uri]![0]!.newText, /\n\/\* 🎉 \*\/ \/\* שלום 🎉 \*\/ CREATE UNIQUE INDEX CONCURRENTLY idx_a ON leads \(a\);\n/);
    } finally {
      assert.equal(await s.close(), 0);
    }
  });
});

describe('miglint lsp: push diagnostics', () => {
  test('without pull support, diagnostics are published with the document version, and an edit re-publishes', async () => {
    const dir = project({});
    const s = await startLsp(dir, PUSH);
    try {
      assert.equal(s.initialize.capabilities.diagnosticProvider, undefined);
      const uri = pathToFileURL(join(dir, '0001.sql')).href;
      const first = s.nextPublished(uri);
      await open(s, join(dir, '0001.sql'), SQL);
      const p = await first;
      assert.equal(p.version, 1);
      assert.deepEqual(p.diagnostics.map((d) => d.code), ['require-concurrent-index-creation']);
      // Two quick edits: only the last version's diagnostics are published.
      const next = s.nextPublished(uri, (q) => q.version === 3);
      await s.connection.sendNotification('textDocument/didChange', { textDocument: { uri, version: 2 }, contentChanges: [{ text: 'SELECT 1;\n' }] });
      await s.connection.sendNotification('textDocument/didChange', { textDocument: { uri, version: 3 }, contentChanges: [{ text: SQL.replace('CREATE INDEX', 'CREATE INDEX CONCURRENTLY IF NOT EXISTS') }] });
      assert.deepEqual((await next).diagnostics, []);
      assert.deepEqual(s.published.map((q) => q.version), [1, 3]);
    } finally {
      assert.equal(await s.close(), 0);
    }
  });
});

interface CliMessage {
  fix?: { title: string; applicability: string; edits: { range: [number, number]; text: string }[] };
  ruleId: string;
  line: number;
  column: number;
  endLine: number;
  endColumn: number;
}

/** The CLI's JSON findings for `paths`, per absolute file path. */
function cliReport(paths: string[]): Map<string, CliMessage[]> {
  const r = spawnSync(process.execPath, [join(repoRoot, 'bin', 'miglint.js'), '--format', 'json', ...paths], { cwd: repoRoot, encoding: 'utf8' });
  const files = JSON.parse(r.stdout) as { filePath: string; messages: CliMessage[] }[];
  return new Map(files.map((f) => [resolve(repoRoot, f.filePath), f.messages]));
}

function cliFindings(file: string): CliMessage[] {
  return cliReport([file]).get(file) ?? [];
}

describe('miglint lsp: the bundled example projects', () => {
  test('every file gets exactly the CLI findings (rule and range) and fixes (title, applicability, edits)', async () => {
    const root = join(repoRoot, 'fixtures', 'projects');
    const cli = cliReport([root]);
    assert.ok(cli.size > 20, `the CLI linted ${cli.size} files`);
    const s = await startLsp(repoRoot, PULL);
    try {
      let compared = 0;
      let fixes = 0;
      for (const [file, messages] of cli) {
        const uri = await open(s, file, readFileSync(file, 'utf8'), file.endsWith('.sql') ? 'sql' : 'typescript');
        const items = await pull(s, uri);
        const lsp = items.map((d) => [d.code, d.range.start.line + 1, d.range.start.character + 1, d.range.end.line + 1, d.range.end.character + 1]);
        assert.deepEqual(lsp, messages.map((m) => [m.ruleId, m.line, m.column, m.endLine, m.endColumn]), file);
        const doc = TextDocument.create(uri, 'x', 1, readFileSync(file, 'utf8'));
        // Each diagnostic's fix as its code action gives it (one request for the file's diagnostics; each action names its diagnostic).
        const offered = items.length ? ((await s.connection.sendRequest('textDocument/codeAction', { textDocument: { uri }, range: items[0]!.range, context: { diagnostics: items, only: ['quickfix'] } })) as CodeAction[]) : [];
        const lspFixes = items.map((d) => {
          const fixActions = offered.filter((a) => a.diagnostics?.[0] === undefined ? false : JSON.stringify(a.diagnostics[0]) === JSON.stringify(d)).filter((a) => a.title.startsWith('Fix'));
          assert.ok(fixActions.length <= 1, `${file}: ${fixActions.length} fix actions for one diagnostic`);
          const a = fixActions[0];
          if (!a) return null;
          const m = /^Fix(?: \((unsafe), changes behaviour beyond the rule\))?: (.*)$/s.exec(a.title)!;
          assert.ok(m, a.title);
          assert.equal(a.isPreferred, !m[1], a.title);
          const edits = a.edit!.changes![uri]!;
          return { title: m[2], applicability: m[1] ?? 'safe', edits: edits.map((e) => ({ range: [doc.offsetAt(e.range.start), doc.offsetAt(e.range.end)], text: e.newText })) };
        });
        assert.deepEqual(lspFixes, messages.map((m) => (m.fix ? { title: m.fix.title, applicability: m.fix.applicability, edits: m.fix.edits } : null)), file);
        compared += messages.length;
        fixes += lspFixes.filter(Boolean).length;
      }
      assert.ok(compared > 50 && fixes > 20, `${compared} findings and ${fixes} fixes compared`);
    } finally {
      assert.equal(await s.close(), 0);
    }
  });
});
