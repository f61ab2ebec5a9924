import { flatMapped } from '../src/core/collect.js';
import { defineRule } from '../src/core/rule.js';
import type { Span } from '../src/core/diagnostic.js';
import { longIdentifiers, MAX_IDENTIFIER_BYTES } from '../src/sql/identifiers.js';

/**
 * An identifier over 63 bytes (UTF-8 bytes, not characters): PostgreSQL keeps the
 * first 63 and says so only in a NOTICE (sql-syntax-lexical.html, "Identifiers and
 * Key Words"). Two long names with the same first 63 bytes are then one name, and
 * code or a later migration that compares the full name does not find it.
 * Reported once per name per migration, where it first appears.
 */
export default defineRule({
  meta: {
    id: 'identifier-too-long',
    description: 'Identifiers longer than 63 bytes are truncated silently by PostgreSQL.',
    fixable: 'none',
    recommended: true,
    category: 'correctness',
    appliesTo: ['sql', 'code'],
  },
  check(unit) {
    const seen = new Set<string>();
    return flatMapped(unit.statements, (s) =>
      longIdentifiers(s.sql).flatMap((id) => {
        // A name built from an interpolation has a length only known at run time (unanalyzable-statement says what was not read).
        if (seen.has(id.name) || (s.interpolated && /\$\{|\$\d|_{3,}/.test(id.name))) return [];
        seen.add(id.name);
        const start = s.sqlToFile?.(id.start) ?? null;
        const end = s.sqlToFile?.(id.end) ?? null;
        const span: Span = start !== null && end !== null && !s.interpolated ? { start, end } : s.span;
        const chars = [...id.name].length;
        return [
          {
            ruleId: 'identifier-too-long',
            message: `Identifier "${id.name}" is ${id.bytes} bytes long${chars !== id.bytes ? ` (${chars} characters)` : ''}; PostgreSQL keeps ${MAX_IDENTIFIER_BYTES}.`,
            note: `PostgreSQL truncates it to "${id.truncated}" with only a NOTICE: another long name with the same first ${MAX_IDENTIFIER_BYTES} bytes is then the same object (a duplicate_object error, or the wrong one changed), and tools or later migrations that look the full name up in the catalogs do not find it.`,
            help: `Choose a name of at most ${MAX_IDENTIFIER_BYTES} bytes (non-ASCII letters take 2 to 4 bytes each in UTF-8).`,
            span,
          },
        ];
      }),
    );
  },
});
