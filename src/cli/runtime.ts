/**
 * Holds the one CliContext of a run, built from the parsed global options on first use. The context
 * module (B2 client, config, output) is loaded only then, so `--help` and usage errors never load it.
 */
import type { Command } from 'commander';
import type { CliContext, GlobalOptions, Io } from './context.js';

export class Runtime {
  private ctx: CliContext | undefined;
  private making: Promise<CliContext> | undefined;
  constructor(readonly io: Io) {}

  async context(cmd: Command): Promise<CliContext> {
    this.making ??= import('./context.js').then(({ CliContext }) => {
      this.ctx = new CliContext(cmd.optsWithGlobals() as GlobalOptions, this.io);
      return this.ctx;
    });
    return this.making;
  }

  get current(): CliContext | undefined {
    return this.ctx;
  }

  async close(): Promise<void> {
    await this.ctx?.close();
  }
}

/** The process's streams; stdin is opened only when a command reads it (opening it loads Node's stream and readline modules). */
export function processIo(): Io {
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    get stdin() {
      return process.stdin;
    },
    env: process.env,
  };
}
