import type { Diagnostic } from '../src/core/diagnostic.js';
import { defineRule } from '../src/core/rule.js';
import { lockSentence } from '../src/sql/describe.js';
import { claim, factsOf } from '../src/sql/facts.js';
import { unguarded } from './support/timeouts.js';

export default defineRule({
  meta: {
    id: 'require-lock-timeout',
    description: 'Set lock_timeout before a statement that takes a lock blocking reads or writes of an existing table.',
    fixable: 'sometimes',
    recommended: true,
    category: 'timeouts',
    appliesTo: ['sql', 'code'],
  },
  check(unit, context) {
    const value = context.settings.lockTimeout;
    return unguarded(unit, 'lock_timeout').map(({ statement: s, lock, later, pooledSet }): Diagnostic => {
      const pooledNote = pooledSet ? ` (the SET lock_timeout on line ${unit.source.positionAt(pooledSet.span.start).line} went through a pool, so it may have reached another connection)` : '';
      // The frontend's edit is asked for only here, for a finding that fires.
      const edits = unit.edits.insertStatementBefore?.(s, `SET lock_timeout = '${value}'`) ?? null;
      return {
        ruleId: 'require-lock-timeout',
        message: `${lock.operation} runs with no lock_timeout set${pooledNote}${later ? ` (and ${later} more such statement${later > 1 ? 's' : ''} after it)` : ''}.`,
        note: `${lockSentence(lock)}. Without lock_timeout it waits for the lock as long as it takes, and every query on the table queues behind it: one long transaction or idle-in-transaction session stalls the application.`,
        help: `Run SET lock_timeout = '${value}' first (or let migrun execute the migration: it sets it), and retry when it fails with lock_not_available (55P03).`,
        span: s.span,
        lock: claim(lock, factsOf(s).effects),
        fix: edits
          ? { title: `Insert SET lock_timeout = '${value}' before it`, applicability: 'safe', edits }
          : { title: `Set lock_timeout on the connection the migration runs on (a SET sent through a pool may land on another connection): e.g. ${unit.idioms?.connectionSetting?.replace('$name', 'lock_timeout').replace('$value', value) ?? `the connection option options: '-c lock_timeout=${value}'`}`, applicability: 'display-only', edits: [] },
      };
    });
  },
});
