/**
 * The entry point: builds the commander program, runs it, and maps errors to exit codes.
 * Only this module decides exit codes.
 */
import { Command, CommanderError, Option } from 'commander';
import {
  B2Error,
  LimitError,
  NotFoundError,
  PartialFailureError,
  UsageError,
  IntegrityError,
  DifferencesError,
  isAbortError,
} from '../core/errors.js';
import { EXIT } from './exit-codes.js';
import { registerEmulator } from './commands/emulator.js';
import { registerConfig } from './commands/config.js';
import { registerFiles } from './commands/files.js';
import { registerList } from './commands/list.js';
import { registerManage } from './commands/manage.js';
import { registerSync } from './commands/sync.js';
import { registerBisync } from './commands/bisync.js';
import { registerCheck } from './commands/check.js';
import { registerTransfer } from './commands/transfer.js';
import { makeColors } from './output/colors.js';
import { bwLimitOption, intOption } from './options.js';
import { printableText } from './output/printable.js';
import { scrub } from './output/secrets.js';
import { Runtime, processIo } from './runtime.js';
import type { Io } from './context.js';

export type { Io };

export const EXIT_CODES_HELP =
  '\nExit codes: 0 success, 1 runtime error, 2 usage error, 3 not found, 4 some items failed while others succeeded, 5 check found differences.\n' +
  'Credentials: --profile NAME or PROFILE:bucket/path, else B2_APPLICATION_KEY_ID + B2_APPLICATION_KEY, else the default profile.\n' +
  'Reference: docs/commands.md';

export function buildProgram(rt: Runtime = new Runtime(processIo())): Command {
  const program = new Command();
  const io = rt.io;
  program
    .name('b2sync')
    .description('Keep local folders and Backblaze B2 buckets in step (B2 native API v4).')
    .version('0.1.0', '-V, --version')
    .option('--profile <name>', 'use this profile (see `b2sync config list`)')
    .addOption(new Option('--endpoint <url>', "authorization endpoint, e.g. the emulator's URL").env('B2SYNC_ENDPOINT'))
    .option('--json', 'machine-readable output: one JSON object per line (NDJSON)')
    .option('-q, --quiet', 'no progress bars or notices; errors only')
    .option('-v, --verbose', 'log each B2 call (tokens and keys redacted) and show stack traces')
    .addOption(
      new Option('--retries <n>', 'retries of a failed B2 call (with backoff)').argParser(intOption(0, 20)).default(5),
    )
    .addOption(
      new Option(
        '--bwlimit <rate>',
        'bandwidth limit for the whole process: 10M, UP:DOWN (10M:50M), off, or a timetable "08:00,1M 19:00,off"',
      ).argParser(bwLimitOption),
    )
    .option('--log-file <file>', 'append a log of calls, notices and errors to this file')
    .addOption(
      new Option(
        '--config-dir <dir>',
        'configuration folder (default $XDG_CONFIG_HOME/b2sync or ~/.config/b2sync)',
      ).env('B2SYNC_CONFIG_DIR'),
    )
    .exitOverride()
    .configureOutput({
      writeErr: (s) => io.stderr.write(s),
      writeOut: (s) => io.stdout.write(s),
      outputError: usageLine,
    });
  program.addHelpText('after', EXIT_CODES_HELP);
  registerConfig(program, rt);
  registerList(program, rt);
  registerTransfer(program, rt);
  registerFiles(program, rt);
  registerManage(program, rt);
  registerSync(program, rt);
  registerBisync(program, rt);
  registerCheck(program, rt);
  registerEmulator(program);
  // Every command (and subcommand) throws instead of exiting, so main decides the code.
  const walk = (c: Command) => {
    c.exitOverride();
    c.configureOutput({
      writeErr: (s) => io.stderr.write(s),
      writeOut: (s) => io.stdout.write(s),
      outputError: usageLine,
    });
    c.commands.forEach(walk);
  };
  program.commands.forEach(walk);
  return program;
}

/** A usage error from commander as one line, like every other error: `b2sync: <what> (add --help for usage)`. */
function usageLine(msg: string, write: (s: string) => void): void {
  const what = msg
    .replace(/^error: /, '')
    .replace(/\s*\n\s*/g, ' ')
    .trim();
  write(`b2sync: ${what} (add --help for usage)\n`);
}

