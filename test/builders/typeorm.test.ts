/**
 * TypeORM's QueryRunner builder calls translated into the SQL PostgresQueryRunner sends.
 */
import { createHash } from 'node:crypto';
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { lint } from '../support/lint.js';
import { initSqlParser, lines, unitOf } from '../sources/support.js';
import { builderCases } from './support.js';

before(async () => {
  await initSqlParser();
});

const wrap = (code: string) =>
  lines(
    "import { MigrationInterface, QueryRunner, Table, TableColumn, TableForeignKey } from 'typeorm';",
    'export class M1700000000000 implements MigrationInterface {',
    '  public async up(queryRunner: QueryRunner): Promise<void> {',
    `    await ${code};`,
    '  }',
    '  public async down(): Promise<void> {}',
    '}',
  );

const sha = (key: string, n: number) => createHash('sha1').update(key).digest('hex').slice(0, n);

describe('TypeORM builder calls', () => {
  builderCases(
    [
      { code: "queryRunner.addColumn('leads', new TableColumn({ name: 'source', type: 'varchar', length: '64', isNullable: true }))", sql: ['ALTER TABLE "leads" ADD "source" varchar(64)'] },
      { code: "queryRunner.addColumn('leads', new TableColumn({ name: 'n', type: 'int', default: 0 }))", sql: ['ALTER TABLE "leads" ADD "n" int NOT NULL DEFAULT 0'] },
      { code: "queryRunner.addColumn('leads', new TableColumn({ name: 'id', type: 'bigint', isGenerated: true, generationStrategy: 'increment' }))", sql: ['ALTER TABLE "leads" ADD "id" bigserial NOT NULL'] },
      {
        code: "queryRunner.addColumns('leads', [new TableColumn({ name: 'a', type: 'text', isNullable: true }), new TableColumn({ name: 'b', type: 'uuid', default: 'gen_random_uuid()' })])",
        sql: ['ALTER TABLE "leads" ADD "a" text', 'ALTER TABLE "leads" ADD "b" uuid NOT NULL DEFAULT gen_random_uuid()'],
      },
      {
        // A type change makes TypeORM drop the column and add it again.
        code: "queryRunner.changeColumn('leads', new TableColumn({ name: 'n', type: 'int' }), new TableColumn({ name: 'n', type: 'bigint' }))",
        sql: ['ALTER TABLE "leads" DROP COLUMN "n"', 'ALTER TABLE "leads" ADD "n" bigint NOT NULL'],
      },
      {
        // So does a change of length or of array-ness.
        code: "queryRunner.changeColumn('leads', new TableColumn({ name: 'c', type: 'varchar', length: '16' }), new TableColumn({ name: 'c', type: 'varchar', length: 64 }))",
        sql: ['ALTER TABLE "leads" DROP COLUMN "c"', 'ALTER TABLE "leads" ADD "c" varchar(64) NOT NULL'],
      },
      {
        code: "queryRunner.changeColumn('leads', new TableColumn({ name: 't', type: 'text' }), new TableColumn({ name: 't', type: 'text', isArray: true }))",
        sql: ['ALTER TABLE "leads" DROP COLUMN "t"', 'ALTER TABLE "leads" ADD "t" text[] NOT NULL'],
      },
      {
        // The same length written as a number and as a string is no change.
        code: "queryRunner.changeColumn('leads', new TableColumn({ name: 'c', type: 'varchar', length: '64' }), new TableColumn({ name: 'c', type: 'varchar', length: 64, isNullable: true }))",
        sql: ['ALTER TABLE "leads" ALTER COLUMN "c" DROP NOT NULL'],
      },
      {
        // A change of precision or scale alone is altered in place, after a rename.
        code: "queryRunner.changeColumn('leads', new TableColumn({ name: 'a', type: 'numeric', precision: 10, scale: 2 }), new TableColumn({ name: 'b', type: 'numeric', precision: 12, scale: 4 }))",
        sql: ['ALTER TABLE "leads" RENAME COLUMN "a" TO "b"', 'ALTER TABLE "leads" ALTER COLUMN "b" TYPE numeric(12, 4)'],
      },
      {
        code: "queryRunner.changeColumn('leads', new TableColumn({ name: 'a', type: 'text', isNullable: true }), new TableColumn({ name: 'b', type: 'text', default: \"'x'\" }))",
        sql: ['ALTER TABLE "leads" RENAME COLUMN "a" TO "b"', `ALTER TABLE "leads" ALTER COLUMN "b" SET DEFAULT 'x'`, 'ALTER TABLE "leads" ALTER COLUMN "b" SET NOT NULL'],
      },
      { code: "queryRunner.renameColumn('leads', 'a', 'b')", sql: ['ALTER TABLE "leads" RENAME COLUMN "a" TO "b"'] },
      { code: "queryRunner.dropColumn('leads', 'a')", sql: ['ALTER TABLE "leads" DROP COLUMN "a"'] },
      { code: "queryRunner.dropColumns('leads', ['a', 'b'])", sql: ['ALTER TABLE "leads" DROP COLUMN "a"', 'ALTER TABLE "leads" DROP COLUMN "b"'] },
      {
        code: "queryRunner.createForeignKey('leads', new TableForeignKey({ columnNames: ['org_id'], referencedTableName: 'orgs', referencedColumnNames: ['id'], onDelete: 'CASCADE' }))",
        sql: [`ALTER TABLE "leads" ADD CONSTRAINT "FK_${sha('leads_org_id', 27)}" FOREIGN KEY ("org_id") REFERENCES "orgs" ("id") ON DELETE CASCADE`],
      },
      {
        code: "queryRunner.createUniqueConstraint('leads', { name: 'uq_email', columnNames: ['email'] })",
        sql: ['ALTER TABLE "leads" ADD CONSTRAINT "uq_email" UNIQUE ("email")'],
      },
      { code: "queryRunner.createPrimaryKey('leads', ['id'])", sql: [`ALTER TABLE "leads" ADD CONSTRAINT "PK_${sha('leads_id', 27)}" PRIMARY KEY ("id")`] },
      {
        code: "queryRunner.createCheckConstraint('leads', { name: 'chk_n', expression: 'n > 0' })",
        sql: ['ALTER TABLE "leads" ADD CONSTRAINT "chk_n" CHECK (n > 0)'],
      },
      { code: "queryRunner.renameTable('leads', 'prospects')", sql: ['ALTER TABLE "leads" RENAME TO "prospects"'] },
      { code: "queryRunner.dropTable('leads', true)", sql: ['DROP TABLE IF EXISTS "leads"'] },
      {
        code: "queryRunner.createTable(new Table({ name: 't', columns: [{ name: 'id', type: 'int', isPrimary: true }, { name: 'v', type: 'text', isNullable: true }] }))",
        sql: ['CREATE TABLE "t" ("id" int PRIMARY KEY, "v" text)'],
      },
      { code: "queryRunner.addColumn(TABLE, new TableColumn({ name: col, type: 'text', isNullable: true }))", sql: ['ALTER TABLE "${TABLE}" ADD "${col}" text'], interpolated: true },
      {
        // The old column by name: TypeORM reads it from the database.
        code: "queryRunner.changeColumn('leads', 'n', new TableColumn({ name: 'n', type: 'bigint' }))",
        sql: [],
        unanalysed: ["queryRunner.changeColumn('leads', 'n', new TableColumn({ name: 'n', type: 'bigint' }))"],
      },
    ],
    wrap,
  );
});

describe("TypeORM's changeColumn recreating a column", () => {
  const code = "queryRunner.changeColumn('leads', new TableColumn({ name: 'n', type: 'int', isNullable: true }), new TableColumn({ name: 'n', type: 'bigint', isNullable: true }))";
  test('its DROP COLUMN says why TypeORM sends it', () => {
    const unit = unitOf(wrap(code), 'm.ts');
    assert.deepEqual(
      unit.statements.map((s) => s.builderEffect ?? null),
      ["TypeORM's changeColumn drops the column and adds it again when its type (int to bigint) changes, so the column's data is lost", null],
    );
  });
  test('ban-drop-column names changeColumn dropping the data', () => {
    const f = lint('m.ts', wrap(code), { rules: ['ban-drop-column'] });
    assert.deepEqual(
      f.map((x) => x.message),
      [`TypeORM's changeColumn drops the column and adds it again when its type (int to bigint) changes, so the column's data is lost: DROP COLUMN "n" of existing table "leads", then ADD COLUMN.`],
    );
  });
});
