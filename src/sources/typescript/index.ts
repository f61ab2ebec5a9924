/** TypeScript/JavaScript frontend (being written). */
import type { LintSettings } from '../../core/rule.js';
import { SourceText } from '../../core/source-text.js';
import type { MigrationUnit } from '../../core/unit.js';

export function typescriptUnit(file: string, text: string, _settings: LintSettings): MigrationUnit {
  return {
    file, source: new SourceText(text), language: file.endsWith('.ts') ? 'ts' : 'js', framework: 'unknown',
    statements: [], wrapped: { inTransaction: false, reason: '' }, sessions: [], swallowedCatches: [], comments: [], syntaxErrors: [], edits: {},
  };
}
