/** `config`: interactive setup, and add / list / show / remove. */
import type { Command } from 'commander';
import type { Runtime } from '../runtime.js';
import { examples, run } from './common.js';

export function registerConfig(program: Command, rt: Runtime): void {
  const config = examples(
    program
      .command('config')
      .description('add a profile interactively (name, key id, key), checking the key once; or manage profiles')
      .option('--no-check', 'do not authorize to check the key (also for `config add`)')
      .action(
        run(rt, async (ctx, o) =>
          (await import('../actions/config.js')).configInteractiveAction(ctx, { check: o.check !== false }),
        ),
      ),
    [
      'b2sync config',
      'printf %s "$KEY" | b2sync config add work --key-id 0012ab...',
      'B2_APPLICATION_KEY=... b2sync config add local --key-id K1 --endpoint http://127.0.0.1:8000',
      'b2sync config list',
      'b2sync config show work',
      'b2sync config remove work',
    ],
  );
  config
    .command('add')
    .description(
      'add or replace a profile; the key comes from stdin or B2_APPLICATION_KEY, never from the command line',
    )
    .argument('<name>', 'profile name (2-64 letters, digits, _ . -)')
    .requiredOption('--key-id <id>', 'application key id')
    .option('--default', 'make it the default profile')
    // --no-check is declared on `config` and applies here too
    .action(
      run(rt, async (ctx, o, name: string) =>
        (await import('../actions/config.js')).configAddAction(ctx, name, {
          keyId: o.keyId as string,
          default: Boolean(o.default),
          check: o.check !== false,
        }),
      ),
    );
  config
    .command('list')
    .description('list profiles (* marks the default)')
    .action(run(rt, async (ctx) => (await import('../actions/config.js')).configListAction(ctx)));
  config
    .command('show')
    .description('show a profile (the key masked)')
    .argument('<name>', 'profile name')
    .action(
      run(rt, async (ctx, _o, name: string) => (await import('../actions/config.js')).configShowAction(ctx, name)),
    );
  config
    .command('remove')
    .description('remove a profile and its stored key')
    .argument('<name>', 'profile name')
    .action(
      run(rt, async (ctx, _o, name: string) => (await import('../actions/config.js')).configRemoveAction(ctx, name)),
    );
}