/** A clearer line for common B2 failures. */
function explain(err: B2Error): string {
  const what = err.message || err.code;
  if (err.call === 'b2_authorize_account' && err.status === 401) {
    return `B2 refused the application key (${err.code}${err.message ? `: ${err.message}` : ''}): check the key id and key (b2sync config show NAME, or B2_APPLICATION_KEY_ID / B2_APPLICATION_KEY)`;
  }
  if (err.status === 401 && err.code === 'unauthorized') {
    return `the application key may not do this${err.call ? ` (${err.call})` : ''}: ${what}; use a key with the needed capability or bucket`;
  }
  if (err.status === 0) return `${what}: check the network and the endpoint (--endpoint / B2SYNC_ENDPOINT)`;
  return `${what}${err.code && !what.includes(err.code) ? ` (${err.code}${err.status ? `, ${err.status}` : ''})` : ''}`;
}

/** Map any error to an exit code, writing one clear line to stderr. */
export function reportError(
  err: unknown,
  verbose: boolean,
  stderr: NodeJS.WritableStream & { isTTY?: boolean } = process.stderr,
): number {
  if (err instanceof CommanderError) {
    if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.exitCode === 0)
      return EXIT.ok;
    // commander.help with a non-zero code: a command group or the program run without a command
    // commander already printed its message
    return EXIT.usage;
  }
  const msg = err instanceof B2Error ? explain(err) : err instanceof Error ? err.message : String(err);
  const color = makeColors(process.env, Boolean(stderr.isTTY));
  stderr.write(scrub(color.red(`b2sync: ${printableText(msg)}`)) + '\n');
  if (verbose && err instanceof Error && err.stack) stderr.write(`${scrub(err.stack)}\n`);
  if (err instanceof UsageError || err instanceof LimitError) return EXIT.usage;
  if (err instanceof NotFoundError) return EXIT.notFound;
  if (err instanceof PartialFailureError) return EXIT.partial;
  if (err instanceof IntegrityError) return EXIT.runtime;
  if (err instanceof DifferencesError) return EXIT.differ;
  if (err instanceof B2Error) return err.notFound ? EXIT.notFound : EXIT.runtime;
  if (isAbortError(err)) return 130;
  return EXIT.runtime;
}

const pipeWatched = new WeakSet<NodeJS.WritableStream>();

/**
 * A reader that goes away (`b2sync ls ... | head`) is not an error: stop quietly, as Unix tools do.
 * The listener stays for the life of the stream, since EPIPE arrives after the write that caused it.
 */
function quietOnClosedPipe(out: NodeJS.WritableStream): void {
  if (pipeWatched.has(out)) return;
  pipeWatched.add(out);
  out.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(EXIT.ok);
    throw err;
  });
}

export async function main(argv: string[], io: Io = processIo()): Promise<number> {
  const rt = new Runtime(io);
  const program = buildProgram(rt);
  // Ctrl-C (SIGINT) and SIGTERM: the running command is aborted (it stops cleanly and exits 130 or
  // 143); a second signal, or one with nobody else listening (e.g. the emulator's own handler), exits at once.
  let signalled: 'SIGINT' | 'SIGTERM' | undefined;
  const onSignal = (sig: 'SIGINT' | 'SIGTERM') => () => {
    signalled ??= sig;
    const ctx = rt.current;
    if (ctx && !ctx.abort.signal.aborted) ctx.abort.abort(new Error(sig === 'SIGINT' ? 'interrupted' : 'terminated'));
    else if (ctx || process.listenerCount(sig) <= 1) process.exit(sig === 'SIGINT' ? 130 : 143);
  };
  const onSigint = onSignal('SIGINT');
  const onSigterm = onSignal('SIGTERM');
  process.on('SIGINT', onSigint);
  process.on('SIGTERM', onSigterm);
  quietOnClosedPipe(io.stdout);
  let code: number;
  try {
    await program.parseAsync(argv);
    code = typeof process.exitCode === 'number' ? process.exitCode : EXIT.ok;
  } catch (err) {
    const verbose = argv.includes('-v') || argv.includes('--verbose');
    rt.current?.out.logOnly('ERROR', err instanceof Error ? (err.stack ?? err.message) : String(err));
    code = reportError(err, verbose, io.stderr);
    if (code === 130 && signalled === 'SIGTERM') code = 143;
  } finally {
    process.removeListener('SIGINT', onSigint);
    process.removeListener('SIGTERM', onSigterm);
  }
  await rt.close().catch(() => undefined);
  return code;
}
