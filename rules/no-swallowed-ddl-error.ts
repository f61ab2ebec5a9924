import type { Diagnostic } from '../src/core/diagnostic.js';
import { defineRule } from '../src/core/rule.js';
import { swallowedInDo } from '../src/sql/plpgsql.js';

export default defineRule({
  meta: {
    id: 'no-swallowed-ddl-error',
    description: 'A catch around DDL must rethrow or fail the migration; logging is not handling.',
    fixable: 'sometimes',
    recommended: true,
    category: 'error-handling',
    appliesTo: ['sql', 'code'],
  },
  check(unit) {
    const text = unit.source.text;
    const fromDo: Diagnostic[] = unit.statements.flatMap((s) =>
      swallowedInDo(s.node, s.sql).map((h) => ({
        ruleId: 'no-swallowed-ddl-error',
        message: `This DO block's EXCEPTION handler (WHEN ${h.conditions.join(' OR ')}) swallows the failure of ${h.ddl.join(', ')} and lets the migration carry on.`,
        note: 'The handler neither re-raises nor builds an alternative (logging with RAISE NOTICE/WARNING is not handling), so the migration is recorded as applied with part of its schema missing: later migrations fail on a half-built schema.',
        help: 'Remove the EXCEPTION clause, or end the handler with RAISE; to re-raise the error after logging it.',
        span: h.span && s.sqlToFile ? { start: s.sqlToFile(h.span.start) ?? s.span.start, end: s.sqlToFile(h.span.end) ?? s.span.end } : s.span,
      })),
    );
    return [...fromDo, ...unit.swallowedCatches.map((c) => {
      const rethrow = c.rethrow;
      const errorName = rethrow?.errorName ?? null;
      // Before a closing brace alone on its line: a new line with the body's indentation; else inline.
      const lineStart = rethrow ? text.lastIndexOf('\n', rethrow.offset - 1) + 1 : 0;
      const own = rethrow !== null && /^[ \t]*$/.test(text.slice(lineStart, rethrow.offset));
      // Inline after a statement without its `;` (`{ console.log(e) }`), the rethrow needs one first.
      const before = rethrow ? text.slice(0, rethrow.offset).trimEnd() : '';
      const sep = /[;{}]$/.test(before) ? '' : ';';
      const semi = rethrow?.semicolons === false ? '' : ';';
      const inline = sep ? { start: before.length, end: before.length, text: `; throw ${errorName};` } : { start: rethrow?.offset ?? 0, end: rethrow?.offset ?? 0, text: ` throw ${errorName}; ` };
      const edit = rethrow && errorName ? (own ? { start: lineStart, end: lineStart, text: `${rethrow.indent}throw ${errorName}${semi}${unit.source.eol}` } : inline) : null;
      // A frontend that writes its own rethrow (Python's bare `raise`) says how.
      const viaFrontend = unit.edits.rethrow ? unit.edits.rethrow(c) : null;
      const fix = unit.edits.rethrow
        ? viaFrontend && { title: viaFrontend.title, applicability: 'safe' as const, edits: viaFrontend.edits }
        : edit && { title: `Rethrow ${errorName} at the end of the catch`, applicability: 'safe' as const, edits: [edit] };
      return {
        ruleId: 'no-swallowed-ddl-error',
        message: `This catch swallows the failure of ${c.ddl.length === 1 ? 'a DDL statement' : `${c.ddl.length} DDL statements`} and lets the migration carry on.`,
        note: 'The migration is then recorded as applied with part of its schema missing: later migrations and the application fail with "relation does not exist" on a half-built schema.',
        help: 'Rethrow after logging (or let the error propagate). For best-effort work such as an optional CONCURRENTLY index, say so with `// miglint-ignore no-swallowed-ddl-error: <reason>`.',
        span: c.span,
        ...(fix ? { fix } : {}),
      };
    })];
  },
});
