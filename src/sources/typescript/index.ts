/**
 * The TypeScript/JavaScript frontend (`.ts .mts .cts .js .mjs .cjs`): one
 * migration unit per module, through ts-morph.
 *
 * It finds the migration's `up`/`down` functions and its framework (TypeORM,
 * knex, node-pg-migrate, Sequelize/umzug, Kysely, raw `pg`, migrun), collects
 * the SQL of raw query calls (with an offset map back to the literals) and the
 * statements builder calls stand for, works out whether the framework wraps
 * the migration in a transaction (and which statements run in a transaction
 * the code opens itself), and records the code facts the source rules need:
 * hand-opened sessions and whether every path closes them, and catch handlers
 * that swallow DDL errors. Fix edits are computed while the syntax tree is
 * alive and handed out later as plain data. A file nested past the frontend's
 * limits (see `depth.ts`) yields a unit that says so where the limit is
 * reached; any other failure is thrown, for the engine to report as an
 * internal error (nothing is swallowed).
 */
import type { SourceFile, ts as Ts } from 'ts-morph';
import type { LintSettings } from '../../core/rule.js';
import { SourceText } from '../../core/source-text.js';
import type { FrontendEdits, MigrationUnit, Phase, Statement, SyntaxErrorFact } from '../../core/unit.js';
import { findSwallowedCatches } from './catches.js';
import { Collector } from './collect.js';
import { scriptComments } from './comments.js';
import { bracketNesting, limitMessage, mayNestPast, NESTING_LIMIT, type LimitHit } from './depth.js';
import { ConstTable } from './literals.js';
import { NodeIndex } from './nodes.js';
import { FRAMEWORKS, frameworkSupport } from './frameworks.js';
import { Node, SyntaxKind } from './morph.js';
import { Placeholders } from './placeholders.js';
import { loopSources } from './loops.js';
import { isJsx, openSourceFile, ParserStackError, type OpenSourceFile } from './project.js';
import { plainQueriesReadable, plainRawQuery, rawQueryOf, type RawQuery } from './queries.js';
import { bindingKey } from './scopes.js';
import { findOpenings, findSessions, type Opening } from './sessions.js';
import { detectFramework, findPhases, importsOf, phaseOf } from './shape.js';
import { CodeTransactions } from './transactions.js';
import { unknownSqlOf } from './unknown-sql.js';
import type { Env } from './types.js';
import { anchorOf, frontendEdits, type Anchor, type Pin } from './unit-edits.js';
import { FileMemo } from '../../core/file-memo.js';

/**
 * The TypeScript parser's own errors in the file (the first, at most: the rest
 * usually follow from it). Read from the parse the analysis already made.
 */
function scriptSyntaxErrors(sf: SourceFile): SyntaxErrorFact[] {
  const diagnostics = (sf.compilerNode as { parseDiagnostics?: readonly { start?: number; code: number; messageText: string | { messageText: string } }[] }).parseDiagnostics ?? [];
  const first = diagnostics[0];
  if (!first) return [];
  const text = typeof first.messageText === 'string' ? first.messageText : first.messageText.messageText;
  return [{ message: `${text.replace(/\.$/, '')} (TS${first.code})`, offset: first.start ?? 0, language: 'script' }];
}

function languageOf(file: string): 'ts' | 'js' {
  return /\.[cm]?tsx?$/i.test(file) ? 'ts' : 'js';
}

/**
 * Builds the unit of a TypeScript or JavaScript migration. The SQL parser must be initialised.
 * @throws whatever an analysis step throws (a bug): the caller reports it as an internal error.
 */
/** The edits of a unit with no syntax tree kept (a file past a limit, one that did not parse as a whole). */
const NO_EDITS: FrontendEdits = Object.freeze({});

