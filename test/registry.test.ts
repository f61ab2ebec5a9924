/**
 * The frontend registry is the only place a language is named: a fake language
 * registered through its public API (`.fake` files, `;;` comments, SQL statements) is
 * discovered, linted, suppressed and fixed (with its own syntax check refusing a broken
 * fix) by the CLI with no other change.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import { main } from '../src/cli/miglint.js';
import { DEFAULT_SETTINGS, defineRule } from '../src/core/rule.js';
import { discoverFiles } from '../src/lint/discover.js';
import { lintText } from '../src/lint/engine.js';
import { sqlUnit } from '../src/sources/sql.js';
import { loadUnit, prepareFrontends } from '../src/sources/index.js';
import { frontendFor, registerFrontend, type LanguageFrontend } from '../src/sources/registry.js';
import { config } from './support/lint.js';

/** `;;` to the end of the line, as a comment. */
const FAKE_COMMENT = /;;[^\n]*/g;

let prepared = 0;
/** The fake language refuses `CONCURRENTLY` in a file named `strict.fake` (its "grammar"). */
const fake: LanguageFrontend = {
  id: 'fake',
  kind: 'code',
  name: 'Fake',
  extensions: ['.fake'],
  comments: { line: [';;'] },
  async prepare() {
    prepared++;
  },
  parse(file, text, settings) {
    if (prepared === 0) throw new Error('fake frontend not prepared');
    // The statements are SQL; the comments are the language's own, blanked (same length) before SQL parsing.
    const unit = sqlUnit(file, text.replace(FAKE_COMMENT, (m) => ' '.repeat(m.length)), settings);
    unit.language = 'fake';
    unit.comments = [...text.matchAll(FAKE_COMMENT)].map((m) => ({ text: m[0], span: { start: m.index, end: m.index + m[0].length } }));
    return unit;
  },
  syntaxProblem(file, text) {
    return file.endsWith('strict.fake') && /CONCURRENTLY/.test(text) ? 'CONCURRENTLY is not Fake' : null;
  },
};

function project(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'miglint-registry-'));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

async function cli(args: string[], cwd: string): Promise<{ code: number; stdout: string }> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  stdout.on('data', (c) => (out += String(c)));
  stderr.resume();
  const previous = process.cwd();
  process.chdir(cwd);
  try {
    const code = await main(args, { stdout: stdout as never, stderr: stderr as never, stdin: process.stdin });
    return { code, stdout: out };
  } finally {
    process.chdir(previous);
  }
}

const INDEX = 'CREATE INDEX idx_leads_tenant ON leads (tenant_id);\n';

describe('a language registered through the registry', () => {
  let unregister: () => void = () => {};
  before(() => {
    unregister = registerFrontend(fake);
  });
  after(() => unregister());

  test('is picked by its extension and refuses a second frontend for it', () => {
    assert.equal(frontendFor('x/1_add.FAKE'), fake);
    assert.throws(() => registerFrontend({ ...fake, id: 'fake2' }), /\.fake is already read by the Fake frontend/);
    assert.throws(() => registerFrontend({ ...fake, extensions: ['.other'] }), /id "fake" is already registered/);
  });

  test('discovery walks its files', async () => {
    const dir = project({ '1_add.fake': INDEX, 'notes.txt': 'x', '2.sql': INDEX });
    assert.deepEqual((await discoverFiles([dir], dir)).map((f) => f.slice(dir.length + 1)).sort(), ['1_add.fake', '2.sql']);
  });

  test('the CLI lints it, prepares it once, and honours its `;;` suppressions', async () => {
    const dir = project({
      '1_add.fake': `;; miglint-ignore-file require-lock-timeout, require-statement-timeout\n${INDEX}`,
      '2_ignored.fake': `;; miglint-ignore-file require-lock-timeout, require-statement-timeout\n;; miglint-ignore require-concurrent-index-creation: built before launch\n${INDEX};; miglint-ignore ban-concurrent-index-creation-in-transaction\n`,
    });
    const before = prepared;
    const { code, stdout } = await cli(['--format', 'json', '.'], dir);
    assert.equal(prepared, before + 1, 'prepared once for two files');
    assert.equal(code, 1);
    const findings = (JSON.parse(stdout) as { filePath: string; messages: { ruleId: string; line: number }[] }[]).flatMap((f) => f.messages.map((m) => `${f.filePath.replace(/^.*[\\/]/, '')}:${m.line} ${m.ruleId}`));
    assert.deepEqual(findings.sort(), ['1_add.fake:2 require-concurrent-index-creation', '2_ignored.fake:4 unused-suppression']);
  });

  test('--fix writes a fix its syntax check accepts, and refuses one it rejects', async () => {
    const text = `;; miglint-ignore-file require-lock-timeout, require-statement-timeout\n${INDEX}`;
    const dir = project({ 'loose.fake': text, 'strict.fake': text });
    await cli(['--fix', '.'], dir);
    assert.match(readFileSync(join(dir, 'loose.fake'), 'utf8'), /CREATE INDEX CONCURRENTLY/);
    assert.equal(readFileSync(join(dir, 'strict.fake'), 'utf8'), text, 'the fix that breaks the Fake grammar is not written');
  });

  test("rules run on it by its id or its kind, and not by another language's", async () => {
    await prepareFrontends(['a.fake']);
    const hit = (appliesTo: string[]) =>
      defineRule({
        meta: { id: 'every-statement', description: 'x', fixable: 'none', recommended: true, category: 'coverage', appliesTo },
        check: (unit) => unit.statements.map((s) => ({ ruleId: 'every-statement', message: 'x', span: s.span })),
      });
    const ran = (appliesTo: string[]) => lintText('a.fake', INDEX, config(), { rules: [hit(appliesTo)] }).findings.filter((f) => f.ruleId === 'every-statement').length;
    assert.equal(ran(['fake']), 1);
    assert.equal(ran(['code']), 1);
    assert.equal(ran(['sql', 'ts']), 0);
  });
});

