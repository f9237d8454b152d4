/** `cp`, `mv`, `rm`, `mkdir`, `rmdir`. */
import { Option, type Command } from 'commander';
import { parseRemote } from '../remote-path.js';
import type { Runtime } from '../runtime.js';
import { dryRunOption, examples, run, transfersOption } from './common.js';

export function bucketTypeOption(): Option {
  return new Option('--type <type>', 'bucket type').choices(['allPrivate', 'allPublic']).default('allPrivate');
}

export function registerFiles(program: Command, rt: Runtime): void {
  for (const mode of ['cp', 'mv'] as const) {
    examples(
      program
        .command(mode)
        .description(
          mode === 'cp'
            ? 'copy a file or a whole prefix server-side (no bytes pass through this machine)'
            : 'move (rename) a file or a whole prefix server-side: copy, then delete the source version',
        )
        .argument('<src>', 'b2://bucket/name or b2://bucket/folder/')
        .argument('<dst>', 'b2://bucket/name, or b2://bucket/folder/ (ending in /)')
        .addOption(transfersOption(8))
        .addOption(dryRunOption())
        .action(
          run(rt, async (ctx, o, src: string, dst: string) =>
            (await import('../actions/copy-move.js')).copyMoveAction(
              ctx,
              mode,
              parseRemote(src, 'source'),
              parseRemote(dst, 'destination'),
              { dryRun: Boolean(o.dryRun), transfers: o.transfers as number },
            ),
          ),
        ),
      [`b2sync ${mode} b2://docs/a.txt b2://docs/b.txt`, `b2sync ${mode} b2://docs/old/ b2://archive/old/`],
    );
  }
  registerRemoveAndFolders(program, rt);
}

function registerRemoveAndFolders(program: Command, rt: Runtime): void {
  registerRm(program, rt);
  registerMkdir(program, rt);
  registerRmdir(program, rt);
}

function registerRm(program: Command, rt: Runtime): void {
  examples(
    program
      .command('rm')
      .description('hide a file (its versions stay), or delete every version with --versions; a prefix needs -R')
      .argument('<remote>', 'b2://bucket/name or b2://bucket/folder/')
      .option('-R, --recursive', 'every file under the prefix')
      .option('--versions', 'delete every version (permanent) instead of hiding')
      .addOption(transfersOption(8))
      .addOption(dryRunOption())
      .action(
        run(rt, async (ctx, o, remote: string) =>
          (await import('../actions/remove.js')).rmAction(ctx, parseRemote(remote), {
            recursive: Boolean(o.recursive),
            versions: Boolean(o.versions),
            dryRun: Boolean(o.dryRun),
            transfers: o.transfers as number,
          }),
        ),
      ),
    ['b2sync rm b2://docs/a.txt', 'b2sync rm -R b2://docs/tmp/', 'b2sync rm --versions b2://docs/secret.txt'],
  );
}

function registerMkdir(program: Command, rt: Runtime): void {
  examples(
    program
      .command('mkdir')
      .description('create a bucket (b2://bucket) or a folder (a .bzEmpty placeholder)')
      .argument('<remote>', 'b2://bucket or b2://bucket/folder')
      .addOption(bucketTypeOption())
      .addOption(dryRunOption())
      .action(
        run(rt, async (ctx, o, remote: string) =>
          (await import('../actions/remove.js')).mkdirAction(ctx, parseRemote(remote), {
            dryRun: Boolean(o.dryRun),
            bucketType: o.type as 'allPrivate',
          }),
        ),
      ),
    ['b2sync mkdir b2://my-new-bucket', 'b2sync mkdir b2://docs/drafts'],
  );
}

function registerRmdir(program: Command, rt: Runtime): void {
  examples(
    program
      .command('rmdir')
      .description(
        'remove an empty folder; --recursive deletes every version under it after a confirmation (or --force)',
      )
      .argument('<remote>', 'b2://bucket/folder')
      .option('--recursive', 'remove everything under the folder')
      .option('-f, --force', 'do not ask for confirmation')
      .addOption(transfersOption(8))
      .addOption(dryRunOption())
      .action(
        run(rt, async (ctx, o, remote: string) =>
          (await import('../actions/remove.js')).rmdirAction(ctx, parseRemote(remote), {
            recursive: Boolean(o.recursive),
            force: Boolean(o.force),
            dryRun: Boolean(o.dryRun),
            transfers: o.transfers as number,
          }),
        ),
      ),
    ['b2sync rmdir b2://docs/drafts', 'b2sync rmdir --recursive --force b2://docs/tmp'],
  );
}
