/**
 * Which of an app's migrations make the state before a migration, read from disk
 * (django/db/migrations/loader.py, graph.py): the sibling files of `<app>/migrations/`.
 *
 * - Order: a migration's state is that of its ancestors, through the `dependencies` on
 *   migrations of the same app (other apps' migrations never change this app's fields),
 *   replayed depth first, each migration after its dependencies.
 * - Squashes: a migration with `replaces = [...]` stands for the migrations it replaces; when
 *   both are reached, the replaced ones are left out (their dependants depend on the squash),
 *   unless the migration being linted is one of them (its state is the unsquashed history).
 *   A dependency on a replaced migration whose file is gone is one on its squash.
 * - Unknown: a dependency whose file is missing, a cycle, a file that does not parse or whose
 *   operations are not a list make the whole state unknown, with the reason.
 * - Other apps: the models a relation points at are those of the other app's migrations this
 *   one depends on (`<apps>/<app>/migrations/`, the newest one depended on).
 *
 * Each sibling file is parsed once while its size and modification time stay the same (a
 * cache per path, shared by the units of a run, its size and mtime checked again after a
 * second, so the language server sees a saved sibling); the linted file's own tree seeds the
 * cache when its text is the file on disk. The state after each migration is memoised along
 * the chain of single dependencies. The linted file's own operations come from its text, their state
 * changes as its frontend read them (`OwnMigration.ops`), not read a second time.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { Placeholders } from '../typescript/placeholders.js';
import { AppState, classAttrs, listItems, migrationRefs, stateOps, type StateOp } from './django-state.js';
import { deleteTree, named, parsePython, type PyNode } from './parse.js';
import { Bindings } from './strings.js';
import { PyValues } from './values.js';

/** What a migration file says about itself and its operations' effect on the state. */
export interface MigrationSummary {
  name: string;
  /** Dependencies on migrations of `app`, by name. */
  deps: string[];
  /** `replaces` entries of `app`, by name. */
  replaces: string[];
  /** Dependencies on other apps' migrations (for the models relations point at). */
  otherDeps?: { app: string; name: string }[];
  ops: StateOp[];
  /** Why the file could not be read (it does not parse, has no Migration class or no operations list), or null. */
  problem: string | null;
}

/**
 * The linted migration as its frontend has it: its text and tree, and (when its `operations` is a
 * list literal) the state changes of its operations, read once by the caller.
 */
export interface OwnMigration {
  text: string;
  root: PyNode;
  ops?: StateOp[];
}

/** Reads a migration's text into its summary (parses it, then frees the tree). */
function summarize(name: string, app: string, source: string): MigrationSummary {
  const tree = parsePython(source);
  try {
    return summarizeTree(name, app, source, tree.rootNode);
  } finally {
    deleteTree(tree);
  }
}

/** `summarize` of a tree already parsed; `given`: its operations' state changes, already read (the linted file's). */
function summarizeTree(name: string, app: string, source: string, root: PyNode, given?: StateOp[]): MigrationSummary {
  const empty = (problem: string): MigrationSummary => ({ name, deps: [], replaces: [], ops: [], problem });
  if (root.hasError) return empty(`the migration \`${name}\` does not parse`);
  const cls = root.namedChildren.find((n) => n?.type === 'class_definition' && n.childForFieldName('name')?.text === 'Migration');
  if (!cls) return empty(`the migration \`${name}\` has no \`class Migration\``);
  // Names bound at the top of the module or of the class (`FIELDS = [...]`, `state_operations = [...]`): no walk of every node.
  const assignments = [...named(root), ...named(cls.childForFieldName('body') ?? cls)].flatMap((st) => (st.type === 'expression_statement' ? named(st).filter((x) => x.type === 'assignment') : []));
  const v = new PyValues(new Bindings(assignments), new Placeholders(source));
  const attrs = classAttrs(cls);
  const ops = attrs.get('operations');
  const deps = migrationRefs(attrs.get('dependencies'), v);
  const replaces = migrationRefs(attrs.get('replaces'), v);
  const own = (refs: { app: string; name: string }[]) => refs.flatMap((r) => (r.app === app ? [r.name] : []));
  const base = { name, deps: own(deps.refs), replaces: own(replaces.refs), otherDeps: deps.refs.filter((r) => r.app !== app) };
  // Unread dependencies would leave out the migrations before this one: its state is then not known.
  const refsProblem = deps.problem ? `the dependencies of the migration \`${name}\`: ${deps.problem}` : replaces.problem ? `the replaces of the migration \`${name}\`: ${replaces.problem}` : null;
  if (refsProblem) return { ...base, ops: [], problem: refsProblem };
  if (!ops) return { ...base, ops: [], problem: null };
  if (given) return { ...base, ops: given, problem: null };
  const items = listItems(ops, v);
  if (!items) return { ...base, ops: [], problem: `the operations of the migration \`${name}\` are not a list miglint can read` };
  return { ...base, ops: stateOps(items, v), problem: null };
}

