/** The rule registry, sorted by id. A test fails when a rule lacks docs, fixtures or an entry here. */
import type { Rule } from '../src/core/rule.js';
import addingExclusionConstraint from './adding-exclusion-constraint.js';
import addingFieldWithDefault from './adding-field-with-default.js';
import addingNotNullableField from './adding-not-nullable-field.js';
import addingPrimaryKeyConstraint from './adding-primary-key-constraint.js';
import addingRequiredField from './adding-required-field.js';
import banAlterDomainWithAddConstraint from './ban-alter-domain-with-add-constraint.js';
import banCharField from './ban-char-field.js';
import banConcurrentIndexCreationInTransaction from './ban-concurrent-index-creation-in-transaction.js';
import banCreateDomainWithConstraint from './ban-create-domain-with-constraint.js';
import banDropColumn from './ban-drop-column.js';
import banDropDatabase from './ban-drop-database.js';
import banDropNotNull from './ban-drop-not-null.js';
import banDropTable from './ban-drop-table.js';
import banLongLockWindow from './ban-long-lock-window.js';
import banNewEnumValueUseInTransaction from './ban-new-enum-value-use-in-transaction.js';
import banStatementInTransactionBlock from './ban-statement-in-transaction-block.js';
import banTruncateCascade from './ban-truncate-cascade.js';
import banUnbatchedBackfill from './ban-unbatched-backfill.js';
import banUncommittedTransaction from './ban-uncommitted-transaction.js';
import banVacuumFull from './ban-vacuum-full.js';
import changingColumnType from './changing-column-type.js';
import constraintMissingNotValid from './constraint-missing-not-valid.js';
import disallowedUniqueConstraint from './disallowed-unique-constraint.js';
import identifierTooLong from './identifier-too-long.js';
import noIdleInTransaction from './no-idle-in-transaction.js';
import noSwallowedDdlError from './no-swallowed-ddl-error.js';
import preferBigintOverInt from './prefer-bigint-over-int.js';
import preferBigintOverSmallint from './prefer-bigint-over-smallint.js';
import preferIdentity from './prefer-identity.js';
import preferJsonb from './prefer-jsonb.js';
import preferRobustStmts from './prefer-robust-stmts.js';
import preferTextField from './prefer-text-field.js';
import preferTimestamptz from './prefer-timestamptz.js';
import renamingColumn from './renaming-column.js';
import renamingTable from './renaming-table.js';
import requireConcurrentIndexCreation from './require-concurrent-index-creation.js';
import requireConcurrentIndexDeletion from './require-concurrent-index-deletion.js';
import requireConcurrentPartitionDetach from './require-concurrent-partition-detach.js';
import requireConcurrentRefreshMaterializedView from './require-concurrent-refresh-materialized-view.js';
import requireConcurrentReindex from './require-concurrent-reindex.js';
import requireEnumValueOrdering from './require-enum-value-ordering.js';
import requireLockTimeout from './require-lock-timeout.js';
import requireStatementTimeout from './require-statement-timeout.js';
import requireTableSchema from './require-table-schema.js';
import transactionNesting from './transaction-nesting.js';
import unanalyzableStatement from './unanalyzable-statement.js';

export const rules: readonly Rule[] = [
  addingExclusionConstraint,
  addingFieldWithDefault,
  addingNotNullableField,
  addingPrimaryKeyConstraint,
  addingRequiredField,
  banAlterDomainWithAddConstraint,
  banCharField,
  banConcurrentIndexCreationInTransaction,
  banCreateDomainWithConstraint,
  banDropColumn,
  banDropDatabase,
  banDropNotNull,
  banDropTable,
  banLongLockWindow,
  banNewEnumValueUseInTransaction,
  banStatementInTransactionBlock,
  banTruncateCascade,
  banUnbatchedBackfill,
  banUncommittedTransaction,
  banVacuumFull,
  changingColumnType,
  constraintMissingNotValid,
  disallowedUniqueConstraint,
  identifierTooLong,
  noIdleInTransaction,
  noSwallowedDdlError,
  preferBigintOverInt,
  preferBigintOverSmallint,
  preferIdentity,
  preferJsonb,
  preferRobustStmts,
  preferTextField,
  preferTimestamptz,
  renamingColumn,
  renamingTable,
  requireConcurrentIndexCreation,
  requireConcurrentIndexDeletion,
  requireConcurrentPartitionDetach,
  requireConcurrentRefreshMaterializedView,
  requireConcurrentReindex,
  requireEnumValueOrdering,
  requireLockTimeout,
  requireStatementTimeout,
  requireTableSchema,
  transactionNesting,
  unanalyzableStatement,
];

export const rulesById: ReadonlyMap<string, Rule> = new Map(rules.map((r) => [r.meta.id, r]));