export function typescriptUnit(file: string, text: string, settings: LintSettings): MigrationUnit {
  const unit: MigrationUnit = {
    file,
    source: new SourceText(text),
    language: languageOf(file),
    framework: 'unknown',
    statements: [],
    wrapped: { inTransaction: false, reason: 'no migration framework recognised' },
    sessions: [],
    swallowedCatches: [],
    phaseRegions: [],
    unanalysed: [],
    comments: [],
    syntaxErrors: [],
    edits: NO_EDITS,
  };
  // Nesting past the limits would overflow the parser's or the walks' call stack: say where it is reached instead.
  // The scan's comments are needed only when the file is not parsed (then scanned again for them); a text with few brackets cannot reach the limit.
  const nesting = mayNestPast(text) ? bracketNesting(text, isJsx(file), NESTING_LIMIT, false) : null;
  const scanned = () => bracketNesting(text, isJsx(file));
  const limitReached = (hit: LimitHit) => {
    // The whole file goes unanalysed, so the finding is at its start (a file-level fact covers what follows its place); the limit's place is related.
    const at = { start: hit.offset, end: Math.min(text.length, hit.offset + 1) };
    unit.unanalysed.push({ scope: 'file', ...limitMessage(hit), span: { start: 0, end: Math.min(text.length, 1) }, related: [{ span: at, message: `The ${hit.what === 'brackets' ? 'bracket' : 'syntax node'} past the limit.` }] });
    unit.comments = scanned().comments;
  };
  if (nesting?.hit) {
    limitReached(nesting.hit);
    return unit;
  }
  try {
    // The tree stays until the engine releases the unit: the fixes of the findings that fire compute their edits from it.
    const open = openSourceFile(file, text);
    try {
      // The syntax depth limit is checked on the walk that indexes the nodes, before any other walk.
      const nodes = new NodeIndex(open.sf);
      if (nodes.deep) limitReached(nodes.deep);
      else analyse(unit, open, nodes, settings);
    } catch (e) {
      open.release();
      throw e;
    }
    if (unit.edits === NO_EDITS) open.release();
    else unit.release = open.release;
  } catch (e) {
    if (!(e instanceof ParserStackError)) throw e;
    unit.unanalysed.push({
      scope: 'file',
      message: 'Not analysed: the TypeScript parser ran out of call stack on this file (some construct is nested thousands of levels deep, e.g. chained `=>` or `? :`), so miglint did not analyse it.',
      help: 'Flatten the deeply nested expression.',
      span: { start: 0, end: Math.min(text.length, 1) },
    });
    unit.comments = scanned().comments;
  }
  return unit;
}

