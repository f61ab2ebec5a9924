/**
 * Each framework's module shape and idioms, as its own docs and generators write
 * them (and as fixtures/rules/ does): the `up`/`down` functions, the raw query
 * call, the index builders, a code-managed transaction, and the switch that
 * turns the framework's wrapping transaction off.
 */
import type { Seg } from './model.js';

export const FRAMEWORKS = ['knex', 'typeorm', 'node-pg-migrate', 'sequelize', 'kysely', 'pg'] as const;
export type Framework = (typeof FRAMEWORKS)[number];

export interface CallParts {
  /** The SQL argument as written (a literal or a const's name, in parentheses if the spec says so). */
  arg: Seg[];
  form: number;
  /** Inside the framework's managed-transaction callback: use its handle. */
  inTx: boolean;
  /** Kysely: `arg` is a template literal for the `sql` tag. */
  tagged: boolean;
}

export interface Shell {
  header: string;
  /** The framework runs each migration in a transaction unless switched off. */
  wraps: boolean;
  /** The migration can switch the wrapping transaction off (Kysely's Migrator cannot). */
  switchable: boolean;
  /** The switch (`noTx`) turns it off for both directions (node-pg-migrate's `noTransaction()` acts on the direction that calls it: up). */
  noTxBoth: boolean;
  /** Query calls return promises (node-pg-migrate's `pgm.sql` does not). */
  awaits: boolean;
  call(p: CallParts): Seg[];
  /** A builder call creating or dropping index `name` on `leads`, or null when the framework has none. */
  builder(kind: 'index' | 'index-concurrently' | 'drop-index', name: string, v: number): string | null;
  /** The lines opening and closing a managed transaction callback, or null. */
  transaction: [string, string] | null;
  module(up: Seg[], down: Seg[], noTx: boolean): Seg[];
}

const text = (t: string): Seg => ({ text: t });

function fns(lang: 'ts' | 'js', param: string, type: string, up: Seg[], down: Seg[], style: 'export' | 'exports' | 'module'): Seg[] {
  const sig = lang === 'ts' ? `(${param}: ${type}): Promise<void>` : `(${param})`;
  if (lang === 'ts' || style === 'export') return [text(`export async function up${sig} {\n`), ...up, text(`}\n\nexport async function down${sig} {\n`), ...down, text('}\n')];
  const target = style === 'module' ? 'module.exports' : 'exports';
  return [text(`${target}.up = async ${sig} => {\n`), ...up, text(`};\n\n${target}.down = async function ${sig} {\n`), ...down, text('};\n')];
}

