import { defineRule } from '../src/core/rule.js';
import { timeoutCheck } from '../src/fix/timeouts.js';

export default defineRule({
  meta: {
    id: 'require-lock-timeout',
    description: 'Set lock_timeout before a statement that takes a lock blocking reads or writes of an existing table.',
    fixable: 'sometimes',
    recommended: true,
    category: 'timeouts',
    appliesTo: ['sql', 'code'],
  },
  check: (unit, context) => timeoutCheck(unit, context.settings, 'lock_timeout'),
});