/** Fills in the unit from the parsed file. */
function analyse(unit: MigrationUnit, open: OpenSourceFile, nodes: NodeIndex, settings: LintSettings): void {
  const sf = open.sf;
  const { file, source } = unit;
  const text = source.text;
  const phases = findPhases(nodes);
  const imports = importsOf(sf, nodes);
  const env: Env = { file, text, source: unit.source, sf, language: unit.language as 'ts' | 'js', framework: 'unknown', phases, consts: new ConstTable(nodes), imports, nodes, placeholders: new Placeholders(text), frameworks: FRAMEWORKS, runner: settings.runnerMetadata?.codeRunner ?? null };
  unit.comments = scriptComments(sf, nodes);
  unit.phaseRegions = phases.map((p) => ({ phase: p.phase, span: { start: p.fn.getStart(), end: p.fn.getEnd() } }));
  env.framework = detectFramework(phases, imports, nodes, FRAMEWORKS);
  const support = frameworkSupport(env.framework);
  const idioms = support.idiomsOf?.(env) ?? support.idioms;
  if (idioms) unit.idioms = idioms;

  const collector = new Collector(env.placeholders);
  const anchors = new Map<Statement, () => Anchor | null>();
  /** For each statement: the name its call runs through, and the call (what the name is bound to there, `client@120`, is asked only of a session's statements). */
  const connections = new Map<Statement, { root: string | null; at: Ts.Node | null }>();
  /** For each statement in a transaction the code opens: that transaction's identity. */
  const txKeys = new Map<Statement, string>();
  let sawQuery = false;
  const transactions = new CodeTransactions(env);
  /** The call each call's first statement comes from (not a loop's: a statement inserted before the call would run on every pass). */
  const calls = new Map<Statement, Ts.Node>();
  const tagged = new Map<Statement, string>();
  /** Records a call's statements: `c` the call, `node` its wrapper (made only where a question needs it). */
  const mark = (c: Ts.Node, node: () => Node, added: Statement[], looped = false) => {
    if (!looped && added[0]) calls.set(added[0], c);
    const tx = transactions.idle ? undefined : transactions.of(node());
    const root = connectionOf(c, node, env);
    const binding = { root, at: root === null ? null : c };
    for (const s of added) {
      connections.set(s, binding);
      if (!tx) continue;
      s.codeTransaction = tx.label;
      s.codeTransactionId = tx.key;
      txKeys.set(s, tx.key);
    }
  };
  // Every builder, query and SQL-running call the framework modules and queries.ts recognise is a
  // method call (`receiver.method(...)`, the callee a property access) or a tagged template: other
  // calls (`foo(...)`, `x[k](...)`) get no wrapper.
  const candidate = (c: Ts.Node) => c.kind === SyntaxKind.TaggedTemplateExpression || (c as Ts.CallExpression).expression.kind === SyntaxKind.PropertyAccessExpression;
  /** Adds the statements of a raw query call `c` (`node` its wrapper, made only where a question needs it). */
  const addQuery = (c: Ts.Node, node: () => Node, q: RawQuery) => {
    sawQuery = true;
    const added = collector.addSql(q.sql, { start: c.getStart(nodes.file), end: c.end }, q.executor, phaseOf(c, phases));
    if (q.oneStatementOnly && added.length > 1) collector.syntaxErrors.push({ message: q.oneStatementOnly, offset: added[1]!.span.start });
    mark(c, node, added);
    // Where a statement would go before this call's, worked out if a fix asks (once for the call's statements).
    if (q.executor === 'raw' && q.receiver) {
      // The closure keeps the call and two names, not the query's SQL pieces.
      let anchor: Anchor | null | undefined;
      const { receiver, method } = q;
      const anchorAt = () => (anchor === undefined ? (anchor = anchorOf(node(), receiver, method)) : anchor);
      for (const s of added) anchors.set(s, anchorAt);
    }
    // A tag that is a name (postgres.js's sql`...`): a new statement can be another template of the same tag.
    const tag = q.executor === 'raw' && c.kind === SyntaxKind.TaggedTemplateExpression ? identifierTag(node()) : null;
    if (tag) for (const s of added) tagged.set(s, tag);
  };
  const plainReadable = plainQueriesReadable(env);
  for (const c of nodes.rawOfKindsWhere([SyntaxKind.CallExpression, SyntaxKind.TaggedTemplateExpression], candidate)) {
    let wrapper: Node | undefined;
    const node = () => (wrapper ??= nodes.node(c));
    // A plain `receiver.query('...')` (most calls of a TypeORM file) is read with no wrapper for the call and its parents.
    const plain = plainReadable && c.kind === SyntaxKind.CallExpression ? plainRawQuery(c as Ts.CallExpression, env, support) : null;
    if (plain) {
      addQuery(c, node, plain);
      continue;
    }
    const n = node();
    if (!Node.isCallExpression(n) && !Node.isTaggedTemplateExpression(n)) continue;
    if (support.builder && Node.isCallExpression(n)) {
      const built = support.builder(n, env);
      if (built) {
        const added = collector.addBuilt(built, phaseOf(n, phases));
        mark(c, node, added);
        continue;
      }
    }
    const q = rawQueryOf(n, env);
    if (q) {
      addQuery(c, node, q);
      continue;
    }
    const unknown = unknownSqlOf(n, env);
    // `for (const s of upStatements) await sql.unsafe(s)`: each element of a same-file const array is a query of its own (loops.ts).
    const looped = unknown && !unknown.file && Node.isCallExpression(n) && env.framework !== 'migrun' && !support.templatesAreFragments ? loopSources(n, env) : null;
    if (looped) {
      sawQuery = true;
      for (const src of looped) mark(c, node, collector.addSql(src, { start: n.getStart(), end: n.getEnd() }, 'raw', phaseOf(n, phases)), true);
      continue;
    }
    if (unknown) {
      sawQuery = true;
      collector.unanalysed.push({
        scope: 'statement',
        ...(unknown.file
          ? {
              message: `Not analysed: \`${unknown.call}\` runs the SQL file ${unknown.source}, which miglint does not read from here (nor in which transaction and with which settings this call runs it), so its statements were not checked with this migration.`,
              help: 'Lint the .sql file too (it is read as a file of its own), or write its SQL in the migration so miglint sees it in context.',
            }
          : {
              message: `Not analysed: the SQL passed to \`${unknown.call}\` is ${unknown.source}, which miglint cannot reconstruct, so it was not checked.`,
              help: 'Write the SQL in the call (a string literal, a template with only names and values interpolated, or a same-file const) so miglint can check it; SQL read from a .sql file is checked by linting that file.',
            }),
        span: { start: n.getStart(), end: n.getEnd() },
        phase: phaseOf(n, phases),
      });
    }
  }
  const fallback = FRAMEWORKS.find((f) => f.detect?.rawQueries);
  if (env.framework === 'unknown' && sawQuery && fallback) env.framework = fallback.framework;
  unit.framework = env.framework;
  unit.statements = collector.statements;
  unit.syntaxErrors = [...scriptSyntaxErrors(sf), ...collector.syntaxErrors];
  unit.unanalysed = [...collector.unanalysed];

  const w = frameworkSupport(env.framework).wrapped(env);
  const client = frameworkSupport(env.framework).clientConfiguration?.(env);
  if (client?.settings.length) unit.clientSettings = client.settings;
  if (client?.unanalysed.length) unit.unanalysed.push(...client.unanalysed);
  unit.wrapped = settings.assumeInTransaction !== null ? { inTransaction: settings.assumeInTransaction, reason: 'configuration `assumeInTransaction`' } : w;

  unit.sessions = findSessions(env);
  unit.swallowedCatches = findSwallowedCatches(env, collector.statements, collector.callSpans);
  const pins = new Map<Statement, Pin>();
  const openings = findOpenings(env);
  for (const s of collector.statements) {
    const wrapped = unit.wrapped.byPhase?.[s.phase] ?? unit.wrapped.inTransaction;
    const binding = connections.get(s) ?? { root: null, at: null };
    const pin = pinOf(env, binding.root, s.phase, wrapped, openings);
    pins.set(s, pin);
    // Identity from the code, never a label: the binding's declaration, the transaction's callback or opening.
    const tx = txKeys.get(s);
    s.connection = pin === 'phase' ? `phase:${s.phase}` : pin === 'anchor' ? `session:${binding.root === null || !binding.at ? '' : bindingKey(binding.root, env.nodes.node(binding.at))}` : tx ? `transaction:${tx}` : null;
  }
  unit.edits = frontendEdits(env, frameworkSupport(env.framework), collector, { anchors, pins, calls, tagged }, open.alive);
}


