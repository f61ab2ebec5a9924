/**
 * Slonik (`import { createPool, sql } from 'slonik'`): a query is a `sql` token passed to a
 * query method of a pool or connection, `pool.query(sql.unsafe\`...\`)`, with the token made by
 * `` sql.unsafe`...` ``, `` sql.type(schema)`...` ``, `` sql.typeAlias('name')`...` ``,
 * `` sql.fragment`...` `` or, before slonik 33, `` sql`...` ``; the query methods are `query`,
 * `any`, `anyFirst`, `many`, `manyFirst`, `maybeOne`, `maybeOneFirst`, `one`, `oneFirst`,
 * `exists`, `stream`. A `${value}` in the template is a bind parameter (`$n`), never text:
 * `${sql.identifier(['s', 't'])}` and `${sql.literalValue('x')}` write a name and a literal, and
 * a nested token writes its SQL; those are read when their arguments are literals.
 *
 * Slonik adds no transaction of its own. A query on the pool checks out any free connection and
 * resets it with `DISCARD ALL` when it is released, so a `SET lock_timeout` sent through the pool
 * never reaches the next query; `pool.connect(async (connection) => ...)` holds one connection for
 * its callback (autocommit), `pool.transaction(async (tx) => ...)` / `connection.transaction(...)`
 * wrap the callback in `START TRANSACTION` ... `COMMIT` on one connection (recognised as a managed
 * callback by transactions.ts; a nested one is a savepoint). Slonik has no way to check a
 * connection out by hand, so every connection is a callback's parameter.
 *
 * @slonik/migrator (umzug) passes `{ context: { connection, sql } }`: one connection, held with
 * `pool.connect` for the whole run (no transaction) unless the migrator was created with
 * `singleTransaction: true` (then configure `assumeInTransaction: true`).
 */
import type { CallExpression, Node as TsNode, TaggedTemplateExpression } from 'ts-morph';
import type { Piece, SqlSource } from '../../sql/embedded.js';
import { templateBody } from './edits.js';
import { sqlSourceOf, stringValue, unwrap } from './literals.js';
import { Node, SyntaxKind } from './morph.js';
import type { RawQuery } from './queries.js';
import { moduleSpecifier } from './shape.js';
import { clientConfiguration } from './slonik-pool.js';
import { methodCall } from './sqlgen.js';
import type { Env, FrameworkSupport, PhaseFunction } from './types.js';
import { FileMemo } from '../../core/file-memo.js';

/** The query methods of a slonik pool, connection and transaction connection; the first argument is the query token. */
const QUERY_METHODS = new Set(['query', 'any', 'anyFirst', 'many', 'manyFirst', 'maybeOne', 'maybeOneFirst', 'one', 'oneFirst', 'exists', 'stream']);
/** Members of the `sql` tag that make a query token from a template: `sql.unsafe\`...\``, `sql.typeAlias('x')\`...\``. */
const TOKEN_MAKERS = new Set(['unsafe', 'fragment', 'type', 'typeAlias']);

interface SlonikNames {
  /** Names bound to slonik's `sql` tag: `sql`, an import alias, a `createSqlTag(...)` result, the migrator context's `sql`. */
  tags: Set<string>;
  /** Names of single connections: `connect(cb)` callback parameters and the migrator context's `connection`, by phase function. */
  connections: Set<string>;
  /** The migrator context's `connection` name per phase function. */
  contextConnection: Map<TsNode, string>;
  /** Names bound to `createPool(...)` results and the migrator context's `parent`. */
  pools: Set<string>;
  /** Parameters of `transaction(cb)` callbacks (their queries are keyed by the transaction, transactions.ts). */
  transactions: Set<string>;
  /** Whether the file writes its tokens with `sql.unsafe` / `sql.type...` (slonik 33 and later) rather than a bare `sql` tag. */
  members: boolean;
}

