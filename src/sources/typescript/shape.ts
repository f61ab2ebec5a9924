/**
 * The shape of a migration module: its `up`/`down` functions, what it imports,
 * and which framework it is written for.
 */
import type { ExportDeclaration, ImportDeclaration, SourceFile } from 'ts-morph';
import { Node, SyntaxKind, ts } from './morph.js';
import type { Framework, Phase } from '../../core/unit.js';
import { unwrap } from './literals.js';
import type { NodeIndex } from './nodes.js';
import type { FunctionLike, PhaseFunction } from './types.js';

const PHASES = new Set(['up', 'down']);

function isFunctionLike(n: Node | undefined): n is FunctionLike {
  return !!n && (Node.isFunctionDeclaration(n) || Node.isFunctionExpression(n) || Node.isArrowFunction(n) || Node.isMethodDeclaration(n));
}

function phaseFunction(phase: string, fn: FunctionLike): PhaseFunction {
  const params = fn.getParameters();
  const first = params[0];
  let param: string | null = null;
  if (first) {
    const name = first.getNameNode();
    if (Node.isIdentifier(name)) param = name.getText();
    else if (Node.isObjectBindingPattern(name)) {
      // umzug: `async ({ context: queryInterface })`
      const el = name.getElements().find((e) => (e.getPropertyNameNode()?.getText() ?? e.getName()) === 'context') ?? name.getElements()[0];
      param = el ? el.getName() : null;
    }
  }
  return { phase: phase as 'up' | 'down', fn, param, paramType: first?.getTypeNode()?.getText() ?? null, paramCount: params.length };
}

/** The migration's `up` and `down` functions, in every shape the frameworks accept. */
export function findPhases(nodes: NodeIndex): PhaseFunction[] {
  const out: PhaseFunction[] = [];
  const seen = new Set<Node>();
  const add = (name: string, fn: Node | undefined) => {
    const f = fn ? unwrap(fn) : undefined;
    if (!PHASES.has(name) || !isFunctionLike(f) || seen.has(f)) return;
    seen.add(f);
    out.push(phaseFunction(name, f));
  };
  for (const n of nodes.all) {
    if (Node.isFunctionDeclaration(n)) add(n.getName() ?? '', n);
    else if (Node.isVariableDeclaration(n)) add(n.getName(), n.getInitializer());
    else if (Node.isMethodDeclaration(n)) add(n.getName(), n);
    else if (Node.isPropertyDeclaration(n)) add(n.getName(), n.getInitializer());
    else if (Node.isPropertyAssignment(n)) add(n.getName(), n.getInitializer());
    else if (Node.isBinaryExpression(n) && n.getOperatorToken().getKind() === SyntaxKind.EqualsToken) {
      // exports.up = ..., module.exports.up = ...
      const left = n.getLeft();
      if (Node.isPropertyAccessExpression(left) && /^(module\.)?exports$/.test(left.getExpression().getText())) add(left.getName(), n.getRight());
    }
  }
  return out;
}

/**
 * The module an `import` / `export ... from` names, or null when it names none
 * (`export { a }`) or the code is cut off before the string (ts-morph's own
 * `getModuleSpecifierValue()` throws then).
 */
export function moduleSpecifier(d: ImportDeclaration | ExportDeclaration): string | null {
  const spec = d.compilerNode.moduleSpecifier;
  return spec && ts.isStringLiteral(spec) ? spec.text : null;
}

/** Module specifiers of `import`, `export ... from`, `require()` and `import()`. */
export function importsOf(sf: SourceFile, nodes: NodeIndex): string[] {
  const out: string[] = [];
  for (const d of [...sf.getImportDeclarations(), ...sf.getExportDeclarations()]) {
    const v = moduleSpecifier(d);
    if (v !== null) out.push(v);
  }
  for (const n of nodes.ofKind(SyntaxKind.CallExpression)) {
    const callee = n.getExpression();
    const arg = n.getArguments()[0];
    if ((callee.getText() === 'require' || callee.getKind() === SyntaxKind.ImportKeyword) && arg && Node.isStringLiteral(arg)) out.push(arg.getLiteralText());
  }
  // `@param {import('knex').Knex} knex` in JSDoc names the framework of a JavaScript migration.
  for (const m of sf.getFullText().matchAll(/import\(\s*["']([^"']+)["']\s*\)/g)) out.push(m[1]!);
  return out;
}

/** Which phase a node belongs to: the innermost `up`/`down` function around it. */
export function phaseOf(node: Node, phases: PhaseFunction[]): Phase {
  if (phases.length === 0) return 'other';
  for (let n: Node | undefined = node; n; n = n.getParent()) {
    if (!isFunctionLike(n)) continue;
    const p = phases.find((ph) => ph.fn === n);
    if (p) return p.phase;
  }
  return 'other';
}

