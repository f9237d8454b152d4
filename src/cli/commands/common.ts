/** Small helpers shared by the command declarations. */
import { Option, type Command } from 'commander';
import { intOption, pointInTimeOption, sizeOption } from '../options.js';
import type { CliContext } from '../context.js';
import type { Runtime } from '../runtime.js';

/** Examples block for --help. */
export function examples(cmd: Command, lines: string[]): Command {
  return cmd.addHelpText('after', `\nExamples:\n${lines.map((l) => `  $ ${l}`).join('\n')}\n`);
}

/** --at: a B2 source as it was at a moment (from its versions and hide markers). */
export function atOption(): Option {
  return new Option(
    '--at <time>',
    'the B2 source as it was at this time: ISO 8601 (2026-12-01T08:00:00Z) or an age (3d, 12h, 90m)',
  ).argParser(pointInTimeOption);
}

export function dryRunOption(): Option {
  return new Option('-n, --dry-run', 'show what would change, change nothing');
}

/** For commands that write downloaded files to local disk; passed on as TransferTuning.fsync. */
/** Files at or above this size are uploaded as large files (in parts); B2's own tools use 200 MB. */
export function uploadCutoffOption(): Option {
  return new Option(
    '--upload-cutoff <size>',
    'upload files of this size and more as large files, in parts (default 200MB)',
  ).argParser(sizeOption);
}

export function fsyncOption(): Option {
  return new Option(
    '--fsync',
    'flush downloaded files to disk before renaming them into place; slower, survives a power cut',
  );
}

export function transfersOption(def = 8): Option {
  return new Option('--transfers <n>', 'items worked on in parallel').argParser(intOption(1, 256)).default(def);
}

/** Wrap an action: builds the context from the parsed options and passes the command's own options. */
export function run<A extends unknown[]>(
  rt: Runtime,
  fn: (ctx: CliContext, opts: Record<string, unknown>, ...args: A) => Promise<void>,
): (...raw: unknown[]) => Promise<void> {
  return async (...raw: unknown[]) => {
    const cmd = raw[raw.length - 1] as Command;
    // with globals: a parent's option of the same name (e.g. config --no-check) may have taken the flag
    const opts = { ...cmd.optsWithGlobals(), ...(raw[raw.length - 2] as Record<string, unknown>) };
    const args = raw.slice(0, raw.length - 2) as A;
    const ctx = await rt.context(cmd);
    await fn(ctx, opts, ...args);
  };
}
