import { defineRule } from '../src/core/rule.js';

/**
 * Reports each query call or statement a frontend could not reconstruct or parse
 * (an `UnanalysedFact` of scope 'statement'), with the frontend's reason: no other
 * rule saw it, so silence about it would mean nothing.
 */
export default defineRule({
  meta: {
    id: 'unanalyzable-statement',
    description: 'SQL handed to a query call that miglint cannot reconstruct or parse, so no other rule checked it.',
    fixable: 'none',
    recommended: true,
    defaultSeverity: 'warning',
    category: 'coverage',
    appliesTo: ['sql', 'code'],
  },
  check(unit) {
    return unit.unanalysed
      .filter((u) => u.scope === 'statement')
      .map((u) => ({
        ruleId: 'unanalyzable-statement',
        message: u.message,
        note: 'No other rule checked this SQL: it may take locks, rewrite tables or fail inside a transaction without miglint saying so.',
        ...(u.help ? { help: u.help } : {}),
        span: u.span,
      }));
  },
});
