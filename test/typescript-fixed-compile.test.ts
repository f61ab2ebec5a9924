/**
 * Every TypeScript rule fixture still compiles after its fixes: the bad input
 * itself, its `.fixed` and `.unsafe-fixed` outputs (and the good inputs), each
 * type-checked with the TypeScript compiler bundled in ts-morph against
 * fixtures/rules/frameworks.d.ts, the minimal shapes of the frameworks the
 * fixtures use. Zero diagnostics are required, so a fix that produces invalid
 * code (a missing `async`, a misspelled method, a variable moved out of scope, a
 * duplicate import) fails here, and since the unfixed input compiles too, only
 * the fix can be the cause.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, relative } from 'node:path';
import { describe, test } from 'node:test';
import type * as TsMorph from 'ts-morph';
import { fixturesDir } from './support/paths.js';

const { Project, ts } = createRequire(import.meta.url)('ts-morph') as typeof TsMorph;

const rulesDir = join(fixturesDir, 'rules');
const declarations = readFileSync(join(rulesDir, 'frameworks.d.ts'), 'utf8');

const options = {
  strict: true,
  noEmit: true,
  target: ts.ScriptTarget.ES2022,
  module: ts.ModuleKind.ESNext,
  moduleResolution: ts.ModuleResolutionKind.Bundler,
  // Every file a module of its own (a fixture without imports would otherwise share the global scope with the others).
  moduleDetection: ts.ModuleDetectionKind.Force,
  lib: ['lib.es2022.d.ts'],
  types: [],
  noImplicitOverride: true,
  noFallthroughCasesInSwitch: true,
};

/**
 * The compiler's diagnostics for each text (a name → text map), each a module next to the
 * declarations, formatted. One program for all of them: the lib files and the declarations are
 * bound and checked once, and each file is checked on its own (no file imports another).
 */
function diagnosticsOf(texts: ReadonlyMap<string, string>): Map<string, string[]> {
  const project = new Project({ useInMemoryFileSystem: true, skipAddingFilesFromTsConfig: true, compilerOptions: options });
  project.createSourceFile('/fixtures/frameworks.d.ts', declarations);
  const path = (name: string) => `/fixtures/${relative(rulesDir, name).replace(/[^A-Za-z0-9._/-]/g, '_')}.ts`;
  for (const [name, text] of texts) project.createSourceFile(path(name), text);
  const program = project.getProgram().compilerObject;
  const shared = [...program.getGlobalDiagnostics(), ...program.getSemanticDiagnostics(program.getSourceFile('/fixtures/frameworks.d.ts'))];
  const format = (d: TsMorph.ts.Diagnostic) => {
    const message = ts.flattenDiagnosticMessageText(d.messageText, '\n');
    if (!d.file || d.start === undefined) return message;
    const { line, character } = d.file.getLineAndCharacterOfPosition(d.start);
    return `${d.file.fileName}:${line + 1}:${character + 1} TS${d.code}: ${message}`;
  };
  const out = new Map<string, string[]>();
  for (const name of texts.keys()) {
    const sf = program.getSourceFile(path(name));
    out.set(name, [...program.getSyntacticDiagnostics(sf), ...program.getSemanticDiagnostics(sf), ...shared].map(format));
  }
  return out;
}

/** The diagnostics of one text (see `diagnosticsOf`). */
function diagnostics(text: string): string[] {
  return diagnosticsOf(new Map([['migration', text]])).get('migration')!;
}

/** `bad.x.ts`, `good.x.ts` and the fixed outputs of `.ts` inputs, per rule. */
function tsFixtures(): Array<{ rule: string; file: string; path: string }> {
  const out: Array<{ rule: string; file: string; path: string }> = [];
  for (const rule of readdirSync(rulesDir, { withFileTypes: true })) {
    if (!rule.isDirectory()) continue;
    for (const file of readdirSync(join(rulesDir, rule.name)).sort()) {
      if (/^(bad|good)\b.*\.ts(\.fixed|\.unsafe-fixed)?$/.test(file) && !file.endsWith('.d.ts')) out.push({ rule: rule.name, file, path: join(rulesDir, rule.name, file) });
    }
  }
  return out;
}

test('the framework declarations compile on their own', () => {
  assert.deepEqual(diagnostics('export {};\n'), []);
});

const fixtures = tsFixtures();

test('there are TypeScript fixtures with fixed outputs to check', () => {
  assert.ok(fixtures.some((f) => f.file.endsWith('.fixed')));
  assert.ok(fixtures.some((f) => f.file.endsWith('.unsafe-fixed')));
  assert.ok(fixtures.filter((f) => f.file.endsWith('.ts')).length >= 10);
});

describe('TypeScript fixtures compile', () => {
  // Every fixture and every fixed output's input, checked in one program.
  const inputOf = (f: { rule: string; file: string }) => join(rulesDir, f.rule, f.file.replace(/\.(unsafe-)?fixed$/, ''));
  const texts = new Map<string, string>();
  for (const f of fixtures) {
    texts.set(f.path, readFileSync(f.path, 'utf8'));
    const input = inputOf(f);
    if (input !== f.path && existsSync(input)) texts.set(input, readFileSync(input, 'utf8'));
  }
  const checked = diagnosticsOf(texts);
  for (const f of fixtures) {
    test(`${f.rule}/${f.file}`, () => {
      if (/\.(unsafe-)?fixed$/.test(f.file)) {
        const input = inputOf(f);
        assert.ok(existsSync(input), `the input of ${f.file} exists`);
        assert.deepEqual(checked.get(input), [], 'the unfixed input compiles');
      }
      assert.deepEqual(checked.get(f.path), []);
    });
  }
});

test('a fixed output that does not compile is caught', () => {
  const broken = "import type { QueryRunner } from 'typeorm';\nexport async function up(queryRunner: QueryRunner) {\n  await queryRunner.qeury('SELECT 1');\n}\n";
  assert.ok(diagnostics(broken).some((d) => /qeury/.test(d)));
});
