/**
 * Every rule: registered in order, documented with the fixed headings, firing on
 * each of its bad fixtures (with a snapshot of the rendered diagnostics), silent
 * on its good ones, and its documentation's examples linted.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { rules } from '../rules/index.js';
import { initSqlParser } from '../src/sql/parse.js';
import { fixturesDir, repoRoot } from './support/paths.js';
import { lint, render } from './support/lint.js';
import { matchSnapshot } from './support/snapshot.js';
import { fixtureConfig, fixtureInputs, fixtureName, optIn } from './support/fixtures.js';

/** Ids the rule catalogue fixes outside the usual prefixes (a state of the analysis, not a hazard). */
const CATALOGUE_IDS_WITHOUT_PREFIX = new Set(['unanalyzable-statement', 'constraint-missing-not-valid', 'changing-column-type', 'disallowed-unique-constraint', 'transaction-nesting', 'identifier-too-long']);
const HEADINGS = ['## Problem', '## Instead of', '## Use', '## Fix safety', '## When not to use it', '## Options', '## PostgreSQL manual'];
/** Code blocks of a markdown section, with their language. */
function examples(markdown: string, heading: string): { lang: string; code: string }[] {
  const start = markdown.indexOf(`\n${heading}\n`);
  if (start < 0) return [];
  const rest = markdown.slice(start + heading.length + 2);
  const end = rest.search(/\n## /);
  const section = end < 0 ? rest : rest.slice(0, end);
  return [...section.matchAll(/```(\w+)\n([\s\S]*?)```/g)].map((m) => ({ lang: m[1]!, code: m[2]! }));
}

await initSqlParser();

test('the registry is sorted by id and has no duplicates', () => {
  const ids = rules.map((r) => r.meta.id);
  assert.deepEqual(ids, [...ids].sort());
  assert.equal(new Set(ids).size, ids.length);
});

test('every rule file in rules/ is registered', () => {
  const files = readdirSync(join(repoRoot, 'rules')).filter((f) => f.endsWith('.ts') && f !== 'index.ts').map((f) => f.replace(/\.ts$/, ''));
  assert.deepEqual(files.sort(), rules.map((r) => r.meta.id).sort());
});

for (const rule of rules) {
  const id = rule.meta.id;
  describe(id, () => {
    const doc = existsSync(join(repoRoot, 'rules', `${id}.md`)) ? readFileSync(join(repoRoot, 'rules', `${id}.md`), 'utf8') : '';

    test('has documentation with the fixed headings', () => {
      assert.ok(doc.startsWith(`# ${id}\n`), `rules/${id}.md must start with "# ${id}"`);
      for (const h of HEADINGS) assert.ok(doc.includes(`\n${h}\n`), `rules/${id}.md lacks "${h}"`);
    });

    test('has an id in the field\'s style', () => {
      if (CATALOGUE_IDS_WITHOUT_PREFIX.has(id)) return;
      assert.match(id, /^(require|ban|prefer|adding|renaming|no)-[a-z]+(-[a-z]+)*$/);
    });

    const inputs = fixtureInputs(id);
    test('has bad and good fixtures', () => {
      assert.ok(inputs.some((f) => f.startsWith('bad')), `fixtures/rules/${id}/ needs a bad.* input`);
      assert.ok(inputs.some((f) => f.startsWith('good')), `fixtures/rules/${id}/ needs a good.* input`);
    });

    for (const file of inputs) {
      const path = join(fixturesDir, 'rules', id, file);
      const text = readFileSync(path, 'utf8');
      if (file.startsWith('bad')) {
        test(`fires on ${file}`, () => {
          const findings = lint(fixtureName(id, file), text, { rules: [id], config: fixtureConfig(file, optIn(rule)) });
          assert.ok(findings.length > 0, `${id} did not fire on ${file}`);
          assert.deepEqual([...new Set(findings.map((f) => f.ruleId))], [id], 'only the rule under test may report');
          matchSnapshot(render(`fixtures/rules/${id}/${file}`, text, findings), `${path}.snap`);
        });
      } else {
        test(`is silent on ${file}`, () => {
          const findings = lint(fixtureName(id, file), text, { rules: [id], config: fixtureConfig(file, optIn(rule)) });
          assert.deepEqual(findings.map((f) => `${f.line}:${f.column} ${f.ruleId} ${f.message}`), []);
        });
      }
    }

    test('its documentation examples lint as documented', () => {
      const bad = examples(doc, '## Instead of');
      const good = examples(doc, '## Use');
      assert.ok(bad.length > 0 && good.length > 0, 'the doc needs examples under "Instead of" and "Use"');
      for (const ex of bad) {
        const name = `example.${ex.lang === 'sql' ? 'sql' : 'ts'}`;
        const all = lint(name, ex.code, { config: fixtureConfig(name, optIn(rule)) });
        assert.ok(all.some((f) => f.ruleId === id), `a bad example does not raise ${id}:\n${ex.code}`);
        assert.ok(!all.some((f) => f.ruleId === 'syntax-error'), `a bad example does not parse:\n${ex.code}`);
      }
      for (const ex of good) {
        const name = `example.${ex.lang === 'sql' ? 'sql' : 'ts'}`;
        const all = lint(name, ex.code, { config: fixtureConfig(name, optIn(rule)) });
        assert.deepEqual(all.map((f) => `${f.ruleId}: ${f.message}`), [], `a good example raises findings:\n${ex.code}`);
      }
    });
  });
}
