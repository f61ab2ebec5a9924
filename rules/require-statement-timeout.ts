import type { Diagnostic } from '../src/core/diagnostic.js';
import { defineRule } from '../src/core/rule.js';
import { lockSentence } from '../src/sql/describe.js';
import { claim, factsOf } from '../src/sql/facts.js';
import { unguarded } from './support/timeouts.js';

export default defineRule({
  meta: {
    id: 'require-statement-timeout',
    description: 'Set statement_timeout before a statement that takes a lock blocking reads or writes of an existing table.',
    fixable: 'sometimes',
    recommended: true,
    category: 'timeouts',
    appliesTo: ['sql', 'code'],
  },
  check(unit, context) {
    const value = context.settings.statementTimeout;
    return unguarded(unit, 'statement_timeout').map(({ statement: s, lock, later, pooledSet }): Diagnostic => {
      const pooledNote = pooledSet ? ` (the SET statement_timeout on line ${unit.source.positionAt(pooledSet.span.start).line} went through a pool, so it may have reached another connection)` : '';
      const edits = unit.edits.insertStatementBefore?.(s, `SET statement_timeout = '${value}'`) ?? null;
      return {
        ruleId: 'require-statement-timeout',
        message: `${lock.operation} runs with no statement_timeout set${pooledNote}${later ? ` (and ${later} more such statement${later > 1 ? 's' : ''} after it)` : ''}.`,
        note: `${lockSentence(lock)}. Without statement_timeout a slow rewrite or scan holds that lock for as long as it runs.`,
        help: `Run SET statement_timeout = '${value}' first (or let migrun execute the migration: it sets it); a statement that runs longer fails with query_canceled (57014) and its transaction rolls back.`,
        span: s.span,
        lock: claim(lock, factsOf(s).effects),
        fix: edits
          ? { title: `Insert SET statement_timeout = '${value}' before it`, applicability: 'safe', edits }
          : { title: `Set statement_timeout on the connection the migration runs on (a SET sent through a pool may land on another connection): e.g. ${unit.idioms?.connectionSetting?.replace('$name', 'statement_timeout').replace('$value', value) ?? `the connection option options: '-c statement_timeout=${value}'`}`, applicability: 'display-only', edits: [] },
      };
    });
  },
});
