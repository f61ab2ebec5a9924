/**
 * A TypeScript compiler host that knows one file, already parsed, and nothing else: for a program
 * of that file alone (no lib files, no module resolution), as a fix's syntax check and the
 * default-export question make one.
 */
import type { ts as Ts } from 'ts-morph';

/** The host of a program of `source` alone: every other file is missing, nothing is written. */
export function oneFileHost(source: Ts.SourceFile): Ts.CompilerHost {
  return {
    getSourceFile: (name) => (name === source.fileName ? source : undefined),
    writeFile: () => undefined,
    getDefaultLibFileName: () => 'lib.d.ts',
    useCaseSensitiveFileNames: () => true,
    getCanonicalFileName: (name) => name,
    getCurrentDirectory: () => '/',
    getNewLine: () => '\n',
    fileExists: (name) => name === source.fileName,
    readFile: () => undefined,
    directoryExists: () => true,
    getDirectories: () => [],
  };
}