const IMPORT_FRAMEWORKS: Array<[RegExp, Framework]> = [
  [/(^|\/)migrun(\/|$)|^miglint(\/|$)/, 'migrun'],
  [/^typeorm(\/|$)/, 'typeorm'],
  [/^node-pg-migrate(\/|$)/, 'node-pg-migrate'],
  [/^knex(\/|$)/, 'knex'],
  [/^kysely(\/|$)/, 'kysely'],
  [/^(sequelize|sequelize-cli|sequelize-typescript|umzug|@sequelize\/core)(\/|$)/, 'sequelize'],
];

const TYPE_FRAMEWORKS: Array<[RegExp, Framework]> = [
  [/^QueryRunner\b/, 'typeorm'],
  [/^MigrationBuilder\b/, 'node-pg-migrate'],
  [/^(Knex|knex)\b/, 'knex'],
  [/^Kysely\b/, 'kysely'],
  [/^(QueryInterface|Sequelize|MigrationParams|MigrationFn)\b/, 'sequelize'],
  [/^(Migrun|Migration)?(Context|Ctx)\b/, 'migrun'],
];

/** Parameter names each framework's generators and docs use. */
const STRONG_PARAMS: Record<string, Framework> = {
  queryRunner: 'typeorm',
  pgm: 'node-pg-migrate',
  knex: 'knex',
  queryInterface: 'sequelize',
};

/** Weaker hints, used when the parameter's use says nothing. */
const PARAM_FRAMEWORKS: Record<string, Framework> = {
  pool: 'pg',
  client: 'pg',
};

/** Detects the framework from the class and parameter shapes, the imports, and how the parameter is used. */
export function detectFramework(sf: SourceFile, phases: PhaseFunction[], imports: string[], nodes: NodeIndex): Framework {
  if (sf.getClasses().some((c) => c.getImplements().some((i) => /MigrationInterface\b/.test(i.getText())))) return 'typeorm';
  for (const p of phases) {
    if (!p.paramType) continue;
    for (const [re, fw] of TYPE_FRAMEWORKS) if (re.test(p.paramType)) return fw;
  }
  for (const [re, fw] of IMPORT_FRAMEWORKS) if (imports.some((i) => re.test(i))) return fw;
  for (const p of phases) {
    const named = p.param ? STRONG_PARAMS[p.param] : undefined;
    if (named) return named;
    if (p.paramCount === 2 && /^Sequelize$|^DataTypes$/.test(p.fn.getParameters()[1]?.getName() ?? '')) return 'sequelize';
  }
  for (const p of phases) {
    const byUse = usage(p, nodes);
    if (byUse) return byUse;
    if (p.param && PARAM_FRAMEWORKS[p.param]) return PARAM_FRAMEWORKS[p.param]!;
  }
  if (phases.some(inClass)) return 'typeorm';
  if (imports.some((i) => /^(pg|pg-pool)(\/|$)/.test(i))) return 'pg';
  return 'unknown';
}

/** The framework the first parameter's use points to (`pgm.createIndex`, `ctx.ddl`, `db.schema...execute()`). */
function usage(p: PhaseFunction, nodes: NodeIndex): Framework | null {
  if (!p.param) return null;
  const uses = new Set<string>();
  for (const n of nodes.withinOfKind(p.fn, SyntaxKind.PropertyAccessExpression)) {
    if (n.getExpression().getText() === p.param) uses.add(n.getName());
  }
  if (['ddl', 'dml', 'index', 'backfill'].some((u) => uses.has(u))) return 'migrun';
  if (uses.has('sql') && /^(ctx|context)$/.test(p.param)) return 'migrun';
  if (['addIndex', 'removeIndex', 'removeColumn', 'changeColumn', 'removeConstraint', 'bulkInsert', 'sequelize'].some((u) => uses.has(u))) return 'sequelize';
  if (['noTransaction', 'createIndex', 'addColumns', 'addConstraint', 'func', 'sql'].some((u) => uses.has(u)) && !uses.has('query')) return 'node-pg-migrate';
  if (uses.has('schema') || uses.has('raw') || uses.has('fn')) {
    const chained = p.fn.getText();
    if (/\.schema\s*\.\s*\w+\([^)]*\)[\s\S]*\.execute\(\)/.test(chained) || /sql`[\s\S]*`\s*\.execute\(/.test(chained)) return 'kysely';
    return 'knex';
  }
  if (uses.has('query') && inClass(p)) return 'typeorm';
  return null;
}

function inClass(p: PhaseFunction): boolean {
  const parent = p.fn.getParent();
  return !!parent && (Node.isClassDeclaration(parent) || Node.isClassExpression(parent));
}
