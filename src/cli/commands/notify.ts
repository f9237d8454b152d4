/** `bucket notify set|get|clear`: the bucket's B2 event-notification rules (docs/commands.md). */
import { Option, type Command } from 'commander';
import type { Runtime } from '../runtime.js';
import { examples, run } from './common.js';

const DEFAULT_RULE = 'b2sync';

const nameOption = () => new Option('--name <name>', 'rule name (6-63 letters, digits, -)').default(DEFAULT_RULE);

export function registerBucketNotify(bucket: Command, rt: Runtime): void {
  const notify = examples(
    bucket.command('notify').description("manage the bucket's event notifications (webhooks for --events-listen)"),
    [
      'b2sync bucket notify set b2://photos --url https://sync.example.com:8787/b2 --prefix albums/',
      'b2sync bucket notify get b2://photos --json',
      'b2sync bucket notify clear b2://photos',
    ],
  );
  notify
    .command('set')
    .description('create or replace one rule (printing a new signing secret once)')
    .argument('<bucket>', 'b2://bucket (or bucket name)')
    .requiredOption('--url <url>', 'where B2 POSTs the events (https:// on B2)')
    .option('--prefix <prefix>', 'only names starting with this ("": the whole bucket)', '')
    .option(
      '--events <list>',
      'comma-separated: created, deleted, hidden, or B2 event types such as b2:ObjectCreated:Upload',
      'created,deleted,hidden',
    )
    .addOption(nameOption())
    .option('--secret-file <file>', 'read the signing secret (32 letters or digits) from this file instead')
    .action(
      run(rt, async (ctx, o, target: string) =>
        (await import('../actions/notify.js')).notifySetAction(ctx, target, {
          url: String(o.url),
          prefix: String(o.prefix ?? ''),
          events: String(o.events),
          name: String(o.name),
          secretFile: o.secretFile as string | undefined,
        }),
      ),
    );
  notify
    .command('get')
    .description("show the bucket's rules (signing secrets masked)")
    .argument('<bucket>', 'b2://bucket (or bucket name)')
    .option('--show-secret', 'print the signing secrets too')
    .action(
      run(rt, async (ctx, o, target: string) =>
        (await import('../actions/notify.js')).notifyGetAction(ctx, target, { showSecret: Boolean(o.showSecret) }),
      ),
    );
  notify
    .command('clear')
    .description('remove the rule named --name (default b2sync), or every rule with --all')
    .argument('<bucket>', 'b2://bucket (or bucket name)')
    .addOption(nameOption())
    .option('--all', 'remove every rule of the bucket')
    .action(
      run(rt, async (ctx, o, target: string) =>
        (await import('../actions/notify.js')).notifyClearAction(ctx, target, {
          name: String(o.name),
          all: Boolean(o.all),
        }),
      ),
    );
}