/** The identifier the query or builder call `c` runs through (`queryRunner`, `client`, `trx`; `db` of `sql\`...\`.execute(db)`), or null; `node` gives its wrapper. */
function connectionOf(c: Ts.Node, node: () => Node, env: Env): string | null {
  // A call that is no tagged template and not the receiver of a method: its callee chain says (no wrapper needed).
  if (c.kind !== SyntaxKind.TaggedTemplateExpression && c.parent?.kind !== SyntaxKind.PropertyAccessExpression) return calleeRoot(c, env);
  const n = node();
  // postgres.js: the tag is the handle, `` sql`...` `` runs on `sql` (a pool, a `sql.begin` callback's transaction, a runner's).
  if (env.framework === 'postgres-js' && Node.isTaggedTemplateExpression(n) && Node.isIdentifier(n.getTag())) return n.getTag().getText();
  // kysely: sql`...`.execute(db) and sql.raw('...').execute(db) run on the handle passed to execute.
  const pa = n.getParent();
  const method = pa && Node.isPropertyAccessExpression(pa) ? pa.getName() : null;
  const call = method !== null && (Node.isTaggedTemplateExpression(n) || method === 'execute') ? pa!.getParent() : undefined;
  if (Node.isTaggedTemplateExpression(n) || (call && Node.isCallExpression(call))) {
    const arg = call && Node.isCallExpression(call) ? call.getArguments()[0] : undefined;
    return arg && Node.isIdentifier(arg) ? arg.getText() : null;
  }
  return calleeRoot(c, env);
}

