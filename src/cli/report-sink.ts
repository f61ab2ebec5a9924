/**
 * Where the CLI's report goes as the run writes it (see `ReportWriter`): standard output in
 * pieces of at least 64 KiB (a write per file would be thousands of system calls), or the
 * `--output-file`, written whole at the end so that a run stopped by an error leaves it untouched.
 */
import { writeFileSync } from 'node:fs';
import type { FileReport, ReportWriter } from '../report/types.js';

/** Bytes (UTF-16 code units) gathered before standard output is written. */
const FLUSH_AT = 64 * 1024;

export class ReportSink {
  private pending = '';
  /** Files given so far. */
  files = 0;
  errors = 0;
  warnings = 0;

  /**
   * @param writer the format's writer for this run.
   * @param stdout where the report goes without an output file.
   * @param outputFile the `--output-file` path (absolute), or null.
   * @param errorsOnly `--quiet`: findings below error severity are dropped before they are counted or written.
   */
  constructor(
    private readonly writer: ReportWriter,
    private readonly stdout: { write(text: string): unknown },
    private readonly outputFile: string | null,
    private readonly errorsOnly: boolean,
  ) {}

  /** Counts and writes one file's report; the report is not kept. */
  give(report: FileReport): void {
    if (this.errorsOnly) report.findings = report.findings.filter((f) => f.severity === 'error');
    for (const f of report.findings) {
      if (f.severity === 'error') this.errors++;
      else this.warnings++;
    }
    this.files++;
    this.add(this.writer.file(report));
  }

  /** Writes the end of the report (summary) and everything still held. @throws what writing the output file throws. */
  finish(fixedCount: number): void {
    this.add(this.writer.end({ fixedCount, complete: true }));
    if (this.outputFile !== null) writeFileSync(this.outputFile, this.pending);
    else this.flush();
  }

  /**
   * The run stopped early: standard output gets what a format needs to be whole (JSON's closing
   * bracket) after the files already written, and nothing at all if none was; an output file is not written.
   */
  abandon(): void {
    if (this.outputFile !== null || this.files === 0) return;
    this.add(this.writer.end({ fixedCount: 0, complete: false }));
    this.flush();
  }

  private add(text: string): void {
    this.pending += text;
    if (this.outputFile === null && this.pending.length >= FLUSH_AT) this.flush();
  }

  private flush(): void {
    if (this.pending) this.stdout.write(this.pending);
    this.pending = '';
  }
}
