/** The README's rule table is the registry's (src/cli/rule-catalogue.ts). */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { rules } from '../rules/index.js';
import { ruleTable, withRuleTable } from '../src/cli/rule-catalogue.js';
import { repoRoot } from './support/paths.js';

test("the README's rule table matches the registry (regenerate: node dist/src/cli/rule-catalogue.js --write README.md)", () => {
  const readme = readFileSync(join(repoRoot, 'README.md'), 'utf8');
  assert.ok(readme.includes(ruleTable(rules)), 'README.md rule table differs from rules/index.ts');
  assert.equal(withRuleTable(readme, rules), readme);
  for (const r of rules) assert.ok(readme.includes(`[\`${r.meta.id}\`](rules/${r.meta.id}.md)`), `${r.meta.id} is in the table`);
});
