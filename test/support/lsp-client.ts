/**
 * A real LSP client for tests: spawns `miglint lsp --stdio` and speaks JSON-RPC to it
 * over its stdin/stdout with `vscode-languageserver-protocol`'s client side.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { createProtocolConnection, StreamMessageReader, StreamMessageWriter, type ProtocolConnection } from 'vscode-languageserver-protocol/node';
import type { ClientCapabilities, InitializeResult, PublishDiagnosticsParams } from 'vscode-languageserver-protocol';
import { repoRoot } from './paths.js';

export interface LspSession {
  connection: ProtocolConnection;
  child: ChildProcess;
  initialize: InitializeResult;
  /** Every publishDiagnostics notification received, in order. */
  published: PublishDiagnosticsParams[];
  /** Resolves with the next publishDiagnostics for `uri` satisfying `pred` (rejects after `timeoutMs`). */
  nextPublished(uri: string, pred?: (p: PublishDiagnosticsParams) => boolean, timeoutMs?: number): Promise<PublishDiagnosticsParams>;
  /** Requests the server received from the server side (e.g. workspace/diagnostic/refresh), by method. */
  serverRequests: string[];
  /** The params of each `client/registerCapability` request, in order. */
  registrations: unknown[];
  /** shutdown + exit; resolves with the process's exit code. */
  close(): Promise<number | null>;
}

/** Starts `miglint lsp --stdio` in `cwd`; `nodeArgs` go to the server's node before the script (e.g. `--cpu-prof`). */
export async function startLsp(cwd: string, capabilities: ClientCapabilities, nodeArgs: string[] = []): Promise<LspSession> {
  const child = spawn(process.execPath, [...nodeArgs, join(repoRoot, 'bin', 'miglint.js'), 'lsp', '--stdio'], { cwd, stdio: ['pipe', 'pipe', 'inherit'] });
  const connection = createProtocolConnection(new StreamMessageReader(child.stdout!), new StreamMessageWriter(child.stdin!));
  const published: PublishDiagnosticsParams[] = [];
  const waiters: { uri: string; pred: (p: PublishDiagnosticsParams) => boolean; resolve: (p: PublishDiagnosticsParams) => void }[] = [];
  const serverRequests: string[] = [];
  const registrations: unknown[] = [];
  connection.onNotification('textDocument/publishDiagnostics', (p: PublishDiagnosticsParams) => {
    published.push(p);
    for (const w of [...waiters]) {
      if (w.uri === p.uri && w.pred(p)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(p);
      }
    }
  });
  for (const method of ['workspace/diagnostic/refresh', 'client/registerCapability', 'window/showDocument']) {
    connection.onRequest(method, (params: unknown) => {
      serverRequests.push(method);
      if (method === 'client/registerCapability') registrations.push(params);
      return method === 'window/showDocument' ? { success: true } : null;
    });
  }
  connection.listen();
  const initialize = (await connection.sendRequest('initialize', { processId: process.pid, rootUri: null, capabilities, workspaceFolders: null })) as InitializeResult;
  await connection.sendNotification('initialized', {});
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return {
    connection,
    child,
    initialize,
    published,
    serverRequests,
    registrations,
    nextPublished(uri, pred = () => true, timeoutMs = 10_000) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no publishDiagnostics for ${uri} within ${timeoutMs} ms`)), timeoutMs);
        waiters.push({ uri, pred, resolve: (p) => (clearTimeout(timer), resolve(p)) });
      });
    },
    async close() {
      await connection.sendRequest('shutdown');
      await connection.sendNotification('exit');
      const code = await exited;
      connection.dispose();
      return code;
    },
  };
}
