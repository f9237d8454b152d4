/** `versions`, `share`, `cleanup`, `bucket`. */
import { Option, type Command } from 'commander';
import { durationOption, intOption } from '../options.js';
import { parseLocation, parseRemote } from '../remote-path.js';
import type { Runtime } from '../runtime.js';
import { dryRunOption, examples, fsyncOption, run, transfersOption } from './common.js';
import { bucketTypeOption } from './files.js';
import { registerBucketNotify } from './notify.js';

export function registerManage(program: Command, rt: Runtime): void {
  registerVersions(program, rt);
  registerShareCleanup(program, rt);
  registerBucket(program, rt);
}

function registerVersions(program: Command, rt: Runtime): void {
  const versions = examples(
    program.command('versions').description('list, download or restore the versions of one file name'),
    [
      'b2sync versions b2://docs/a.txt',
      'b2sync versions get b2://docs/a.txt 4_z... ./a-old.txt',
      'b2sync versions restore b2://docs/a.txt 4_z...',
    ],
  );
  versions
    .command('list', { isDefault: true })
    .description('list every version of a name, newest first (hide markers shown as deleted)')
    .argument('<remote>', 'b2://bucket/name')
    .action(
      run(rt, async (ctx, _o, remote: string) =>
        (await import('../actions/versions.js')).versionsListAction(ctx, parseRemote(remote)),
      ),
    );
  versions
    .command('get')
    .description('download one version')
    .argument('<remote>', 'b2://bucket/name')
    .argument('<file-id>', 'the version (file id) from `b2sync versions`')
    .argument('<local>', 'local file or folder')
    .addOption(fsyncOption())
    .addOption(dryRunOption())
    .action(
      run(rt, async (ctx, o, remote: string, id: string, local: string) =>
        (await import('../actions/versions.js')).versionsGetAction(ctx, parseRemote(remote), id, local, {
          dryRun: Boolean(o.dryRun),
          fsync: Boolean(o.fsync),
        }),
      ),
    );
  versions
    .command('restore')
    .description('make an older version the newest again (server-side copy)')
    .argument('<remote>', 'b2://bucket/name')
    .argument('<file-id>', 'the version (file id) to restore')
    .addOption(dryRunOption())
    .action(
      run(rt, async (ctx, o, remote: string, id: string) =>
        (await import('../actions/versions.js')).versionsRestoreAction(ctx, parseRemote(remote), id, {
          dryRun: Boolean(o.dryRun),
        }),
      ),
    );
}

function registerShareCleanup(program: Command, rt: Runtime): void {
  examples(
    program
      .command('share')
      .description('print a download link for a file or a prefix (private buckets: a time-limited link)')
      .argument('<remote>', 'b2://bucket/name or b2://bucket/prefix')
      .addOption(
        new Option('--expires <duration>', 'link lifetime, 1s..7d (clamped with a notice)')
          .argParser(durationOption)
          .default(86_400_000, '24h'),
      )
      .action(
        run(rt, async (ctx, o, remote: string) =>
          (await import('../actions/share.js')).shareAction(ctx, parseRemote(remote), {
            expiresMs: o.expires as number,
          }),
        ),
      ),
    ['b2sync share b2://docs/report.pdf', 'b2sync share --expires 7d b2://docs/2024/'],
  );

  examples(
    program
      .command('cleanup')
      .description('cancel unfinished large files (remote) or remove orphaned temporary download files (local folder)')
      .argument('<path>', 'b2://bucket[/prefix] or a local folder')
      .addOption(
        new Option('--older-than <duration>', 'only what is older than this (e.g. 24h, 7d)').argParser(durationOption),
      )
      .option('--old-versions', 'also delete superseded (non-current) versions')
      .addOption(
        new Option('--keep-days <n>', 'with --old-versions: keep versions superseded fewer than N days ago')
          .argParser(intOption(0, 36500))
          .default(0),
      )
      .addOption(transfersOption(8))
      .addOption(dryRunOption())
      .action(
        run(rt, async (ctx, o, path: string) =>
          (await import('../actions/cleanup.js')).cleanupAction(ctx, parseLocation(path), {
            olderThanMs: o.olderThan as number | undefined,
            oldVersions: Boolean(o.oldVersions),
            keepDays: o.keepDays as number,
            dryRun: Boolean(o.dryRun),
            transfers: o.transfers as number,
          }),
        ),
      ),
    [
      'b2sync cleanup b2://backups',
      'b2sync cleanup --older-than 7d --old-versions --keep-days 30 b2://backups',
      'b2sync cleanup ./downloads',
    ],
  );
}

function registerBucket(program: Command, rt: Runtime): void {
  const bucket = examples(
    program.command('bucket').description('create, list and delete buckets; manage event notifications'),
    [
      'b2sync bucket create my-bucket --type allPrivate',
      'b2sync bucket list --json',
      'b2sync bucket delete my-bucket',
      'b2sync bucket notify set b2://my-bucket --url https://host:8787/b2',
    ],
  );
  bucket
    .command('create')
    .description('create a bucket')
    .argument('<name>', 'bucket name (6-63 letters, digits, -) or b2://name')
    .addOption(bucketTypeOption())
    .addOption(dryRunOption())
    .action(
      run(rt, async (ctx, o, name: string) =>
        (await import('../actions/bucket.js')).bucketCreateAction(ctx, name, {
          bucketType: o.type as 'allPrivate',
          dryRun: Boolean(o.dryRun),
        }),
      ),
    );
  bucket
    .command('list')
    .description('list buckets')
    .argument('[profile]', 'profile to use (default: --profile, environment, default profile)')
    .action(
      run(rt, async (ctx, _o, profile?: string) =>
        (await import('../actions/bucket.js')).bucketListAction(ctx, profile),
      ),
    );
  bucket
    .command('delete')
    .description('delete an empty bucket')
    .argument('<name>', 'bucket name or b2://name')
    .addOption(dryRunOption())
    .action(
      run(rt, async (ctx, o, name: string) =>
        (await import('../actions/bucket.js')).bucketDeleteAction(ctx, name, { dryRun: Boolean(o.dryRun) }),
      ),
    );
  registerBucketNotify(bucket, rt);
}
