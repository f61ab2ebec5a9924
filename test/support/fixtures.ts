/** Rule fixture discovery and their per-file settings. */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { ConfigFile } from '../../src/config/index.js';
import { SQL_RUNNERS } from '../../src/core/rule.js';
import { fixturesDir } from './paths.js';

const RUNNERS: ReadonlySet<string> = new Set(SQL_RUNNERS);

/**
 * `bad.dbmate.sql` runs with `sqlRunner: 'dbmate'`, `bad.pg11.sql` with `pgVersion: 11`, `bad.prisma7_4.sql`
 * with Prisma 7.4; `good.db-migrate.no-transaction.js` with `assumeInTransaction: false` (a run that
 * switches the framework's transaction off, e.g. `db-migrate up --non-transactional`), `bad.slonik.in-transaction.ts`
 * with `assumeInTransaction: true` (a project's runner that calls `up` in a transaction);
 * `bad.typeorm.ts` only names its framework. With `optInRule` (the fixture folder's rule
 * when it is off by default), that rule is switched on.
 */
export function fixtureConfig(file: string, optInRule?: string): ConfigFile {
  const middle = file.split('.').slice(1, -1);
  const runner = middle.find((m) => RUNNERS.has(m));
  const version = middle.map((m) => /^pg(\d{2})$/.exec(m)?.[1]).find((v) => v !== undefined);
  // `bad.prisma7_4.sql`: Prisma Migrate of that version (`prismaVersion: '7.4'`).
  const prisma = middle.map((m) => /^prisma(\d+)_(\d+)$/.exec(m)).find((m) => m);
  return {
    ...(runner ? { sqlRunner: runner as ConfigFile['sqlRunner'] } : {}),
    ...(prisma ? { sqlRunner: 'prisma' as const, prismaVersion: `${prisma[1]}.${prisma[2]}` } : {}),
    ...(version ? { pgVersion: Number(version) } : {}),
    ...(middle.includes('no-transaction') ? { assumeInTransaction: false } : {}),
    ...(middle.includes('in-transaction') ? { assumeInTransaction: true } : {}),
    ...(optInRule ? { rules: { [optInRule]: 'warn' as const } } : {}),
  };
}

/** The rule id to pass to `fixtureConfig` for a rule's fixtures: itself when it is off by default. */
export function optIn(rule: { meta: { id: string; recommended: boolean } }): string | undefined {
  return rule.meta.recommended ? undefined : rule.meta.id;
}

/**
 * The bad.* and good.* inputs of a rule's fixture folder, sorted. A folder `bad.django-state/`
 * (any `bad.*`/`good.*` folder) is a Django project whose migrations are read together: its
 * input is the last migration of each `<app>/migrations/`, as a path below the rule's folder
 * (`bad.django-state/leads/migrations/0002_alter_lead_amount.py`), linted with the earlier ones
 * as its siblings (lint it under `fixtureName`).
 */
export function fixtureInputs(id: string): string[] {
  const dir = join(fixturesDir, 'rules', id);
  if (!existsSync(dir)) return [];
  const files = readdirSync(dir).filter((f) => /^(bad|good)\b.*\.(sql|ts|js|mjs|cjs|py)$/.test(f));
  for (const project of readdirSync(dir, { withFileTypes: true }).filter((e) => e.isDirectory() && /^(bad|good)\./.test(e.name))) {
    for (const app of readdirSync(join(dir, project.name))) {
      const migrations = join(dir, project.name, app, 'migrations');
      const last = existsSync(migrations) ? readdirSync(migrations).filter((f) => /^\d{4}_\w+\.py$/.test(f)).sort().at(-1) : undefined;
      if (last) files.push(`${project.name}/${app}/migrations/${last}`);
    }
  }
  return files.sort();
}

/** The name to lint a fixture input under: a project fixture's path (so its sibling migrations are read), else the file name. */
export function fixtureName(id: string, file: string): string {
  return file.includes('/') ? join(fixturesDir, 'rules', id, file) : file;
}
