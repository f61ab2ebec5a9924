/** Argument parsing shared by the commands (commander): usage errors are exit code 2. */
import { CommanderError, type Command } from 'commander';

export interface CliOutput {
  stdout: { write(s: string): unknown };
  stderr: { write(s: string): unknown };
}

/**
 * Parses `argv` (user arguments, without the program name) with `program`, writing help and
 * errors to `io`. Returns null when the command is to run, else its exit code: 0 after
 * `--help`/`--version`, 2 for a usage error. Other errors are thrown.
 */
export function parseArgs(program: Command, argv: string[], io: CliOutput): number | null {
  program.exitOverride().configureOutput({ writeOut: (s) => io.stdout.write(s), writeErr: (s) => io.stderr.write(s) });
  try {
    program.parse(argv, { from: 'user' });
    return null;
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode === 0 ? 0 : 2;
    throw e;
  }
}
