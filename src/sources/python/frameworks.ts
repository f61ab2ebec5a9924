/**
 * The Python frontend's framework modules, in the order they claim a file: a new Python
 * framework or library is one module here plus its fixtures. Each is the registry's
 * `FrameworkModule` shape (id, name, session kinds) with what needs the syntax tree.
 */
import type { Framework, MigrationUnit } from '../../core/unit.js';
import type { FrameworkModule } from '../registry.js';
import { alembic } from './alembic.js';
import { django } from './django.js';
import type { PyEnv } from './env.js';
import { sqlalchemy } from './sqlalchemy.js';

export interface PythonFramework extends FrameworkModule {
  /** Whether the file is a migration of this framework (the first module of the list that claims it reads it). */
  claims(env: PyEnv): boolean;
  /**
   * Reads the file into the unit: statements into `env.collector`, `unit.framework`, its
   * transaction mode (`unit.wrapped`) and directions (`unit.phaseRegions`), code facts.
   * Called for the claiming module, and for each library whose `alsoIn` names the claimer.
   */
  analyse(env: PyEnv, unit: MigrationUnit): void;
  /** A library used inside other frameworks' migrations (SQLAlchemy sessions in Alembic's data steps): the frameworks whose files it reads too. */
  readonly alsoIn?: readonly Framework[];
}

/** Claim order: Django's Migration class, Alembic's `op`, then SQLAlchemy migration scripts. */
export const PYTHON_FRAMEWORKS: readonly PythonFramework[] = [django, alembic, sqlalchemy];

/**
 * Runs the claiming module and the libraries that also read its files; the modules that
 * ran, in order (none: the file is read for its syntax and comments only).
 */
export function analyseFrameworks(env: PyEnv, unit: MigrationUnit): PythonFramework[] {
  const claimer = PYTHON_FRAMEWORKS.find((f) => f.claims(env));
  if (!claimer) return [];
  claimer.analyse(env, unit);
  if (claimer.idioms) unit.idioms = claimer.idioms;
  const libraries = PYTHON_FRAMEWORKS.filter((f) => f !== claimer && f.alsoIn?.includes(claimer.framework));
  for (const lib of libraries) lib.analyse(env, unit);
  return [claimer, ...libraries];
}