/** The module shape and idioms of `fw` in `lang`. */
export function shell(fw: Framework, lang: 'ts' | 'js'): Shell {
  const ts = lang === 'ts';
  switch (fw) {
    case 'knex':
      return {
        header: ts ? "import type { Knex } from 'knex';\n" : "/** @param {import('knex').Knex} knex */\n",
        wraps: true,
        switchable: true,
        noTxBoth: true,
        awaits: true,
        call: (p) => [text(p.inTx ? 'trx.raw(' : p.form % 2 ? 'knex.schema.raw(' : 'knex.raw('), ...p.arg, text(')')],
        builder: (kind, name) =>
          kind === 'index-concurrently' ? null : `knex.schema.alterTable('leads', (t) => {\n      t.${kind === 'index' ? 'index' : 'dropIndex'}(['a'], '${name}');\n    })`,
        transaction: ['await knex.transaction(async (trx) => {', '});'],
        module: (up, down, noTx) => [...fns(lang, 'knex', 'Knex', up, down, 'exports'), text(noTx ? (ts ? 'export const config = { transaction: false };\n' : 'exports.config = { transaction: false };\n') : '')],
      };
    case 'typeorm':
      return {
        header: ts ? "import { MigrationInterface, QueryRunner, TableIndex } from 'typeorm';\n" : "const { TableIndex } = require('typeorm');\n",
        wraps: true,
        switchable: true,
        noTxBoth: true,
        awaits: true,
        call: (p) => [text(p.inTx ? 'm.query(' : 'queryRunner.query('), ...p.arg, text(')')],
        builder: (kind, name) =>
          kind === 'index' ? `queryRunner.createIndex('leads', new TableIndex({ name: '${name}', columnNames: ['a'] }))` : kind === 'drop-index' ? `queryRunner.dropIndex('leads', '${name}')` : null,
        transaction: ['await queryRunner.manager.transaction(async (m) => {', '});'],
        module: (up, down, noTx) => {
          const sig = ts ? '(queryRunner: QueryRunner): Promise<void>' : '(queryRunner)';
          const pub = ts ? 'public ' : '';
          return [
            text(ts ? 'export class Fuzz1700000000000 implements MigrationInterface {\n' : 'module.exports = class Fuzz1700000000000 {\n'),
            text(noTx ? '  transaction = false;\n\n' : ''),
            text(`  ${pub}async up${sig} {\n`), ...up, text(`  }\n\n  ${pub}async down${sig} {\n`), ...down, text('  }\n'),
            text(ts ? '}\n' : '};\n'),
          ];
        },
      };
    case 'node-pg-migrate':
      return {
        header: ts ? "import type { MigrationBuilder } from 'node-pg-migrate';\n" : "/** @param {import('node-pg-migrate').MigrationBuilder} pgm */\n",
        wraps: true,
        switchable: true,
        noTxBoth: false,
        awaits: false,
        call: (p) => [text('pgm.sql('), ...p.arg, text(')')],
        builder: (kind, name) =>
          kind === 'drop-index' ? `pgm.dropIndex('leads', ['a'], { name: '${name}' })` : `pgm.createIndex('leads', ['a'], { name: '${name}'${kind === 'index-concurrently' ? ', concurrently: true' : ''} })`,
        transaction: null,
        module: (up, down, noTx) => fns(lang, 'pgm', 'MigrationBuilder', [text(noTx ? '    pgm.noTransaction();\n' : ''), ...up], down, 'exports'),
      };
    case 'sequelize':
      return {
        header: ts ? "import type { QueryInterface } from 'sequelize';\n" : "'use strict';\n",
        wraps: false,
        switchable: true,
        noTxBoth: true,
        awaits: true,
        call: (p) => [text('queryInterface.sequelize.query('), ...p.arg, text(p.inTx ? ', { transaction: t })' : ')')],
        builder: (kind, name) =>
          kind === 'drop-index' ? `queryInterface.removeIndex('leads', '${name}')` : `queryInterface.addIndex('leads', ['a'], { name: '${name}'${kind === 'index-concurrently' ? ', concurrently: true' : ''} })`,
        transaction: ['await queryInterface.sequelize.transaction(async (t) => {', '});'],
        module: (up, down) => {
          if (ts) {
            const sig = '({ context: queryInterface }: { context: QueryInterface }): Promise<void>';
            return [text(`export async function up${sig} {\n`), ...up, text(`}\n\nexport async function down${sig} {\n`), ...down, text('}\n')];
          }
          return [text('module.exports = {\n  async up(queryInterface, Sequelize) {\n'), ...up, text('  },\n\n  async down(queryInterface, Sequelize) {\n'), ...down, text('  },\n};\n')];
        },
      };
    case 'kysely':
      return {
        header: ts ? "import { Kysely, sql } from 'kysely';\n" : "const { sql } = require('kysely');\n",
        wraps: true,
        switchable: false,
        noTxBoth: true,
        awaits: true,
        call: (p) => {
          const db = p.inTx ? 'trx' : 'db';
          return p.tagged ? [text('sql'), ...p.arg, text(`.execute(${db})`)] : [text('sql.raw('), ...p.arg, text(`).execute(${db})`)];
        },
        builder: (kind, name) => (kind === 'index' ? `db.schema.createIndex('${name}').on('leads').columns(['a']).execute()` : kind === 'drop-index' ? `db.schema.dropIndex('${name}').execute()` : null),
        transaction: ['await db.transaction().execute(async (trx) => {', '});'],
        module: (up, down) => fns(lang, 'db', 'Kysely<any>', up, down, 'exports'),
      };
    case 'pg':
      return {
        header: ts ? "import type { PoolClient } from 'pg';\n" : "'use strict';\n",
        wraps: false,
        switchable: true,
        noTxBoth: true,
        awaits: true,
        call: (p) => (p.form % 2 ? [text('client.query({ text: '), ...p.arg, text(' })')] : [text('client.query('), ...p.arg, text(')')]),
        builder: () => null,
        transaction: null,
        module: (up, down) => fns(lang, 'client', 'PoolClient', up, down, 'module'),
      };
  }
}
