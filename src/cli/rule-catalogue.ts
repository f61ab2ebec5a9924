/**
 * The rule catalogue as the registry has it: `miglint --list-rules` prints it,
 * and the README's rule table is this module's `ruleTable` (test/readme-rules.test.ts
 * fails when they differ; `node dist/src/cli/rule-catalogue.js --write README.md` rewrites it).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Rule } from '../core/rule.js';

/** `on` (error), `warn` (on, warning severity) or `opt-in` (off unless configured). */
export function ruleDefault(r: Rule): 'on' | 'warn' | 'opt-in' {
  if (!r.meta.recommended) return 'opt-in';
  return r.meta.defaultSeverity === 'warning' ? 'warn' : 'on';
}

/** One line per rule: id, default, fixable, description, in columns. */
export function listRules(rules: readonly Rule[]): string {
  const w = Math.max(...rules.map((r) => r.meta.id.length));
  const head = `${'rule'.padEnd(w)}  default  fix        description`;
  return [head, ...rules.map((r) => `${r.meta.id.padEnd(w)}  ${ruleDefault(r).padEnd(7)}  ${(r.meta.fixable === 'none' ? '-' : r.meta.fixable).padEnd(9)}  ${r.meta.description}`)].join('\n') + '\n';
}

export const TABLE_START = '<!-- rules table: generated from rules/index.ts; do not edit by hand -->';
export const TABLE_END = '<!-- end of rules table -->';

/** The README's rule table (Markdown), between its markers. */
export function ruleTable(rules: readonly Rule[]): string {
  const rows = rules.map((r) => `| [\`${r.meta.id}\`](rules/${r.meta.id}.md) | ${ruleDefault(r)} | ${r.meta.fixable} | ${r.meta.description.replace(/\|/g, '\\|')} |`);
  return [TABLE_START, '| rule | default | fix | what it reports |', '| --- | --- | --- | --- |', ...rows, TABLE_END].join('\n');
}

/**
 * `text` with the table between the markers replaced by `ruleTable(rules)`.
 * @throws Error when the markers are missing.
 */
export function withRuleTable(text: string, rules: readonly Rule[]): string {
  const a = text.indexOf(TABLE_START);
  const b = text.indexOf(TABLE_END);
  if (a < 0 || b < a) throw new Error('the README has no rules table markers');
  return text.slice(0, a) + ruleTable(rules) + text.slice(b + TABLE_END.length);
}

// Run as a script (not imported): rewrites the table in the named file. No top-level await, so the
// command line's CommonJS bundle (which includes this module) can hold it.
if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1] && process.argv[2] === '--write' && process.argv[3]) {
  const file = process.argv[3];
  void import('../../rules/index.js').then(({ rules }) => writeFileSync(file, withRuleTable(readFileSync(file, 'utf8'), rules)));
}
