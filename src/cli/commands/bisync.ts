/** `bisync`: two-way sync of a local folder and a B2 path. */
import { Option, type Command } from 'commander';
import { durationOption } from '../options.js';
import { addConcurrencyOptions, addFilterOptions } from './sync.js';
import { addWatchOptions } from './watch-options.js';
import { parseLocation } from '../remote-path.js';
import type { Runtime } from '../runtime.js';
import { dryRunOption, examples, run } from './common.js';

export function registerBisync(program: Command, rt: Runtime): void {
  const cmd = program
    .command('bisync')
    .description('two-way sync: keep a local folder and a B2 path in step, with saved state, conflicts and renames')
    .argument('<path1>', 'local folder, b2://bucket/prefix or PROFILE:bucket/prefix')
    .argument('<path2>', 'the other side (one local folder and one B2 path, in either order)')
    .addOption(
      new Option(
        '--conflict <policy>',
        'changed on both sides: keep-both (default), newer, older, path1, path2',
      ).choices(['keep-both', 'newer', 'older', 'path1', 'path2']),
    )
    .option('--max-delete <n|n%>', 'refuse a run deleting more than this on either side (default 50%)')
    .option('--force', 'override the safety stop (one side empty, or too many deletions)')
    .option('--hard-delete', 'on B2, delete every version instead of hiding')
    .option('--create-empty-src-dirs', 'keep empty folders in step too (as .bzEmpty placeholders on B2)')
    .option('-c, --checksum', 'compare local content by SHA-1 instead of size and modification time')
    .addOption(
      new Option('--modify-window <duration>', 'times this close are equal (e.g. 1s, 2s)').argParser(durationOption),
    )
    .option('--state-dir <dir>', 'where the state of each pair is kept (default $XDG_STATE_HOME/b2sync)')
    .addOption(dryRunOption());
  addWatchOptions(addConcurrencyOptions(addFilterOptions(cmd)));
  cmd.action(
    run(rt, async (ctx, o, p1: string, p2: string) => {
      const { bisyncAction } = await import('../actions/bisync.js');
      await bisyncAction(ctx, parseLocation(p1), parseLocation(p2), o);
    }),
  );
  examples(cmd, [
    'b2sync bisync ~/Documents b2://docs/laptop',
    'b2sync bisync --dry-run --json ./notes b2://notes/',
    'b2sync bisync --conflict newer --exclude "*.tmp" ./work work:shared/work',
    'b2sync bisync --watch --poll 5m ~/Documents b2://docs/laptop',
  ]);
}
