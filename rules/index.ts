/** The rule registry, sorted by id. A test fails when a rule lacks docs, fixtures or an entry here. */
import type { Rule } from '../src/core/rule.js';
import addingExclusionConstraint from './adding-exclusion-constraint.js';
import addingPrimaryKeyConstraint from './adding-primary-key-constraint.js';
import addingRequiredField from './adding-required-field.js';
import banAlterDomainWithAddConstraint from './ban-alter-domain-with-add-constraint.js';
import banConcurrentIndexCreationInTransaction from './ban-concurrent-index-creation-in-transaction.js';
import banCreateDomainWithConstraint from './ban-create-domain-with-constraint.js';
import banStatementInTransactionBlock from './ban-statement-in-transaction-block.js';
import banUncommittedTransaction from './ban-uncommitted-transaction.js';
import banVacuumFull from './ban-vacuum-full.js';
import constraintMissingNotValid from './constraint-missing-not-valid.js';
import disallowedUniqueConstraint from './disallowed-unique-constraint.js';
import noIdleInTransaction from './no-idle-in-transaction.js';
import noSwallowedDdlError from './no-swallowed-ddl-error.js';
import preferRobustStmts from './prefer-robust-stmts.js';
import requireConcurrentIndexCreation from './require-concurrent-index-creation.js';
import requireConcurrentIndexDeletion from './require-concurrent-index-deletion.js';
import requireConcurrentPartitionDetach from './require-concurrent-partition-detach.js';
import requireConcurrentRefreshMaterializedView from './require-concurrent-refresh-materialized-view.js';
import requireConcurrentReindex from './require-concurrent-reindex.js';
import requireLockTimeout from './require-lock-timeout.js';
import requireStatementTimeout from './require-statement-timeout.js';
import unanalyzableStatement from './unanalyzable-statement.js';

export const rules: readonly Rule[] = [
  addingExclusionConstraint,
  addingPrimaryKeyConstraint,
  addingRequiredField,
  banAlterDomainWithAddConstraint,
  banConcurrentIndexCreationInTransaction,
  banCreateDomainWithConstraint,
  banStatementInTransactionBlock,
  banUncommittedTransaction,
  banVacuumFull,
  constraintMissingNotValid,
  disallowedUniqueConstraint,
  noIdleInTransaction,
  noSwallowedDdlError,
  preferRobustStmts,
  requireConcurrentIndexCreation,
  requireConcurrentIndexDeletion,
  requireConcurrentPartitionDetach,
  requireConcurrentRefreshMaterializedView,
  requireConcurrentReindex,
  requireLockTimeout,
  requireStatementTimeout,
  unanalyzableStatement,
];

export const rulesById: ReadonlyMap<string, Rule> = new Map(rules.map((r) => [r.meta.id, r]));
