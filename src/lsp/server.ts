/**
 * `miglint lsp`: a language server over stdio (LSP 3.17, `vscode-languageserver`).
 *
 * - Documents are linted exactly as `miglint --stdin --stdin-filename <path>` would lint
 *   them: the configuration found for the document's path, the same engine, the same
 *   findings (see `lintDocument`).
 * - Diagnostics are pulled (`textDocument/diagnostic`) when the client supports it, else
 *   pushed (`textDocument/publishDiagnostics`) after a debounce, dropping results for a
 *   document version that has moved on.
 * - Positions use the encoding negotiated at `initialize` (UTF-16 or UTF-8).
 * - Code actions: the rule's fix, "ignore for this statement/file", "show documentation",
 *   and "fix all" (`source.fixAll.miglint`); see `./actions.ts`.
 * - A change of configuration (`workspace/didChangeConfiguration`, or a watched config
 *   file) drops the cached configuration and refreshes every open document's diagnostics.
 */
import {
  CodeActionKind,
  DidChangeWatchedFilesNotification,
  DocumentDiagnosticReportKind,
  TextDocumentSyncKind,
  createConnection,
  type Connection,
  type InitializeResult,
} from 'vscode-languageserver/node';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { SourceText } from '../core/source-text.js';
import { SHOW_DOCS_COMMAND } from './commands.js';
import type { LintedDocument } from './diagnostics.js';
import type { Linter } from './linter.js';
import { fromLspPosition, negotiateEncoding, type PositionEncoding } from './positions.js';
import { isRunnerEvidence, RUNNER_EVIDENCE_FILES } from '../sources/runner-detect.js';

/** Push mode waits this long after the last edit before linting (ms). */
export const PUSH_DEBOUNCE_MS = 150;

/** The configuration files, and the files the runner detection reads (a new migration_lock.toml makes a file Prisma's). */
const CONFIG_GLOBS = ['**/.miglintrc', '**/.miglintrc.{json,yaml,yml,js,cjs,mjs}', '**/miglint.config.{js,mjs,cjs,json}', `**/{${RUNNER_EVIDENCE_FILES.join(',')}}`, '**/*.sql.conf'];

/** What the server keeps per open document. */
interface OpenDocument {
  doc: TextDocument;
  /** The last lint of this document, at `doc.version` or older. */
  linted: LintedDocument | null;
}

export interface LanguageServerOptions {
  input: NodeJS.ReadableStream;
  output: NodeJS.WritableStream;
  /** Where untitled documents are placed for configuration lookup (the process's cwd). */
  cwd: string;
}

/**
 * Starts the server on the given streams and resolves when the client has sent `exit`.
 * Nothing but protocol messages is written to `output`; logs go to the client's console.
 */
export function startLanguageServer(options: LanguageServerOptions): Promise<void> {
  const connection = createConnection(options.input, options.output);
  const server = new MiglintLanguageServer(connection, options.cwd);
  server.listen();
  return new Promise((done) => connection.onExit(() => done()));
}

class MiglintLanguageServer {
  private readonly documents = new Map<string, OpenDocument>();
  private readonly timers = new Map<string, NodeJS.Timeout>();
  /** Loaded once `initialize` is answered; every lint waits for it. */
  private linter: Promise<Linter> | null = null;
  private loaded: Linter | null = null;
  private encoding: PositionEncoding = 'utf-16';
  private pull = false;
  private refreshSupport = false;

  constructor(
    private readonly connection: Connection,
    private readonly cwd: string,
  ) {}