/** `{ context: { connection, sql, parent } }` of a phase function: the names it binds. */
function contextNames(p: PhaseFunction): Map<string, string> {
  const out = new Map<string, string>();
  const first = p.fn.getParameters()[0]?.getNameNode();
  if (!first || !Node.isObjectBindingPattern(first)) return out;
  const context = first.getElements().find((e) => (e.getPropertyNameNode()?.getText() ?? e.getName()) === 'context');
  const inner = context?.getNameNode();
  if (!inner || !Node.isObjectBindingPattern(inner)) return out;
  for (const e of inner.getElements()) {
    const name = e.getNameNode();
    if (Node.isIdentifier(name)) out.set(e.getPropertyNameNode()?.getText() ?? name.getText(), name.getText());
  }
  return out;
}

/** `sql`, and the names a file's imports give slonik's `sql` tag (`import { sql as q } from 'slonik'`). */
function importedTags(sf: import('ts-morph').SourceFile): Set<string> {
  const tags = new Set(['sql']);
  for (const d of sf.getImportDeclarations()) {
    if (!/^(slonik|@silverhand\/slonik)$/.test(moduleSpecifier(d) ?? '')) continue;
    for (const s of d.getNamedImports()) if (s.getName() === 'sql') tags.add(s.getAliasNode()?.getText() ?? 'sql');
  }
  return tags;
}

function findNames(env: Env): SlonikNames {
  const names: SlonikNames = { tags: importedTags(env.sf), connections: new Set(), contextConnection: new Map(), pools: new Set(), transactions: new Set(), members: false };
  for (const d of env.nodes.ofKind(SyntaxKind.VariableDeclaration)) {
    const declared = d.getInitializer();
    let init: TsNode | undefined = declared ? unwrap(declared) : undefined;
    if (init && Node.isAwaitExpression(init)) init = unwrap(init.getExpression());
    if (!init || !Node.isCallExpression(init)) continue;
    const callee = init.getExpression().getText();
    if (callee === 'createSqlTag') names.tags.add(d.getName());
    if (callee === 'createPool') names.pools.add(d.getName());
  }
  for (const p of env.phases) {
    const ctx = contextNames(p);
    const connection = ctx.get('connection');
    if (ctx.has('sql')) names.tags.add(ctx.get('sql')!);
    if (ctx.has('parent')) names.pools.add(ctx.get('parent')!);
    if (connection) {
      names.connections.add(connection);
      names.contextConnection.set(p.fn, connection);
    }
  }
  for (const c of env.nodes.ofKind(SyntaxKind.CallExpression)) {
    const method = methodCall(c)?.method;
    if (method !== 'connect' && method !== 'transaction') continue;
    for (const a of c.getArguments()) {
      if (!Node.isArrowFunction(a) && !Node.isFunctionExpression(a)) continue;
      const first = a.getParameters()[0]?.getNameNode();
      if (first && Node.isIdentifier(first)) (method === 'connect' ? names.connections : names.transactions).add(first.getText());
    }
  }
  names.members = env.nodes.ofKind(SyntaxKind.TaggedTemplateExpression).some((t) => !Node.isIdentifier(t.getTag()) && isSlonikTag(t.getTag(), names.tags));
  return names;
}

const cache = new FileMemo<Env, SlonikNames>();
const namesOf = (env: Env) => {
  let n = cache.get(env);
  if (!n) cache.set(env, (n = findNames(env)));
  return n;
};

/** Whether a template's tag makes a slonik query token: `sql`, `sql.unsafe`, `sql.type(...)`, `sql.typeAlias(...)`, `sql.fragment`. */
function isSlonikTag(tag: TsNode, tags: ReadonlySet<string>): boolean {
  if (Node.isIdentifier(tag)) return tags.has(tag.getText());
  const member = Node.isCallExpression(tag) ? tag.getExpression() : tag;
  if (!Node.isPropertyAccessExpression(member) || !TOKEN_MAKERS.has(member.getName())) return false;
  const root = member.getExpression();
  if (!Node.isIdentifier(root) || !tags.has(root.getText())) return false;
  // `sql.unsafe` and `sql.fragment` are tags themselves; `sql.type(schema)` and `sql.typeAlias(name)` return one.
  return Node.isCallExpression(tag) === /^(type|typeAlias)$/.test(member.getName());
}

