import { defineRule } from '../src/core/rule.js';
import { timeoutCheck } from '../src/fix/timeouts.js';

export default defineRule({
  meta: {
    id: 'require-statement-timeout',
    description: 'Set statement_timeout before a statement that takes a lock blocking reads or writes of an existing table.',
    fixable: 'sometimes',
    recommended: true,
    category: 'timeouts',
    appliesTo: ['sql', 'code'],
  },
  check: (unit, context) => timeoutCheck(unit, context.settings, 'statement_timeout'),
});
