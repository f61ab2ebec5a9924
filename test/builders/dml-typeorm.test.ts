/**
 * TypeORM's data-change calls on the migration's query runner (`manager.update/delete/insert`,
 * `getRepository(...)`, `createQueryBuilder().update(...)...execute()`) translated into the
 * statement TypeORM's query builders write for PostgreSQL (read from TypeORM's EntityManager.ts
 * and UpdateQueryBuilder.ts; values inline where they are literals), and the calls whose table
 * or SQL cannot be known reported as not analysed.
 */
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { initSqlParser, lines, unitOf } from '../sources/support.js';
import { builderCases } from './support.js';

before(async () => {
  await initSqlParser();
});

const wrap = (code: string) =>
  lines(
    "import { Entity, getConnection, getRepository, In, IsNull, MigrationInterface, Not, QueryRunner } from 'typeorm';",
    "import { Imported } from '../entities/imported';",
    "@Entity('app_users')",
    'class User {}',
    '@Entity()',
    'class UserProfile {}',
    'export class M1700000000000 implements MigrationInterface {',
    '  public async up(queryRunner: QueryRunner): Promise<void> {',
    `    await ${code};`,
    '  }',
    '  public async down(): Promise<void> {}',
    '}',
  );

describe('TypeORM data-change calls', () => {
  builderCases(
    [
      { code: "queryRunner.manager.update('users', { id: 1 }, { active: true })", sql: ['UPDATE "users" SET "active" = true WHERE "id" = 1'] },
      { code: "queryRunner.manager.update('users', { active: IsNull() }, { active: false })", sql: ['UPDATE "users" SET "active" = false WHERE "active" IS NULL'] },
      { code: "queryRunner.manager.update('users', { org_id: 2, kind: In(['a', 'b']) }, { n: 0 })", sql: [`UPDATE "users" SET "n" = 0 WHERE ("org_id" = 2 AND "kind" IN ('a', 'b'))`] },
      { code: "queryRunner.manager.update('users', [1, 2], { n: 0 })", sql: ['UPDATE "users" SET "n" = 0 WHERE "id" IN (1, 2)'] },
      { code: "queryRunner.manager.update(User, 5, { at: () => 'CURRENT_TIMESTAMP' })", sql: ['UPDATE "app_users" SET "at" = CURRENT_TIMESTAMP WHERE "id" = 5'] },
      { code: "queryRunner.manager.updateAll(UserProfile, { n: 0 })", sql: ['UPDATE "user_profile" SET "n" = 0'] },
      { code: "queryRunner.manager.delete('sessions', { expiredAt: Not(IsNull()) })", sql: ['DELETE FROM "sessions" WHERE NOT("expiredAt" IS NULL)'] },
      { code: "queryRunner.manager.getRepository('users').delete({ id: 3 })", sql: ['DELETE FROM "users" WHERE "id" = 3'] },
      { code: "queryRunner.manager.insert('roles', [{ name: 'a' }, { name: 'b', id: 2 }])", sql: [`INSERT INTO "roles" ("name", "id") VALUES ('a', DEFAULT), ('b', 2)`] },
      {
        code: "queryRunner.manager.createQueryBuilder().update('users').set({ active: true }).where('active IS NULL').execute()",
        sql: ['UPDATE "users" SET "active" = true WHERE active IS NULL'],
      },
      {
        code: "queryRunner.connection.createQueryBuilder().update('users').set({ n: 1 }).where('id >= :lo', { lo: 1 }).andWhere('id < :hi', { hi: 1000 }).execute()",
        sql: ['UPDATE "users" SET "n" = 1 WHERE id >= 1 AND id < 1000'],
      },
      {
        code: "queryRunner.manager.createQueryBuilder().delete().from('users').where('id IN (:...ids)', { ids: [1, 2] }).orWhere('name = :n', { n }).execute()",
        sql: ['DELETE FROM "users" WHERE id IN (1, 2) OR name = $1'],
        interpolated: true,
      },
      { code: "queryRunner.manager.createQueryBuilder().insert().into('roles').values({ name: 'a' }).execute()", sql: [`INSERT INTO "roles" ("name") VALUES ('a')`] },
      // A repository's query builder writes to the repository's table unless the chain names one.
      { code: "queryRunner.manager.getRepository(User).createQueryBuilder().update().set({ n: 0 }).where('n IS NULL').execute()", sql: ['UPDATE "app_users" SET "n" = 0 WHERE n IS NULL'] },
      { code: "queryRunner.manager.getRepository(User).createQueryBuilder('u').update({ n: 0 }).where('id = :id', { id: 1 }).execute()", sql: ['UPDATE "app_users" SET "n" = 0 WHERE id = 1'] },
      { code: "queryRunner.connection.getRepository('users').createQueryBuilder().delete().where('a IS NULL').execute()", sql: ['DELETE FROM "users" WHERE a IS NULL'] },
      { code: "queryRunner.manager.getRepository(User).createQueryBuilder().insert().values({ name: 'a' }).execute()", sql: [`INSERT INTO "app_users" ("name") VALUES ('a')`] },
      // increment / decrement / clear (EntityManager.increment: "col" = "col" + value; clearTable: TRUNCATE TABLE).
      { code: "queryRunner.manager.increment(User, { id: 1 }, 'logins', 2)", sql: ['UPDATE "app_users" SET "logins" = "logins" + 2 WHERE "id" = 1'] },
      { code: "queryRunner.manager.getRepository('users').decrement({ kind: 'a' }, 'credits', '3')", sql: [`UPDATE "users" SET "credits" = "credits" - 3 WHERE "kind" = 'a'`] },
      { code: 'queryRunner.manager.clear(UserProfile)', sql: ['TRUNCATE TABLE "user_profile"'] },
      { code: "queryRunner.manager.getRepository('sessions').clear()", sql: ['TRUNCATE TABLE "sessions"'] },
    ],
    wrap,
  );
});

