/**
 * The language server's lint side, loaded after `initialize` has been answered (the
 * engine, the rules and the parsers take most of the start-up time).
 */
import { fileURLToPath } from 'node:url';
import { extname, resolve } from 'node:path';
import type { CodeAction, CodeActionParams, Diagnostic as LspDiagnostic } from 'vscode-languageserver';
import type { TextDocument } from 'vscode-languageserver-textdocument';
import { rules } from '../../rules/index.js';
import { SourceText } from '../core/source-text.js';
import { ConfigLoader } from '../config/index.js';
import { lintOne, newRunResult, type RunOptions } from '../lint/run.js';
import { isAfter } from '../lint/since.js';
import { isMigrationSource, languageFrontends, prepareAllFrontends } from '../sources/index.js';
import { codeActions } from './actions.js';
import { DocumentParses } from './parse-cache.js';
import { toLspDiagnostic, type LintedDocument } from './diagnostics.js';
import type { PositionEncoding } from './positions.js';

export class Linter {
  private loader = Linter.newLoader();
  private readonly runOptions: RunOptions;
  /** Each open document's SQL parses, reused by its next lint. */
  private readonly parses = new Map<string, DocumentParses>();

  private constructor(cwd: string) {
    this.runOptions = { cwd, rules, only: null, fix: 'off', unsafeFixes: false };
  }

  /** A linter with every registered frontend loaded. */
  static async create(cwd: string): Promise<Linter> {
    await prepareAllFrontends();
    return new Linter(cwd);
  }

  private static newLoader(): ConfigLoader {
    return new ConfigLoader(new Set(rules.map((r) => r.meta.id)));
  }

  /** Drops what is kept for a document (it was closed). */
  forget(uri: string): void {
    this.parses.delete(uri);
  }

  /** Forgets every configuration read so far (a configuration file changed). */
  configChanged(): void {
    this.loader = Linter.newLoader();
  }

  /**
   * Lints one document's text as the CLI lints `--stdin --stdin-filename <path>`:
   * a document of a kind miglint does not read, or a migration up to the configuration's
   * `startAfter`, gets no diagnostics; a configuration
   * error is one diagnostic on the first line.
   */
  async lint(doc: TextDocument, encoding: PositionEncoding): Promise<LintedDocument> {
    const path = documentPath(doc, this.runOptions.cwd);
    const text = doc.getText();
    const source = new SourceText(text);
    const base = { uri: doc.uri, version: doc.version, path, text, source, findings: [], diagnostics: [] as LspDiagnostic[], encoding };
    if (!isMigrationSource(path)) return base;
    try {
      const { startAfter } = await this.loader.forFile(path);
      if (startAfter !== null && !isAfter(path, startAfter)) return base; // as the CLI: not linted
      let parses = this.parses.get(doc.uri);
      if (!parses) this.parses.set(doc.uri, (parses = new DocumentParses()));
      parses.nextLint();
      const { findings, source: linted } = await lintOne(path, text, this.loader, { ...this.runOptions, parseMemo: parses, scriptTrees: parses.trees, memos: parses.memos }, newRunResult());
      return { ...base, source: linted, findings, diagnostics: findings.map((f, i) => toLspDiagnostic(f, i, linted, encoding, doc.version, doc.uri)) };
    } catch (e) {
      const message = `miglint could not lint this file: ${(e as Error).message}`;
      return { ...base, diagnostics: [{ range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } }, message, severity: 1, source: 'miglint', code: 'config-error' }] };
    }
  }

  codeActions(linted: LintedDocument, params: CodeActionParams): Promise<CodeAction[]> {
    return codeActions(linted, params, { loader: this.loader, runOptions: this.runOptions });
  }
}

/** The file path a document stands for: its file URI, or an untitled one named after its language in `cwd`. */
function documentPath(doc: TextDocument, cwd: string): string {
  if (doc.uri.startsWith('file:')) return fileURLToPath(doc.uri);
  const ext = languageFrontends().find((f) => f.editorLanguages?.[doc.languageId])?.editorLanguages?.[doc.languageId] ?? extname(doc.uri);
  return resolve(cwd, `untitled${ext}`);
}
