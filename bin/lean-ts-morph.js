// ts-morph's helper package (@ts-morph/common) carries the text of TypeScript's lib .d.ts files:
// 2.9 MB of its 3.0 MB file, in string literals. miglint never loads them (its projects set
// `skipLoadingLibFiles` and `noLib`: nothing is type-checked), yet every TS/JS run held them: the
// file's source as a two-byte string (5.75 MiB: it has non-ASCII characters) and 5 MiB of lib
// texts, about 11 MiB of a 230 MiB run. This hook loads that one file with the literal replaced
// by an empty array, so `getLibFiles()` returns none, which is what a project that skips lib files
// reads anyway.
//
// The file is changed only where its text is exactly as expected: the declaration
// `const libFiles = [{` and, after it, the next `}];` followed by `function getLibFiles()`. A
// ts-morph release laid out otherwise loads as it is (only the memory is not saved).
// CommonJS (bin/package.json), as the entry points that load it are.
'use strict';
const Module = require('node:module');

const FILE = /[\\/]node_modules[\\/]@ts-morph[\\/]common[\\/]dist[\\/]ts-morph-common\.js$/;
const START = '\nconst libFiles = [{';
const END = /\n\s*\}\];\s*\n\s*function getLibFiles\(\)/g;

/**
 * `content` (@ts-morph/common's dist file) with the lib files' literal replaced by `[]`; the same
 * string when it is not laid out as expected. Lines are kept (the literal's newlines stay), so a
 * stack trace into the file names the same lines.
 */
function withoutLibTexts(content) {
  const start = content.indexOf(START);
  if (start < 0 || content.indexOf(START, start + 1) >= 0) return content;
  END.lastIndex = start;
  const end = END.exec(content);
  if (!end) return content;
  const literal = content.slice(start + START.length - 2, end.index + end[0].indexOf(']') + 1);
  const lines = literal.split('\n').length - 1;
  return `${content.slice(0, start)}\nconst libFiles = []${'\n'.repeat(lines)}${content.slice(start + START.length - 2 + literal.length)}`;
}

/** Installs the hook (once per thread); later hooks, such as the compile cache's, see the shorter text. */
function leanTsMorph() {
  const compile = Module.prototype._compile;
  if (compile.leanTsMorph) return;
  const lean = function (content, filename) {
    return compile.call(this, FILE.test(filename) ? withoutLibTexts(content) : content, filename);
  };
  lean.leanTsMorph = true;
  Module.prototype._compile = lean;
}

module.exports = { leanTsMorph, withoutLibTexts };