/**
 * Lets the cache take the linted file's summary from the tree the linter parsed, when its text
 * is the file's content on disk (a later unit of the run then needs no second parse).
 */
function remember(file: string, app: string, own: OwnMigration): void {
  const hit = cache.get(file);
  if (hit && Date.now() - hit.checkedAt < RECHECK_MS) return;
  try {
    const st = statSync(file);
    if (hit && hit.size === st.size && hit.mtimeMs === st.mtimeMs) return;
    if (st.size !== Buffer.byteLength(own.text) || readFileSync(file, 'utf8') !== own.text) return;
    cache.set(file, { size: st.size, mtimeMs: st.mtimeMs, checkedAt: Date.now(), summary: summarizeTree(basename(file).replace(/\.py$/, ''), app, own.text, own.root, own.ops) });
  } catch {
    // Not on disk (an editor's unsaved buffer): nothing to remember.
  }
}

/** Summaries by file path, with the size and mtime they were read at. */
const cache = new Map<string, { size: number; mtimeMs: number; checkedAt: number; summary: MigrationSummary }>();
/** How long a file's size and mtime, once checked, are taken as they were (ms): a run stats each sibling about once a second, not once per unit. */
const RECHECK_MS = 1000;
/** Directory listings (migration names) by directory, with the directory's mtime. */
const listings = new Map<string, { mtimeMs: number; names: string[] }>();

/** The summary of `<dir>/<name>.py` (from the cache while the file is unchanged), or null when there is no such file. */
function summaryOf(dir: string, name: string, app: string): MigrationSummary | null {
  const path = join(dir, `${name}.py`);
  const hit = cache.get(path);
  const now = Date.now();
  if (hit && now - hit.checkedAt < RECHECK_MS) return hit.summary;
  let st;
  try {
    st = statSync(path);
  } catch {
    return null;
  }
  if (hit && hit.size === st.size && hit.mtimeMs === st.mtimeMs) {
    hit.checkedAt = now;
    return hit.summary;
  }
  let summary: MigrationSummary;
  try {
    summary = summarize(name, app, readFileSync(path, 'utf8'));
  } catch (e) {
    summary = { name, deps: [], replaces: [], ops: [], problem: `the migration \`${name}\` could not be read (${(e as Error).message})` };
  }
  cache.set(path, { size: st.size, mtimeMs: st.mtimeMs, checkedAt: now, summary });
  return summary;
}

function listing(dir: string): string[] {
  let mtimeMs: number;
  try {
    mtimeMs = statSync(dir).mtimeMs;
  } catch {
    return [];
  }
  const hit = listings.get(dir);
  if (hit && hit.mtimeMs === mtimeMs) return hit.names;
  const names = readdirSync(dir)
    .filter((f) => /^\w+\.py$/.test(f) && f !== '__init__.py')
    .map((f) => f.slice(0, -3))
    .sort();
  listings.set(dir, { mtimeMs, names });
  return names;
}

