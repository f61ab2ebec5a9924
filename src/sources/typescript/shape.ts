/**
 * The shape of a migration module: its `up`/`down` functions, what it imports,
 * and which framework it is written for.
 */
import type { ClassDeclaration, ExportDeclaration, FunctionDeclaration, ImportDeclaration, ObjectBindingPattern, SourceFile, ts as Ts } from 'ts-morph';
import { Node, SyntaxKind, ts } from './morph.js';
import type { Framework, Phase } from '../../core/unit.js';
import { unwrap } from './literals.js';
import { oneFileHost } from './one-file-host.js';
import { wrapperOf, type NodeIndex } from './nodes.js';
import type { FrameworkDetection, FrameworkSupport, FunctionLike, PhaseFunction } from './types.js';
import { FileMemo } from '../../core/file-memo.js';

const PHASES = new Set(['up', 'down']);

function isFunctionLike(n: Node | undefined): n is FunctionLike {
  return !!n && (Node.isFunctionDeclaration(n) || Node.isFunctionExpression(n) || Node.isArrowFunction(n) || Node.isMethodDeclaration(n));
}

function phaseFunction(phase: string, fn: FunctionLike): PhaseFunction {
  // The first parameter read on the compiler's nodes; a wrapper only for a destructured one.
  const file = fn.getSourceFile().compilerNode;
  const params = fn.compilerNode.parameters;
  const first = params[0];
  let param: string | null = null;
  if (first) {
    if (ts.isIdentifier(first.name)) param = first.name.getText(file);
    else if (ts.isObjectBindingPattern(first.name)) {
      // umzug: `async ({ context: queryInterface })`
      const name = wrapperOf(fn, first.name) as ObjectBindingPattern;
      const el = name.getElements().find((e) => (e.getPropertyNameNode()?.getText() ?? e.getName()) === 'context') ?? name.getElements()[0];
      param = el ? el.getName() : null;
    }
  }
  return { phase: phase as 'up' | 'down', fn, param, paramType: first?.type?.getText(file) ?? null, paramCount: params.length };
}

/**
 * The migration's `up` and `down` functions, in every shape the frameworks accept; in a file with
 * neither, a default-exported function is its `up` (postgres-shift's `export default async
 * function (sql) { ... }`, which it calls with the run's transaction).
 */
