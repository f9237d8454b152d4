/** Holds the one CliContext of a run, built from the parsed global options on first use. */
import type { Command } from 'commander';
import { CliContext, type GlobalOptions, type Io } from './context.js';

export class Runtime {
  private ctx: CliContext | undefined;
  constructor(readonly io: Io) {}

  context(cmd: Command): CliContext {
    this.ctx ??= new CliContext(cmd.optsWithGlobals() as GlobalOptions, this.io);
    return this.ctx;
  }

  get current(): CliContext | undefined {
    return this.ctx;
  }

  async close(): Promise<void> {
    await this.ctx?.close();
  }
}

export function processIo(): Io {
  return { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin, env: process.env };
}
