/** `check`, `size` and `hashsum`: read-only looks at trees. */
import { Option, type Command } from 'commander';
import { intOption } from '../options.js';
import { parseLocation, parseRemoteInBucket } from '../remote-path.js';
import type { Runtime } from '../runtime.js';
import { examples, run } from './common.js';
import { addFilterOptions } from './sync.js';

const checkersOption = () =>
  new Option('--checkers <n>', 'files compared or hashed in parallel (default 8)').argParser(intOption(1, 256));

export function registerCheck(program: Command, rt: Runtime): void {
  const check = program
    .command('check')
    .description('compare SRC with DST by size and SHA-1, changing nothing: + only on SRC, - only on DST, * differ')
    .argument('<src>', 'local folder, b2://bucket/prefix or PROFILE:bucket/prefix')
    .argument('<dst>', 'local folder, b2://bucket/prefix or PROFILE:bucket/prefix')
    .option('--one-way', 'only check that SRC is in DST (files only on DST are not reported)')
    .option('--download', 'compare the bytes (downloading B2 files) instead of SHA-1s');
  addFilterOptions(check).addOption(checkersOption());
  check.action(
    run(rt, async (ctx, o, src: string, dst: string) => {
      const { checkAction } = await import('../actions/check.js');
      await checkAction(ctx, parseLocation(src), parseLocation(dst), {
        oneWay: Boolean(o.oneWay),
        download: Boolean(o.download),
        checkers: o.checkers as number | undefined,
        include: o.include as string[] | undefined,
        exclude: o.exclude as string[] | undefined,
        filterFrom: o.filterFrom as string[] | undefined,
        minSize: o.minSize as number | undefined,
        maxSize: o.maxSize as number | undefined,
        minAgeMs: o.minAge as number | undefined,
        maxAgeMs: o.maxAge as number | undefined,
      });
    }),
  );
  examples(check, [
    'b2sync check ./photos b2://photos/',
    'b2sync check --one-way --json b2://photos/ other:archive/photos/',
    'b2sync check --download ./data b2://backups/data',
  ]);
  registerSizeHashsum(program, rt);
}

function registerSizeHashsum(program: Command, rt: Runtime): void {
  examples(
    program
      .command('size')
      .description(
        'files and bytes under a remote path: latest versions, old versions, hidden files, unfinished large files',
      )
      .argument('<remote>', 'b2://bucket[/prefix] or PROFILE:bucket[/prefix]')
      .action(
        run(rt, async (ctx, _o, remote: string) =>
          (await import('../actions/size.js')).sizeAction(ctx, parseRemoteInBucket(remote)),
        ),
      ),
    ['b2sync size b2://photos', 'b2sync size --json b2://photos/2024/'],
  );
  examples(
    program
      .command('hashsum')
      .description("print SHA-1s in sha1sum's format (`sha1sum -c` checks them), local or on B2")
      .argument('<hash>', 'sha1 (the hash B2 keeps)')
      .argument('<path>', 'local file or folder, or b2://bucket/name or b2://bucket/prefix/')
      .option('--download', 'compute the SHA-1 of B2 files that have none (large files), by downloading them')
      .addOption(checkersOption())
      .action(
        run(rt, async (ctx, o, hash: string, path: string) =>
          (await import('../actions/hashsum.js')).hashsumAction(ctx, hash, parseLocation(path), {
            download: Boolean(o.download),
            checkers: o.checkers as number | undefined,
          }),
        ),
      ),
    [
      'b2sync hashsum sha1 b2://photos/ > photos.sha1 && (cd photos && sha1sum -c ../photos.sha1)',
      'b2sync hashsum sha1 ./data',
    ],
  );
}
