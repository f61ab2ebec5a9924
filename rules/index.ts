/** The rule registry, sorted by id. A test fails when a rule lacks docs, fixtures or an entry here. */
import type { Rule } from '../src/core/rule.js';
import addingRequiredField from './adding-required-field.js';
import banConcurrentIndexCreationInTransaction from './ban-concurrent-index-creation-in-transaction.js';
import banDropDatabase from './ban-drop-database.js';
import banDropTable from './ban-drop-table.js';
import banLongLockWindow from './ban-long-lock-window.js';
import banNewEnumValueUseInTransaction from './ban-new-enum-value-use-in-transaction.js';
import banTruncateCascade from './ban-truncate-cascade.js';
import banUnbatchedBackfill from './ban-unbatched-backfill.js';
import banUncommittedTransaction from './ban-uncommitted-transaction.js';
import constraintMissingNotValid from './constraint-missing-not-valid.js';
import identifierTooLong from './identifier-too-long.js';
import noIdleInTransaction from './no-idle-in-transaction.js';
import noSwallowedDdlError from './no-swallowed-ddl-error.js';
import requireConcurrentIndexCreation from './require-concurrent-index-creation.js';
import requireConcurrentIndexDeletion from './require-concurrent-index-deletion.js';
import requireEnumValueOrdering from './require-enum-value-ordering.js';
import requireLockTimeout from './require-lock-timeout.js';
import requireStatementTimeout from './require-statement-timeout.js';
import requireTableSchema from './require-table-schema.js';
import transactionNesting from './transaction-nesting.js';
import unanalyzableStatement from './unanalyzable-statement.js';

export const rules: readonly Rule[] = [
  addingRequiredField,
  banConcurrentIndexCreationInTransaction,
  banDropDatabase,
  banDropTable,
  banLongLockWindow,
  banNewEnumValueUseInTransaction,
  banTruncateCascade,
  banUnbatchedBackfill,
  banUncommittedTransaction,
  constraintMissingNotValid,
  identifierTooLong,
  noIdleInTransaction,
  noSwallowedDdlError,
  requireConcurrentIndexCreation,
  requireConcurrentIndexDeletion,
  requireEnumValueOrdering,
  requireLockTimeout,
  requireStatementTimeout,
  requireTableSchema,
  transactionNesting,
  unanalyzableStatement,
];

export const rulesById: ReadonlyMap<string, Rule> = new Map(rules.map((r) => [r.meta.id, r]));
