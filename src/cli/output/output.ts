/**
 * Everything the CLI writes. stdout carries results (human lines, or NDJSON with --json); stderr carries
 * notices, warnings, errors, verbose call logs and progress. Every write is scrubbed of known secrets,
 * and every human line has its control characters escaped (printable.ts), so that a name holding a
 * newline or an ANSI escape can neither split a line nor recolour the terminal. Callers pass names
 * through printable() as well, which also escapes backslashes.
 */
import { makeColors, type Colors } from './colors.js';
import type { LogFile } from './log-file.js';
import { printable, printableLines, printableText } from './printable.js';
import { scrub } from './secrets.js';

export interface OutputOptions {
  json: boolean;
  quiet: boolean;
  verbose: boolean;
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream & { isTTY?: boolean };
  env: NodeJS.ProcessEnv;
  logFile?: LogFile;
}

export class Output {
  readonly json: boolean;
  readonly quiet: boolean;
  readonly verbose: boolean;
  readonly color: Colors;
  private readonly o: OutputOptions;
  /** Erases the progress bars before other text is written (they are redrawn on the next tick). */
  private eraseBars: (() => void) | undefined;

  constructor(o: OutputOptions) {
    this.o = o;
    this.json = o.json;
    this.quiet = o.quiet;
    this.verbose = o.verbose;
    this.color = makeColors(o.env, Boolean(o.stderr.isTTY));
  }

  get stderr(): OutputOptions['stderr'] {
    return this.o.stderr;
  }
  get stdout(): NodeJS.WritableStream {
    return this.o.stdout;
  }

  /** Progress bars only on a terminal, and never with --quiet or --json. */
  get showProgress(): boolean {
    return Boolean(this.o.stderr.isTTY) && !this.quiet && !this.json;
  }

  /** Called by Progress: how to erase its bars before other output. */
  setBarEraser(fn: (() => void) | undefined): void {
    this.eraseBars = fn;
  }

  /** A result: one NDJSON object with --json, else the human line (skipped when human is undefined). */
  result(record: object, human?: string): void {
    this.eraseBars?.();
    if (this.json) this.o.stdout.write(scrub(JSON.stringify(record)) + '\n');
    else if (human !== undefined) this.o.stdout.write(scrub(printableLines(human)) + '\n');
  }

  /** Human-only stdout text (nothing with --json). */
  text(line: string): void {
    this.eraseBars?.();
    if (!this.json) this.o.stdout.write(scrub(printableLines(line)) + '\n');
  }

  /** A notice for people (stderr); hidden by --quiet. */
  notice(line: string): void {
    this.eraseBars?.();
    const text = printableText(line);
    this.o.logFile?.write('NOTE', text);
    if (!this.quiet) this.o.stderr.write(scrub(`b2sync: ${text}`) + '\n');
  }

  /** A warning (stderr), shown even with --quiet. */
  warn(line: string): void {
    this.eraseBars?.();
    const text = printableText(line);
    this.o.logFile?.write('WARN', text);
    this.o.stderr.write(scrub(this.color.yellow(`b2sync: ${text}`)) + '\n');
  }

  /** An item that failed (stderr, always): the item is a name (printable), the message free text. */
  failed(item: string, err: unknown): void {
    this.eraseBars?.();
    const msg = printableText(err instanceof Error ? err.message : String(err));
    this.o.logFile?.write('ERROR', `${printable(item)}: ${msg}`);
    this.o.stderr.write(scrub(this.color.red(`b2sync: failed: ${printable(item)}: ${msg}`)) + '\n');
  }

  /** Verbose detail (stderr with -v; always to --log-file). */
  debug(line: string): void {
    this.eraseBars?.();
    const text = printableText(line);
    this.o.logFile?.write('DEBUG', text);
    if (this.verbose) this.o.stderr.write(scrub(this.color.dim(`b2sync: ${text}`)) + '\n');
  }

  /** Only to --log-file. */
  logOnly(level: string, line: string): void {
    this.o.logFile?.write(level, line);
  }

  /** Raw bytes to stderr (progress bars). */
  rawErr(s: string): void {
    this.o.stderr.write(s);
  }
}
