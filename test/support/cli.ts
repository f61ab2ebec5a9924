/**
 * `miglint` in the test's own process: the CLI's `main` with captured output, so a test pays
 * no Node.js start-up per call. The tests that need a real process (exit codes through the
 * binary, signals, a FIFO, environment variables read at start-up) spawn `bin/miglint.js`.
 */
import { Readable } from 'node:stream';
import { main } from '../../src/cli/miglint.js';

// The in-process runs render as the child processes do: no colours.
process.env.NO_COLOR = '1';
delete process.env.FORCE_COLOR;

/** The exit code and the output of `miglint <args>` run in this process in `cwd`, `input` as standard input. */
export async function miglintIn(args: string[], cwd: string, input?: string | Buffer): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const io = {
    stdout: { write: (s: string | Uint8Array) => ((stdout += String(s)), true) },
    stderr: { write: (s: string | Uint8Array) => ((stderr += String(s)), true) },
    stdin: Readable.from(input === undefined ? [] : [Buffer.from(input)]),
  } as unknown as Parameters<typeof main>[1];
  const code = await main(args, io, cwd);
  return { code, stdout, stderr };
}
