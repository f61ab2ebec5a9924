/**
 * The TS/JS frontend's framework modules, in detection order (the first whose
 * detection matches wins; see `detectFramework` in shape.ts). A new TS/JS framework
 * is its module file plus its line here.
 */
import { dbMigrate } from './db-migrate.js';
import { knex } from './knex.js';
import { kysely } from './kysely.js';
import { migrun } from './migrun.js';
import { mikroOrm } from './mikro-orm.js';
import { nodePgMigrate } from './node-pg-migrate.js';
import { pg, unknownFramework } from './pg.js';
import { postgresJs } from './postgres-js.js';
import { sequelize } from './sequelize.js';
import { slonik } from './slonik.js';
import { typeorm } from './typeorm.js';
import type { FrameworkSupport } from './types.js';

export const FRAMEWORKS: readonly FrameworkSupport[] = [migrun, mikroOrm, typeorm, nodePgMigrate, knex, kysely, dbMigrate, slonik, postgresJs, sequelize, pg];

/** The module of framework id `framework`; the no-framework module for `unknown`, `sql` or an id no module owns. */
export function frameworkSupport(framework: string): FrameworkSupport {
  return FRAMEWORKS.find((f) => f.framework === framework) ?? unknownFramework;
}
