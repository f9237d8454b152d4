/**
 * size REMOTE: what a bucket or prefix holds, as B2 bills it, from one b2_list_file_versions pass
 * (names ascending, newest version first within a name): the latest versions of visible files, older
 * versions of those files, hidden files (newest version a hide marker) with the versions under the
 * marker, and unfinished large files with the bytes of their uploaded parts (one b2_list_parts each).
 */
import type { FileVersion } from '../../wire/types.js';
import type { CliContext } from '../context.js';
import { formatBytes } from '../output/format.js';
import { formatRemote, shownRemote, type RemoteLocation } from '../remote-path.js';
import { openTarget } from './remote-files.js';

export interface SizeReport {
  files: number;
  bytes: number;
  oldVersions: number;
  oldVersionBytes: number;
  hiddenFiles: number;
  hiddenVersions: number;
  hiddenBytes: number;
  hideMarkers: number;
  unfinishedLargeFiles: number;
  unfinishedBytes: number;
  totalBytes: number;
}

const emptyReport = (): SizeReport => ({
  files: 0,
  bytes: 0,
  oldVersions: 0,
  oldVersionBytes: 0,
  hiddenFiles: 0,
  hiddenVersions: 0,
  hiddenBytes: 0,
  hideMarkers: 0,
  unfinishedLargeFiles: 0,
  unfinishedBytes: 0,
  totalBytes: 0,
});

/** The listing walk's state: the name being read and whether its newest version is a hide marker. */
interface Walk {
  name?: string;
  hidden: boolean;
  unfinished: string[];
}

/** Count one version (they arrive names ascending, newest first within a name). */
function tally(r: SizeReport, w: Walk, f: FileVersion): void {
  if (f.action === 'start') {
    r.unfinishedLargeFiles++;
    if (f.fileId) w.unfinished.push(f.fileId);
    return;
  }
  if (f.action !== 'upload' && f.action !== 'hide') return;
  const first = f.fileName !== w.name;
  w.name = f.fileName;
  if (first) w.hidden = f.action === 'hide';
  const size = f.contentLength ?? 0;
  if (f.action === 'hide') {
    r.hideMarkers++;
    if (first) r.hiddenFiles++;
  } else if (first) {
    r.files++;
    r.bytes += size;
  } else if (w.hidden) {
    r.hiddenVersions++;
    r.hiddenBytes += size;
  } else {
    r.oldVersions++;
    r.oldVersionBytes += size;
  }
}

export async function sizeAction(ctx: CliContext, loc: RemoteLocation): Promise<void> {
  const t = await openTarget(ctx, loc);
  const signal = ctx.abort.signal;
  const r = emptyReport();
  const w: Walk = { hidden: false, unfinished: [] };
  for await (const f of t.client.listFileVersions(t.bucket.bucketId, {
    prefix: loc.path || undefined,
    pageSize: 1000,
    signal,
  }))
    tally(r, w, f);
  for (const id of w.unfinished)
    for await (const p of t.client.listParts(id, { signal })) r.unfinishedBytes += p.contentLength;
  r.totalBytes = r.bytes + r.oldVersionBytes + r.hiddenBytes + r.unfinishedBytes;
  ctx.out.result({ type: 'size', remote: formatRemote(loc), ...r }, humanSize(shownRemote(loc), r));
}

function humanSize(where: string, r: SizeReport): string {
  const n = (count: number, bytes: number) => `${count} (${formatBytes(bytes)}, ${bytes} bytes)`;
  return [
    `${where}`,
    `Files (latest versions):  ${n(r.files, r.bytes)}`,
    `Old versions:             ${n(r.oldVersions, r.oldVersionBytes)}`,
    `Hidden files:             ${r.hiddenFiles}, ${n(r.hiddenVersions, r.hiddenBytes).replace(/^\d+/, `${r.hiddenVersions} versions`)}`,
    `Hide markers:             ${r.hideMarkers}`,
    `Unfinished large files:   ${n(r.unfinishedLargeFiles, r.unfinishedBytes)}`,
    `Total stored (billed):    ${formatBytes(r.totalBytes)} (${r.totalBytes} bytes)`,
  ].join('\n');
}