/**
 * The ancestors of a migration (its same-app dependencies, transitively), each after its own
 * dependencies, or why they cannot all be read.
 * @param dir the app's migrations directory; @param self the linted migration's name (never read from disk).
 */
function ancestors(dir: string, app: string, self: string, deps: string[]): { order: MigrationSummary[]; problem: string | null } {
  // Squashes to use in place of what they replace: found among the ancestors, or in the directory for a missing file.
  const squashOf = new Map<string, string>();
  const keep = (s: MigrationSummary) => !s.replaces.includes(self);
  for (let round = 0; round < 3; round++) {
    const order: MigrationSummary[] = [];
    const done = new Set<string>();
    const visiting = new Set<string>();
    let problem: string | null = null;
    let changed = false;
    const visit = (name: string): void => {
      if (problem) return;
      const target = squashOf.get(name) ?? name;
      if (done.has(target)) return;
      if (visiting.has(target)) {
        problem = `the migrations of \`${app}\` depend on each other in a cycle through \`${target}\``;
        return;
      }
      let s = summaryOf(dir, target, app);
      if (!s) {
        const squash = listing(dir)
          .filter((n) => n !== self)
          .map((n) => summaryOf(dir, n, app))
          .find((m) => m && m.replaces.includes(target) && keep(m));
        if (!squash) {
          problem = `the migration \`${target}\` it depends on is not in ${basename(dirname(dir))}/${basename(dir)}/`;
          return;
        }
        squashOf.set(target, squash.name);
        s = squash;
      }
      if (s.problem) {
        problem = s.problem;
        return;
      }
      visiting.add(s.name);
      for (const d of [...s.deps].sort()) visit(d);
      visiting.delete(s.name);
      done.add(s.name);
      order.push(s);
      if (s.replaces.length && keep(s)) for (const r of s.replaces) if (squashOf.get(r) !== s.name) (squashOf.set(r, s.name), (changed = true));
    };
    for (const d of [...deps].sort()) visit(d);
    if (problem) return { order: [], problem };
    // A squash reached after some of what it replaces: walk again with the replaced ones pointing at it.
    if (!changed || !order.some((s) => squashOf.has(s.name))) return { order, problem: null };
  }
  return { order: [], problem: `the squashed migrations of \`${app}\` replace each other in a way miglint cannot order` };
}

/** The state of `app` once its migration `name` in `dir` (and its ancestors) ran. */
function stateAfter(dir: string, app: string, name: string): AppState | null {
  return after(dir, app, name).state;
}

/** A state after a migration, with the summaries it was replayed from (valid while each is current). */
interface After {
  used: MigrationSummary[];
  state: AppState | null;
  problem: string | null;
  /**
   * The oldest time one of `used` was checked on disk, when they were last all found current.
   * A summary is replaced only once its check is `RECHECK_MS` old, so while that time is less
   * than `RECHECK_MS` ago each `summaryOf` of `used` would hand back its summary from the cache
   * without a stat: the walk over them (as long as the chain before the migration) is not made.
   */
  oldestCheck?: number;
}

/** States after a migration, by path (`After`). The state and its summaries never change once made. */
const afters = new Map<string, After>();

/** Whether every summary `a` was replayed from is still the file's (`summaryOf`, which re-stats those due a recheck). */
function stillCurrent(a: After, dir: string, app: string): boolean {
  const now = Date.now();
  if (a.oldestCheck !== undefined && now - a.oldestCheck < RECHECK_MS) return true;
  let oldest = now;
  for (const u of a.used) {
    if (summaryOf(dir, u.name, app) !== u) return false;
    oldest = Math.min(oldest, cache.get(join(dir, `${u.name}.py`))!.checkedAt);
  }
  a.oldestCheck = oldest;
  return true;
}

