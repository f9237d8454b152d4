/** `sync` and `copy`. */
import { Option, type Command } from 'commander';
import type { SyncCliOptions } from '../actions/sync.js';
import { collect, durationOption, intOption, shardOption, sizeOption } from '../options.js';
import { parseLocation } from '../remote-path.js';
import type { Runtime } from '../runtime.js';
import { addWatchOptions, watchOptionsFrom, type WatchCliOptions } from './watch-options.js';
import { atOption, dryRunOption, examples, fsyncOption, run, uploadCutoffOption } from './common.js';

export function registerSync(program: Command, rt: Runtime): void {
  for (const mode of ['sync', 'copy'] as const) {
    const cmd = program
      .command(mode)
      .description(
        mode === 'sync'
          ? 'make DST like SRC: transfer new and changed files, then delete what SRC lacks (on B2: hide)'
          : 'copy new and changed files from SRC to DST; never delete',
      )
      .argument('<src>', 'local folder, b2://bucket/prefix or PROFILE:bucket/prefix')
      .argument('<dst>', 'local folder, b2://bucket/prefix or PROFILE:bucket/prefix');
    addCompareAndFilterOptions(cmd);
    cmd.addOption(uploadCutoffOption()).addOption(fsyncOption()).addOption(dryRunOption()).addOption(atOption());
    cmd.addOption(
      new Option('--shard <i/n>', 'take only shard i of n (by path hash); deletions are done by shard 1').argParser(
        shardOption,
      ),
    );
    if (mode === 'sync') {
      cmd
        .option('--delete-after', 'delete extras after all transfers succeeded (the default)')
        .option('--delete-during', 'delete extras while transferring')
        .option('--hard-delete', 'on B2, delete every version of an extra instead of hiding it')
        .option('--track-renames', 'local to B2: a renamed or moved file becomes a server-side copy + hide, no upload')
        .addOption(new Option('--max-delete <n>', 'delete at most N files').argParser(intOption(0)))
        .option('--force', 'override the safety stop (empty source, or more than half of DST deleted)');
    } else {
      cmd.option('--force', 'override the safety stop');
    }
    addWatchOptions(cmd);
    cmd.action(
      run(rt, async (ctx, o, src: string, dst: string) => {
        // loaded on use: the sync engine is only needed by these two commands
        const { syncAction } = await import('../actions/sync.js');
        const opts = { ...syncCliOptions(o), watch: watchOptionsFrom(o as WatchCliOptions) };
        await syncAction(ctx, mode, parseLocation(src), parseLocation(dst), opts);
      }),
    );
    examples(
      cmd,
      mode === 'sync'
        ? [
            'b2sync sync ./photos b2://photos/',
            'b2sync sync --dry-run --json ./site b2://www/',
            'b2sync sync b2://photos/2024 ./restore --checksum',
            'b2sync sync --at 2026-12-01T08:00:00Z b2://photos/2024 ./restore',
            'b2sync sync --exclude "*.tmp" --max-delete 100 ./data work:backups/data',
            'b2sync sync --watch ./notes b2://notes/laptop',
          ]
        : ['b2sync copy ./photos b2://photos/', 'b2sync copy b2://photos/ other:archive/photos/'],
    );
  }
}

/** Compare, filter, link and concurrency options shared by sync and copy (and bisync next). */
export function addCompareAndFilterOptions(cmd: Command): Command {
  cmd
    .option('-c, --checksum', 'compare by SHA-1 instead of size and modification time')
    .option('--size-only', 'compare by size only')
    .option('-u, --update', 'skip files that are newer on DST')
    .option('--ignore-existing', 'skip every file that exists on DST')
    .addOption(
      new Option('--modify-window <duration>', 'times this close are equal (e.g. 1s, 2s)').argParser(durationOption),
    );
  addFilterOptions(cmd)
    .option('-L, --copy-links', 'follow symbolic links (default: skip them with a warning)')
    .option('--create-empty-src-dirs', 'mirror empty folders (as .bzEmpty placeholders on B2)');
  return addConcurrencyOptions(cmd);
}

/** --include, --exclude, --filter-from, sizes and ages: shared by sync, copy and bisync. */
export function addFilterOptions(cmd: Command): Command {
  return cmd
    .option('--include <glob>', 'only transfer matching files (repeatable)', collect)
    .option('--exclude <glob>', 'skip matching files (repeatable)', collect)
    .option('--filter-from <file>', 'read "+ glob" / "- glob" rules from a file (repeatable)', collect)
    .addOption(new Option('--min-size <size>', 'only files of at least this size (e.g. 10K)').argParser(sizeOption))
    .addOption(new Option('--max-size <size>', 'only files of at most this size (e.g. 1G)').argParser(sizeOption))
    .addOption(
      new Option('--min-age <duration>', 'only files modified at least this long ago').argParser(durationOption),
    )
    .addOption(
      new Option('--max-age <duration>', 'only files modified at most this long ago').argParser(durationOption),
    );
}

/** --transfers and --checkers: shared by sync, copy and bisync. */
export function addConcurrencyOptions(cmd: Command): Command {
  return cmd
    .addOption(new Option('--transfers <n>', 'files transferred in parallel (default 16)').argParser(intOption(1, 256)))
    .addOption(new Option('--checkers <n>', 'files compared in parallel (default 16)').argParser(intOption(1, 256)));
}

/** Commander's parsed options as the sync action takes them (bisync will share the filter and compare ones). */
export function syncCliOptions(o: Record<string, unknown>): SyncCliOptions {
  return {
    checksum: Boolean(o.checksum),
    sizeOnly: Boolean(o.sizeOnly),
    update: Boolean(o.update),
    ignoreExisting: Boolean(o.ignoreExisting),
    modifyWindowMs: o.modifyWindow as number | undefined,
    deleteAfter: Boolean(o.deleteAfter),
    deleteDuring: Boolean(o.deleteDuring),
    hardDelete: Boolean(o.hardDelete),
    trackRenames: Boolean(o.trackRenames),
    maxDelete: o.maxDelete as number | undefined,
    force: Boolean(o.force),
    include: o.include as string[] | undefined,
    exclude: o.exclude as string[] | undefined,
    filterFrom: o.filterFrom as string[] | undefined,
    minSize: o.minSize as number | undefined,
    maxSize: o.maxSize as number | undefined,
    minAgeMs: o.minAge as number | undefined,
    maxAgeMs: o.maxAge as number | undefined,
    copyLinks: Boolean(o.copyLinks),
    createEmptySrcDirs: Boolean(o.createEmptySrcDirs),
    transfers: o.transfers as number | undefined,
    checkers: o.checkers as number | undefined,
    uploadCutoff: o.uploadCutoff as number | undefined,
    fsync: Boolean(o.fsync),
    dryRun: Boolean(o.dryRun),
    atMs: o.at as number | undefined,
    shard: o.shard as SyncCliOptions['shard'],
  };
}
