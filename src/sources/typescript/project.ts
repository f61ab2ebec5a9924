/**
 * The one ts-morph Project the frontend reuses: an in-memory file system, no
 * tsconfig, no lib files and no type checking, so that a file costs a parse.
 */
import type { SourceFile } from 'ts-morph';
import { Project, ScriptKind, ts } from './morph.js';

let project: Project | null = null;

function getProject(): Project {
  project ??= new Project({
    useInMemoryFileSystem: true,
    skipAddingFilesFromTsConfig: true,
    skipFileDependencyResolution: true,
    skipLoadingLibFiles: true,
    compilerOptions: { allowJs: true, noLib: true, noResolve: true, target: ts.ScriptTarget.ESNext },
  });
  return project;
}

function scriptKind(file: string): ScriptKind {
  const lower = file.toLowerCase();
  if (/\.(c|m)?js$/.test(lower)) return ScriptKind.JS;
  if (lower.endsWith('.tsx')) return ScriptKind.TSX;
  if (lower.endsWith('.jsx')) return ScriptKind.JSX;
  return ScriptKind.TS;
}

/**
 * The TypeScript parser ran out of call stack on a file (it recurses once per
 * nesting level of most constructs). `depth.ts` keeps bracket nesting far from
 * that point; this covers what brackets do not count (thousands of chained
 * `=>`, `? :` or `!`). The parser starts afresh on the next file.
 */
export class ParserStackError extends Error {
  constructor() {
    super('the TypeScript parser ran out of call stack');
    this.name = 'ParserStackError';
  }
}

/** Whether `e` is V8's stack overflow (not another RangeError such as an invalid array length). */
export function isStackOverflow(e: unknown): boolean {
  return e instanceof RangeError && /call stack/i.test(e.message);
}

/** Whether a file is parsed with JSX syntax. */
export function isJsx(file: string): boolean {
  return /\.[jt]sx$/i.test(file);
}

/**
 * Parses `text` as the file `file`, runs `analyse` on it and removes it again.
 * The source file and its nodes must not be used after `analyse` returns.
 * @throws ParserStackError when the parser runs out of call stack; whatever `analyse` throws.
 */
export function withSourceFile<T>(file: string, text: string, analyse: (sf: SourceFile) => T): T {
  const p = getProject();
  const ext = /\.[cm]?[jt]sx?$/i.exec(file)?.[0]?.toLowerCase() ?? '.ts';
  // ts-morph drops a byte order mark, which would shift every offset by one: hide it behind a space instead.
  const source = text.charCodeAt(0) === 0xfeff ? ` ${text.slice(1)}` : text;
  let sf: SourceFile;
  try {
    sf = p.createSourceFile(`/miglint/migration${ext}`, source, { overwrite: true, scriptKind: scriptKind(file) });
  } catch (e) {
    if (isStackOverflow(e)) throw new ParserStackError();
    throw e;
  }
  try {
    return analyse(sf);
  } finally {
    p.removeSourceFile(sf);
  }
}