/**
 * The state after migration `name`, memoised: a migration with one dependency (the usual chain) is
 * its dependency's state and its own operations; a merge, a squash or a missing file is replayed
 * from all its ancestors (`ancestors`).
 */
function after(dir: string, app: string, name: string, depth = 0): After {
  const path = join(dir, `${name}.py`);
  const hit = afters.get(path);
  if (hit && stillCurrent(hit, dir, app)) return hit;
  const s = summaryOf(dir, name, app);
  let result: After;
  // `s` was just found current: the chain's oldest check is its own or the dependency's (see `After.oldestCheck`).
  const checked = (before: number | undefined) => (before === undefined ? undefined : Math.min(before, cache.get(path)!.checkedAt));
  if (s && !s.problem && s.deps.length === 1 && s.replaces.length === 0 && s.deps[0] !== name && depth < 2000) {
    const prev = after(dir, app, s.deps[0]!, depth + 1);
    const oldestCheck = checked(prev.oldestCheck);
    if (prev.state) {
      const state = prev.state.clone();
      for (const op of s.ops) state.apply(op);
      result = { used: [...prev.used, s], state, problem: null, oldestCheck };
    } else result = { used: [...prev.used, s], state: null, problem: prev.problem, oldestCheck };
  } else if (s && !s.problem && s.deps.length === 0 && s.replaces.length === 0) {
    const state = new AppState(app);
    for (const op of s.ops) state.apply(op);
    result = { used: [s], state, problem: null, oldestCheck: checked(Infinity) };
  } else {
    const { order, problem } = ancestors(dir, app, '', [name]);
    const state = problem ? null : new AppState(app);
    if (state) for (const m of order) for (const op of m.ops) state.apply(op);
    result = { used: problem ? (s ? [s] : []) : order, state, problem };
  }
  // A missing file is looked for again next time (its result is not kept).
  if (s) afters.set(path, result);
  return result;
}

/**
 * The state of `app` just before the migration `file` (a path `<app>/migrations/<name>.py`),
 * whose same-app dependencies are `deps` (read from its own text). A file outside a
 * `migrations/` directory gets an empty state that says why it is unknown.
 */
export function stateBefore(file: string, app: string, refs: { app: string; name: string }[], own?: OwnMigration): AppState {
  const state = new AppState(app);
  const dir = dirname(file);
  const deps = refs.flatMap((r) => (r.app === app ? [r.name] : []));
  // Other apps: the newest of their migrations this one or its ancestors depend on.
  const newest = new Map<string, string>();
  const others = (rs: { app: string; name: string }[]) => {
    for (const r of rs) if (r.app !== app && r.name !== '__first__' && r.name !== '__latest__' && (newest.get(r.app) ?? '') < r.name) newest.set(r.app, r.name);
  };
  others(refs);
  const link = (s: AppState) => {
    for (const [other, name] of newest) s.others.set(other, () => stateAfter(join(dirname(dirname(dir)), other, 'migrations'), other, name));
    return s;
  };
  if (basename(dir) !== 'migrations') {
    link(state);
    state.unknown = 'the file is not in an app\'s `migrations/` directory, so miglint cannot read the migrations before it';
    return state;
  }
  const self = basename(file).replace(/\.py$/, '');
  if (own) remember(join(dir, `${self}.py`), app, own);
  if (deps.length === 1 && deps[0] !== self) {
    // The usual chain: the memoised state after the one dependency.
    const prev = after(dir, app, deps[0]!);
    if (prev.state) {
      for (const u of prev.used) others(u.otherDeps ?? []);
      return link(Object.assign(prev.state.clone(), { others: new Map() }));
    }
  }
  const { order, problem } = ancestors(dir, app, self, deps);
  if (problem) {
    state.unknown = problem;
    return link(state);
  }
  for (const s of order) {
    others(s.otherDeps ?? []);
    for (const op of s.ops) state.apply(op);
  }
  return link(state);
}