  listen(): void {
    const c = this.connection;
    c.onInitialize((params): InitializeResult => {
      this.encoding = negotiateEncoding(params.capabilities.general?.positionEncodings);
      this.pull = !!params.capabilities.textDocument?.diagnostic;
      this.refreshSupport = !!params.capabilities.workspace?.diagnostics?.refreshSupport;
      this.watchConfigFiles = !!params.capabilities.workspace?.didChangeWatchedFiles?.dynamicRegistration;
      return {
        capabilities: {
          positionEncoding: this.encoding,
          textDocumentSync: { openClose: true, change: TextDocumentSyncKind.Incremental, save: { includeText: false } },
          ...(this.pull ? { diagnosticProvider: { identifier: 'miglint', interFileDependencies: false, workspaceDiagnostics: false } } : {}),
          codeActionProvider: { codeActionKinds: [CodeActionKind.QuickFix, `${CodeActionKind.SourceFixAll}.miglint`] },
          executeCommandProvider: { commands: [SHOW_DOCS_COMMAND] },
        },
        serverInfo: { name: 'miglint', version: process.env.npm_package_version ?? undefined },
      };
    });
    c.onInitialized(() => {
      this.getLinter();
      if (this.watchConfigFiles) {
        void c.client.register(DidChangeWatchedFilesNotification.type, { watchers: CONFIG_GLOBS.map((globPattern) => ({ globPattern })) });
      }
    });

    c.onDidOpenTextDocument(({ textDocument: t }) => {
      this.documents.set(t.uri, { doc: TextDocument.create(t.uri, t.languageId, t.version, t.text), linted: null });
      this.schedule(t.uri, 0);
    });
    c.onDidChangeTextDocument(({ textDocument: t, contentChanges }) => {
      const open = this.documents.get(t.uri);
      if (!open) return;
      if (this.encoding === 'utf-16') open.doc = TextDocument.update(open.doc, contentChanges, t.version);
      else {
        // TextDocument applies ranges in UTF-16: a UTF-8 client's ranges are converted, each against the text its earlier changes made.
        for (const ch of contentChanges) {
          if (!('range' in ch)) {
            open.doc = TextDocument.update(open.doc, [ch], t.version);
            continue;
          }
          const source = new SourceText(open.doc.getText());
          const start = open.doc.positionAt(fromLspPosition(source, ch.range.start, this.encoding));
          const end = open.doc.positionAt(fromLspPosition(source, ch.range.end, this.encoding));
          open.doc = TextDocument.update(open.doc, [{ range: { start, end }, text: ch.text }], t.version);
        }
      }
      this.schedule(t.uri, PUSH_DEBOUNCE_MS);
    });
    c.onDidCloseTextDocument(({ textDocument: t }) => {
      this.documents.delete(t.uri);
      this.loaded?.forget(t.uri);
      clearTimeout(this.timers.get(t.uri));
      this.timers.delete(t.uri);
      if (!this.pull) void c.sendDiagnostics({ uri: t.uri, diagnostics: [] });
    });
    c.onDidSaveTextDocument(({ textDocument: t }) => {
      if (isConfigFile(t.uri)) this.configChanged();
    });
    c.onDidChangeConfiguration(() => this.configChanged());
    c.onDidChangeWatchedFiles(() => this.configChanged());

    c.languages.diagnostics.on(async ({ textDocument }) => {
      const linted = await this.lintCurrent(textDocument.uri);
      return { kind: DocumentDiagnosticReportKind.Full, items: linted?.diagnostics ?? [] };
    });
    c.onCodeAction(async (params) => {
      const open = this.documents.get(params.textDocument.uri);
      if (!open) return [];
      const linted = await this.lintCurrent(params.textDocument.uri);
      if (!linted) return [];
      return (await this.getLinter()).codeActions(linted, params);
    });
    c.onExecuteCommand(async ({ command, arguments: args }) => {
      if (command === SHOW_DOCS_COMMAND && typeof args?.[0] === 'string') await c.window.showDocument({ uri: args[0], external: true });
    });
    c.listen();
  }

  private watchConfigFiles = false;

  /** The linter, loading it (the engine, rules and parsers) on first use. */
  private getLinter(): Promise<Linter> {
    this.linter ??= import('./linter.js').then(async (m) => (this.loaded = await m.Linter.create(this.cwd)));
    return this.linter;
  }

  /** The lint of a document's current version (cached per version). */
  private async lintCurrent(uri: string): Promise<LintedDocument | null> {
    const open = this.documents.get(uri);
    if (!open) return null;
    if (open.linted?.version === open.doc.version) return open.linted;
    const linter = await this.getLinter();
    const linted = await linter.lint(open.doc, this.encoding);
    // Closed while it was linted: the lint kept its parses for a document that is gone.
    if (this.documents.get(uri) !== open) linter.forget(uri);
    // Only the newest result is kept: an older version's lint finishing late is dropped.
    else if (open.doc.version === linted.version) open.linted = linted;
    return linted;
  }

  /** Push mode: lints after `delayMs` and publishes unless the document moved on meanwhile. */
  private schedule(uri: string, delayMs: number): void {
    if (this.pull) return;
    clearTimeout(this.timers.get(uri));
    this.timers.set(
      uri,
      setTimeout(() => {
        this.timers.delete(uri);
        void this.publish(uri);
      }, delayMs),
    );
  }

  private async publish(uri: string): Promise<void> {
    const open = this.documents.get(uri);
    if (!open) return;
    const version = open.doc.version;
    const linted = await this.lintCurrent(uri);
    if (!linted || this.documents.get(uri)?.doc.version !== version) return; // stale: a newer lint is scheduled
    await this.connection.sendDiagnostics({ uri, version, diagnostics: linted.diagnostics });
  }

  private configChanged(): void {
    this.loaded?.configChanged(); // a linter still loading reads the configuration afresh anyway
    for (const open of this.documents.values()) open.linted = null;
    if (this.pull) {
      if (this.refreshSupport) void this.connection.languages.diagnostics.refresh();
    } else {
      for (const uri of this.documents.keys()) this.schedule(uri, 0);
    }
  }
}

function isConfigFile(uri: string): boolean {
  return /(?:^|\/)(?:\.miglintrc(?:\.(?:json|ya?ml|[cm]?js))?|miglint\.config\.[cm]?js(?:on)?)$/.test(uri) || isRunnerEvidence(uri);
}