export function findPhases(nodes: NodeIndex): PhaseFunction[] {
  const out: PhaseFunction[] = [];
  const seen = new Set<Node>();
  const add = (name: string, fn: Node | undefined) => {
    const f = fn ? unwrap(fn) : undefined;
    if (!PHASES.has(name) || !isFunctionLike(f) || seen.has(f)) return;
    seen.add(f);
    out.push(phaseFunction(name, f));
  };
  // Only a declaration named up/down, or an assignment to `<x>.up`/`<x>.down`, can add one: the others get no wrapper.
  const file = nodes.file;
  // A name whose source text is `up` or `down` is an identifier with that value (a string or computed name keeps its quotes or brackets), so the value is looked at first.
  const phaseName = (name: Ts.Node) => ts.isIdentifier(name) && PHASES.has(name.escapedText as string) && PHASES.has(name.getText(file));
  const named = (n: Ts.Node) => {
    if (ts.isBinaryExpression(n)) return n.operatorToken.kind === ts.SyntaxKind.EqualsToken && ts.isPropertyAccessExpression(n.left) && phaseName(n.left.name);
    const name = (n as Ts.Node & { name?: Ts.Node }).name;
    return name !== undefined && phaseName(name);
  };
  for (const n of nodes.ofKindsWhere([SyntaxKind.FunctionDeclaration, SyntaxKind.VariableDeclaration, SyntaxKind.MethodDeclaration, SyntaxKind.PropertyDeclaration, SyntaxKind.PropertyAssignment, SyntaxKind.BinaryExpression], named)) {
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
  if (out.length) return out;
  for (const n of nodes.ofKinds(SyntaxKind.FunctionDeclaration, SyntaxKind.ExportAssignment)) {
    const fn = Node.isFunctionDeclaration(n) && isDefaultExport(n) ? n : Node.isExportAssignment(n) && !n.isExportEquals() ? unwrap(n.getExpression()) : undefined;
    if (isFunctionLike(fn) && fn.getParameters().length > 0) {
      out.push(phaseFunction('up', fn));
      break;
    }
  }
  return out;
}

/** The type checker of each file that needed one (binding the file is about as costly as parsing it). */
const checkers = new FileMemo<Ts.SourceFile, Ts.TypeChecker>();

/**
 * The type checker of a file on its own, made on first use: a program of the one file, no lib, no
 * module resolution (the options the frontend parses with). Making it binds the file's tree (sets
 * the nodes' symbols), as asking ts-morph for a symbol would.
 */
function checkerOf(file: Ts.SourceFile): Ts.TypeChecker {
  let checker = checkers.get(file);
  if (!checker) {
    const options: Ts.CompilerOptions = { allowJs: true, noLib: true, noResolve: true, target: ts.ScriptTarget.ESNext };
    checkers.set(file, (checker = ts.createProgram([file.fileName], options, oneFileHost(file)).getTypeChecker()));
  }
  return checker;
}

/**
 * Whether a function declaration is the module's default export: `export default function`, or
 * the function a default export names (`export default up`, `export { up as default }`, a
 * JavaScript file's `exports.default = up`). ts-morph's `isDefaultExport` asks a type checker,
 * which a file parsed without a project lacks; this asks the same questions of the compiler's.
 */
function isDefaultExport(fn: FunctionDeclaration): boolean {
  if (fn.hasDefaultKeyword()) return true;
  const file = fn.getSourceFile().compilerNode;
  const checker = checkerOf(file);
  const node = fn.compilerNode;
  const own = (node as Ts.Node as { symbol?: Ts.Symbol }).symbol ?? checker.getSymbolAtLocation(node) ?? (node.name ? checker.getSymbolAtLocation(node.name) : undefined);
  if (!own) return false;
  const fileSymbol = (file as Ts.Node as { symbol?: Ts.Symbol }).symbol ?? checker.getSymbolAtLocation(file);
  const def = fileSymbol?.exports?.get('default' as Ts.__String);
  if (!def) return false;
  if (def === own) return true;
  return (def.flags & ts.SymbolFlags.Alias) !== 0 && checker.getAliasedSymbol(def) === own;
}

/**
 * The module an `import` / `export ... from` names, or null when it names none
 * (`export { a }`) or the code is cut off before the string (ts-morph's own
 * `getModuleSpecifierValue()` throws then).
 */
export function moduleSpecifier(d: ImportDeclaration | ExportDeclaration): string | null {
  return specifierOf(d.compilerNode);
}

function specifierOf(d: Ts.ImportDeclaration | Ts.ExportDeclaration): string | null {
  const spec = d.moduleSpecifier;
  return spec && ts.isStringLiteral(spec) ? spec.text : null;
}

/** Module specifiers of `import`, `export ... from`, `require()` and `import()`. */
export function importsOf(sf: SourceFile, nodes: NodeIndex): string[] {
  const out: string[] = [];
  // Read on the compiler's nodes: a wrapper for every call's callee and argument (or every top-level statement) cost more than the rest of this.
  const file = nodes.file;
  // The file's imports, then its exports (as ts-morph's getImportDeclarations and getExportDeclarations list them).
  for (const kind of [ts.SyntaxKind.ImportDeclaration, ts.SyntaxKind.ExportDeclaration]) {
    for (const d of file.statements) {
      if (d.kind !== kind) continue;
      const v = specifierOf(d as Ts.ImportDeclaration | Ts.ExportDeclaration);
      if (v !== null) out.push(v);
    }
  }
  for (const n of nodes.rawOfKind(SyntaxKind.CallExpression) as Ts.CallExpression[]) {
    const callee = n.expression;
    const arg = n.arguments[0];
    // Only an identifier's text can be `require` (the text of every other callee is not read).
    if ((callee.kind === ts.SyntaxKind.ImportKeyword || (callee.kind === ts.SyntaxKind.Identifier && callee.getText(file) === 'require')) && arg && ts.isStringLiteral(arg)) out.push(arg.text);
  }
  // `@param {import('knex').Knex} knex` in JSDoc names the framework of a JavaScript migration.
  for (const m of sf.getFullText().matchAll(/import\(\s*["']([^"']+)["']\s*\)/g)) out.push(m[1]!);
  return out;
}

const FUNCTION_KINDS = new Set<number>([ts.SyntaxKind.FunctionDeclaration, ts.SyntaxKind.FunctionExpression, ts.SyntaxKind.ArrowFunction, ts.SyntaxKind.MethodDeclaration]);

/** Which phase a node belongs to: the innermost `up`/`down` function around it (found on the compiler's parent links). */
export function phaseOf(node: Node | Ts.Node, phases: PhaseFunction[]): Phase {
  if (phases.length === 0) return 'other';
  for (let n: Ts.Node | undefined = node instanceof Node ? node.compilerNode : node; n; n = n.parent) {
    if (!FUNCTION_KINDS.has(n.kind)) continue;
    const p = phases.find((ph) => ph.fn.compilerNode === n);
    if (p) return p.phase;
  }
  return 'other';
}

/**
 * Detects the framework from the class and parameter shapes, the imports, and how the
 * parameter is used: each kind of evidence of `FrameworkDetection`, strongest first, over
 * every module of `frameworks` (in their order) before the next kind.
 */
export function detectFramework(phases: PhaseFunction[], imports: string[], nodes: NodeIndex, frameworks: readonly FrameworkSupport[]): Framework {
  const detecting = frameworks.filter((f) => f.detect);
  const first = (test: (d: FrameworkDetection) => boolean) => detecting.find((f) => test(f.detect!))?.framework ?? null;
  // The file's top-level classes (ts-morph's getClasses), without a wrapper for every other statement.
  const classes = nodes.file.statements.filter((st) => st.kind === ts.SyntaxKind.ClassDeclaration).map((st) => nodes.node(st) as ClassDeclaration);
  const implemented = classes.flatMap((c) => c.getImplements().map((i) => i.getText()));
  const byImplements = implemented.length ? first((d) => !!d.implements && implemented.some((i) => d.implements!.test(i))) : null;
  if (byImplements) return byImplements;
  for (const p of phases) {
    if (!p.paramType) continue;
    const byType = first((d) => !!d.paramType?.test(p.paramType!));
    if (byType) return byType;
  }
  const byImport = first((d) => !!d.imports && imports.some((i) => d.imports!.test(i)));
  if (byImport) return byImport;
  for (const p of phases) {
    const named = p.param ? first((d) => !!d.params?.includes(p.param!)) : null;
    if (named) return named;
    const second = p.paramCount === 2 ? (p.fn.getParameters()[1]?.getName() ?? '') : null;
    const bySecond = second !== null ? first((d) => !!d.secondParam?.test(second)) : null;
    if (bySecond) return bySecond;
  }
  const byUse = detecting.filter((f) => f.detect!.byUse).sort((a, b) => a.detect!.byUse!.order - b.detect!.byUse!.order);
  for (const p of phases) {
    const uses = p.param ? usesOf(p, nodes) : null;
    const used = uses ? byUse.find((f) => f.detect!.byUse!.test(uses, p)) : undefined;
    if (used) return used.framework;
    const weak = p.param ? first((d) => !!d.weakParams?.includes(p.param!)) : null;
    if (weak) return weak;
  }
  const byClass = phases.some(inClass) ? first((d) => !!d.classMethods) : null;
  if (byClass) return byClass;
  return first((d) => !!d.weakImports && imports.some((i) => d.weakImports!.test(i))) ?? 'unknown';
}

/** The property names the phase reads off its first parameter (`pgm.createIndex` gives `createIndex`). */
function usesOf(p: PhaseFunction, nodes: NodeIndex): Set<string> {
  const uses = new Set<string>();
  for (const n of nodes.withinOfKind(p.fn, SyntaxKind.PropertyAccessExpression)) {
    if (n.getExpression().getText() === p.param) uses.add(n.getName());
  }
  return uses;
}

/** Whether the phase function is a method of a class. */
export function inClass(p: PhaseFunction): boolean {
  const parent = p.fn.getParent();
  return !!parent && (Node.isClassDeclaration(parent) || Node.isClassExpression(parent));
}