/** The identifier (or `this`) at the root of a call's callee chain, down the compiler's nodes; null for any other root. */
function calleeRoot(c: Ts.Node, env: Env): string | null {
  let raw: Ts.Node = c;
  if (raw.kind === SyntaxKind.CallExpression) raw = (raw as Ts.CallExpression).expression;
  for (;;) {
    const k = raw.kind;
    if (k === SyntaxKind.PropertyAccessExpression || k === SyntaxKind.CallExpression || k === SyntaxKind.NonNullExpression || k === SyntaxKind.ParenthesizedExpression) raw = (raw as Ts.PropertyAccessExpression).expression;
    else if (k === SyntaxKind.ThisKeyword) return 'this';
    else return k === SyntaxKind.Identifier ? raw.getText(env.sf.compilerNode) : null;
  }
}

/** The text of a tagged template's tag when the tag is a name (`sql`), else null. */
function identifierTag(n: Node): string | null {
  return Node.isTaggedTemplateExpression(n) && Node.isIdentifier(n.getTag()) ? n.getTag().getText() : null;
}

/**
 * Whether a SET inserted for a statement runs on the same connection: at the top
 * of its phase (the framework passes one connection or transaction), just before
 * it through its own receiver (a checked-out client, a transaction object), or
 * nowhere (a pool hands each query to any connection: Sequelize's queryInterface,
 * knex without its transaction, pg's `pool.query`, kysely outside the Migrator's
 * transaction).
 */
const declared = new FileMemo<Node, Set<string>>();

/** Names of the parameters and variables declared inside a function (its nested callbacks included), computed once per function. */
function declaredIn(fn: Node): Set<string> {
  let names = declared.get(fn);
  if (!names) {
    names = new Set();
    for (const d of fn.getDescendants()) if (Node.isParameterDeclaration(d) || Node.isVariableDeclaration(d)) names.add(d.getName());
    declared.set(fn, names);
  }
  return names;
}

/** The frameworks whose migrations each code runner (`env.runner`) drives on its one connection. */
const RUNNER_DRIVERS: Record<NonNullable<Env['runner']>['name'], readonly Env['framework'][]> = { ley: ['pg', 'postgres-js'], 'postgres-shift': ['postgres-js'] };

function pinOf(env: Env, root: string | null, phase: Phase, wrapped: boolean, openings: readonly Opening[]): Pin {
  const param = env.phases.find((p) => p.phase === phase)?.param ?? null;
  const session = root !== null && openings.some((o) => o.name === root && o.kind !== 'sequelize-transaction');
  const poolish = (name: string | null) =>
    name !== null &&
    (/pool/i.test(name) ||
      env.nodes.ofKind(SyntaxKind.VariableDeclaration).some((d) => d.getName() === name && /^new\s+([\w$]+\.)?Pool\b/.test(d.getInitializer()?.getText() ?? '')));
  // A code runner that runs every pending migration in one transaction on one connection passes that
  // connection as the phase's parameter (ley: a node-postgres Client or a postgres.js transaction;
  // postgres-shift: a postgres.js transaction); otherwise the framework's own rule below.
  if (wrapped && env.runner && RUNNER_DRIVERS[env.runner.name].includes(env.framework) && param !== null && root === param) return 'phase';
  const support = frameworkSupport(env.framework);
  const own = support.pin?.(root, phase, wrapped, env);
  if (own !== undefined) return own;
  switch (support.connections) {
    case 'single':
      return 'phase';
    case 'pool':
      return null;
    case 'wrapped-handle': {
      // The migration's own handle runs in the Migrator's transaction, and so do handles made inside the
      // phase from it (`knex.transaction(async (trx) => ...)` nests a savepoint on the same connection);
      // another instance declared outside the phase (an application's pool) does not.
      const fn = env.phases.find((p) => p.phase === phase)?.fn;
      // `this` is the migration object of a class migration (MikroORM's `this.addSql`), run on that transaction too.
      if (wrapped && phase !== 'other' && (root === null || root === param || root === 'this' || (!session && !!fn && declaredIn(fn).has(root)))) return 'phase';
      return session ? 'anchor' : null;
    }
    case 'phase-param':
      if (phase !== 'other' && (root === null || root === param)) return 'phase';
      return session ? 'anchor' : null;
    default:
      if (session) return 'anchor';
      return poolish(root) ? null : 'anchor';
  }
}

