/** `put`, `get` and `cat`. */
import { Option, type Command } from 'commander';
import { UsageError } from '../../core/errors.js';
import { intOption, keyValue, sizeOption } from '../options.js';
import { parseRemote } from '../remote-path.js';
import type { Runtime } from '../runtime.js';
import { atOption, dryRunOption, examples, fsyncOption, run, transfersOption, uploadCutoffOption } from './common.js';

/** A local path argument; an empty one would resolve to the working folder (and a temp file beside it). */
function localArg(text: string): string {
  if (text === '') throw new UsageError('empty local path: give a file or folder (. for this folder)');
  return text;
}

export function registerTransfer(program: Command, rt: Runtime): void {
  examples(
    program
      .command('put')
      .description('upload a file, a folder (recursively), or stdin (`-`); a destination ending in / is a folder')
      .argument('<local>', 'local file or folder, or - for stdin')
      .argument('<remote>', 'b2://bucket/name or b2://bucket/folder/')
      .option('--content-type <type>', 'content type (default: guessed by B2)')
      .option('--info <key=value>', 'custom file info (repeatable)', keyValue)
      .addOption(
        new Option(
          '--part-size <size>',
          "part size for large files (5M..5G; default: the account's recommended size)",
        ).argParser(sizeOption),
      )
      .addOption(uploadCutoffOption())
      .addOption(transfersOption(4))
      .addOption(dryRunOption())
      .action(
        run(rt, async (ctx, o, local: string, remote: string) =>
          (await import('../actions/put.js')).putAction(ctx, localArg(local), parseRemote(remote), {
            dryRun: Boolean(o.dryRun),
            contentType: o.contentType as string | undefined,
            info: o.info as Record<string, string> | undefined,
            transfers: o.transfers as number,
            partSize: o.partSize as number | undefined,
            uploadCutoff: o.uploadCutoff as number | undefined,
          }),
        ),
      ),
    [
      'b2sync put report.pdf b2://docs/2024/',
      'b2sync put ./photos b2://photos/trip',
      'pg_dump db | b2sync put - b2://backups/db.sql',
    ],
  );
  registerGetCat(program, rt);
}

function registerGetCat(program: Command, rt: Runtime): void {
  examples(
    program
      .command('get')
      .description('download a file (or every file under a prefix) to a local path')
      .argument('<remote>', 'b2://bucket/name or b2://bucket/folder/')
      .argument('<local>', 'local file or folder (an existing folder or one ending in / receives the file)')
      .option('--version-id <id>', 'download this file version instead of the newest')
      .addOption(atOption())
      .addOption(transfersOption(4))
      .addOption(fsyncOption())
      .option('--direct-io', 'write with O_DIRECT, past the page cache (Linux; off by default: measure first)')
      .addOption(dryRunOption())
      .action(
        run(rt, async (ctx, o, remote: string, local: string) =>
          (await import('../actions/get.js')).getAction(ctx, parseRemote(remote), localArg(local), {
            dryRun: Boolean(o.dryRun),
            versionId: o.versionId as string | undefined,
            atMs: o.at as number | undefined,
            transfers: o.transfers as number,
            fsync: Boolean(o.fsync),
            directIo: Boolean(o.directIo),
          }),
        ),
      ),
    [
      'b2sync get b2://docs/2024/report.pdf .',
      'b2sync get b2://photos/trip/ ./trip',
      'b2sync get --version-id 4_z... b2://docs/a.txt a-old.txt',
      'b2sync get --at 2026-12-01T08:00:00Z b2://docs/a.txt a-then.txt',
    ],
  );
  examples(
    program
      .command('cat')
      .description('write a file (or a byte range of it) to stdout')
      .argument('<remote>', 'b2://bucket/name')
      .addOption(new Option('--offset <bytes>', 'start at this byte').argParser(intOption(0)))
      .addOption(new Option('--count <bytes>', 'write at most this many bytes').argParser(intOption(0)))
      .option('--version-id <id>', 'read this file version')
      .action(
        run(rt, async (ctx, o, remote: string) =>
          (await import('../actions/get.js')).catAction(ctx, parseRemote(remote), {
            offset: o.offset as number | undefined,
            count: o.count as number | undefined,
            versionId: o.versionId as string | undefined,
          }),
        ),
      ),
    ['b2sync cat b2://logs/app.log', 'b2sync cat --offset 100 --count 50 b2://logs/app.log'],
  );
}
