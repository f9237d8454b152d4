/** `lsd` and `ls`. */
import type { Command } from 'commander';
import { parseRemote } from '../remote-path.js';
import type { Runtime } from '../runtime.js';
import { atOption, examples, run } from './common.js';

export function registerList(program: Command, rt: Runtime): void {
  examples(
    program
      .command('lsd')
      .description('list buckets, or the folders under a remote path')
      .argument('[remote]', 'b2://bucket/prefix or PROFILE:bucket/prefix (none: list buckets)')
      .action(
        run(rt, async (ctx, _o, remote?: string) =>
          (await import('../actions/list.js')).lsdAction(ctx, remote ? parseRemote(remote) : undefined),
        ),
      ),
    ['b2sync lsd', 'b2sync lsd b2://photos/2024/', 'b2sync lsd work:backups --json'],
  );
  examples(
    program
      .command('ls')
      .description('list files under a remote path (recursive by default)')
      .argument('<remote>', 'b2://bucket[/prefix] or PROFILE:bucket[/prefix]')
      .option('-R, --recursive', 'list the whole tree (the default)', true)
      .option('--no-recursive', 'list only the top level')
      .option('-l, --long', 'add modification time, SHA-1 and file id')
      .option('--versions', 'include old versions and hide markers (shown as deleted)')
      .addOption(atOption())
      .action(
        run(rt, async (ctx, o, remote: string) =>
          (await import('../actions/list.js')).lsAction(ctx, parseRemote(remote), {
            recursive: o.recursive !== false,
            long: Boolean(o.long),
            versions: Boolean(o.versions),
            atMs: o.at as number | undefined,
          }),
        ),
      ),
    [
      'b2sync ls b2://photos',
      'b2sync ls -l b2://photos/2024/',
      'b2sync ls --versions --json b2://photos/a.jpg',
      'b2sync ls --at 3d b2://photos/2024/',
    ],
  );
}
