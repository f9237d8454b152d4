/**
 * The entry point: builds the commander program, runs it, and maps errors to exit codes.
 * Only this module decides exit codes.
 */
import { Command, CommanderError } from 'commander';
import { B2Error, LimitError, NotFoundError, PartialFailureError, UsageError, IntegrityError } from '../core/errors.js';
import { EXIT } from './exit-codes.js';
import { registerEmulator } from './commands/emulator.js';

export interface Io {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
}

export function buildProgram(): Command {
  const program = new Command();
  program
    .name('b2sync')
    .description('Keep local folders and Backblaze B2 buckets in step (B2 native API v4).')
    .option('-v, --verbose', 'log each B2 call (tokens and keys redacted) and show stack traces')
    .showHelpAfterError(false)
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s), writeOut: (s) => process.stdout.write(s) });
  program.addHelpText(
    'after',
    '\nExit codes: 0 success, 1 runtime error, 2 usage error, 3 not found, 4 some items failed.',
  );
  registerEmulator(program);
  return program;
}

/** Map any error to an exit code, writing one clear line to stderr. */
export function reportError(err: unknown, verbose: boolean, stderr: NodeJS.WritableStream = process.stderr): number {
  if (err instanceof CommanderError) {
    if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.exitCode === 0) return EXIT.ok;
    // commander already printed its message
    return EXIT.usage;
  }
  const msg = err instanceof Error ? err.message : String(err);
  stderr.write(`b2sync: ${msg}\n`);
  if (verbose && err instanceof Error && err.stack) stderr.write(`${err.stack}\n`);
  if (err instanceof UsageError || err instanceof LimitError) return EXIT.usage;
  if (err instanceof NotFoundError) return EXIT.notFound;
  if (err instanceof PartialFailureError) return EXIT.partial;
  if (err instanceof IntegrityError) return EXIT.runtime;
  if (err instanceof B2Error) {
    if (err.status === 404) return EXIT.notFound;
    return EXIT.runtime;
  }
  return EXIT.runtime;
}

export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
    return typeof process.exitCode === 'number' ? process.exitCode : EXIT.ok;
  } catch (err) {
    const verbose = argv.includes('-v') || argv.includes('--verbose');
    return reportError(err, verbose);
  }
}
