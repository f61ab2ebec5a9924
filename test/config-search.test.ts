/** Configuration discovery: which file applies to a migration, searched up from its folder. */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { ConfigError, ConfigLoader } from '../src/config/index.js';
import { knownRules } from './support/lint.js';

/** A fresh project folder (with a package.json, where the search stops) and its `db/migrations` folder. */
function project(pkg: Record<string, unknown> = {}): { root: string; migrations: string } {
  const base = mkdtempSync(join(tmpdir(), 'miglint-config-search-'));
  const root = join(base, 'app');
  const migrations = join(root, 'db', 'migrations');
  mkdirSync(migrations, { recursive: true });
  writeFileSync(join(root, 'package.json'), JSON.stringify(pkg));
  return { root, migrations };
}

const pgVersionOf = async (loader: ConfigLoader, file: string) => (await loader.forFile(file)).settings.pgVersion;

describe('configuration search', () => {
  test('the nearest folder holding a configuration wins', async () => {
    const { root, migrations } = project();
    writeFileSync(join(root, '.miglintrc.json'), JSON.stringify({ pgVersion: 12 }));
    writeFileSync(join(root, 'db', 'miglint.config.cjs'), 'module.exports = { pgVersion: 13 };');
    const loader = new ConfigLoader(knownRules);
    assert.equal(await pgVersionOf(loader, join(migrations, '1.sql')), 13);
    assert.equal((await loader.forFile(join(migrations, '1.sql'))).path, join(root, 'db', 'miglint.config.cjs'));
    assert.equal(await pgVersionOf(loader, join(root, 'x.sql')), 12);
  });

  test('package.json counts only with a "miglint" key, and is looked at before the rc files of its folder', async () => {
    const plain = project({ name: 'x' });
    writeFileSync(join(plain.root, '.miglintrc.yaml'), 'pgVersion: 14\n');
    assert.equal(await pgVersionOf(new ConfigLoader(knownRules), join(plain.migrations, '1.sql')), 14);
    const keyed = project({ name: 'x', miglint: { pgVersion: 15 } });
    writeFileSync(join(keyed.root, '.miglintrc.yaml'), 'pgVersion: 14\n');
    assert.equal(await pgVersionOf(new ConfigLoader(knownRules), join(keyed.migrations, '1.sql')), 15);
  });

  test('a file under .config/ is found, and an empty candidate or a folder of that name is passed over', async () => {
    const { root, migrations } = project();
    writeFileSync(join(root, '.miglintrc'), '   \n');
    mkdirSync(join(root, '.miglintrc.json'));
    mkdirSync(join(root, '.config'));
    writeFileSync(join(root, '.config', 'miglintrc.json'), JSON.stringify({ pgVersion: 16 }));
    assert.equal(await pgVersionOf(new ConfigLoader(knownRules), join(migrations, '1.sql')), 16);
  });

  test('the search stops at the first folder with a package.json', async () => {
    const { root } = project();
    writeFileSync(join(root, '..', '.miglintrc.json'), JSON.stringify({ pgVersion: 11 }));
    const inner = join(root, 'packages', 'db');
    mkdirSync(inner, { recursive: true });
    writeFileSync(join(inner, 'package.json'), '{}');
    const loader = new ConfigLoader(knownRules);
    const config = await loader.forFile(join(inner, '1.sql'));
    assert.equal(config.path, null);
    assert.equal(config.settings.pgVersion, (await new ConfigLoader(knownRules).forFile(join(tmpdir(), 'none', 'x.sql'))).settings.pgVersion);
  });

  test('folders sharing one configuration share one resolved object; an invalid one is a ConfigError', async () => {
    const { root, migrations } = project();
    writeFileSync(join(root, '.miglintrc.json'), JSON.stringify({ pgVersion: 14 }));
    mkdirSync(join(migrations, 'a'));
    const loader = new ConfigLoader(knownRules);
    assert.equal(await loader.forFile(join(migrations, 'a', 'up.sql')), await loader.forFile(join(migrations, '2.sql')));
    const bad = project();
    writeFileSync(join(bad.root, '.miglintrc.json'), JSON.stringify({ pgVersion: 'fourteen' }));
    await assert.rejects(new ConfigLoader(knownRules).forFile(join(bad.migrations, '1.sql')), ConfigError);
    const broken = project();
    writeFileSync(join(broken.root, '.miglintrc.json'), '{ not json');
    await assert.rejects(new ConfigLoader(knownRules).forFile(join(broken.migrations, '1.sql')), ConfigError);
    const brokenPackage = project();
    writeFileSync(join(brokenPackage.root, 'package.json'), '{ "name": ');
    await assert.rejects(new ConfigLoader(knownRules).forFile(join(brokenPackage.migrations, '1.sql')), ConfigError);
  });
});
