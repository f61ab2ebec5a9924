/** The rule registry, sorted by id. A test fails when a rule lacks docs, fixtures or an entry here. */
import type { Rule } from '../src/core/rule.js';
import addingRequiredField from './adding-required-field.js';
import banConcurrentIndexCreationInTransaction from './ban-concurrent-index-creation-in-transaction.js';
import banUncommittedTransaction from './ban-uncommitted-transaction.js';
import constraintMissingNotValid from './constraint-missing-not-valid.js';
import noIdleInTransaction from './no-idle-in-transaction.js';
import noSwallowedDdlError from './no-swallowed-ddl-error.js';
import requireConcurrentIndexCreation from './require-concurrent-index-creation.js';
import requireConcurrentIndexDeletion from './require-concurrent-index-deletion.js';
import requireLockTimeout from './require-lock-timeout.js';
import requireStatementTimeout from './require-statement-timeout.js';
import unanalyzableStatement from './unanalyzable-statement.js';

export const rules: readonly Rule[] = [
  addingRequiredField,
  banConcurrentIndexCreationInTransaction,
  banUncommittedTransaction,
  constraintMissingNotValid,
  noIdleInTransaction,
  noSwallowedDdlError,
  requireConcurrentIndexCreation,
  requireConcurrentIndexDeletion,
  requireLockTimeout,
  requireStatementTimeout,
  unanalyzableStatement,
];

export const rulesById: ReadonlyMap<string, Rule> = new Map(rules.map((r) => [r.meta.id, r]));