/** The SQL a `${}` of a slonik template writes as text (`sql.identifier`, `sql.literalValue`, a nested token), or null for a bind parameter. */
function substitutionText(expr: TsNode, env: Env, depth: number): string | null {
  const e = unwrap(expr);
  if (Node.isTaggedTemplateExpression(e)) {
    const nested = depth < 4 && isSlonikTag(e.getTag(), namesOf(env).tags) ? tokenSource(e, env, depth + 1) : null;
    return nested && !nested.interpolated ? nested.pieces.map((p) => (p.kind === 'placeholder' ? '' : p.text)).join('') : null;
  }
  if (!Node.isCallExpression(e)) return null;
  const mc = methodCall(e);
  if (!mc || !Node.isIdentifier(mc.receiver) || !namesOf(env).tags.has(mc.receiverText)) return null;
  const arg = e.getArguments()[0];
  if (mc.method === 'identifier' && arg && Node.isArrayLiteralExpression(unwrap(arg))) {
    const parts = (unwrap(arg) as import('ts-morph').ArrayLiteralExpression).getElements().map((x) => stringValue(x, env.consts));
    return parts.length && parts.every((x) => x !== null) ? parts.map((x) => `"${x!.replace(/"/g, '""')}"`).join('.') : null;
  }
  if (mc.method === 'literalValue') {
    const v = stringValue(arg, env.consts);
    return v === null ? null : `'${v.replace(/'/g, "''")}'`;
  }
  return null;
}

/**
 * The SQL of a slonik token's template: each `${}` a placeholder (slonik binds it as `$n`)
 * unless it is a name, literal or nested token written as text (`substitutionText`).
 */
function tokenSource(node: TaggedTemplateExpression, env: Env, depth = 0): SqlSource | null {
  const template = node.getTemplate();
  const src = sqlSourceOf(template, env.consts);
  if (!src || !Node.isTemplateExpression(template)) return src;
  // Where each `${` starts and its `}` ends, as sqlSourceOf records them (literals.ts), with its expression.
  const spans = new Map<number, { to: number; expr: TsNode }>();
  let previousEnd = template.getHead().getEnd();
  for (const span of template.getTemplateSpans()) {
    const lit = span.getLiteral();
    spans.set(previousEnd - 2, { to: lit.getStart() + 1, expr: span.getExpression() });
    previousEnd = lit.getEnd();
  }
  let interpolated = false;
  const pieces: Piece[] = src.pieces.map((p) => {
    if (p.kind === 'raw') return p;
    const span = spans.get(p.from);
    if (!span || span.to !== p.to) return p;
    const text = substitutionText(span.expr, env, depth);
    if (text !== null) return { kind: 'escape', text, from: p.from, to: p.to };
    interpolated = true;
    // A same-file const is bound as a value too: slonik never writes a `${}` into the text.
    return { kind: 'placeholder', from: p.from, to: p.to, expr: span.expr.getText() };
  });
  return { ...src, pieces, interpolated };
}

/** The query token a query method's first argument holds (a slonik template, or a same-file const holding one), or null. */
function tokenOf(arg: TsNode | undefined, env: Env, depth = 0): TaggedTemplateExpression | null {
  if (!arg) return null;
  const a = unwrap(arg);
  if (Node.isTaggedTemplateExpression(a)) return isSlonikTag(a.getTag(), namesOf(env).tags) ? a : null;
  if (Node.isIdentifier(a) && depth < 4) {
    const init = env.consts.resolve(a);
    return init ? tokenOf(init, env, depth + 1) : null;
  }
  return null;
}

function rawQuery(node: CallExpression | TaggedTemplateExpression, env: Env): RawQuery | null {
  if (env.framework !== 'slonik' || !Node.isCallExpression(node)) return null;
  const mc = methodCall(node);
  if (!mc || !QUERY_METHODS.has(mc.method)) return null;
  const token = tokenOf(node.getArguments()[0], env);
  const sql = token ? tokenSource(token, env) : null;
  // No receiver: a SET a fix adds must be a slonik token too, which the generic anchor does not write.
  return sql ? { sql, executor: 'raw', receiver: null, method: mc.method } : null;
}