test('an unregistered extension is an unsupported file type again', () => {
  assert.equal(frontendFor('1_add.fake'), null);
  const { findings } = lintText('1_add.fake', INDEX, config(), { rules: [] });
  assert.deepEqual(
    findings.map((f) => f.ruleId),
    ['unanalyzable-file'],
  );
});

describe("the TS/JS framework modules' detection", () => {
  // With no import and no type annotation, what the phase does with its parameter decides, in the modules' `byUse` order.
  const unitOf = async (body: string) => {
    await prepareFrontends(['m.js']);
    return loadUnit('m.js', `exports.up = async function (db) {\n${body}\n};\n`, DEFAULT_SETTINGS);
  };

  test('Kysely claims a schema chain ending in execute() before knex claims `schema`', async () => {
    assert.equal((await unitOf("  await db.schema.createTable('t').addColumn('id', 'integer').execute();")).framework, 'kysely');
    assert.equal((await unitOf("  await db.schema.createTable('t', (t) => { t.integer('id'); });")).framework, 'knex');
  });

  test('Sequelize claims its queryInterface methods before node-pg-migrate claims createIndex', async () => {
    assert.equal((await unitOf("  await db.removeColumn('t', 'c');\n  await db.createIndex('t', 'c');")).framework, 'sequelize');
    assert.equal((await unitOf("  db.createIndex('t', 'c');")).framework, 'node-pg-migrate');
  });

  test("db-migrate claims db.runSql and a phase calling only db-migrate's builders, before Sequelize", async () => {
    assert.equal((await unitOf("  await db.runSql('CREATE INDEX i ON t (c)');")).framework, 'db-migrate');
    assert.equal((await unitOf("  await db.removeColumn('t', 'c');\n  await db.addIndex('t', 'i', ['c']);")).framework, 'db-migrate');
    assert.equal((await unitOf("  await db.removeColumn('t', 'c');\n  await db.addConstraint('t', { fields: ['c'], type: 'unique' });")).framework, 'sequelize');
  });

  test('a raw query through no recognised framework is node-postgres', async () => {
    assert.equal((await unitOf("  await db.query('CREATE INDEX i ON t (c)');")).framework, 'pg');
  });
});

describe('the rules and the languages they run on', () => {
  test('every rule names only registered language ids or kinds', async () => {
    const { rules } = await import('../rules/index.js');
    const { languageFrontends } = await import('../src/sources/registry.js');
    const names = new Set(languageFrontends().flatMap((f) => [f.id, f.kind]));
    for (const r of rules) for (const a of r.meta.appliesTo) assert.ok(names.has(a), `${r.meta.id}: appliesTo names '${a}', which no frontend is`);
  });

  test('every rule about SQL statements runs on every language that produces them (Python included)', async () => {
    const { rules } = await import('../rules/index.js');
    const { languageFrontends, ruleAppliesTo } = await import('../src/sources/registry.js');
    const codeOnly = new Set(['no-idle-in-transaction']);
    for (const f of languageFrontends()) {
      for (const r of rules) {
        if (codeOnly.has(r.meta.id) && f.kind === 'sql') continue;
        assert.ok(ruleAppliesTo(r.meta.appliesTo, f), `${r.meta.id} does not run on ${f.id} files`);
      }
    }
  });
});

describe("the frontends' framework lists", () => {
  test('name every framework module of the frontend, with its id and name, in detection order', async () => {
    const { FRAMEWORKS } = await import('../src/sources/typescript/frameworks.js');
    const { PYTHON_FRAMEWORKS } = await import('../src/sources/python/frameworks.js');
    const { frontendById } = await import('../src/sources/registry.js');
    const listed = (id: 'ts' | 'python') => (frontendById(id)?.frameworks ?? []).map((f) => `${f.framework}: ${f.name}`);
    assert.deepEqual(listed('ts'), FRAMEWORKS.map((f) => `${f.framework}: ${f.name}`));
    assert.deepEqual([...listed('python')].sort(), PYTHON_FRAMEWORKS.map((f) => `${f.framework}: ${f.name}`).sort());
  });

  test('miglint --help names them all', async () => {
    const { miglintIn } = await import('./support/cli.js');
    const r = await miglintIn(['--help'], process.cwd());
    assert.equal(r.code, 0);
    const flat = r.stdout.replace(/\s+/g, ' ');
    for (const name of ['Slonik', 'postgres.js', 'knex', 'TypeORM', 'MikroORM', 'db-migrate', 'node-postgres', 'Django', 'Alembic']) assert.match(flat, new RegExp(` ${name.replace('.', '\\.')}[,)]`), `${name} in --help`);
  });
});