describe('TypeORM data-change calls miglint cannot read are reported, not skipped', () => {
  builderCases(
    [
      { code: 'queryRunner.manager.update(Imported, { id: 1 }, { a: 1 })', sql: [], unanalysed: ['queryRunner.manager.update(Imported, { id: 1 }, { a: 1 })'] },
      { code: "queryRunner.manager.update('users', criteria, { a: 1 })", sql: [], unanalysed: ["queryRunner.manager.update('users', criteria, { a: 1 })"] },
      { code: "queryRunner.manager.update('users', { user: { id: 1 } }, { a: 1 })", sql: [], unanalysed: ["queryRunner.manager.update('users', { user: { id: 1 } }, { a: 1 })"] },
      { code: "queryRunner.manager.update('users', 1, { ...changes, a: 1 })", sql: [], unanalysed: ["queryRunner.manager.update('users', 1, { ...changes, a: 1 })"] },
      { code: "queryRunner.manager.save('users', { id: 1 })", sql: [], unanalysed: ["queryRunner.manager.save('users', { id: 1 })"] },
      ...[
        // Writes that depend on the entity's metadata or on rows read at run time.
        "queryRunner.manager.getRepository(User).softDelete({ id: 1 })",
        "queryRunner.manager.restore(User, { id: 1 })",
        "queryRunner.manager.softRemove(user)",
        "queryRunner.manager.getRepository(User).upsert({ id: 1, name: 'a' }, ['id'])",
        "queryRunner.manager.createQueryBuilder().softDelete().from(User).where('id = 1').execute()",
        "queryRunner.manager.createQueryBuilder().relation(User, 'roles').of(1).add(2)",
        // The manager through a const, a repository through a const, a transaction's manager.
        "(async () => { const m = queryRunner.manager; await m.update(Imported, { id: 1 }, { a: 1 }); })()",
        "(async () => { const repo = queryRunner.manager.getRepository(User); await repo.save({ id: 1 }); })()",
        "queryRunner.manager.transaction(async (em) => { await em.getRepository(User).softDelete({ id: 1 }); })",
        // TypeORM's global default connection: another connection than the migration's.
        "getRepository(User).update({ id: 1 }, { a: 1 })",
        "getConnection().createQueryBuilder().update('users').set({ a: 1 }).execute()",
        // Conditions on a repository builder's alias name the entity's properties, not columns.
        "queryRunner.manager.getRepository(User).createQueryBuilder('u').delete().where('u.id = :id', { id: 1 }).execute()",
        "queryRunner.manager.increment(User, { id: 1 }, 'profile.logins', 1)",
        "queryRunner.manager.increment(User, { id: 1 }, 'logins', 'one')",
        // A query builder in a variable may be changed by other statements.
        "(async () => { const qb = queryRunner.manager.createQueryBuilder().update('users'); qb.where('id = 1'); await qb.set({ a: 1 }).execute(); })()",
      ].map((code) => {
        const inner = /await (m\.update\(.*\)|repo\.save\(.*\)|em\.getRepository.*\)|qb\.set\(.*\));/.exec(code);
        return { code, sql: [], unanalysed: [inner ? inner[1]! : code] };
      }),
      {
        code: "queryRunner.manager.createQueryBuilder().update(Imported).set({ a: 1 }).where('a IS NULL').execute()",
        sql: [],
        unanalysed: ["queryRunner.manager.createQueryBuilder().update(Imported).set({ a: 1 }).where('a IS NULL').execute()"],
      },
      {
        code: "queryRunner.manager.createQueryBuilder().update('users').set({ a: 1 }).where(new Brackets((qb) => qb.where('a = 1'))).execute()",
        sql: [],
        unanalysed: ["queryRunner.manager.createQueryBuilder().update('users').set({ a: 1 }).where(new Brackets((qb) => qb.where('a = 1'))).execute()"],
      },
    ],
    wrap,
  );
  test('queryRunner.manager.query(...) is read as the raw query it is', () => {
    const unit = unitOf(wrap("queryRunner.manager.query('UPDATE users SET a = 1')"));
    assert.deepEqual(unit.statements.map((s) => [s.origin, s.sql]), [['literal', 'UPDATE users SET a = 1']]);
  });
  test('a select through the manager is not a write', () => {
    const unit = unitOf(
      wrap(
        "queryRunner.manager.find('users'); await queryRunner.manager.createQueryBuilder().select('id').from('users', 'u').getMany(); " +
          "const repo = queryRunner.manager.getRepository(User); await repo.findOne({ where: { id: 1 } }); await repo.createQueryBuilder('u').where('u.id = 1').getMany(); " +
          "await getRepository(User).count(); await queryRunner.manager.getRepository(User).createQueryBuilder('u').select('u.id').execute(); " +
          "const qb = queryRunner.manager.createQueryBuilder(); await qb.select('id').from('users', 'u').getMany()",
      ),
    );
    assert.deepEqual(unit.statements.map((s) => s.sql), []);
    assert.deepEqual(unit.unanalysed, []);
  });
});

describe('why a TypeORM write is not analysed', () => {
  const messages = (code: string) => unitOf(wrap(code)).unanalysed.map((u) => u.message);
  test('soft deletes name the delete-date column, global writes the other connection', () => {
    assert.match(messages("queryRunner.manager.getRepository(User).softDelete({ id: 1 })")[0]!, /`softDelete\(\.\.\.\)` \(an UPDATE of the entity's `@DeleteDateColumn`\)/);
    assert.match(messages("getRepository(User).update({ id: 1 }, { a: 1 })")[0]!, /goes through `getRepository\(\.\.\.\)`, the default connection, not the migration's query runner/);
    assert.match(messages("queryRunner.manager.createQueryBuilder().relation(User, 'roles').of(1).add(2)")[0]!, /`relation\(\.\.\.\)` writes/);
  });
});
