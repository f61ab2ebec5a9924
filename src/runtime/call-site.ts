/**
 * Where in a module migration a `ctx` call's SQL is, so plans and errors point
 * at `migrations/003_x.ts:12:9`, not at a position inside a string. The call is
 * found on the stack (the first frame in the module's file; a transpiled
 * TypeScript module maps back to its `.ts` through an inline source map), and
 * the SQL at the first string literal after it in the module's text.
 */
import { pathToFileURL } from 'node:url';
import { SourceText } from '../core/source-text.js';
import type { Locator } from './planner.js';

/** The module a context belongs to: its absolute path, its text, and its name in messages. */
export interface ModuleSource {
  path: string;
  text: string;
  display: string;
}

/** 1-based line and column of the innermost call from `file` on the current stack, or null. */
export function callSite(file: string): { line: number; column: number } | null {
  const url = pathToFileURL(file).href;
  for (const frame of (new Error().stack ?? '').split('\n').slice(1)) {
    const m = /\(?([^()\s]+?)(?:\?[^:()\s]*)?:(\d+):(\d+)\)?$/.exec(frame.trim());
    if (m && (m[1] === url || m[1] === file)) return { line: Number(m[2]), column: Number(m[3]) };
  }
  return null;
}

/**
 * A Locator for the SQL of the `ctx` call being made now from `mod`: positions
 * in the SQL become positions in the module when the SQL is the first string
 * literal after the call (exact for a literal without escapes or `${}`).
 * Without a call site, positions stay relative to the SQL, after `fallback`.
 * @param fallback e.g. `migrations/003_x.ts (ctx.ddl)`.
 */
export function locatorForCall(mod: ModuleSource | undefined, fallback: string): Locator {
  const relative: Locator = (line, column) => `${fallback}:${line}:${column}`;
  if (!mod) return relative;
  const site = callSite(mod.path);
  if (!site) return relative;
  const source = new SourceText(mod.text);
  const from = source.offsetAt(site);
  const open = /['"`]/.exec(mod.text.slice(from));
  if (!open) return relative;
  const start = source.positionAt(from + open.index + 1);
  return (line, column) => (line === 1 ? `${mod.display}:${start.line}:${start.column + column - 1}` : `${mod.display}:${start.line + line - 1}:${column}`);
}