/** The identifier a receiver chain starts from (`pool` in `pool.query`), or null. */
function rootName(n: TsNode): string | null {
  let cur = unwrap(n);
  while (Node.isPropertyAccessExpression(cur)) cur = unwrap(cur.getExpression());
  return Node.isIdentifier(cur) ? cur.getText() : null;
}

/** Whether the phase runs a slonik query: a query method given a `sql.unsafe` / `sql.type` / `sql.typeAlias` token, or the migrator's context. */
function usesSlonik(p: PhaseFunction): boolean {
  const ctx = contextNames(p);
  if (ctx.has('connection') && ctx.has('sql')) return true;
  const tags = importedTags(p.fn.getSourceFile());
  return p.fn.getDescendantsOfKind(SyntaxKind.CallExpression).some((c) => {
    const mc = methodCall(c);
    const arg = c.getArguments()[0] ? unwrap(c.getArguments()[0]!) : undefined;
    // A bare `sql\`...\`` argument is also @databases/pg's and sql-template-strings' form: only slonik's own tag members count.
    return !!mc && QUERY_METHODS.has(mc.method) && !!arg && Node.isTaggedTemplateExpression(arg) && !Node.isIdentifier(arg.getTag()) && isSlonikTag(arg.getTag(), tags);
  });
}

/**
 * The name of the one connection a phase's queries run on, or null: the migrator context's
 * `connection`, or (when the runner wraps the phase in its transaction, which slonik's
 * `transaction(cb)` does on one connection) the phase's parameter, whatever its name
 * (`up: async (pool) => ...` run by `pool.transaction((connection) => up(connection))`).
 */
function phaseConnection(p: PhaseFunction, wrapped: boolean, env: Env): string | null {
  return namesOf(env).contextConnection.get(p.fn) ?? (wrapped ? p.param : null);
}

export const slonik: FrameworkSupport = {
  framework: 'slonik',
  name: 'Slonik',
  // Overridden per statement by `pin`: a callback's connection, else the pool.
  connections: 'pool',
  detect: {
    imports: /^(slonik|@slonik\/[\w.-]+|@silverhand\/slonik)(\/|$)/,
    byUse: { order: 40, test: (_uses, phase) => usesSlonik(phase) },
  },
  rawQuery,
  rawQueryOnlyInOwnUnits: true,
  templatesAreFragments: true,
  runsSql(call, receiver, method, env) {
    if (env.framework !== 'slonik' || !QUERY_METHODS.has(method) || !call) return false;
    const root = rootName(receiver);
    const names = namesOf(env);
    return root !== null && (names.pools.has(root) || names.connections.has(root) || names.transactions.has(root) || env.phases.some((p) => p.param === root));
  },
  pin(root, phase, wrapped, env) {
    if (env.framework !== 'slonik' || root === null) return null;
    const p = env.phases.find((x) => x.phase === phase);
    if (p && phaseConnection(p, wrapped, env) === root) return 'phase';
    return namesOf(env).connections.has(root) ? 'anchor' : null;
  },
  // The pools the file creates (slonik-pool.ts).
  clientConfiguration,
  wrapped(env) {
    const migrator = env.imports.some((i) => /^@slonik\/migrator(\/|$)/.test(i)) || env.phases.some((p) => contextNames(p).has('connection'));
    if (migrator) {
      return {
        inTransaction: false,
        reason: '@slonik/migrator runs the pending migrations on one connection outside a transaction (unless it is created with `singleTransaction: true`: set `assumeInTransaction: true` then); slonik adds none',
      };
    }
    return { inTransaction: false, reason: 'slonik runs each query in autocommit, on any connection of its pool unless the code uses pool.connect(...) or transaction(...)' };
  },
  rawStatement(env, phase) {
    // Used only for statements pinned to the phase (`pin`), so the parameter is that connection then.
    const connection = phaseConnection(phase, true, env);
    if (!connection) return null;
    const names = namesOf(env);
    const tag = contextNames(phase).get('sql') ?? [...names.tags][names.tags.size - 1]!;
    // The file's own form: `sql.unsafe\`...\`` from slonik 33 on, a bare `sql\`...\`` before.
    return { awaits: true, code: (sql) => `await ${connection}.query(${tag}${names.members ? '.unsafe' : ''}\`${templateBody(sql)}\`)` };
  },
};
