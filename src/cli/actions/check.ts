/**
 * check: compare SRC with DST and list what differs, rclone style: `+ path` only on SRC (missing on
 * DST), `- path` only on DST, `* path` on both but different; then the counts on stderr. NDJSON with
 * --json. Exit 0 when equal, 5 when not, 4 when some files could not be compared.
 */
import { join } from 'node:path';
import { DifferencesError, PartialFailureError, UsageError } from '../../core/errors.js';
import { differences, runCheck, type CheckEvent, type CheckSummary } from '../../sync/check/index.js';
import type { SyncEndpoint } from '../../sync/index.js';
import type { CliContext } from '../context.js';
import { formatDuration } from '../output/format.js';
import { printable } from '../output/printable.js';
import { formatRemote, type Location } from '../remote-path.js';
import { folderPrefix } from './remote-files.js';
import { cliFilters, type FilterCliOptions } from './sync.js';

export interface CheckCliOptions extends FilterCliOptions {
  oneWay: boolean;
  download: boolean;
  checkers?: number;
}

const SYMBOL = { 'missing-on-destination': '+', 'missing-on-source': '-', differ: '*' } as const;

function describe(loc: Location): string {
  return loc.kind === 'local' ? loc.path : formatRemote(loc);
}

async function checkEndpoint(ctx: CliContext, loc: Location, side: string): Promise<SyncEndpoint> {
  if (loc.kind === 'local') return { kind: 'local', path: loc.path };
  if (!loc.bucket) throw new UsageError(`${side} "${formatRemote(loc)}" names no bucket: use b2://bucket[/prefix]`);
  const client = await ctx.client(loc.profile);
  await ctx.bucket(loc.bucket, loc.profile); // fails early, naming the key's scope
  return { kind: 'b2', client, bucketName: loc.bucket, prefix: folderPrefix(loc.path) };
}

/** How check's events are shown: differences on stdout, notes and warnings on stderr, errors named. */
function checkPrinter(ctx: CliContext, failures: { item: string; error: string }[]): (e: CheckEvent) => void {
  const out = ctx.out;
  return (e) => {
    switch (e.type) {
      case 'difference':
        out.result(e, `${SYMBOL[e.kind]} ${printable(e.path)}`);
        if (!out.json) out.debug(`${printable(e.path)}: ${e.reason}`);
        break;
      case 'match':
        if (out.json && out.verbose) out.result(e);
        break;
      case 'note':
        if (out.json) out.result(e);
        else out.notice(`${printable(e.item)}: ${e.message}`);
        break;
      case 'warning':
        if (out.json) out.result({ type: 'warning', item: e.item ?? null, message: e.message });
        else out.warn(e.item ? `${printable(e.item)}: ${e.message}` : e.message);
        break;
      case 'error':
        failures.push({ item: e.item, error: e.message });
        if (out.json) out.result(e);
        out.failed(e.item, e.message);
        break;
    }
  };
}

function reportCheck(
  ctx: CliContext,
  job: { source: string; destination: string; oneWay: boolean },
  s: CheckSummary,
): void {
  const equal = differences(s) === 0 && s.errors === 0;
  if (ctx.out.json) return ctx.out.result({ type: 'summary', command: 'check', ...job, ...s, equal });
  if (ctx.out.quiet && equal) return;
  const parts = [
    `${s.matching} matching`,
    `${s.missingOnDestination} missing on destination`,
    ...(job.oneWay ? [] : [`${s.missingOnSource} missing on source`]),
    `${s.differing} differing`,
    ...(s.sizeOnly ? [`${s.sizeOnly} compared by size only`] : []),
    `${s.errors} errors`,
    `elapsed ${formatDuration(s.elapsedMs / 1000)}`,
  ];
  ctx.io.stderr.write(`check: ${parts.join(', ')}\n`);
}

export async function checkAction(ctx: CliContext, src: Location, dst: Location, o: CheckCliOptions): Promise<void> {
  const filters = await cliFilters(o);
  const s = await checkEndpoint(ctx, src, 'source');
  const d = await checkEndpoint(ctx, dst, 'destination');
  const failures: { item: string; error: string }[] = [];
  const summary = await runCheck(s, d, {
    oneWay: o.oneWay,
    download: o.download,
    filters,
    checkers: o.checkers,
    hashCacheDir: join(ctx.configDir, 'hash-cache'),
    signal: ctx.abort.signal,
    onEvent: checkPrinter(ctx, failures),
  });
  const job = { source: describe(src), destination: describe(dst), oneWay: o.oneWay };
  reportCheck(ctx, job, summary);
  const n = differences(summary);
  if (n > 0)
    throw new DifferencesError(
      `${n} difference(s) found between ${job.source} and ${job.destination}${summary.errors ? ` (and ${summary.errors} item(s) not compared)` : ''}`,
    );
  if (failures.length > 0)
    throw new PartialFailureError(`${failures.length} item(s) could not be compared (each named above)`, failures);
}
