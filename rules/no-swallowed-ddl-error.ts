import { flatMapped } from '../src/core/collect.js';
import type { Diagnostic } from '../src/core/diagnostic.js';
import { frontendById } from '../src/sources/registry.js';
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
    const fromDo: Diagnostic[] = flatMapped(unit.statements, (s) =>
      swallowedInDo(s.node, s.sql).map((h) => ({
        ruleId: 'no-swallowed-ddl-error',
        message: `This DO block's EXCEPTION handler (WHEN ${h.conditions.join(' OR ')}) swallows the failure of ${h.ddl.join(', ')} and lets the migration carry on.`,
        note: 'The handler neither re-raises nor builds an alternative (logging with RAISE NOTICE/WARNING is not handling), so the migration is recorded as applied with part of its schema missing: later migrations fail on a half-built schema.',
        help: 'Remove the EXCEPTION clause, or end the handler with RAISE; to re-raise the error after logging it.',
        span: h.span && s.sqlToFile ? { start: s.sqlToFile(h.span.start) ?? s.span.start, end: s.sqlToFile(h.span.end) ?? s.span.end } : s.span,
      })),
    );
    return [...fromDo, ...unit.swallowedCatches.map((c) => {
      const errorName = c.rethrow?.errorName ?? null;
      // The suppression comment in the file's own language (`#` in Python).
      const marker = frontendById(unit.language)?.comments.line[0] ?? '//';
      // The frontend writes the rethrow in its language; asked for only for this finding.
      const edits = unit.edits.rethrow?.(c) ?? null;
      return {
        ruleId: 'no-swallowed-ddl-error',
        message: `This catch swallows the failure of ${c.ddl.length === 1 ? 'a DDL statement' : `${c.ddl.length} DDL statements`} and lets the migration carry on.`,
        note: 'The migration is then recorded as applied with part of its schema missing: later migrations and the application fail with "relation does not exist" on a half-built schema.',
        help: `Rethrow after logging (or let the error propagate). For best-effort work such as an optional CONCURRENTLY index, say so with \`${marker} miglint-ignore no-swallowed-ddl-error: <reason>\`.`,
        span: c.span,
        ...(edits ? { fix: { title: unit.edits.rethrowTitle ?? `Rethrow ${errorName} at the end of the catch`, applicability: 'safe' as const, edits } } : {}),
      };
    })];
  },
});
